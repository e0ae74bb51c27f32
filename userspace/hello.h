/* SPDX-License-Identifier: GPL-2.0 */
/* HELLO / WELCOME / REFUSE control frames, exchanged over the kTLS socket. */
#ifndef LTUNCTL_HELLO_H
#define LTUNCTL_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include <linux/ltun_wire.h>

#include "addr.h"

/*
 * TLVs of HELLO (client to server) and WELCOME (server to client). Each is
 * be16 type, be16 length, value. Unknown types are skipped.
 *
 *  ADDR         HELLO: an inner address the client asks for (none: the
 *               server assigns one from its pools). WELCOME: the addresses
 *               the client got, with the tunnel subnet's prefix length.
 *  SERVER_ADDR  WELCOME: the server's own tunnel addresses and prefixes.
 *  PREFIX       HELLO: a subnet behind the client it wants routed to it.
 *               WELCOME: the announced subnets the server accepted.
 *  ROUTE        WELCOME: a prefix the client should route into the tunnel.
 *  TOKEN        WELCOME: {be32 session id, 32 bytes} identifying this
 *               session on the server, to present when renewing it. The
 *               id is the server's own (the kernel picks the peer id only
 *               after WELCOME); the 32 bytes are an HMAC the server checks.
 *  RENEW        HELLO: {be32 session id, 32 bytes} as received in TOKEN:
 *               this connection replaces that session's current one (the
 *               server answers WELCOME with the same addresses, or REFUSE).
 *  FEATURES     be32 bitmask, at most once. HELLO: what the client's side
 *               supports; WELCOME: the bits both sides support (the
 *               server's answer, on a renewal too). A peer that sends no
 *               FEATURES supports none. Unknown bits are ignored.
 *               HELLO_FEAT_GSO: "my kernel accepts LTUN_WIRE_F_GSO frames";
 *               both sides set LTUN_PEER_F_GSO iff WELCOME has it.
 * ADDR, SERVER_ADDR, PREFIX and ROUTE share one 20-byte value:
 * {u8 family 4|6, u8 prefixlen, 2 reserved, 16 address bytes}.
 */
#define HELLO_TLV_ADDR		1
#define HELLO_TLV_SERVER_ADDR	2
#define HELLO_TLV_PREFIX	3
#define HELLO_TLV_ROUTE		4
#define HELLO_TLV_TOKEN		5
#define HELLO_TLV_RENEW		6
#define HELLO_TLV_FEATURES	7
#define HELLO_FEAT_GSO		(1U << 0)
#define HELLO_MAX_ADDRS		8
#define HELLO_MAX_PREFIXES	16
#define HELLO_MAX_ROUTES	16
#define HELLO_TOKEN_LEN		32
#define HELLO_REFUSE_MAX	512
#define HELLO_TIMEOUT_S		10

struct hello_msg {
	uint8_t version;
	size_t n_addr;
	struct prefix addr[HELLO_MAX_ADDRS];	/* ADDR TLVs */
	size_t n_server;
	struct prefix server[HELLO_MAX_ADDRS];	/* SERVER_ADDR TLVs */
	size_t n_prefix;
	struct prefix prefix[HELLO_MAX_PREFIXES];	/* PREFIX TLVs */
	size_t n_route;
	struct prefix route[HELLO_MAX_ROUTES];	/* ROUTE TLVs */
	int has_token;				/* TOKEN (WELCOME) */
	int has_renew;				/* RENEW (HELLO) */
	uint32_t peer_id;			/* session id of TOKEN or RENEW */
	uint8_t token[HELLO_TOKEN_LEN];		/* of TOKEN or RENEW */
	int has_features;			/* FEATURES (sent when set) */
	uint32_t features;			/* HELLO_FEAT_* */
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
