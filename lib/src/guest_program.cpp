#include "dirtyscope/guest_program.hpp"

#include <cstring>
#include <stdexcept>

#include "protocol.h"

// Bounds of the guest code section and the symbols both architectures
// enter (lib/guest/).
extern "C" {
extern const uint8_t __start_guest_text[];
extern const uint8_t __stop_guest_text[];
extern const uint8_t ds_guest_entry[];
void ds_guest_main(ds_shared*, ds_vcpu_params*);
void ds_perf_guest_main(ds_shared*, ds_vcpu_params*);
void ds_spp_guest_main(ds_shared*, ds_vcpu_params*);
#if !defined(__aarch64__)
void ds_migrate_guest_main(ds_shared*, ds_vcpu_params*);
#endif
}

namespace dirtyscope {

void copy_guest_text(uint8_t* system_host) {
  const auto size = static_cast<size_t>(__stop_guest_text - __start_guest_text);
  if (size > kGuestCodeMax) throw std::logic_error("guest code larger than its area");
  std::memcpy(system_host + kGuestCode, __start_guest_text, size);
}

uint64_t guest_code_addr(const void* host_symbol) {
  return kGuestCode + static_cast<uint64_t>(static_cast<const uint8_t*>(host_symbol) - __start_guest_text);
}

uint64_t guest_entry_addr() { return guest_code_addr(ds_guest_entry); }

uint64_t guest_program_addr(GuestProgram program) {
  switch (program) {
    case GuestProgram::PerfPasses: return guest_code_addr(reinterpret_cast<const void*>(&ds_perf_guest_main));
    case GuestProgram::SppStores: return guest_code_addr(reinterpret_cast<const void*>(&ds_spp_guest_main));
    case GuestProgram::MigrateWrites:
#if defined(__aarch64__)
      throw std::invalid_argument("the migrate guest program paces itself with x86's TSC: not built for arm64");
#else
      return guest_code_addr(reinterpret_cast<const void*>(&ds_migrate_guest_main));
#endif
    case GuestProgram::RandomWrites: break;
  }
  return guest_code_addr(reinterpret_cast<const void*>(&ds_guest_main));
}

}  // namespace dirtyscope
