// SPDX-License-Identifier: GPL-2.0
/*
 * kinner: ltun_inner_parse() (kmod/frame.c, built unchanged) on one DATA
 * payload, given as an exact-size buffer so ASan catches any overread.
 * kframe reaches it too, behind the framing; this target explores the
 * IPv4/IPv6 header space directly.
 *
 * Checked: an accepted packet is one whole IPv4 or IPv6 packet (header
 * complete, its length field equal to the payload length, IHL inside it),
 * and the source and destination addresses returned lie inside it.
 */
#include <errno.h>

#include "frame.h"
#include "fuzz.h"

static u16 be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
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
	return 0;
}
