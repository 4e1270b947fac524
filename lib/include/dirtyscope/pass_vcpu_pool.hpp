// One thread per vCPU for the pass-based guest programs (dirty_log_perf's
// perf_workload.c, spp_test's spp_workload.c): each pass (an SPP round)
// runs KVM_RUN until the guest reports DS_CMD_ITERATION_DONE,
// then the thread blocks, without spinning (2 cores here: a spinning
// vCPU thread would steal the collector's CPU), until the next pass. This
// is the kernel test's per-vCPU loop, with a condition variable for its
// busy-wait on the iteration number.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/guest_vm.hpp"

namespace dirtyscope {

class PassVcpuPool {
 public:
  // Handles an exit the pool does not know (spp_test: KVM_EXIT_MMIO) on the
  // vCPU's thread; true when the vCPU may run on, false to fail the run
  // with describe_fatal_exit(). May throw to fail it with its own message.
  using ExitHandler = std::function<bool(uint32_t index, Vcpu& vcpu)>;

  PassVcpuPool(GuestVm& guest, Collector& collector, ExitHandler other_exits = {});
  ~PassVcpuPool();  // stops and joins every thread, kicking those inside KVM_RUN
  PassVcpuPool(const PassVcpuPool&) = delete;
  PassVcpuPool& operator=(const PassVcpuPool&) = delete;

  // Starts one pass on every vCPU and returns once each has finished it.
  // Throws std::runtime_error naming the vCPU and what went wrong, or the
  // vCPUs that did not finish within `timeout`.
  void run_pass(std::chrono::milliseconds timeout);
  // -e: from now on a vCPU that finishes a pass starts the next at once,
  // until the pool is destroyed.
  void keep_running();
  // Wall time vCPU threads spent in the collector's ring-full handling
  // (harvest + reset while the vCPU is stopped), since the pool started.
  // Read it only between passes.
  uint64_t ring_full_ns() const { return ring_full_ns_.load(); }

 private:
  void thread_main(uint32_t index);
  // Runs the vCPU until it reports a finished pass; false when it must stop.
  bool run_one_pass(uint32_t index);
  void fail(const std::string& why);

  GuestVm& guest_;
  Collector& collector_;
  ExitHandler other_exits_;
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;           // passes requested so far
  std::vector<uint64_t> completed_;   // per vCPU: generation of its last finished pass
  bool free_running_ = false;
  bool quit_ = false;
  std::optional<std::string> error_;
  std::atomic<uint64_t> ring_full_ns_{0};
  std::vector<std::thread> threads_;
};

}  // namespace dirtyscope
