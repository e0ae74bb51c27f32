// SPDX-License-Identifier: GPL-2.0
/* "ADDR[/PLEN]" to struct prefix, strictly: no spaces, no leading '+'. */
#include <arpa/inet.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

int cidr_parse(const char *s, bool need_plen, struct prefix *p, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint32_t plen;

	memset(p, 0, sizeof(*p));
	if (alen >= INET6_ADDRSTRLEN) {
		*why = "address too long";
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	if (!slash) {
		if (need_plen) {
			*why = "missing /PREFIXLEN";
			return -1;
		}
		p->plen = (uint8_t)prefix_max_len(p->family);
		return 0;
	}
	if (!parse_u32(slash + 1, 0, prefix_max_len(p->family), &plen)) {
		*why = p->family == AF_INET ? "prefix length must be 0..32"
					    : "prefix length must be 0..128";
		return -1;
	}
	p->plen = (uint8_t)plen;
	return 0;
}
