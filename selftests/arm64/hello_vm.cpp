// arm64_hello_vm: the first dirtyscope VM on arm64. One vCPU
// runs the perf guest program (lib/guest/perf_workload.c, unchanged from
// x86) over a test region with KVM_MEM_LOG_DIRTY_PAGES, so each pass is
// one MMIO report back here and one collection of arm64's stage-2 dirty
// logging. Pass k writes every k-th page; the pages written must all be
// collected (under-reporting is a bug; over-reporting is counted and
// allowed, as the kernel may do it). Collections (-m):
//   bitmap            KVM_GET_DIRTY_LOG
//   ring              the dirty ring (ACQ_REL, arm64 has no other flavour),
//                     harvested and reset after every report
//   ring-with-bitmap  the ring plus KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP's
//                     backup bitmap, read with KVM_GET_DIRTY_LOG after the
//                     harvest (pages dirtied without a vCPU land there)
//
// -x drop is the negative twin: each pass forgets the first page it
// collected, as a collector that loses an entry would; the check must then
// fail every pass (vm-arm64 runs it expecting exit 1).
//
// -v N runs N vCPUs, each over its own slice of the region, one after
// another per pass; with a ring, each page must come from its owner's ring.
//
// Usage: arm64_hello_vm [-m MODE] [-p PAGES] [-i PASSES] [-c ENTRIES] [-x drop] [-v VCPUS]
// KTAP on stdout.
// Exit: 0 pass, 1 fail, 2 usage, 4 skip (no /dev/kvm), as kselftest.
#include <linux/kvm.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dirtyscope/arm64/guest_image.hpp"
#include "dirtyscope/dirty_ring.hpp"
#include "dirtyscope/error.hpp"
#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/kvm_abi.hpp"
#include "dirtyscope/kvm_system.hpp"
#include "dirtyscope/vcpu.hpp"
#include "dirtyscope/vm.hpp"

using namespace dirtyscope;

namespace {
constexpr uint64_t kPage = 4096;
constexpr uint64_t kTestGpa = 4ULL << 30;  // where the x86 guest has it too
constexpr uint32_t kTestSlot = 1;

enum class Mode { Bitmap, Ring, RingWithBitmap };
const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Ring: return "ring";
    case Mode::RingWithBitmap: return "ring-with-bitmap";
    case Mode::Bitmap: break;
  }
  return "bitmap";
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Runs the vCPU until its next report; returns the command, or throws with
// what the exit was when it is not our MMIO report.
// A full ring (KVM_EXIT_DIRTY_RING_FULL) calls on_ring_full and re-enters.
template <typename OnRingFull>
uint32_t run_to_report(Vcpu& vcpu, OnRingFull&& on_ring_full) {
  for (;;) {
    if (vcpu.run() == -EINTR) continue;
    const kvm_run* run = vcpu.run_state();
    if (run->exit_reason == KVM_EXIT_DIRTY_RING_FULL) {
      on_ring_full();
      continue;
    }
    if (run->exit_reason != KVM_EXIT_MMIO)
      throw std::runtime_error("unexpected exit reason " + std::to_string(run->exit_reason));
    if (!run->mmio.is_write || run->mmio.phys_addr != DS_GUEST_MMIO_ADDR || run->mmio.len != 4)
      throw std::runtime_error("MMIO exit that is not a report: addr " + std::to_string(run->mmio.phys_addr) +
                               " len " + std::to_string(run->mmio.len));
    uint32_t cmd = 0;
    std::memcpy(&cmd, run->mmio.data, sizeof(cmd));
    if (cmd == DS_CMD_EXCEPTION) {
      char what[200];
      std::snprintf(what, sizeof(what), "guest exception: vector offset 0x%llx ESR 0x%llx ELR 0x%llx FAR 0x%llx",
                    static_cast<unsigned long long>(vcpu.get_one_reg(arm64::GuestImage::x_reg(0))),
                    static_cast<unsigned long long>(vcpu.get_one_reg(arm64::GuestImage::x_reg(1))),
                    static_cast<unsigned long long>(vcpu.get_one_reg(arm64::GuestImage::x_reg(2))),
                    static_cast<unsigned long long>(vcpu.get_one_reg(arm64::GuestImage::x_reg(3))));
      throw std::runtime_error(what);
    }
    return cmd;
  }
}

