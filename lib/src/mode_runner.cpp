#include "dirtyscope/mode_runner.hpp"

#include <cinttypes>
#include <cstdio>
#include <optional>
#include <random>
#include <stdexcept>

#include "dirtyscope/error.hpp"
#include "dirtyscope/hex.hpp"
#include "dirtyscope/run_engine.hpp"
#include "dirtyscope/signal_storm.hpp"
#include "dirtyscope/text_list.hpp"
#include "spp_plan.h"

namespace dirtyscope {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Pass: return "pass";
    case Outcome::Fail: return "fail";
    case Outcome::Skip: return "skip";
  }
  return "?";
}

uint64_t mode_seed(uint64_t run_seed, std::string_view mode) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the name, then splitmix64
  for (char c : mode) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return ds_mix64(run_seed ^ h);
}

namespace {

std::string describe_offense(const TestRegion& region, const Verdict& v, const OffendingPage& o) {
  const RegionSlot& slot = region.slot_of(o.page);
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%s at %s: gfn 0x%" PRIx64 " (slot %u offset 0x%" PRIx64 ") holds ",
                offense_name(o.kind), v.where().c_str(), region.gfn_of(o.page), slot.slot,
                o.page - slot.first_page);
  std::string s = buf + o.now.describe();
  if (o.now.writer) s += ", written by vCPU " + std::to_string(o.now.writer - 1);
  if (o.carried) s += " while the previous collection ran, which did not report it";
  if (o.waited_from)
    s += ", owed since collection " + std::to_string(o.waited_from) +
         " (which could wait for another vCPU's fault on the page; every vCPU has moved on since)";
  s += o.then_collection ? "; when last reported (collection " + std::to_string(o.then_collection) +
                               ") it held " + o.then.describe()
                         : "; never reported before";
  return s;
}

// The runner's side of one run, dirty_log_test's part of the engine: the
// write mix, and a verdict on every collection. Owns the VM for the run's
// lifetime; a failure throws its reason.
class Run {
 public:
  Run(const KvmSystem& kvm, const RunOptions& options, Collector& collector,
      const std::function<void(const std::string&)>& diag, ModeResult& result)
      : options_(options),
        collector_(collector),
        diag_(diag),
        result_(result),
        guest_(kvm, options.guest, collector),
        rng_(options.guest.seed),
        memory_{guest_.region().host(), guest_.region().pages()},
        verifier_(guest_.region().pages(), static_cast<uint32_t>(guest_.vcpus().size())),
        mix_(guest_, options.iterations, options.mix),
        collected_(guest_.region().pages()) {}

  void execute() {
    result_.vcpus = static_cast<uint32_t>(guest_.vcpus().size());
    if (options_.hooks.vm_ready) options_.hooks.vm_ready();
    if (options_.hooks.companion) companion_ = options_.hooks.companion(guest_.vm());
    RunEngine engine(guest_, collector_, options_.stall_timeout);
    engine.start();
    if (options_.populate_first) populate(engine);
    check_initial();
    for (uint64_t k = 1; k <= options_.iterations; ++k) iterate(engine, k);
    for (uint64_t p = 0; p < memory_.pages; ++p) result_.pages_written += memory_.read(p).stamp != 0;
    result_.ioctls = guest_.vm().dirty_ioctl_counts();
    result_.counters = collector_.counters();
    result_.ring_entries = collector_.ring_entries();
    if (options_.hooks.vm_done) options_.hooks.vm_done(result_);
  }

 private:
  [[noreturn]] static void fail(const std::string& reason) { throw std::runtime_error(reason); }

  std::vector<uint64_t> write_counts() {
    std::vector<uint64_t> n;
    for (uint32_t i = 0; i < guest_.vcpus().size(); ++i) n.push_back(guest_.writes(i));
    return n;
  }

  // Logging off: the guest writes every page once (stamp 0); then logging
  // is turned on for every test memslot, with the vCPUs paused.
  void populate(RunEngine& engine) {
    guest_.shared()->iteration = 0;
    mix_.plan_populate();
    engine.resume();
    engine.wait_until([&] { return mix_.pending(); }, "populating before logging: the guest did not finish");
    engine.pause();
    for (const auto& s : guest_.region().slots()) guest_.vm().set_dirty_logging(s.slot, true);
    diag_(std::string(collector_.mode()) + ": populated " + std::to_string(memory_.pages) +
          " pages with logging off, then turned logging on");
  }

