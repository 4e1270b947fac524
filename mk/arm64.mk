# arm64 (issue 14): the nested arm64 VM with KVM at EL2 under QEMU TCG.
#   make build ARCH=arm64   cross-build (build-arm64/, see cmake/arm64.cmake)
#   make vm-arm64           boot Debian 13's arm64 6.12 kernel (vm/arm64/boot.sh),
#                           check /dev/kvm, print KVM's dirty-tracking caps and
#                           run arm64_hello_vm (one MMIO report + dirty log per pass)
.PHONY: vm-arm64
vm-arm64:
	$(MAKE) --no-print-directory build ARCH=arm64
	vm/arm64/boot.sh build-arm64/bin/arm64_hello_vm
