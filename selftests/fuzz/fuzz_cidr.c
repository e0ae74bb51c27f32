// SPDX-License-Identifier: GPL-2.0
/*
 * cidr: the string parsers behind command-line arguments and config
 * values: cidr_parse() (userspace/cidr.c), pool_parse_prefix()
 * (userspace/pool.c), split_host_port() and str_is_ip_literal()
 * (userspace/addr.c), parse_u32() (userspace/util.c) and
 * config_name_ok() (userspace/config.c). The input is one string (cut at
 * its first NUL, as argv would), in an exact-size buffer.
 *
 * Checked: a refusal has a reason; an accepted prefix has a family and a
 * length within it, "ADDR" without "/" only when allowed, and prints back
 * (prefix_str) to a string that parses to the same prefix; a pool prefix
 * has no host bits and the family asked for; HOST:PORT gives a non-empty
 * host and a port in 1..65535, inside the caller's buffer; a number is in
 * its range; an interface name fits IFNAMSIZ.
 */
#include <net/if.h>
#include <stdbool.h>
#include <string.h>

#include "cidr.h"
#include "config.h"
#include "fuzz.h"
#include "pool.h"
#include "util.h"

static void check_prefix(const char *s, const struct prefix *p, bool need_plen)
{
	char back[ADDR_STRLEN];
	struct prefix q;
	const char *why = NULL;

	FUZZ_CHECK(p->family == AF_INET || p->family == AF_INET6, "'%s': family %d", s,
		   p->family);
	FUZZ_CHECK(p->plen <= prefix_max_len(p->family), "'%s': plen %u", s, p->plen);
	FUZZ_CHECK(!need_plen || strchr(s, '/'), "'%s': accepted without /PLEN", s);
	prefix_str(p, true, back, sizeof(back));
	FUZZ_CHECK(cidr_parse(back, true, &q, &why) == 0, "'%s' printed as '%s', refused: %s",
		   s, back, why);
	FUZZ_CHECK(q.family == p->family && q.plen == p->plen &&
		   !memcmp(q.addr, p->addr, sizeof(q.addr)), "'%s' printed as '%s', differs",
		   s, back);
}

static void check_host_port(const char *s, size_t buflen)
{
	char *buf = malloc(buflen);
	const char *host = NULL, *port = NULL, *why = NULL;
	uint32_t v;

	if (!buf)
		abort();
	if (split_host_port(s, buf, buflen, &host, &port, &why) < 0) {
		FUZZ_CHECK(why && *why, "'%s': refused without a reason", s);
		free(buf);
		return;
	}
	FUZZ_CHECK(host >= buf && host < buf + buflen && port >= buf && port < buf + buflen,
		   "'%s': host or port outside the buffer", s);
	FUZZ_CHECK(*host, "'%s': empty host", s);
	FUZZ_CHECK(parse_u32(port, 1, 65535, &v), "'%s': port '%s'", s, port);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = { AF_UNSPEC, AF_INET, AF_INET6 };
	char *s = fuzz_str(data, size);
	const char *why;
	struct prefix p;
	uint32_t v;

	for (int need = 0; need < 2; need++) {
		why = NULL;
		if (cidr_parse(s, need, &p, &why) == 0)
			check_prefix(s, &p, need);
		else
			FUZZ_CHECK(why && *why, "'%s': refused without a reason", s);
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct prefix m;

		why = NULL;
		if (pool_parse_prefix(s, families[i], true, &p, &why) < 0) {
			FUZZ_CHECK(why && *why, "'%s': refused without a reason", s);
			continue;
		}
		FUZZ_CHECK(families[i] == AF_UNSPEC || p.family == families[i],
			   "'%s': family %d for %d", s, p.family, families[i]);
		m = p;
		prefix_mask(&m);
		FUZZ_CHECK(!memcmp(m.addr, p.addr, sizeof(m.addr)), "'%s': host bits kept", s);
		FUZZ_CHECK(pool_plen_ok(&p) == (p.plen + 2u <= prefix_max_len(p.family)),
			   "pool_plen_ok");
	}
	check_host_port(s, 256);
	check_host_port(s, strlen(s) + 1);
	(void)str_is_ip_literal(s);
	if (parse_u32(s, 68, 65535, &v))
		FUZZ_CHECK(v >= 68 && v <= 65535, "'%s': %u", s, v);
	if (config_name_ok(s))
		FUZZ_CHECK(strlen(s) < IF_NAMESIZE && strlen(s), "'%s': name", s);
	free(s);
	return 0;
}
