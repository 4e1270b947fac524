// kill9_test: SIGKILL dirty_log_test at random points, in every mode and
// with hugetlb backings, and require that nothing is left behind: huge
// pages all free again (nr_hugepages as before, none reserved or in use),
// no process of the run alive, and, when dirtyscope.ko is loaded, no VM
// of the killed process in its debugfs `vms` table (the module must see a
// VM torn down by a dying process as it sees a clean exit).
//
// Usage: kill9_test [-n kills per configuration] [--seed N] [DIRTY_LOG_TEST]
// DIRTY_LOG_TEST defaults to dirty_log_test beside this program. KTAP,
// kselftest exit codes; needs root (huge pages, debugfs) and /dev/kvm.
#include <getopt.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dirtyscope/error.hpp"
#include "dirtyscope/size_parse.hpp"
#include "dirtyscope/ktap.hpp"
#include "dirtyscope/text_list.hpp"

using namespace dirtyscope;

namespace {

struct HugePages {
  long total = -1, free = -1, rsvd = -1, surp = -1;
  bool operator==(const HugePages&) const = default;
  std::string describe() const {
    return "total " + std::to_string(total) + " free " + std::to_string(free) + " reserved " + std::to_string(rsvd) +
           " surplus " + std::to_string(surp);
  }
};

HugePages huge_pages() {
  HugePages h;
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    long value = 0;
    in >> value;
    if (key == "HugePages_Total:") h.total = value;
    else if (key == "HugePages_Free:") h.free = value;
    else if (key == "HugePages_Rsvd:") h.rsvd = value;
    else if (key == "HugePages_Surp:") h.surp = value;
    std::string rest;
    std::getline(in, rest);
  }
  return h;
}

// Lines of dirtyscope.ko's debugfs `vms` naming a VM of `pid` ("<pid>-<fd>"),
// or "" when the module is not loaded or lists none.
std::string module_vms_of(pid_t pid) {
  std::ifstream in("/sys/kernel/debug/dirtyscope/vms");
  std::string found;
  const std::string prefix = std::to_string(pid) + "-";
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, name;
    fields >> id >> name;
    if (name.rfind(prefix, 0) == 0) append_item(found, "; ", line);
  }
  return found;
}

bool module_loaded() { return std::ifstream("/sys/kernel/debug/dirtyscope/vms").good(); }

// The module drops a VM from a workqueue-free teardown hook, but the
// dying process's files are released after it is reaped: wait for that
// state (a generous bound, not a timing assumption).
template <typename Done>
bool wait_until(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct Config {
  const char* label;
  std::vector<std::string> args;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t kills = 3, seed = 1;
  std::string dlt;
  try {
    static const option longs[] = {{"seed", required_argument, nullptr, 's'}, {nullptr, 0, nullptr, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:", longs, nullptr)) != -1) {
      if (c == 'n') kills = parse_uint("-n", optarg, 1, 1000);
      else if (c == 's') seed = parse_uint("--seed", optarg, 0, ~0ULL);
      else throw UsageError(std::string("unknown option or missing value: ") + argv[optind - 1]);
    }
    if (optind + 1 < argc) throw UsageError(std::string("unexpected argument '") + argv[optind + 1] + "'");
    const std::string self = argv[0];
    dlt = optind < argc ? argv[optind] : self.substr(0, self.find_last_of('/') + 1) + "dirty_log_test";
  } catch (const UsageError& e) {
    std::fprintf(stderr, "kill9_test: %s\n", e.what());
    return kExitUsage;
  }
  if (access(dlt.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "kill9_test: cannot run %s\n", dlt.c_str());
    return kExitUsage;
  }
  if (access("/dev/kvm", R_OK | W_OK) != 0) {
    Ktap::skip_all("/dev/kvm unavailable");
    return kExitSkip;
  }
  const HugePages before = huge_pages();
  std::vector<Config> configs;
  for (const char* mode : {"dirty-log", "clear-log", "dirty-ring", "dirty-ring-wait"})
    configs.push_back({mode, {"-M", mode, "-b", "16M", "-i", "1000", "-I", "5"}});
  // Huge page backings need pages reserved at boot (VM_HUGEPAGES).
  const bool huge = before.free >= 8;
  configs.push_back({"dirty-ring, anonymous_hugetlb", {"-M", "dirty-ring", "-b", "16M", "-i", "1000", "-s", "anonymous_hugetlb"}});
  configs.push_back({"clear-log, shared_hugetlb, 2 vCPUs", {"-M", "clear-log", "-b", "16M", "-i", "1000", "-v", "2", "-s", "shared_hugetlb"}});

  Ktap ktap;
  ktap.header(configs.size());
  ktap.diag("kill9_test: " + std::to_string(kills) + " SIGKILLs per configuration at random points, seed " +
            std::to_string(seed) + "; huge pages before: " + before.describe() +
            (module_loaded() ? "; dirtyscope.ko loaded" : "; dirtyscope.ko not loaded"));
  std::mt19937_64 rng(seed);
  for (const auto& cfg : configs) {
    const bool needs_huge = cfg.args.back().find("hugetlb") != std::string::npos;
    if (needs_huge && !huge) {
      ktap.skip(cfg.label, "fewer than 8 free 2 MiB huge pages (boot with hugepages=N)");
      continue;
    }
    std::vector<std::string> failures;
    for (uint64_t k = 0; k < kills && failures.empty(); ++k) {
      // 0..3 s: from VM creation, through population and logging on, to
      // collections in mid-flight (a 1000-iteration run outlives it).
      const auto delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 3000)(rng));
      const pid_t child = fork();
      if (child == 0) {
        std::vector<char*> av{const_cast<char*>(dlt.c_str())};
        for (const auto& a : cfg.args) av.push_back(const_cast<char*>(a.c_str()));
        av.push_back(nullptr);
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        execv(av[0], av.data());
        _exit(127);
      }
      std::this_thread::sleep_for(delay);
      int status = 0;
      const bool exited_early = waitpid(child, &status, WNOHANG) == child;
      if (!exited_early) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
      }
      const std::string at = " after SIGKILL at " + std::to_string(delay.count()) + " ms";
      if (exited_early || !WIFSIGNALED(status)) {
        failures.push_back("dirty_log_test ended by itself (status " + std::to_string(status) + ") before the kill" + at);
        break;
      }
      if (!wait_until([&] { return huge_pages() == before; }))
        failures.push_back("huge pages not all back" + at + ": " + huge_pages().describe() + ", before " + before.describe());
      if (!wait_until([&] { return module_vms_of(child).empty(); }))
        failures.push_back("dirtyscope.ko still lists a VM of the killed pid " + std::to_string(child) + at + ": " +
                           module_vms_of(child));
    }
    for (const auto& f : failures) ktap.diag(std::string(cfg.label) + ": FAIL: " + f);
    if (failures.empty()) ktap.pass(cfg.label);
    else ktap.fail(cfg.label);
  }
  ktap.diag("huge pages after: " + huge_pages().describe());
  return ktap.finish();
}
