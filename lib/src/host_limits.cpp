#include "dirtyscope/host_limits.hpp"

#include <linux/kvm.h>

#include "dirtyscope/error.hpp"
#include "dirtyscope/hex.hpp"
#include "dirtyscope/kvm_abi.hpp"
#include "dirtyscope/ring_limits.hpp"
#include "dirtyscope/size_parse.hpp"

namespace dirtyscope {

#if defined(__aarch64__)
// A VM created with machine type 0 (ours) gets KVM's default 40-bit IPA
// space whatever KVM_CAP_ARM_VM_IPA_SIZE would allow.
unsigned guest_phys_bits(const KvmSystem&) { return 40; }
#else
unsigned guest_phys_bits(const KvmSystem& kvm) {
  std::vector<uint8_t> blob = kvm.supported_cpuid();
  const auto* header = reinterpret_cast<const KvmCpuid2Header*>(blob.data());
  const auto* entries = reinterpret_cast<const kvm_cpuid_entry2*>(blob.data() + sizeof(*header));
  for (uint32_t i = 0; i < header->nent; ++i)
    if (entries[i].function == 0x80000008) return entries[i].eax & 0xff;
  return 36;  // the architectural default without the leaf
}
#endif

void check_host_limits(const KvmSystem& kvm, const RunOptions& options, bool uses_ring) {
  const GuestConfig& g = options.guest;
  if (!is_hugetlb(g.backing)) {  // hugetlb shortfalls are a skip, raised at allocation
    uint64_t avail = host_available_bytes(g.backing);
    if (g.test_size > avail)
      throw UsageError("-b: test memory " + format_size(g.test_size) + " exceeds the " +
                       format_size(avail & ~((1ULL << 20) - 1)) + " this host can back now (MemAvailable)");
  }
  unsigned bits = guest_phys_bits(kvm);
  uint64_t limit = bits >= 64 ? UINT64_MAX : (1ULL << bits);
  if (g.test_gpa + g.test_size > limit || g.test_gpa + g.test_size < g.test_gpa)
    throw UsageError("-p/-b: test memory would end at " + hex(g.test_gpa + g.test_size) + ", beyond the guest's " +
                     std::to_string(bits) + "-bit physical address space");
  if (uses_ring && options.ring_entries != 0)
    if (const auto limits = ring_limits_of(kvm)) check_ring_entries(options.ring_entries, *limits);
}

}  // namespace dirtyscope
