#include "spp_cases.hpp"

#include <atomic>
#include <cstdio>
#include <thread>

#include "dirtyscope/dirty_set.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/spp_vectors.hpp"
#include "dirtyscope/hex.hpp"

namespace dirtyscope {

namespace {

uint64_t splitmix(uint64_t z) { return ds_mix64(z + 0x9e3779b97f4a7c15ULL); }

// The store of the plan that last wrote byte `at` of the pages, if any.
std::optional<uint64_t> last_store_at(const SppRoundPlan& plan, uint64_t at) {
  std::optional<uint64_t> last;
  for (uint64_t i = 0; i < plan.stores; ++i) {
    const ds_spp_store st = plan_store(plan, i);
    const uint64_t first = st.page * kPageSize + st.offset;
    if (at >= first && at < first + st.size) last = i;
  }
  return last;
}

// Memory as the host sees it against what it must hold.
void check_memory(const SppRoundPlan& plan, const std::vector<uint8_t>& actual, const std::vector<uint8_t>& expected,
                  uint32_t v, std::vector<std::string>& failures) {
  uint64_t differing = 0, first = 0;
  for (uint64_t b = 0; b < actual.size(); ++b)
    if (actual[b] != expected[b] && differing++ == 0) first = b;
  if (!differing) return;
  char buf[96];
  std::snprintf(buf, sizeof(buf), " holds 0x%02x, expected 0x%02x", actual[first], expected[first]);
  auto store = last_store_at(plan, first);
  failures.push_back("vCPU " + std::to_string(v) + ": " + std::to_string(differing) + " byte(s) of memory wrong; first: gpa " +
                     hex(plan.gpa + first) + " (sub-page " + std::to_string(first % kPageSize / kSppSubpageSize) + ")" +
                     buf + (store ? "; last written by " + describe_store(plan, *store) : std::string("; never stored to")));
}

bool same_violation(const SppViolation& got, const ExpectedViolation& want) {
  return got.gpa == want.gpa && got.len == want.len && got.value == want.value && got.subpage == want.subpage;
}

std::string describe_violation(const SppViolation& v) {
  return std::to_string(v.len) + " bytes at gpa " + hex(v.gpa) + " (sub-page " + std::to_string(v.subpage) +
         ", value " + hex(v.value) + ")";
}

// The model's violations of vCPU v, from `since` on, against the list
// expected; names the first one missing or unexpected.
void check_violations(const SppRoundPlan& plan, const std::vector<SppViolation>& all, size_t since, uint32_t v,
                      const std::vector<ExpectedViolation>& expected, std::vector<std::string>& failures) {
  std::vector<SppViolation> got;
  for (size_t k = since; k < all.size(); ++k)
    if (all[k].vcpu == v) got.push_back(all[k]);
  const std::string who = "vCPU " + std::to_string(v) + ": ";
  for (size_t k = 0; k < std::max(got.size(), expected.size()); ++k) {
    if (k < got.size() && k < expected.size() && same_violation(got[k], expected[k])) continue;
    const bool skipped_one = k + 1 < expected.size() && k < got.size() && same_violation(got[k], expected[k + 1]);
    if (k >= got.size() || skipped_one) {
      failures.push_back(who + "violation missing (" + std::to_string(got.size()) + " reported, " +
                         std::to_string(expected.size()) + " due): " + describe_store(plan, expected[k].store) +
                         " was denied but not reported");
    } else if (k >= expected.size() || (k + 1 < got.size() && same_violation(got[k + 1], expected[k]))) {
      failures.push_back(who + "unexpected violation: " + describe_violation(got[k]));
    } else {
      failures.push_back(who + "violation " + std::to_string(k) + " is " + describe_violation(got[k]) +
                         "; due: " + describe_store(plan, expected[k].store) + ", sub-page " +
                         std::to_string(expected[k].subpage));
    }
    return;
  }
}

// Which stores exited, against the stores to protected pages.
void check_exits(const SppRoundPlan& plan, const std::vector<SppExit>& exits, const std::vector<uint32_t>& vectors,
                 uint32_t v, std::vector<std::string>& failures) {
  size_t k = 0;
  for (uint64_t i = 0; i < plan.stores; ++i) {
    const ds_spp_store st = plan_store(plan, i);
    const bool trapped = vectors[st.page] != kSppFullAccess;
    const bool exited = k < exits.size() && exits[k].store == i;
    if (exited && !exits[k].memory_agrees) {
      failures.push_back("vCPU " + std::to_string(v) + ": " + describe_store(plan, i) + " was " +
                         (exits[k].decision.access == SppAccess::Denied ? "denied, but memory changed"
                                                                        : "allowed, but memory does not hold its value") +
                         " right after the model's decision");
      return;
    }
    if (trapped == exited) {
      k += exited;
      continue;
    }
    failures.push_back("vCPU " + std::to_string(v) + ": " + describe_store(plan, i) +
                       (trapped ? " to a protected page did not exit to the model"
                                : " to an unprotected page exited to the model"));
    return;
  }
  if (k != exits.size())
    failures.push_back("vCPU " + std::to_string(v) + ": " + std::to_string(exits.size() - k) +
                       " exit(s) no store of the plan explains (first at store " + std::to_string(exits[k].store) + ")");
}

uint64_t delta(uint64_t after, uint64_t before) { return after - before; }

// Dirty logging: exactly the guard pages some store landed on (directly, or
// applied by the model) are dirty; a page whose every store was denied is
// not. The verifier's missed and stale rules, page by page, vCPUs paused.
void check_dirty(const SppRoundPlan& plan, const DirtySet& dirty, uint64_t first_region_page, const ExpectedRound& e,
                 uint32_t v, std::vector<std::string>& failures) {
  for (uint64_t p = 0; p < plan.pages; ++p) {
    const bool reported = dirty.test(first_region_page + p);
    if (reported == e.page_written[p]) continue;
    const std::string gfn = hex(plan.gpa / kPageSize + p);
    failures.push_back("vCPU " + std::to_string(v) + ": " +
                       (reported ? "stale: gfn " + gfn + " reported dirty, but every store to it was denied"
                                 : "missed: gfn " + gfn + " not reported dirty, but " +
                                       describe_store(plan, e.first_landed[p]) + " landed there"));
  }
}

}  // namespace

uint32_t random_vector(uint64_t seed, uint32_t v, uint64_t page) {
  const uint32_t r = static_cast<uint32_t>(splitmix(seed * 1000003 + v * 4099 + page));
  return r == kSppFullAccess ? r & ~1u : r;  // all ones would unprotect
}

SppCaseResult static_case(SppSession& s, const std::string& name, uint64_t round, const VectorOf& vector_of) {
  SppCaseResult res{name, {}, {}, {}};
  std::vector<std::vector<uint32_t>> vectors(s.vcpus());
  std::vector<std::vector<uint8_t>> before(s.vcpus());
  for (uint32_t v = 0; v < s.vcpus(); ++v) {
    for (uint64_t p = 0; p < s.pages(); ++p) {
      vectors[v].push_back(vector_of(v, p));
      s.set_vectors(s.guard_gfn(v) + p, 1, vectors[v].back());
    }
    // The API's get must return what was set.
    if (s.model().get_vectors(s.guard_gfn(v), s.pages()) != vectors[v])
      res.failures.push_back("vCPU " + std::to_string(v) + ": get_vectors does not return the vectors just set");
    before[v] = s.memory(v);
  }
  const SppCounts c0 = s.model().counts();
  const size_t since = s.model().violations().size();
  s.run_round(round);
  const SppCounts c1 = s.model().counts();
  const std::vector<SppViolation> violations = s.model().violations();

  const std::optional<DirtySet> dirty = s.logging() ? std::optional(s.collect_dirty()) : std::nullopt;
  std::vector<bool> guard(dirty ? dirty->pages() : 0, false);
  uint64_t allowed = 0, denied = 0, untrapped = 0;
  for (uint32_t v = 0; v < s.vcpus(); ++v) {
    const SppRoundPlan plan = s.plan(v, round, s.stores_per_round());
    const ExpectedRound e = expect_round(plan, before[v], vectors[v]);
    if (dirty) {
      for (uint64_t p = 0; p < s.pages(); ++p) guard[s.guard_gfn(v) + p - s.first_gfn()] = true;
      check_dirty(plan, *dirty, s.guard_gfn(v) - s.first_gfn(), e, v, res.failures);
    }
    allowed += e.allowed;
    denied += e.violations.size();
    untrapped += e.untrapped;
    check_exits(plan, s.exits(v), vectors[v], v, res.failures);
    check_violations(plan, violations, since, v, e.violations, res.failures);
    check_memory(plan, s.memory(v), e.memory, v, res.failures);
    if (s.read_sum(v) != e.read_sum)
      res.failures.push_back("vCPU " + std::to_string(v) + ": the guest read back " + hex(s.read_sum(v)) +
                             " from its pages, expected " + hex(e.read_sum) + " (reads must never be affected)");
  }
  // Nothing outside the guard pages is written in a round.
  for (uint64_t pg = 0; dirty && pg < dirty->pages(); ++pg)
    if (dirty->test(pg) && !guard[pg]) {
      res.failures.push_back("stale: gfn " + hex(s.first_gfn() + pg) + " outside every guard page reported dirty");
      break;
    }
  if (delta(c1.allowed, c0.allowed) != allowed || delta(c1.denied, c0.denied) != denied)
    res.failures.push_back("model counted " + std::to_string(delta(c1.allowed, c0.allowed)) + " allowed and " +
                           std::to_string(delta(c1.denied, c0.denied)) + " denied writes, expected " +
                           std::to_string(allowed) + " and " + std::to_string(denied));
  if (delta(c1.unprotected, c0.unprotected) || delta(c1.reads, c0.reads))
    res.failures.push_back("model emulated " + std::to_string(delta(c1.unprotected, c0.unprotected)) + " writes and " +
                           std::to_string(delta(c1.reads, c0.reads)) +
                           " reads outside protected pages with no memslot change under way");
  res.notes.push_back(name + ": " + std::to_string(allowed) + " allowed, " + std::to_string(denied) + " denied, " +
                      std::to_string(untrapped) + " unprotected stores; " +
                      std::to_string(s.model().memslots_in_use()) + " memslots for the test region");
  return res;
}

SppCaseResult lift_case(SppSession& s, uint64_t round) {
  SppCaseResult res = static_case(s, "lift", round, [](uint32_t, uint64_t) { return kSppFullAccess; });
  if (s.model().memslots_in_use() != 1)
    res.failures.push_back("after lifting every protection the test region still uses " +
                           std::to_string(s.model().memslots_in_use()) + " memslots, not 1 (the splits did not merge)");
  return res;
}

namespace {

struct Change {
  std::vector<uint64_t> began;  // by vCPU: writes when set_vectors was called
  std::vector<uint64_t> ended;  // by vCPU: writes when it returned
  uint32_t vcpu;                // whose page changed
  uint64_t page;
  uint32_t vector;
};

// Judges vCPU v's round: each store outside every change's window must
// have exited iff its page was protected, and been allowed or denied by
// the vector then in force; memory must hold every store not denied.
void judge_runtime(SppSession& s, const SppRoundPlan& plan, uint32_t v, std::vector<uint32_t> state,
                   const std::vector<Change>& changes, std::vector<uint8_t> memory, size_t since,
                   const std::vector<SppViolation>& violations, uint64_t& judged_trapped,
                   uint64_t& judged_untrapped, std::vector<std::string>& failures) {
  const std::vector<SppExit>& exits = s.exits(v);
  const std::string who = "vCPU " + std::to_string(v) + ": ";
  size_t c = 0, k = 0;
  std::vector<ExpectedViolation> denied;
  for (uint64_t i = 0; i < plan.stores; ++i) {
    while (c < changes.size() && changes[c].ended[v] < i) {
      if (changes[c].vcpu == v) state[changes[c].page] = changes[c].vector;
      ++c;
    }
    const ds_spp_store st = plan_store(plan, i);
    const SppExit* exit = nullptr;
    if (k < exits.size() && exits[k].store == i) exit = &exits[k++];
    if (k < exits.size() && exits[k].store == i) {
      failures.push_back(who + describe_store(plan, i) + " exited twice");
      return;
    }
    if (exit && !exit->memory_agrees) {
      failures.push_back(who + describe_store(plan, i) + " was " +
                         (exit->decision.access == SppAccess::Denied ? "denied, but memory changed"
                                                                     : "applied, but memory does not hold its value") +
                         " right after the model's decision");
      return;
    }
    if (!exit || exit->decision.access != SppAccess::Denied) apply_store(memory, st);
    if (exit && exit->decision.access == SppAccess::Denied)
      denied.push_back({plan.gpa + st.page * kPageSize + st.offset, 0, st.size, exit->decision.value, i});
    if (c < changes.size() && changes[c].began[v] <= i) continue;  // in flight during a change
    const uint32_t vector = state[st.page];
    if (vector == kSppFullAccess) {
      ++judged_untrapped;
      if (exit) {
        failures.push_back(who + describe_store(plan, i) + " exited although its page was unprotected");
        return;
      }
      continue;
    }
    ++judged_trapped;
    if (!exit) {
      failures.push_back(who + describe_store(plan, i) + " to a page protected with vector " + hex(vector) +
                         " did not exit to the model");
      return;
    }
    const auto due = spp_denied_subpage(vector, st.offset, st.size);
    const bool was_denied = exit->decision.access == SppAccess::Denied;
    if (due.has_value() != was_denied) {
      failures.push_back(who + describe_store(plan, i) + " was " + (was_denied ? "denied" : "allowed") +
                         " under vector " + hex(vector) + (due ? ", whose sub-page " + std::to_string(*due) + " bit is clear" : ", which allows it"));
      return;
    }
  }
  check_memory(plan, s.memory(v), memory, v, failures);
  // The model's violations must be exactly the denied exits, in order.
  std::vector<SppViolation> got;
  for (size_t x = since; x < violations.size(); ++x)
    if (violations[x].vcpu == v) got.push_back(violations[x]);
  if (got.size() != denied.size()) {
    failures.push_back(who + "model reported " + std::to_string(got.size()) + " violations for " +
                       std::to_string(denied.size()) + " denied stores");
    return;
  }
  for (size_t x = 0; x < got.size(); ++x)
    if (got[x].gpa != denied[x].gpa || got[x].len != denied[x].len || got[x].value != denied[x].value) {
      failures.push_back(who + "violation " + std::to_string(x) + " is " + describe_violation(got[x]) + "; denied: " +
                         describe_store(plan, denied[x].store));
      return;
    }
}

}  // namespace

SppCaseResult runtime_case(SppSession& s, uint64_t first_round) {
  SppCaseResult res{"runtime-changes", {}, {}, {}};
  if (s.logging()) {
    // KVM drops a deleted memslot's dirty bits, and nothing can read them
    // between the last guest write and the delete while vCPUs run.
    res.skipped = "with dirty logging, vectors change only between rounds (a memslot change must drain the log first)";
    return res;
  }
  // Start from random protection on every guard page.
  std::vector<std::vector<uint32_t>> state(s.vcpus());
  for (uint32_t v = 0; v < s.vcpus(); ++v)
    for (uint64_t p = 0; p < s.pages(); ++p) {
      state[v].push_back(random_vector(s.options().seed + 7, v, p));
      s.model().set_vectors(s.guard_gfn(v) + p, 1, state[v].back());
    }
  // Enough changes must land inside rounds for the case to mean anything;
  // rounds repeat until they have (a bound, not a timing assumption).
  constexpr uint64_t kChangesWanted = 16, kMaxRounds = 40;
  uint64_t changes_in_rounds = 0, judged_trapped = 0, judged_untrapped = 0, rounds = 0;
  uint64_t rng = s.options().seed * 0x2545f4914f6cdd1dULL + 1;
  for (uint64_t round = first_round; changes_in_rounds < kChangesWanted && rounds < kMaxRounds; ++round, ++rounds) {
    std::vector<Change> changes;
    std::vector<std::vector<uint8_t>> before(s.vcpus());
    for (uint32_t v = 0; v < s.vcpus(); ++v) before[v] = s.memory(v);
    const size_t since = s.model().violations().size();
    std::atomic<bool> stop{false};
    s.prepare_round(round);  // before the changer reads the guest's progress
    std::thread changer([&] {
      while (!stop.load()) {
        Change ch;
        rng = splitmix(rng);
        ch.vcpu = static_cast<uint32_t>(rng % s.vcpus());
        ch.page = (rng >> 8) % s.pages();
        ch.vector = (rng >> 16) % 4 == 0 ? kSppFullAccess : random_vector(rng, ch.vcpu, ch.page);
        for (uint32_t v = 0; v < s.vcpus(); ++v) ch.began.push_back(s.writes(v));
        s.model().set_vectors(s.guard_gfn(ch.vcpu) + ch.page, 1, ch.vector);
        for (uint32_t v = 0; v < s.vcpus(); ++v) ch.ended.push_back(s.writes(v));
        changes.push_back(ch);
        // Let the vCPUs run between changes (2 cores here).
        std::this_thread::yield();
      }
    });
    try {
      s.run_prepared_round();
    } catch (...) {
      stop = true;
      changer.join();
      throw;
    }
    stop = true;
    changer.join();
    const std::vector<SppViolation> violations = s.model().violations();
    for (uint32_t v = 0; v < s.vcpus(); ++v) {
      // Changes whose window ended inside the round count toward the goal.
      for (const auto& ch : changes) changes_in_rounds += ch.vcpu == v && ch.ended[v] < s.stores_per_round();
      judge_runtime(s, s.plan(v, round, s.stores_per_round()), v, state[v], changes, before[v], since, violations,
                    judged_trapped, judged_untrapped, res.failures);
    }
    // The state after the round: every change applied.
    for (const auto& ch : changes) state[ch.vcpu][ch.page] = ch.vector;
    if (!res.failures.empty()) return res;
  }
  if (changes_in_rounds < kChangesWanted)
    res.failures.push_back("only " + std::to_string(changes_in_rounds) + " protection changes landed inside " +
                           std::to_string(rounds) + " rounds; wanted " + std::to_string(kChangesWanted));
  if (!judged_trapped || !judged_untrapped)
    res.failures.push_back("nothing judged: " + std::to_string(judged_trapped) + " protected and " +
                           std::to_string(judged_untrapped) + " unprotected stores outside change windows");
  res.notes.push_back("runtime-changes: " + std::to_string(rounds) + " rounds, " + std::to_string(changes_in_rounds) +
                      " protection changes while vCPUs stored; judged " + std::to_string(judged_trapped) +
                      " protected and " + std::to_string(judged_untrapped) + " unprotected stores");
  return res;
}

}  // namespace dirtyscope
