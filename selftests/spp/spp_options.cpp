#include "spp_options.hpp"

#include <getopt.h>

#include "dirtyscope/cli_flags.hpp"
#include "dirtyscope/collector.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/guest_vm.hpp"
#include "dirtyscope/size_parse.hpp"

namespace dirtyscope {

namespace {
struct InjectionName {
  SppInjection kind;
  const char* name;
};
constexpr InjectionName kInjections[] = {
    {SppInjection::None, "none"},
    {SppInjection::WrongVectorBit, "wrong-vector-bit"},
    {SppInjection::DropViolation, "drop-violation"},
    {SppInjection::SkipAllowedWrite, "skip-allowed-write"},
    {SppInjection::ForgetAppliedPage, "forget-applied-page"},
};
enum LongOnly { kSeed = 256, kInject, kStores, kStats, kStatsSource };
}  // namespace

const char* spp_injection_name(SppInjection i) {
  for (const auto& n : kInjections)
    if (n.kind == i) return n.name;
  return "?";
}

std::string spp_usage(const char* argv0) {
  return std::string("usage: ") + argv0 +
         " [-M mode|all] [-u 0|3] [-v vcpus] [-s backing] [-g pages] [--stores N] [--seed N]\n"
         "       [--inject KIND] [--stats [--stats-source bpf|kmod|auto]]\n"
         "Sub-page write protection (SPP, 128-byte sub-pages) modelled on stock KVM with\n"
         "read-only memslots; every guest store to a protected page exits to the model,\n"
         "which applies or denies it by the page's 32-bit vector. Each case checks memory,\n"
         "every violation (gpa, length, value), the counts and what the guest reads back.\n"
         " -M MODE   also log dirty pages in MODE (dirty-log, clear-log, dirty-ring,\n"
         "           dirty-ring-wait, ring-with-bitmap, or all: every case once per mode):\n"
         "           pages the model wrote for the guest are merged into what KVM\n"
         "           reports, and exactly the pages a store landed on must be dirty\n"
         " -u N      guest privilege level: 3 (default) or 0\n"
         " -v N      vCPUs, each storing to its own guard pages (default 2, at most 8)\n"
         " -s NAME   backing of guest memory (anonymous, anonymous_thp, anonymous_hugetlb,\n"
         "           shmem, shared_hugetlb): a 2 MiB page is split around protected pages\n"
         " -g N      guard pages per vCPU (default 4, at most 64)\n"
         " --stores N  random stores per vCPU and round after the structured ones\n"
         "           (default 2000; the structured part is 224 per guard page)\n"
         " --seed N  store plan and vector seed (default 1)\n"
         " --stats   register every vector with a statistics source too (dirtyscope.ko\n"
         "           over netlink, or BPF on kvm:kvm_mmio) and require its allowed and\n"
         "           denied counts to equal the model's over the static cases\n"
         " --stats-source S  bpf, kmod or auto (default; kmod when loaded)\n"
         " --inject KIND  make the model misbehave; the run must fail naming the sub-page:\n"
         "           wrong-vector-bit, drop-violation, skip-allowed-write,\n"
         "           forget-applied-page (needs -M: one page the model wrote is not merged;\n"
         "           without -M it cannot fire, a usage error). A fault that never acted\n"
         "           fails the run (the injection-fired result)\n"
         "Exit: 0 pass, 1 a check failed, 2 bad usage, 4 skipped (a KVM capability is missing).\n";
}

SppOptions parse_spp_options(int argc, char** argv) {
  static const option longs[] = {{"seed", required_argument, nullptr, kSeed},
                                 {"inject", required_argument, nullptr, kInject},
                                 {"stores", required_argument, nullptr, kStores},
                                 {"stats", no_argument, nullptr, kStats},
                                 {"stats-source", required_argument, nullptr, kStatsSource},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  SppOptions o;
  optind = 0;  // 0, not 1: glibc then forgets a previous parse that stopped inside a cluster
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":M:u:v:s:g:h", longs, nullptr)) != -1) {
    const std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'M':
        if (arg == "all") {
          o.modes.clear();
          for (const auto& m : all_modes()) o.modes.push_back(m.name);
        } else if (is_mode(arg)) {
          o.modes = {arg};
        } else {
          throw UsageError("-M: unknown mode '" + arg + "' (see -h)");
        }
        break;
      case 'u': o.cpl = parse_cpl_flag(arg); break;
      case 'v': o.vcpus = static_cast<uint32_t>(parse_uint("-v", arg, 1, 8)); break;
      case 's': o.backing = parse_backing_flag(arg); break;
      case 'g': o.pages_per_vcpu = parse_uint("-g", arg, 1, 64); break;
      case kStores: o.random_stores = parse_uint("--stores", arg, 0, 1000000); break;
      case kSeed: o.seed = parse_uint("--seed", arg, 0, ~0ULL); break;
      case kStats:
        if (!o.stats_source) o.stats_source = "auto";
        break;
      case kStatsSource: o.stats_source = parse_stats_source_flag(arg); break;
      case kInject: {
        bool found = false;
        for (const auto& n : kInjections)
          if (arg == n.name) {
            o.injection = n.kind;
            found = true;
          }
        if (!found) throw UsageError("--inject: unknown fault '" + arg + "' (see -h)");
        break;
      }
      case 'h': o.help = true; break;
      default: throw_getopt_error(c, argv);
    }
  }
  reject_positional_args(argc, argv);
  // Only a dirty-log collector takes the pages the model wrote: without
  // -M nothing could ever notice the page left out, so it cannot fire.
  if (o.injection == SppInjection::ForgetAppliedPage && o.modes == std::vector<std::string>{""})
    throw UsageError("--inject forget-applied-page cannot fire without dirty logging: add -M MODE or -M all");
  return o;
}

}  // namespace dirtyscope
