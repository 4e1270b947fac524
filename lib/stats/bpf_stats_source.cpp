// BpfStatsSource: open -> set knobs -> choose programs -> load -> attach,
// snapshot() reads the maps, the destructor detaches (links first, then the
// skeleton). Every step's failure leaves nothing behind: the owners below
// are declared in teardown order.
#include "dirtyscope/stats/bpf_stats_source.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/kvm.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bpf_host.hpp"
#include "c_ptr.hpp"
#include "dirtyscope/text_list.hpp"

extern "C" {
#include "dirty_stats.h"
#if DIRTYSCOPE_HAVE_CORE_SKEL
#include "dirty_stats_core.skel.h"
#endif
#include "dirty_stats_tp.skel.h"
}

namespace dirtyscope::stats {

static_assert(Log2Histogram::kSlots == DS_HIST_SLOTS, "histogram shape differs from BPF side");
static_assert(DS_KVM_GET_DIRTY_LOG == KVM_GET_DIRTY_LOG);
static_assert(DS_KVM_CLEAR_DIRTY_LOG == KVM_CLEAR_DIRTY_LOG);
static_assert(DS_KVM_RESET_DIRTY_RINGS == KVM_RESET_DIRTY_RINGS);
static_assert(static_cast<int>(DirtyIoctl::GetDirtyLog) == DS_IOCTL_GET_DIRTY_LOG);
static_assert(static_cast<int>(DirtyIoctl::ClearDirtyLog) == DS_IOCTL_CLEAR_DIRTY_LOG);
static_assert(static_cast<int>(DirtyIoctl::ResetDirtyRings) == DS_IOCTL_RESET_DIRTY_RINGS);

namespace {

// libbpf's messages go to a buffer, so a failure can quote them in the
// exception instead of spraying stderr on every run.
// DIRTYSCOPE_BPF_VERBOSE=1 echoes them live.
std::mutex g_log_mutex;
std::string g_log;

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG && !std::getenv("DIRTYSCOPE_BPF_VERBOSE")) return 0;
  char buf[1024];
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(buf, sizeof(buf), fmt, copy);
  va_end(copy);
  // Live echo in full: a verifier log is one message of many KiB, and its
  // verdict is at the end, past any fixed buffer.
  if (std::getenv("DIRTYSCOPE_BPF_VERBOSE")) {
    va_copy(copy, args);
    std::vfprintf(stderr, fmt, copy);
    va_end(copy);
  }
  std::lock_guard lock(g_log_mutex);
  if (g_log.size() < 16384) g_log += buf;
  return 0;
}

std::string take_log() {
  std::lock_guard lock(g_log_mutex);
  return std::exchange(g_log, {});
}

// One tracepoint ("kvm:kvm_dirty_ring_push", for messages) and its
// programs: btf_<name> (tp_btf, where vmlinux BTF has btf_trace_<event>)
// and raw_<name> in the CO-RE object, tp_<name> (needs tracefs) in both.
struct Hook {
  const char* tracepoint;
  const char* name;
  bool required;  // without it the source is useless
  bool tp_btf;    // a real tracepoint, which tp_btf can attach to
};

constexpr Hook kHooks[] = {
    {"kvm:kvm_dirty_ring_push", "dirty_ring_push", true, true},
    {"kvm:kvm_dirty_ring_reset", "dirty_ring_reset", true, true},
    {"kvm:kvm_dirty_ring_exit", "dirty_ring_exit", true, true},
    {"kvm:kvm_page_fault", "page_fault", false, true},
    {"kvmmmu:fast_page_fault", "fast_page_fault", false, true},
    {"kvmmmu:kvm_mmu_set_spte", "mmu_set_spte", false, true},
    // The per-syscall events are not real tracepoints (no tp_btf). Their
    // raw_tp fallback sees every syscall on the host, so tp is preferred.
    {"syscalls:sys_enter_ioctl", "sys_enter_ioctl", true, false},
    {"syscalls:sys_exit_ioctl", "sys_exit_ioctl", true, false},
};

