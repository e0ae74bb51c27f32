/* SPDX-License-Identifier: GPL-2.0 */
/* Inner (tunnel) prefixes and outer (transport) endpoints: parse, print, math. */
#ifndef LTUNCTL_ADDR_H
#define LTUNCTL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address with a prefix length; family is AF_INET or AF_INET6. */
struct prefix {
	int family;
	uint8_t plen;
	uint8_t addr[16];	/* IPv4 uses the first 4 bytes */
};

/* Big enough for "[ffff:...:ffff]:65535" and "addr/128". */
#define ADDR_STRLEN 64

size_t prefix_addr_len(int family);
unsigned int prefix_max_len(int family);
void prefix_mask(struct prefix *p);		/* clear the host bits */
bool prefix_contains(const struct prefix *net, const struct prefix *host);
bool prefix_addr_equal(const struct prefix *a, const struct prefix *b);
bool prefix_is_v6_linklocal(const struct prefix *p);
/* "10.0.0.1/24" or, with with_plen false, "10.0.0.1". */
const char *prefix_str(const struct prefix *p, bool with_plen, char *buf, size_t len);

/*
 * Split "HOST:PORT", "[V6]:PORT" into host and port strings (pointers into
 * a copy in buf). Returns 0, or -1 with a reason in *why.
 */
int split_host_port(const char *arg, char *buf, size_t len,
		    const char **host, const char **port, const char **why);
/* "1.2.3.4:5" / "[::1]:5" from a sockaddr (in or in6). */
const char *sockaddr_str(const struct sockaddr *sa, size_t salen, char *buf, size_t len);
bool str_is_ip_literal(const char *s);

#endif
