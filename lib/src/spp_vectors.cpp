#include "dirtyscope/spp_vectors.hpp"

#include <stdexcept>
#include <string>

namespace dirtyscope {

SubpageSpan subpages_of(uint32_t offset, uint32_t len) {
  if (len == 0 || offset >= 4096 || len > 4096 - offset)
    throw std::invalid_argument("SPP: a write of " + std::to_string(len) + " bytes at page offset " +
                                std::to_string(offset) + " does not fit in one page");
  return {offset / kSppSubpageSize, (offset + len - 1) / kSppSubpageSize};
}

std::optional<uint32_t> spp_denied_subpage(uint32_t vector, uint32_t offset, uint32_t len) {
  const SubpageSpan span = subpages_of(offset, len);
  for (uint32_t s = span.first; s <= span.last; ++s)
    if (!(vector >> s & 1)) return s;
  return std::nullopt;
}

void SppVectors::set(uint64_t gfn, uint64_t npages, uint32_t vector) {
  for (uint64_t g = gfn; g < gfn + npages; ++g) {
    if (vector == kSppFullAccess) vectors_.erase(g);
    else vectors_[g] = vector;
  }
}

uint32_t SppVectors::get(uint64_t gfn) const {
  auto it = vectors_.find(gfn);
  return it == vectors_.end() ? kSppFullAccess : it->second;
}

std::vector<uint32_t> SppVectors::get(uint64_t gfn, uint64_t npages) const {
  std::vector<uint32_t> out;
  out.reserve(npages);
  for (uint64_t g = gfn; g < gfn + npages; ++g) out.push_back(get(g));
  return out;
}

std::vector<SppRun> SppVectors::runs(uint64_t gfn, uint64_t pages) const {
  std::vector<SppRun> out;
  uint64_t g = gfn;
  const uint64_t end = gfn + pages;
  // Walk protected pages in order; the gaps between them are the
  // unprotected runs. O(protected pages in range), not O(pages).
  for (auto it = vectors_.lower_bound(gfn); g < end;) {
    if (it == vectors_.end() || it->first >= end) {
      out.push_back({g, end - g, false});
      break;
    }
    if (it->first > g) {
      out.push_back({g, it->first - g, false});
      g = it->first;
    }
    uint64_t run_end = g;
    while (it != vectors_.end() && it->first == run_end && run_end < end) {
      ++run_end;
      ++it;
    }
    out.push_back({g, run_end - g, true});
    g = run_end;
  }
  return out;
}

}  // namespace dirtyscope
