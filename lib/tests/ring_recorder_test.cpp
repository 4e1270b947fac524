// RingEntryRecorder: the per-entry work of RingCollector's harvest, on a
// ring in plain memory. Every check the collector promises (slot of a test
// memslot in address space 0, offset inside it, the DIRTY -> RESET protocol,
// counts) is exercised here with entries that must pass and entries that
// must fail, since the harvest caches the last entry's memslot.
#include <gtest/gtest.h>

#include <linux/kvm.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "dirtyscope/error.hpp"
#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/ring_collector.hpp"
#include "dirtyscope/test_region.hpp"
#include "thrown.hpp"

using namespace dirtyscope;

namespace {

constexpr uint64_t kMiB = 1ULL << 20;

// 4 MiB (1024 pages) in two memslots, ids 5 and 6, 512 pages each.
TestRegion two_slots() { return TestRegion(HostMemory::allocate(Backing::Anonymous, 4 * kMiB), 1ULL << 32, 2, 5); }

struct Ring {
  explicit Ring(uint32_t entries) : gfns(entries), ring(3, gfns.data(), entries) {}
  void push(uint32_t slot, uint64_t offset) {
    gfns[next++ % gfns.size()] = kvm_dirty_gfn{KVM_DIRTY_GFN_F_DIRTY, slot, offset};
  }
  std::vector<kvm_dirty_gfn> gfns;
  DirtyRing ring;
  uint64_t next = 0;
};

std::string harvest_error(dirtyscope::RingEntryRecorder& rec, Ring& r) {
  return dirtyscope::testing::what_thrown<CollectorError>([&] { rec.harvest(r.ring); }, "");
}

// The usual harvest: no injection, 64 entries over two_slots(). The
// fixture's name is the suite's, so it hides the library's class here.
class RingEntryRecorder : public ::testing::Test {
 protected:
  TestRegion region = two_slots();
  dirtyscope::RingEntryRecorder rec{region, Injection::None};
  Ring r{64};
};

TEST_F(RingEntryRecorder, RecordsPagesAcrossSlotsAndResetsEveryEntry) {
  // Slot changes back and forth: the cached slot must follow.
  r.push(5, 0);
  r.push(5, 511);
  r.push(6, 0);
  r.push(5, 7);
  r.push(6, 511);
  EXPECT_EQ(rec.harvest(r.ring), 5u);
  const DirtySet& p = rec.pending();
  EXPECT_EQ(p.count(), 5u);
  for (uint64_t page : {0, 511, 512, 7, 1023}) EXPECT_TRUE(p.test(page)) << page;
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(r.gfns[i].flags, KVM_DIRTY_GFN_F_RESET) << i;
  EXPECT_EQ(rec.entries_seen(), 5u);
  // Nothing new published: nothing harvested.
  EXPECT_EQ(rec.harvest(r.ring), 0u);
}

TEST_F(RingEntryRecorder, StopsAtTheFirstUnpublishedEntry) {
  r.push(5, 1);
  r.push(5, 2);
  r.gfns[2] = kvm_dirty_gfn{0, 5, 3};  // filled, not yet published
  r.gfns[3] = kvm_dirty_gfn{KVM_DIRTY_GFN_F_DIRTY, 5, 4};
  EXPECT_EQ(rec.harvest(r.ring), 2u);
  EXPECT_FALSE(rec.pending().test(3));
  EXPECT_FALSE(rec.pending().test(4));
}

TEST_F(RingEntryRecorder, OffsetPastTheCachedSlotFails) {
  r.push(5, 10);   // caches slot 5
  r.push(5, 512);  // one past its end: would be slot 6's first page
  EXPECT_EQ(harvest_error(rec, r),
            "vCPU 3 ring entry 2: slot 0x5 (address space 0) offset 0x200 is not a page of any test memslot");
}

TEST_F(RingEntryRecorder, ABadEntryIsNumberedAcrossHarvests) {
  // The number counts every entry read from the ring since the recorder
  // began, not from this harvest: 3 then 1 good, so the bad one is 5th.
  Ring small(4);
  for (uint64_t i = 0; i < 3; ++i) small.push(5, i);
  EXPECT_EQ(rec.harvest(small.ring), 3u);
  small.push(6, 1);
  small.push(6, 512);
  EXPECT_EQ(harvest_error(rec, small),
            "vCPU 3 ring entry 5: slot 0x6 (address space 0) offset 0x200 is not a page of any test memslot");
  EXPECT_EQ(rec.entries_seen(), 5u);
  // The good entry before it was consumed, the bad one was not.
  EXPECT_EQ(small.gfns[3].flags, KVM_DIRTY_GFN_F_RESET);
  EXPECT_EQ(small.gfns[0].flags, KVM_DIRTY_GFN_F_DIRTY);
}

TEST_F(RingEntryRecorder, OffsetPastANewlyLookedUpSlotFails) {
  r.push(5, 10);
  r.push(6, 1ULL << 40);
  EXPECT_NE(harvest_error(rec, r).find("slot 0x6 (address space 0) offset 0x10000000000"), std::string::npos);
}

TEST_F(RingEntryRecorder, UnknownSlotAndOtherAddressSpaceFail) {
  // A fresh recorder's error on a ring of entries at offset 0 of `slots`.
  const auto error_of = [&](std::initializer_list<uint32_t> slots) {
    dirtyscope::RingEntryRecorder fresh(region, Injection::None);
    Ring ring(64);
    for (uint32_t slot : slots) ring.push(slot, 0);
    return harvest_error(fresh, ring);
  };
  EXPECT_NE(error_of({7}).find("slot 0x7 (address space 0)"), std::string::npos);
  // Slot 5 of address space 1 (SMM): not ours.
  EXPECT_NE(error_of({5, (1u << 16) | 5}).find("slot 0x5 (address space 1)"), std::string::npos);
  // The "no slot cached" marker itself is no slot.
  EXPECT_NE(error_of({~0u}).find("slot 0xffff (address space 65535)"), std::string::npos);
}

TEST_F(RingEntryRecorder, SlotsReplacedBetweenHarvestsAreLookedUpAfresh) {
  r.push(5, 100);
  EXPECT_EQ(rec.harvest(r.ring), 1u);
  // SppModel-style split: slot 5 now covers pages 0..99 only, 9 the rest of it.
  std::vector<RegionSlot> slots = region.slots();
  const RegionSlot tail{.slot = 9, .gpa = slots[0].gpa + 100 * 4096, .first_page = 100, .pages = 412,
                        .host = slots[0].host + 100 * 4096};
  slots[0].pages = 100;
  slots.insert(slots.begin() + 1, tail);
  region.replace_slots(slots);
  r.push(5, 100);  // was valid before the split; past slot 5's end now
  EXPECT_NE(harvest_error(rec, r).find("slot 0x5 (address space 0) offset 0x64"), std::string::npos);
}

TEST_F(RingEntryRecorder, WrongSlotInjectionCorruptsTheTenthEntryAndIsCaught) {
  dirtyscope::RingEntryRecorder wrong(region, Injection::WrongSlot);
  for (uint64_t i = 0; i < 12; ++i) r.push(5, i);
  EXPECT_EQ(harvest_error(wrong, r),
            "vCPU 3 ring entry 10: slot 0x7f05 (address space 0) offset 0x9 is not a page of any test memslot");
  // The count includes the entry that failed: the wrong-slot fault counts as fired by it.
  EXPECT_EQ(wrong.entries_seen(), 10u);
}

TEST_F(RingEntryRecorder, AFullRingIsConsumedOnceAndNoMore) {
  for (uint64_t i = 0; i < 64; ++i) r.push(6, i);
  EXPECT_EQ(rec.harvest(r.ring), 64u);
  EXPECT_EQ(rec.pending().count(), 64u);
  EXPECT_EQ(rec.harvest(r.ring), 0u);
}

}  // namespace
