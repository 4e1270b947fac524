// SPDX-License-Identifier: GPL-2.0
/*
 * module_churn's statistics reader: genl LIST_VMS and GET_STATS of every
 * listed VM, debugfs status, vms and allocations, the whole time,
 * tolerating the module's absence but not a wrong reply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host_util.h"
#include "module_churn.h"
#include "module_view.h"
#include "stats_client.h"

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

void stats_reader(struct shared *sh)
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
