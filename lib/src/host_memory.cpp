#include "dirtyscope/host_memory.hpp"

#include <linux/memfd.h>
#include <linux/mman.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "dirtyscope/error.hpp"
#include "dirtyscope/page.hpp"

namespace dirtyscope {

const std::vector<BackingInfo>& all_backings() {
  static const std::vector<BackingInfo> list = {
      {Backing::Anonymous, "anonymous", "private anonymous memory, huge pages off"},
      {Backing::AnonymousThp, "anonymous_thp", "private anonymous memory, transparent huge pages"},
      {Backing::AnonymousHugetlb, "anonymous_hugetlb", "private hugetlbfs memory, 2 MiB pages"},
      {Backing::Shmem, "shmem", "shared memory from memfd_create"},
      {Backing::SharedHugetlb, "shared_hugetlb", "shared memfd on hugetlbfs, 2 MiB pages"},
  };
  return list;
}

std::optional<Backing> parse_backing(std::string_view name) {
  for (const auto& b : all_backings())
    if (name == b.name) return b.kind;
  return std::nullopt;
}

const char* backing_name(Backing b) {
  for (const auto& info : all_backings())
    if (info.kind == b) return info.name;
  return "?";
}

bool is_hugetlb(Backing b) {
  return b == Backing::AnonymousHugetlb || b == Backing::SharedHugetlb;
}

uint64_t backing_alignment(Backing b) {
  return (is_hugetlb(b) || b == Backing::AnonymousThp) ? kHugePage2M : kPageSize;
}

static uint64_t read_u64_file(const char* path) {
  std::ifstream f(path);
  uint64_t v = 0;
  f >> v;
  return v;
}

uint64_t host_available_bytes(Backing b) {
  if (is_hugetlb(b))
    return read_u64_file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") * kHugePage2M;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream in(line);
    std::string key;
    uint64_t kib = 0;
    if (in >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

// THP needs 2 MiB-aligned virtual addresses: map a little more, unmap the
// unaligned head and tail, and hand the aligned middle to its owner.
static Mapping map_aligned_anonymous(uint64_t size, uint64_t align) {
  void* raw = ::mmap(nullptr, size + align, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) throw KvmError("mmap anonymous memory", errno);
  auto base = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (base + align - 1) & ~(align - 1);
  uintptr_t end = aligned + size;
  if (aligned > base) ::munmap(raw, aligned - base);
  if (base + size + align > end) ::munmap(reinterpret_cast<void*>(end), base + size + align - end);
  return Mapping::adopt(reinterpret_cast<void*>(aligned), size);
}

HostMemory HostMemory::allocate(Backing backing, uint64_t size) {
  if (is_hugetlb(backing)) {
    uint64_t avail = host_available_bytes(backing);
    if (avail < size)
      throw SkipError("hugetlb backing needs " + std::to_string(size / kHugePage2M) +
                      " free 2 MiB huge pages, host has " + std::to_string(avail / kHugePage2M) +
                      " (see /proc/sys/vm/nr_hugepages)");
  }
  switch (backing) {
    case Backing::Anonymous: {
      Mapping m = Mapping::map("anonymous memory", size, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      ::madvise(m.get(), size, MADV_NOHUGEPAGE);
      return HostMemory(UniqueFd(), std::move(m));
    }
    case Backing::AnonymousThp: {
      Mapping m = map_aligned_anonymous(size, kHugePage2M);
      if (::madvise(m.get(), size, MADV_HUGEPAGE) != 0)
        throw SkipError("transparent huge pages unavailable (madvise MADV_HUGEPAGE failed)");
      return HostMemory(UniqueFd(), std::move(m));
    }
    case Backing::AnonymousHugetlb: {
      Mapping m = Mapping::map("hugetlb memory", size, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
      return HostMemory(UniqueFd(), std::move(m));
    }
    case Backing::Shmem:
    case Backing::SharedHugetlb: {
      unsigned flags = MFD_CLOEXEC;
      if (backing == Backing::SharedHugetlb) flags |= MFD_HUGETLB | MFD_HUGE_2MB;
      UniqueFd fd(::memfd_create("dirtyscope-guest-memory", flags));
      if (!fd.valid()) throw KvmError("memfd_create", errno);
      if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) throw KvmError("ftruncate memfd", errno);
      Mapping m = Mapping::map("shared memory", size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
      return HostMemory(std::move(fd), std::move(m));
    }
  }
  throw UsageError("unknown backing");
}

}  // namespace dirtyscope
