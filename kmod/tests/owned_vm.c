// SPDX-License-Identifier: GPL-2.0
/* A VM kept alive by a child running as another user (see owned_vm.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "mini_guest.h"
#include "owned_vm.h"

/* In the child: build, run once, report the name, wait for the parent. */
static int child_main(uid_t uid, gid_t gid, int kvm_fd, int ready_fd,
		      int stop_fd)
{
	const char *why = "setgid/setuid failed";
	struct mini_guest mg;
	char name[64], c;
	int n;

	/*
	 * Inherited fds would keep other children's stop pipes open (their
	 * EOF never comes) and the parent's VMs alive; keep only our own.
	 */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != kvm_fd && fd != ready_fd && fd != stop_fd)
			close(fd);
	if (setgid(gid) || setuid(uid))
		goto fail;
	if (mini_guest_open_from(&mg, kvm_fd, &why) ||
	    mini_guest_add_done_code(&mg, &why) ||
	    mini_guest_add_vcpu(&mg, &why))
		goto fail;
	if (mini_guest_run(&mg) || !mini_guest_done(&mg)) {
		why = "KVM_RUN did not stop at the guest's done";
		goto fail;
	}
	n = snprintf(name, sizeof(name), "%d-%d", getpid(), mg.vm);
	if (write(ready_fd, name, n) != n)
		return 1;
	close(ready_fd);
	/* EOF: the parent is done (or died); the VM goes with this process. */
	for (;;) {
		n = read(stop_fd, &c, 1);
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	mini_guest_close(&mg);
	return 0;
fail:
	diag("owned VM of uid %u: %s: %s", (unsigned int)uid, why, strerror(errno));
	return 1;
}

int owned_vm_start(struct owned_vm *o, uid_t uid, gid_t gid, int kvm_fd)
{
	int ready[2], stop[2];
	ssize_t n;

	memset(o, 0, sizeof(*o));
	o->uid = uid;
	o->stop_fd = -1;
	if (pipe2(ready, O_CLOEXEC) || pipe2(stop, O_CLOEXEC))
		return -1;
	fflush(stdout);
	o->child = fork();
	if (o->child == 0) {
		close(ready[0]);
		close(stop[1]);
		_exit(child_main(uid, gid, kvm_fd, ready[1], stop[0]));
	}
	close(ready[1]);
	close(stop[0]);
	o->stop_fd = stop[1];
	if (o->child < 0) {
		close(ready[0]);
		return -1;
	}
	n = read(ready[0], o->name, sizeof(o->name) - 1);
	close(ready[0]);
	if (n <= 0) {
		owned_vm_stop(o);
		return -1;
	}
	o->name[n] = '\0';
	return 0;
}

void owned_vm_stop(struct owned_vm *o)
{
	if (o->stop_fd >= 0)
		close(o->stop_fd);
	o->stop_fd = -1;
	if (o->child > 0)
		waitpid(o->child, NULL, 0);
	o->child = 0;
}
