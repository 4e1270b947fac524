// The one owner of a C library's object (libnl, libbpf, a BPF skeleton):
// std::unique_ptr with the library's free function as its deleter, e.g.
// CPtr<nl_msg, nlmsg_free>. Move-only, freed once.
#pragma once

#include <memory>

namespace dirtyscope::stats {

template <auto Free>
struct CFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

template <typename T, auto Free>
using CPtr = std::unique_ptr<T, CFree<Free>>;

}  // namespace dirtyscope::stats
