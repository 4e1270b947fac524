// SPDX-License-Identifier: GPL-2.0
/*
 * dirtyscope_kmod_test: checks dirtyscope.ko against a VM it drives itself.
 *
 * Prints KTAP; exit code 0 pass, 1 fail, 4 skip (kselftest). Needs root,
 * /dev/kvm and debugfs. Usage: dirtyscope_kmod_test [PATH/dirtyscope.ko]
 * With the module path it also unloads and reloads the module while its
 * VM is alive. Built static (raw netlink, no libnl) so the VM harness can
 * drop it into an initramfs.
 *
 * The guest is 20 bytes of real-mode code writing one byte to each of
 * NPAGES pages of a memslot with KVM_MEM_LOG_DIRTY_PAGES, then HLT. The
 * dirty ring (256 entries, soft limit 192) is smaller than NPAGES, so each
 * round also produces KVM_EXIT_DIRTY_RING_FULL exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dirtyscope.h>

#define DEBUGFS "/sys/kernel/debug/" DIRTYSCOPE_DEBUGFS_DIR
#define NPAGES 200
#define RING_ENTRIES 256
#define ROUNDS 2
#define CODE_GPA 0x1000
#define DATA_GPA 0x10000
#define DATA_SLOT 1
#define PLAN 32

/* ---- KTAP ---- */

static int test_nr, test_failed;

static void result(bool pass, const char *skip, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", pass ? "" : "not ", ++test_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (skip)
		printf(" # SKIP %s", skip);
	printf("\n");
	fflush(stdout);
	test_failed += !pass;
}

#define CHECK(cond, ...) result((cond), NULL, __VA_ARGS__)
#define SKIP(why, ...) result(true, (why), __VA_ARGS__)
#define diag(...) do { printf("# " __VA_ARGS__); printf("\n"); fflush(stdout); } while (0)

/* ---- generic netlink, raw ---- */

struct msg {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[1024];
};

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
	uint32_t version;
	uint32_t events_group;
};

static void msg_init(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd,
		     uint8_t version)
{
	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->genl.cmd = cmd;
	m->genl.version = version;
}

static void msg_put(struct msg *m, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* Ask for extended ACKs so a failing test can print the reason. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

typedef void (*nl_cb)(struct nlmsghdr *nlh, void *ctx);

/* Sends m; feeds each reply to cb. Returns 0 or the kernel's negative errno. */
static int nl_transact(struct nl *nl, struct msg *m, nl_cb cb, void *ctx)
{
	static char buf[1 << 17];
	bool dump = m->nlh.nlmsg_flags & NLM_F_DUMP;
	struct nlmsghdr *nlh;
	ssize_t n;

	m->nlh.nlmsg_seq = ++nl->seq;
	if (!dump)
		m->nlh.nlmsg_flags |= NLM_F_ACK;
	if (send(nl->fd, m, m->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error;
			}
			if (cb)
				cb(nlh, ctx);
		}
	}
}

#define for_each_attr(a, start, len)					\
	for (a = (struct nlattr *)(start);				\
	     (char *)a + NLA_HDRLEN <= (char *)(start) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&				\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

#define ATTR_DATA(a) ((void *)((char *)(a) + NLA_HDRLEN))
#define ATTR_LEN(a) ((a)->nla_len - NLA_HDRLEN)

static uint64_t attr_uint(struct nlattr *a)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	switch (ATTR_LEN(a)) {
	case 8: memcpy(&v64, ATTR_DATA(a), 8); return v64;
	case 4: memcpy(&v32, ATTR_DATA(a), 4); return v32;
	case 2: memcpy(&v16, ATTR_DATA(a), 2); return v16;
	default: return 0;
	}
}

