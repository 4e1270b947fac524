# dirtyscope.ko on arm64.
#   make vm-arm64-kmod   cross-build dirtyscope.ko against Debian 13's arm64
#                        6.12 headers (vm/kernel.sh --headers: private apt
#                        state in build/arm64-kmod/) and the module's test
#                        programs (kmod/tests/build.sh), boot that kernel under
#                        QEMU TCG with KVM at EL2 (vm/run.sh --arch arm64 --kmod),
#                        insmod, run the tests, reload, rmmod, check dmesg;
#                        "N passed, M failed, K skipped"
#   ARM64_KMOD_EXTRA="genl_fuzz -n 2000; module_churn -l 10 -k 0 /dirtyscope.ko"
#                        run those too (slow under TCG)
.PHONY: vm-arm64-kmod
vm-arm64-kmod:
	ARM64_KMOD_EXTRA="$(ARM64_KMOD_EXTRA)" vm/run.sh --arch arm64 --kmod
