// `dirtyscope report --fit`: dirty_log_perf --json files from a scale sweep
// (bench/scale.sh: memory, dirty pages, vCPUs and memslots varied one at a
// time) reduced to per-iteration samples, fitted per mode as
//   collect = fixed + a * pages of memory + b * dirty pages
//             + g * dirty 64-page groups + c * (vCPUs - 1) + d * (memslots - 1)
// for the whole collection, its ioctl part and its userspace part.
// Pure data and text, so it is unit-testable without KVM or gnuplot.
#pragma once

#include <string>
#include <vector>

#include "least_squares.hpp"

namespace dirtyscope::tools {

struct ScaleIteration {
  double collect_ns = 0, collect_kernel_ns = 0, collect_user_ns = 0;
  double pages_collected = 0;
};

// One mode of one dirty_log_perf run.
struct ScaleRun {
  std::string file, mode;
  double total_bytes = 0, bytes_per_vcpu = 0;
  double vcpus = 1, memslots = 1, write_fraction = 1;
  std::vector<ScaleIteration> iterations;
  double median_collect_ns = 0, median_pages_collected = 0;
  double memory_pages() const { return total_bytes / 4096; }
  // 64-page groups with a written page, per iteration. KVM write-protects
  // and resets a group at a time (a bitmap word in KVM_GET_DIRTY_LOG and
  // KVM_CLEAR_DIRTY_LOG, a mask of up to 64 pages in KVM_RESET_DIRTY_RINGS),
  // walking its page table entries once, so 64 dirty pages in one group
  // cost less than 64 in 64 groups. Each vCPU writes every Nth page (-f N)
  // of its 64-page-aligned region: with N <= 64 every group holds one,
  // else every written page has a group of its own.
  double dirty_groups() const;
};

// The modes that ran ("ok") in one dirty_log_perf JSON text; throws
// std::runtime_error naming `name` and what is wrong.
std::vector<ScaleRun> parse_scale_runs(const std::string& json, const std::string& name);

struct ScaleFit {
  std::string mode;
  std::string part;  // "collect", "in ioctls", "in userspace"
  LinearFit fit;     // terms: constant, memory pages, dirty pages, dirty groups, extra vCPUs, extra memslots
};

// Per mode and part, over every iteration after each run's first (the
// first collection after enabling logging does one-time work, such as
// clear-log's initially-set bitmap and splitting huge pages), weighted by
// 1/y^2 so that a 256 MiB point counts as much as a 16 GiB one.
std::vector<ScaleFit> fit_scale(const std::vector<ScaleRun>& runs);

// The measured points, a row per configuration: median collect ms and
// ns per dirty page per mode.
std::string scale_points_table(const std::vector<ScaleRun>& runs);
// The fits: each term as estimate +- one standard error in readable units
// (us fixed, ns per page or group, us per extra vCPU or slot), R^2 and the rms
// relative miss.
std::string scale_fit_table(const std::vector<ScaleFit>& fits);
// The fits as JSON: {"tool": "dirtyscope report", "fit": [{mode, part,
// rows, dof, r_squared, rms_relative, terms: [{name, estimate, std_error,
// dropped}]}]}; estimates in ns and ns per unit.
std::string scale_fit_json(const std::vector<ScaleFit>& fits);

// The order dirty_log_perf runs its modes in, then any others.
std::vector<std::string> scale_modes(const std::vector<ScaleRun>& runs);

}  // namespace dirtyscope::tools
