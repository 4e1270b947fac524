#include "dirtyscope/stats/stats_window.hpp"

namespace dirtyscope::stats {

DirtyStats StatsWindow::close(pid_t pid) {
  DirtyStats d = delta(source_.snapshot(), before_);
  // Module-wide drops and notes stay: they may explain this process's counts.
  DirtyStats mine{d.source, {}, d.drops, d.inexact};
  if (auto it = d.vms.find(pid); it != d.vms.end()) mine.vms.insert(*it);
  return mine;
}

}  // namespace dirtyscope::stats
