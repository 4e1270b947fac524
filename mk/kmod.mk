# Kernel module and nested-VM harness targets (owned with kmod/ and vm/).
#   make kmod       build dirtyscope.ko (KDIR=... to pick the kernel tree)
#   make kmod-clean remove its build directory
#   make vm-test    boot Debian's kernel under QEMU/TCG and run the module
#                   tests plus the dirty_log_test verdict set
#                   (vm/verdict-set.txt), or VM_TESTS="path args;path args"
#                   instead if given (VM_TESTS= : the module tests alone);
#                   ends with "vm-test verdict: PASS|FAIL (...)";
#                   KVM_PATCHES="a.patch b.patch" boots kvm*.ko rebuilt
#                   from Debian's linux-source with those patches;
#                   ARCH=arm64: the arm64 suite instead (mk/arm64.mk)
KMOD_BUILD := $(BUILD_DIR)/kmod
# The running kernel's tree if it has one, else the Debian headers that
# match the linux-image-amd64 meta package (resolved by vm/kdir.sh).
KDIR ?= $(shell vm/kdir.sh)
# VM_TIMEOUT and VM_TESTS are passed only when given: vm/run.sh picks the
# limit (300 s; more for the verdict set) and, with VM_TESTS unset, the set.
KVM_PATCHES ?=
# A command the kernel's make runs under (vm/run.sh: vm/toolchain.sh run
# ROOT, the private compiler of a kernel the host's gcc cannot build for).
KMOD_WRAP ?=

.PHONY: kmod kmod-deps kmod-clean vm-test vm-deps

kmod-deps:
	@scripts/install-deps.sh kmod

# Build from a copy so generated files never land in the source tree
# (cp -a keeps mtimes, so rebuilds stay incremental).
kmod: kmod-deps
	@mkdir -p $(KMOD_BUILD)
	@cp -a kmod/. $(KMOD_BUILD)/
	$(KMOD_WRAP) $(MAKE) -C "$(or $(KDIR),$(shell vm/kdir.sh))" M=$(abspath $(KMOD_BUILD)) modules
	@echo "built $(KMOD_BUILD)/dirtyscope.ko"

kmod-clean:
	rm -rf $(KMOD_BUILD)

vm-deps:
	@scripts/install-deps.sh kmod vm $(if $(strip $(KVM_PATCHES)),kvmsrc)

ifeq ($(ARCH),arm64)
# The arm64 VM (mk/arm64.mk): its own kernel, programs and module suite.
vm-test: vm-test-arm64
else
# The verdict set runs build/bin/dirty_log_test: build it if it is missing.
vm-test: vm-deps $(if $(filter undefined,$(origin VM_TESTS)),$(BUILD_DIR)/bin/dirty_log_test)
	@BUILD_DIR=$(BUILD_DIR) $(if $(VM_TIMEOUT),VM_TIMEOUT=$(VM_TIMEOUT)) \
		$(if $(filter undefined,$(origin VM_TESTS)),,VM_TESTS="$(VM_TESTS)") \
		KVM_PATCHES="$(KVM_PATCHES)" vm/run.sh

$(BUILD_DIR)/bin/dirty_log_test:
	$(MAKE) --no-print-directory build
endif

# The debug kernel's negative twin: one planted bug per detector, each must
# be reported (vm/debug-twin.sh; builds KERNEL=debug first if needed).
.PHONY: vm-debug-twin
vm-debug-twin: vm-deps
	@BUILD_DIR=$(BUILD_DIR) vm/debug-twin.sh

# The verdict set on every fetchable kernel as one kernel x arch x mode
# matrix, also as JSON (vm/matrix.sh; KERNELS="debian-6.1 arm64 ..." to pick).
.PHONY: vm-matrix
vm-matrix: vm-deps $(BUILD_DIR)/bin/dirty_log_test
	@BUILD_DIR=$(BUILD_DIR) vm/matrix.sh $(KERNELS)

# A developer's own x86-64 kernel, configured unlike Debian's (no function
# tracer, no kprobes): KERNEL=tree-7.2 builds it from linux-source-7.2
# (vm/tree-kernel.sh, cached outside the checkout in
# ~/.cache/dirtyscope/kernels/tree-7.2/; the first build is long, see
# docs/kernels-and-vm-harness.md), then vm-test runs on it as on any built tree.
.PHONY: vm-tree-kernel
vm-tree-kernel:
	@JOBS=$(JOBS) $(MAKE) --no-print-directory vm-test KERNEL=tree-7.2
