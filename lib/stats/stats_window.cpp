#include "dirtyscope/stats/stats_window.hpp"

namespace dirtyscope::stats {

DirtyStats StatsWindow::close(pid_t pid) {
  DirtyStats d = delta(source_.snapshot(), before_);
  // Module-wide drops and notes stay, so a mismatch can name them; only
  // this process's own drops (in its VmStats) can excuse one.
  DirtyStats mine{d.source, {}, d.drops, d.inexact};
  if (auto it = d.vms.find(pid); it != d.vms.end()) mine.vms.insert(*it);
  return mine;
}

}  // namespace dirtyscope::stats
