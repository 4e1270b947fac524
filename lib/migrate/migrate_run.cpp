#include "dirtyscope/migrate/migrate_run.hpp"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "channel.hpp"
#include "dirtyscope/collector.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/hex.hpp"
#include "dirtyscope/mode_runner.hpp"
#include "migration_sides.hpp"

namespace dirtyscope::migrate {

namespace {

const std::pair<MigrateInjection, const char*> kInjections[] = {
    {MigrateInjection::None, "none"},
    {MigrateInjection::DropPage, "drop-page"},
    {MigrateInjection::SkipRound, "skip-round"},
    {MigrateInjection::SkipReset, "skip-reset"},
    {MigrateInjection::CorruptPage, "corrupt-page"},
};

// The destination process: exit 0 when the source got everything it asked
// for; on failure it tells the source why in an Error frame.
[[noreturn]] void destination_process(UniqueFd fd, const MigrateOptions& options, uint64_t seed) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the source
  Channel channel(std::move(fd));
  int code = 0;
  try {
    KvmSystem kvm = KvmSystem::open();
    run_destination(kvm, options, seed, channel);
  } catch (const std::exception& e) {
    const std::string text = std::string("destination: ") + e.what();
    try {
      channel.send(FrameType::Error, static_cast<uint32_t>(text.size()), 0,
                   std::as_bytes(std::span<const char>(text.data(), text.size())));
    } catch (const std::exception&) {
      // The source is gone already; nobody is left to tell.
    }
    code = 1;
  }
  std::_Exit(code);
}

void judge(MigrateResult& r, MigrateInjection injection) {
  if (r.mismatched_pages) {
    r.outcome = Outcome::Fail;
    r.reason = std::to_string(r.mismatched_pages) + " of " + std::to_string(r.memory_pages) +
               " pages differ after stop-and-copy; first: " + r.mismatches.front().describe();
    return;
  }
  if (!r.resumed_ok) {
    r.outcome = Outcome::Fail;
    r.reason = "the resumed destination did not go on from the migrated state:";
    for (size_t i = 0; i < r.resumed.size(); ++i) {
      const ResumedVcpu& v = r.resumed[i];
      r.reason += " vCPU " + std::to_string(i) + " counted " + std::to_string(v.first_check_sum) + " then " +
                  std::to_string(v.second_check_sum) + " writes in its pages, made " +
                  std::to_string(v.writes_at_resume) + " then " + std::to_string(v.writes_after) + ";";
    }
    return;
  }
  if (injection != MigrateInjection::None && !r.injection_fired) {
    r.outcome = Outcome::Fail;
    r.reason = std::string("--inject ") + migrate_injection_name(injection) + " never fired" +
               (r.injected.empty() ? std::string() : " (" + r.injected + ")") +
               ": the migration gave it nothing to act on; give the workload more pages or rounds";
  }
}

}  // namespace

std::optional<MigrateInjection> parse_migrate_injection(std::string_view name) {
  for (const auto& [i, n] : kInjections)
    if (name == n) return i;
  return std::nullopt;
}

const char* migrate_injection_name(MigrateInjection i) {
  for (const auto& [v, n] : kInjections)
    if (v == i) return n;
  return "?";
}

bool migrate_injection_applies(std::string_view mode, MigrateInjection injection) {
  if (injection != MigrateInjection::SkipReset) return true;
  return make_collector(mode, Injection::None, 0, 0)->faults().supports(Injection::SkipReset);
}

std::string migrate_injection_inapplicable(std::string_view mode, MigrateInjection injection) {
  std::string s = std::string("--inject ") + migrate_injection_name(injection) + " cannot fire in " + std::string(mode);
  if (mode == "dirty-log") return s + ": KVM_GET_DIRTY_LOG re-protects as it harvests";
  if (mode == "clear-log")
    return s + ": a skipped KVM_CLEAR_DIRTY_LOG leaves the bits set, so the pages are reported again and nothing "
               "is lost";
  return s;
}

std::string PageMismatch::describe() const {
  std::string s = "gfn " + hex(gfn);
  if (system) return s + " (system slot, sent whole in stop-and-copy)";
  s += writer_vcpu >= 0 ? " written by vCPU " + std::to_string(writer_vcpu) : " never written";
  s += ", last dirtied in round " + (last_dirtied_round >= 0 ? std::to_string(last_dirtied_round) : "-");
  s += ", last sent in round " + (last_sent_round >= 0 ? std::to_string(last_sent_round) : "-");
  s += ", " + std::to_string(source_writes) + " writes at the source, " + std::to_string(destination_writes) +
       " at the destination";
  return s;
}

GuestConfig migration_guest(const MigrateOptions& options, uint64_t seed) {
  GuestConfig g = options.guest;
  g.seed = seed;
  g.program = GuestProgram::MigrateWrites;
  g.log_dirty_from_start = options.log_from_start;
  return g;
}

MigrateResult migrate_mode(const MigrateOptions& options, uint64_t run_seed,
                           const std::function<void(const std::string&)>& diag) {
  MigrateResult result{.mode = options.mode, .seed = mode_seed(run_seed, options.mode)};
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    result.outcome = Outcome::Fail;
    result.reason = std::string("socketpair: ") + std::strerror(errno);
    return result;
  }
  UniqueFd ours(sv[0]), theirs(sv[1]);
  std::fflush(nullptr);  // or the child's exit would flush our buffers twice
  const pid_t child = fork();
  if (child < 0) {
    result.outcome = Outcome::Fail;
    result.reason = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  if (child == 0) {
    ours = UniqueFd();
    destination_process(std::move(theirs), options, result.seed);
  }
  theirs = UniqueFd();
  bool source_failed = true;
  {
    Channel channel(std::move(ours));
    channel.set_bandwidth(options.bandwidth_mbps);
    try {
      KvmSystem kvm = KvmSystem::open();
      run_source(kvm, options, result.seed, channel, result, diag);
      source_failed = false;
      judge(result, options.injection);
    } catch (const SkipError& e) {
      result.outcome = Outcome::Skip;
      result.reason = e.what();
    } catch (const std::exception& e) {
      result.outcome = Outcome::Fail;
      result.reason = e.what();
    }
  }  // closing the stream ends a destination still waiting on it
  if (source_failed) kill(child, SIGKILL);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!source_failed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && result.outcome == Outcome::Pass) {
    result.outcome = Outcome::Fail;
    result.reason = "the destination process ended with status " + std::to_string(status);
  }
  return result;
}

}  // namespace dirtyscope::migrate
