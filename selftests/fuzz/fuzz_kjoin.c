// SPDX-License-Identifier: GPL-2.0
/*
 * kjoin: the kernel's rule for joining consecutive super-packets of one TCP
 * flow (ltun_join_start() and ltun_join_add() in kmod/frame.c, built
 * unchanged), driven the way kmod/rx.c drives it on the packets a peer
 * sends for this host: each packet that ltun_inner_parse() and
 * ltun_gso_parse() accept either joins the open run or closes it and opens
 * the next; a packet without a segment size is delivered alone and closes
 * the run first.
 *
 * Input: packets, each as a 16-bit length, a 16-bit segment size (0: not a
 * GSO frame), a byte whose bit 0 asks the harness to set the IPv4 header
 * checksum right (so that mutated headers still reach the rest of the
 * rule), and the bytes; all big-endian. Each packet is an exact-size heap
 * copy, so ASan catches a read past it.
 *
 * Checked, against a model written here from the header layout rather than
 * from the kernel code:
 *  - a packet joins exactly when the model says it may: same family, header
 *    lengths and segment size; the run so far a whole number of segments;
 *    at most LTUN_JOIN_MAX_PIECES pieces, LTUN_JOIN_MAX_LEN bytes and
 *    LTUN_GSO_MAX_SEGS segments; every header byte equal to the first
 *    piece's except the lengths, checksums, IPv4 ID, sequence number, PSH
 *    and the values of a leading NOP NOP timestamp option, which must not
 *    go back; a sequence number where the run ends; every piece with ACK
 *    and at most PSH besides, and DF on IPv4; a right IPv4 header checksum;
 *  - every run delivered is what one super-packet would have been: its
 *    pieces lie at their packets' payloads, its length is the headers once
 *    plus every payload and its segments their sum, every piece but the
 *    last a whole number of segments, each starting where the one before
 *    ends.
 */
#include <string.h>

#include "frame.h"
#include "fuzz.h"

#define MTU		1500
#define MAX_PKTS	4096

struct pkt {
	u8 *buf;
	u32 len;
	u16 gso_size;
	struct ltun_gso gso;
	u8 family;
};

static struct pkt run[LTUN_JOIN_MAX_PIECES];
static unsigned int run_n;
static struct ltun_join join;

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/* Header bytes that may differ between the pieces of a run. */
static bool may_differ(const struct pkt *first, size_t i)
{
	size_t t = first->gso.thoff;
	const u8 *o = first->buf + t + 20;
	bool ts = first->gso.hlen - t - 20 >= 12 && o[0] == 1 && o[1] == 1 &&
		  o[2] == 8 && o[3] == 10;

	if (i >= t) {
		i -= t;
		return (i >= 4 && i < 8) || i == 13 || i == 16 || i == 17 ||
		       (ts && i >= 24 && i < 32);
	}
	if (first->family == 4)
		return i == 2 || i == 3 || i == 4 || i == 5 || i == 10 || i == 11;
	return i == 4 || i == 5;
}

