// SPDX-License-Identifier: GPL-2.0
/* The module's view of a VM, for the tests (see module_view.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "module_view.h"
#include "stats_client.h"

bool file_lists_name(const char *path, const char *name)
{
	static char buf[1 << 16];
	char needle[80];

	if (read_file(path, buf, sizeof(buf)) < 0)
		return false;
	snprintf(needle, sizeof(needle), " %s ", name);
	return strstr(buf, needle);
}

bool wait_vm_dropped(struct nl *nl, const char *name, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	static struct vm_list list;
	char path[256];
	bool gone = false;

	snprintf(path, sizeof(path), DEBUGFS "/%s", name);
	while (now_ms() < deadline) {
		gone = list_vms(nl, &list) == 0 && !find_vm(&list, name) &&
		       access(path, F_OK) != 0 && !file_lists_name(DEBUGFS "/vms", name);
		if (gone)
			break;
		usleep(20000);
	}
	return gone;
}

const char *teardown_left_out(void)
{
	static const char key[] = "\nleft_out: teardown_probe (";
	static char buf[1 << 16], why[256];
	const char *at, *end;

	if (read_file(DEBUGFS "/status", buf, sizeof(buf)) < 0)
		return NULL;
	at = strstr(buf, key);
	if (!at)
		return NULL;
	at += strlen(key);
	end = strstr(at, ")\n");
	if (!end)
		return NULL;
	snprintf(why, sizeof(why), "no VM teardown hook: %.*s", (int)(end - at), at);
	return why;
}

bool read_allocations(struct allocations *a)
{
	char buf[256], tail;
	int n;

	if (read_file(DEBUGFS "/allocations", buf, sizeof(buf)) < 0)
		return false;
	n = sscanf(buf, "allocations %lld\nfrees %lld\nlive %lld\n%c",
		   &a->allocs, &a->frees, &a->live, &tail);
	return n == 3 && a->live == a->allocs - a->frees && a->live >= 0;
}

long long wait_live_allocations(long long want, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct allocations a;

	for (;;) {
		if (!read_allocations(&a))
			return -1;
		if (a.live == want || now_ms() >= deadline)
			return a.live;
		usleep(20000);
	}
}
