#include "perf_pages.hpp"

namespace dirtyscope::bench {

uint64_t writes_in_pass(const PassRegion& r) {
  const uint64_t stride = r.stride ? r.stride : 1;
  return (r.pages + stride - 1) / stride;
}

DirtySet pages_written(uint64_t region_pages, const std::vector<PassRegion>& regions) {
  DirtySet written(region_pages);
  for (const PassRegion& r : regions) {
    const uint64_t stride = r.stride ? r.stride : 1;
    for (uint64_t p = 0; p < r.pages; p += stride) written.set(r.first_page + p);
  }
  return written;
}

namespace {

// How many pages of `a` are not in `b`, and the first of them.
struct Difference {
  uint64_t count = 0;
  uint64_t first = 0;
};

Difference minus(const DirtySet& a, const DirtySet& b) {
  Difference d;
  const uint64_t words = (a.pages() + 63) / 64;
  for (uint64_t w = 0; w < words; ++w) {
    const uint64_t only_a = a.words()[w] & ~b.words()[w];
    if (!only_a) continue;
    if (d.count == 0) d.first = w * 64 + static_cast<uint64_t>(__builtin_ctzll(only_a));
    d.count += static_cast<uint64_t>(__builtin_popcountll(only_a));
  }
  return d;
}

std::string describe(const Difference& d, const char* what) {
  std::string s = std::to_string(d.count) + " " + what;
  if (d.count) s += " (first: region page " + std::to_string(d.first) + ")";
  return s;
}

}  // namespace

std::optional<std::string> compare_pass_pages(const std::string& mode, uint32_t pass, const DirtySet& expected,
                                              const std::string& expected_what, const DirtySet& collected) {
  const Difference missing = minus(expected, collected);
  const Difference extra = minus(collected, expected);
  if (!missing.count && !extra.count) return std::nullopt;
  return mode + ": pass " + std::to_string(pass) + ": collected " + std::to_string(collected.count()) + " pages, " +
         expected_what + " " + std::to_string(expected.count()) + ": " + describe(missing, "missing") + ", " +
         describe(extra, "extra");
}

}  // namespace dirtyscope::bench