int run(Mode mode, uint64_t pages, unsigned passes, uint32_t entries, bool drop, unsigned nvcpus) {
  auto t_setup = std::chrono::steady_clock::now();
  KvmSystem kvm = KvmSystem::open();
  Vm vm(kvm);
  if (mode != Mode::Bitmap) {
    // Both before any vCPU or dirty-logging memslot exists, as KVM requires.
    const int acq_rel_max = vm.check_extension(KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
    if (acq_rel_max <= 0) throw SkipError("KVM_CAP_DIRTY_LOG_RING_ACQ_REL not supported");
    const uint64_t bytes = uint64_t{entries} * sizeof(kvm_dirty_gfn);
    if (bytes < 4096 || bytes > static_cast<uint64_t>(acq_rel_max) || (entries & (entries - 1)))
      throw UsageError("-c " + std::to_string(entries) + ": ring entries must be a power of two in " +
                       std::to_string(4096 / sizeof(kvm_dirty_gfn)) + ".." +
                       std::to_string(acq_rel_max / sizeof(kvm_dirty_gfn)));
    vm.enable_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL, bytes);
    if (mode == Mode::RingWithBitmap) {
      if (vm.check_extension(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP) <= 0)
        throw SkipError("KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP not supported");
      vm.enable_cap(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, 0);
    }
  }
  arm64::GuestImage image(kTestGpa, pages * kPage);
  HostMemory system = HostMemory::allocate(Backing::Anonymous, image.system_size());
  HostMemory test = HostMemory::allocate(Backing::Anonymous, pages * kPage);
  image.write_system(system.data());
  vm.set_memslot({0, 0, image.system_size(), system.data(), 0});
  vm.set_memslot({kTestSlot, kTestGpa, pages * kPage, test.data(), KVM_MEM_LOG_DIRTY_PAGES});
  ds_shared* shared = arm64::GuestImage::shared(system.data());
  // vCPU i owns pages [i * per, (i + 1) * per) of the region, as in the
  // kernel's memstress; they run one after another (one host thread: the
  // emulated machine has one CPU anyway), each to its report.
  const uint64_t per = pages / nvcpus;
  std::vector<std::unique_ptr<Vcpu>> vcpus;
  std::vector<std::unique_ptr<DirtyRing>> rings;
  const kvm_vcpu_init target = vm.preferred_target();
  for (unsigned i = 0; i < nvcpus; ++i) {
    ds_vcpu_params& self = shared->vcpu[i];
    self.region_gva = kTestGpa + i * per * kPage;  // identity-mapped
    self.region_pages = per;
    self.writer_tag = i + 1;
    vcpus.push_back(std::make_unique<Vcpu>(vm, i));
    Vcpu& vcpu = *vcpus.back();
    if (mode != Mode::Bitmap) rings.push_back(std::make_unique<DirtyRing>(vcpu, entries));
    vcpu.arm_init(target);
    const uint64_t sctlr = vcpu.get_one_reg(arm64::GuestImage::sctlr_reg());
    for (const arm64::OneReg& r : image.initial_regs(i, sctlr, arm64::GuestProgram::PerfPasses)) {
      try {
        vcpu.set_one_reg(r.id, r.value);
      } catch (const KvmError& e) {
        throw std::runtime_error(std::string("setting ") + r.name + ": " + e.what());
      }
    }
  }
  std::printf("# %s: VM, 2 memslots, %u vCPUs initialised in %.2f ms (%llu test pages at GPA 0x%llx)\n",
              mode_name(mode), nvcpus, ms_since(t_setup), static_cast<unsigned long long>(pages),
              static_cast<unsigned long long>(kTestGpa));

  std::vector<uint64_t> bitmap((pages + 63) / 64);
  uint64_t ring_entries = 0, ring_full_exits = 0, foreign = 0, wrong_ring = 0;
  // Ring entries go into `bitmap` (cleared per pass), so every mode is
  // judged by one rule. Entries for other slots would be a kernel bug here,
  // and so would a page in the ring of a vCPU that does not own it (each
  // vCPU writes only its own pages).
  auto harvest = [&] {
    for (unsigned i = 0; i < rings.size(); ++i) {
      ring_entries += rings[i]->harvest([&](uint32_t slot, uint64_t offset) {
        if (slot != kTestSlot || offset >= pages) {
          ++foreign;
          return;
        }
        if (offset / per != i) ++wrong_ring;
        bitmap[offset / 64] |= 1ULL << (offset % 64);
      });
    }
    vm.reset_dirty_rings();
  };
  unsigned failed = 0;
  std::printf("1..%u\n", passes);
  for (unsigned pass = 1; pass <= passes; ++pass) {
    shared->iteration = pass;
    uint64_t writes_before = 0;
    for (unsigned i = 0; i < nvcpus; ++i) {
      shared->vcpu[i].write_stride = pass;
      writes_before += shared->vcpu[i].writes;
    }
    std::fill(bitmap.begin(), bitmap.end(), 0);
    ring_entries = 0;
    auto t_run = std::chrono::steady_clock::now();
    bool all_done = true;
    uint32_t cmd = 0;
    for (auto& vcpu : vcpus) {
      cmd = run_to_report(*vcpu, [&] {
        ++ring_full_exits;
        const uint64_t before = ring_entries;
        harvest();
        // A full ring with nothing to harvest would exit again at once.
        if (ring_entries == before) throw std::runtime_error("KVM_EXIT_DIRTY_RING_FULL with an empty ring");
      });
      all_done = all_done && cmd == DS_CMD_ITERATION_DONE;
    }
    double run_ms = ms_since(t_run);
    auto t_log = std::chrono::steady_clock::now();
    uint64_t backup_pages = 0;
    if (mode != Mode::Bitmap) harvest();
    if (mode != Mode::Ring) {
      // Bitmap mode: the log itself. With the ring: the backup bitmap, read
      // after the last harvest as api.rst asks, merged into the ring's pages.
      std::vector<uint64_t> log(bitmap.size());
      vm.get_dirty_log(kTestSlot, log.data());
      for (size_t w = 0; w < log.size(); ++w) {
        backup_pages += static_cast<uint64_t>(__builtin_popcountll(log[w]));
        bitmap[w] |= log[w];
      }
    }
    double log_ms = ms_since(t_log);
    if (drop) {
      for (uint64_t& w : bitmap)
        if (w) {
          w &= w - 1;  // clears the lowest set bit: one collected page lost
          break;
        }
    }

    uint64_t expected = 0, missing = 0, extra = 0, wrong_stamp = 0;
    for (uint64_t page = 0; page < pages; ++page) {
      // Each vCPU's countdown starts at its first page.
      const bool written = page < per * nvcpus && (page % per) % pass == 0;
      const bool dirty = (bitmap[page / 64] >> (page % 64)) & 1;
      uint64_t stamp = 0;
      std::memcpy(&stamp, test.data() + page * kPage, sizeof(stamp));
      if (written) {
        ++expected;
        if (!dirty) ++missing;
        if (stamp != pass) ++wrong_stamp;
      } else if (dirty) {
        ++extra;
      }
    }
    uint64_t guest_writes = 0;
    for (unsigned i = 0; i < nvcpus; ++i) guest_writes += shared->vcpu[i].writes;
    guest_writes -= writes_before;
    const bool ok = all_done && missing == 0 && wrong_stamp == 0 && guest_writes == expected &&
                    foreign == 0 && wrong_ring == 0;
    std::printf("# pass %u: report %u after %.2f ms in KVM_RUN; %llu pages written (guest says %llu), "
                "%llu missing, %llu extra, %llu wrong stamps; collected in %.3f ms "
                "(ring entries %llu, ring-full exits %llu, other slots %llu, other vCPU's %llu, bitmap pages %llu)\n",
                pass, cmd, run_ms, static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(guest_writes), static_cast<unsigned long long>(missing),
                static_cast<unsigned long long>(extra), static_cast<unsigned long long>(wrong_stamp), log_ms,
                static_cast<unsigned long long>(ring_entries), static_cast<unsigned long long>(ring_full_exits),
                static_cast<unsigned long long>(foreign), static_cast<unsigned long long>(wrong_ring),
                static_cast<unsigned long long>(backup_pages));
    std::printf("%s %u %s pass %u (stride %u)\n", ok ? "ok" : "not ok", pass, mode_name(mode), pass, pass);
    if (!ok) ++failed;
  }
  // The guest ran with its stage-1 MMU and caches on (GuestImage's tables):
  // say so from the vCPU's own register, not from what we asked for.
  for (auto& vcpu : vcpus) {
    const uint64_t sctlr_now = vcpu->get_one_reg(arm64::GuestImage::sctlr_reg());
    std::printf("# vCPU %u SCTLR_EL1 0x%llx: MMU %s, data cache %s\n", vcpu->id(),
                static_cast<unsigned long long>(sctlr_now), (sctlr_now & 1) ? "on" : "off",
                (sctlr_now & 4) ? "on" : "off");
    if ((sctlr_now & 5) != 5) ++failed;
  }
  std::printf("# %u passed, %u failed\n", passes - failed, failed);
  return failed ? 1 : 0;
}
}  // namespace

