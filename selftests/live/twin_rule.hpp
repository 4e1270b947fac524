// The rule every live suite holds its negative twins to: a twin may skip
// only where the host lacks what it needs (a KVM capability, or /dev/kvm
// itself); any other skip means the fault never had its chance, and fails.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace dirtyscope::live {

inline bool missing_capability(const std::string& reason) {
  return reason.find("KVM_CAP_") != std::string::npos || reason.find("/dev/kvm") != std::string::npos;
}

}  // namespace dirtyscope::live

// In a negative twin: skip for a missing capability, fail for any other skip.
#define SKIP_TWIN_UNLESS_CAPABILITY(skipped, why)                                 \
  if (skipped) {                                                                  \
    if (dirtyscope::live::missing_capability(why)) GTEST_SKIP() << (why);         \
    FAIL() << "a negative twin skipped, not for a missing capability: " << (why); \
  }