static bool ip_csum_ok(const u8 *h, size_t n)
{
	u32 sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be16(h + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Set an IPv4 header's checksum right, if it is an IPv4 header. */
static void fix_ip_csum(u8 *h, size_t len)
{
	size_t ihl;
	u32 sum = 0;

	if (len < 20 || h[0] >> 4 != 4)
		return;
	ihl = (size_t)(h[0] & 15) * 4;
	if (ihl < 20 || ihl > len)
		return;
	h[10] = 0;
	h[11] = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += be16(h + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	h[10] = (u8)(~sum >> 8);
	h[11] = (u8)~sum;
}

static bool ts_of(const struct pkt *p, u32 *val, u32 *ecr)
{
	const u8 *o = p->buf + p->gso.thoff + 20;

	if (p->gso.hlen - p->gso.thoff - 20 < 12 || o[0] != 1 || o[1] != 1 ||
	    o[2] != 8 || o[3] != 10)
		return false;
	*val = be32(o + 4);
	*ecr = be32(o + 8);
	return true;
}

/* The model: may @p join the run in run[]? */
static bool model_joins(const struct pkt *p)
{
	const struct pkt *first = &run[0], *last = &run[run_n - 1];
	u8 f0 = first->buf[first->gso.thoff + 13];
	u8 fp = p->buf[p->gso.thoff + 13];
	u32 total = first->len, segs = 0, seq, v0, e0, v1, e1;

	if (run_n >= LTUN_JOIN_MAX_PIECES || (f0 != 0x10 && f0 != 0x18))
		return false;
	if (first->family == 4 && be16(first->buf + 6) != 0x4000)
		return false;
	if (p->family != first->family || p->gso_size != first->gso_size ||
	    p->gso.thoff != first->gso.thoff || p->gso.hlen != first->gso.hlen)
		return false;
	for (unsigned int i = 0; i < run_n; i++) {
		if (i)
			total += run[i].len - run[i].gso.hlen;
		segs += run[i].gso.segs;
	}
	if ((total - first->gso.hlen) % first->gso_size ||
	    total + (p->len - p->gso.hlen) > LTUN_JOIN_MAX_LEN ||
	    segs + p->gso.segs > LTUN_GSO_MAX_SEGS)
		return false;
	for (size_t i = 0; i < first->gso.hlen; i++)
		if (p->buf[i] != first->buf[i] && !may_differ(first, i))
			return false;
	if (fp != 0x10 && fp != 0x18)
		return false;
	seq = be32(last->buf + last->gso.thoff + 4) + (last->len - last->gso.hlen);
	if (be32(p->buf + p->gso.thoff + 4) != seq)
		return false;
	if (ts_of(last, &v0, &e0) && ts_of(p, &v1, &e1) &&
	    ((int32_t)(v1 - v0) < 0 || (int32_t)(e1 - e0) < 0))
		return false;
	if (p->family == 4 && !ip_csum_ok(p->buf, p->gso.thoff))
		return false;
	return true;
}

/* What rx.c builds from the run: check it, touch every byte, forget it. */
static void deliver(void)
{
	const struct pkt *first = &run[0];
	u32 hlen = first->gso.hlen, len = hlen, segs = 0;
	bool psh = false;
	u8 *joined;

	if (!run_n) {
		FUZZ_CHECK(join.n == 0, "%u pieces, none delivered", join.n);
		return;
	}
	FUZZ_CHECK(join.n == run_n, "%u pieces, %u joined", join.n, run_n);
	FUZZ_CHECK(join.pkt == first->buf, "run headers not the first piece's");
	FUZZ_CHECK(join.family == first->family && join.gso_size == first->gso_size &&
		   join.gso.thoff == first->gso.thoff && join.gso.hlen == hlen,
		   "run metadata not the first piece's");
	for (unsigned int i = 0; i < run_n; i++) {
		const struct pkt *p = &run[i];

		FUZZ_CHECK(join.payload[i] == p->buf + p->gso.hlen &&
			   join.payload_len[i] == p->len - p->gso.hlen,
			   "piece %u is not its packet's payload", i);
		if (i + 1 < run_n)
			FUZZ_CHECK(join.payload_len[i] % first->gso_size == 0,
				   "piece %u: %u bytes, segment size %u", i,
				   join.payload_len[i], first->gso_size);
		if (i)
			FUZZ_CHECK(be32(p->buf + p->gso.thoff + 4) ==
				   be32(first->buf + first->gso.thoff + 4) + (len - hlen),
				   "piece %u does not start where the run ends", i);
		len += join.payload_len[i];
		segs += p->gso.segs;
		psh |= (p->buf[p->gso.thoff + 13] & 0x08) != 0;
	}
	FUZZ_CHECK(join.len == len, "length %u, pieces add up to %u", join.len, len);
	FUZZ_CHECK(join.psh == psh, "PSH %d, pieces' PSH %d", join.psh, psh);
	FUZZ_CHECK(join.segs == segs && segs <= LTUN_GSO_MAX_SEGS, "%u segments, %u",
		   join.segs, segs);
	FUZZ_CHECK(run_n == 1 || len <= LTUN_JOIN_MAX_LEN, "joined %u bytes", len);

	joined = malloc(len);
	if (!joined)
		abort();
	memcpy(joined, join.pkt, hlen);
	for (unsigned int i = 0, o = hlen; i < run_n; o += join.payload_len[i++])
		memcpy(joined + o, join.payload[i], join.payload_len[i]);
	free(joined);

	for (unsigned int i = 0; i < run_n; i++)
		fuzz_free(run[i].buf);
	run_n = 0;
	join.n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	run_n = 0;
	join.n = 0;
	for (unsigned int k = 0; k < MAX_PKTS && size - pos >= 5; k++) {
		struct ltun_inner in;
		struct pkt p = { 0 };
		bool model, got, fix;

		p.len = be16(data + pos);
		p.gso_size = be16(data + pos + 2);
		fix = data[pos + 4] & 1;
		pos += 5;
		if (p.len > size - pos)
			break;
		p.buf = fuzz_dup(data + pos, p.len);
		pos += p.len;
		if (fix)
			fix_ip_csum(p.buf, p.len);

		if (ltun_inner_parse(p.buf, p.len, &in)) {
			fuzz_free(p.buf);		/* dropped */
			continue;
		}
		p.family = in.family;
		if (!p.gso_size) {
			deliver();			/* delivered alone */
			fuzz_free(p.buf);
			continue;
		}
		if (ltun_gso_parse(p.buf, p.len, &in, p.gso_size, MTU, &p.gso)) {
			fuzz_free(p.buf);
			continue;
		}

		model = run_n && model_joins(&p);
		got = ltun_join_add(&join, p.buf, p.len, p.family, p.gso_size, &p.gso);
		FUZZ_CHECK(got == model, "packet %u: joined %d, the model says %d",
			   k, got, model);
		if (!got) {
			deliver();
			ltun_join_start(&join, p.buf, p.len, p.family, p.gso_size,
					&p.gso);
			FUZZ_CHECK(join.n == 1, "a new run has %u pieces", join.n);
		}
		FUZZ_CHECK(run_n < LTUN_JOIN_MAX_PIECES, "more than %u pieces",
			   LTUN_JOIN_MAX_PIECES);
		run[run_n++] = p;
	}
	deliver();
	return 0;
}
