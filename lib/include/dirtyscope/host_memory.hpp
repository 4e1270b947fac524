// Host memory that backs a memslot, in each backing kind the kernel's
// selftests know. Owns its mapping (and memfd where there is one).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dirtyscope/mapping.hpp"
#include "dirtyscope/unique_fd.hpp"

namespace dirtyscope {

enum class Backing { Anonymous, AnonymousThp, AnonymousHugetlb, Shmem, SharedHugetlb };

struct BackingInfo {
  Backing kind;
  const char* name;         // the -s spelling, a contract
  const char* description;  // for -h
};
const std::vector<BackingInfo>& all_backings();
std::optional<Backing> parse_backing(std::string_view name);
const char* backing_name(Backing b);
// hugetlbfs: its shortfalls are a skip (no free huge pages), not a usage error.
bool is_hugetlb(Backing b);
// Alignment a slot of this backing needs (host page or huge page size).
uint64_t backing_alignment(Backing b);

// How much memory of this backing the host can give us now: MemAvailable for
// anonymous/shmem, free huge pages for hugetlb. Used to refuse -b early.
uint64_t host_available_bytes(Backing b);

class HostMemory {
 public:
  // Allocates `size` bytes. Hugetlb without enough free huge pages throws
  // SkipError naming what is missing.
  static HostMemory allocate(Backing backing, uint64_t size);

  uint8_t* data() const { return mapping_.as<uint8_t>(); }
  uint64_t size() const { return mapping_.size(); }

 private:
  HostMemory(UniqueFd fd, Mapping m) : memfd_(std::move(fd)), mapping_(std::move(m)) {}
  UniqueFd memfd_;
  Mapping mapping_;
};

}  // namespace dirtyscope
