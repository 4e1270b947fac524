/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP output for the module's test programs: numbered results, skips and
 * diagnostics, flushed line by line so a crash loses nothing printed.
 */
#ifndef DIRTYSCOPE_TESTS_KTAP_H
#define DIRTYSCOPE_TESTS_KTAP_H

#include <stdbool.h>
#include <stdio.h>

/* Results printed so far, and how many of them failed. */
extern int ktap_nr, ktap_failed;

void ktap_header(int plan);
/* Prints "ok N ..." or "not ok N ...", with " # SKIP skip" if skip. */
void ktap_result(bool pass, const char *skip, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Marks every remaining result up to plan as skipped, under one name. */
void ktap_skip_to(int plan, const char *why, const char *name);
/* Exit code: 1 if anything failed, else ok_code (0 pass, 4 skip). */
int ktap_exit_code(int ok_code);

#define CHECK(cond, ...) ktap_result((cond), NULL, __VA_ARGS__)
#define SKIP(why, ...) ktap_result(true, (why), __VA_ARGS__)
#define diag(...) do { printf("# " __VA_ARGS__); printf("\n"); fflush(stdout); } while (0)

#endif
