/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Address pools of "ltunctl server ... pool CIDR pool6 CIDR": which free
 * address a client without one gets. Stateless: the choice starts at a
 * hash of the client's identity, so the same identity lands on the same
 * address as long as it is free.
 */
#ifndef LTUNCTL_POOL_H
#define LTUNCTL_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/*
 * Parse "ADDR/PLEN" (family AF_INET, AF_INET6, or AF_UNSPEC for either)
 * into p with host bits cleared. need_plen false allows a bare address
 * (host length). Returns 0, or -1 with a reason in *why.
 */
int pool_parse_prefix(const char *s, int family, bool need_plen, struct prefix *p,
		      const char **why);

/* Whether a candidate host address (plen 32/128) is unavailable. */
typedef bool (*pool_taken_fn)(const struct prefix *host, void *ctx);

/*
 * Pick a host address of pool for key: probe forward from hash(key),
 * skipping the network address, the IPv4 broadcast address and whatever
 * taken() reports. Returns 0 with *out (plen = host length), or -1 when
 * nothing free was found.
 */
int pool_pick(const struct prefix *pool, const char *key, pool_taken_fn taken, void *ctx,
	      struct prefix *out);

/* A prefix length a pool may have (room for at least two hosts). */
bool pool_plen_ok(const struct prefix *pool);

#endif
