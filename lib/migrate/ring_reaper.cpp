#include "ring_reaper.hpp"

namespace dirtyscope::migrate {

RingReaper::RingReaper(Collector& collector, std::mutex& collector_mutex, uint64_t pages,
                       std::chrono::milliseconds period)
    : collector_(collector), collector_mutex_(collector_mutex), reaped_(pages), period_(period), thread_([this] { loop(); }) {}

void RingReaper::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RingReaper::loop() {
  while (!stop_) {
    {
      std::lock_guard lock(collector_mutex_);
      if (error_) return;
      try {
        collector_.collect(reaped_, Phase::Running);
        if (auto fault = collector_.take_fault()) error_ = *fault;
      } catch (const std::exception& e) {
        error_ = std::string("ring reaper: ") + e.what();
      }
      ++reaps_;
    }
    std::this_thread::sleep_for(period_);
  }
}

void RingReaper::take(DirtySet& into) {
  if (error_) throw CollectorError(*error_);
  into.merge_bitmap(0, reaped_.words(), reaped_.pages());
  reaped_.clear();
}

}  // namespace dirtyscope::migrate
