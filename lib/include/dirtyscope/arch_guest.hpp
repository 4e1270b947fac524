// The guest image of the architecture this library is built for: the one
// seam between the arch-neutral runners (GuestVm, the vCPU pools, the
// modes) and x86/ or arm64/.
#pragma once

#if defined(__aarch64__)
#include "dirtyscope/arm64/guest_image.hpp"
namespace dirtyscope {
using ArchGuestImage = arm64::GuestImage;
}  // namespace dirtyscope
#else
#include "dirtyscope/x86/guest_image.hpp"
namespace dirtyscope {
using ArchGuestImage = x86::GuestImage;
}  // namespace dirtyscope
#endif
