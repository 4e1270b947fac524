// What a statistics source counted for one process between two moments:
// open() when a VM is ready, close() when its run is over but it still
// exists (the kernel module forgets a VM once it is destroyed).
#pragma once

#include <sys/types.h>

#include "dirtyscope/stats/stats_source.hpp"

namespace dirtyscope::stats {

class StatsWindow {
 public:
  explicit StatsWindow(StatsSource& source) : source_(source) {}
  void open() { before_ = source_.snapshot(); }
  // The source's counts since open(), keeping only process `pid`.
  DirtyStats close(pid_t pid);

 private:
  StatsSource& source_;
  DirtyStats before_;
};

}  // namespace dirtyscope::stats
