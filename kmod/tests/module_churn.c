// SPDX-License-Identifier: GPL-2.0
/*
 * module_churn: load and unload dirtyscope.ko again and again under load
 * (issue 12, section 4, "module churn in the VM").
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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_util.h"
#include "kmsg_check.h"
#include "ktap.h"
#include "mini_guest.h"
#include "module_view.h"
#include "ring_guest.h"
#include "stats_client.h"

#define PLAN 8
#define LOG_SLOT 1
#define LOG_GPA 0x10000
#define LOG_NPAGES 16

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

static void note(char *dst, size_t size, uint64_t count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Keeps the first message of a kind: later ones add nothing. */
static void note(char *dst, size_t size, uint64_t count, const char *fmt, ...)
{
	va_list ap;

	if (count != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* --- the VM creator ---------------------------------------------------- */

/* Writes one byte to each of LOG_NPAGES pages, then says done (mini_guest.h). */
#if defined(__aarch64__)
_Static_assert(LOG_GPA == 0x10000 && LOG_NPAGES == 16, "guest code below");
MINI_GUEST_ASM(log_code,
	"movz x0, #0x1, lsl #16\n"		/* LOG_GPA */
	"mov x1, #16\n"			/* LOG_NPAGES */
	"mov w3, #0x55\n"
	"1: strb w3, [x0]\n"
	"add x0, x0, #0x1000\n"
	"subs x1, x1, #1\n"
	"b.ne 1b\n"
	"movz x2, #0x1000, lsl #16\n"		/* MINI_GUEST_DONE_GPA */
	"str w3, [x2]\n"
	"b .");
#define LOG_CODE_LEN log_code_size
#else
static const unsigned char log_code[] = {
	0xb8, 0x00, LOG_GPA >> 12,		/* mov ax, LOG_GPA >> 4 */
	0xb9, LOG_NPAGES, 0x00,			/* mov cx, LOG_NPAGES */
	0x8e, 0xd8,				/* 1: mov ds, ax */
	0xc6, 0x06, 0x00, 0x00, 0x55,		/* mov byte [0], 0x55 */
	0x05, 0x00, 0x01,			/* add ax, 0x100 (4 KiB) */
	0xe2, 0xf4,				/* loop 1b */
	0xf4,					/* hlt */
};
#define LOG_CODE_LEN sizeof(log_code)
#endif

/* A VM with KVM_MEM_LOG_DIRTY_PAGES: every page written must be in the log. */
static int log_vm(const char **why)
{
	unsigned long bitmap[1] = { 0 };
	struct kvm_dirty_log log = { .slot = LOG_SLOT, .dirty_bitmap = bitmap };
	struct mini_guest mg;
	void *data = NULL;
	int r;

	r = mini_guest_open(&mg, why) ?:
	    mini_guest_add_code(&mg, log_code, LOG_CODE_LEN, why) ?:
	    mini_guest_add_slot(&mg, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA,
				LOG_NPAGES * 4096UL, &data, why) ?:
	    mini_guest_add_vcpu(&mg, why);
	if (!r && (mini_guest_run(&mg) || !mini_guest_done(&mg))) {
		*why = "KVM_RUN did not stop at the guest's done";
		r = 1;
	}
	if (!r && ioctl(mg.vm, KVM_GET_DIRTY_LOG, &log) < 0) {
		*why = "KVM_GET_DIRTY_LOG failed";
		r = 1;
	}
	if (!r && bitmap[0] != (1UL << LOG_NPAGES) - 1) {
		*why = "dirty log misses written pages";
		r = 1;
	}
	mini_guest_close(&mg);
	if (data && data != MAP_FAILED)
		munmap(data, LOG_NPAGES * 4096UL);
	return r;
}

static int ring_vm(const char **why)
{
	struct ring_guest g;
	int r = ring_guest_create(&g, why);

	if (!r && ring_guest_round(&g)) {
		*why = "ring round failed (a page written but not reported?)";
		r = 1;
	}
	ring_guest_destroy(&g);
	return r;
}

static void vm_creator(struct shared *sh)
{
	for (uint64_t i = 0; !LOAD(sh->stop); i++) {
		const char *why = "";
		int r;

		/* kvm.ko can only go when no VM and no /dev/kvm fd is left. */
		if (LOAD(sh->pause)) {
			STORE(sh->paused, 1);
			while (LOAD(sh->pause) && !LOAD(sh->stop))
				usleep(1000);
			STORE(sh->paused, 0);
			continue;
		}
		r = i % 2 ? log_vm(&why) : ring_vm(&why);
		if (r) {
			sh->vm_failures++;
			note(sh->vm_failure, sizeof(sh->vm_failure), sh->vm_failures,
			     "%s VM %" PRIu64 ": %s: %s", i % 2 ? "logging" : "ring", i, why,
			     strerror(errno));
		} else if (i % 2) {
			sh->log_vms++;
		} else {
			sh->ring_vms++;
		}
	}
}

/* --- the statistics reader -------------------------------------------- */

static void read_debugfs(struct shared *sh, const char *file)
{
	static char buf[1 << 16];
	char path[128];

	/* Open, read, close at once: an open file pins the module. */
	snprintf(path, sizeof(path), DEBUGFS "/%s", file);
	if (read_file(path, buf, sizeof(buf)) >= 0)
		sh->debugfs_reads++;
	else
		sh->debugfs_absent++;
}

/* A listed VM names itself consistently: "<pid>-<fd>" of its own fields. */
static void check_vm(struct shared *sh, const struct vm_info *v, const char *what)
{
	char want[64];

	snprintf(want, sizeof(want), "%u-%d", v->pid, v->fd);
	if (v->id == 0 || (strcmp(v->name, want) && v->fd >= 0)) {
		sh->inconsistent++;
		note(sh->inconsistency, sizeof(sh->inconsistency), sh->inconsistent,
		     "%s: id %" PRIu64 " name '%s' pid %u fd %d", what, v->id, v->name, v->pid,
		     v->fd);
	}
}

static void stats_reader(struct shared *sh)
{
	static struct vm_list list;
	struct vm_info st;

	while (!LOAD(sh->stop)) {
		struct nl nl;
		int r;

		sh->rounds++;
		read_debugfs(sh, "status");
		read_debugfs(sh, "vms");
		read_debugfs(sh, "allocations");
		if (nl_open(&nl)) {
			usleep(1000);
			continue;
		}
		/* The family id may change with every load: resolve each round. */
		if (nl_resolve(&nl)) {
			sh->family_absent++;
			close(nl.fd);
			usleep(1000);
			continue;
		}
		r = list_vms(&nl, &list);
		if (!r) {
			sh->lists++;
			sh->listed += list.n;
		}
		for (int i = 0; !r && i < list.n; i++) {
			check_vm(sh, &list.vms[i], "LIST_VMS");
			/* The VM, or the module, may have gone meanwhile. */
			switch (get_stats_by_id(&nl, list.vms[i].id, &st)) {
			case 0:
				sh->gets_ok++;
				check_vm(sh, &st, "GET_STATS");
				if (st.id != list.vms[i].id) {
					sh->inconsistent++;
					note(sh->inconsistency, sizeof(sh->inconsistency),
					     sh->inconsistent, "GET_STATS of id %" PRIu64
					     " answered id %" PRIu64, list.vms[i].id, st.id);
				}
				break;
			case -ENOENT:
				sh->gets_gone++;
				break;
			default:
				sh->get_errors++;
				break;
			}
		}
		close(nl.fd);
	}
}

/* --- loading and unloading -------------------------------------------- */

/*
 * delete_module(O_NONBLOCK) refuses with EWOULDBLOCK/EBUSY while anything
 * holds the module (the reader's debugfs file, a dump in progress): retry.
 */
static int unload(const char *name, int *retries)
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

static int load(const char *ko)
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
static bool module_sees_kvm(bool present)
{
	if (present)
		return status_has(KVM_KIND) && !status_has(": detached");
	return status_has("kvm: absent") && !status_has(": attached");
}

static bool kvm_loaded(void)
{
	return access("/dev/kvm", F_OK) == 0;
}

/*
 * Removes kvm_amd and kvm and inserts them again with the VM creator
 * paused; with the module loaded it must detach and reattach.
 */
static bool reload_kvm(struct shared *sh, bool module_in, int *retries, char *why, size_t len)
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
