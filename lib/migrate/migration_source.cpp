// The source of a migration: the workload runs while rounds of pre-copy
// send what the collector reports, then stop-and-copy sends the rest and
// the vCPUs' state, and the checksums of both sides are compared here,
// where each page's history is known.
#include <linux/kvm.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>

#include "channel.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/hex.hpp"
#include "dirtyscope/ioctl.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/run_engine.hpp"
#include "guest_memory.hpp"
#include "migration_sides.hpp"
#include "ring_reaper.hpp"

namespace dirtyscope::migrate {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kBatchPages = 64;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

class Source {
 public:
  Source(const KvmSystem& kvm, const MigrateOptions& options, uint64_t seed, Channel& channel, MigrateResult& result,
         const Diag& diag)
      : options_(options),
        channel_(channel),
        result_(result),
        diag_(diag),
        collector_(make_collector(options.mode, Injection::None, options.ring_entries, seed)),
        guest_(kvm, migration_guest(options, seed), *collector_),
        memory_(guest_),
        last_sent_(memory_.pages(), -1),
        last_dirtied_(memory_.pages(), -1),
        collected_(guest_.region().pages()) {
    // The command line rejects this first; any other caller still gets a
    // usage error, never a skip or a pass.
    if (!migrate_injection_applies(options.mode, options.injection))
      throw UsageError(migrate_injection_inapplicable(options.mode, options.injection));
    result_.vcpus = static_cast<uint32_t>(guest_.vcpus().size());
    result_.memory_pages = memory_.pages();
    assign_ranges();
    configure_workload();
  }

  void run() {
    engine_.emplace(guest_, *collector_, options_.stall_timeout);
    engine_->start();
    engine_->resume();
    if (!options_.log_from_start) start_logging();
    const auto start = Clock::now();

    // Logging is on from memslot creation. One harvest first, so what KVM
    // reports as initially dirty (KVM_DIRTY_LOG_INITIALLY_SET) is behind
    // us: round 0 reads every page after it, later rounds what it missed.
    RoundStats warmup = harvest(0, Phase::Running);
    start_reaper();
    round0(warmup);
    uint32_t round = 1;
    for (;; ++round) {
      check();
      RoundStats r = harvest(round, Phase::Running);
      send_collected(r);
      result_.rounds.push_back(r);
      diag_(mode() + ": round " + std::to_string(round) + ": " + std::to_string(r.collected) + " dirty pages sent");
      if (r.collected <= options_.threshold_pages || round >= options_.max_rounds) break;
    }
    if (options_.injection == MigrateInjection::SkipRound || options_.injection == MigrateInjection::SkipReset)
      faulty_round(++round);
    // Stop where two periods have run since the last live round, so at
    // least one whole period (its hot pages included) was written after
    // it, as a workload that keeps running would.
    wait_periods(periods(), 2, "stop-and-copy");

    const auto paused_at = Clock::now();
    engine_->pause();
    RoundStats last = harvest(round + 1, Phase::Paused);  // takes the reaper's last pages and stops it
    last.stop_and_copy = true;
    if (options_.injection == MigrateInjection::DropPage) drop_one(last);
    send_collected(last);
    send_system(last);
    result_.rounds.push_back(last);
    engine_.reset();  // joins the vCPU threads: their vCPUs are ours to finish and read
    channel_.send(FrameType::VcpuState, static_cast<uint32_t>(guest_.vcpus().size()), 0, bytes_of(capture_state()));
    channel_.send(FrameType::End, 0, 0);
    channel_.expect(FrameType::Applied);
    result_.downtime_ms = ms_since(paused_at);
    result_.total_s = ms_since(start) / 1000;
    for (const RoundStats& r : result_.rounds) result_.collect_ms += r.collect_ms;
    result_.counters = collector_->counters();
    result_.collect_kernel_ms = double(result_.counters.collect_kernel_ns) / 1e6;
    result_.bytes_sent = channel_.paced_bytes();
    char line[160];
    std::snprintf(line, sizeof line, ": stop-and-copy: %llu dirty pages + %llu system pages, downtime %.1f ms",
                  static_cast<unsigned long long>(last.collected),
                  static_cast<unsigned long long>(memory_.system_pages()), result_.downtime_ms);
    diag_(mode() + line);
    compare_checksums();
    receive_resume_report();
  }

