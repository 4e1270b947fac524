#include "dirtyscope/verifier.hpp"

#include "dirtyscope/text_list.hpp"
#include "protocol.h"

namespace dirtyscope {

const char* offense_name(Offense o) {
  switch (o) {
    case Offense::Missed: return "missed";
    case Offense::Stale: return "stale";
    case Offense::Future: return "future";
    case Offense::InitialMissing: return "initially-set-missing";
    case Offense::InitialUnexpected: return "initially-unexpected";
  }
  return "?";
}

PageWrite PageWrite::decode(uint64_t stamp_word, uint64_t writer_word) {
  return PageWrite{stamp_word, static_cast<uint32_t>(writer_word >> DS_WRITER_SHIFT), writer_word & DS_SEQ_MASK};
}

std::string PageWrite::describe() const {
  if (writer == 0) return stamp ? "stamp " + std::to_string(stamp) + " with no writer" : "never written";
  return "stamp " + std::to_string(stamp) + " by vCPU " + std::to_string(writer - 1) + " write #" +
         std::to_string(seq);
}

std::string Verdict::summary() const {
  std::string by_vcpu;
  for (const auto& [writer, n] : missed_by_writer)
    append_item(by_vcpu, ", ", "vCPU " + (writer ? std::to_string(writer - 1) : "?") + ": " + std::to_string(n));
  if (!by_vcpu.empty()) by_vcpu = " (" + by_vcpu + ")";
  return "missed " + std::to_string(missed) + by_vcpu + ", stale " + std::to_string(stale) + ", future " +
         std::to_string(future) + (initial_wrong ? ", initial " + std::to_string(initial_wrong) : "");
}

std::string Verdict::where() const {
  if (collection == 0) return "collection 0 (before iteration 1)";
  return "collection " + std::to_string(collection) + " (iteration " + std::to_string(iteration) +
         (paused ? ", vCPUs paused)" : ", vCPUs running)");
}

namespace {
void record(Verdict& v, const OffendingPage& o) {
  switch (o.kind) {
    case Offense::Missed:
      ++v.missed;
      ++v.missed_by_writer[o.now.writer];
      break;
    case Offense::Stale: ++v.stale; break;
    case Offense::Future: ++v.future; break;
    default: ++v.initial_wrong; break;
  }
  if (v.first.size() < Verdict::kMaxListed) v.first.push_back(o);
}
}  // namespace

CollectionVerifier::CollectionVerifier(uint64_t pages, uint32_t vcpus)
    : vcpus_(vcpus),
      prev_before_(vcpus, 0),
      prev_first_after_(vcpus, 0),
      then_stamp_(pages, 0),
      then_writer_(pages, 0),
      then_collection_(pages, 0) {}

void CollectionVerifier::remember_report(uint64_t page, const PageWrite& now, uint64_t collection) {
  then_stamp_[page] = now.stamp;
  then_writer_[page] = DS_WRITE_WORD(now.writer, now.seq);
  then_collection_[page] = collection;
}

bool CollectionVerifier::reported_showing(uint64_t page, const PageWrite& write) const {
  return then_collection_[page] != 0 && then_stamp_[page] == write.stamp &&
         then_writer_[page] == DS_WRITE_WORD(write.writer, write.seq);
}

OffendingPage CollectionVerifier::offence(Offense kind, uint64_t page, const PageWrite& now, bool carried) const {
  return OffendingPage{kind, page, now, PageWrite::decode(then_stamp_[page], then_writer_[page]),
                       then_collection_[page], carried};
}

Verdict CollectionVerifier::initial(const Collection& c, const StampView& memory, const DirtySet& reported,
                                    bool expect_all) {
  Verdict v;
  prev_before_ = c.writes_before;
  prev_first_after_ = c.writes_after;  // paused: nothing under way
  for (uint64_t p = 0; p < memory.pages; ++p) {
    const PageWrite now = memory.read(p);
    const bool dirty = reported.test(p);
    dirty ? ++v.reported : ++v.clean;
    if (now.stamp != 0) record(v, offence(Offense::Future, p, now));  // writes before logging hold 0
    else if (expect_all && !dirty) record(v, offence(Offense::InitialMissing, p, now));
    else if (!expect_all && dirty) record(v, offence(Offense::InitialUnexpected, p, now));
  }
  return v;
}

std::string CollectionVerifier::memory_key() const {
  std::string key;
  auto put = [&key](uint64_t x) { key.append(reinterpret_cast<const char*>(&x), sizeof x); };
  for (uint32_t w = 0; w < vcpus_; ++w) {
    put(prev_before_[w]);
    put(prev_first_after_[w]);
  }
  for (size_t p = 0; p < then_stamp_.size(); ++p) {
    put(then_collection_[p] != 0);
    if (then_collection_[p] == 0) continue;
    put(then_stamp_[p]);
    put(then_writer_[p]);
  }
  for (const auto& [page, w] : waiting_) {
    put(page);
    put(w.stamp);
    put(w.writer);
    for (uint64_t n : w.writes_before) put(n);
  }
  return key;
}

// The first write of vCPU `w` that surely began after `c` returned. The
// counter read after it says writes 0..a-1 are complete; while vCPUs run,
// write a may already be under way, with them paused it has not begun.
uint64_t CollectionVerifier::first_after(const Collection& c, uint32_t w) {
  return c.paused ? c.writes_after[w] : c.writes_after[w] + 1;
}

// KVM makes a write-protected page writable and logs it in two steps, in
// that order on its fast paths (x86 fast_page_fault, arm64 user_mem_abort):
// between them, another vCPU can write the page without a fault and finish
// its write, and a collection can run, before the faulting vCPU logs the
// page. Nothing is lost (the faulting vCPU logs it before its own write
// goes on, so before it pauses), but a collection made while vCPUs run may
// not report it yet. So there, with two vCPUs or more, a page owed by vCPU
// v's write waits: each later collection owes it once every other vCPU u
// has moved past the write it was in when the page first waited (its
// counter, read before the collection, exceeds what it was then), and a
// paused collection always does.
bool CollectionVerifier::may_wait(uint64_t page, const PageWrite& now, const Collection& c, Verdict& v) {
  if (c.paused || vcpus_ < 2) return false;
  const auto it = waiting_.find(page);
  if (it == waiting_.end()) {
    waiting_.emplace(page, Waiting{now.stamp, DS_WRITE_WORD(now.writer, now.seq), c.number, c.writes_before});
    ++v.began_waiting;
    return true;
  }
  for (uint32_t u = 0; u < vcpus_; ++u)
    if (u != now.writer - 1 && c.writes_before[u] == it->second.writes_before[u]) return true;
  return false;
}

Verdict CollectionVerifier::judge(const Collection& c, const StampView& memory, const DirtySet& reported) {
  Verdict v{.collection = c.number, .iteration = c.iteration, .paused = c.paused};
  for (uint64_t p = 0; p < memory.pages; ++p) {
    const PageWrite now = memory.read(p);
    const bool dirty = reported.test(p);
    dirty ? ++v.reported : ++v.clean;
    if (now.stamp == c.iteration) ++v.written;
    if (dirty && then_collection_[p] && !reported_showing(p, now)) ++v.rewritten;

    // A waiting page stops waiting once reported or written again.
    uint64_t waited_from = 0;
    if (!waiting_.empty()) {
      const auto it = waiting_.find(p);
      if (it != waiting_.end()) {
        if (dirty || it->second.stamp != now.stamp || it->second.writer != DS_WRITE_WORD(now.writer, now.seq))
          waiting_.erase(it);
        else
          waited_from = it->second.since;
      }
    }

    if (now.stamp > c.iteration || now.writer > vcpus_ || (now.writer == 0 && now.stamp != 0)) {
      // A stamp from the future, a writer that does not exist, or half a
      // write: only possible at a paused collection if memory is corrupt
      // (while vCPUs run, a write in progress may show its stamp first).
      if (c.paused || now.stamp > c.iteration || now.writer > vcpus_) record(v, offence(Offense::Future, p, now));
    } else if (now.writer != 0) {
      const uint32_t w = now.writer - 1;
      const uint64_t s = now.seq;
      if (s >= first_after(c, w)) {
        // Began after this collection returned: a later one judges it.
      } else if (s >= c.writes_before[w]) {
        // Overlapped this collection: the next one judges it.
      } else if (waited_from || s >= prev_first_after_[w] || (s >= prev_before_[w] && !reported_showing(p, now))) {
        // Complete before this collection began, and either begun after
        // the previous one had re-protected the page, or overlapped the
        // previous one, which did not report the page showing it. In the
        // second case its stores may have landed after that collection
        // read the page (then it re-protected the page before they did,
        // and they were logged again) or before (then they were logged
        // and not reported): due now either way. A vCPU can sit inside
        // one write across whole collections (a memslot update stalls it
        // between its stores and its counter); a report that showed the
        // write's words is the one that write owed. Or it was owed at an
        // earlier collection and has waited since. Either way it is missed
        // now unless it may (still) wait for another vCPU's fault.
        if (!dirty && !may_wait(p, now, c, v)) {
          OffendingPage o = offence(Offense::Missed, p, now, !waited_from && s < prev_first_after_[w]);
          o.waited_from = waited_from;
          waiting_.erase(p);
          record(v, o);
        }
      } else if (s < prev_before_[w] && dirty && c.paused) {
        // Complete before the previous collection began, which had to
        // report it; nothing wrote it since. (While vCPUs run, a write in
        // progress may have dirtied the page before its words changed.)
        record(v, offence(Offense::Stale, p, now));
      }
    } else if (dirty && c.paused) {
      record(v, offence(Offense::Stale, p, now));  // never written, yet reported
    }
    if (dirty) remember_report(p, now, c.number);
  }
  prev_before_ = c.writes_before;
  for (uint32_t w = 0; w < vcpus_; ++w) prev_first_after_[w] = first_after(c, w);
  return v;
}

}  // namespace dirtyscope
