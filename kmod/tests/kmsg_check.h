/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Judging kernel log text after a stress run (genl_fuzz, module_churn):
 * no warning, oops or corruption report, and at every unload of
 * dirtyscope.ko its exit line "dirtyscope: exit: allocations=N frees=M"
 * with N == M. Pure functions over text, so the host can feed them
 * fabricated logs (kmsg_check_test.c) and show that they fail.
 */
#ifndef DIRTYSCOPE_TESTS_KMSG_CHECK_H
#define DIRTYSCOPE_TESTS_KMSG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kmsg_verdict {
	int bad_lines;		/* lines naming a warning, oops, corruption... */
	char first_bad[160];
	int exit_lines;		/* "dirtyscope: exit: allocations=N frees=M" */
	int unbalanced;		/* of those, N != M (or unparsable) */
	char first_unbalanced[160];
	uint64_t allocations;	/* summed over every exit line */
};

/* The line reports a kernel warning, oops, BUG, KASAN or refcount/list corruption. */
bool kmsg_line_is_bad(const char *line);
/* Judges every line of text (NUL-terminated, '\n'-separated) into *v. */
void kmsg_check_text(const char *text, struct kmsg_verdict *v);

/*
 * The kernel log since this call, from /dev/kmsg: kmsg_follow_open()
 * positions a reader at the end of the log; kmsg_follow_read() appends
 * every newer record's text to buf (one line each) without blocking.
 * Returns the fd, or -errno.
 */
int kmsg_follow_open(void);
/* Returns the number of bytes appended (buf stays NUL-terminated). */
size_t kmsg_follow_read(int fd, char *buf, size_t size, size_t used);

/* /sys/kernel/debug/dirtyscope/allocations: the "live N" line, or -1. */
int64_t module_live_allocations(void);

#endif
