// Flags that dirty_log_test and dirty_log_perf share (the kernel selftests
// share them too), parsed once so both commands accept and reject the same
// values with the same one-line UsageError.
#pragma once

#include <cstdint>
#include <string>

#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/guest_program.hpp"

namespace dirtyscope {

uint64_t parse_gpa_flag(const std::string& arg);           // -p: 2 MiB aligned
void parse_guest_mode_flag(const std::string& arg);        // -m: one mode, 0 (x86-64 and arm64 4K/40-bit)
Backing parse_backing_flag(const std::string& arg);        // -s
uint32_t parse_ring_entries_flag(const std::string& arg);  // -c: a power of two
GuestCpl parse_cpl_flag(const std::string& arg);           // -u: 0 or 3 (arm64: 0)
std::string parse_stats_source_flag(const std::string& arg);  // --stats-source: bpf, kmod, auto

// getopt_long returned ':' (missing value) or '?' (unknown option): throws
// the UsageError that names the option. Reads getopt's optind/optopt.
[[noreturn]] void throw_getopt_error(int c, char** argv);
// Throws when positional arguments are left after the options.
void reject_positional_args(int argc, char** argv);

}  // namespace dirtyscope
