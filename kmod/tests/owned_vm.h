/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM owned by another user: a forked child drops to uid/gid, creates a
 * one-vCPU guest on the parent's /dev/kvm fd and runs it once (so the
 * module sees the VM first in that child and records uid as its owner),
 * then keeps it alive until owned_vm_stop().
 */
#ifndef DIRTYSCOPE_TESTS_OWNED_VM_H
#define DIRTYSCOPE_TESTS_OWNED_VM_H

#include <sys/types.h>

struct owned_vm {
	pid_t child;
	int stop_fd;		/* closing it lets the child exit */
	uid_t uid;
	char name[64];		/* "<pid>-<vm fd>", as the module names it */
};

/* 0 when the child's VM has run, else -1 (and a diagnostic). */
int owned_vm_start(struct owned_vm *o, uid_t uid, gid_t gid, int kvm_fd);
/* Destroys the VM (the child exits) and reaps the child. */
void owned_vm_stop(struct owned_vm *o);

#endif
