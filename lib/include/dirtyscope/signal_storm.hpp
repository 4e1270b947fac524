// Keeps a signal arriving at the thread that creates it, for as long as it
// lives: what a VMM's collector thread meets when timers, migration control
// or debuggers signal it. The handler does nothing and is installed without
// SA_RESTART, so a system call it interrupts returns EINTR to the caller.
#pragma once

#include <chrono>
#include <ctime>

namespace dirtyscope {

// Makes `signo` only interrupt the thread it reaches: a handler that does
// nothing, installed without SA_RESTART, so a system call it lands in
// returns EINTR (KVM_RUN for the vCPU kick, KVM_RESET_DIRTY_RINGS here).
void install_interrupting_handler(int signo);

class SignalStorm {
 public:
  // SIGUSR2: SIGUSR1 is the vCPU kick, which only vCPU threads receive.
  static constexpr int kSignal = 12;  // SIGUSR2
  // The timer's period.
  static constexpr std::chrono::microseconds kPeriod{100};

  // Starts signalling the calling thread at once.
  SignalStorm();
  // Stops the timer; a signal already pending is still delivered.
  ~SignalStorm();
  SignalStorm(const SignalStorm&) = delete;
  SignalStorm& operator=(const SignalStorm&) = delete;

 private:
  timer_t timer_;
};

}  // namespace dirtyscope
