// The destination of a migration: an identical VM that receives pages and
// vCPU state, hashes its memory for the source, then resumes the guest and
// lets it check its own counters (lib/guest/migrate_workload.c).
#include "channel.hpp"
#include "dirtyscope/no_log_collector.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/run_engine.hpp"
#include "guest_memory.hpp"
#include "migration_sides.hpp"

namespace dirtyscope::migrate {

namespace {

class Destination {
 public:
  Destination(const KvmSystem& kvm, const MigrateOptions& options, uint64_t seed, Channel& channel)
      : options_(options), channel_(channel), guest_(kvm, migration_guest(options, seed), no_log_), memory_(guest_) {}

  void run() {
    receive_memory_and_state();
    send_hashes();
    answer_verdict();
    channel_.send(FrameType::Resumed, static_cast<uint32_t>(guest_.vcpus().size()), 0, bytes_of(resume()));
  }

 private:
  void receive_memory_and_state() {
    std::vector<uint64_t> indices;
    for (;;) {
      const FrameHeader h = channel_.receive_header();
      switch (h.type) {
        case FrameType::Pages: {
          indices.resize(h.count);
          channel_.receive(std::as_writable_bytes(std::span<uint64_t>(indices)));
          for (uint64_t i : indices) {
            if (i >= memory_.pages()) throw ChannelError("page index " + std::to_string(i) + " out of range");
            channel_.receive(std::span<std::byte>(reinterpret_cast<std::byte*>(memory_.page(i)), kPageSize));
          }
          break;
        }
        case FrameType::VcpuState: {
          if (h.count != guest_.vcpus().size()) throw ChannelError("state of " + std::to_string(h.count) + " vCPUs");
          std::vector<VcpuState> states(h.count);
          channel_.receive(std::as_writable_bytes(std::span<VcpuState>(states)));
          for (uint32_t i = 0; i < h.count; ++i) {
            guest_.vcpus()[i]->set_sregs(states[i].sregs);
            guest_.vcpus()[i]->set_regs(states[i].regs);
          }
          break;
        }
        case FrameType::End:
          channel_.send(FrameType::Applied, 0, 0);
          return;
        default:
          throw ChannelError("unexpected frame " + std::to_string(uint32_t(h.type)) + " in the page stream");
      }
    }
  }

  void send_hashes() {
    std::vector<Sha256> digests = memory_.page_digests();
    digests.push_back(memory_.total_digest());
    channel_.send(FrameType::Hashes, static_cast<uint32_t>(digests.size() - 1), 0, bytes_of(digests));
  }

  void answer_verdict() {
    const FrameHeader h = channel_.expect(FrameType::Verdict);
    std::vector<uint64_t> listed(h.count), words;
    channel_.receive(std::as_writable_bytes(std::span<uint64_t>(listed)));
    for (uint64_t i : listed)
      words.push_back(i < memory_.pages() ? reinterpret_cast<const uint64_t*>(memory_.page(i))[2] : 0);
    channel_.send(FrameType::PageWords, static_cast<uint32_t>(words.size()), 0, bytes_of(words));
  }

  std::vector<ResumedVcpu> resume() {
    try {
      return resume_and_check();
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("resumed: ") + e.what());
    }
  }

  // The vCPUs start where the source stopped them: inside the workload's
  // PAUSED report, with pause_request still set, so they report in first.
  std::vector<ResumedVcpu> resume_and_check() {
    const uint32_t n = static_cast<uint32_t>(guest_.vcpus().size());
    std::vector<ResumedVcpu> out(n);
    RunEngine engine(guest_, no_log_, options_.stall_timeout);
    engine.start();
    for (uint32_t i = 0; i < n; ++i) out[i].writes_at_resume = guest_.params(i).writes;
    const uint64_t first = ask_self_check();
    engine.resume();
    wait_checks(engine, first);
    for (uint32_t i = 0; i < n; ++i) {
      out[i].first_check_ok = guest_.shared()->migrated[i].check & 1;
      out[i].first_check_sum = guest_.shared()->migrated[i].check_sum;
    }
    std::vector<uint64_t> from(n);
    for (uint32_t i = 0; i < n; ++i) from[i] = guest_.shared()->migrated[i].periods;
    wait_until(engine, "complete " + std::to_string(options_.resume_periods) + " periods after resuming", [&] {
      for (uint32_t i = 0; i < n; ++i)
        if (guest_.shared()->migrated[i].periods < from[i] + options_.resume_periods) return false;
      return true;
    });
    const uint64_t second = ask_self_check();
    wait_checks(engine, second);
    engine.pause();
    for (uint32_t i = 0; i < n; ++i) {
      out[i].second_check_ok = guest_.shared()->migrated[i].check & 1;
      out[i].second_check_sum = guest_.shared()->migrated[i].check_sum;
      out[i].writes_after = guest_.params(i).writes;
    }
    return out;
  }

  // A new check generation: each vCPU answers it at its next loop.
  uint64_t ask_self_check() {
    const uint64_t gen = guest_.shared()->migrate.check_gen + 1;
    guest_.shared()->migrate.check_gen = gen;
    return gen;
  }

  void wait_checks(RunEngine& engine, uint64_t gen) {
    wait_until(engine, "answer self-check " + std::to_string(gen), [&] {
      for (uint32_t i = 0; i < guest_.vcpus().size(); ++i)
        if (guest_.shared()->migrated[i].check >> 1 != gen) return false;
      return true;
    });
  }

  template <typename Done>
  void wait_until(RunEngine& engine, const std::string& what, Done done) {
    engine.wait_until([&] { return done() ? std::string() : what; }, "the guest did not " + what);
  }

  const MigrateOptions& options_;
  Channel& channel_;
  NoLogCollector no_log_;
  GuestVm guest_;
  GuestMemory memory_;
};

}  // namespace

void run_destination(const KvmSystem& kvm, const MigrateOptions& options, uint64_t seed, Channel& channel) {
  Destination(kvm, options, seed, channel).run();
}

}  // namespace dirtyscope::migrate
