// A thread that keeps a signal pending on another thread, for as long as it
// lives: what a VMM's collector thread meets when timers, migration control
// or debuggers signal it. The handler does nothing and is installed without
// SA_RESTART, so an ioctl it interrupts returns EINTR to the caller.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace dirtyscope {

class SignalStorm {
 public:
  // SIGUSR2: SIGUSR1 is the vCPU kick, which only vCPU threads receive.
  static constexpr int kSignal = 12;  // SIGUSR2
  // Between a handled signal and the next one.
  static constexpr std::chrono::microseconds kPace{20};

  // Starts signalling `target` at once; it must outlive this object.
  explicit SignalStorm(pthread_t target);
  // Stops signalling and joins the thread.
  ~SignalStorm();
  SignalStorm(const SignalStorm&) = delete;
  SignalStorm& operator=(const SignalStorm&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace dirtyscope
