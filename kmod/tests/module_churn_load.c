// SPDX-License-Identifier: GPL-2.0
/*
 * module_churn's loading and unloading: dirtyscope.ko (delete_module,
 * finit_module), kvm_amd + kvm with the VM creator paused, and the
 * module's own account of kvm.ko in debugfs status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host_util.h"
#include "module_churn.h"
#include "module_view.h"

/*
 * delete_module(O_NONBLOCK) refuses with EWOULDBLOCK/EBUSY while anything
 * holds the module (the reader's debugfs file, a dump in progress): retry.
 */
int unload(const char *name, int *retries)
{
	uint64_t deadline = now_ms() + 10000;

	for (;;) {
		if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0)
			return 0;
		if ((errno != EWOULDBLOCK && errno != EBUSY && errno != EAGAIN) ||
		    now_ms() > deadline)
			return -errno;
		(*retries)++;
		usleep(2000);
	}
}

int load(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return r;
}

static bool status_has(const char *s)
{
	static char buf[8192];

	return read_file(DEBUGFS "/status", buf, sizeof(buf)) >= 0 && strstr(buf, s);
}

/*
 * The module's own account of kvm.ko: every probe attached, or none.
 * arm64's KVM cannot be a module (run with -k 0 there).
 */
#if defined(__aarch64__)
#define KVM_KIND "kvm: built-in"
#else
#define KVM_KIND "kvm: module"
#endif
bool module_sees_kvm(bool present)
{
	if (present)
		return status_has(KVM_KIND) && !status_has(": detached");
	return status_has("kvm: absent") && !status_has(": attached");
}

bool kvm_loaded(void)
{
	return access("/dev/kvm", F_OK) == 0;
}

/*
 * Removes kvm_amd and kvm and inserts them again with the VM creator
 * paused; with the module loaded it must detach and reattach.
 */
bool reload_kvm(struct shared *sh, bool module_in, int *retries, char *why, size_t len)
{
	uint64_t deadline = now_ms() + 30000;
	bool ok = true;
	int r;

	STORE(sh->pause, 1);
	while (!LOAD(sh->paused) && now_ms() < deadline)
		usleep(1000);
	if (!LOAD(sh->paused)) {
		snprintf(why, len, "the VM creator did not pause");
		ok = false;
		goto resume;
	}
	r = unload("kvm_amd", retries) ?: unload("kvm", retries);
	if (r) {
		snprintf(why, len, "rmmod kvm_amd kvm: %s", strerror(-r));
		ok = false;
		goto resume;
	}
	if (module_in && !module_sees_kvm(false)) {
		snprintf(why, len, "kvm.ko gone but the module's status disagrees");
		ok = false;
	}
	if (system("modprobe kvm_amd") != 0 || !kvm_loaded()) {
		snprintf(why, len, "modprobe kvm_amd failed");
		ok = false;
		goto resume;
	}
	if (module_in && !module_sees_kvm(true)) {
		snprintf(why, len, "kvm.ko back but the probes did not reattach");
		ok = false;
	}
resume:
	STORE(sh->pause, 0);
	return ok;
}
