// SPDX-License-Identifier: GPL-2.0
/* Small helpers shared by the harness tests (see test_util.h). */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "test_util.h"

const char *reason_name(uint32_t r)
{
	static const char *const names[] = {
		"UNSPEC", "PEER_CLOSED", "ERROR", "TIMEOUT", "ADMIN",
		"DEVICE_GONE", "EXPIRED", "PROTOCOL",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

uint16_t csum16(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/*
 * IPv4/UDP packet src:sport -> dst:dport with plen payload bytes: msg, then
 * 'x' up to plen. Returns the packet's length.
 */
size_t build_udp4_pad(uint8_t *buf, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport, const char *msg, size_t plen)
{
	struct iphdr *ip = (struct iphdr *)buf;
	struct udphdr *udp = (struct udphdr *)(buf + sizeof(*ip));
	size_t total = sizeof(*ip) + sizeof(*udp) + plen;
	size_t mlen = strlen(msg);

	memset(buf, 0, sizeof(*ip) + sizeof(*udp));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)total);
	inet_pton(AF_INET, src, &ip->saddr);
	inet_pton(AF_INET, dst, &ip->daddr);
	ip->check = csum16(ip, sizeof(*ip));
	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons((uint16_t)(sizeof(*udp) + plen));
	udp->check = 0;		/* optional for IPv4 */
	memset(udp + 1, 'x', plen);
	memcpy(udp + 1, msg, mlen < plen ? mlen : plen);
	return total;
}

/* IPv4/UDP packet src:sport -> dst:dport carrying payload; returns length. */
size_t build_udp4(uint8_t *buf, const char *src, const char *dst,
		  uint16_t sport, uint16_t dport, const char *payload)
{
	return build_udp4_pad(buf, src, dst, sport, dport, payload,
			      strlen(payload));
}

int read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			return n ? -errno : -EPIPE;
		got += n;
	}
	return 0;
}
