// The read rule, private to lib/stats' kmod source (see kmod_visibility.cpp).
#pragma once

#include <sys/types.h>

namespace dirtyscope::stats::kmod {

// Refuses a pid whose VMs the module would hide: an empty view would read
// as "this process has no VMs". A pid that does not exist (yet) passes.
void check_visible(pid_t pid);

}  // namespace dirtyscope::stats::kmod
