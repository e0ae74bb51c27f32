// SPDX-License-Identifier: GPL-2.0
/*
 * kframe: the kernel's receive framing (kmod/frame.c, built unchanged)
 * driven the way kmod/rx.c drives it: bytes arrive in pieces, as TCP and
 * TLS records deliver them, into a receive buffer of LTUN_RX_BUF_SIZE
 * bytes; after each piece every complete frame is parsed, each DATA payload
 * goes through ltun_inner_parse(), and the incomplete tail is moved to the
 * front of the buffer.
 *
 * Input: byte 0 chooses how the stream is cut (one piece, byte by byte,
 * small pieces, pieces up to a TLS record), byte 1 seeds the cuts, the
 * rest is the decrypted stream a peer sends.
 *
 * Checked:
 *  - nothing outside the filled part of the buffer is read (the rest is
 *    ASan-poisoned), nor past a DATA payload (parsed again from an
 *    exact-size copy, which must give the same answer);
 *  - a frame lies inside the buffer, its length is at most
 *    LTUN_WIRE_MAX_DATA, its flags are zero or GSO on a DATA frame, and
 *    only a GSO frame has a segment size;
 *  - the tail kept after a pass is shorter than one maximal frame, so the
 *    buffer always has room for the next read (a full buffer would make
 *    the kernel read 0 bytes, which is EOF);
 *  - framing does not depend on the cuts: the frames and the offset of a
 *    bad header are those of the whole stream framed at once by the rule
 *    of uapi/linux/ltun_wire.h;
 *  - an accepted inner packet is one whole IPv4/IPv6 packet whose length
 *    field is the payload length, and its addresses lie inside it;
 *  - the super-packet of a GSO frame, when ltun_gso_parse() accepts it,
 *    is TCP with its headers inside it and 2..LTUN_GSO_MAX_SEGS segments
 *    within the MTU.
 */
#include <errno.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

#ifndef LTUN_RX_BUF_SIZE
#error "LTUN_RX_BUF_SIZE comes from kmod/conn.h, through the Makefile"
#endif

/* Largest piece one read returns: a TLS record's plaintext. */
#define TLS_RECORD_MAX	16384
#define MAX_FRAMES	(1 << 16)

struct seen {
	size_t off;	/* stream offset of the frame header */
	u8 type;
	u32 len;
};

static u8 *rx_buf;
static struct seen *ref, *got;

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/*
 * The framing rule of ltun_wire.h, over the whole stream: frames until the
 * first bad header (*bad = its offset) or the incomplete end (*bad = -1).
 */
static size_t reference(const u8 *s, size_t n, struct seen *out, long *bad)
{
	size_t pos = 0, k = 0;

	*bad = -1;
	while (n - pos >= LTUN_FRAME_HDR_LEN) {
		u32 len = be32(s + pos + 4);

		u8 flags = s[pos + 1];

		/* Only DATA may carry a flag, only the GSO one, and only it
		 * gives the reserved field a meaning.
		 */
		if ((flags & ~LTUN_WIRE_F_GSO) ||
		    (flags && s[pos] != LTUN_WIRE_DATA) ||
		    (!flags && be16(s + pos + 2)) || len > LTUN_WIRE_MAX_DATA) {
			*bad = (long)pos;
			break;
		}
		if (n - pos - LTUN_FRAME_HDR_LEN < len)
			break;
		out[k].off = pos;
		out[k].type = s[pos];
		out[k].len = len;
		k++;
		pos += LTUN_FRAME_HDR_LEN + len;
	}
	return k;
}

/*
 * ltun_gso_parse() on an accepted inner packet, as rx.c calls it for a GSO
 * frame (device MTU 1500), in place and on an exact-size copy: a success
 * describes a TCP super-packet whose headers lie inside it and whose
 * segments are more than one, at most LTUN_GSO_MAX_SEGS, each within the
 * MTU.
 */
