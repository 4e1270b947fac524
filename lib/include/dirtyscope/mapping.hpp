// Move-only owner of an mmap()ed range (kvm_run, dirty rings, guest memory).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <utility>

namespace dirtyscope {

class Mapping {
 public:
  Mapping() = default;
  // Maps `len` bytes; throws KvmError naming `what` on failure.
  static Mapping map(const char* what, size_t len, int prot, int flags, int fd, off_t offset);
  // Takes ownership of a range some other call mapped (e.g. after trimming).
  static Mapping adopt(void* addr, size_t len) { return Mapping(addr, len); }

  Mapping(Mapping&& other) noexcept
      : addr_(std::exchange(other.addr_, nullptr)), len_(std::exchange(other.len_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      unmap();
      addr_ = std::exchange(other.addr_, nullptr);
      len_ = std::exchange(other.len_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { unmap(); }

  void* get() const { return addr_; }
  template <typename T>
  T* as() const { return static_cast<T*>(addr_); }
  size_t size() const { return len_; }

 private:
  Mapping(void* addr, size_t len) : addr_(addr), len_(len) {}
  void unmap() {
    if (addr_) ::munmap(addr_, len_);
    addr_ = nullptr;
    len_ = 0;
  }
  void* addr_ = nullptr;
  size_t len_ = 0;
};

}  // namespace dirtyscope
