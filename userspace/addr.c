// SPDX-License-Identifier: GPL-2.0
/* Prefix math and address formatting shared by every command. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

size_t prefix_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

unsigned int prefix_max_len(int family)
{
	return family == AF_INET ? 32 : 128;
}

void prefix_mask(struct prefix *p)
{
	size_t len = prefix_addr_len(p->family);
	unsigned int bits = p->plen;

	for (size_t i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		p->addr[i] &= (uint8_t)(0xff00u >> bits);
		bits = 0;
	}
	/* keep the unused tail of an IPv4 address zero so memcmp works */
	if (p->family == AF_INET)
		memset(p->addr + 4, 0, 12);
}

bool prefix_contains(const struct prefix *net, const struct prefix *host)
{
	struct prefix a = *net, b = *host;

	if (net->family != host->family || host->plen < net->plen)
		return false;
	b.plen = a.plen;
	prefix_mask(&a);
	prefix_mask(&b);
	return memcmp(a.addr, b.addr, prefix_addr_len(a.family)) == 0;
}

bool prefix_addr_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, prefix_addr_len(a->family)) == 0;
}

bool prefix_is_v6_linklocal(const struct prefix *p)
{
	return p->family == AF_INET6 && p->addr[0] == 0xfe &&
	       (p->addr[1] & 0xc0) == 0x80;
}

const char *prefix_str(const struct prefix *p, bool with_plen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (with_plen)
		snprintf(buf, len, "%s/%u", a, p->plen);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

int split_host_port(const char *arg, char *buf, size_t len,
		    const char **host, const char **port, const char **why)
{
	char *colon;

	if (strlen(arg) >= len) {
		*why = "too long";
		return -1;
	}
	strcpy(buf, arg);
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (!end || end[1] != ':') {
			*why = "expected [IPV6]:PORT";
			return -1;
		}
		*end = '\0';
		*host = buf + 1;
		colon = end + 1;
	} else {
		colon = strrchr(buf, ':');
		if (!colon) {
			*why = "missing :PORT";
			return -1;
		}
		if (memchr(buf, ':', (size_t)(colon - buf))) {
			*why = "IPv6 addresses need brackets: [IPV6]:PORT";
			return -1;
		}
		*colon = '\0';
		*host = buf;
	}
	*port = colon + 1;
	if (!**host) {
		*why = "empty host";
		return -1;
	}
	if (!**port || strspn(*port, "0123456789") != strlen(*port) ||
	    strlen(*port) > 5 || strtoul(*port, NULL, 10) > 65535 ||
	    strtoul(*port, NULL, 10) == 0) {
		*why = "bad port (1..65535)";
		return -1;
	}
	return 0;
}

const char *sockaddr_str(const struct sockaddr *sa, size_t salen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		/* a dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], a, sizeof(a));
			snprintf(buf, len, "%s:%u", a, ntohs(in6->sin6_port));
			return buf;
		}
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

bool str_is_ip_literal(const char *s)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}