// Reading BTF once tells which tracepoints tp_btf can attach to; a
// tracepoint compiled into a module may have its type elsewhere, and then
// raw_tp (which needs no type) is the fallback.
class VmlinuxBtf {
 public:
  VmlinuxBtf() : btf_(btf__load_vmlinux_btf()) {}
  bool has_typedef(const char* name) const {
    return btf_ && btf__find_by_name_kind(btf_.get(), name, BTF_KIND_TYPEDEF) >= 0;
  }

 private:
  CPtr<btf, btf__free> btf_;
};

[[noreturn]] void fail_errno(const std::string& what, int err) { host::bpf_failed(what, err, take_log()); }

}  // namespace

struct BpfStatsSource::Impl {
  // Teardown order matters: links (declared last) go before the object.
#if DIRTYSCOPE_HAVE_CORE_SKEL
  CPtr<dirty_stats_core, dirty_stats_core__destroy> core;
#endif
  CPtr<dirty_stats_tp, dirty_stats_tp__destroy> tp;
  bpf_object* obj = nullptr;  // owned by the skeleton above
  AttachMode mode = AttachMode::Auto;
  int counters_fd = -1;
  int ioctl_fd = -1;
  std::vector<CPtr<bpf_link, bpf_link__destroy>> links;

  void open(const BpfOptions& options);
  void attach(const std::vector<std::string>& wanted);
};

void BpfStatsSource::Impl::open(const BpfOptions& options) {
  const bool btf = host::kernel_has_btf();
  mode = options.mode;
  constexpr bool have_core = DIRTYSCOPE_HAVE_CORE_SKEL;
  if (mode == AttachMode::Auto) mode = (btf && have_core) ? AttachMode::TpBtf : AttachMode::Tp;
  if (mode != AttachMode::Tp && !btf)
    throw StatsUnavailable("the kernel has no BTF (/sys/kernel/btf/vmlinux); " +
                           std::string(attach_mode_name(mode)) + " needs it");
  if (mode != AttachMode::Tp && !have_core)
    throw StatsUnavailable("built without a CO-RE BPF object (no BTF at build time); " +
                           std::string(attach_mode_name(mode)) + " unavailable");

  // Which program serves each hook. tp_btf mode still uses raw_tp for a
  // tracepoint with no btf_trace_* type, and tp for the ioctl events.
  std::vector<std::string> wanted;
  std::optional<std::string> tracefs_problem;  // checked once, when first needed
  auto tracefs_ok = [&] {
    if (!tracefs_problem) tracefs_problem = host::ensure_tracefs();
    return tracefs_problem->empty();
  };
  const VmlinuxBtf vmlinux;
  for (const Hook& h : kHooks) {
    const std::string btf_name = "btf_trace_" + std::string(std::strchr(h.tracepoint, ':') + 1);
    const char* prefix = "raw_";
    if (mode == AttachMode::Tp || (!h.tp_btf && mode == AttachMode::TpBtf && tracefs_ok()))
      prefix = "tp_";
    else if (mode == AttachMode::TpBtf && h.tp_btf && vmlinux.has_typedef(btf_name.c_str()))
      prefix = "btf_";
    wanted.push_back(prefix + std::string(h.name));
  }
  if (mode == AttachMode::Tp && !tracefs_ok()) throw StatsUnavailable(*tracefs_problem);

  libbpf_set_print(libbpf_log);
  take_log();
  // open -> knobs -> autoload choice -> load.
#if DIRTYSCOPE_HAVE_CORE_SKEL
  if (mode != AttachMode::Tp) {
    core.reset(dirty_stats_core__open());
    if (!core) fail_errno("open BPF object dirty_stats_core", errno);
    core->rodata->target_tgid = static_cast<__u32>(options.pid);
    obj = core->obj;
  }
#endif
  if (mode == AttachMode::Tp) {
    tp.reset(dirty_stats_tp__open());
    if (!tp) fail_errno("open BPF object dirty_stats_tp", errno);
    tp->rodata->target_tgid = static_cast<__u32>(options.pid);
    obj = tp->obj;
  }
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj) {
    bool on = false;
    for (const std::string& w : wanted) on = on || w == bpf_program__name(prog);
    bpf_program__set_autoload(prog, on);
  }
  if (int err = bpf_object__load(obj); err) fail_errno("load BPF programs", -err);
  counters_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "counters"));
  ioctl_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "ioctl_hists"));
  attach(wanted);
}

