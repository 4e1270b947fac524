# dirtyscope.ko on arm64.
#   make vm-arm64-kmod   cross-build dirtyscope.ko against Debian 13's arm64
#                        6.12 headers (vm/arm64/fetch-headers.sh: private apt
#                        state in build/arm64-kmod/) and the module's test
#                        programs (static aarch64), boot that kernel under
#                        QEMU TCG with KVM at EL2, insmod, run the tests,
#                        reload, rmmod, check dmesg; "N passed, M failed"
#   ARM64_KMOD_EXTRA="module_churn genl_fuzz"   run those too (slow under TCG)
.PHONY: vm-arm64-kmod
vm-arm64-kmod:
	ARM64_KMOD_EXTRA="$(ARM64_KMOD_EXTRA)" vm/arm64/kmod-test.sh
