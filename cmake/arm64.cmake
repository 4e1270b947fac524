# The arm64 build, included by the top-level CMakeLists.txt when
# the target processor is aarch64 (`make build ARCH=arm64`, with
# cmake/aarch64-linux-gnu.cmake). The same folders as x86 with DS_ARM64 set,
# each building its programs only:
#   - lib/: libdirtyscope with lib/src/arm64/ (guest image, vCPU set-up,
#     exit decoding) and the guest programs with lib/guest/arm64/entry.S;
#   - lib/spp/: the SPP engine (spp_test, spp_bench);
#   - lib/stats/: KVM's binary stats; the BPF and kmod sources are their
#     stubs (no cross libbpf or libnl here), so --stats bpf|kmod is a skip
#     that names the missing source;
#   - selftests/: dirty_log_test (every mode, the arm64 guest's smoke test
#     too) and spp_test; bench/: dirty_log_perf.
# Not here: dirtyscope migrate (its guest paces itself with x86's TSC), the
# tools, GoogleTest and ctest (the unit tests run on the host build).
foreach(dir lib lib/stats lib/spp selftests bench)
  add_subdirectory(${dir})
endforeach()
