/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What module_churn's files share: the state of its three processes and
 * their entry points. module_churn.c: main (the loader) and the verdicts;
 * module_churn_vms.c: the VM creator; module_churn_reader.c: the
 * statistics reader; module_churn_load.c: unloading and loading
 * dirtyscope.ko and kvm.
 */
#ifndef DIRTYSCOPE_TESTS_MODULE_CHURN_H
#define DIRTYSCOPE_TESTS_MODULE_CHURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* State the three processes share (MAP_SHARED), flags read atomically. */
struct shared {
	int stop, pause, paused;
	/* VM creator */
	uint64_t ring_vms, log_vms, vm_failures;
	char vm_failure[200];
	/* statistics reader */
	uint64_t rounds, family_absent, lists, listed, gets_ok, gets_gone, get_errors;
	uint64_t debugfs_reads, debugfs_absent, inconsistent;
	char inconsistency[200];
};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* module_churn.c. Keeps the first message of a kind: later ones add nothing. */
void note(char *dst, size_t size, uint64_t count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* module_churn_vms.c: creates and destroys VMs until sh->stop. */
void vm_creator(struct shared *sh);
/* module_churn_reader.c: reads statistics until sh->stop. */
void stats_reader(struct shared *sh);

/* module_churn_load.c */
int unload(const char *name, int *retries);
int load(const char *ko);
bool module_sees_kvm(bool present);
bool kvm_loaded(void);
bool reload_kvm(struct shared *sh, bool module_in, int *retries, char *why, size_t len);

#endif
