#include "dirtyscope/vcpu_pool.hpp"

#include <csignal>

#include "dirtyscope/error.hpp"
#include "dirtyscope/vcpu_exit.hpp"

namespace dirtyscope {


VcpuPool::VcpuPool(GuestVm& guest, Collector& collector)
    : guest_(guest), collector_(collector), paused_(guest.vcpus().size(), false) {
  install_vcpu_kick_handler();
  for (uint32_t i = 0; i < guest_.vcpus().size(); ++i)
    threads_.emplace_back([this, i] { thread_main(i); });
}

VcpuPool::~VcpuPool() { stop_and_join(); }

void VcpuPool::fail(const std::string& why) {
  std::lock_guard lock(mutex_);
  if (!error_) error_ = why;
  quit_ = true;
  cv_.notify_all();
}

std::optional<std::string> VcpuPool::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void VcpuPool::thread_main(uint32_t index) {
  Vcpu& vcpu = *guest_.vcpus()[index];
  try {
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (quit_) return;
      }
      if (vcpu.run() == -EINTR) continue;  // kicked: re-check quit_
      if (!handle_exit(index, vcpu)) return;
    }
  } catch (const std::exception& e) {
    fail("vCPU " + std::to_string(index) + ": " + e.what());
  }
}

bool VcpuPool::handle_exit(uint32_t index, Vcpu& vcpu) {
  kvm_run* run = vcpu.run_state();
  if (guest_command(run) == DS_CMD_PAUSED) {
    std::unique_lock lock(mutex_);
    paused_[index] = true;
    cv_.notify_all();
    uint64_t gen = generation_;
    cv_.wait(lock, [&] { return quit_ || generation_ != gen; });
    return !quit_;
  }
  switch (run->exit_reason) {  // any other guest command ends the run
    case KVM_EXIT_DIRTY_RING_FULL:
      collector_.on_ring_full(vcpu);
      return true;
    case KVM_EXIT_INTR:
      return true;
  }
  fail("vCPU " + std::to_string(index) + ": " + describe_fatal_exit(vcpu));
  return false;
}

bool VcpuPool::wait_all_paused(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (error_) return false;
    bool all = true;
    for (bool p : paused_) all = all && p;
    if (all) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string who;
      for (size_t i = 0; i < paused_.size(); ++i)
        if (!paused_[i]) who += (who.empty() ? "" : ",") + std::to_string(i);
      error_ = "vCPU(s) " + who + " did not pause within " + std::to_string(timeout.count()) +
               " ms (guest stuck or blocked on a full dirty ring)";
      return false;
    }
    lock.unlock();
    collector_.while_pausing();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(1));
  }
}

bool VcpuPool::pause_all(std::chrono::milliseconds timeout) {
  for (uint32_t i = 0; i < paused_.size(); ++i) guest_.params(i).pause_request = 1;
  return wait_all_paused(timeout);
}

void VcpuPool::resume_all() {
  std::lock_guard lock(mutex_);
  for (uint32_t i = 0; i < paused_.size(); ++i) {
    guest_.params(i).pause_request = 0;
    paused_[i] = false;
  }
  ++generation_;
  cv_.notify_all();
}

void VcpuPool::stop_and_join() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
    cv_.notify_all();
  }
  collector_.shutdown();
  // Threads inside KVM_RUN: immediate_exit covers a kick that lands just
  // before the thread enters the kernel; the kick signal covers one already inside.
  for (uint32_t i = 0; i < threads_.size(); ++i) {
    guest_.vcpus()[i]->run_state()->immediate_exit = 1;
    guest_.params(i).pause_request = 1;
  }
  for (auto& t : threads_) {
    while (t.joinable()) {
      pthread_kill(t.native_handle(), kVcpuKickSignal);
      // join cannot time out; the kick makes KVM_RUN return promptly.
      t.join();
    }
  }
}

}  // namespace dirtyscope
