#include "dirtyscope/run_engine.hpp"

#include <stdexcept>
#include <thread>
#include <utility>

namespace dirtyscope {

RunEngine::RunEngine(GuestVm& guest, Collector& collector, std::chrono::milliseconds stall_timeout,
                     VcpuPool::FirstRun first, VcpuPool::ExitHandler other_exits)
    : collector_(collector), stall_timeout_(stall_timeout), pool_(guest, collector, first, std::move(other_exits)) {}

void RunEngine::check_pool() {
  if (auto err = pool_.error()) throw std::runtime_error(*err);
}

void RunEngine::start() {
  if (!pool_.wait_all_paused(stall_timeout_)) check_pool();
}

void RunEngine::pause() {
  if (!pool_.pause_all(stall_timeout_)) check_pool();
}

void RunEngine::wait_until(const std::function<std::string()>& behind, const std::string& stalled,
                           const std::function<void()>& tick) {
  // A stall is no progress for stall_timeout, not a slow guest: whenever
  // what is still behind changes (a vCPU's sweep or write count moved), the
  // limit starts again, so a slow kernel (KASAN under TCG) is waited for.
  auto deadline = std::chrono::steady_clock::now() + stall_timeout_;
  std::string last;
  for (;;) {
    if (tick) tick();
    const std::string still = behind();
    if (still.empty()) return;
    if (still != last) {
      last = still;
      deadline = std::chrono::steady_clock::now() + stall_timeout_;
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(stalled + " (no progress for " + std::to_string(stall_timeout_.count()) +
                               " ms): " + still);
    check_pool();
    {
      std::lock_guard lock(collector_mutex_);
      collector_.schedule().while_waiting();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace dirtyscope
