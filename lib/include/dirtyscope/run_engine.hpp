// The run engine every program drives: one vCPU pool and one collection
// loop, in which the collector's schedule is served while the program
// waits for its guest. A program adds only its own part: what a
// collection is for (dirty_log_test: the verdict; dirty_log_perf: the
// timings; migrate: the stream and checksums; spp_test: the SPP model)
// and when its guest is done.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "dirtyscope/collector.hpp"
#include "dirtyscope/guest_vm.hpp"
#include "dirtyscope/vcpu_pool.hpp"

namespace dirtyscope {

class RunEngine {
 public:
  // Errors end the run as exceptions: std::runtime_error with a vCPU
  // thread's error, or with the program's words for a guest that stalled.
  RunEngine(GuestVm& guest, Collector& collector, std::chrono::milliseconds stall_timeout,
            VcpuPool::FirstRun first = VcpuPool::FirstRun::AtOnce, VcpuPool::ExitHandler other_exits = {});

  // Pause guests: waits for every vCPU's first PAUSED report.
  void start();
  void pause();
  void resume() { pool_.resume_all(); }
  // Pass guests: one pass on every vCPU.
  void run_pass() { pool_.run_pass(stall_timeout_); }
  VcpuPool& pool() { return pool_; }

  // The collection loop: until `behind()` is empty, calls `tick` (the
  // program's collections while vCPUs run, when it wants them), then the
  // schedule's while_waiting, every 200 us. Throws the vCPU pool's error,
  // or, once the stall timeout is over, "`stalled` (no progress for N ms):
  // <what is behind>".
  void wait_until(const std::function<std::string()>& behind, const std::string& stalled,
                  const std::function<void()>& tick = {});
  // Held around the schedule's while_waiting; a thread that collects
  // beside the loop (migrate's reaper) takes it too.
  std::mutex& collector_mutex() { return collector_mutex_; }

 private:
  void check_pool();

  Collector& collector_;
  std::chrono::milliseconds stall_timeout_;
  std::mutex collector_mutex_;
  VcpuPool pool_;  // last: its threads stop before the rest goes
};

}  // namespace dirtyscope
