// SPDX-License-Identifier: GPL-2.0
/*
 * kinner: ltun_inner_parse() (kmod/frame.c, built unchanged) on one DATA
 * payload, given as an exact-size buffer so ASan catches any overread.
 * kframe reaches it too, behind the framing; this target explores the
 * IPv4/IPv6 header space directly.
 *
 * Checked: an accepted packet is one whole IPv4 or IPv6 packet (header
 * complete, its length field equal to the payload length, IHL inside it),
 * and the source and destination addresses returned lie inside it. Each
 * accepted packet also goes through ltun_gso_parse(), as the payload of a
 * GSO frame, with a few segment sizes and MTUs.
 */
#include <errno.h>

#include "frame.h"
#include "fuzz.h"

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/*
 * ltun_gso_parse() as for a GSO frame carrying this packet: a success
 * describes a TCP super-packet whose headers lie inside it and whose
 * segments are more than one, at most LTUN_GSO_MAX_SEGS, each within @mtu.
 */
static void check_gso(const u8 *pkt, size_t len, const struct ltun_inner *in,
		      u32 gso_size, u32 mtu)
{
	struct ltun_gso g = { 0 };
	int ret;

	ret = ltun_gso_parse(pkt, len, in, gso_size, mtu, &g);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -EMSGSIZE, "gso error %d", ret);
		return;
	}
	FUZZ_CHECK(pkt[in->family == 4 ? 9 : 6] == 6, "gso on a non-TCP packet");
	FUZZ_CHECK(in->family == 6 || !(be16(pkt + 6) & 0x3fff), "gso on a fragment");
	FUZZ_CHECK(g.thoff == (in->family == 4 ? (pkt[0] & 15) * 4 : 40),
		   "TCP header at %u", g.thoff);
	FUZZ_CHECK(g.hlen >= g.thoff + 20u && g.hlen <= len &&
		   g.hlen == g.thoff + (pkt[g.thoff + 12] >> 4) * 4u,
		   "headers %u of %zu bytes", g.hlen, len);
	FUZZ_CHECK(gso_size > 0 && g.hlen + gso_size <= mtu, "segment size %u", gso_size);
	FUZZ_CHECK(len - g.hlen > gso_size, "%zu payload bytes, segment size %u",
		   len - g.hlen, gso_size);
	FUZZ_CHECK(g.segs >= 2 && g.segs <= LTUN_GSO_MAX_SEGS &&
		   g.segs == (len - g.hlen + gso_size - 1) / gso_size, "%u segments", g.segs);
	FUZZ_CHECK(g.cwr == !!(pkt[g.thoff + 13] & 0x80), "CWR");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ltun_inner in = { 0 };
	size_t alen;
	int ret;

	ret = ltun_inner_parse(data, size, &in);
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "error %d", ret);
		return 0;
	}
	FUZZ_CHECK(in.family == 4 || in.family == 6, "family %u", in.family);
	FUZZ_CHECK(in.family == data[0] >> 4, "family %u, version nibble %u",
		   in.family, data[0] >> 4);
	alen = in.family == 4 ? 4 : 16;
	FUZZ_CHECK(in.saddr >= data && in.saddr + alen <= data + size, "saddr outside");
	FUZZ_CHECK(in.daddr >= data && in.daddr + alen <= data + size, "daddr outside");
	if (in.family == 4) {
		size_t ihl = (size_t)(data[0] & 15) * 4;

		FUZZ_CHECK(size >= 20 && ihl >= 20 && ihl <= size, "IHL %zu, %zu bytes",
			   ihl, size);
		FUZZ_CHECK(be16(data + 2) == size, "total length %u of %zu bytes",
			   be16(data + 2), size);
		FUZZ_CHECK(in.saddr == data + 12 && in.daddr == data + 16, "v4 address offsets");
	} else {
		FUZZ_CHECK(size >= 40 && be16(data + 4) + 40u == size,
			   "payload length %u of %zu bytes", be16(data + 4), size);
		FUZZ_CHECK(in.saddr == data + 8 && in.daddr == data + 24, "v6 address offsets");
	}
	/* Segment sizes: from the packet's last two bytes (the fuzzer's
	 * choice), and the usual ones.
	 */
	check_gso(data, size, &in, be16(data + size - 2), 1500);
	check_gso(data, size, &in, be16(data + size - 2), 65535);
	check_gso(data, size, &in, 1448, 1500);
	check_gso(data, size, &in, 536, 9000);
	check_gso(data, size, &in, 1, 65535);
	return 0;
}
