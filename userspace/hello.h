/* SPDX-License-Identifier: GPL-2.0 */
/* HELLO / WELCOME / REFUSE control frames, exchanged over the kTLS socket. */
#ifndef LTUNCTL_HELLO_H
#define LTUNCTL_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ltun_wire.h>

#include "addr.h"

#define HELLO_TLV_ADDR		1
#define HELLO_TLV_SERVER_ADDR	2
#define HELLO_MAX_ADDRS		8
#define HELLO_REFUSE_MAX	512
#define HELLO_TIMEOUT_S		10

struct hello_msg {
	uint8_t version;
	size_t n_addr;
	struct prefix addr[HELLO_MAX_ADDRS];	/* ADDR TLVs */
	size_t n_server;
	struct prefix server[HELLO_MAX_ADDRS];	/* SERVER_ADDR TLVs */
};

/* Send HELLO or WELCOME built from m (version LTUN_WIRE_VERSION). */
int hello_send(int fd, uint8_t type, const struct hello_msg *m, char *err, size_t errlen);
/* Send REFUSE with reason (truncated to HELLO_REFUSE_MAX bytes). */
int hello_send_refuse(int fd, const char *reason, char *err, size_t errlen);

/*
 * Read exactly one control frame: the 8-byte header, then exactly len
 * payload bytes, so nothing after it is taken out of the socket. payload
 * must hold LTUN_WIRE_MAX_CTRL bytes. Returns 0 or -1 with a reason.
 */
int frame_recv(int fd, uint8_t *type, uint8_t *payload, size_t *len,
	       char *err, size_t errlen);

/* Decode a HELLO or WELCOME payload. Returns 0 or -1 with a reason. */
int hello_parse(const uint8_t *p, size_t len, struct hello_msg *m, char *err, size_t errlen);

/* Make a REFUSE payload printable as one line into out. */
void hello_refuse_text(const uint8_t *p, size_t len, char *out, size_t outlen);

#endif
