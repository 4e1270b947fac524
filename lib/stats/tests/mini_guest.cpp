#include "mini_guest.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace dirtyscope::stats::testing {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kCodeGpa = 0;
constexpr std::uint64_t kCodeSize = 0x10000;
constexpr std::uint64_t kEntry = 0x1000;
constexpr std::uint64_t kDataGpa = 0x10000;

// Every ioctl of the workload goes through here so a failure names it.
long xioctl(int fd, unsigned long cmd, const char* name, unsigned long arg = 0) {
  long r;
  do {
    r = ::ioctl(fd, cmd, arg);
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw std::system_error(errno, std::generic_category(), std::string("ioctl(") + name + ")");
  return r;
}
#define IOCTL(fd, cmd, ...) xioctl((fd), (cmd), #cmd __VA_OPT__(, ) __VA_ARGS__)

template <typename T>
unsigned long ptr(T* p) {
  return reinterpret_cast<unsigned long>(p);
}

Mapping map_anon(std::size_t len) {
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap guest memory");
  return {p, len};
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
std::vector<std::uint8_t> guest_code(std::uint16_t pages) {
  return {0xB8, 0x00, 0x10,
          0xB9, static_cast<std::uint8_t>(pages & 0xff), static_cast<std::uint8_t>(pages >> 8),
          0x8E, 0xC0,
          0x26, 0xC6, 0x06, 0x00, 0x00, 0x01,
          0x05, 0x00, 0x01,
          0xE2, 0xF3,  // loop back 13 bytes to L
          0xF4,
          0xEB, 0xFD};  // jmp back 3 bytes to H
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}
Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Mapping::~Mapping() {
  if (p_) ::munmap(p_, len_);
}
Mapping::Mapping(Mapping&& o) noexcept
    : p_(std::exchange(o.p_, nullptr)), len_(std::exchange(o.len_, 0)) {}
Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (p_) ::munmap(p_, len_);
    p_ = std::exchange(o.p_, nullptr);
    len_ = std::exchange(o.len_, 0);
  }
  return *this;
}

std::string kvm_problem(const GuestOptions& opt) {
  Fd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (kvm.get() < 0) return std::string("/dev/kvm: ") + std::strerror(errno);
  if (opt.ring_bytes) {
    const int max = ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
    if (max <= 0) return "KVM_CAP_DIRTY_LOG_RING not supported";
    if (opt.ring_bytes > static_cast<std::uint32_t>(max))
      return "dirty ring of " + std::to_string(opt.ring_bytes) + " bytes exceeds max " +
             std::to_string(max);
  }
  if (opt.manual_protect &&
      ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) <= 0)
    return "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 not supported";
  return {};
}

