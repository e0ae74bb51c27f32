/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the harness tests: names, packets, socket reads. */
#ifndef _LTUN_TEST_UTIL_H
#define _LTUN_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Name of an LTUN_DEL_REASON_* value, for test logs. */
const char *reason_name(uint32_t r);
/* Internet checksum of @len bytes, in network order. */
uint16_t csum16(const void *data, size_t len);
/* IPv4/UDP packet src:sport -> dst:dport carrying payload; returns length. */
size_t build_udp4_pad(uint8_t *buf, const char *src, const char *dst,
		      uint16_t sport, uint16_t dport, const char *msg, size_t plen);
size_t build_udp4(uint8_t *buf, const char *src, const char *dst,
		  uint16_t sport, uint16_t dport, const char *payload);

/* Read exactly len bytes from fd, each wait at most timeout_ms: 0, -ETIMEDOUT,
 * -EPIPE at end of stream, or -errno. */
int read_exact(int fd, void *buf, size_t len, int timeout_ms);

#endif /* _LTUN_TEST_UTIL_H */
