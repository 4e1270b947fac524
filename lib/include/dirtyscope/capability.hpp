// KVM_CHECK_EXTENSION, shared by the /dev/kvm and VM owners.
#pragma once

namespace dirtyscope {

// The kernel's answer for `cap` on `fd` (a /dev/kvm or VM fd): 0 when the
// capability is missing, else its value (often a size or count). A call
// that fails (bad fd, not a KVM fd) throws KvmError: read as 0 it would
// turn a broken fd into "capability missing", i.e. a silent skip.
int check_extension(int fd, long cap);

}  // namespace dirtyscope
