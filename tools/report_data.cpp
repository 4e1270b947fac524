#include "report_data.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dirtyscope/json_keys.hpp"
#include "dirtyscope/json_value.hpp"
#include "report_common.hpp"

namespace dirtyscope::tools {

namespace perf_key = json_keys::perf;

std::vector<ReportPoint> parse_report_points(const std::string& json, const std::string& name) {
  std::vector<ReportPoint> points;
  for_each_ran_mode(json, name, [&](const JsonValue& config, const JsonValue& m) {
    const JsonValue& med = m.at(perf_key::kMedian);
    ReportPoint p;
    p.file = name;
    p.mode = m.at(perf_key::kMode).string();
    p.total_bytes = config.at(perf_key::kTotalBytes).number();
    p.write_fraction = config.at(perf_key::kWriteFraction).number();
    p.pages = p.total_bytes / 4096;
    p.pages_collected = med.at(perf_key::kPagesCollected).number();
    p.collect_ns = med.at(perf_key::kCollectNs).number();
    p.collect_kernel_ns = med.at(perf_key::kCollectKernelNs).number();
    p.collect_user_ns = med.at(perf_key::kCollectUserNs).number();
    points.push_back(p);
  });
  return points;
}

std::vector<ReportPoint> load_report_points(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return parse_report_points(text.str(), path);
}

std::string report_table(const std::vector<ReportPoint>& points) {
  // Modes in the order dirty_log_perf runs them, then any others.
  std::vector<std::string> modes;
  for (const char* m : {"dirty-log", "clear-log", "dirty-ring"})
    for (const auto& p : points)
      if (p.mode == m) { modes.push_back(m); break; }
  for (const auto& p : points)
    if (std::find(modes.begin(), modes.end(), p.mode) == modes.end()) modes.push_back(p.mode);

  using Key = std::pair<double, double>;  // (size, -f)
  std::map<Key, std::map<std::string, const ReportPoint*>> rows;
  for (const auto& p : points) rows[{p.total_bytes, p.write_fraction}][p.mode] = &p;

  std::string out;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%8s %6s %10s", "memory", "-f", "dirty");
  out += buf;
  for (const auto& m : modes) {
    std::snprintf(buf, sizeof(buf), " %14s", (m + " ms").c_str());
    out += buf;
  }
  for (const auto& m : modes)
    if (m != "dirty-log") {
      std::snprintf(buf, sizeof(buf), " %14s", (m + "/dl").c_str());
      out += buf;
    }
  out += "\n";
  for (const auto& [key, by_mode] : rows) {
    std::snprintf(buf, sizeof(buf), "%8s %6g %9.3g%%", size_text(key.first).c_str(), key.second, 100.0 / key.second);
    out += buf;
    for (const auto& m : modes) {
      auto it = by_mode.find(m);
      if (it == by_mode.end()) std::snprintf(buf, sizeof(buf), " %14s", "-");
      else std::snprintf(buf, sizeof(buf), " %14.3f", it->second->collect_ns / 1e6);
      out += buf;
    }
    const auto base = by_mode.find("dirty-log");
    for (const auto& m : modes) {
      if (m == "dirty-log") continue;
      auto it = by_mode.find(m);
      if (it == by_mode.end() || base == by_mode.end() || base->second->collect_ns <= 0)
        std::snprintf(buf, sizeof(buf), " %14s", "-");
      else
        std::snprintf(buf, sizeof(buf), " %13.2fx", it->second->collect_ns / base->second->collect_ns);
      out += buf;
    }
    out += "\n";
  }
  return out;
}

}  // namespace dirtyscope::tools
