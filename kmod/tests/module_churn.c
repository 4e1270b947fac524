// SPDX-License-Identifier: GPL-2.0
/*
 * module_churn: load and unload dirtyscope.ko again and again under load
 * (module churn in the VM).
 *
 * Usage: module_churn [-l LOADS] [-k KVM_RELOADS] [KO]
 *   -l: unload + load cycles (default 100); -k: times kvm_amd and kvm are
 *   removed and reinserted meanwhile (default 4), alternately under the
 *   loaded module (probes detach, reattach) and while it is out (it then
 *   loads onto a fresh kvm.ko); KO: the module (default /dirtyscope.ko).
 *
 * Three processes: this one loads and unloads; a child creates and
 * destroys VMs without pause (a dirty-ring VM, then a VM with dirty
 * logging, each dirtying pages, so the probes fire) and checks what KVM
 * reported; another child reads statistics the whole time (genl LIST_VMS
 * and GET_STATS of every listed VM, debugfs status, vms, allocations),
 * tolerating the module's absence but not a wrong reply.
 *
 * Afterwards the kernel log since the start must hold, for every unload,
 * "dirtyscope: exit: allocations=N frees=M" with N == M, and no warning
 * (kmsg_check.c). Needs root, /dev/kvm (kvm_amd) and the module loaded;
 * leaves both loaded, as init.sh expects. Prints KTAP; exit 0 pass, 1 fail.
 *
 * Files: this one (the loader, the verdicts), module_churn.h,
 * module_churn_vms.c, module_churn_reader.c, module_churn_load.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_util.h"
#include "kmsg_check.h"
#include "ktap.h"
#include "module_churn.h"
#include "module_view.h"

#define PLAN 8

/* Keeps the first message of a kind: later ones add nothing. */
void note(char *dst, size_t size, uint64_t count, const char *fmt, ...)
{
	va_list ap;

	if (count != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static pid_t spawn(void (*fn)(struct shared *), struct shared *sh)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(sh);
		_exit(0);
	}
	return pid;
}

/* The checker's negative twins: each fabricated log must be refused. */
static void judge_twins(void)
{
	struct kmsg_verdict clean, warn, unbal, junk;

	kmsg_check_text("[ 1.0] dirtyscope: loaded\n"
			"[ 2.0] dirtyscope: exit: allocations=7 frees=7\n", &clean);
	kmsg_check_text("[ 1.0] WARNING: CPU: 0 PID: 9 at kmod/core.c:1 ds_exit\n"
			"[ 2.0] dirtyscope: exit: allocations=7 frees=7\n", &warn);
	kmsg_check_text("[ 2.0] dirtyscope: exit: allocations=7 frees=6\n", &unbal);
	kmsg_check_text("[ 2.0] dirtyscope: exit: allocations=7\n", &junk);
	CHECK(clean.bad_lines == 0 && clean.exit_lines == 1 && clean.unbalanced == 0 &&
	      warn.bad_lines == 1 && unbal.unbalanced == 1 && junk.unbalanced == 1,
	      "log judge: passes a clean log, flags a WARNING, allocations != frees, a torn line");
}

/*
 * The creator and the reader run at their own pace beside the cycles: a
 * short run (-l 5) can end before either has seen a VM with the module
 * loaded. The module is loaded now, so that state will come: wait for it,
 * up to a generous limit, rather than assume the cycles took long enough.
 * The limit (120 s) stays below the churn test's 300 s for the whole
 * program, so a state that never comes fails the checks that need it,
 * with their counts, rather than the program being killed.
 */
static void wait_for_witnesses(struct shared *sh)
{
	uint64_t deadline = now_ms() + 120000, t0 = now_ms();

	while ((!LOAD(sh->ring_vms) || !LOAD(sh->log_vms) || !LOAD(sh->gets_ok)) &&
	       module_loaded() && now_ms() < deadline)
		usleep(20000);
	diag("after the cycles: waited %" PRIu64 " ms for a VM of each kind and a GET_STATS",
	     now_ms() - t0);
}

