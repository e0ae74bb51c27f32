// SPDX-License-Identifier: GPL-2.0
/*
 * Frame and inner-header parsing. Everything here reads bytes that a remote
 * peer chose, so every length is checked before it is used, and nothing
 * outside [buf, buf + avail) is ever read.
 */
#include <linux/errno.h>
#include <linux/string.h>

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

/* TCP header flags (byte 13) and the IPv4 Don't Fragment bit. */
#define LTUN_TCP_ACK		0x10
#define LTUN_TCP_PSH		0x08
#define LTUN_IP_DF		0x4000

/*
 * Whether the TCP options start with a timestamp laid out as Linux and
 * most stacks send it: NOP, NOP, kind 8, length 10, TSval, TSecr.
 */
static bool ltun_tcp_has_ts(const u8 *opt, size_t len)
{
	return len >= 12 && opt[0] == 1 && opt[1] == 1 && opt[2] == 8 &&
	       opt[3] == 10;
}

/* Whether an IPv4 header's checksum is right (RFC 1071). */
static bool ltun_ip_csum_ok(const u8 *iph, size_t ihl)
{
	u32 sum = 0;
	size_t i;

	for (i = 0; i < ihl; i += 2)
		sum += ltun_get_be16(iph + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/**
 * ltun_join_start() - open a run with one super-packet
 * @join: the run; any earlier run in it is forgotten
 * @pkt: the packet, accepted by ltun_inner_parse() and ltun_gso_parse()
 * @len: its length
 * @family: its family, from ltun_inner_parse()
 * @gso_size: its frame's segment size
 * @gso: what ltun_gso_parse() found
 *
 * A run of one is an ordinary super-packet. More may join it only if this
 * one is plain data: ACK set, PSH allowed, and none of SYN, FIN, RST, URG,
 * ECE, CWR (each of which a receiver must see on the segment it came on);
 * and, on IPv4, DF set, because segments without it carry IDs that a
 * joined packet could not give back.
 */
void ltun_join_start(struct ltun_join *join, const u8 *pkt, u32 len,
		     u8 family, u16 gso_size, const struct ltun_gso *gso)
{
	const u8 *th = pkt + gso->thoff;

	join->pkt = pkt;
	join->gso = *gso;
	join->family = family;
	join->gso_size = gso_size;
	join->n = 1;
	join->payload[0] = pkt + gso->hlen;
	join->payload_len[0] = len - gso->hlen;
	join->len = len;
	join->segs = gso->segs;
	join->next_seq = ltun_get_be32(th + 4) + (len - gso->hlen);
	join->tsval = 0;
	join->tsecr = 0;
	if (ltun_tcp_has_ts(th + 20, gso->hlen - gso->thoff - 20)) {
		join->tsval = ltun_get_be32(th + 24);
		join->tsecr = ltun_get_be32(th + 28);
	}
	join->psh = th[13] & LTUN_TCP_PSH;
	join->open = (th[13] & ~LTUN_TCP_PSH) == LTUN_TCP_ACK &&
		     (family == 6 || ltun_get_be16(pkt + 6) == LTUN_IP_DF);
}

/**
 * ltun_join_add() - append a super-packet to a run if it continues it
 * @join: a run opened by ltun_join_start()
 * @pkt: the packet, accepted by ltun_inner_parse() and ltun_gso_parse()
 * @len: its length
 * @family: its family
 * @gso_size: its frame's segment size
 * @gso: what ltun_gso_parse() found
 *
 * The joined packet must be what the sender would have sent had it made
 * one super-packet of the run: the receiver's TCP then sees the same bytes
 * with the same meaning, only in fewer, larger packets, and cutting it into
 * segments again gives the segments the pieces stood for. So a piece joins
 * only if it starts where the run ends, in the same flow, with the same
 * segment size after a run of whole segments, and with every header byte
 * the same as the first piece's except the lengths, checksums, IPv4 ID
 * (meaningless with DF), PSH and the timestamp values.
 *
 * PSH does not end a run, unlike in GRO, which holds packets back for more
 * and must not hold pushed data: a run is delivered at the end of the read
 * that holds it, so pushed data never waits for a later piece, and the
 * joined header carries PSH if any piece did. Linux's sender marks PSH at
 * the end of every write, so most of its super-packets carry it under load.
 *
 * The first piece's timestamp stands for the run, as for a receiver that
 * acknowledges the run with one delayed ACK (RFC 7323, section 4.3): the
 * sender's RTT sample then includes the time between the pieces. A piece
 * whose TSval or TSecr is older than its predecessor's does not join, so
 * PAWS and the sender's RTT see nothing that the pieces alone would not
 * have shown them.
 *
 * Return: true if @pkt was appended (@join keeps a pointer into it).
 */
bool ltun_join_add(struct ltun_join *join, const u8 *pkt, u32 len, u8 family,
		   u16 gso_size, const struct ltun_gso *gso)
{
	const u8 *a = join->pkt, *b = pkt, *ta, *tb;
	u32 payload = len - gso->hlen, tsval = 0, tsecr = 0;
	size_t optlen, same = 0;

	if (!join->n || !join->open || join->n >= LTUN_JOIN_MAX_PIECES)
		return false;
	if (family != join->family || gso_size != join->gso_size ||
	    gso->thoff != join->gso.thoff || gso->hlen != join->gso.hlen ||
	    (join->len - gso->hlen) % gso_size ||
	    payload > LTUN_JOIN_MAX_LEN - join->len ||
	    join->segs + gso->segs > LTUN_GSO_MAX_SEGS)
		return false;

	if (family == 4) {
		/* Version, IHL, TOS (ECN included); flags, TTL, protocol;
		 * addresses and options. A piece whose header checksum
		 * the stack would refuse must reach the stack alone.
		 */
		if (memcmp(a, b, 2) || memcmp(a + 6, b + 6, 4) ||
		    memcmp(a + 12, b + 12, gso->thoff - 12) ||
		    !ltun_ip_csum_ok(b, gso->thoff))
			return false;
	} else {
		/* Traffic class, flow label; next header, hop limit and
		 * addresses.
		 */
		if (memcmp(a, b, 4) || memcmp(a + 6, b + 6, 34))
			return false;
	}

	/* Ports; sequence; acknowledgment and data offset; flags; window
	 * and urgent pointer. Only the checksum may differ.
	 */
	ta = a + gso->thoff;
	tb = b + gso->thoff;
	if (memcmp(ta, tb, 4) || ltun_get_be32(tb + 4) != join->next_seq ||
	    memcmp(ta + 8, tb + 8, 5) ||
	    (tb[13] & ~LTUN_TCP_PSH) != LTUN_TCP_ACK ||
	    memcmp(ta + 14, tb + 14, 2) || memcmp(ta + 18, tb + 18, 2))
		return false;

	optlen = gso->hlen - gso->thoff - 20;
	if (ltun_tcp_has_ts(ta + 20, optlen)) {
		if (memcmp(ta + 20, tb + 20, 4))
			return false;
		tsval = ltun_get_be32(tb + 24);
		tsecr = ltun_get_be32(tb + 28);
		if ((s32)(tsval - join->tsval) < 0 ||
		    (s32)(tsecr - join->tsecr) < 0)
			return false;
		same = 12;
	}
	if (memcmp(ta + 20 + same, tb + 20 + same, optlen - same))
		return false;

	join->payload[join->n] = b + gso->hlen;
	join->payload_len[join->n] = payload;
	join->n++;
	join->len += payload;
	join->segs += gso->segs;
	join->next_seq += payload;
	join->tsval = tsval;
	join->tsecr = tsecr;
	if (tb[13] & LTUN_TCP_PSH)
		join->psh = true;
	return true;
}