int main(int argc, char** argv) {
  uint64_t pages = 256;
  unsigned passes = 3;
  uint32_t entries = 4096;
  Mode mode = Mode::Bitmap;
  bool drop = false;
  unsigned nvcpus = 1;
  int opt;
  while ((opt = getopt(argc, argv, "m:p:i:c:x:v:h")) != -1) {
    switch (opt) {
      case 'v': nvcpus = static_cast<unsigned>(std::strtoul(optarg, nullptr, 0)); break;
      case 'x':
        if (std::strcmp(optarg, "drop") != 0) {
          std::fprintf(stderr, "arm64_hello_vm: -x %s: the only injection is drop\n", optarg);
          return 2;
        }
        drop = true;
        break;
      case 'm':
        if (std::strcmp(optarg, "bitmap") == 0) mode = Mode::Bitmap;
        else if (std::strcmp(optarg, "ring") == 0) mode = Mode::Ring;
        else if (std::strcmp(optarg, "ring-with-bitmap") == 0) mode = Mode::RingWithBitmap;
        else {
          std::fprintf(stderr, "arm64_hello_vm: -m %s: modes are bitmap, ring, ring-with-bitmap\n", optarg);
          return 2;
        }
        break;
      case 'c': entries = static_cast<uint32_t>(std::strtoul(optarg, nullptr, 0)); break;
      case 'p': pages = std::strtoull(optarg, nullptr, 0); break;
      case 'i': passes = static_cast<unsigned>(std::strtoul(optarg, nullptr, 0)); break;
      default:
        std::fprintf(stderr, "usage: %s [-m bitmap|ring|ring-with-bitmap] [-p PAGES] [-i PASSES] [-c RING_ENTRIES] [-x drop] [-v VCPUS]\n",
                     argv[0]);
        return opt == 'h' ? 0 : 2;
    }
  }
  if (pages == 0 || pages > (1ULL << 20)) {
    std::fprintf(stderr, "arm64_hello_vm: -p %llu: pages must be 1..1048576\n", static_cast<unsigned long long>(pages));
    return 2;
  }
  if (nvcpus == 0 || nvcpus > DS_MAX_VCPUS || pages < nvcpus) {
    std::fprintf(stderr, "arm64_hello_vm: -v %u: vCPUs must be 1..%d and at most -p pages\n", nvcpus, DS_MAX_VCPUS);
    return 2;
  }
  if (passes == 0 || passes > 1000) {
    std::fprintf(stderr, "arm64_hello_vm: -i %u: passes must be 1..1000\n", passes);
    return 2;
  }
  std::printf("TAP version 13\n");
  try {
    return run(mode, pages, passes, entries, drop, nvcpus);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "arm64_hello_vm: %s\n", e.what());
    return 2;
  } catch (const SkipError& e) {
    std::printf("1..0 # SKIP %s\n", e.what());
    return 4;
  } catch (const std::exception& e) {
    std::printf("not ok 1 arm64_hello_vm # %s\n", e.what());
    return 1;
  }
}
