#include "dirtyscope/pass_vcpu_pool.hpp"

#include "dirtyscope/vcpu_exit.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace dirtyscope {

namespace {
uint64_t ns_since(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}
}  // namespace

PassVcpuPool::PassVcpuPool(GuestVm& guest, Collector& collector, ExitHandler other_exits)
    : guest_(guest), collector_(collector), other_exits_(std::move(other_exits)), completed_(guest.vcpus().size(), 0) {
  install_vcpu_kick_handler();
  for (uint32_t i = 0; i < guest_.vcpus().size(); ++i) threads_.emplace_back([this, i] { thread_main(i); });
}

PassVcpuPool::~PassVcpuPool() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
    cv_.notify_all();
  }
  collector_.shutdown();
  // immediate_exit covers a kick that lands just before a thread enters
  // KVM_RUN; the kick signal covers one already inside.
  for (auto& vcpu : guest_.vcpus()) vcpu->run_state()->immediate_exit = 1;
  for (auto& t : threads_) {
    pthread_kill(t.native_handle(), kVcpuKickSignal);
    t.join();
  }
}

void PassVcpuPool::fail(const std::string& why) {
  std::lock_guard lock(mutex_);
  if (!error_) error_ = why;
  cv_.notify_all();
}

void PassVcpuPool::thread_main(uint32_t index) {
  uint64_t pass = 0;
  try {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return quit_ || free_running_ || generation_ > pass; });
        if (quit_) return;
        pass = generation_;
      }
      if (!run_one_pass(index)) return;
      std::lock_guard lock(mutex_);
      completed_[index] = pass;
      cv_.notify_all();
    }
  } catch (const std::exception& e) {
    fail("vCPU " + std::to_string(index) + ": " + e.what());
  }
}

bool PassVcpuPool::run_one_pass(uint32_t index) {
  Vcpu& vcpu = *guest_.vcpus()[index];
  kvm_run* run = vcpu.run_state();
  const std::string who = "vCPU " + std::to_string(index) + ": ";
  for (;;) {
    if (vcpu.run() == -EINTR) {  // kicked: stop if asked to
      std::lock_guard lock(mutex_);
      if (quit_) return false;
      continue;
    }
    if (guest_command(run) == DS_CMD_ITERATION_DONE) return true;
    switch (run->exit_reason) {  // any other guest command ends the run
      case KVM_EXIT_DIRTY_RING_FULL: {
        // Collection work done on the vCPU's thread while it is stopped:
        // booked so the runner can count it as collection, not dirtying.
        const auto start = std::chrono::steady_clock::now();
        collector_.on_ring_full(vcpu);
        ring_full_ns_ += ns_since(start);
        continue;
      }
      case KVM_EXIT_INTR:
        continue;
    }
    if (other_exits_ && other_exits_(index, vcpu)) continue;
    throw std::runtime_error(who + describe_fatal_exit(vcpu));
  }
}

void PassVcpuPool::run_pass(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const uint64_t want = ++generation_;
  cv_.notify_all();
  const auto all_done = [&] {
    for (uint64_t c : completed_)
      if (c < want) return false;
    return true;
  };
  if (!cv_.wait_for(lock, timeout, [&] { return error_ || all_done(); })) {
    std::string who;
    for (size_t i = 0; i < completed_.size(); ++i)
      if (completed_[i] < want) {
        if (!who.empty()) who += ',';
        who += std::to_string(i);
      }
    throw std::runtime_error("vCPU(s) " + who + " did not finish pass " + std::to_string(want) + " within " +
                             std::to_string(timeout.count() / 1000) + " s");
  }
  if (error_) throw std::runtime_error(*error_);
}

void PassVcpuPool::keep_running() {
  std::lock_guard lock(mutex_);
  free_running_ = true;
  cv_.notify_all();
}

}  // namespace dirtyscope
