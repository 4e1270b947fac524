#include "dirtyscope/vcpu_pool.hpp"

#include <csignal>
#include <cstdio>

#include "dirtyscope/error.hpp"

namespace dirtyscope {

namespace {
// SIGUSR1 only interrupts KVM_RUN (which then returns EINTR); the handler
// itself has nothing to do.
void kick_handler(int) {}
void install_kick_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, nullptr);
  });
}

const char* exception_name(uint64_t vector) {
  static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
                                "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
  return vector < sizeof(names) / sizeof(names[0]) ? names[vector] : "?";
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
}  // namespace

VcpuPool::VcpuPool(GuestVm& guest, Collector& collector)
    : guest_(guest), collector_(collector), paused_(guest.vcpus().size(), false) {
  install_kick_handler();
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
  const std::string who = "vCPU " + std::to_string(index) + ": ";
  switch (run->exit_reason) {
    case KVM_EXIT_IO: {
      if (run->io.port != DS_GUEST_PORT || run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4) {
        fail(who + "unexpected port I/O at port " + hex(run->io.port));
        return false;
      }
      uint32_t cmd = *reinterpret_cast<uint32_t*>(reinterpret_cast<uint8_t*>(run) + run->io.data_offset);
      if (cmd == DS_CMD_PAUSED) {
        std::unique_lock lock(mutex_);
        paused_[index] = true;
        cv_.notify_all();
        uint64_t gen = generation_;
        cv_.wait(lock, [&] { return quit_ || generation_ != gen; });
        return !quit_;
      }
      if (cmd == DS_CMD_EXCEPTION) {
        kvm_regs r = vcpu.get_regs();
        kvm_sregs s = vcpu.get_sregs();
        fail(who + "guest exception " + exception_name(r.rdi) + " (vector " + std::to_string(r.rdi) +
             ") error code " + hex(r.rsi) + " at rip " + hex(r.rcx) + ", cr2 " + hex(s.cr2));
        return false;
      }
      fail(who + "unknown guest command " + std::to_string(cmd));
      return false;
    }
    case KVM_EXIT_DIRTY_RING_FULL:
      collector_.on_ring_full(vcpu);
      return true;
    case KVM_EXIT_INTR:
      return true;
    case KVM_EXIT_SHUTDOWN:
      fail(who + "guest shut down (triple fault) at rip " + hex(vcpu.get_regs().rip));
      return false;
    case KVM_EXIT_FAIL_ENTRY:
      fail(who + "KVM_EXIT_FAIL_ENTRY, hardware reason " +
           hex(run->fail_entry.hardware_entry_failure_reason));
      return false;
    case KVM_EXIT_INTERNAL_ERROR:
      fail(who + "KVM_EXIT_INTERNAL_ERROR suberror " + std::to_string(run->internal.suberror) +
           " at rip " + hex(vcpu.get_regs().rip) +
           (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                ? " (KVM's instruction emulator could not run a guest instruction)"
                : ""));
      return false;
    default:
      fail(who + "unexpected exit reason " + std::to_string(run->exit_reason));
      return false;
  }
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
  // before the thread enters the kernel; SIGUSR1 covers one already inside.
  for (uint32_t i = 0; i < threads_.size(); ++i) {
    guest_.vcpus()[i]->run_state()->immediate_exit = 1;
    guest_.params(i).pause_request = 1;
  }
  for (auto& t : threads_) {
    while (t.joinable()) {
      pthread_kill(t.native_handle(), SIGUSR1);
      // join cannot time out; the kick makes KVM_RUN return promptly.
      t.join();
    }
  }
}

}  // namespace dirtyscope
