// dirtyscope.ko's generic netlink replies as the stats source parses them
// (parse_kmod_vm, parse_kmod_event): pure functions on one message, so the
// fuzzer feeds them directly. Byte 0 picks the command the client expects
// (LIST_VMS, GET_STATS or EVENT); the rest is the message, netlink header
// first. Any message either parses or throws KmodProtocolError; anything
// else is a finding.
#include <linux/dirtyscope.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dirtyscope/stats/kmod_stats_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dirtyscope::stats;
  if (size < 1) return 0;
  const std::uint8_t which = data[0] % 3;
  ++data;
  --size;
  if (size < sizeof(nlmsghdr)) return 0;
  // A receive buffer is 4-byte aligned; the parser may rely on that
  // (netlink's own alignment), so give it the same, and nothing beyond
  // `size`, so ASan sees any over-read.
  std::vector<std::uint32_t> words((size + 3) / 4);
  std::memcpy(words.data(), data, size);
  const auto* msg = reinterpret_cast<const nlmsghdr*>(words.data());
  // libnl hands on only messages that fit in what was received (nlmsg_ok).
  if (msg->nlmsg_len < sizeof(nlmsghdr) || msg->nlmsg_len > size) return 0;
  try {
    switch (which) {
      case 0: (void)parse_kmod_vm(msg, DIRTYSCOPE_CMD_LIST_VMS); break;
      case 1: (void)parse_kmod_vm(msg, DIRTYSCOPE_CMD_GET_STATS); break;
      default: (void)parse_kmod_event(msg); break;
    }
  } catch (const KmodProtocolError&) {
  }
  return 0;
}
