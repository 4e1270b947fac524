#include "dirtyscope/vcpu_pool.hpp"

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <utility>

#include "dirtyscope/signal_storm.hpp"
#include "dirtyscope/text_list.hpp"
#include "dirtyscope/vcpu_exit.hpp"

namespace dirtyscope {

static_assert(kVcpuKickSignal == SIGUSR1);

VcpuPool::VcpuPool(GuestVm& guest, Collector& collector, FirstRun first, ExitHandler other_exits)
    : guest_(guest),
      collector_(collector),
      other_exits_(std::move(other_exits)),
      generation_(first == FirstRun::AtOnce ? 1 : 0),
      stopped_(guest.vcpus().size(), 0) {
  install_interrupting_handler(kVcpuKickSignal);
  for (uint32_t i = 0; i < guest_.vcpus().size(); ++i) threads_.emplace_back([this, i] { thread_main(i); });
}

VcpuPool::~VcpuPool() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
    cv_.notify_all();
  }
  collector_.shutdown();
  // immediate_exit covers a kick that lands just before a thread enters
  // KVM_RUN; the kick signal covers one already inside.
  for (uint32_t i = 0; i < threads_.size(); ++i) {
    guest_.vcpus()[i]->run_state()->immediate_exit = 1;
    guest_.params(i).pause_request = 1;
  }
  for (auto& t : threads_) {
    pthread_kill(t.native_handle(), kVcpuKickSignal);
    t.join();
  }
}

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
  uint64_t ran = 0;
  try {
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return quit_ || free_running_ || generation_ > ran; });
        if (quit_) return;
        ran = generation_;
      }
      if (!run_to_stop(index)) return;
      std::lock_guard lock(mutex_);
      stopped_[index] = ran;
      cv_.notify_all();
    }
  } catch (const std::exception& e) {
    fail("vCPU " + std::to_string(index) + ": " + e.what());
  }
}

bool VcpuPool::run_to_stop(uint32_t index) {
  Vcpu& vcpu = *guest_.vcpus()[index];
  kvm_run* run = vcpu.run_state();
  for (;;) {
    if (vcpu.run() == -EINTR) {  // kicked: stop if asked to
      std::lock_guard lock(mutex_);
      if (quit_) return false;
      continue;
    }
    const auto command = guest_command(run);
    if (command == DS_CMD_PAUSED || command == DS_CMD_ITERATION_DONE) return true;
    switch (run->exit_reason) {  // any other guest command ends the run
      case KVM_EXIT_DIRTY_RING_FULL: {
        // Collection work done on the vCPU's thread while it is stopped:
        // booked so a benchmark can count it as collection, not dirtying.
        const auto start = std::chrono::steady_clock::now();
        collector_.on_ring_full(vcpu);
        ring_full_ns_ += ns_since(start);
        continue;
      }
      case KVM_EXIT_INTR:
        continue;
    }
    if (other_exits_ && other_exits_(index, vcpu)) continue;
    throw std::runtime_error(describe_fatal_exit(vcpu));
  }
}

bool VcpuPool::wait_all_stopped(std::chrono::milliseconds timeout, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (error_) return false;
    const std::string who = indices_where(stopped_.size(), [&](size_t i) { return stopped_[i] < generation_; });
    if (who.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      error_ = "vCPU(s) " + who + " did not " + what + " within " + std::to_string(timeout.count()) +
               " ms (guest stuck or blocked on a full dirty ring)";
      return false;
    }
    lock.unlock();
    collector_.schedule().while_pausing();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(1));
  }
}

bool VcpuPool::wait_all_paused(std::chrono::milliseconds timeout) { return wait_all_stopped(timeout, "pause"); }

bool VcpuPool::pause_all(std::chrono::milliseconds timeout) {
  for (uint32_t i = 0; i < stopped_.size(); ++i) guest_.params(i).pause_request = 1;
  return wait_all_paused(timeout);
}

void VcpuPool::next_generation() {
  std::lock_guard lock(mutex_);
  ++generation_;
  cv_.notify_all();
}

void VcpuPool::resume_all() {
  for (uint32_t i = 0; i < stopped_.size(); ++i) guest_.params(i).pause_request = 0;
  next_generation();
}

void VcpuPool::run_pass(std::chrono::milliseconds timeout) {
  next_generation();
  if (!wait_all_stopped(timeout, "finish pass " + std::to_string(generation_))) throw std::runtime_error(*error());
}

void VcpuPool::keep_running() {
  std::lock_guard lock(mutex_);
  free_running_ = true;
  cv_.notify_all();
}

}  // namespace dirtyscope
