/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server's admission decision for a new client: which addresses it
 * gets (requested, pinned by policy, or from a pool) and which announced
 * subnets are routed to it. Pure: the caller gathers the device's
 * addresses and the kernel's peers, and does the I/O.
 */
#ifndef LTUNCTL_ADMIT_H
#define LTUNCTL_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hello.h"
#include "policy.h"

#define ADMIT_WHY_LEN 512

/* One allowed prefix of a current peer, and whose it is. */
struct admit_aip {
	struct prefix p;
	uint32_t owner;
};

struct admit_in {
	const char *identity;		/* "" without a client certificate */
	const char *name;		/* the peer's name: identity or ADDR:PORT */
	const struct hello_msg *h;
	const struct prefix *srv;	/* the device's addresses and subnets */
	size_t n_srv;
	const struct admit_aip *aips;	/* every current peer's allowed ips */
	size_t n_aips;
	const uint32_t *replace;	/* peers about to be replaced: theirs is free */
	size_t n_replace;
	const struct prefix *pool4, *pool6;	/* NULL: no pool */
	const struct policy *pol;	/* NULL: no policy file */
	const struct policy_rule *rule;	/* the identity's rule (with pol) */
};

struct admit_out {
	size_t n_addr;
	struct prefix addr[HELLO_MAX_ADDRS];	/* with the subnet's prefix length */
	size_t n_prefix;
	struct prefix prefix[HELLO_MAX_PREFIXES];	/* accepted subnets */
	char why[ADMIT_WHY_LEN];		/* the refusal, if any */
};

/* Returns 0 to admit, -1 to refuse (reason in out->why). */
int admit_decide(const struct admit_in *in, struct admit_out *out);

#endif
