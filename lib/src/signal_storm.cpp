#include "dirtyscope/signal_storm.hpp"

#include <unistd.h>

#include <csignal>

#include "dirtyscope/error.hpp"

namespace dirtyscope {

static_assert(SignalStorm::kSignal == SIGUSR2);

void install_interrupting_handler(int signo) {
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sigaction(signo, &sa, nullptr);
}

// An interval timer aimed at this thread, not a thread that sends: a
// timer's expiry is an interrupt, so the signal turns pending in the middle
// of a system call (KVM_RESET_DIRTY_RINGS's loop) even on one CPU, where a
// sending thread runs only between the collector's system calls. A timer
// signal is never queued twice, so a thread slower than the timer meets one
// pending signal at a return to user space, never a backlog; the period is
// far above a no-op handler's round trip, which leaves the thread its own
// time between signals.
SignalStorm::SignalStorm() {
  install_interrupting_handler(kSignal);
  sigevent ev{};
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = kSignal;
  ev._sigev_un._tid = gettid();
  if (timer_create(CLOCK_MONOTONIC, &ev, &timer_) != 0) throw KvmError("timer_create", errno);
  const long ns = std::chrono::nanoseconds(kPeriod).count();
  const itimerspec every{.it_interval = {0, ns}, .it_value = {0, ns}};
  if (timer_settime(timer_, 0, &every, nullptr) != 0) {
    const int err = errno;
    timer_delete(timer_);
    throw KvmError("timer_settime", err);
  }
}

SignalStorm::~SignalStorm() { timer_delete(timer_); }

}  // namespace dirtyscope