  void check_initial() {
    collected_.clear();
    collector_.collect(collected_, Phase::Paused);
    Collection c;
    c.paused = true;
    c.writes_before = c.writes_after = write_counts();
    Verdict v = verifier_.initial(c, memory_, collected_, collector_.initially_all_dirty());
    diag_(std::string(collector_.mode()) + ": before iteration 1: reported " + std::to_string(v.reported) +
          " of " + std::to_string(memory_.pages) + " pages (expected " +
          (collector_.initially_all_dirty() ? "all: KVM_DIRTY_LOG_INITIALLY_SET" : "none") + ")");
    ++result_.verified_collections;
    judge(v);
  }

  // One collection, judged on its own. The write counters around it are
  // the window the verifier needs (see verifier.hpp).
  Verdict collect_and_judge(uint64_t k, Phase phase) {
    collected_.clear();
    Collection c{.number = ++collection_number_, .iteration = k, .paused = phase == Phase::Paused,
                 .writes_before = write_counts()};
    collector_.collect(collected_, phase);
    c.writes_after = write_counts();
    if (!dropped_this_iteration_)
      if (auto dropped = collector_.faults().drop(collected_)) {
        dropped_this_iteration_ = true;
        diag_("inject drop-dirty: dropped gfn " + hex(guest_.region().gfn_of(*dropped)) + " from collection " +
              std::to_string(c.number));
      }
    Verdict v = verifier_.judge(c, memory_, collected_);
    ++result_.verified_collections;
    result_.pages_reported_dirty += v.reported;
    result_.pages_rewritten += v.rewritten;
    if (auto fault = collector_.take_fault()) {
      for (const auto& o : v.first) result_.offenders.push_back(describe_offense(guest_.region(), v, o));
      fail("iteration " + std::to_string(k) + ": " + *fault + "; verifier at " + v.where() + ": " + v.summary());
    }
    judge(v);
    return v;
  }

  void iterate(RunEngine& engine, uint64_t k) {
    guest_.shared()->iteration = k;
    dropped_this_iteration_ = false;
    mix_.plan_iteration(k);
    const std::vector<uint64_t> before = write_counts();
    uint64_t reported = 0, rewritten = 0, collections = 0, waited = 0;
    const auto count = [&](const Verdict& v) {
      reported += v.reported;
      rewritten += v.rewritten;
      waited += v.began_waiting;
      ++collections;
    };

    engine.resume();
    // Collections at pseudo-random points while the vCPUs write (one per
    // interval), so collection races with writes as in a live migration;
    // the iteration ends once the interval is over and every vCPU has done
    // its part of the write mix (see guest_behind).
    const CollectSchedule& schedule = collector_.schedule();
    const auto interval = std::chrono::microseconds(options_.interval_ms * 1000ULL);
    std::uniform_int_distribution<int64_t> point(0, interval.count());
    const auto start = std::chrono::steady_clock::now();
    auto next = start + std::chrono::microseconds(point(rng_));
    bool ran_one = !schedule.collects_while_running();
    engine.wait_until(
        [&] {
          if (!ran_one || std::chrono::steady_clock::now() < start + interval) return std::string("the interval");
          return guest_behind(before);
        },
        "iteration " + std::to_string(k) + ": the guest did not finish its writes",
        [&] {
          if (!schedule.collects_while_running() || std::chrono::steady_clock::now() < next) return;
          count(collect_and_judge(k, Phase::Running));
          mix_.after_running_collection();
          ran_one = true;
          next = std::chrono::steady_clock::now() + std::chrono::microseconds(point(rng_));
        });
    engine.pause();
    const Verdict v = collect_and_judge(k, Phase::Paused);
    count(v);

    uint64_t writes = 0;
    const std::vector<uint64_t> after = write_counts();
    for (uint32_t i = 0; i < after.size(); ++i) writes += after[i] - before[i];
    result_.guest_writes += writes;
    diag_(std::string(collector_.mode()) + ": iteration " + std::to_string(k) + ": " + std::to_string(collections) +
          " collections reported " + std::to_string(reported) + " pages (" + std::to_string(rewritten) +
          " rewritten since reported), " + std::to_string(v.written) + " pages hold stamp " + std::to_string(k) +
          ", guest writes " + std::to_string(writes) +
          (waited ? ", " + std::to_string(waited) + " pages waited for another vCPU's fault" : ""));
    if (v.written == 0)
      fail("iteration " + std::to_string(k) + ": guest made " + std::to_string(writes) +
           " writes but no page holds stamp " + std::to_string(k));
    result_.iterations = k;
  }

