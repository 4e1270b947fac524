// The two bitmap interfaces: KVM_GET_DIRTY_LOG alone (fetch-and-protect in
// one call), and KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG with
// KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (fetch, then re-protect in chunks).
#pragma once

#include <random>
#include <vector>

#include "dirtyscope/collector.hpp"

namespace dirtyscope {

class DirtyLogCollector : public Collector {
 public:
  explicit DirtyLogCollector(Injection injection) : Collector(injection, {Injection::DropDirty, Injection::SkipClear}) {}
  const char* mode() const override { return "dirty-log"; }
  void prepare_vm(Vm&) override {}

 protected:
  void do_collect(DirtySet& into, Phase phase) override;

 private:
  // SkipClear: the previous Paused collection, handed back once instead of
  // a fresh one, as a collector with a stale buffer would.
  std::vector<std::vector<uint64_t>> previous_;
  uint64_t paused_collections_ = 0;
};

class ClearLogCollector : public Collector {
 public:
  // How KVM_CLEAR_DIRTY_LOG is issued: in pseudo-random chunks (the
  // selftest: exercises partial clears), or once per slot over all of it
  // (dirty_log_perf: what the kernel's dirty_log_perf_test does).
  enum class Chunks { Random, WholeSlot };
  ClearLogCollector(Injection injection, uint64_t seed, Chunks chunks = Chunks::Random)
      : Collector(injection, {Injection::DropDirty, Injection::SkipClear}), rng_(seed), chunks_(chunks) {}
  const char* mode() const override { return "clear-log"; }
  void prepare_vm(Vm& vm) override;

 protected:
  void do_collect(DirtySet& into, Phase phase) override;

 private:
  // Clears a slot's reported bits in chunks of pseudo-random size (multiples
  // of 64 pages, as KVM_CLEAR_DIRTY_LOG requires), never the whole slot at
  // once unless it is small, skipping chunks with nothing to clear.
  void clear_in_chunks(const RegionSlot& slot, uint64_t* bitmap);

  std::mt19937_64 rng_;
  Chunks chunks_;
  // SkipClear: this region page is never cleared again once chosen.
  std::optional<uint64_t> never_cleared_;
};

}  // namespace dirtyscope