MiniGuest::MiniGuest(const GuestOptions& opt) : opt_(opt) {
  if (opt.pages == 0 || opt.pages > 240) throw std::invalid_argument("pages must be 1..240");
  kvm_ = Fd(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  if (kvm_.get() < 0) throw std::system_error(errno, std::generic_category(), "open /dev/kvm");
  vm_ = Fd(static_cast<int>(IOCTL(kvm_.get(), KVM_CREATE_VM, 0UL)));

  // Both caps must be enabled before any vCPU or memslot exists.
  if (opt.ring_bytes) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_DIRTY_LOG_RING;
    cap.args[0] = opt.ring_bytes;
    IOCTL(vm_.get(), KVM_ENABLE_CAP, ptr(&cap));
  }
  if (opt.manual_protect) {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
    cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    IOCTL(vm_.get(), KVM_ENABLE_CAP, ptr(&cap));
  }

  code_ = map_anon(kCodeSize);
  const auto code = guest_code(static_cast<std::uint16_t>(opt.pages));
  std::memcpy(static_cast<std::uint8_t*>(code_.get()) + kEntry, code.data(), code.size());
  data_ = map_anon(opt.pages * kPage);

  kvm_userspace_memory_region code_slot{0, 0, kCodeGpa, kCodeSize, ptr(code_.get())};
  IOCTL(vm_.get(), KVM_SET_USER_MEMORY_REGION, ptr(&code_slot));
  kvm_userspace_memory_region data_slot{kDataSlot, KVM_MEM_LOG_DIRTY_PAGES, kDataGpa,
                                        opt.pages * kPage, ptr(data_.get())};
  IOCTL(vm_.get(), KVM_SET_USER_MEMORY_REGION, ptr(&data_slot));
  bitmap_.assign((opt.pages + 63) / 64, 0);

  const long run_size = IOCTL(kvm_.get(), KVM_GET_VCPU_MMAP_SIZE, 0UL);
  for (int i = 0; i < opt.vcpus; ++i) {
    Vcpu v;
    v.fd = Fd(static_cast<int>(IOCTL(vm_.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(i))));
    void* run = ::mmap(nullptr, static_cast<std::size_t>(run_size), PROT_READ | PROT_WRITE,
                       MAP_SHARED, v.fd.get(), 0);
    if (run == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap kvm_run");
    v.run = Mapping(run, static_cast<std::size_t>(run_size));
    if (opt.ring_bytes) {
      void* ring = ::mmap(nullptr, opt.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd.get(),
                          KVM_DIRTY_LOG_PAGE_OFFSET * kPage);
      if (ring == MAP_FAILED)
        throw std::system_error(errno, std::generic_category(), "mmap dirty ring");
      v.ring = Mapping(ring, opt.ring_bytes);
    }
    vcpus_.push_back(std::move(v));
  }

  // Real mode at CS:IP = 0:0x1000.
  const int fd0 = vcpus_[0].fd.get();
  kvm_sregs sregs{};
  IOCTL(fd0, KVM_GET_SREGS, ptr(&sregs));
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  IOCTL(fd0, KVM_SET_SREGS, ptr(&sregs));
  kvm_regs regs{};
  regs.rip = kEntry;
  regs.rflags = 0x2;  // bit 1 is reserved-one
  IOCTL(fd0, KVM_SET_REGS, ptr(&regs));
}

void MiniGuest::run() {
  auto* run = static_cast<kvm_run*>(vcpus_[0].run.get());
  for (;;) {
    IOCTL(vcpus_[0].fd.get(), KVM_RUN, 0UL);
    switch (run->exit_reason) {
      case KVM_EXIT_HLT:
        return;
      case KVM_EXIT_DIRTY_RING_FULL:
        // What a VMM does: drain every ring, reset, resume.
        ++ring_full_exits_;
        for (int i = 0; i < opt_.vcpus; ++i) harvest(i);
        reset_rings();
        break;
      default:
        throw std::runtime_error("guest stopped with unexpected exit reason " +
                                 std::to_string(run->exit_reason));
    }
  }
}

std::uint64_t MiniGuest::harvest(int i) {
  Vcpu& v = vcpus_.at(static_cast<std::size_t>(i));
  if (!v.ring.get()) throw std::logic_error("harvest without a dirty ring");
  auto* gfns = static_cast<kvm_dirty_gfn*>(v.ring.get());
  const std::uint32_t mask = opt_.ring_bytes / sizeof(kvm_dirty_gfn) - 1;
  std::uint64_t n = 0;
  for (;;) {
    kvm_dirty_gfn* e = &gfns[v.fetch & mask];
    // Acquire: the entry's slot/offset are valid once DIRTY is seen.
    if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY)) break;
    // Release: hand the entry back; KVM_RESET_DIRTY_RINGS collects it.
    __atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
    ++v.fetch;
    ++n;
  }
  harvested_total_ += n;
  return n;
}

std::uint64_t MiniGuest::reset_rings() {
  ++reset_calls_;
  return static_cast<std::uint64_t>(IOCTL(vm_.get(), KVM_RESET_DIRTY_RINGS, 0UL));
}

std::uint64_t MiniGuest::get_dirty_log() {
  kvm_dirty_log log{};
  log.slot = kDataSlot;
  log.dirty_bitmap = bitmap_.data();
  IOCTL(vm_.get(), KVM_GET_DIRTY_LOG, ptr(&log));
  std::uint64_t n = 0;
  for (auto w : bitmap_) n += static_cast<std::uint64_t>(__builtin_popcountll(w));
  return n;
}

void MiniGuest::clear_dirty_log() {
  kvm_clear_dirty_log clear{};
  clear.slot = kDataSlot;
  clear.first_page = 0;
  clear.num_pages = opt_.pages;  // reaches the slot end, so any count is valid
  clear.dirty_bitmap = bitmap_.data();
  IOCTL(vm_.get(), KVM_CLEAR_DIRTY_LOG, ptr(&clear));
}

}  // namespace dirtyscope::stats::testing
