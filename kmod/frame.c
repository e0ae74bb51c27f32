// SPDX-License-Identifier: GPL-2.0
/*
 * Frame and inner-header parsing. Everything here reads bytes that a remote
 * peer chose, so every length is checked before it is used, and nothing
 * outside [buf, buf + avail) is ever read.
 */
#include <linux/errno.h>

#include "frame.h"

static u32 ltun_get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u16 ltun_get_be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/**
 * ltun_frame_parse() - locate the first frame in a buffer
 * @buf: received bytes, starting at a frame boundary
 * @avail: number of bytes in @buf
 * @frame: filled in when %LTUN_FRAME_OK is returned
 *
 * The frame then occupies LTUN_FRAME_HDR_LEN + @frame->len bytes of @buf.
 *
 * Return: &enum ltun_frame_status.
 */
enum ltun_frame_status ltun_frame_parse(const u8 *buf, size_t avail,
					struct ltun_frame *frame)
{
	u16 reserved;
	u8 flags;
	u32 len;

	if (avail < LTUN_FRAME_HDR_LEN)
		return LTUN_FRAME_NEED_MORE;

	/* Reserved bits let a later version change the header: refuse them
	 * rather than guess, and never trust a length we cannot buffer. The
	 * one flag we know only exists on DATA, and only it gives the
	 * reserved field a meaning (the segment size).
	 */
	flags = buf[1];
	reserved = ltun_get_be16(buf + 2);
	len = ltun_get_be32(buf + 4);
	if ((flags & ~LTUN_WIRE_F_GSO) ||
	    (flags && buf[0] != LTUN_WIRE_DATA) ||
	    (!(flags & LTUN_WIRE_F_GSO) && reserved) ||
	    len > LTUN_WIRE_MAX_DATA)
		return LTUN_FRAME_BAD;

	if (avail - LTUN_FRAME_HDR_LEN < len)
		return LTUN_FRAME_NEED_MORE;

	frame->type = buf[0];
	frame->flags = flags;
	frame->gso_size = reserved;
	frame->len = len;
	frame->payload = buf + LTUN_FRAME_HDR_LEN;
	return LTUN_FRAME_OK;
}

/**
 * ltun_inner_parse() - validate the IP header of an inner packet
 * @pkt: the packet (a DATA payload)
 * @len: its length
 * @inner: filled in on success
 *
 * The packet must be exactly one IPv4 or IPv6 packet: its own length field
 * must match @len, so nothing can hide after it.
 *
 * Return: 0, or -EINVAL for anything else.
 */
int ltun_inner_parse(const u8 *pkt, size_t len, struct ltun_inner *inner)
{
	size_t ihl;

	if (len < 1)
		return -EINVAL;

	switch (pkt[0] >> 4) {
	case 4:
		if (len < 20)
			return -EINVAL;
		ihl = (size_t)(pkt[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > len || ltun_get_be16(pkt + 2) != len)
			return -EINVAL;
		inner->family = 4;
		inner->saddr = pkt + 12;
		inner->daddr = pkt + 16;
		return 0;
	case 6:
		/* A zero payload length (jumbogram) never fits a frame. */
		if (len < 40 || (size_t)ltun_get_be16(pkt + 4) + 40 != len)
			return -EINVAL;
		inner->family = 6;
		inner->saddr = pkt + 8;
		inner->daddr = pkt + 24;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * ltun_gso_parse() - validate a GSO frame's super-packet
 * @pkt: the packet, already accepted by ltun_inner_parse()
 * @len: its length
 * @inner: what ltun_inner_parse() found
 * @gso_size: the frame's segment size (TCP payload bytes per segment)
 * @mtu: the receiving device's MTU
 * @gso: filled in on success
 *
 * It must be one TCP packet (IPv4 that is not a fragment, or IPv6 with TCP
 * as the first next header) with a whole TCP header, and cutting it into
 * segments of @gso_size must give more than one and at most
 * %LTUN_GSO_MAX_SEGS packets, each no larger than @mtu. A super-packet that
 * would be one segment is refused rather than repaired: no correct sender
 * makes one.
 *
 * Return: 0; -EMSGSIZE if a segment would exceed @mtu; -EINVAL for
 * anything else.
 */
int ltun_gso_parse(const u8 *pkt, size_t len, const struct ltun_inner *inner,
		   u32 gso_size, u32 mtu, struct ltun_gso *gso)
{
	size_t thoff, hlen, payload, segs;

	if (inner->family == 4) {
		/* Protocol TCP; neither MF nor a fragment offset. */
		if (pkt[9] != 6 || (ltun_get_be16(pkt + 6) & 0x3fff))
			return -EINVAL;
		thoff = (size_t)(pkt[0] & 0x0f) * 4;
	} else {
		if (pkt[6] != 6)
			return -EINVAL;
		thoff = 40;
	}
	/* The data offset byte, then the header it describes. */
	if (len < thoff + 20)
		return -EINVAL;
	hlen = (size_t)(pkt[thoff + 12] >> 4) * 4;
	if (hlen < 20 || hlen > len - thoff)
		return -EINVAL;
	hlen += thoff;

	if (!gso_size)
		return -EINVAL;
	if (hlen + gso_size > mtu)
		return -EMSGSIZE;
	payload = len - hlen;
	if (payload <= gso_size)
		return -EINVAL;
	segs = (payload + gso_size - 1) / gso_size;
	if (segs > LTUN_GSO_MAX_SEGS)
		return -EINVAL;

	gso->thoff = (u16)thoff;
	gso->hlen = (u16)hlen;
	gso->segs = (u16)segs;
	gso->cwr = pkt[thoff + 13] & 0x80;
	return 0;
}
