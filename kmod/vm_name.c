// SPDX-License-Identifier: GPL-2.0
/*
 * Naming a VM "<pid>-<fd>" (kmod/README.md, "How VMs are named"): from
 * KVM's own debugfs directory in probe context, or, without one, from the
 * creating thread's file table on ds_wq.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/sched/task.h>

#include "dirtyscope.h"
#include "vm_table.h"

/* Which fd of the calling process is this VM? See kmod/README.md. */
static int ds_match_vm_file(const void *kvm, struct file *file, unsigned int fd)
{
	/*
	 * Both the VM fd and its binary-stats fd point private_data at the
	 * kvm; only the VM fd is the anon inode KVM names "kvm-vm".
	 */
	if (file->private_data != kvm ||
	    strcmp(file->f_path.dentry->d_name.name, "kvm-vm"))
		return 0;
	return fd + 1;
}

/*
 * Called from a probe of this VM, so kvm is alive. KVM's own debugfs
 * directory name is exactly "<pid>-<fd>" as KVM chose it at creation:
 * true if there is one (copying a name is fine in probe context).
 */
bool ds_vm_debugfs_name(struct ds_vm *vm, struct kvm *kvm)
{
	struct dentry *d = READ_ONCE(kvm->debugfs_dentry);
	int pid, fd;
	char tail;

	/* A pool entry may come back unused with an earlier VM's number. */
	vm->kvm_dir_ino = 0;
	if (atomic_dec_if_positive(&ds_fault_no_name) >= 0 || IS_ERR_OR_NULL(d))
		return false;
	snprintf(vm->name, sizeof(vm->name), "%pd", d);
	if (sscanf(vm->name, "%d-%d%c", &pid, &fd, &tail) != 2)
		return false;
	vm->pid = pid;
	vm->fd = fd;
	vm->kvm_dir_ino = ds_kvm_dir_ino(kvm);
	return true;
}

unsigned long ds_kvm_dir_ino(struct kvm *kvm)
{
	struct dentry *d = READ_ONCE(kvm->debugfs_dentry);

	return IS_ERR_OR_NULL(d) || !d_inode(d) ? 0 : d_inode(d)->i_ino;
}

/*
 * On ds_wq, for a VM KVM gave no debugfs name (debugfs off, or a name
 * clash): the tgid of the thread that first ran it and the lowest fd in
 * its file table that refers to the VM. task_lock() keeps task->files
 * from going away (exit_files() clears it under that lock). The kvm
 * pointer is only compared with private_data, never dereferenced: the VM
 * may be gone by now (then no fd matches, or the kill path discards us).
 */
void ds_vm_fd_name(struct ds_vm *vm)
{
	int ret = 0;

	task_lock(vm->task);
	if (vm->task->files)
		ret = iterate_fd(vm->task->files, 0, ds_match_vm_file,
				 (void *)vm->key);
	task_unlock(vm->task);
	vm->fd = ret > 0 ? ret - 1 : -1;
	if (vm->fd >= 0)
		snprintf(vm->name, sizeof(vm->name), "%d-%d", vm->pid, vm->fd);
	else
		snprintf(vm->name, sizeof(vm->name), "%d-nofd", vm->pid);
}