int main(int argc, char **argv)
{
	static char log[4 << 20];
	int loads = 100, kvm_reloads = 4, c, kmsg, retries = 0, unloads = 0;
	int cycle_failures = 0, kvm_done = 0, kvm_failures = 0, every;
	char cycle_why[200] = "", kvm_why[200] = "";
	const char *ko = "/dirtyscope.ko";
	struct kmsg_verdict kv;
	pid_t creator, reader;
	struct shared *sh;
	uint64_t t0, ms;
	size_t used = 0;

	while ((c = getopt(argc, argv, "l:k:")) != -1) {
		switch (c) {
		case 'l': loads = atoi(optarg); break;
		case 'k': kvm_reloads = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-l LOADS] [-k KVM_RELOADS] [KO]\n", argv[0]);
			return 2;
		}
	}
	if (optind < argc)
		ko = argv[optind];
	if (loads < 1 || kvm_reloads < 0 || kvm_reloads > loads) {
		fprintf(stderr, "module_churn: -l %d -k %d: need 1 <= LOADS and 0 <= KVM_RELOADS <= LOADS\n",
			loads, kvm_reloads);
		return 2;
	}

	ktap_header(PLAN);
	judge_twins();
	if (!module_loaded() || !kvm_loaded()) {
		printf("# Bail out! needs dirtyscope.ko and kvm_amd loaded\n");
		return 1;
	}
	kmsg = kmsg_follow_open();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || kmsg < 0) {
		printf("# Bail out! mmap or /dev/kmsg: %s\n", strerror(errno));
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	creator = spawn(vm_creator, sh);
	reader = spawn(stats_reader, sh);

	/* kvm reloads spread over the cycles, alternating module in and out. */
	every = kvm_reloads ? loads / kvm_reloads : 0;
	t0 = now_ms();
	for (int i = 0; i < loads; i++) {
		bool kvm_now = every && i % every == every / 2 && kvm_done < kvm_reloads;
		bool module_in = kvm_done % 2 == 0;
		int r;

		if (kvm_now && module_in) {
			if (!reload_kvm(sh, true, &retries, kvm_why, sizeof(kvm_why)))
				kvm_failures++;
			kvm_done++;
		}
		r = unload("dirtyscope", &retries);
		if (r) {
			if (!cycle_failures++)
				snprintf(cycle_why, sizeof(cycle_why), "cycle %d: rmmod: %s", i,
					 strerror(-r));
			break;	/* still loaded: nothing more to learn */
		}
		unloads++;
		if (kvm_now && !module_in) {
			if (!reload_kvm(sh, false, &retries, kvm_why, sizeof(kvm_why)))
				kvm_failures++;
			kvm_done++;
		}
		r = load(ko);
		if (r || !module_sees_kvm(kvm_loaded())) {
			if (!cycle_failures++)
				snprintf(cycle_why, sizeof(cycle_why), "cycle %d: %s", i,
					 r ? strerror(-r) : "status does not match kvm.ko");
			if (r)
				break;
		}
		/* The record can outgrow the ring buffer: collect as we go. */
		used += kmsg_follow_read(kmsg, log, sizeof(log), used);
	}
	ms = now_ms() - t0;
	wait_for_witnesses(sh);
	STORE(sh->stop, 1);
	waitpid(creator, NULL, 0);
	waitpid(reader, NULL, 0);
	used += kmsg_follow_read(kmsg, log, sizeof(log), used);

	diag("%d cycles in %" PRIu64 " ms (%" PRIu64 " ms each), %d rmmod retries while busy",
	     unloads, ms, unloads ? ms / unloads : 0, retries);
	if (cycle_failures)
		diag("first cycle failure: %s", cycle_why);
	CHECK(unloads == loads && cycle_failures == 0 && module_loaded(),
	      "%d of %d unload + load cycles, probes attached after each load", unloads, loads);
	if (kvm_failures)
		diag("first kvm reload failure: %s", kvm_why);
	CHECK(kvm_done == kvm_reloads && kvm_failures == 0 && kvm_loaded(),
	      "kvm_amd + kvm removed and reinserted %d times (module loaded and not)", kvm_done);
	if (sh->vm_failures)
		diag("first VM failure: %s", sh->vm_failure);
	CHECK(sh->ring_vms > 0 && sh->log_vms > 0 && sh->vm_failures == 0,
	      "VM creator: %" PRIu64 " dirty-ring and %" PRIu64 " dirty-logging VMs, %" PRIu64
	      " failures", sh->ring_vms, sh->log_vms, sh->vm_failures);
	diag("reader: %" PRIu64 " rounds, family absent in %" PRIu64 ", %" PRIu64 " lists (%"
	     PRIu64 " VMs listed), GET_STATS %" PRIu64 " ok, %" PRIu64 " gone, %" PRIu64
	     " other errors; debugfs %" PRIu64 " reads, %" PRIu64 " absent",
	     sh->rounds, sh->family_absent, sh->lists, sh->listed, sh->gets_ok, sh->gets_gone,
	     sh->get_errors, sh->debugfs_reads, sh->debugfs_absent);
	if (sh->inconsistent)
		diag("first inconsistent reply: %s", sh->inconsistency);
	CHECK(sh->lists > 0 && sh->gets_ok > 0 && sh->debugfs_reads > 0 && sh->inconsistent == 0,
	      "stats reader: %" PRIu64 " VMs read over genl, every reply consistent", sh->gets_ok);

	kmsg_check_text(log, &kv);
	diag("kernel log: %zu bytes, %d exit lines, %" PRIu64 " allocations in all", used,
	     kv.exit_lines, kv.allocations);
	CHECK(kv.exit_lines == unloads, "an exit line at every unload (%d of %d)", kv.exit_lines,
	      unloads);
	if (kv.unbalanced)
		diag("first unbalanced: %s", kv.first_unbalanced);
	CHECK(kv.exit_lines > 0 && kv.unbalanced == 0,
	      "allocations == frees at every unload (%d unbalanced)", kv.unbalanced);
	if (kv.bad_lines)
		diag("first bad kernel log line: %s", kv.first_bad);
	CHECK(kv.bad_lines == 0, "kernel log: no warning, oops or corruption (%d bad lines)",
	      kv.bad_lines);
	return ktap_exit_code(0);
}
