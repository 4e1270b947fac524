// What this host offers the BPF source: privilege, kernel BTF, tracefs.
// Private to lib/stats. Each check returns an empty string when fine and
// otherwise the reason, worded for a user ("no CAP_BPF ...").
#pragma once

#include <string>

namespace dirtyscope::stats::host {

// CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN, in the effective set.
std::string bpf_privilege_problem();
// /sys/kernel/btf/vmlinux present and readable.
bool kernel_has_btf();
// Classic tp/ programs need tracefs (libbpf reads tracepoint ids from
// events/*/*/id). Mounts tracefs at /sys/kernel/tracing, or debugfs at
// /sys/kernel/debug, only when neither already shows the events; leaves
// the mount in place (other tools expect it there).
std::string ensure_tracefs();
// Throws for a failed BPF call: StatsUnavailable when BPF is disabled or
// denied here (EPERM, EACCES, ENOSYS), else std::runtime_error, with
// libbpf's messages (`log`) appended.
[[noreturn]] void bpf_failed(const std::string& what, int err, const std::string& log = {});

}  // namespace dirtyscope::stats::host
