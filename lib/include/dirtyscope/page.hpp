// Guest and host page geometry: x86-64 with 4 KiB base pages.
#pragma once

#include <cstdint>

namespace dirtyscope {
inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kHugePage2M = 2ULL << 20;
}  // namespace dirtyscope
