// A collector that logs nothing: test memslots without
// KVM_MEM_LOG_DIRTY_PAGES, for programs that need a GuestVm but no dirty
// tracking (spp_test without -M).
#pragma once

#include "dirtyscope/collector.hpp"

namespace dirtyscope {

class NoLogCollector : public Collector {
 public:
  NoLogCollector() : Collector(Injection::None, {}) { memslot_flags_ = 0; }
  const char* mode() const override { return "none"; }
  void prepare_vm(Vm&) override {}

 protected:
  void do_collect(DirtySet&, Phase) override {}
};

}  // namespace dirtyscope