static void family_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a, *grp, *ga;
	struct nl *nl = ctx;

	for_each_attr(a, (char *)g + GENL_HDRLEN, len) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case CTRL_ATTR_FAMILY_ID:
			nl->family = attr_uint(a);
			break;
		case CTRL_ATTR_VERSION:
			nl->version = attr_uint(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			for_each_attr(grp, ATTR_DATA(a), ATTR_LEN(a)) {
				const char *name = NULL;
				uint32_t id = 0;

				for_each_attr(ga, ATTR_DATA(grp), ATTR_LEN(grp)) {
					if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = ATTR_DATA(ga);
					else if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = attr_uint(ga);
				}
				if (name && !strcmp(name, DIRTYSCOPE_GENL_MCGRP_EVENTS))
					nl->events_group = id;
			}
			break;
		}
	}
}

static int nl_resolve(struct nl *nl)
{
	struct msg m;

	msg_init(&m, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	msg_put(&m, CTRL_ATTR_FAMILY_NAME, DIRTYSCOPE_GENL_NAME,
		sizeof(DIRTYSCOPE_GENL_NAME));
	return nl_transact(nl, &m, family_cb, nl);
}

/* One VM as LIST_VMS / GET_STATS describe it. */
struct vm_info {
	uint64_t id;
	uint32_t pid;
	int32_t fd;
	char name[64];
	uint32_t nr_vcpus;
	uint64_t total[DIRTYSCOPE_STAT_MAX + 1];
	uint64_t vcpu0[DIRTYSCOPE_STAT_MAX + 1];
	int vcpu_nests;
	uint64_t unattributed;
	bool have_unattributed;
};

struct vm_list {
	struct vm_info vms[64];
	int n;
};

static void parse_stats(struct nlattr *nest, uint64_t *out)
{
	struct nlattr *a;

	for_each_attr(a, ATTR_DATA(nest), ATTR_LEN(nest))
		if (a->nla_type <= DIRTYSCOPE_STAT_MAX)
			out[a->nla_type] = attr_uint(a);
}

static void parse_vm(struct nlmsghdr *nlh, struct vm_info *vm)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a;

	memset(vm, 0, sizeof(*vm));
	for_each_attr(a, (char *)g + GENL_HDRLEN, len) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case DIRTYSCOPE_ATTR_VM_ID: vm->id = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_PID: vm->pid = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_FD: vm->fd = (int32_t)attr_uint(a); break;
		case DIRTYSCOPE_ATTR_VM_NAME:
			snprintf(vm->name, sizeof(vm->name), "%.*s",
				 (int)ATTR_LEN(a), (char *)ATTR_DATA(a));
			break;
		case DIRTYSCOPE_ATTR_NR_VCPUS: vm->nr_vcpus = attr_uint(a); break;
		case DIRTYSCOPE_ATTR_STATS: parse_stats(a, vm->total); break;
		case DIRTYSCOPE_ATTR_VCPU:
			if (!vm->vcpu_nests++)
				parse_stats(a, vm->vcpu0);
			break;
		case DIRTYSCOPE_ATTR_UNATTRIBUTED:
			vm->unattributed = attr_uint(a);
			vm->have_unattributed = true;
			break;
		}
	}
}

static void list_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct vm_list *l = ctx;

	if (l->n < (int)(sizeof(l->vms) / sizeof(l->vms[0])))
		parse_vm(nlh, &l->vms[l->n++]);
}

static void one_cb(struct nlmsghdr *nlh, void *ctx)
{
	parse_vm(nlh, ctx);
}

static int list_vms(struct nl *nl, struct vm_list *l)
{
	struct msg m;

	l->n = 0;
	msg_init(&m, nl->family, NLM_F_DUMP, DIRTYSCOPE_CMD_LIST_VMS, 1);
	return nl_transact(nl, &m, list_cb, l);
}

static struct vm_info *find_vm(struct vm_list *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->vms[i].name, name))
			return &l->vms[i];
	return NULL;
}

static int get_stats_by_name(struct nl *nl, uint32_t pid, int32_t fd,
			     struct vm_info *out)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_STATS, 1);
	msg_put(&m, DIRTYSCOPE_ATTR_VM_PID, &pid, sizeof(pid));
	msg_put(&m, DIRTYSCOPE_ATTR_VM_FD, &fd, sizeof(fd));
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, one_cb, out);
}

