#include "report_migrate.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

#include "dirtyscope/json_keys.hpp"
#include "dirtyscope/json_value.hpp"

namespace dirtyscope::tools {

namespace migrate_key = json_keys::migrate;

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Medians {
  size_t runs = 0;
  double rounds = 0, mb_sent = 0, total_s = 0, downtime_ms = 0, collect_ms = 0, collect_kernel_ms = 0;
};

Medians medians_of(const std::vector<const MigrationRun*>& rs) {
  auto med = [&](auto field) {
    std::vector<double> v;
    for (const MigrationRun* r : rs) v.push_back(field(*r));
    return median(v);
  };
  Medians m;
  m.runs = rs.size();
  m.rounds = med([](const MigrationRun& r) { return r.live_rounds; });
  m.mb_sent = med([](const MigrationRun& r) { return r.pages_sent * 4096 / 1e6; });
  m.total_s = med([](const MigrationRun& r) { return r.total_s; });
  m.downtime_ms = med([](const MigrationRun& r) { return r.downtime_ms; });
  m.collect_ms = med([](const MigrationRun& r) { return r.collect_ms; });
  m.collect_kernel_ms = med([](const MigrationRun& r) { return r.collect_kernel_ms; });
  return m;
}

}  // namespace

std::string MigrationRun::config() const {
  char b[128];
  std::snprintf(b, sizeof b, "%gM %gv D=%g %s", memory_mib, vcpus, dirty_pages,
                bandwidth_mbps > 0 ? (std::to_string(int(bandwidth_mbps)) + "MB/s").c_str() : "unlimited");
  return b;
}

bool is_migrate_json(const std::string& json) {
  try {
    const JsonValue doc = JsonValue::parse(json);
    const JsonValue* tool = doc.find(json_keys::kTool);
    return tool && tool->is_string() && tool->string() == migrate_key::kToolName;
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<MigrationRun> parse_migration_runs(const std::string& json, const std::string& name) {
  std::vector<MigrationRun> runs;
  try {
    const JsonValue doc = JsonValue::parse(json);
    const JsonValue& c = doc.at(json_keys::kConfig);
    for (const JsonValue& m : doc.at(migrate_key::kMigrations).array()) {
      if (m.at(migrate_key::kOutcome).string() != migrate_key::kOutcomePass) continue;
      MigrationRun r;
      r.file = name;
      r.mode = m.at(migrate_key::kMode).string();
      r.memory_mib = c.at(migrate_key::kMemoryBytes).number() / (1 << 20);
      r.vcpus = c.at(migrate_key::kVcpus).number();
      r.dirty_pages = c.at(migrate_key::kDirtyPages).number();
      r.bandwidth_mbps = c.at(migrate_key::kBandwidthMbps).number();
      r.total_s = m.at(migrate_key::kTotalS).number();
      r.downtime_ms = m.at(migrate_key::kDowntimeMs).number();
      r.collect_ms = m.at(migrate_key::kCollectMs).number();
      r.collect_kernel_ms = m.at(migrate_key::kCollectKernelMs).number();
      r.pages_sent = m.at(migrate_key::kPagesSent).number();
      r.live_rounds = m.at(migrate_key::kLiveRounds).number();
      for (const JsonValue& v : m.at(migrate_key::kRemainingPerRound).array()) r.remaining.push_back(v.number());
      runs.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
  return runs;
}

std::string migration_table(const std::vector<MigrationRun>& runs) {
  std::map<std::string, std::map<std::string, std::vector<const MigrationRun*>>> groups;
  for (const MigrationRun& r : runs) groups[r.config()][r.mode].push_back(&r);
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-30s %-16s %4s %6s %8s %8s %11s %10s %10s\n", "config", "mode", "runs", "rounds",
                "MB sent", "total s", "downtime ms", "collect ms", "in kernel");
  out += line;
  for (const auto& [config, modes] : groups) {
    std::map<std::string, Medians> med;
    for (const auto& [mode, rs] : modes) {
      const Medians m = med[mode] = medians_of(rs);
      std::snprintf(line, sizeof line, "%-30s %-16s %4zu %6.1f %8.1f %8.3f %11.2f %10.2f %10.2f\n", config.c_str(),
                    mode.c_str(), m.runs, m.rounds, m.mb_sent, m.total_s, m.downtime_ms, m.collect_ms,
                    m.collect_kernel_ms);
      out += line;
    }
    // The ring series' comparison: ring over bitmap, per median.
    if (med.count("dirty-ring") && med.count("dirty-log")) {
      const Medians& ring = med["dirty-ring"];
      const Medians& bitmap = med["dirty-log"];
      auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
      std::snprintf(line, sizeof line, "%-30s %-16s %4s %6s %8.2f %8.2f %11.2f %10.2f %10.2f\n", config.c_str(),
                    "ring/bitmap", "", "", ratio(ring.mb_sent, bitmap.mb_sent), ratio(ring.total_s, bitmap.total_s),
                    ratio(ring.downtime_ms, bitmap.downtime_ms), ratio(ring.collect_ms, bitmap.collect_ms),
                    ratio(ring.collect_kernel_ms, bitmap.collect_kernel_ms));
      out += line;
    }
  }
  return out;
}

std::string convergence_script(const std::vector<MigrationRun>& runs, const std::string& output) {
  if (runs.empty()) throw std::runtime_error("no passing migration to plot");
  const MigrationRun* largest = &runs.front();
  for (const MigrationRun& r : runs)
    if (r.memory_mib * r.vcpus > largest->memory_mib * largest->vcpus) largest = &r;
  const std::string config = largest->config();
  std::map<std::string, const MigrationRun*> first;  // per mode, its first run in that configuration
  for (const MigrationRun& r : runs)
    if (r.config() == config && !first.count(r.mode)) first[r.mode] = &r;

  std::ostringstream s;
  int n = 0;
  for (const auto& [mode, r] : first) {
    s << "$m" << n++ << " << EOD\n";
    for (size_t i = 0; i < r->remaining.size(); ++i) s << i + 1 << " " << std::max(r->remaining[i], 1.0) << "\n";
    s << "EOD\n";
  }
  const bool svg = output.size() >= 4 && output.compare(output.size() - 4, 4, ".svg") == 0;
  s << (svg ? "set terminal svg size 900,520 dynamic noenhanced font 'sans,12'\n"
            : "set terminal pngcairo size 900,520 noenhanced font 'sans,11'\n");
  s << "set output '" << output << "'\n"
    << "set title 'dirtyscope migrate: remaining dirty pages per pre-copy round, " << config << "'\n"
    << "set logscale y\nset grid\nset key top right\nset xlabel 'round'\nset ylabel 'dirty pages collected'\n"
    << "set style data linespoints\nset xtics 1\nplot ";
  n = 0;
  for (const auto& [mode, r] : first) {
    s << (n ? ", " : "") << "$m" << n << " using 1:2 title '" << mode << "' lw 2 pt " << (n + 5);
    ++n;
  }
  s << "\n";
  return s.str();
}

}  // namespace dirtyscope::tools
