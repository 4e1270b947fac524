#include "channel.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace dirtyscope::migrate {

void Channel::send_raw(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a destination that died is an error here, not SIGPIPE.
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ChannelError(std::string("migration stream: send: ") + std::strerror(errno));
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

void Channel::send(FrameType type, uint32_t count, uint64_t arg, std::span<const std::byte> payload) {
  const FrameHeader h{type, count, arg};
  send_raw(bytes_of(h));
  send_raw(payload);
}

void Channel::send_paced(std::span<const std::byte> bytes) {
  if (bandwidth_mbps_ > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (paced_bytes_ == 0) paced_since_ = now;
    // Sleep until the bytes sent so far fit the cap; then send this chunk.
    const auto due = paced_since_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(double(paced_bytes_) / (bandwidth_mbps_ * 1e6)));
    if (due > now) std::this_thread::sleep_until(due);
  }
  paced_bytes_ += bytes.size();
  send_raw(bytes);
}

void Channel::receive(std::span<std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::recv(fd_.get(), bytes.data(), bytes.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ChannelError(std::string("migration stream: recv: ") + std::strerror(errno));
    }
    if (n == 0) throw ChannelError("migration stream: the other side hung up");
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

FrameHeader Channel::receive_header() {
  FrameHeader h{};
  receive(std::as_writable_bytes(std::span<FrameHeader>(&h, 1)));
  return h;
}

FrameHeader Channel::expect(FrameType type) {
  const FrameHeader h = receive_header();
  if (h.type == type) return h;
  if (h.type == FrameType::Error) {
    std::string text(h.count, '\0');
    receive(std::as_writable_bytes(std::span<char>(text.data(), text.size())));
    throw ChannelError(text);
  }
  throw ChannelError("migration stream: expected frame " + std::to_string(uint32_t(type)) + ", got " +
                     std::to_string(uint32_t(h.type)));
}

}  // namespace dirtyscope::migrate
