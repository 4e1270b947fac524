#include "dirtyscope/mapping.hpp"

#include <cerrno>

#include "dirtyscope/error.hpp"

namespace dirtyscope {

Mapping Mapping::map(const char* what, size_t len, int prot, int flags, int fd, off_t offset) {
  void* p = ::mmap(nullptr, len, prot, flags, fd, offset);
  if (p == MAP_FAILED) throw KvmError(std::string("mmap ") + what, errno);
  return Mapping(p, len);
}

}  // namespace dirtyscope
