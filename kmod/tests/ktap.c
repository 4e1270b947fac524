// SPDX-License-Identifier: GPL-2.0
/* KTAP output shared by the module's test programs (see ktap.h). */
#include <stdarg.h>

#include "ktap.h"

int ktap_nr, ktap_failed;

void ktap_header(int plan)
{
	printf("KTAP version 1\n1..%d\n", plan);
	fflush(stdout);
}

void ktap_result(bool pass, const char *skip, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", pass ? "" : "not ", ++ktap_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (skip)
		printf(" # SKIP %s", skip);
	printf("\n");
	fflush(stdout);
	ktap_failed += !pass;
}

void ktap_skip_to(int plan, const char *why, const char *name)
{
	while (ktap_nr < plan)
		SKIP(why, "%s", name);
}

int ktap_exit_code(int ok_code)
{
	return ktap_failed ? 1 : ok_code;
}
