# kselftest layout (docs/kernels-and-vm-harness.md "Running under kselftest"):
#   make kselftest-install INSTALL_PATH=DIR
# installs the dirtyscope collection, kselftest-list.txt and the kernel's
# run_kselftest.sh (from Debian's linux-source) into DIR.
INSTALL_PATH ?=

.PHONY: kselftest-install
kselftest-install:
	@[ -n "$(INSTALL_PATH)" ] || { echo "kselftest-install: INSTALL_PATH=DIR is required" >&2; exit 2; }
	@$(MAKE) --no-print-directory build
	@BUILD_DIR=$(BUILD_DIR) scripts/kselftest-install.sh "$(INSTALL_PATH)"
