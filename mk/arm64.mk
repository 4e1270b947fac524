# arm64: the nested arm64 VM with KVM at EL2 under QEMU TCG.
#   make build ARCH=arm64     cross-build (build-arm64/, see cmake/arm64.cmake)
#   make vm-test ARCH=arm64   the full arm64 suite (vm/arm64/suite.sh full):
#                             dirty_log_test in every mode on anonymous,
#                             hugetlb and THP memory, the negative twins,
#                             dirty_log_perf, spp_test; with the module's
#                             suite first in the same boot (vm/run.sh --arch arm64 --kmod)
#   KERNEL=debian-7.2 | debian-experimental   sid's 7.2 or experimental's
#                             7.3-rc instead of Debian 13's 6.12 (debian-13-arm64)
#   KERNEL=debian-7.2 KVM_PATCHES="a.patch ..."   the kernel built from
#                             linux-source-7.2 with them (vm/arm64/kernel-build.sh)
#   make vm-arm64             the same without the module
#   make vm-arm64-short       the short cycle ctest runs (vm.arm64_selftests)
.PHONY: vm-arm64 vm-arm64-short vm-test-arm64
vm-arm64:
	$(MAKE) --no-print-directory build ARCH=arm64
	vm/arm64/suite.sh full

vm-arm64-short:
	$(MAKE) --no-print-directory build ARCH=arm64
	vm/arm64/suite.sh short

vm-test-arm64:
	$(MAKE) --no-print-directory build ARCH=arm64
	vm/arm64/suite.sh full --kmod
