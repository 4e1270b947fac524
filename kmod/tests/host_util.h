/* SPDX-License-Identifier: GPL-2.0 */
/* Small host-side helpers of the module's tests: files, clock, users. */
#ifndef DIRTYSCOPE_TESTS_HOST_UTIL_H
#define DIRTYSCOPE_TESTS_HOST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOBODY_UID 65534
#define NOBODY_GID 65534

/* dirtyscope is listed in /proc/modules. */
bool module_loaded(void);
/* Reads a whole file, NUL-terminated; returns its length or -errno. */
ssize_t read_file(const char *path, char *buf, size_t size);
/* Writes val to an existing file (a module parameter, a debugfs knob). */
bool write_file(const char *path, const char *val);
uint64_t now_ms(void);
/*
 * Runs fn(arg) in a child that dropped to uid/gid; returns the child's
 * exit status (fn's return value, 0..255), or -1 if it could not run or
 * died. 100 means setgid/setuid failed.
 */
int run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg);
/* The same, keeping exactly the capabilities in caps (bit n: capability n). */
int run_as_caps(uid_t uid, gid_t gid, uint64_t caps, int (*fn)(void *),
		void *arg);

#endif
