// Sub-page write protection (SPP) as the never-merged "Enable Sub-Page
// Write Protection Support" series defines it: every 4 KiB guest page can
// carry a 32-bit write-permission vector, one bit per 128-byte sub-page.
// A write is allowed only if the bit of every sub-page it touches is set;
// reads are never affected. This is the pure bookkeeping: which pages are
// protected with which vector, and the rule. SppModel puts it on KVM.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace dirtyscope {

inline constexpr uint32_t kSppSubpageSize = 128;
// All 32 bits set: the page is writable everywhere, i.e. unprotected.
inline constexpr uint32_t kSppFullAccess = 0xffffffffu;

// First and last sub-page a write of `len` bytes at page offset `offset`
// touches (the write must stay inside the page).
struct SubpageSpan {
  uint32_t first;
  uint32_t last;
};
SubpageSpan subpages_of(uint32_t offset, uint32_t len);

// The rule: allowed iff every touched sub-page's bit is set. Returns the
// first denied sub-page, or nullopt when the write is allowed.
std::optional<uint32_t> spp_denied_subpage(uint32_t vector, uint32_t offset, uint32_t len);

// A run of consecutive gfns that are all protected, or all not.
struct SppRun {
  uint64_t gfn;
  uint64_t pages;
  bool protected_;
};

class SppVectors {
 public:
  // The series' set/get API. Setting kSppFullAccess unprotects.
  void set(uint64_t gfn, uint64_t npages, uint32_t vector);
  uint32_t get(uint64_t gfn) const;
  std::vector<uint32_t> get(uint64_t gfn, uint64_t npages) const;
  bool is_protected(uint64_t gfn) const { return vectors_.count(gfn) != 0; }
  uint64_t protected_pages() const { return vectors_.size(); }

  // [gfn, gfn + pages) as maximal runs of protected and unprotected pages:
  // the memslot layout SppModel wants.
  std::vector<SppRun> runs(uint64_t gfn, uint64_t pages) const;

 private:
  std::map<uint64_t, uint32_t> vectors_;  // protected pages only
};

}  // namespace dirtyscope