void BpfStatsSource::Impl::attach(const std::vector<std::string>& wanted) {
  std::string missing;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    bpf_program* prog = bpf_object__find_program_by_name(obj, wanted[i].c_str());
    bpf_link* link = prog ? bpf_program__attach(prog) : nullptr;
    if (link) {
      links.emplace_back(link);
      continue;
    }
    const int err = prog ? errno : ENOENT;
    if (kHooks[i].required) {
      if (err == EPERM || err == EACCES) fail_errno("attach " + std::string(kHooks[i].tracepoint), err);
      append_item(missing, ", ", kHooks[i].tracepoint);
    }
  }
  if (!missing.empty())
    throw StatsUnavailable("tracepoints missing (is KVM loaded?): " + missing);
  take_log();  // an optional hook that did not attach is no error
}

BpfStatsSource::BpfStatsSource(BpfOptions options) : impl_(std::make_unique<Impl>()) {
  if (std::string why = host::bpf_privilege_problem(); !why.empty()) throw StatsUnavailable(why);
  impl_->open(options);
}

BpfStatsSource::~BpfStatsSource() = default;
BpfStatsSource::BpfStatsSource(BpfStatsSource&&) noexcept = default;
BpfStatsSource& BpfStatsSource::operator=(BpfStatsSource&&) noexcept = default;

AttachMode BpfStatsSource::mode() const { return impl_->mode; }

namespace {

// Walks a per-CPU hash map: fn(key, values) with one value per possible CPU.
template <typename Key, typename Value, typename Fn>
void for_each_percpu(int fd, Fn&& fn) {
  static_assert(sizeof(Value) % 8 == 0, "per-CPU values are laid out 8-byte aligned");
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) throw std::runtime_error("libbpf_num_possible_cpus failed");
  std::vector<Value> values(static_cast<std::size_t>(ncpus));
  Key key{};
  Key next{};
  const Key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, values.data()) == 0) fn(next, values);
    // A lookup can miss if the entry was deleted meanwhile; just move on.
    key = next;
    prev = &key;
  }
}

}  // namespace

DirtyStats BpfStatsSource::snapshot() {
  DirtyStats out;
  out.source = std::string(name());
  for_each_percpu<ds_vcpu_key, ds_vcpu_counters>(
      impl_->counters_fd, [&](const ds_vcpu_key& k, const std::vector<ds_vcpu_counters>& per_cpu) {
        VmStats& vm = out.vms[static_cast<pid_t>(k.tgid)];
        vm.pid = static_cast<pid_t>(k.tgid);
        VcpuCounters& c = vm.vcpus[k.vcpu_id];
        for (const auto& v : per_cpu) {
          c += VcpuCounters{v.ring_pushes,      v.ring_resets, v.ring_full_exits, v.page_faults,
                            v.fast_page_faults, v.set_spte,    v.occupancy_hwm,   v.ring_size};
        }
      });
  for_each_percpu<ds_ioctl_key, ds_ioctl_hist>(
      impl_->ioctl_fd, [&](const ds_ioctl_key& k, const std::vector<ds_ioctl_hist>& per_cpu) {
        if (k.kind >= kDirtyIoctlCount) return;  // newer BPF side; ignore
        VmStats& vm = out.vms[static_cast<pid_t>(k.tgid)];
        vm.pid = static_cast<pid_t>(k.tgid);
        IoctlStats& s = vm.ioctls[k.kind];
        for (const auto& v : per_cpu) {
          s.count += v.count;
          s.total_ns += v.total_ns;
          for (std::size_t i = 0; i < DS_HIST_SLOTS; ++i) s.latency_ns.add(i, v.slots[i]);
        }
      });
  return out;
}

}  // namespace dirtyscope::stats
