// What the guest runs, independent of the architecture: the program the
// vCPUs start in (lib/guest/protocol.h describes each), the privilege they
// run it at, and the guest code, section guest_text, which each
// architecture's GuestImage copies to the same guest address and enters
// with its own registers (x86/guest_image.hpp, arm64/guest_image.hpp).
#pragma once

#include <cstdint>

namespace dirtyscope {

// x86: CPL0 or CPL3. arm64: EL1 (Kernel); EL0 is not built (see
// arm64/guest_image.hpp), so arm64 runs at Kernel by default and -u 3 is
// a usage error there.
enum class GuestCpl { Kernel = 0, User = 3 };

enum class GuestProgram {
  RandomWrites,   // ds_guest_main: verified pseudo-random page writes
  PerfPasses,     // ds_perf_guest_main: one in-order pass per host request
  SppStores,      // ds_spp_guest_main: spp_test's store plan, one round per request
  MigrateWrites,  // ds_migrate_guest_main: dirtyscope migrate's counted periods (x86: reads the TSC)
};

// Where the guest code goes in the system slot, and its room: 64 KiB.
inline constexpr uint64_t kGuestCode = 0x10000;
inline constexpr uint64_t kGuestCodeMax = 0x10000;
// Copies the code to `system_host` + kGuestCode; throws std::logic_error
// when it has outgrown its room.
void copy_guest_text(uint8_t* system_host);
// The guest address of a symbol of the code (an entry, vectors, stubs).
uint64_t guest_code_addr(const void* host_symbol);
// ds_guest_entry, where every vCPU starts.
uint64_t guest_entry_addr();
// The main function of `program`, which ds_guest_entry calls.
uint64_t guest_program_addr(GuestProgram program);

#if defined(__aarch64__)
inline constexpr GuestCpl kDefaultGuestCpl = GuestCpl::Kernel;
// -m and -u in the programs' help texts.
inline constexpr const char* kGuestModeHelp = "arm64 here has one: 0 = PA-bits:40, VA-bits:39, 4K pages";
inline constexpr const char* kGuestCplHelp = "0 = EL1 (the only one built on arm64)";
#else
// CPL3 by default, as the kernel's selftests run their guests' code.
inline constexpr GuestCpl kDefaultGuestCpl = GuestCpl::User;
inline constexpr const char* kGuestModeHelp = "x86-64 has one: 0 = PA-bits:ANY, VA-bits:48, 4K pages";
inline constexpr const char* kGuestCplHelp = "3 = user mode (default), 0 = supervisor mode";
#endif

// The privilege level as a number for output: 0 or 3 (x86's CPL; on
// arm64 0 means EL1).
constexpr int guest_cpl_number(GuestCpl cpl) { return cpl == GuestCpl::User ? 3 : 0; }
// The level for people: "CPL3"/"CPL0" on x86, "EL0"/"EL1" on arm64.
constexpr const char* guest_privilege_name(GuestCpl cpl) {
#if defined(__aarch64__)
  return cpl == GuestCpl::User ? "EL0" : "EL1";
#else
  return cpl == GuestCpl::User ? "CPL3" : "CPL0";
#endif
}

}  // namespace dirtyscope
