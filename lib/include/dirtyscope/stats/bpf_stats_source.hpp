// BpfStatsSource: dirty-tracking statistics from BPF programs on KVM's
// tracepoints. Construction opens the BPF object, sets the knobs, loads and
// attaches; destruction detaches and frees everything (one owner, RAII).
// Throws StatsUnavailable when BPF cannot be used here (privilege, BPF
// disabled, no tracepoints), std::runtime_error for anything else.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string_view>

#include "dirtyscope/stats/stats_source.hpp"

namespace dirtyscope::stats {

// How the KVM hooks are attached. Auto picks tp_btf when the kernel has
// BTF for the tracepoint, raw_tp otherwise, and the BTF-free classic
// tracepoint object when the kernel has no BTF at all. The others force a
// variant (tests use them to exercise every fallback).
enum class AttachMode { Auto, TpBtf, RawTp, Tp };
constexpr std::string_view attach_mode_name(AttachMode mode) {
  switch (mode) {
    case AttachMode::Auto: return "auto";
    case AttachMode::TpBtf: return "tp_btf";
    case AttachMode::RawTp: return "raw_tp";
    case AttachMode::Tp: return "tp";
  }
  return "?";
}

struct BpfOptions {
  pid_t pid = 0;                 // count only this process (tgid); 0 = all
  AttachMode mode = AttachMode::Auto;
};

class BpfStatsSource final : public StatsSource {
 public:
  explicit BpfStatsSource(BpfOptions options = {});
  ~BpfStatsSource() override;
  BpfStatsSource(BpfStatsSource&&) noexcept;
  BpfStatsSource& operator=(BpfStatsSource&&) noexcept;
  BpfStatsSource(const BpfStatsSource&) = delete;
  BpfStatsSource& operator=(const BpfStatsSource&) = delete;

  std::string_view name() const override { return "bpf"; }
  DirtyStats snapshot() override;

  // The variant actually attached (never Auto).
  AttachMode mode() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dirtyscope::stats
