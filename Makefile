# dirtyscope: the entry point people type. `make run` and `make test` do all
# set-up themselves (apt packages included) and then do their job.
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
SANITIZE ?= 0
# Warnings are errors in every build made through this Makefile, and
# compiling goes through ccache (installed by deps; CMakeLists.txt).
CMAKE_FLAGS += -DDS_WERROR=ON -DDS_CCACHE=ON
DEPS_GROUPS := core bpf netlink plot kmod vm

# ARCH=arm64: cross-build with cmake/aarch64-linux-gnu.cmake into
# its own build directory (what builds there: cmake/arm64.cmake).
ifeq ($(ARCH),arm64)
BUILD_DIR := build-arm64
CMAKE_FLAGS += -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
DEPS_GROUPS := core arm64
endif

# SANITIZE=1: an ASan/UBSan build of what the unit tests run (the CMake
# target unit_programs), in its own build directory.
BUILD_TARGETS :=
ifeq ($(SANITIZE),1)
BUILD_DIR := build-sanitize
CMAKE_FLAGS += -DSANITIZE=ON
BUILD_TARGETS := --target unit_programs
endif

.PHONY: all deps build test unit-test sanitize-unit-test run clean
all: build

deps:
	@scripts/install-deps.sh $(DEPS_GROUPS)

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	@grep -q '^DS_WERROR:BOOL=ON' $(BUILD_DIR)/CMakeCache.txt && grep -q '^DS_CCACHE:BOOL=ON' $(BUILD_DIR)/CMakeCache.txt || cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS) $(BUILD_TARGETS)

# Every test: unit tests under ASan/UBSan first, then unit and live-kernel
# tests via ctest (its summary line is the last thing printed).
# Two tests at a time (CTEST_JOBS): most of the time goes to nested VMs
# under TCG, one emulator thread each, so two overlap on two cores; the
# live-kernel tests hold the RESOURCE_LOCK host_kvm (one at a time, as they
# reserve the host's huge pages), so they run beside the VM suites; their
# COST starts them as soon as the two longest VM suites have a slot free,
# instead of alone at the end.
CTEST_JOBS ?= 2
test: build sanitize-unit-test
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j $(CTEST_JOBS)

sanitize-unit-test: deps
	$(MAKE) --no-print-directory unit-test SANITIZE=1

# Unit tests only (no /dev/kvm needed); used with SANITIZE=1. They are
# independent processes, so they share the cores like the full suite does.
unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit -j $(CTEST_JOBS)

# The main job with defaults: every dirty_log_test mode, verdict table.
run: build
	@scripts/run-main.sh $(BUILD_DIR)

clean:
	rm -rf build build-sanitize

# Feature fragments (kernel module, VM harness, benchmarks) add targets here.
-include mk/*.mk
