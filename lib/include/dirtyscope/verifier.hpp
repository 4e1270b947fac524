// The verifier: decides from page contents and what a collector reported
// whether KVM missed a dirty page. It is the product. Every guest write
// leaves in its page the stamp k and its writer's sequence number s
// (lib/guest/protocol.h); the runner reads each vCPU's write counter just
// before a collection starts (b) and just after it returns (a). The rules
// (missed, stale, future, initial) over s, b and a, and why a write that
// overlapped a collection is owed at the next: docs/modes-and-verifier.md,
// "What verified means". Each collection is judged on its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dirtyscope/dirty_set.hpp"

namespace dirtyscope {

enum class Offense { Missed, Stale, Future, InitialMissing, InitialUnexpected };
const char* offense_name(Offense o);

// What a page holds: the first two u64 of the page, decoded.
struct PageWrite {
  uint64_t stamp = 0;   // iteration of the last write; 0 = before logging began, or never
  uint32_t writer = 0;  // vCPU index + 1 of the last write; 0 = never written
  uint64_t seq = 0;     // that vCPU's write number
  static PageWrite decode(uint64_t stamp_word, uint64_t writer_word);
  std::string describe() const;  // "stamp 3 by vCPU 0 write #1234", "never written"
};

// Read-only view of the test memory, one 4 KiB page each.
struct StampView {
  const uint8_t* base;
  uint64_t pages;
  PageWrite read(uint64_t page) const { return PageWrite::decode(word(page, 0), word(page, 1)); }

 private:
  uint64_t word(uint64_t page, uint64_t i) const {
    return *reinterpret_cast<const volatile uint64_t*>(base + page * 4096 + i * 8);
  }
};

// One collection as the verifier sees it.
struct Collection {
  uint64_t number = 0;     // 0 = before iteration 1, then counting up
  uint64_t iteration = 0;  // the stamp vCPUs write now
  bool paused = false;     // every vCPU paused: all writes complete
  std::vector<uint64_t> writes_before;  // each vCPU's write counter before it began
  std::vector<uint64_t> writes_after;   // ... and after it returned
};

struct OffendingPage {
  Offense kind;
  uint64_t page;          // region page
  PageWrite now;          // what it holds at this collection
  PageWrite then;         // what it held when last reported (never: writer 0)
  uint64_t then_collection = 0;  // which collection last reported it
  bool carried = false;   // missed: its write overlapped the previous collection
  uint64_t waited_from = 0;  // missed: the collection that first let it wait (see judge)
};

struct Verdict {
  static constexpr size_t kMaxListed = 10;
  uint64_t collection = 0;
  uint64_t iteration = 0;
  bool paused = true;
  uint64_t reported = 0;   // pages this collection reported
  uint64_t clean = 0;      // pages it did not report
  uint64_t written = 0;    // pages holding this iteration's stamp
  uint64_t rewritten = 0;  // reported pages whose content changed since they were last reported
  uint64_t missed = 0, stale = 0, future = 0, initial_wrong = 0;
  // Pages that began to wait here for another vCPU's fault (see judge):
  // owed, not reported, not yet missed. What a stricter rule called missed.
  uint64_t began_waiting = 0;
  std::vector<OffendingPage> first;  // the first kMaxListed offences, page order
  std::map<uint64_t, uint64_t> missed_by_writer;  // writer tag -> missed pages

  bool ok() const { return missed + stale + future + initial_wrong == 0; }
  std::string summary() const;  // "missed 1 (vCPU 0: 1), stale 0, future 0"
  std::string where() const;    // "collection 5 (iteration 2, running)"
};

// Judges a run's collections one after another; remembers what it needs
// from the previous collection (its window) and what each page held when
// last reported.
class CollectionVerifier {
 public:
  CollectionVerifier(uint64_t pages, uint32_t vcpus);

  // Before iteration 1, vCPUs paused (`c` holds their write counters:
  // writes before logging began): `expect_all` is KVM_DIRTY_LOG_INITIALLY_SET.
  Verdict initial(const Collection& c, const StampView& memory, const DirtySet& reported, bool expect_all);
  // A collection made while (or after) vCPUs wrote.
  Verdict judge(const Collection& c, const StampView& memory, const DirtySet& reported);

  // What the verifier remembers between collections, as bytes. Two
  // verifiers with equal keys pass or fail every later collection alike
  // (only which collection last reported a page is left out, as it names
  // offences but decides none): the schedule checker memoises on it.
  std::string memory_key() const;

 private:
  static uint64_t first_after(const Collection& c, uint32_t w);
  void remember_report(uint64_t page, const PageWrite& now, uint64_t collection);
  // Whether some collection reported `page` while it held exactly `write`.
  bool reported_showing(uint64_t page, const PageWrite& write) const;
  OffendingPage offence(Offense kind, uint64_t page, const PageWrite& now, bool carried = false) const;
  // A missed-looking page at a running collection: true while it may still
  // wait for another vCPU's fault (see judge), remembering when it began.
  bool may_wait(uint64_t page, const PageWrite& now, const Collection& c, Verdict& v);

  uint32_t vcpus_;
  // The previous collection's window: writes complete before it began,
  // first write begun after it returned (0 and 0 before iteration 1).
  std::vector<uint64_t> prev_before_, prev_first_after_;
  // What each page held when last reported (stamp word, writer word), and when.
  std::vector<uint64_t> then_stamp_, then_writer_, then_collection_;
  // Pages whose write is owed but may wait for another vCPU's fault still
  // under way: what the page held (stamp word, writer word), the
  // collection that first let it wait and each vCPU's counter then.
  struct Waiting {
    uint64_t stamp, writer, since;
    std::vector<uint64_t> writes_before;
  };
  std::map<uint64_t, Waiting> waiting_;
};

}  // namespace dirtyscope