 private:
  std::string mode() const { return options_.mode; }

  // skip-round and skip-reset act on one more live round after pre-copy
  // converged. Two periods before it make sure it collects whole periods
  // (hot pages included); two after it (before the pause) that pages it
  // collected are written again, which only a working reset would log.
  void faulty_round(uint32_t round) {
    wait_periods(periods(), 2, "the faulty round");
    const bool skip_reset = options_.injection == MigrateInjection::SkipReset;
    if (skip_reset) collector_->faults().skip_next_reprotect();  // the reaper's harvest may be the one that skips
    RoundStats r = harvest(round, Phase::Running);
    if (skip_reset) {
      // Still pending: no harvest up to this one found an entry, so no
      // reset was skipped. Withdrawn, or stop-and-copy would skip it
      // where it can lose nothing.
      result_.injection_fired = !collector_->faults().take_skip_reprotect();
      send_collected(r);
      result_.injected = "skip-reset: round " + std::to_string(round) + " harvested " + std::to_string(r.collected) +
                         " pages without KVM_RESET_DIRTY_RINGS";
      if (!result_.injection_fired) result_.injected += " (no harvest found an entry: no reset skipped)";
    } else {
      result_.injection_fired = r.collected > 0;
      result_.injected = "skip-round: round " + std::to_string(round) + "'s " + std::to_string(r.collected) +
                         " collected pages were never sent";
    }
    result_.rounds.push_back(r);
    diag_(result_.injected);
  }

  void assign_ranges() {
    // Each vCPU owns a share of the region, so a page's counter has one
    // writer and the sum of a vCPU's counters is its number of writes.
    const uint64_t pages = guest_.region().pages(), n = guest_.vcpus().size();
    if (pages < n) throw UsageError("fewer test pages than vCPUs");
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t first = pages * i / n, end = pages * (i + 1) / n;
      guest_.params(i).region_gva = guest_.config().test_gpa + first * kPageSize;
      guest_.params(i).region_pages = end - first;
    }
  }

  // The guest has written every page with logging off (its first
  // "period" ends with that pass); now logging starts under it, as QEMU
  // starts it under a running VM: KVM must write-protect what is mapped.
  void start_logging() {
    wait_periods(std::vector<uint64_t>(guest_.vcpus().size(), 0), 1, "logging started");
    for (const auto& s : guest_.region().slots()) guest_.vm().set_dirty_logging(s.slot, true);
    diag_(mode() + ": every page written with logging off; logging on with the vCPUs running");
  }

  void configure_workload() {
    const long khz = kvm_ioctl(guest_.vcpus()[0]->fd(), KVM_GET_TSC_KHZ, 0);
    ds_migrate_params& p = guest_.shared()->migrate;
    p.hot_pages = options_.workload.hot_pages;
    p.dirty_pages = options_.workload.dirty_pages;
    p.random_pages = options_.workload.random_pages;
    p.pause_tsc = static_cast<uint64_t>(double(khz) * options_.workload.pause_ms);
    p.check_gen = 0;
    p.populate = options_.log_from_start ? 0 : 1;
  }

  void check() {
    if (auto err = engine_->pool().error()) throw std::runtime_error(*err);
    if (auto fault = collector_->take_fault()) throw CollectorError(*fault);
  }

  // --reaper on a ring mode: from now on a thread harvests continuously.
  void start_reaper() {
    if (!options_.reaper) return;
    if (collector_->ring_entries() == 0) {
      diag_(mode() + ": --reaper: no ring to reap, this mode collects once per round");
      return;
    }
    reaper_.emplace(*collector_, engine_->collector_mutex(), guest_.region().pages(), kReaperPeriod);
  }

