/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing of bytes received from a peer: the frame header and the inner IP
 * header. Pure functions over a byte buffer, no kernel state, so the same
 * file can be built in userspace for fuzzing.
 */
#ifndef _LTUN_FRAME_H
#define _LTUN_FRAME_H

#include <linux/types.h>
#include <linux/ltun_wire.h>

#define LTUN_FRAME_HDR_LEN	sizeof(struct ltun_wire_hdr)
/* Largest frame the receiver must be able to buffer whole. */
#define LTUN_FRAME_MAX_LEN	(LTUN_FRAME_HDR_LEN + LTUN_WIRE_MAX_DATA)

/**
 * struct ltun_frame - one frame located in a receive buffer
 * @type: &enum ltun_wire_type
 * @flags: header flags (zero on every frame we accept)
 * @len: payload length
 * @payload: start of the payload, inside the parsed buffer
 */
struct ltun_frame {
	u8 type;
	u8 flags;
	u32 len;
	const u8 *payload;
};

/**
 * enum ltun_frame_status - result of ltun_frame_parse()
 * @LTUN_FRAME_NEED_MORE: the buffer holds no complete frame yet
 * @LTUN_FRAME_OK: a complete frame was parsed
 * @LTUN_FRAME_BAD: the stream cannot be framed (length over the maximum,
 *	reserved bits set): the connection must be dropped
 */
enum ltun_frame_status {
	LTUN_FRAME_NEED_MORE,
	LTUN_FRAME_OK,
	LTUN_FRAME_BAD,
};

enum ltun_frame_status ltun_frame_parse(const u8 *buf, size_t avail,
					struct ltun_frame *frame);

/**
 * struct ltun_inner - what the receive path needs of an inner packet
 * @family: 4 or 6
 * @saddr: inner source address (4 or 16 bytes), inside the packet
 * @daddr: inner destination address, inside the packet
 */
struct ltun_inner {
	u8 family;
	const u8 *saddr;
	const u8 *daddr;
};

int ltun_inner_parse(const u8 *pkt, size_t len, struct ltun_inner *inner);

#endif /* _LTUN_FRAME_H */
