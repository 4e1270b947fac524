#include "report_plot.hpp"

#include "report_common.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

namespace dirtyscope::tools {

namespace {

std::vector<std::string> modes_of(const std::vector<ReportPoint>& points) {
  std::vector<std::string> seen;
  for (const auto& p : points) seen.push_back(p.mode);
  return ordered_modes(seen);
}

// Name of a gnuplot datablock: letters, digits, underscores.

bool have_gnuplot() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((dir + "/gnuplot").c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace

std::string gnuplot_script(const std::vector<ReportPoint>& points, const std::string& output) {
  const std::vector<std::string> modes = modes_of(points);

  // Left panel: every size at the densest write fraction measured there
  // (normally -f 1, all pages dirty). Right panel: the size with the most
  // distinct -f values, across them.
  std::map<double, double> densest;  // size -> smallest -f
  std::map<double, std::set<double>> fractions;
  for (const auto& p : points) {
    auto [it, fresh] = densest.emplace(p.total_bytes, p.write_fraction);
    if (!fresh) it->second = std::min(it->second, p.write_fraction);
    fractions[p.total_bytes].insert(p.write_fraction);
  }
  double sweep_size = 0;
  size_t most = 0;
  for (const auto& [size, fs] : fractions)
    if (fs.size() > most || (fs.size() == most && size > sweep_size)) most = fs.size(), sweep_size = size;

  std::ostringstream s;
  for (const auto& m : modes) {
    std::map<double, double> by_size, by_fraction;
    for (const auto& p : points) {
      if (p.mode != m) continue;
      if (p.write_fraction == densest[p.total_bytes]) by_size[p.total_bytes / (1 << 20)] = p.collect_ns / 1e6;
      if (p.total_bytes == sweep_size) by_fraction[p.dirty_percent()] = p.collect_ns / 1e6;
    }
    s << gnuplot_block("size", m) << " << EOD\n";
    for (const auto& [x, y] : by_size) s << x << " " << y << "\n";
    s << "EOD\n" << gnuplot_block("frac", m) << " << EOD\n";
    for (const auto& [x, y] : by_fraction) s << x << " " << y << "\n";
    s << "EOD\n";
  }

  const bool svg = output.size() >= 4 && output.compare(output.size() - 4, 4, ".svg") == 0;
  s << (svg ? "set terminal svg size 1200,520 dynamic noenhanced font 'sans,12'\n"
            : "set terminal pngcairo size 1200,520 noenhanced font 'sans,11'\n");
  s << "set output '" << output << "'\n"
    << "set multiplot layout 1,2 title 'dirty_log_perf: median collection cost per iteration "
       "(lower is better)'\n"
    << "set logscale xy\nset grid\nset key top left\nset ylabel 'collect time (ms)'\n"
    << "set style data linespoints\n";
  auto plot = [&](const std::string& panel) {
    s << "plot ";
    for (size_t i = 0; i < modes.size(); ++i)
      s << (i ? ", " : "") << gnuplot_block(panel, modes[i]) << " using 1:2 title '" << modes[i] << "' lw 2 pt " << (i + 5);
    s << "\n";
  };
  s << "set xlabel 'guest memory (MiB), every page dirty'\nset title 'vs memory size'\n";
  plot("size");
  char title[96];
  std::snprintf(title, sizeof(title), "vs dirty fraction, %g MiB guest", sweep_size / (1 << 20));
  s << "set xlabel 'pages dirtied per iteration (%)'\nset title '" << title << "'\n";
  plot("frac");
  s << "unset multiplot\n";
  return s.str();
}

void make_plot(const std::vector<ReportPoint>& points, const std::string& output) {
  run_gnuplot(gnuplot_script(points, output), output);
}

void run_gnuplot(const std::string& script, const std::string& output) {
  if (!have_gnuplot()) throw PlotUnavailable("gnuplot not found (install gnuplot-nox: make deps)");
  FILE* g = popen("gnuplot", "w");
  if (!g) throw std::runtime_error("cannot start gnuplot");
  std::fwrite(script.data(), 1, script.size(), g);
  const int status = pclose(g);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("gnuplot failed writing '" + output + "' (its message is above)");
}

}  // namespace dirtyscope::tools
