// The host's half of the guest's write mix (lib/guest/protocol.h; its
// parts and what each catches: docs/modes-and-verifier.md, "What verified
// means"): which pages each vCPU sweeps and rewrites in an iteration, and
// whether it has done them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dirtyscope/guest_vm.hpp"

namespace dirtyscope {

struct WriteMixOptions {
  bool sweep = true;    // --no-sweep turns it off
  bool rewrite = true;  // --no-rewrite turns carry and recent off
};

class WriteMix {
 public:
  WriteMix(GuestVm& guest, uint32_t iterations, WriteMixOptions options);

  // vCPUs paused, before logging is on: every vCPU writes its whole share
  // once, so the memory is mapped writable when logging starts, as in a VM
  // that ran before its migration began.
  void plan_populate();
  // vCPUs paused, before iteration k (1-based): this iteration's windows.
  void plan_iteration(uint64_t k);
  // After a collection made while vCPUs run: each vCPU that finished its
  // last recent range gets the pages it swept since then.
  void after_running_collection();
  // Empty once every vCPU has written its sweep, carry and recent pages;
  // else who is behind and where.
  std::string pending();

 private:
  struct Share {
    uint64_t first = 0, pages = 0, window = 0;
    uint64_t recent_next = 0;  // first swept page not yet in a recent range
  };
  GuestVm& guest_;
  WriteMixOptions options_;
  std::vector<Share> shares_;
};

}  // namespace dirtyscope
