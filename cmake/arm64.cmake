# The arm64 build (issue 14), included by the top-level CMakeLists.txt when
# the target processor is aarch64 (`make build ARCH=arm64`, with
# cmake/aarch64-linux-gnu.cmake). What builds here so far:
#   - libdirtyscope_arm64: the library's arch-independent parts (ownership,
#     ioctls, memslots, dirty logs and rings, collectors, verifier) plus
#     lib/src/arm64/ and the guest programs with lib/guest/arm64/entry.S;
#   - arm64_hello_vm (selftests/arm64/): one vCPU, one MMIO report per pass,
#     KVM_GET_DIRTY_LOG checked against the pages written.
# The x86 parts (lib/src/x86/, guest_vm, vcpu_pool, vcpu_exit, spp_model (reads
# x86 registers at an SPP exit) and what uses
# them: dirty_log_test, dirty_log_perf, the tools) wait for the arm64
# counterparts of x86::GuestImage's callers. No GoogleTest, no ctest here:
# the unit tests run on the host build.

set(DS_ARM64_GUEST_C lib/guest/workload.c lib/guest/perf_workload.c lib/guest/spp_workload.c)
# Freestanding as on x86 (lib/CMakeLists.txt), plus -mstrict-align (so the
# code stays right should it ever run with the MMU off, where every access
# is Device memory and an unaligned one faults). No PAC/BTI or outline
# atomics: nothing to link to.
set_source_files_properties(${DS_ARM64_GUEST_C} PROPERTIES COMPILE_OPTIONS
  "-O2;-ffreestanding;-fno-builtin;-mgeneral-regs-only;-mstrict-align;-fno-jump-tables;-fno-stack-protector;-fno-asynchronous-unwind-tables;-fno-sanitize=all;-fno-tree-loop-distribute-patterns;-mbranch-protection=none;-mno-outline-atomics")

# Library sources that do not depend on x86's guest or registers.
set(DS_ARM64_LIB_SOURCES
  bitmap_collector bitmap_pages capability collector dirty_ring dirty_set error
  host_memory ioctl json json_value kvm_system mapping ring_collector size_parse
  spp_vectors test_region vcpu verifier vm write_mix)
list(TRANSFORM DS_ARM64_LIB_SOURCES PREPEND lib/src/)
list(TRANSFORM DS_ARM64_LIB_SOURCES APPEND .cpp)
file(GLOB DS_ARM64_ARCH_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/lib/src/arm64/*.cpp)

add_library(dirtyscope_arm64 STATIC ${DS_ARM64_LIB_SOURCES} ${DS_ARM64_ARCH_SOURCES}
  lib/guest/arm64/entry.S ${DS_ARM64_GUEST_C})
target_include_directories(dirtyscope_arm64 PUBLIC lib/include lib/guest)
target_link_libraries(dirtyscope_arm64 PUBLIC Threads::Threads)

add_executable(arm64_hello_vm selftests/arm64/hello_vm.cpp)
target_link_libraries(arm64_hello_vm PRIVATE dirtyscope_arm64)