static void check_gso(const u8 *pkt, u32 len, const struct ltun_inner *in,
		      u16 gso_size)
{
	const u32 mtu = 1500;
	struct ltun_gso a = { 0 }, b = { 0 };
	u8 *copy = fuzz_dup(pkt, len);
	struct ltun_inner cin = *in;
	int ra, rb;

	cin.saddr = copy + (in->saddr - pkt);
	cin.daddr = copy + (in->daddr - pkt);
	ra = ltun_gso_parse(pkt, len, in, gso_size, mtu, &a);
	rb = ltun_gso_parse(copy, len, &cin, gso_size, mtu, &b);
	FUZZ_CHECK(ra == rb, "gso: in place %d, exact copy %d", ra, rb);
	fuzz_free(copy);
	if (ra) {
		FUZZ_CHECK(ra == -EINVAL || ra == -EMSGSIZE, "gso error %d", ra);
		return;
	}
	FUZZ_CHECK(a.thoff == b.thoff && a.hlen == b.hlen && a.segs == b.segs,
		   "gso: copy parsed differently");
	FUZZ_CHECK(pkt[in->family == 4 ? 9 : 6] == 6, "gso on a non-TCP packet");
	FUZZ_CHECK(a.thoff == (in->family == 4 ? (pkt[0] & 15) * 4 : 40),
		   "TCP header at %u", a.thoff);
	FUZZ_CHECK(a.hlen >= a.thoff + 20u && a.hlen <= len &&
		   a.hlen == a.thoff + (pkt[a.thoff + 12] >> 4) * 4u,
		   "headers %u of %u bytes", a.hlen, len);
	FUZZ_CHECK(gso_size > 0 && a.hlen + gso_size <= mtu, "segment size %u", gso_size);
	FUZZ_CHECK(len - a.hlen > gso_size, "%u payload bytes, segment size %u",
		   len - a.hlen, gso_size);
	FUZZ_CHECK(a.segs >= 2 && a.segs <= LTUN_GSO_MAX_SEGS &&
		   a.segs == (len - a.hlen + gso_size - 1) / gso_size, "%u segments", a.segs);
}

static void check_inner(const u8 *pkt, u32 len, u8 flags, u16 gso_size)
{
	struct ltun_inner a = { 0 }, b = { 0 };
	u8 *copy = fuzz_dup(pkt, len);
	int ra, rb;
	size_t alen;

	ra = ltun_inner_parse(pkt, len, &a);
	rb = ltun_inner_parse(copy, len, &b);
	FUZZ_CHECK(ra == rb, "in place %d, exact copy %d", ra, rb);
	if (ra) {
		FUZZ_CHECK(ra == -EINVAL, "error %d", ra);
		fuzz_free(copy);
		return;
	}
	FUZZ_CHECK(a.family == b.family && a.saddr - pkt == b.saddr - copy &&
		   a.daddr - pkt == b.daddr - copy, "copy parsed differently");
	FUZZ_CHECK(a.family == 4 || a.family == 6, "family %u", a.family);
	alen = a.family == 4 ? 4 : 16;
	FUZZ_CHECK(a.saddr >= pkt && a.saddr + alen <= pkt + len, "saddr outside the packet");
	FUZZ_CHECK(a.daddr >= pkt && a.daddr + alen <= pkt + len, "daddr outside the packet");
	if (a.family == 4) {
		FUZZ_CHECK(len >= 20 && pkt[0] >> 4 == 4, "not IPv4");
		FUZZ_CHECK((size_t)(pkt[0] & 15) * 4 >= 20 && (size_t)(pkt[0] & 15) * 4 <= len,
			   "IHL %u of a %u-byte packet", pkt[0] & 15, len);
		FUZZ_CHECK(be16(pkt + 2) == len, "total length %u, payload %u",
			   be16(pkt + 2), len);
	} else {
		FUZZ_CHECK(len >= 40 && pkt[0] >> 4 == 6, "not IPv6");
		FUZZ_CHECK(be16(pkt + 4) + 40u == len, "payload length %u, payload %u",
			   be16(pkt + 4), len);
	}
	fuzz_free(copy);
	if (flags & LTUN_WIRE_F_GSO)
		check_gso(pkt, len, &a, gso_size);
}

/* The readable part of rx_buf is exactly [0, fill). */
static void set_fill(size_t *fill, size_t n)
{
	if (n > *fill)
		FUZZ_UNPOISON(rx_buf + *fill, n - *fill);
	else if (n < *fill)
		FUZZ_POISON(rx_buf + n, *fill - n);
	*fill = n;
}

