#include "dirtyscope/cli_flags.hpp"

#include <getopt.h>

#include "dirtyscope/error.hpp"
#include "dirtyscope/page.hpp"
#include "dirtyscope/size_parse.hpp"

namespace dirtyscope {

uint64_t parse_gpa_flag(const std::string& arg) {
  uint64_t gpa = parse_size("-p", arg);
  if (gpa % kHugePage2M) throw UsageError("-p: guest physical offset " + arg + " is not 2 MiB aligned");
  return gpa;
}

void parse_guest_mode_flag(const std::string& arg) { parse_uint("-m", arg, 0, 0); }

Backing parse_backing_flag(const std::string& arg) {
  auto b = parse_backing(arg);
  if (!b) throw UsageError("-s: unknown backing '" + arg + "' (see -h)");
  return *b;
}

uint32_t parse_ring_entries_flag(const std::string& arg) {
  uint64_t n = parse_uint("-c", arg, 1, 1ULL << 31);
  if (n & (n - 1)) throw UsageError("-c: ring entries " + arg + " is not a power of two");
  return static_cast<uint32_t>(n);
}

GuestCpl parse_cpl_flag(const std::string& arg) {
  uint64_t cpl = parse_uint("-u", arg, 0, 3);
  if (cpl != 0 && cpl != 3) throw UsageError("-u: privilege level " + arg + " must be 0 or 3");
#if defined(__aarch64__)
  if (cpl == 3) throw UsageError("-u 3: arm64 runs the guest program at EL1 only (EL0 is not built); use -u 0");
#endif
  return cpl == 0 ? GuestCpl::Kernel : GuestCpl::User;
}

std::string parse_stats_source_flag(const std::string& arg) {
  if (arg != "bpf" && arg != "kmod" && arg != "auto")
    throw UsageError("--stats-source: unknown source '" + arg + "' (bpf, kmod, auto)");
  return arg;
}

void throw_getopt_error(int c, char** argv) {
  if (c == ':') throw UsageError(std::string("option ") + argv[optind - 1] + " needs a value");
  throw UsageError("unknown option " +
                   (optopt ? std::string("-") + static_cast<char>(optopt) : std::string(argv[optind - 1])) +
                   " (see -h)");
}

void reject_positional_args(int argc, char** argv) {
  if (optind < argc) throw UsageError(std::string("unexpected argument '") + argv[optind] + "'");
}

}  // namespace dirtyscope
