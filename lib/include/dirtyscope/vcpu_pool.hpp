// One thread per vCPU, each looping on KVM_RUN until its guest reports a
// stop (lib/guest/protocol.h): DS_CMD_PAUSED, the pause/resume handshake
// of workload.c and migrate_workload.c (the runner sets pause_request),
// or DS_CMD_ITERATION_DONE, the end of a pass of the pass-based guests
// (perf_workload.c, spp_workload.c). A stopped thread blocks, without
// spinning (a spinning vCPU thread would steal the collector's CPU),
// until the runner lets it run on. Errors from any thread are kept,
// first wins.
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

class VcpuPool {
 public:
  // Handles an exit the pool does not know (spp_test: KVM_EXIT_MMIO) on the
  // vCPU's thread; true when the vCPU may run on, false to fail the run
  // with describe_fatal_exit(). May throw to fail it with its own message.
  using ExitHandler = std::function<bool(uint32_t index, Vcpu& vcpu)>;
  // Whether the threads enter KVM_RUN at once (pause guests: they report
  // PAUSED first, as GuestVm sets pause_request) or at the first run_pass.
  enum class FirstRun { AtOnce, OnRunPass };

  VcpuPool(GuestVm& guest, Collector& collector, FirstRun first = FirstRun::AtOnce, ExitHandler other_exits = {});
  ~VcpuPool();  // stops and joins every thread, kicking those inside KVM_RUN
  VcpuPool(const VcpuPool&) = delete;
  VcpuPool& operator=(const VcpuPool&) = delete;

  // Waits until every vCPU has reported its stop. False on error or
  // timeout (then error() says why).
  bool wait_all_paused(std::chrono::milliseconds timeout);
  // Sets pause_request on every vCPU and waits for them.
  bool pause_all(std::chrono::milliseconds timeout);
  // Clears pause_request and lets every stopped vCPU run on.
  void resume_all();
  // Starts one pass on every vCPU and returns once each has finished it.
  // Throws std::runtime_error naming the vCPU and what went wrong, or the
  // vCPUs that did not finish within `timeout`.
  void run_pass(std::chrono::milliseconds timeout);
  // -e: from now on a vCPU that finishes a pass starts the next at once,
  // until the pool is destroyed.
  void keep_running();
  std::optional<std::string> error() const;
  // Wall time vCPU threads spent in the collector's ring-full handling
  // (harvest + reset while the vCPU is stopped), since the pool started.
  // Read it only between passes.
  uint64_t ring_full_ns() const { return ring_full_ns_.load(); }

 private:
  void thread_main(uint32_t index);
  // Runs the vCPU until it reports a stop; false when it must quit.
  bool run_to_stop(uint32_t index);
  void fail(const std::string& why);
  // Lets every vCPU run on to its next stop.
  void next_generation();
  // Waits for every vCPU's stop; the error (`what` did not happen within
  // `timeout`) is kept when some did not.
  bool wait_all_stopped(std::chrono::milliseconds timeout, const std::string& what);

  GuestVm& guest_;
  Collector& collector_;
  ExitHandler other_exits_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t generation_;             // runs requested so far
  std::vector<uint64_t> stopped_;   // per vCPU: the generation of its last stop
  bool free_running_ = false;
  bool quit_ = false;
  std::optional<std::string> error_;
  std::atomic<uint64_t> ring_full_ns_{0};
  std::vector<std::thread> threads_;
};

}  // namespace dirtyscope