  RoundStats harvest(uint32_t round, Phase phase) {
    RoundStats r;
    r.round = round;
    const auto t = Clock::now();
    std::unique_lock lock(engine_->collector_mutex());
    collected_.clear();
    if (reaper_) {
      if (phase == Phase::Paused) {
        // Stop it before taking its pages: a reap that ran after the take
        // would vanish with the reaper (what ring-wait's final frees went to).
        lock.unlock();
        reaper_->stop();
        lock.lock();
        result_.reaps = reaper_->reaps();
      }
      reaper_->take(collected_);
      if (phase == Phase::Paused) reaper_.reset();
    }
    collector_->schedule().while_pausing();  // ring-wait: free the rings at every round, as its collector would
    collector_->collect(collected_, phase);
    r.collect_ms = ms_since(t);
    if (auto fault = collector_->take_fault()) throw CollectorError(*fault);
    r.collected = collected_.count();
    for (uint64_t p = collected_.next_set(0); p < collected_.pages(); p = collected_.next_set(p + 1))
      last_dirtied_[memory_.index_of_region_page(p)] = round;
    return r;
  }

  void round0(const RoundStats& warmup) {
    RoundStats r = warmup;
    std::vector<uint64_t> all(memory_.pages());
    for (uint64_t i = 0; i < all.size(); ++i) all[i] = i;
    send(r, all);
    result_.rounds.push_back(r);
    diag_(mode() + ": round 0: sent all " + std::to_string(r.sent) + " pages");
  }

  void send_collected(RoundStats& r) {
    std::vector<uint64_t> pages;
    for (uint64_t p = collected_.next_set(0); p < collected_.pages(); p = collected_.next_set(p + 1))
      pages.push_back(memory_.index_of_region_page(p));
    send(r, pages);
  }

  // The system slot is not logged: stop-and-copy sends all of it, as a
  // VMM sends device state.
  void send_system(RoundStats& r) {
    std::vector<uint64_t> pages(memory_.system_pages());
    for (uint64_t i = 0; i < pages.size(); ++i) pages[i] = i;
    send(r, pages);
  }

  void drop_one(RoundStats& r) {
    const uint64_t p = collected_.next_set(0);
    if (p >= collected_.pages()) {
      result_.injected = "drop-page: stop-and-copy collected nothing to drop";
      return;
    }
    collected_.reset(p);
    --r.collected;
    result_.injection_fired = true;
    result_.injected = "drop-page: left gfn " + hex(guest_.region().gfn_of(p)) + " out of stop-and-copy";
    diag_(result_.injected);
  }

  void send(RoundStats& r, const std::vector<uint64_t>& pages) {
    const auto t = Clock::now();
    std::vector<std::byte> buffer(kBatchPages * kPageSize);
    for (size_t first = 0; first < pages.size(); first += kBatchPages) {
      const size_t n = std::min<size_t>(kBatchPages, pages.size() - first);
      const std::vector<uint64_t> batch(pages.begin() + first, pages.begin() + first + n);
      for (size_t i = 0; i < n; ++i) {
        std::memcpy(buffer.data() + i * kPageSize, memory_.page(batch[i]), kPageSize);
        last_sent_[batch[i]] = r.round;
      }
      if (r.stop_and_copy && options_.injection == MigrateInjection::CorruptPage && result_.injected.empty()) {
        buffer[3 * 8] ^= std::byte{0x40};  // past the words the guest writes: only the wire changed it
        result_.injection_fired = true;
        result_.injected = "corrupt-page: flipped a bit of gfn " + hex(memory_.gfn(batch[0])) +
                           " on the wire in stop-and-copy";
        diag_(result_.injected);
      }
      channel_.send(FrameType::Pages, static_cast<uint32_t>(n), r.round, bytes_of(batch));
      channel_.send_paced(std::span<const std::byte>(buffer.data(), n * kPageSize));
    }
    r.sent += pages.size();
    result_.pages_sent += pages.size();
    r.send_ms += ms_since(t);
  }

  std::vector<uint64_t> periods() {
    std::vector<uint64_t> p;
    for (uint32_t i = 0; i < guest_.vcpus().size(); ++i) p.push_back(uint64_t{guest_.shared()->migrated[i].periods});
    return p;
  }

  // BEFORE names what waits on the guest, for the stall message.
  void wait_periods(const std::vector<uint64_t>& from, uint64_t n, const std::string& before) {
    engine_->wait_until(
        [&] {
          const std::vector<uint64_t> now = periods();
          for (size_t i = 0; i < now.size(); ++i)
            if (now[i] < from[i] + n) return "vCPU " + std::to_string(i);
          return std::string();
        },
        "the guest did not complete a period before " + before,
        [&] { check(); });
  }

