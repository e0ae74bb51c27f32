/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ltun: framing of the byte stream between two peers.
 *
 * The TCP stream (inside TLS, once kTLS is on) is a sequence of frames, each
 * an 8-byte header followed by @len payload bytes. Userspace exchanges the
 * HELLO/WELCOME/REFUSE frames before it hands the socket to the kernel; the
 * kernel then only ever sees DATA and KEEPALIVE frames.
 */
#ifndef _UAPI_LINUX_LTUN_WIRE_H
#define _UAPI_LINUX_LTUN_WIRE_H

#include <linux/types.h>

/* Version of the control protocol carried in HELLO/WELCOME. */
#define LTUN_WIRE_VERSION	1

/**
 * struct ltun_wire_hdr - header in front of every frame
 * @type: &enum ltun_wire_type
 * @flags: &enum ltun_wire_flags; a receiver ends the connection on a bit it
 *	does not know
 * @reserved: must be zero, except in a DATA frame with %LTUN_WIRE_F_GSO,
 *	where it is the segment size
 * @len: payload length in bytes, not counting this header
 */
struct ltun_wire_hdr {
	__u8	type;
	__u8	flags;
	__be16	reserved;
	__be32	len;
};

/**
 * enum ltun_wire_type - frame types
 * @LTUN_WIRE_DATA: one inner IPv4 or IPv6 packet
 * @LTUN_WIRE_KEEPALIVE: no payload; proves the peer is alive
 * @LTUN_WIRE_HELLO: client to server, first frame (userspace only)
 * @LTUN_WIRE_WELCOME: server to client, peer accepted (userspace only)
 * @LTUN_WIRE_REFUSE: server to client, peer refused, payload is a reason
 *	(userspace only)
 */
enum ltun_wire_type {
	LTUN_WIRE_DATA		= 1,
	LTUN_WIRE_KEEPALIVE	= 2,
	LTUN_WIRE_HELLO		= 16,
	LTUN_WIRE_WELCOME	= 17,
	LTUN_WIRE_REFUSE	= 18,
};

/**
 * enum ltun_wire_flags - bits of &ltun_wire_hdr.flags
 * @LTUN_WIRE_F_GSO: DATA only: the payload is one TCP super-packet (IPv4,
 *	or IPv6 with TCP as the first next header) whose TCP checksum holds
 *	only the pseudo-header sum (as CHECKSUM_PARTIAL leaves it), and
 *	&ltun_wire_hdr.reserved (big endian) is the segment size: TCP payload
 *	bytes per segment, more than 0. The packet stands for 2 to
 *	%LTUN_WIRE_GSO_MAX_SEGS segments, none (headers plus segment size)
 *	longer than the receiver's MTU. Sent only to a peer that accepts it
 *	(%LTUN_PEER_F_GSO); the receiver drops one that breaks these rules.
 */
enum ltun_wire_flags {
	LTUN_WIRE_F_GSO		= 0x01,
};

/* Most segments one GSO frame may stand for. */
#define LTUN_WIRE_GSO_MAX_SEGS	64

/* Largest DATA payload: one IP packet of at most 64 KiB. */
#define LTUN_WIRE_MAX_DATA	65535
/* Largest control (HELLO/WELCOME/REFUSE) payload. */
#define LTUN_WIRE_MAX_CTRL	4096

#endif /* _UAPI_LINUX_LTUN_WIRE_H */
