# arm64 (issue 14): the nested arm64 VM with KVM at EL2 under QEMU TCG.
#   make build ARCH=arm64   cross-build (build-arm64/, see cmake/arm64.cmake)
#   make vm-arm64           boot Debian 13's arm64 6.12 kernel (vm/arm64/boot.sh),
#                           check /dev/kvm, print KVM's dirty-tracking caps and
#                           run arm64_hello_vm in every mode (one MMIO report and
#                           one verified collection per pass), plus a small ring
#                           that fills (KVM_EXIT_DIRTY_RING_FULL), 4 vCPUs with a
#                           ring each; the negative
#                           twins (-x drop) must fail
ARM64_HELLO := build-arm64/bin/arm64_hello_vm
.PHONY: vm-arm64
vm-arm64:
	$(MAKE) --no-print-directory build ARCH=arm64
	vm/arm64/boot.sh "$(ARM64_HELLO) -m bitmap" "$(ARM64_HELLO) -m ring" \
	  "$(ARM64_HELLO) -m ring-with-bitmap" "$(ARM64_HELLO) -m ring -c 256 -p 1024" \
	  "$(ARM64_HELLO) -m bitmap -v 4 -p 1024" "$(ARM64_HELLO) -m ring-with-bitmap -v 4 -p 1024 -c 256" \
	  "!$(ARM64_HELLO) -m bitmap -x drop" "!$(ARM64_HELLO) -m ring-with-bitmap -x drop"