  // Each vCPU stopped at its PAUSED port write; KVM completes that write
  // only at the next KVM_RUN (api.rst: userspace must complete pending
  // operations before it saves state), so run once with immediate_exit.
  std::vector<VcpuState> capture_state() {
    std::vector<VcpuState> states;
    for (auto& vcpu : guest_.vcpus()) {
      vcpu->run_state()->immediate_exit = 1;
      if (vcpu->run() != -EINTR) throw std::runtime_error("KVM_RUN with immediate_exit did not return EINTR");
      vcpu->run_state()->immediate_exit = 0;
      states.push_back(VcpuState{vcpu->get_regs(), vcpu->get_sregs()});
    }
    return states;
  }

  void compare_checksums() {
    const FrameHeader h = channel_.expect(FrameType::Hashes);
    if (h.count != memory_.pages()) throw ChannelError("destination hashed " + std::to_string(h.count) + " pages");
    std::vector<Sha256> theirs(h.count + 1);
    channel_.receive(std::as_writable_bytes(std::span<Sha256>(theirs)));
    const std::vector<Sha256> ours = memory_.page_digests();
    result_.source_sha256 = hex_digest(memory_.total_digest());
    result_.destination_sha256 = hex_digest(theirs.back());
    for (uint64_t i = 0; i < ours.size(); ++i) {
      if (ours[i] == theirs[i]) continue;
      ++result_.mismatched_pages;
      if (result_.mismatches.size() < MigrateResult::kMaxListed) result_.mismatches.push_back(describe(i));
    }
    // The listed pages' counters at the destination, for the report.
    std::vector<uint64_t> listed;
    for (const PageMismatch& m : result_.mismatches) listed.push_back(m.index);
    channel_.send(FrameType::Verdict, static_cast<uint32_t>(listed.size()), result_.mismatched_pages, bytes_of(listed));
    const FrameHeader w = channel_.expect(FrameType::PageWords);
    if (w.count != listed.size()) throw ChannelError("destination sent " + std::to_string(w.count) + " page words");
    std::vector<uint64_t> words(listed.size());
    channel_.receive(std::as_writable_bytes(std::span<uint64_t>(words)));
    for (size_t i = 0; i < words.size(); ++i) result_.mismatches[i].destination_writes = words[i];
  }

  PageMismatch describe(uint64_t index) {
    PageMismatch m{.index = index, .gfn = memory_.gfn(index), .system = memory_.is_system(index),
                   .last_sent_round = last_sent_[index], .last_dirtied_round = last_dirtied_[index]};
    const auto* words = reinterpret_cast<const uint64_t*>(memory_.page(index));
    if (!m.system && words[1] >> DS_WRITER_SHIFT) m.writer_vcpu = int(words[1] >> DS_WRITER_SHIFT) - 1;
    m.source_writes = m.system ? 0 : words[2];
    return m;
  }

  void receive_resume_report() {
    const FrameHeader h = channel_.expect(FrameType::Resumed);
    result_.resumed.resize(h.count);
    channel_.receive(std::as_writable_bytes(std::span<ResumedVcpu>(result_.resumed)));
    result_.resumed_ok = h.count == guest_.vcpus().size();
    for (const ResumedVcpu& v : result_.resumed)
      result_.resumed_ok = result_.resumed_ok && v.first_check_ok && v.second_check_ok && v.writes_after > v.writes_at_resume;
  }

  static constexpr std::chrono::milliseconds kReaperPeriod{10};

  const MigrateOptions& options_;
  Channel& channel_;
  MigrateResult& result_;
  const Diag& diag_;
  std::unique_ptr<Collector> collector_;
  GuestVm guest_;
  GuestMemory memory_;
  std::vector<int64_t> last_sent_, last_dirtied_;
  DirtySet collected_;
  std::optional<RunEngine> engine_;     // the vCPU threads, while the guest runs here
  std::optional<RingReaper> reaper_;    // last: stopped before the collector goes
};

}  // namespace

void run_source(const KvmSystem& kvm, const MigrateOptions& options, uint64_t seed, Channel& channel,
                MigrateResult& result, const Diag& diag) {
  Source(kvm, options, seed, channel, result, diag).run();
}

}  // namespace dirtyscope::migrate
