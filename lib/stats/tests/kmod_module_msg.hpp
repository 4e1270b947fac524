// Test helpers of the kmod source's unit tests: netlink messages built in
// memory with libnl exactly as dirtyscope.ko's netlink.c builds them
// (ds_put_vm, ds_put_counters, ds_netlink_event), and small constructors.
#pragma once

#include <gtest/gtest.h>
#include <linux/dirtyscope.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "c_ptr.hpp"
#include "dirtyscope/stats/kmod_stats_source.hpp"
#include "thrown.hpp"

namespace dirtyscope::stats::kmod_test {

constexpr int kFamilyId = 0x1c;  // any id: the parser does not look at it

// Builds one message the way the module does. `pad64` emulates
// nla_put_u64_64bit() on an architecture without efficient unaligned
// access: a zero-length *_PAD attribute before a u64 whose payload would
// not be 8-byte aligned. x86 never pads, but the client must accept both.
class ModuleMsg {
 public:
  ModuleMsg(std::uint8_t cmd, bool pad64 = false, std::uint8_t version = DIRTYSCOPE_GENL_VERSION)
      : m_(nlmsg_alloc()), pad64_(pad64) {
    if (!m_) throw std::bad_alloc();
    if (!genlmsg_put(m_.get(), 1234, 7, kFamilyId, 0, 0, cmd, version)) throw std::runtime_error("genlmsg_put");
  }
  nl_msg* get() { return m_.get(); }
  nlmsghdr* hdr() { return nlmsg_hdr(m_.get()); }

  void u64(int type, std::uint64_t v, int pad_type) {
    if (pad64_) {
      const auto tail = reinterpret_cast<std::uintptr_t>(nlmsg_tail(hdr())) -
                        reinterpret_cast<std::uintptr_t>(hdr());
      if ((tail + NLA_HDRLEN) % 8 != 0) ok(nla_put(m_.get(), pad_type, 0, nullptr));
    }
    ok(nla_put_u64(m_.get(), type, v));
  }
  void u32(int type, std::uint32_t v) { ok(nla_put_u32(m_.get(), type, v)); }
  void s32(int type, std::int32_t v) { ok(nla_put_s32(m_.get(), type, v)); }
  void str(int type, const char* s) { ok(nla_put_string(m_.get(), type, s)); }
  void raw(int type, const void* p, int len) { ok(nla_put(m_.get(), type, len, p)); }
  nlattr* nest_start(int type) {
    nlattr* n = nla_nest_start(m_.get(), type);
    if (!n) throw std::runtime_error("nla_nest_start");
    return n;
  }
  void nest_end(nlattr* n) { ok(nla_nest_end(m_.get(), n)); }

  // The VM's SPP totals, as a module with the SPP hooks sends them; unset
  // emulates a module from before them.
  std::optional<SppCounters> spp;
  // The VM's reset generation and drops, as a module with them sends them
  // (ds_put_vm: RESET_GEN first, DROPS after NR_VCPUS); unset emulates a
  // module from before them.
  std::optional<std::uint64_t> reset_gen;
  DropCounters drops;

  // ds_put_drops(): the reasons of a VM, or every reason for the module.
  void drops_nest(const DropCounters& d, bool module) {
    nlattr* n = nest_start(DIRTYSCOPE_ATTR_DROPS);
    u64(DIRTYSCOPE_DROP_EVENTS, d.events, DIRTYSCOPE_DROP_PAD);
    u64(DIRTYSCOPE_DROP_PENDING_EVENTS, d.pending_events, DIRTYSCOPE_DROP_PAD);
    if (module) {
      u64(DIRTYSCOPE_DROP_VM_ALLOC, d.vm_alloc, DIRTYSCOPE_DROP_PAD);
      u64(DIRTYSCOPE_DROP_VM_TABLE_FULL, d.vm_table_full, DIRTYSCOPE_DROP_PAD);
    }
    u64(DIRTYSCOPE_DROP_VCPU_ALLOC, d.vcpu_alloc, DIRTYSCOPE_DROP_PAD);
    if (module) u64(DIRTYSCOPE_DROP_TASK, d.task, DIRTYSCOPE_DROP_PAD);
    u64(DIRTYSCOPE_DROP_NOTIFY, d.notify, DIRTYSCOPE_DROP_PAD);
    nest_end(n);
  }
  // ds_nl_get_module()
  void module_reply(std::uint64_t gen, const DropCounters& d, std::uint64_t unattributed) {
    u64(DIRTYSCOPE_ATTR_RESET_GEN, gen, DIRTYSCOPE_ATTR_PAD);
    drops_nest(d, true);
    u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, unattributed, DIRTYSCOPE_ATTR_PAD);
  }