static int get_stats_by_id(struct nl *nl, uint64_t id, struct vm_info *out)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_STATS, 1);
	msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &id, sizeof(id));
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, &m, one_cb, out);
}

static int reset_stats(struct nl *nl, uint64_t id)
{
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_RESET_STATS, 1);
	if (id)
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &id, sizeof(id));
	return nl_transact(nl, &m, NULL, NULL);
}

/* Events received on the multicast socket, counted by type. */
struct events {
	int full, reset;
	uint64_t reset_entries;
	uint64_t vm_id;
};

static void event_cb(struct nlmsghdr *nlh, void *ctx)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	uint64_t id = 0, entries = 0;
	struct events *ev = ctx;
	struct nlattr *a;
	uint32_t type = 0;

	if (g->cmd != DIRTYSCOPE_CMD_EVENT)
		return;
	for_each_attr(a, (char *)g + GENL_HDRLEN, len) {
		if (a->nla_type == DIRTYSCOPE_ATTR_EVENT)
			type = attr_uint(a);
		else if (a->nla_type == DIRTYSCOPE_ATTR_VM_ID)
			id = attr_uint(a);
		else if (a->nla_type == DIRTYSCOPE_ATTR_RESET_ENTRIES)
			entries = attr_uint(a);
	}
	if (ev->vm_id && id != ev->vm_id)
		return;
	if (type == DIRTYSCOPE_EVENT_RING_FULL)
		ev->full++;
	else if (type == DIRTYSCOPE_EVENT_RING_RESET) {
		ev->reset++;
		ev->reset_entries += entries;
	}
}

static void drain_events(int fd, struct events *ev)
{
	static char buf[1 << 16];
	struct nlmsghdr *nlh;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n))
			event_cb(nlh, ev);
}

/* ---- KVM ---- */

struct guest {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_dirty_gfn *ring;
	uint32_t fetch;			/* next ring index to harvest */
	void *code, *data;
	/* What userspace observed, to compare with the module's counters. */
	uint64_t harvested, reset_ioctls, full_exits, max_batch;
	uint64_t bad_entries;
	unsigned char seen[NPAGES];
};

static const unsigned char guest_code[] = {
	0xb8, 0x00, DATA_GPA >> 12,		/* mov ax, DATA_GPA >> 4 */
	0xb9, NPAGES & 0xff, NPAGES >> 8,	/* mov cx, NPAGES */
	0x8e, 0xd8,				/* 1: mov ds, ax */
	0xc6, 0x06, 0x00, 0x00, 0xaa,		/* mov byte [0], 0xaa */
	0x05, 0x00, 0x01,			/* add ax, 0x100 (4 KiB) */
	0xe2, 0xf4,				/* loop 1b */
	0xf4,					/* hlt */
	0xeb, 0xeb,				/* jmp start */
};

