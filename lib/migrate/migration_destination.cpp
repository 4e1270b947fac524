// The destination of a migration: an identical VM that receives pages and
// vCPU state, hashes its memory for the source, then resumes the guest and
// lets it check its own counters (lib/guest/migrate_workload.c).
#include <thread>

#include "channel.hpp"
#include "dirtyscope/no_log_collector.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/vcpu_pool.hpp"
#include "guest_memory.hpp"
#include "migration_sides.hpp"

namespace dirtyscope::migrate {

namespace {

using Clock = std::chrono::steady_clock;

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

  // The vCPUs start where the source stopped them: inside the workload's
  // PAUSED report, with pause_request still set, so they report in first.
  std::vector<ResumedVcpu> resume() {
    const uint32_t n = static_cast<uint32_t>(guest_.vcpus().size());
    std::vector<ResumedVcpu> out(n);
    VcpuPool pool(guest_, no_log_);
    if (!pool.wait_all_paused(options_.stall_timeout)) throw std::runtime_error("resumed: " + *pool.error());
    for (uint32_t i = 0; i < n; ++i) out[i].writes_at_resume = guest_.params(i).writes;
    const uint64_t first = ask_self_check();
    pool.resume_all();
    wait_checks(pool, first);
    for (uint32_t i = 0; i < n; ++i) {
      out[i].first_check_ok = guest_.shared()->migrated[i].check & 1;
      out[i].first_check_sum = guest_.shared()->migrated[i].check_sum;
    }
    std::vector<uint64_t> from(n);
    for (uint32_t i = 0; i < n; ++i) from[i] = guest_.shared()->migrated[i].periods;
    wait_until(pool, "complete " + std::to_string(options_.resume_periods) + " periods after resuming", [&] {
      for (uint32_t i = 0; i < n; ++i)
        if (guest_.shared()->migrated[i].periods < from[i] + options_.resume_periods) return false;
      return true;
    });
    const uint64_t second = ask_self_check();
    wait_checks(pool, second);
    if (!pool.pause_all(options_.stall_timeout)) throw std::runtime_error("resumed: " + *pool.error());
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

  void wait_checks(VcpuPool& pool, uint64_t gen) {
    wait_until(pool, "answer self-check " + std::to_string(gen), [&] {
      for (uint32_t i = 0; i < guest_.vcpus().size(); ++i)
        if (guest_.shared()->migrated[i].check >> 1 != gen) return false;
      return true;
    });
  }

  template <typename Done>
  void wait_until(VcpuPool& pool, const std::string& what, Done done) {
    const auto deadline = Clock::now() + options_.stall_timeout;
    while (!done()) {
      if (auto err = pool.error()) throw std::runtime_error("resumed: " + *err);
      if (Clock::now() > deadline)
        throw std::runtime_error("resumed: the guest did not " + what + " within " +
                                 std::to_string(options_.stall_timeout.count()) + " ms");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
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
