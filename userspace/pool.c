// SPDX-License-Identifier: GPL-2.0
/*
 * Pool arithmetic. A pool's host part can be 2^64 wide (an IPv6 /64), so
 * candidates are offsets below 2^min(host bits, 64) ORed into the network
 * address, and the probe is bounded: a pool is "full" for us after
 * POOL_MAX_PROBES taken addresses in a row, which for an IPv6 pool means
 * the hash is no longer doing its job anyway.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "pool.h"

#define POOL_MAX_PROBES 65536

int pool_parse_prefix(const char *s, int family, bool need_plen, struct prefix *p,
		      const char **why)
{
	if (cidr_parse(s, need_plen, p, why) < 0)
		return -1;
	if (family != AF_UNSPEC && p->family != family) {
		*why = family == AF_INET ? "not an IPv4 address" : "not an IPv6 address";
		return -1;
	}
	prefix_mask(p);
	return 0;
}

bool pool_plen_ok(const struct prefix *pool)
{
	return (unsigned int)pool->plen + 2 <= prefix_max_len(pool->family);
}

/* FNV-1a, 64 bit: cheap, well spread, and the same on every run. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* net | off, off below 2^host_bits (host bits of net are zero). */
static void put_offset(struct prefix *p, uint64_t off)
{
	size_t last = prefix_addr_len(p->family) - 1;

	for (unsigned int i = 0; i < 8 && off; i++, off >>= 8)
		p->addr[last - i] |= (uint8_t)off;
}

int pool_pick(const struct prefix *pool, const char *key, pool_taken_fn taken, void *ctx,
	      struct prefix *out)
{
	unsigned int hb = prefix_max_len(pool->family) - pool->plen;
	uint64_t mask = hb >= 64 ? ~0ULL : (1ULL << hb) - 1;
	uint64_t start = fnv1a(key ? key : "") & mask;
	uint64_t probes = mask < POOL_MAX_PROBES ? mask + 1 : POOL_MAX_PROBES;
	struct prefix net = *pool;

	if (!pool_plen_ok(pool))
		return -1;
	prefix_mask(&net);
	for (uint64_t i = 0; i < probes; i++) {
		uint64_t off = (start + i) & mask;
		struct prefix c = net;

		/* network address; for IPv4 also broadcast */
		if (off == 0 || (pool->family == AF_INET && off == mask))
			continue;
		put_offset(&c, off);
		c.plen = (uint8_t)prefix_max_len(c.family);
		if (taken && taken(&c, ctx))
			continue;
		*out = c;
		return 0;
	}
	return -1;
}
