// The key names of the JSON documents dirtyscope writes and reads back:
// dirty_log_perf --json (written by bench/perf_output.cpp) and dirtyscope
// migrate --json (lib/migrate/migrate_report.cpp), both read by
// `dirtyscope report` (tools/report_*.cpp). Writer and reader name a key
// through these constants, so a renamed key cannot leave one side behind.
// The names are a contract with scripts outside the tree: docs/json-format.md
// lists them; change them only with a new "tool" version.
#pragma once

namespace dirtyscope::json_keys {

// Top level of both documents.
inline constexpr const char* kTool = "tool";
inline constexpr const char* kConfig = "config";

namespace perf {
inline constexpr const char* kToolName = "dirty_log_perf";
inline constexpr const char* kModes = "modes";
// config
inline constexpr const char* kBytesPerVcpu = "bytes_per_vcpu";
inline constexpr const char* kVcpus = "vcpus";
inline constexpr const char* kTotalBytes = "total_bytes";
inline constexpr const char* kPagesPerVcpu = "pages_per_vcpu";
inline constexpr const char* kIterations = "iterations";  // config: a count; a mode: its array
inline constexpr const char* kManualProtect = "manual_protect";
inline constexpr const char* kBacking = "backing";
inline constexpr const char* kMemslots = "memslots";
inline constexpr const char* kWriteFraction = "write_fraction";
inline constexpr const char* kOverlap = "overlap";
inline constexpr const char* kRunWhileDisabling = "run_while_disabling";
inline constexpr const char* kGuestPhysOffset = "guest_phys_offset";
inline constexpr const char* kGuestMode = "guest_mode";
inline constexpr const char* kGuestCpl = "guest_cpl";
// a mode
inline constexpr const char* kMode = "mode";
inline constexpr const char* kResult = "result";
inline constexpr const char* kResultOk = "ok";
inline constexpr const char* kReason = "reason";
inline constexpr const char* kVariant = "variant";
inline constexpr const char* kPopulateNs = "populate_ns";
inline constexpr const char* kEnableNs = "enable_ns";
inline constexpr const char* kDisableNs = "disable_ns";
inline constexpr const char* kStats = "stats";
inline constexpr const char* kMedian = "median";
inline constexpr const char* kVsDirtyLog = "vs_dirty_log";
// an iteration, and the median of them
inline constexpr const char* kDirtyNs = "dirty_ns";
inline constexpr const char* kCollectNs = "collect_ns";
inline constexpr const char* kCollectKernelNs = "collect_kernel_ns";
inline constexpr const char* kCollectUserNs = "collect_user_ns";
inline constexpr const char* kCollectInDirtyNs = "collect_in_dirty_ns";
inline constexpr const char* kPagesCollected = "pages_collected";
inline constexpr const char* kRingFullExits = "ring_full_exits";
inline constexpr const char* kRingHarvestNs = "ring_harvest_ns";
inline constexpr const char* kRingMergeNs = "ring_merge_ns";
inline constexpr const char* kRingLockWaitNs = "ring_lock_wait_ns";
inline constexpr const char* kRingEntries = "ring_entries";  // also in config: the ring's size
inline constexpr const char* kCollectNsPerPage = "collect_ns_per_page";
inline constexpr const char* kRingHarvestNsPerEntry = "ring_harvest_ns_per_entry";
// vs_dirty_log
inline constexpr const char* kDirty = "dirty";
inline constexpr const char* kCollect = "collect";
inline constexpr const char* kCollectKernel = "collect_kernel";
inline constexpr const char* kCollectUser = "collect_user";
}  // namespace perf

namespace migrate {
inline constexpr const char* kToolName = "dirtyscope migrate";
inline constexpr const char* kMigrations = "migrations";
// config
inline constexpr const char* kMemoryBytes = "memory_bytes";
inline constexpr const char* kVcpus = "vcpus";
inline constexpr const char* kDirtyPages = "dirty_pages";
inline constexpr const char* kBandwidthMbps = "bandwidth_mbps";
// a migration
inline constexpr const char* kMode = "mode";
inline constexpr const char* kOutcome = "outcome";
inline constexpr const char* kOutcomePass = "pass";
inline constexpr const char* kLiveRounds = "live_rounds";
inline constexpr const char* kRemainingPerRound = "remaining_per_round";
inline constexpr const char* kPagesSent = "pages_sent";
inline constexpr const char* kTotalS = "total_s";
inline constexpr const char* kDowntimeMs = "downtime_ms";
inline constexpr const char* kCollectMs = "collect_ms";
inline constexpr const char* kCollectKernelMs = "collect_kernel_ms";
}  // namespace migrate

}  // namespace dirtyscope::json_keys