static int guest_create(struct guest *g, const char **why)
{
	struct kvm_userspace_memory_region code = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = 0x10000,
	};
	struct kvm_userspace_memory_region data = {
		.slot = DATA_SLOT, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = DATA_GPA, .memory_size = NPAGES * 4096UL,
	};
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	memset(g, 0, sizeof(*g));
	g->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm < 0) {
		*why = "no /dev/kvm";
		return 4;
	}
	g->vm = ioctl(g->kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0) {
		*why = "KVM_CREATE_VM failed";
		return 1;
	}
	r = ioctl(g->vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
	/* A failing call is not "capability 0": a skip would hide it. */
	if (r < 0) {
		*why = "KVM_CHECK_EXTENSION(DIRTY_LOG_RING) failed";
		return 1;
	}
	if (r < RING_ENTRIES * (int)sizeof(struct kvm_dirty_gfn)) {
		*why = "KVM_CAP_DIRTY_LOG_RING unsupported";
		return 4;
	}
	cap.args[0] = RING_ENTRIES * sizeof(struct kvm_dirty_gfn);
	if (ioctl(g->vm, KVM_ENABLE_CAP, &cap) < 0) {
		*why = "KVM_ENABLE_CAP(DIRTY_LOG_RING) failed";
		return 1;
	}
	g->code = mmap(NULL, code.memory_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->data = mmap(NULL, data.memory_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->code == MAP_FAILED || g->data == MAP_FAILED) {
		*why = "mmap guest memory failed";
		return 1;
	}
	memcpy((char *)g->code + CODE_GPA, guest_code, sizeof(guest_code));
	code.userspace_addr = (uintptr_t)g->code;
	data.userspace_addr = (uintptr_t)g->data;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &code) < 0 ||
	    ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &data) < 0) {
		*why = "KVM_SET_USER_MEMORY_REGION failed";
		return 1;
	}
	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	g->run_size = ioctl(g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (g->vcpu < 0 || (ssize_t)g->run_size <= 0) {
		*why = "KVM_CREATE_VCPU failed";
		return 1;
	}
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	g->ring = mmap(NULL, cap.args[0], PROT_READ | PROT_WRITE, MAP_SHARED,
		       g->vcpu, KVM_DIRTY_LOG_PAGE_OFFSET * getpagesize());
	if (g->run == MAP_FAILED || g->ring == MAP_FAILED) {
		*why = "mmap kvm_run or dirty ring failed";
		return 1;
	}
	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs) < 0) {
		*why = "KVM_GET_SREGS failed";
		return 1;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(g->vcpu, KVM_SET_REGS, &regs) < 0) {
		*why = "KVM_SET_SREGS/REGS failed";
		return 1;
	}
	return 0;
}

/*
 * Collect every published entry, then hand them back. The acquire load of
 * flags pairs with KVM's release of DIRTY; the release store of RESET
 * makes our reads of slot/offset happen before KVM may reuse the entry.
 */
static int harvest_and_reset(struct guest *g)
{
	uint64_t batch = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &g->ring[g->fetch % RING_ENTRIES];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == DATA_SLOT && e->offset < NPAGES)
			g->seen[e->offset] = 1;
		else
			g->bad_entries++;
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		g->fetch++;
		batch++;
	}
	g->harvested += batch;
	if (batch > g->max_batch)
		g->max_batch = batch;
	if (ioctl(g->vm, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return -errno;
	g->reset_ioctls++;
	return 0;
}

/* Run the guest until HLT: one pass over all pages. */
static int guest_round(struct guest *g)
{
	memset(g->seen, 0, sizeof(g->seen));
	for (;;) {
		if (ioctl(g->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			diag("KVM_RUN: %s", strerror(errno));
			return -1;
		}
		switch (g->run->exit_reason) {
		case KVM_EXIT_DIRTY_RING_FULL:
			g->full_exits++;
			if (harvest_and_reset(g))
				return -1;
			break;
		case KVM_EXIT_HLT:
			if (harvest_and_reset(g))
				return -1;
			for (int i = 0; i < NPAGES; i++)
				if (!g->seen[i]) {
					diag("page %d written but not reported", i);
					return -1;
				}
			return 0;
		default:
			diag("unexpected exit reason %u", g->run->exit_reason);
			return -1;
		}
	}
}

static void guest_destroy(struct guest *g)
{
	if (g->ring && g->ring != MAP_FAILED)
		munmap(g->ring, RING_ENTRIES * sizeof(struct kvm_dirty_gfn));
	if (g->run && g->run != MAP_FAILED)
		munmap(g->run, g->run_size);
	if (g->vcpu > 0)
		close(g->vcpu);
	if (g->vm > 0)
		close(g->vm);
	if (g->kvm > 0)
		close(g->kvm);
	if (g->code && g->code != MAP_FAILED)
		munmap(g->code, 0x10000);
	if (g->data && g->data != MAP_FAILED)
		munmap(g->data, NPAGES * 4096UL);
	g->vcpu = g->vm = g->kvm = -1;
}

/* ---- helpers ---- */

static bool module_loaded(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "dirtyscope ", 11))
			found = true;
	fclose(f);
	return found;
}

