// One thread per vCPU, each looping on KVM_RUN, and the pause/resume
// handshake of the guest protocol (lib/guest/protocol.h): the runner sets
// pause_request, each vCPU reports DS_CMD_PAUSED and its thread blocks
// until the runner resumes it. Errors from any thread are kept, first wins.
#pragma once

#include <pthread.h>

#include <chrono>
#include <condition_variable>
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
  VcpuPool(GuestVm& guest, Collector& collector);
  ~VcpuPool();  // stops and joins every thread, kicking those inside KVM_RUN
  VcpuPool(const VcpuPool&) = delete;
  VcpuPool& operator=(const VcpuPool&) = delete;

  // Waits until every vCPU has reported PAUSED. False on error or timeout
  // (then error() says why).
  bool wait_all_paused(std::chrono::milliseconds timeout);
  // Sets pause_request on every vCPU and waits for them.
  bool pause_all(std::chrono::milliseconds timeout);
  // Clears pause_request and lets every paused vCPU run on.
  void resume_all();
  std::optional<std::string> error() const;

 private:
  void thread_main(uint32_t index);
  // Handles one exit; returns false when the thread must stop.
  bool handle_exit(uint32_t index, Vcpu& vcpu);
  void fail(const std::string& why);
  void stop_and_join();

  GuestVm& guest_;
  Collector& collector_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<bool> paused_;
  uint64_t generation_ = 0;  // bumped by resume_all
  bool quit_ = false;
  std::optional<std::string> error_;
  std::vector<std::thread> threads_;
};

}  // namespace dirtyscope