  // ds_put_vm_id()
  void vm_id(std::uint64_t id, std::uint32_t pid, std::int32_t fd, const char* name) {
    u64(DIRTYSCOPE_ATTR_VM_ID, id, DIRTYSCOPE_ATTR_PAD);
    u32(DIRTYSCOPE_ATTR_VM_PID, pid);
    s32(DIRTYSCOPE_ATTR_VM_FD, fd);
    str(DIRTYSCOPE_ATTR_VM_NAME, name);
  }
  // ds_put_counters(): same order, u32 for ring size and high water.
  void counters(const KmodCounters& c) {
    u64(DIRTYSCOPE_STAT_RING_PUSHES, c.ring_pushes, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_RING_RESETS, c.ring_resets, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_RING_RESET_ENTRIES, c.ring_reset_entries, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_RING_FULL_EXITS, c.ring_full_exits, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_PAGE_FAULTS, c.page_faults, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_SET_SPTE, c.set_spte, DIRTYSCOPE_STAT_PAD);
    u64(DIRTYSCOPE_STAT_SET_SPTE_WRITABLE, c.set_spte_writable, DIRTYSCOPE_STAT_PAD);
    u32(DIRTYSCOPE_STAT_RING_SIZE, c.ring_size);
    u32(DIRTYSCOPE_STAT_RING_HIGH_WATER, c.ring_high_water);
  }
  // ds_put_vm(): identity, NR_VCPUS, STATS nest (totals), VCPU nests.
  void vm(std::uint64_t id, std::uint32_t pid, std::int32_t fd, const char* name,
          const std::vector<std::pair<std::uint32_t, KmodCounters>>& vcpus, bool per_vcpu) {
    if (reset_gen) u64(DIRTYSCOPE_ATTR_RESET_GEN, *reset_gen, DIRTYSCOPE_ATTR_PAD);
    vm_id(id, pid, fd, name);
    u32(DIRTYSCOPE_ATTR_NR_VCPUS, static_cast<std::uint32_t>(vcpus.size()));
    if (reset_gen) drops_nest(drops, false);
    KmodCounters sum;
    for (const auto& [vid, c] : vcpus) {
      sum.ring_pushes += c.ring_pushes, sum.ring_resets += c.ring_resets;
      sum.ring_reset_entries += c.ring_reset_entries, sum.ring_full_exits += c.ring_full_exits;
      sum.page_faults += c.page_faults, sum.set_spte += c.set_spte, sum.set_spte_writable += c.set_spte_writable;
      sum.ring_size = std::max(sum.ring_size, c.ring_size);
      sum.ring_high_water = std::max(sum.ring_high_water, c.ring_high_water);
    }
    nlattr* n = nest_start(DIRTYSCOPE_ATTR_STATS);
    counters(sum);
    // ds_put_vm() puts the VM's SPP counters after the summed ones.
    if (spp) {
      u64(DIRTYSCOPE_STAT_SPP_ALLOWED, spp->allowed, DIRTYSCOPE_STAT_PAD);
      u64(DIRTYSCOPE_STAT_SPP_DENIED, spp->denied, DIRTYSCOPE_STAT_PAD);
      u64(DIRTYSCOPE_STAT_SPP_EVENTS_DROPPED, spp->events_dropped, DIRTYSCOPE_STAT_PAD);
    }
    nest_end(n);
    if (!per_vcpu) return;
    std::uint32_t index = 0;
    for (const auto& [vid, c] : vcpus) {
      nlattr* v = nest_start(DIRTYSCOPE_ATTR_VCPU);
      u32(DIRTYSCOPE_STAT_VCPU_INDEX, index++);
      u32(DIRTYSCOPE_STAT_VCPU_ID, vid);
      counters(c);
      nest_end(v);
    }
  }

