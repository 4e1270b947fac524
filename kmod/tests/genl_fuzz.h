/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What genl_fuzz's files share: the VMs it aims at, the message builder,
 * the shapes, a fuzzing phase and its tally. genl_fuzz.c: main and the
 * final checks; genl_fuzz_attrs.c: the random source and attribute
 * builders; genl_fuzz_shapes.c: whole messages of each shape;
 * genl_fuzz_phase.c: sending, draining replies, the interleaved valid
 * requests.
 */
#ifndef DIRTYSCOPE_TESTS_GENL_FUZZ_H
#define DIRTYSCOPE_TESTS_GENL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring_guest.h"
#include "stats_client.h"

#define CHECK_EVERY 256
#define ROUND_EVERY 4096	/* a guest round: probes fire between messages */
#define PROGRESS_EVERY 100000	/* a progress line: a timed-out run says how far it got */
#define MAX_MSG 4096

/* A VM the fuzzer may name: its selector, right or deliberately wrong. */
struct target {
	uint64_t id;
	uint32_t pid;
	int32_t fd;
	char name[64];
};

/* What a fuzzing phase did, shared with the nobody child (MAP_SHARED). */
struct tally {
	uint64_t sent, send_errors, replies, acks, dump_parts, overruns;
	uint64_t err[8];	/* see err_slot() */
	int other_errno, send_errno;	/* the last of each, for the report */
	uint64_t valid_checks, valid_failures;
	char first_failure[200];
};

struct builder {
	char buf[MAX_MSG] __attribute__((aligned(8)));
	size_t len;		/* bytes built so far */
};

/*
 * The message shapes. Each is one or more netlink messages in one send;
 * lengths are correct unless the shape is about lying.
 */
enum shape {
	SHAPE_RANDOM_ATTRS,	/* any command, version, flags; random attributes */
	SHAPE_WRONG_TYPES,	/* known attributes with the wrong payload size */
	SHAPE_TRUNCATED,	/* header cut short: nlmsghdr or genlmsghdr */
	SHAPE_LEN_LIE,		/* nlmsg_len or nla_len disagreeing with the bytes */
	SHAPE_NESTED,		/* nested garbage, up to 8 deep */
	SHAPE_MUTATE,		/* SPP_SET / RESET_STATS / SPP_GET on the fuzzer's VMs */
	SHAPE_BITFLIP,		/* a valid request with a few bits flipped */
	SHAPE_BATCH,		/* several requests in one datagram */
	SHAPE_OVERSIZED,	/* many attributes, or one huge one */
	SHAPE_HEADER,		/* bad version, reserved bytes, flags */
	NR_SHAPES
};

struct phase {
	uint64_t messages;
	uint64_t seed;
	const struct target *mine;	/* the sender's own VM */
	uint32_t ring_size;		/* of mine */
	const struct target *other;	/* the other VM: mutations there too */
	const struct target *hidden;	/* must stay invisible (NULL: none) */
	struct ring_guest *guest;	/* run now and then (NULL: none) */
	struct tally *ty;
};

/* genl_fuzz_attrs.c. splitmix64: the whole sequence follows from the seed. */
extern uint64_t rng_state;
uint64_t rnd(void);
uint32_t below(uint32_t n);
bool one_in(uint32_t n);
void *put_raw(struct builder *b, const void *data, size_t len);
void pad4(struct builder *b);
struct nlattr *put_attr(struct builder *b, uint16_t type, const void *data, size_t len);
void put_u(struct builder *b, uint16_t type, uint64_t v, size_t size);
uint16_t random_attr_type(void);
size_t random_size(void);
void put_selector(struct builder *b, const struct target *t);
void put_random_attrs(struct builder *b, const struct target *t, int n);
void put_nest(struct builder *b, int depth);

/* genl_fuzz_shapes.c: builds one datagram of shape s; returns its bytes. */
size_t build(struct builder *b, enum shape s, uint16_t family, const struct target *t);

/* genl_fuzz_phase.c */
int fuzz_phase(void *arg);	/* a struct phase; 0, or 1 on a failure */
void report_tally(const char *who, const struct tally *ty);
bool reply_describes(const struct vm_info *st, const struct target *t,
		     uint32_t ring_size, char *why, size_t whylen);

#endif
