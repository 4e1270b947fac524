#include "dirtyscope/vcpu_exit.hpp"

#include <csignal>
#include <mutex>

namespace dirtyscope {

static_assert(kVcpuKickSignal == SIGUSR1);

namespace {
void kick_handler(int) {}
}  // namespace

void install_vcpu_kick_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(kVcpuKickSignal, &sa, nullptr);
  });
}

}  // namespace dirtyscope
