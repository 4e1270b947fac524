// SPDX-License-Identifier: GPL-2.0
/* Judging kernel log text after a stress run (see kmsg_check.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "kmsg_check.h"

/*
 * What the kernel prints when something went wrong: __warn() ("WARNING:"),
 * BUG()/BUG_ON and the KASAN/UBSAN/list-debug reports ("BUG:"), oopses,
 * refcount_t saturation ("refcount_t: ..."), CONFIG_DEBUG_LIST
 * ("list_del corruption", "list_add corruption"), page faults and #GP in
 * the kernel, and the stack dump that follows any of them. The atomic-
 * context checks (might_sleep() and the scheduler's) are named on their
 * own: on PREEMPT_RT they catch a sleeping lock or an allocation taken
 * in a probe, and their "BUG:" prefix is not all they ever print.
 */
static const char *const bad_patterns[] = {
	"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "refcount_t",
	"refcount", "list_del corruption", "list_add corruption",
	"general protection", "Call Trace", "Kernel panic", "kernel BUG",
	"unable to handle", "Unable to handle", "stack-protector",
	"hung_task", "blocked for more than", "leak",
	"sleeping function called from invalid context",
	"scheduling while atomic", "Preemption disabled at",
};

bool kmsg_line_is_bad(const char *line)
{
	for (size_t i = 0; i < sizeof(bad_patterns) / sizeof(bad_patterns[0]); i++)
		if (strstr(line, bad_patterns[i]))
			return true;
	return false;
}

static void keep(char *dst, size_t size, const char *line, size_t len)
{
	snprintf(dst, size, "%.*s", (int)len, line);
}

/* "dirtyscope: exit: allocations=N frees=M": balanced or not. */
static void judge_exit_line(const char *s, size_t len, struct kmsg_verdict *v)
{
	uint64_t alloc, frees;

	v->exit_lines++;
	/* A line torn before "frees=" proves nothing: count it as unbalanced. */
	if (sscanf(s, "dirtyscope: exit: allocations=%" SCNu64 " frees=%" SCNu64,
		   &alloc, &frees) == 2 && alloc == frees) {
		v->allocations += alloc;
		return;
	}
	if (!v->unbalanced++)
		keep(v->first_unbalanced, sizeof(v->first_unbalanced), s, len);
}

void kmsg_check_text(const char *text, struct kmsg_verdict *v)
{
	static const char exit_tag[] = "dirtyscope: exit:";

	memset(v, 0, sizeof(*v));
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		const char *tag;

		keep(line, sizeof(line), p, len);
		if (kmsg_line_is_bad(line) && !v->bad_lines++)
			keep(v->first_bad, sizeof(v->first_bad), line, len);
		/* dmesg and the console prefix a timestamp: find the tag anywhere. */
		tag = strstr(line, exit_tag);
		if (tag)
			judge_exit_line(tag, strlen(tag), v);
		p += len + (nl ? 1 : 0);
	}
}

int kmsg_follow_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* SEEK_END: only records logged from now on are read. */
	if (lseek(fd, 0, SEEK_END) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

size_t kmsg_follow_read(int fd, char *buf, size_t size, size_t used)
{
	size_t start = used;
	char rec[8192];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg, *end;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on with the next */
		if (n <= 0)
			break;		/* EAGAIN: nothing newer */
		rec[n] = 0;
		/* "prio,seq,usec,flags;text\n" then " KEY=value" lines. */
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		if (end)
			*end = 0;
		if (used + strlen(msg) + 2 > size)
			break;
		used += sprintf(buf + used, "%s\n", msg);
	}
	return used - start;
}

int64_t module_live_allocations(void)
{
	char buf[1024], *p;
	long long live;

	if (read_file("/sys/kernel/debug/dirtyscope/allocations", buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (sscanf(p, "live %lld", &live) == 1)
			return live;
	return -1;
}
