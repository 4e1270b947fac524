// What one `dirtyscope migrate` run does: the source VM's workload, when
// pre-copy stops, the transport's bandwidth, and which fault to inject.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dirtyscope/guest_vm.hpp"

namespace dirtyscope::migrate {

// Deliberate faults, each of which the checksum comparison must catch and
// name the pages of (the negative twins of a successful migration).
enum class MigrateInjection {
  None,
  DropPage,     // stop-and-copy leaves out one page it collected
  SkipRound,    // the last live round's pages are collected but never sent
  SkipReset,    // one extra live round harvests without re-protecting (no reset/clear)
  CorruptPage,  // one page of stop-and-copy flips a byte on the wire
};
std::optional<MigrateInjection> parse_migrate_injection(std::string_view name);
const char* migrate_injection_name(MigrateInjection i);
// Whether `injection` can act in `mode`: skip-reset needs a collector
// whose harvest and re-protection are separate calls (the ring modes).
// Needs no KVM, so the command line is checked before anything runs.
bool migrate_injection_applies(std::string_view mode, MigrateInjection injection);
// The one-line usage error when it cannot, naming why.
std::string migrate_injection_inapplicable(std::string_view mode, MigrateInjection injection);

// The guest's period (lib/guest/protocol.h, ds_migrate_params), per vCPU:
// dirtyram's shape (dirty_pages in order per period, then a pause) plus a
// hot set written every period and pseudo-random pages.
struct Workload {
  uint64_t hot_pages = 16;
  uint64_t dirty_pages = 256;
  uint64_t random_pages = 64;
  double pause_ms = 1.0;
};

struct MigrateOptions {
  std::string mode = "dirty-log";  // any dirty_log_test mode but ring-with-bitmap's extras
  GuestConfig guest;               // program and logging are set by the run
  Workload workload;
  uint32_t ring_entries = 0;       // 0: the mode's default
  uint64_t threshold_pages = 512;  // stop-and-copy once a round collects at most this many
  uint32_t max_rounds = 30;        // ... or after this many live rounds
  double bandwidth_mbps = 0;       // MB/s (10^6 bytes) of page data; 0 = unlimited
  MigrateInjection injection = MigrateInjection::None;
  // Ring modes: a reaper thread harvests every 10 ms while rounds send, as
  // QEMU's does; each round takes what it reaped (bitmap modes ignore it).
  bool reaper = false;
  // False (default): the guest first writes every page with logging off,
  // then logging is turned on with the vCPUs running, as a migration of a
  // VM that ran for a while starts. True: memslots log from creation.
  bool log_from_start = false;
  // Periods every destination vCPU must complete after it resumed, besides
  // its two self-checks, before the run calls the resume good.
  uint64_t resume_periods = 2;
  std::chrono::milliseconds stall_timeout{60000};
};

}  // namespace dirtyscope::migrate
