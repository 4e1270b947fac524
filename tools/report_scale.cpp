#include "report_scale.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "dirtyscope/json.hpp"
#include "dirtyscope/json_keys.hpp"
#include "dirtyscope/json_value.hpp"
#include "report_common.hpp"

namespace dirtyscope::tools {

namespace perf_key = json_keys::perf;

namespace {

// Term names; the JSON and the tests refer to them.
constexpr const char* kMemoryPages = "memory pages";
constexpr const char* kDirtyPages = "dirty pages";
constexpr const char* kDirtyGroups = "dirty 64-page groups";
constexpr const char* kExtraVcpus = "extra vCPUs";
constexpr const char* kExtraSlots = "extra memslots";


double part_of(const ScaleIteration& it, const std::string& part) {
  if (part == "in ioctls") return it.collect_kernel_ns;
  if (part == "in userspace") return it.collect_user_ns;
  return it.collect_ns;
}

}  // namespace

double ScaleRun::dirty_groups() const {
  const double pages_per_vcpu = bytes_per_vcpu / 4096;
  return vcpus * std::ceil(pages_per_vcpu / std::max(64.0, write_fraction));
}

std::vector<ScaleRun> parse_scale_runs(const std::string& json, const std::string& name) {
  std::vector<ScaleRun> runs;
  for_each_ran_mode(json, name, [&](const JsonValue& config, const JsonValue& m) {
    ScaleRun r;
    r.file = name;
    r.mode = m.at(perf_key::kMode).string();
    r.total_bytes = config.at(perf_key::kTotalBytes).number();
    r.bytes_per_vcpu = config.at(perf_key::kBytesPerVcpu).number();
    r.vcpus = config.at(perf_key::kVcpus).number();
    r.memslots = config.at(perf_key::kMemslots).number();
    r.write_fraction = config.at(perf_key::kWriteFraction).number();
    for (const auto& it : m.at(perf_key::kIterations).array())
      r.iterations.push_back({it.at(perf_key::kCollectNs).number(), it.at(perf_key::kCollectKernelNs).number(),
                              it.at(perf_key::kCollectUserNs).number(), it.at(perf_key::kPagesCollected).number()});
    const JsonValue& med = m.at(perf_key::kMedian);
    r.median_collect_ns = med.at(perf_key::kCollectNs).number();
    r.median_pages_collected = med.at(perf_key::kPagesCollected).number();
    runs.push_back(std::move(r));
  });
  return runs;
}

std::vector<std::string> scale_modes(const std::vector<ScaleRun>& runs) {
  std::vector<std::string> seen;
  for (const auto& r : runs) seen.push_back(r.mode);
  return ordered_modes(seen);
}

std::vector<ScaleFit> fit_scale(const std::vector<ScaleRun>& runs) {
  std::vector<ScaleFit> fits;
  for (const std::string& mode : scale_modes(runs))
    for (const char* part : {"collect", "in ioctls", "in userspace"}) {
      std::vector<FitColumn> cols{
          {kMemoryPages, {}}, {kDirtyPages, {}}, {kDirtyGroups, {}}, {kExtraVcpus, {}}, {kExtraSlots, {}}};
      std::vector<double> y, w;
      for (const auto& r : runs) {
        if (r.mode != mode) continue;
        for (size_t i = 1; i < r.iterations.size(); ++i) {
          const double v = part_of(r.iterations[i], part);
          cols[0].values.push_back(r.memory_pages());
          cols[1].values.push_back(r.iterations[i].pages_collected);
          cols[2].values.push_back(r.dirty_groups());
          cols[3].values.push_back(r.vcpus - 1);
          cols[4].values.push_back(r.memslots - 1);
          y.push_back(v);
          w.push_back(v > 0 ? 1.0 / (v * v) : 0.0);
        }
      }
      if (y.empty()) continue;
      fits.push_back({mode, part, fit_least_squares(cols, y, w)});
    }
  return fits;
}

std::string scale_points_table(const std::vector<ScaleRun>& runs) {
  const std::vector<std::string> modes = scale_modes(runs);
  using Key = std::tuple<double, double, double, double>;  // vCPUs, slots, -f, memory
  std::map<Key, std::map<std::string, const ScaleRun*>> rows;
  for (const auto& r : runs) rows[{r.vcpus, r.memslots, r.write_fraction, r.total_bytes}][r.mode] = &r;

  std::ostringstream out;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%7s %5s %5s %5s %11s", "memory", "vCPUs", "slots", "-f", "dirty pages");
  out << buf;
  for (const auto& m : modes) {
    std::snprintf(buf, sizeof(buf), " %13s", (m + " ms").c_str());
    out << buf;
  }
  for (const auto& m : modes) {
    std::snprintf(buf, sizeof(buf), " %15s", (m + " ns/pg").c_str());
    out << buf;
  }
  out << "\n";
  for (const auto& [key, by_mode] : rows) {
    const auto& [vcpus, slots, f, bytes] = key;
    // Dirty pages: the ring's count (the bitmaps' first iteration may count
    // every page), else any mode's median.
    double dirty = by_mode.begin()->second->median_pages_collected;
    if (auto ring = by_mode.find("dirty-ring"); ring != by_mode.end()) dirty = ring->second->median_pages_collected;
    std::snprintf(buf, sizeof(buf), "%7s %5g %5g %5g %11.0f", size_text(bytes).c_str(), vcpus, slots, f, dirty);
    out << buf;
    for (const auto& m : modes) {
      auto it = by_mode.find(m);
      if (it == by_mode.end()) std::snprintf(buf, sizeof(buf), " %13s", "-");
      else std::snprintf(buf, sizeof(buf), " %13.3f", it->second->median_collect_ns / 1e6);
      out << buf;
    }
    for (const auto& m : modes) {
      auto it = by_mode.find(m);
      if (it == by_mode.end() || it->second->median_pages_collected <= 0) std::snprintf(buf, sizeof(buf), " %15s", "-");
      else
        std::snprintf(buf, sizeof(buf), " %15.2f", it->second->median_collect_ns / it->second->median_pages_collected);
      out << buf;
    }
    out << "\n";
  }
  return out.str();
}

std::string scale_fit_table(const std::vector<ScaleFit>& fits) {
  // Each term in the unit a person reads it in.
  struct Unit {
    const char* heading;
    double divisor;
  };
  const Unit units[] = {{"fixed us", 1e3},
                        {"ns/page of memory", 1},
                        {"ns/dirty page", 1},
                        {"ns/dirty group", 1},
                        {"us/extra vCPU", 1e3},
                        {"us/extra slot", 1e3}};
  std::ostringstream out;
  out << "collect time per iteration = fixed + a * pages of memory + b * dirty pages\n"
         "                             + g * dirty 64-page groups + c * (vCPUs - 1) + d * (memslots - 1)\n"
         "least squares over every iteration but each run's first, weighted by relative\n"
         "error; +- is one standard error; '-' a term this data cannot tell apart\n";
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%-11s %-13s", "mode", "part");
  out << buf;
  for (const auto& u : units) {
    std::snprintf(buf, sizeof(buf), " %21s", u.heading);
    out << buf;
  }
  out << "    R^2  rms miss  rows\n";
  std::vector<std::string> notes;
  for (const auto& f : fits) {
    std::snprintf(buf, sizeof(buf), "%-11s %-13s", f.mode.c_str(), f.part.c_str());
    out << buf;
    for (size_t j = 0; j < f.fit.terms.size() && j < std::size(units); ++j) {
      const FitTerm& t = f.fit.terms[j];
      if (!t.dropped.empty()) {
        std::snprintf(buf, sizeof(buf), " %21s", "-");
        const std::string note = t.name + ": " + t.dropped;
        if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
      } else {
        std::snprintf(buf, sizeof(buf), " %10.3g +- %-7.2g", t.estimate / units[j].divisor,
                      t.std_error / units[j].divisor);
      }
      out << buf;
    }
    std::snprintf(buf, sizeof(buf), " %6.3f %8.1f%% %5zu\n", f.fit.r_squared, 100 * f.fit.rms_relative, f.fit.rows);
    out << buf;
  }
  for (const auto& n : notes) out << "  - " << n << "\n";
  return out.str();
}

std::string scale_fit_json(const std::vector<ScaleFit>& fits) {
  std::ostringstream s;
  JsonWriter j(s);
  j.begin_object().field("tool", "dirtyscope report").key("fit").begin_array();
  for (const auto& f : fits) {
    j.begin_object()
        .field("mode", f.mode)
        .field("part", f.part)
        .field("rows", uint64_t{f.fit.rows})
        .field("dof", uint64_t{f.fit.dof})
        .field("r_squared", f.fit.r_squared)
        .field("rms_relative", f.fit.rms_relative)
        .key("terms")
        .begin_array();
    for (const auto& t : f.fit.terms)
      j.begin_object()
          .field("name", t.name)
          .field("estimate", t.estimate)
          .field("std_error", t.std_error)
          .field("dropped", t.dropped)
          .end_object();
    j.end_array().end_object();
  }
  j.end_array().end_object();
  s << "\n";
  return s.str();
}

}  // namespace dirtyscope::tools