static size_t next_piece(int mode, uint64_t *rs)
{
	switch (mode) {
	case 0:
		return (size_t)-1;
	case 1:
		return 1;
	case 2:
		return 1 + fuzz_rnd(rs) % 32;
	default:
		/* mostly whole records, sometimes a short read */
		return fuzz_rnd(rs) % 4 ? TLS_RECORD_MAX : 1 + fuzz_rnd(rs) % TLS_RECORD_MAX;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rx_buf = malloc(LTUN_RX_BUF_SIZE);
	ref = calloc(MAX_FRAMES, sizeof(*ref));
	got = calloc(MAX_FRAMES, sizeof(*got));
	if (!rx_buf || !ref || !got)
		abort();
	FUZZ_POISON(rx_buf, LTUN_RX_BUF_SIZE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const u8 *s = data + 2;
	size_t n, pos = 0, fill = 0, base = 0, n_ref, n_got = 0;
	long bad_ref, bad_got = -1;
	uint64_t rs;
	int mode;

	if (size < 2)
		return -1;
	mode = data[0] & 3;
	rs = 0x9e3779b97f4a7c15ULL ^ data[1];
	n = size - 2;
	/* 9 bytes is the smallest frame, so the table cannot overflow */
	if (n / (LTUN_FRAME_HDR_LEN + 1) >= MAX_FRAMES)
		return -1;
	n_ref = reference(s, n, ref, &bad_ref);

	while (pos < n) {
		size_t room = LTUN_RX_BUF_SIZE - fill, piece = next_piece(mode, &rs);
		enum ltun_frame_status st;
		struct ltun_frame f;
		const u8 *p;
		size_t left;

		FUZZ_CHECK(room > 0, "receive buffer full with %zu bytes", fill);
		if (piece > room)
			piece = room;
		if (piece > n - pos)
			piece = n - pos;
		set_fill(&fill, fill + piece);
		memcpy(rx_buf + fill - piece, s + pos, piece);
		pos += piece;

		/* ltun_rx_frames() */
		p = rx_buf;
		left = fill;
		while ((st = ltun_frame_parse(p, left, &f)) == LTUN_FRAME_OK) {
			FUZZ_CHECK(f.payload == p + LTUN_FRAME_HDR_LEN, "payload not after the header");
			FUZZ_CHECK(f.len <= LTUN_WIRE_MAX_DATA, "len %u", f.len);
			FUZZ_CHECK(LTUN_FRAME_HDR_LEN + f.len <= left, "frame of %u in %zu bytes",
				   f.len, left);
			FUZZ_CHECK(f.flags == 0 || (f.flags == LTUN_WIRE_F_GSO &&
						    f.type == LTUN_WIRE_DATA),
				   "flags %#x accepted on type %u", f.flags, f.type);
			FUZZ_CHECK(f.flags || !f.gso_size, "segment size %u without GSO",
				   f.gso_size);
			FUZZ_CHECK(n_got < MAX_FRAMES, "too many frames");
			got[n_got].off = base + (size_t)(p - rx_buf);
			got[n_got].type = f.type;
			got[n_got].len = f.len;
			n_got++;
			if (f.type == LTUN_WIRE_DATA)
				check_inner(f.payload, f.len, f.flags, f.gso_size);
			p += LTUN_FRAME_HDR_LEN + f.len;
			left -= LTUN_FRAME_HDR_LEN + f.len;
		}
		FUZZ_CHECK(st == LTUN_FRAME_NEED_MORE || st == LTUN_FRAME_BAD, "status %d", st);
		if (st == LTUN_FRAME_BAD) {
			/* the kernel drops the peer here */
			bad_got = (long)(base + (size_t)(p - rx_buf));
			break;
		}
		FUZZ_CHECK(left < LTUN_FRAME_MAX_LEN, "kept %zu bytes, no frame is that long",
			   left);
		base += (size_t)(p - rx_buf);
		/*
		 * rx.c moves unconditionally; moving a tail onto itself
		 * changes nothing and would make byte-by-byte input
		 * quadratic here.
		 */
		if (p != rx_buf)
			memmove(rx_buf, p, left);
		set_fill(&fill, left);
	}
	set_fill(&fill, 0);

	FUZZ_CHECK(bad_got == bad_ref, "bad header at %ld, whole stream says %ld",
		   bad_got, bad_ref);
	FUZZ_CHECK(n_got == n_ref, "%zu frames, whole stream has %zu", n_got, n_ref);
	for (size_t i = 0; i < n_got; i++)
		FUZZ_CHECK(got[i].off == ref[i].off && got[i].type == ref[i].type &&
			   got[i].len == ref[i].len,
			   "frame %zu: at %zu type %u len %u, whole stream: at %zu type %u len %u",
			   i, got[i].off, got[i].type, got[i].len, ref[i].off, ref[i].type,
			   ref[i].len);
	return 0;
}
