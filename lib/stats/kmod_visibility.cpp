// The module's read rule (kmod/README.md, "Permissions") as the kmod source
// applies it before reading a process's VMs.
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "kmod_genl.hpp"

namespace dirtyscope::stats {

using namespace kmod;

std::optional<std::string> kmod_hidden_reason(pid_t pid, uid_t process_euid, uid_t caller_euid,
                                              std::uint64_t cap_effective) {
  constexpr std::uint64_t kSeeAll =
      (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_PERFMON);
  if (process_euid == caller_euid || (cap_effective & kSeeAll)) return std::nullopt;
  return "process " + std::to_string(pid) + " runs as uid " + std::to_string(process_euid) + ", this caller as uid " +
         std::to_string(caller_euid) + ": " + kKmodVisibility;
}

namespace kmod {
namespace {

// This process's effective capabilities, from /proc/self/status.
std::uint64_t own_cap_effective() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long caps = 0;
  while (std::fgets(line, sizeof(line), f))
    if (std::sscanf(line, "CapEff: %llx", &caps) == 1) break;
  std::fclose(f);
  return caps;
}

}  // namespace

void check_visible(pid_t pid) {
  struct stat st {};
  if (pid == 0 || ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return;
  if (auto why = kmod_hidden_reason(pid, st.st_uid, ::geteuid(), own_cap_effective()))
    throw StatsUnavailable(*why);
}

}  // namespace kmod
}  // namespace dirtyscope::stats
