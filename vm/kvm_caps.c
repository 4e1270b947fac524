// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_caps: the dirty-tracking capabilities of the guest kernel's KVM, one
 * line each, which the guest's /init turns into KTAP diagnostics. Values are
 * KVM_CHECK_EXTENSION on a VM fd (the ring capabilities are per VM type).
 * Exit 0, or 1 if /dev/kvm or KVM_CREATE_VM fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

/* Newer than Debian 12's <linux/kvm.h>: the library's one copy. */
#include "dirtyscope/kvm_dirty_abi.h"

int main(void)
{
	static const struct {
		const char *name;
		int cap;
		const char *meaning;
	} caps[] = {
		{ "KVM_CAP_DIRTY_LOG_RING", KVM_CAP_DIRTY_LOG_RING, "max ring bytes per vCPU" },
		{ "KVM_CAP_DIRTY_LOG_RING_ACQ_REL", KVM_CAP_DIRTY_LOG_RING_ACQ_REL, "max ring bytes, acquire/release ordering" },
		{ "KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP", KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, "ring plus bitmap" },
		{ "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, "manual-protect flags (1 enable, 2 init-set)" },
	};
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		printf("kvm_caps: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0) {
		printf("kvm_caps: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	printf("kvm api version %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	for (unsigned int i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int v = ioctl(vm, KVM_CHECK_EXTENSION, caps[i].cap);

		printf("kvm cap %s = %d (%s)\n", caps[i].name, v, caps[i].meaning);
	}
	close(vm);
	close(kvm);
	return 0;
}
