#include "bpf_host.hpp"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "dirtyscope/stats/stats_source.hpp"

namespace dirtyscope::stats::host {
namespace {

// Newer than some libc/uapi headers; values are ABI.
constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

bool has_cap(const __user_cap_data_struct (&data)[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

bool exists(const char* path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

std::string bpf_privilege_problem() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  // No libcap dependency for one syscall.
  if (::syscall(SYS_capget, &hdr, data) != 0)
    return std::string("cannot read capabilities: ") + std::strerror(errno);
  if (has_cap(data, kCapSysAdmin)) return {};
  if (has_cap(data, kCapBpf) && has_cap(data, kCapPerfmon)) return {};
  return "no CAP_BPF/CAP_PERFMON (or CAP_SYS_ADMIN): run as root or grant them";
}

bool kernel_has_btf() { return ::access("/sys/kernel/btf/vmlinux", R_OK) == 0; }

std::string ensure_tracefs() {
  if (exists("/sys/kernel/tracing/events") || exists("/sys/kernel/debug/tracing/events")) return {};
  if (::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) return {};
  const int tracefs_errno = errno;
  // Old kernels: tracefs only shows up under debugfs.
  if (::mount("nodev", "/sys/kernel/debug", "debugfs", 0, nullptr) == 0 &&
      exists("/sys/kernel/debug/tracing/events"))
    return {};
  return std::string("tracefs is not mounted and mounting it failed: ") +
         std::strerror(tracefs_errno);
}

void bpf_failed(const std::string& what, int err, const std::string& log) {
  const std::string msg = what + ": " + std::strerror(err);
  if (err == EPERM || err == EACCES || err == ENOSYS)
    throw StatsUnavailable("BPF is disabled or denied on this host (" + msg + ")");
  throw std::runtime_error(log.empty() ? msg : msg + "\nlibbpf:\n" + log);
}

}  // namespace dirtyscope::stats::host
