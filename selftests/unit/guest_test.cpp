// The guest's page tables and JSON output, checked without running a VM.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <vector>

#include "dirtyscope/guest_vm.hpp"
#include "dirtyscope/json.hpp"
#include "dirtyscope/x86/page_tables.hpp"

using namespace dirtyscope;

namespace {
// Walks the 4-level tables like the MMU: returns the physical address or ~0.
uint64_t translate(const std::vector<uint8_t>& mem, uint64_t cr3, uint64_t va) {
  uint64_t table = cr3;
  for (int level = 4; level >= 1; --level) {
    unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
    uint64_t e = *reinterpret_cast<const uint64_t*>(&mem[table + idx * 8]);
    if (!(e & 1) || !(e & 4)) return ~0ULL;  // present and user
    uint64_t addr = e & 0x000ffffffffff000ULL;
    if (level == 2 && (e & 0x80)) return addr + (va & ((2ULL << 20) - 1));
    if (level == 1) return addr + (va & 4095);
    table = addr;
  }
  return ~0ULL;
}
}  // namespace

TEST(PageTables, IdentityMapsWithHugeAndSmallPages) {
  x86::PageTableBuilder b(0x10000);
  b.identity_map(0x0, 4ULL << 20);                   // 2 huge pages
  b.identity_map(0x40000000 + 0x1000, 0x3000);       // 3 small pages, unaligned
  std::vector<uint8_t> mem(0x10000 + b.pool_bytes(), 0);
  b.write_to(mem.data());
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x123456), 0x123456u);
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x3fffff), 0x3fffffu);
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x400000), ~0ULL);
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x40001008), 0x40001008u);
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x40003ff8), 0x40003ff8u);
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x40004000), ~0ULL);
  EXPECT_EQ(translate(mem, b.root_gpa(), 0x40000000), ~0ULL);
}

TEST(PageTables, MapsAboveFourGiB) {
  x86::PageTableBuilder b(0x10000);
  b.identity_map(4ULL << 30, 1ULL << 30);
  std::vector<uint8_t> mem(0x10000 + b.pool_bytes(), 0);
  b.write_to(mem.data());
  EXPECT_EQ(translate(mem, b.root_gpa(), (4ULL << 30) + 0x12345678), (4ULL << 30) + 0x12345678);
  EXPECT_EQ(b.pool_bytes(), 3u * 4096);  // PML4, PDPT, one PD of 512 huge pages
}

TEST(Json, WritesNestedValuesWithEscaping) {
  std::ostringstream out;
  JsonWriter j(out);
  j.begin_object().field("a", "x\"y\n").field("n", uint64_t{3}).field("ok", true);
  j.key("list").begin_array().value(1).value("two").end_array();
  j.end_object();
  EXPECT_EQ(out.str(), R"({"a":"x\"y\n","n":3,"ok":true,"list":[1,"two"]})");
}

TEST(GuestSeeds, DistinctPerVcpuAndNeverZero) {
  for (uint64_t run_seed : {0ULL, 1ULL, 2ULL, 0x9e3779b97f4a7c15ULL}) {
    std::set<uint64_t> seen;
    for (uint32_t i = 0; i < DS_MAX_VCPUS; ++i) {
      uint64_t s = vcpu_rng_seed(run_seed, i);
      EXPECT_NE(s, 0u);
      EXPECT_TRUE(seen.insert(s).second) << "vCPU " << i << " repeats a seed for run seed " << run_seed;
    }
  }
  EXPECT_NE(vcpu_rng_seed(1, 0), vcpu_rng_seed(2, 0));
}
