// Parsing of user-given numbers and sizes ("1G", "512M", "0x1000"), shared
// by every command so each reports bad input the same way (UsageError).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dirtyscope {

// Bytes from "123", "0x1000", "4K", "256M", "1G", "1T" (binary units).
uint64_t parse_size(std::string_view flag, std::string_view text);
// Unsigned integer within [min, max], decimal or 0x-hex.
uint64_t parse_uint(std::string_view flag, std::string_view text, uint64_t min, uint64_t max);
// "1G", "256M", "12K" or plain bytes, for messages.
std::string format_size(uint64_t bytes);

}  // namespace dirtyscope
