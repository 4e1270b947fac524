/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VM table (vm_table.c), its naming (vm_name.c), the attribution
 * (attribution.c) and module init/exit (core.c) share beyond dirtyscope.h.
 */
#ifndef DIRTYSCOPE_VM_TABLE_H
#define DIRTYSCOPE_VM_TABLE_H

#include <linux/spinlock.h>
#include <linux/types.h>

struct kvm;
struct ds_vm;

/* Serialises writers of the VM table, the pending list and ds_tasks. */
extern raw_spinlock_t ds_lock;

/* vm_table.c. Under RCU or ds_lock: the published VM at key, or NULL. */
struct ds_vm *ds_vm_lookup(unsigned long key);
/*
 * Find or start tracking the VM of a probe (probe context). NULL while it
 * waits for its name or if it cannot be tracked; event: the caller loses
 * a counted event then.
 */
struct ds_vm *ds_vm_get(struct kvm *kvm, bool event);

/* vm_name.c. Probe context: KVM's debugfs name; false if there is none. */
bool ds_vm_debugfs_name(struct ds_vm *vm, struct kvm *kvm);
/* vm_name.c. Probe context: the inode number of KVM's debugfs directory, or 0. */
unsigned long ds_kvm_dir_ino(struct kvm *kvm);
/* On ds_wq: "<pid>-<fd>" from vm->task's file table, or "<pid>-nofd". */
void ds_vm_fd_name(struct ds_vm *vm);

/* attribution.c: forget the tasks that ran VM vm_id (0: every task). */
void ds_task_forget(u64 vm_id);
/* attribution.c: the probes are detached; no reaping of exited threads. */
void ds_task_reap_stop(void);

#endif /* DIRTYSCOPE_VM_TABLE_H */
