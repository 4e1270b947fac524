#include "dirtyscope/mode_runner.hpp"

#include <cinttypes>
#include <cstdio>
#include <random>
#include <thread>

#include "dirtyscope/error.hpp"
#include "dirtyscope/vcpu_pool.hpp"

namespace dirtyscope {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Pass: return "pass";
    case Outcome::Fail: return "fail";
    case Outcome::Skip: return "skip";
  }
  return "?";
}

namespace {

std::string describe_offense(const TestRegion& region, const OffendingPage& o, uint64_t iteration) {
  const RegionSlot& slot = region.slot_of(o.page);
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "%s: gfn 0x%" PRIx64 " (slot %u offset 0x%" PRIx64 ") holds stamp %" PRIu64
                ", iteration %" PRIu64 "%s",
                offense_name(o.kind), region.gfn_of(o.page), slot.slot, o.page - slot.first_page,
                o.stamp, iteration,
                o.writer ? (", written by vCPU " + std::to_string(o.writer - 1)).c_str() : "");
  return buf;
}

// The runner's side of one run; owns the VM for the run's lifetime.
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
        stamps_{guest_.region().host(), guest_.region().pages()},
        reported_(guest_.region().pages()) {}

  void execute() {
    result_.vcpus = static_cast<uint32_t>(guest_.vcpus().size());
    if (options_.hooks.vm_ready) options_.hooks.vm_ready();
    VcpuPool pool(guest_, collector_);
    if (!pool.wait_all_paused(options_.stall_timeout)) return fail(*pool.error());
    if (!check_initial()) return;
    for (uint64_t k = 1; k <= options_.iterations; ++k)
      if (!iterate(pool, k)) return;
    result_.ioctls = guest_.vm().dirty_ioctl_counts();
    result_.counters = collector_.counters();
    result_.ring_entries = collector_.ring_entries();
    if (options_.hooks.vm_done) options_.hooks.vm_done(result_);
  }

 private:
  void fail(const std::string& reason) {
    result_.outcome = Outcome::Fail;
    if (result_.reason.empty()) result_.reason = reason;
  }

  bool check_initial() {
    reported_.clear();
    collector_.collect(reported_, Phase::Paused);
    Verdict v = verify_initial(stamps_, reported_, collector_.initially_all_dirty());
    diag_(std::string(collector_.mode()) + ": before iteration 1: reported " +
          std::to_string(v.reported) + " of " + std::to_string(stamps_.pages) + " pages (expected " +
          (collector_.initially_all_dirty() ? "all: KVM_DIRTY_LOG_INITIALLY_SET" : "none") + ")");
    return judge(v, 0);
  }

  bool iterate(VcpuPool& pool, uint64_t k) {
    guest_.shared()->iteration = k;
    reported_.clear();
    std::vector<uint64_t> per_vcpu_before;
    for (uint32_t i = 0; i < guest_.vcpus().size(); ++i) per_vcpu_before.push_back(uint64_t{guest_.params(i).writes});

    pool.resume_all();
    // One collection at a pseudo-random point while the vCPUs write, so
    // collection races with writes as it does in a live migration.
    auto interval = std::chrono::microseconds(options_.interval_ms * 1000ULL);
    std::uniform_int_distribution<int64_t> point(0, interval.count());
    auto mid = std::chrono::microseconds(point(rng_));
    std::this_thread::sleep_for(mid);
    collector_.collect(reported_, Phase::Running);
    std::this_thread::sleep_for(interval - mid);
    if (!wait_min_writes(pool, per_vcpu_before)) return false;
    if (!pool.pause_all(options_.stall_timeout)) {
      fail(*pool.error());
      return false;
    }
    collector_.collect(reported_, Phase::Paused);
    if (auto dropped = collector_.finish_iteration(reported_))
      diag_("inject drop-dirty: dropped gfn 0x" + to_hex(guest_.region().gfn_of(*dropped)));

    uint64_t writes = 0;
    for (uint32_t i = 0; i < per_vcpu_before.size(); ++i) writes += guest_.params(i).writes - per_vcpu_before[i];
    Verdict v = verify_iteration(k, stamps_, reported_);
    result_.guest_writes += writes;
    result_.pages_reported_dirty += v.reported;
    diag_(std::string(collector_.mode()) + ": iteration " + std::to_string(k) + ": dirty " +
          std::to_string(v.reported) + " clean " + std::to_string(v.clean) + " written " +
          std::to_string(v.written) + " guest writes " + std::to_string(writes));
    if (auto fault = collector_.take_fault()) {
      if (!v.ok())
        for (const auto& o : v.first) result_.offenders.push_back(describe_offense(guest_.region(), o, k));
      fail("iteration " + std::to_string(k) + ": " + *fault + "; verifier: " + v.summary());
      return false;
    }
    if (!judge(v, k)) return false;
    if (v.written == 0) {
      fail("iteration " + std::to_string(k) + ": guest made " + std::to_string(writes) +
           " writes but no page holds stamp " + std::to_string(k));
      return false;
    }
    result_.iterations = k;
    return true;
  }

  // The interval is over; the iteration may end once every vCPU made its
  // minimum writes and the collector agrees (ring-wait: all have blocked).
  bool wait_min_writes(VcpuPool& pool, const std::vector<uint64_t>& before) {
    auto deadline = std::chrono::steady_clock::now() + options_.stall_timeout;
    while (!collector_.interval_may_end()) {
      if (auto err = pool.error()) {
        fail(*err);
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        fail(collector_.waiting_for() + " within " + std::to_string(options_.stall_timeout.count()) + " ms");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (uint32_t i = 0; i < before.size(); ++i) {
      while (guest_.params(i).writes - before[i] < options_.min_writes_per_vcpu) {
        if (auto err = pool.error()) {
          fail(*err);
          return false;
        }
        if (std::chrono::steady_clock::now() > deadline) {
          fail("vCPU " + std::to_string(i) + " made only " +
               std::to_string(guest_.params(i).writes - before[i]) + " of " +
               std::to_string(options_.min_writes_per_vcpu) + " writes within " +
               std::to_string(options_.stall_timeout.count()) + " ms");
          return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    return true;
  }

  bool judge(const Verdict& v, uint64_t k) {
    if (v.ok()) return true;
    for (const auto& o : v.first) result_.offenders.push_back(describe_offense(guest_.region(), o, k));
    fail("iteration " + std::to_string(k) + ": " + v.summary() +
         (result_.offenders.empty() ? "" : "; first: " + result_.offenders.front()));
    return false;
  }

  static std::string to_hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%" PRIx64, v);
    return buf;
  }

  const RunOptions& options_;
  Collector& collector_;
  const std::function<void(const std::string&)>& diag_;
  ModeResult& result_;
  GuestVm guest_;
  std::mt19937_64 rng_;
  StampView stamps_;
  DirtySet reported_;
};

}  // namespace

ModeResult run_mode(const KvmSystem& kvm, const RunOptions& options,
                    const std::function<void(const std::string&)>& diag) {
  ModeResult result;
  result.mode = options.mode;
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Collector> collector;
  try {
    collector = make_collector(options.mode, options.injection, options.ring_entries, options.guest.seed);
    if (!collector->supports(options.injection))
      throw SkipError(std::string("--inject ") + injection_name(options.injection) + " does not apply to " +
                      options.mode);
    Run run(kvm, options, *collector, diag, result);
    run.execute();
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
