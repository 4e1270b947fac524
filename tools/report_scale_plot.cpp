#include "report_scale_plot.hpp"

#include "report_common.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace dirtyscope::tools {

namespace {

struct Panel {
  std::string id, title, xlabel;
  bool log_x;
  std::function<bool(const ScaleRun&)> member;  // on this curve
  std::function<double(const ScaleRun&)> x;
};

// The value of `key` at which `varied` takes the most distinct values
// among runs passing `filter` (ties: the larger key).
double busiest(const std::vector<ScaleRun>& runs, const std::function<bool(const ScaleRun&)>& filter,
               const std::function<double(const ScaleRun&)>& key,
               const std::function<double(const ScaleRun&)>& varied) {
  std::map<double, std::set<double>> values;
  for (const auto& r : runs)
    if (filter(r)) values[key(r)].insert(varied(r));
  double best = 0;
  size_t most = 0;
  for (const auto& [k, v] : values)
    if (v.size() >= most) most = v.size(), best = k;
  return best;
}


}  // namespace

std::string scale_gnuplot_script(const std::vector<ScaleRun>& runs, const std::string& output) {
  const auto bytes = [](const ScaleRun& r) { return r.total_bytes; };
  const auto per_vcpu = [](const ScaleRun& r) { return r.bytes_per_vcpu; };
  const auto vcpus = [](const ScaleRun& r) { return r.vcpus; };
  const auto slots = [](const ScaleRun& r) { return r.memslots; };
  const auto fraction = [](const ScaleRun& r) { return r.write_fraction; };
  const auto one_vcpu_one_slot = [](const ScaleRun& r) { return r.vcpus == 1 && r.memslots == 1; };

  const double dirty_size = busiest(runs, one_vcpu_one_slot, bytes, fraction);
  const double vcpu_size =
      busiest(runs, [](const ScaleRun& r) { return r.memslots == 1 && r.write_fraction == 1; }, per_vcpu, vcpus);
  const double slot_size =
      busiest(runs, [](const ScaleRun& r) { return r.vcpus == 1 && r.write_fraction == 1; }, bytes, slots);
  char t[3][96];
  std::snprintf(t[0], sizeof(t[0]), "vs dirty pages, %g MiB", dirty_size / (1 << 20));
  std::snprintf(t[1], sizeof(t[1]), "vs vCPUs, %g MiB each", vcpu_size / (1 << 20));
  std::snprintf(t[2], sizeof(t[2]), "vs memslots, %g MiB in all", slot_size / (1 << 20));
  const std::vector<Panel> panels{
      {"mem", "vs memory, every page dirty", "guest memory (GiB)", true,
       [&](const ScaleRun& r) { return one_vcpu_one_slot(r) && r.write_fraction == 1; },
       [](const ScaleRun& r) { return r.total_bytes / (1 << 30); }},
      {"dirty", t[0], "pages written per iteration", true,
       [&](const ScaleRun& r) { return one_vcpu_one_slot(r) && r.total_bytes == dirty_size; },
       [](const ScaleRun& r) { return r.memory_pages() / r.write_fraction; }},
      {"vcpus", t[1], "vCPUs", false,
       [&](const ScaleRun& r) { return r.memslots == 1 && r.write_fraction == 1 && r.bytes_per_vcpu == vcpu_size; },
       vcpus},
      {"slots", t[2], "memslots", false,
       [&](const ScaleRun& r) { return r.vcpus == 1 && r.write_fraction == 1 && r.total_bytes == slot_size; },
       slots},
  };

  // Data first, as inline blocks; a panel or mode with fewer than two
  // points is left out (gnuplot refuses a log-scale plot with nothing in
  // it, and warns about a single x value).
  const std::vector<std::string> modes = scale_modes(runs);
  std::ostringstream s;
  std::vector<std::vector<std::string>> plotted(panels.size());
  for (size_t i = 0; i < panels.size(); ++i)
    for (const auto& m : modes) {
      std::map<double, double> line;
      for (const auto& r : runs)
        if (r.mode == m && panels[i].member(r)) line[panels[i].x(r)] = r.median_collect_ns / 1e6;
      if (line.size() < 2) continue;  // one point is not a curve
      plotted[i].push_back(m);
      s << gnuplot_block(panels[i].id, m) << " << EOD\n";
      for (const auto& [x, y] : line) s << x << " " << y << "\n";
      s << "EOD\n";
    }
  const bool svg = output.size() >= 4 && output.compare(output.size() - 4, 4, ".svg") == 0;
  s << (svg ? "set terminal svg size 1200,900 dynamic noenhanced font 'sans,12'\n"
            : "set terminal pngcairo size 1200,900 noenhanced font 'sans,11'\n");
  s << "set output '" << output << "'\n"
    << "set multiplot layout 2,2 title 'dirty_log_perf: median collection time per iteration (lower is better)'\n"
    << "set grid\nset key top left\nset ylabel 'collect time (ms)'\nset style data linespoints\n";
  for (size_t i = 0; i < panels.size(); ++i) {
    const Panel& p = panels[i];
    if (plotted[i].empty()) continue;
    s << (p.log_x ? "set logscale xy\n" : "unset logscale x\nset logscale y\n");
    s << "set title '" << p.title << "'\nset xlabel '" << p.xlabel << "'\nplot ";
    for (size_t k = 0; k < plotted[i].size(); ++k) {
      // Colour and marker by mode, the same in every panel.
      const auto style = std::find(modes.begin(), modes.end(), plotted[i][k]) - modes.begin();
      s << (k ? ", " : "") << gnuplot_block(p.id, plotted[i][k]) << " using 1:2 title '" << plotted[i][k] << "' lw 2 lc "
        << (style + 1) << " pt " << (style + 5);
    }
    s << "\n";
  }
  s << "unset multiplot\n";
  return s.str();
}

}  // namespace dirtyscope::tools