 private:
  static void ok(int rc) {
    if (rc < 0) throw std::runtime_error("nla_put failed");
  }
  CPtr<nl_msg, nlmsg_free> m_;
  bool pad64_;
};

inline const KmodCounters kVcpu0{100, 3, 90, 2, 150, 120, 110, 256, 192};
inline const KmodCounters kVcpu1{7, 3, 7, 0, 9, 8, 6, 256, 7};

// A GET_STATS reply as ds_nl_get_stats() sends it.
inline void get_stats_reply(ModuleMsg& m, std::uint64_t id = 5, std::uint32_t pid = 4242, std::int32_t fd = 9,
                     const char* name = "4242-9") {
  m.vm(id, pid, fd, name, {{0, kVcpu0}, {1, kVcpu1}}, true);
  m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 13, DIRTYSCOPE_ATTR_PAD);
}

constexpr SppCounters kSpp{.allowed = 41, .denied = 17, .events_dropped = 3};
constexpr DropCounters kVmDrops{.events = 4, .pending_events = 1, .vcpu_alloc = 2, .notify = 3};
constexpr DropCounters kModuleDrops{.events = 9,     .pending_events = 1, .vm_alloc = 5, .vm_table_full = 6,
                                    .vcpu_alloc = 2, .task = 7,           .notify = 3};

// Why `parse` refused its message (the KmodProtocolError's text), or
// "(accepted)".
template <typename Parse>
std::string rejection(Parse&& parse) {
  return dirtyscope::testing::what_thrown<KmodProtocolError>([&] { (void)parse(); }, "(accepted)");
}

// Why parse_kmod_vm() refused a message, or "(accepted)".
inline std::string error_of(nlmsghdr* h, std::uint8_t cmd = DIRTYSCOPE_CMD_GET_STATS) {
  return rejection([&] { return parse_kmod_vm(h, cmd); });
}

// A KmodVm with the given vCPUs, as kmod_since/kmod_to_dirty_stats see it.
inline KmodVm vm_of(std::uint64_t id, std::uint32_t pid, std::vector<KmodVcpu> vcpus) {
  const auto n = static_cast<std::uint32_t>(vcpus.size());
  return KmodVm{.id = id, .pid = pid, .name = std::to_string(pid) + "-" + std::to_string(id), .nr_vcpus = n,
                .vcpus = std::move(vcpus)};
}

// Builds a LIST_VMS message of a VM without vCPUs, `before()` added ahead
// of its STATS nest and `extra()` at the nest's end; says why
// parse_kmod_vm() refused it.
inline std::string list_vms_error(const std::function<void(ModuleMsg&)>& extra,
                                  const std::function<void(ModuleMsg&)>& before = {}) {
  ModuleMsg m(DIRTYSCOPE_CMD_LIST_VMS);
  m.vm_id(2, 77, 3, "77-3");
  m.u32(DIRTYSCOPE_ATTR_NR_VCPUS, 0);
  if (before) before(m);
  nlattr* n = m.nest_start(DIRTYSCOPE_ATTR_STATS);
  m.counters({});
  extra(m);
  m.nest_end(n);
  return error_of(m.hdr(), DIRTYSCOPE_CMD_LIST_VMS);
}

// Builds a GET_STATS message with `copies` VCPU nests, each holding index
// 0, id 0 and then `body(m)`, and says why parse_kmod_vm() refused it.
template <typename Body>
std::string vcpu_nest_error(Body&& body, int copies = 1) {
  ModuleMsg m(DIRTYSCOPE_CMD_GET_STATS);
  m.vm(5, 1, 3, "1-3", {}, true);
  for (int i = 0; i < copies; ++i) {
    nlattr* v = m.nest_start(DIRTYSCOPE_ATTR_VCPU);
    m.u32(DIRTYSCOPE_STAT_VCPU_INDEX, 0);
    m.u32(DIRTYSCOPE_STAT_VCPU_ID, 0);
    body(m);
    m.nest_end(v);
  }
  m.u64(DIRTYSCOPE_ATTR_UNATTRIBUTED, 0, DIRTYSCOPE_ATTR_PAD);
  return error_of(m.hdr());
}

}  // namespace dirtyscope::stats::kmod_test