/* Reads a whole file; returns its length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	close(fd);
	if (n < 0)
		return -errno;
	buf[total] = 0;
	return total;
}

static bool file_lists_name(const char *path, const char *name)
{
	static char buf[1 << 16];
	char needle[80];

	if (read_file(path, buf, sizeof(buf)) < 0)
		return false;
	snprintf(needle, sizeof(needle), " %s ", name);
	return strstr(buf, needle);
}

/* RESET_STATS from a child that dropped to nobody; returns its errno. */
static int reset_as_nobody(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct nl nl = { 0 };

		if (setgid(65534) || setuid(65534))
			_exit(100);
		if (nl_open(&nl) || nl_resolve(&nl))
			_exit(101);
		_exit(-reset_stats(&nl, 0));
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int malformed(struct nl *nl, int variant)
{
	uint32_t u32 = 1;
	uint64_t u64 = 1;
	struct msg m;

	msg_init(&m, nl->family, 0, DIRTYSCOPE_CMD_GET_STATS, 1);
	switch (variant) {
	case 0:		/* no selector */
		break;
	case 1:		/* reply-only attribute in a request */
		msg_put(&m, DIRTYSCOPE_ATTR_VM_NAME, "x", 2);
		break;
	case 2:		/* VM_ID with a u32 payload */
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &u32, sizeof(u32));
		break;
	case 3:		/* attribute type beyond the policy */
		msg_put(&m, DIRTYSCOPE_ATTR_MAX + 5, &u32, sizeof(u32));
		break;
	case 4:		/* pid without fd */
		msg_put(&m, DIRTYSCOPE_ATTR_VM_PID, &u32, sizeof(u32));
		break;
	case 5:		/* VM_ID 0 is below the policy minimum */
		u64 = 0;
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &u64, sizeof(u64));
		break;
	case 6:		/* truncated attribute header: trailing garbage */
		m.nlh.nlmsg_len += 2;
		break;
	case 7:		/* reserved genl header bytes must be zero */
		m.genl.reserved = 1;
		msg_put(&m, DIRTYSCOPE_ATTR_VM_ID, &u64, sizeof(u64));
		break;
	}
	return nl_transact(nl, &m, NULL, NULL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *ko = argc > 1 ? argv[1] : NULL;
	static char buf[1 << 16];
	struct nl nl = { 0 }, evnl = { 0 };
	struct events ev = { 0 };
	struct vm_info st, st2;
	struct vm_list list;
	struct guest g;
	const char *why = NULL;
	char name[64], path[256];
	struct stat sb;
	bool pml;
	int r, i;

	printf("KTAP version 1\n1..%d\n", PLAN);

	CHECK(module_loaded(), "module listed in /proc/modules");
	CHECK(read_file(DEBUGFS "/vms", buf, sizeof(buf)) >= 0 &&
	      !strncmp(buf, "# id name", 9), "debugfs vms is readable");
	r = read_file(DEBUGFS "/status", buf, sizeof(buf));
	CHECK(r >= 0 && strstr(buf, "kvm: module") && !strstr(buf, ": detached") &&
	      strstr(buf, "teardown_probe: kvm_arch_destroy_vm"),
	      "debugfs status: every KVM hook attached");
	if (r >= 0 && (!strstr(buf, "kvm: module") || strstr(buf, "detached")))
		diag("status:\n%s", buf);

	r = nl_open(&nl);
	if (!r)
		r = nl_resolve(&nl);
	CHECK(!r && nl.family && nl.version == DIRTYSCOPE_GENL_VERSION &&
	      nl.events_group,
	      "genl family %s v%d with group %s resolves", DIRTYSCOPE_GENL_NAME,
	      DIRTYSCOPE_GENL_VERSION, DIRTYSCOPE_GENL_MCGRP_EVENTS);
	if (r || !nl.family) {
		diag("cannot talk to the module: %s", strerror(-r));
		printf("# Bail out! no netlink family\n");
		return 1;
	}
	CHECK(list_vms(&nl, &list) == 0, "LIST_VMS dump succeeds");

	/* Listen for events before the VM runs. */
	r = nl_open(&evnl);
	if (!r && setsockopt(evnl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			     &nl.events_group, sizeof(nl.events_group)) < 0)
		r = -errno;
	if (r)
		diag("events socket: %s", strerror(-r));

	r = guest_create(&g, &why);
	if (r) {
		diag("%s: %s", why, strerror(errno));
		if (r == 4) {
			for (i = test_nr; i < PLAN; i++)
				SKIP(why, "VM checks");
			return test_failed ? 1 : 4;
		}
		printf("# Bail out! %s\n", why);
		return 1;
	}
	snprintf(name, sizeof(name), "%d-%d", getpid(), g.vm);
	pml = false;
	if (read_file("/proc/cpuinfo", buf, sizeof(buf)) > 0)
		pml = strstr(buf, " vmx") != NULL;

	r = 0;
	for (i = 0; i < ROUNDS && !r; i++)
		r = guest_round(&g);
	CHECK(!r && !g.bad_entries,
	      "guest dirtied %d pages x %d rounds, all harvested (%llu entries, %llu full exits)",
	      NPAGES, ROUNDS, (unsigned long long)g.harvested,
	      (unsigned long long)g.full_exits);

	CHECK(list_vms(&nl, &list) == 0 && find_vm(&list, name),
	      "LIST_VMS lists VM %s", name);
	snprintf(path, sizeof(path), DEBUGFS "/%s/stats", name);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0400 &&
	      read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, "total "),
	      "debugfs %s/stats exists, mode 0400, readable", name);
	CHECK(file_lists_name(DEBUGFS "/vms", name), "debugfs vms lists %s", name);

	r = get_stats_by_name(&nl, getpid(), g.vm, &st);
	CHECK(!r && st.nr_vcpus == 1 && st.vcpu_nests == 1 && st.have_unattributed &&
	      !strcmp(st.name, name), "GET_STATS by pid+fd: one vCPU (err %d)", r);
	diag("module: pushes %llu resets %llu reset_entries %llu full %llu faults %llu set_spte %llu/%llu hwm %llu",
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_RING_RESETS],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_RING_RESET_ENTRIES],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_RING_FULL_EXITS],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_PAGE_FAULTS],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_SET_SPTE],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_SET_SPTE_WRITABLE],
	     (unsigned long long)st.vcpu0[DIRTYSCOPE_STAT_RING_HIGH_WATER]);
	diag("userspace: harvested %llu reset ioctls %llu full exits %llu max batch %llu",
	     (unsigned long long)g.harvested, (unsigned long long)g.reset_ioctls,
	     (unsigned long long)g.full_exits, (unsigned long long)g.max_batch);

	CHECK(st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == g.harvested &&
	      st.total[DIRTYSCOPE_STAT_RING_PUSHES] == g.harvested,
	      "ring pushes equal entries harvested");
	CHECK(st.vcpu0[DIRTYSCOPE_STAT_RING_RESETS] == g.reset_ioctls,
	      "ring resets equal KVM_RESET_DIRTY_RINGS calls");
	CHECK(st.vcpu0[DIRTYSCOPE_STAT_RING_RESET_ENTRIES] == g.harvested,
	      "reset entries equal entries harvested");
	CHECK(g.full_exits > 0 &&
	      st.vcpu0[DIRTYSCOPE_STAT_RING_FULL_EXITS] == g.full_exits,
	      "ring-full exits equal KVM_EXIT_DIRTY_RING_FULL seen");
	CHECK(st.vcpu0[DIRTYSCOPE_STAT_RING_SIZE] == RING_ENTRIES,
	      "ring size is %d entries", RING_ENTRIES);
	CHECK(st.vcpu0[DIRTYSCOPE_STAT_RING_HIGH_WATER] == g.max_batch,
	      "ring high-water equals the largest harvest");
	if (pml)
		SKIP("PML logs dirty pages without faults", "page faults cover dirtied pages");
	else
		CHECK(st.vcpu0[DIRTYSCOPE_STAT_PAGE_FAULTS] >= g.harvested,
		      "page faults cover dirtied pages");
	CHECK(st.vcpu0[DIRTYSCOPE_STAT_SET_SPTE] > 0 &&
	      st.vcpu0[DIRTYSCOPE_STAT_SET_SPTE_WRITABLE] > 0,
	      "set_spte attributed to the vCPU");

	ev.vm_id = st.id;
	drain_events(evnl.fd, &ev);
	CHECK(ev.reset == (int)g.reset_ioctls && ev.full == (int)g.full_exits &&
	      ev.reset_entries == g.harvested,
	      "events group: %d resets, %d ring-full", ev.reset, ev.full);

	r = get_stats_by_id(&nl, st.id, &st2);
	CHECK(!r && st2.id == st.id && !strcmp(st2.name, name) &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == g.harvested,
	      "GET_STATS by VM_ID matches");

	CHECK(malformed(&nl, 0) == -EINVAL, "GET_STATS without selector: EINVAL");
	CHECK(malformed(&nl, 1) == -EINVAL, "reply-only attribute rejected: EINVAL");
	CHECK(malformed(&nl, 2) == -ERANGE || malformed(&nl, 2) == -EINVAL,
	      "wrong-size VM_ID rejected");
	CHECK(malformed(&nl, 3) == -EINVAL, "unknown attribute rejected: EINVAL");
	CHECK(malformed(&nl, 4) == -EINVAL && malformed(&nl, 5) == -ERANGE &&
	      malformed(&nl, 6) == -EINVAL && malformed(&nl, 7) == -EINVAL,
	      "incomplete selector, VM_ID 0, trailing bytes, reserved bytes rejected");
	CHECK(get_stats_by_id(&nl, st.id + 1000, &st2) == -ENOENT,
	      "GET_STATS of an unknown VM: ENOENT");

	r = reset_as_nobody();
	CHECK(r == EPERM, "RESET_STATS as nobody: EPERM (got %d)", r);
	r = reset_stats(&nl, st.id);
	CHECK(!r && !get_stats_by_id(&nl, st.id, &st2) &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == 0 &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_RESETS] == 0 &&
	      st2.vcpu0[DIRTYSCOPE_STAT_RING_SIZE] == RING_ENTRIES,
	      "RESET_STATS as root zeroes the counters");

	if (!ko) {
		for (i = test_nr; i < PLAN - 1; i++)
			SKIP("no module path given", "reload checks");
	} else {
		close(nl.fd);
		close(evnl.fd);
		r = system("rmmod dirtyscope");
		CHECK(r == 0 && !module_loaded(), "rmmod while the VM is alive");
		snprintf(path, sizeof(path), "insmod %s", ko);
		r = system(path);
		CHECK(r == 0 && module_loaded(), "insmod again with the VM alive");
		g.harvested = g.reset_ioctls = 0;
		r = nl_open(&nl) ?: nl_resolve(&nl) ?: guest_round(&g);
		CHECK(!r && !get_stats_by_name(&nl, getpid(), g.vm, &st) &&
		      !strcmp(st.name, name) &&
		      st.vcpu0[DIRTYSCOPE_STAT_RING_PUSHES] == g.harvested &&
		      st.vcpu0[DIRTYSCOPE_STAT_RING_RESETS] == g.reset_ioctls,
		      "reloaded module finds the running VM as %s and counts it", name);
	}

	guest_destroy(&g);
	/* VM teardown is synchronous with the last close; debugfs follows on a workqueue. */
	snprintf(path, sizeof(path), DEBUGFS "/%s", name);
	{
		uint64_t deadline = now_ms() + 3000;
		bool gone = false;

		while (now_ms() < deadline) {
			gone = list_vms(&nl, &list) == 0 && !find_vm(&list, name) &&
			       access(path, F_OK) != 0 && !file_lists_name(DEBUGFS "/vms", name);
			if (gone)
				break;
			usleep(20000);
		}
		CHECK(gone, "VM state is dropped when the VM is destroyed");
	}
	close(nl.fd);
	if (evnl.fd > 0)
		close(evnl.fd);
	return test_failed ? 1 : 0;
}
