#include "mini_guest.hpp"

#include <linux/kvm.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dirtyscope/error.hpp"

namespace dirtyscope::stats::testing {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kCodeSize = RealModeGuest::kDataGpa;
constexpr std::uint64_t kEntry = 0x1000;

Mapping anon(const char* what, std::size_t len) {
  return Mapping::map(what, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

// Real mode, 16-bit code:
//        mov ax, 0x1000        ; segment of the first data page (GPA 0x10000)
//        mov cx, <pages>
//   L:   mov es, ax
//        mov byte [es:0], 1    ; dirty exactly one page
//        add ax, 0x100         ; next page (segment units are 16 bytes)
//        loop L
//   H:   hlt
//        jmp H                 ; running again just halts again
std::vector<std::uint8_t> mini_guest_code(std::uint16_t pages) {
  return {0xB8, 0x00, 0x10,
          0xB9, static_cast<std::uint8_t>(pages & 0xff), static_cast<std::uint8_t>(pages >> 8),
          0x8E, 0xC0,
          0x26, 0xC6, 0x06, 0x00, 0x00, 0x01,
          0x05, 0x00, 0x01,
          0xE2, 0xF3,  // loop back 13 bytes to L
          0xF4,
          0xEB, 0xFD};  // jmp back 3 bytes to H
}

// The options, checked before any kernel object is made.
const GuestOptions& checked(const GuestOptions& opt) {
  if (opt.pages == 0 || opt.pages > 240) throw std::invalid_argument("pages must be 1..240");
  return opt;
}

}  // namespace

std::string kvm_problem(const GuestOptions& opt) {
  try {
    const KvmSystem kvm = KvmSystem::open();
    if (opt.ring_bytes) {
      const int max = kvm.check_extension(KVM_CAP_DIRTY_LOG_RING);
      if (max <= 0) return "KVM_CAP_DIRTY_LOG_RING not supported";
      if (opt.ring_bytes > static_cast<std::uint32_t>(max))
        return "dirty ring of " + std::to_string(opt.ring_bytes) + " bytes exceeds max " + std::to_string(max);
    }
    if (opt.manual_protect && kvm.check_extension(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) <= 0)
      return "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 not supported";
    if (opt.readonly_mem && kvm.check_extension(KVM_CAP_READONLY_MEM) <= 0) return "KVM_CAP_READONLY_MEM not supported";
  } catch (const SkipError& e) {
    return e.what();  // no /dev/kvm, or no permission: the tests skip
  }
  return {};
}

RealModeGuest::RealModeGuest(const GuestOptions& opt, const std::vector<std::uint8_t>& code,
                             std::uint64_t data_pages, std::uint32_t data_flags)
    : opt_(opt), kvm_(KvmSystem::open()), vm_(kvm_) {
  // Both caps must be enabled before any vCPU or memslot exists.
  if (opt.ring_bytes) vm_.enable_cap(KVM_CAP_DIRTY_LOG_RING, opt.ring_bytes);
  if (opt.manual_protect) vm_.enable_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);

  code_ = anon("real-mode guest code", kCodeSize);
  std::memcpy(code_.as<std::uint8_t>() + kEntry, code.data(), code.size());
  vm_.set_memslot({.slot = 0, .gpa = 0, .size = kCodeSize, .host = code_.as<std::uint8_t>(), .flags = 0});
  data_ = anon("real-mode guest data", data_pages * kPage);
  vm_.set_memslot({.slot = kDataSlot, .gpa = kDataGpa, .size = data_pages * kPage, .host = data_.as<std::uint8_t>(),
                   .flags = data_flags});

  for (int i = 0; i < opt.vcpus; ++i) vcpus_.push_back(std::make_unique<Vcpu>(vm_, static_cast<std::uint32_t>(i)));
  kvm_sregs sregs = vcpus_[0]->get_sregs();
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  vcpus_[0]->set_sregs(sregs);
  vcpus_[0]->set_regs(kvm_regs{.rip = kEntry, .rflags = 0x2});  // rflags bit 1 is reserved-one
}

void RealModeGuest::run_to_halt(const std::function<void(const kvm_run&)>& on_exit) {
  Vcpu& v0 = *vcpus_[0];
  for (;;) {
    if (v0.run() == -EINTR) continue;  // a stray signal: just enter again
    if (v0.run_state()->exit_reason == KVM_EXIT_HLT) return;
    on_exit(*v0.run_state());
  }
}

MiniGuest::MiniGuest(const GuestOptions& opt)
    : RealModeGuest(checked(opt), mini_guest_code(static_cast<std::uint16_t>(opt.pages)), opt.pages,
                    KVM_MEM_LOG_DIRTY_PAGES) {
  bitmap_.assign((opt.pages + 63) / 64, 0);
  if (opt.ring_bytes)
    for (const auto& v : vcpus_) rings_.push_back(std::make_unique<DirtyRing>(*v, ring_entries()));
}

void MiniGuest::run() {
  run_to_halt([this](const kvm_run& run) {
    if (run.exit_reason != KVM_EXIT_DIRTY_RING_FULL)
      throw std::runtime_error("guest stopped with unexpected exit reason " + std::to_string(run.exit_reason));
    // What a VMM does: drain every ring, reset, resume.
    ++ring_full_exits_;
    for (int i = 0; i < opt_.vcpus; ++i) harvest(i);
    reset_rings();
  });
}

std::uint64_t MiniGuest::harvest(int i) {
  if (rings_.empty()) throw std::logic_error("harvest without a dirty ring");
  const std::uint64_t n = rings_.at(static_cast<std::size_t>(i))->harvest([](std::uint32_t, std::uint64_t) {});
  harvested_total_ += n;
  return n;
}

std::uint64_t MiniGuest::reset_rings() { return vm_.reset_dirty_rings().entries; }

ModeResult MiniGuest::result() const {
  ModeResult r;
  r.counters.ring_entries_harvested = harvested_total_;
  r.counters.ring_full_exits = ring_full_exits_;
  r.ring_entries = ring_entries();
  r.vcpus = static_cast<std::uint32_t>(opt_.vcpus);
  r.ioctls = vm_.dirty_ioctl_counts();
  return r;
}

std::uint64_t MiniGuest::get_dirty_log() {
  vm_.get_dirty_log(kDataSlot, bitmap_.data());
  std::uint64_t n = 0;
  for (auto w : bitmap_) n += static_cast<std::uint64_t>(__builtin_popcountll(w));
  return n;
}

void MiniGuest::clear_dirty_log() {
  // Reaches the slot end, so any page count is valid.
  vm_.clear_dirty_log(kDataSlot, 0, opt_.pages, bitmap_.data());
}

}  // namespace dirtyscope::stats::testing