  // Empty when the iteration may end: every vCPU did its write mix and its
  // minimum of writes, and the collector's schedule agrees (ring-wait:
  // every vCPU has blocked; --soft-full: every vCPU exited ring-full).
  // Else who is behind.
  std::string guest_behind(const std::vector<uint64_t>& before) {
    std::string behind = mix_.pending();
    for (uint32_t i = 0; i < before.size(); ++i) {
      const uint64_t made = guest_.writes(i) - before[i];
      if (made < options_.min_writes_per_vcpu)
        append_item(behind, "; ",
                    "vCPU " + std::to_string(i) + " made " + std::to_string(made) + " of " +
                        std::to_string(options_.min_writes_per_vcpu) + " writes");
    }
    const std::string waiting = collector_.schedule().waiting_for();
    if (!waiting.empty()) append_item(behind, "; ", waiting);
    return behind;
  }

  void judge(const Verdict& v) {
    if (v.ok()) return;
    for (const auto& o : v.first) result_.offenders.push_back(describe_offense(guest_.region(), v, o));
    fail("iteration " + std::to_string(v.iteration) + ": " + v.summary() +
         (result_.offenders.empty() ? "" : "; first: " + result_.offenders.front()));
  }

  const RunOptions& options_;
  Collector& collector_;
  const std::function<void(const std::string&)>& diag_;
  ModeResult& result_;
  GuestVm guest_;
  std::mt19937_64 rng_;
  StampView memory_;
  CollectionVerifier verifier_;
  WriteMix mix_;
  DirtySet collected_;
  std::shared_ptr<void> companion_;  // declared after guest_: gone before the VM is
  uint64_t collection_number_ = 0;
  bool dropped_this_iteration_ = false;
};

}  // namespace

ModeResult run_mode(const KvmSystem& kvm, const RunOptions& options,
                    const std::function<void(const std::string&)>& diag) {
  ModeResult result{.mode = options.mode, .seed = mode_seed(options.guest.seed, options.mode)};
  RunOptions seeded = options;
  seeded.guest.seed = result.seed;
  seeded.guest.log_dirty_from_start = !options.populate_first;
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Collector> collector;
  try {
    collector = make_collector(options.mode, options.injection, options.ring_entries, result.seed, options.soft_full);
    // Programs reject this while parsing options; a caller that did not
    // still gets a usage error, never a skip or a pass.
    if (!collector->faults().supports(options.injection))
      throw UsageError(inapplicable_injection(options.mode, options.injection));
    Run run(kvm, seeded, *collector, diag, result);
    std::optional<SignalStorm> storm;
    if (options.reset_signals && collector->ring_entries()) storm.emplace();
    run.execute();
    storm.reset();
    // A fault that could fire but did not proves nothing about the
    // verifier: the run that was asked to fail has not, so it fails.
    if (options.injection != Injection::None && result.outcome == Outcome::Pass && !collector->faults().fired()) {
      result.outcome = Outcome::Fail;
      result.reason = std::string("--inject ") + injection_name(options.injection) +
                      " never fired: the run was too short for it (skip-clear and skip-reset act at a late "
                      "paused collection, wrong-slot at the 10th ring entry); give it more iterations (-i)";
    }
  } catch (const SkipError& e) {
    result.outcome = Outcome::Skip;
    result.reason = e.what();
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    result.outcome = Outcome::Fail;
    result.reason = e.what();
  }
  if (collector) {
    result.counters = collector->counters();
    result.ring_entries = collector->ring_entries();
  }
  result.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace dirtyscope
