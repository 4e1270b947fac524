#include "dirtyscope/signal_storm.hpp"

#include <sched.h>

#include <atomic>
#include <csignal>
#include <mutex>

namespace dirtyscope {

static_assert(SignalStorm::kSignal == SIGUSR2);

namespace {
// Signals handled so far, by every storm's target; lock-free, so the
// handler may touch it.
std::atomic<uint64_t> handled{0};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

void count_signal(int) { handled.fetch_add(1, std::memory_order_relaxed); }

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = count_signal;  // no SA_RESTART: interrupted calls return EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(SignalStorm::kSignal, &sa, nullptr);
  });
}
}  // namespace

SignalStorm::SignalStorm(pthread_t target) {
  install_handler();
  thread_ = std::thread([this, target] {
    while (!stop_.load(std::memory_order_relaxed)) {
      const uint64_t before = handled.load(std::memory_order_relaxed);
      pthread_kill(target, kSignal);
      // The next signal only once this one was handled, and after a pause:
      // a signal sent as soon as the last was handled can still be pending
      // at every return to user space, and then the target never runs its
      // own code again (seen: a 200 us sleep that never ended). The pause
      // is a pace, not a wait for anything.
      while (handled.load(std::memory_order_relaxed) == before && !stop_.load(std::memory_order_relaxed))
        sched_yield();
      std::this_thread::sleep_for(kPace);
    }
  });
}

SignalStorm::~SignalStorm() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

}  // namespace dirtyscope
