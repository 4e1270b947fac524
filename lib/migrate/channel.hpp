// The transport between the migration source and destination processes:
// one stream socket, typed frames, and an optional bandwidth cap on the
// page data (as QEMU's max-bandwidth caps its migration stream).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope::migrate {

enum class FrameType : uint32_t {
  Pages = 1,        // arg: round; count pages: count u64 indices, then count 4 KiB pages
  VcpuState = 2,    // count vCPUs: count VcpuState records
  End = 3,          // the source sent everything
  Applied = 4,      // destination: memory and vCPU state are in place
  Hashes = 5,       // destination: count SHA-256 digests (per page), then one of all memory
  Verdict = 6,      // source: arg = pages that differ; count u64 indices of those it lists
  PageWords = 9,    // destination: count u64, the listed pages' write counters (u64 2)
  Resumed = 7,      // destination: count ResumedVcpu records after resuming
  Error = 8,        // either side: count bytes of text, then it gives up
};

struct FrameHeader {
  FrameType type;
  uint32_t count;
  uint64_t arg;
};

// Thrown when the other side broke the protocol, hung up, or sent Error.
class ChannelError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Channel {
 public:
  explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}

  void send(FrameType type, uint32_t count, uint64_t arg, std::span<const std::byte> payload = {});
  // Sends `bytes` of page data through the bandwidth cap (if any).
  void send_paced(std::span<const std::byte> bytes);
  void send_raw(std::span<const std::byte> bytes);
  FrameHeader receive_header();
  // Reads exactly `bytes`; throws ChannelError on EOF.
  void receive(std::span<std::byte> bytes);
  // Receives a frame of `type`, or throws naming what came instead (an
  // Error frame's text, if that is what came).
  FrameHeader expect(FrameType type);

  // 0: unlimited. MB/s of paced data, counted from the first paced byte.
  void set_bandwidth(double mbps) { bandwidth_mbps_ = mbps; }
  uint64_t paced_bytes() const { return paced_bytes_; }

 private:
  UniqueFd fd_;
  double bandwidth_mbps_ = 0;
  uint64_t paced_bytes_ = 0;
  std::chrono::steady_clock::time_point paced_since_;
};

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span<const T>(&value, 1));
}
template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span<const T>(values));
}

}  // namespace dirtyscope::migrate
