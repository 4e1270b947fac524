// One VM for spp_test: the SPP guest program on N vCPUs, each storing to
// its own guard pages inside a 2 MiB test region, an SppModel over that
// region, and the vCPU threads that hand every KVM_EXIT_MMIO to the model
// and log which store (by the guest's own count) made it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "dirtyscope/guest_vm.hpp"
#include "dirtyscope/dirty_set.hpp"
#include "dirtyscope/no_log_collector.hpp"
#include "dirtyscope/run_engine.hpp"
#include "dirtyscope/spp_model.hpp"
#include "dirtyscope/spp/spp_expectation.hpp"
#include "dirtyscope/spp/spp_options.hpp"

namespace dirtyscope {

struct SppExit {
  uint64_t store;  // the guest's store index when it exited
  SppDecision decision;
  // Whether host memory at the gpa, read right after the decision (the
  // vCPU still stopped), holds what the decision says: the stored bytes
  // when the write was applied, the bytes from before when it was denied.
  // A later store can overwrite the evidence; this cannot.
  bool memory_agrees;
};

class SppSession {
 public:
  // mode: a dirty-log mode, or "" for none.
  SppSession(const KvmSystem& kvm, const SppOptions& options, const std::string& mode = "");
  bool logging() const { return logging_; }
  // set_vectors as a VMM must do it with dirty logging on: drain the log,
  // split or merge the memslots, let the collector follow, and drain what
  // the new slots report at creation (clear-log's initially-set bits).
  // vCPUs are between rounds, out of KVM_RUN. Without logging, the same as
  // model().set_vectors, which may also be called while vCPUs run.
  void set_vectors(uint64_t gfn, uint64_t npages, uint32_t vector);
  // With vCPUs between rounds: what KVM logged since the last collection,
  // plus the pages the model wrote for the guest (region pages).
  DirtySet collect_dirty();
  uint64_t first_gfn() const;
  int vm_fd() { return guest_.vm().fd(); }

  uint32_t vcpus() const { return options_.vcpus; }
  uint64_t pages() const { return options_.pages_per_vcpu; }
  const SppOptions& options() const { return options_; }
  SppModel& model() { return model_; }
  // First guest frame of vCPU v's guard pages.
  uint64_t guard_gfn(uint32_t v) const;
  SppRoundPlan plan(uint32_t v, uint64_t round, uint64_t stores) const;
  // A copy of vCPU v's guard pages as the host sees them.
  std::vector<uint8_t> memory(uint32_t v) const;
  // Stores per round: the structured part plus --stores random ones.
  uint64_t stores_per_round() const;

  // One round on every vCPU; clears the exit logs first. Throws naming
  // the vCPU on a fatal exit or a round not finished within the limit.
  void run_round(uint64_t round) {
    prepare_round(round);
    run_prepared_round();
  }
  // The same in two steps, for a caller that must start watching the
  // guest's progress (writes()) only once it has been reset.
  void prepare_round(uint64_t round);
  void run_prepared_round();
  // From now on every vCPU repeats the prepared round until the session
  // ends (spp_bench's background load). Exit logs then grow without bound:
  // no round may be judged after this.
  void keep_guest_running();
  const std::vector<SppExit>& exits(uint32_t v) const { return exits_[v]; }
  uint64_t read_sum(uint32_t v);
  // How many stores of the current round vCPU v has completed.
  uint64_t writes(uint32_t v);

 private:
  bool on_exit(uint32_t index, Vcpu& vcpu);

  SppOptions options_;
  bool logging_;
  std::unique_ptr<Collector> collector_;
  GuestVm guest_;
  SppModel model_;
  std::vector<uint64_t> seeds_;               // by vCPU
  std::vector<std::vector<SppExit>> exits_;  // by vCPU: only its thread writes during a round
  std::unique_ptr<RunEngine> engine_;        // last: its threads stop before the rest goes
};

}  // namespace dirtyscope
