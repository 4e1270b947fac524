// A dirty-ring reaper like QEMU's: a thread that keeps harvesting (and
// resetting) the rings while the migration thread sends, so each round
// takes what was reaped since the last one and vCPUs seldom fill a ring.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dirtyscope/collector.hpp"

namespace dirtyscope::migrate {

class RingReaper {
 public:
  // `collector_mutex` serialises every collect() on `collector` (the
  // migration thread takes it too).
  RingReaper(Collector& collector, std::mutex& collector_mutex, uint64_t pages, std::chrono::milliseconds period);
  ~RingReaper() { stop(); }
  // Joins the thread (call without collector_mutex held); take() then
  // returns everything it ever reaped. Idempotent.
  void stop();
  RingReaper(const RingReaper&) = delete;
  RingReaper& operator=(const RingReaper&) = delete;

  // ORs what was reaped since the last call into `into`; call with
  // collector_mutex held. Rethrows what the thread caught (a broken ring).
  void take(DirtySet& into);
  uint64_t reaps() const { return reaps_.load(); }

 private:
  void loop();

  Collector& collector_;
  std::mutex& collector_mutex_;
  DirtySet reaped_;  // guarded by collector_mutex_
  std::chrono::milliseconds period_;
  std::optional<std::string> error_;  // guarded by collector_mutex_
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> reaps_{0};
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace dirtyscope::migrate
