// SignalStorm interrupts the thread that made it, in the middle of a system
// call, and stops when it goes.
#include "dirtyscope/signal_storm.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace dirtyscope {
namespace {

// poll on a pipe nobody writes: only a signal ends it before `ms`.
int wait_on_empty_pipe(int ms) {
  int fds[2];
  if (pipe(fds) != 0) return -2;
  pollfd p{.fd = fds[0], .events = POLLIN, .revents = 0};
  const int r = poll(&p, 1, ms);
  const int err = errno;
  close(fds[0]);
  close(fds[1]);
  return r < 0 ? -err : r;
}

TEST(SignalStorm, InterruptsABlockedCallOfItsThread) {
  SignalStorm storm;
  // A generous limit: the timer fires every 100 us, but a loaded machine
  // may not run this thread for a while.
  EXPECT_EQ(wait_on_empty_pipe(30000), -EINTR) << "no signal within 30 s";
}

TEST(SignalStorm, StopsWhenDestroyed) {
  { SignalStorm storm; }
  EXPECT_EQ(wait_on_empty_pipe(300), 0) << "a signal arrived after the storm was gone";
}

}  // namespace
}  // namespace dirtyscope
