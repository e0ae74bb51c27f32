/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing of bytes received from a peer: the frame header and the inner IP
 * header; and the rule that joins consecutive super-packets of one TCP flow
 * into one (struct ltun_join). Pure functions over a byte buffer, no kernel
 * state, so the same file can be built in userspace for fuzzing.
 */
#ifndef _LTUN_FRAME_H
#define _LTUN_FRAME_H

#include <linux/types.h>
#include <linux/ltun_wire.h>

#define LTUN_FRAME_HDR_LEN	sizeof(struct ltun_wire_hdr)
/* Largest frame the receiver must be able to buffer whole. */
#define LTUN_FRAME_MAX_LEN	(LTUN_FRAME_HDR_LEN + LTUN_WIRE_MAX_DATA)

/*
 * Most segments one GSO frame may stand for. Our own device never builds
 * larger super-packets (netif_set_tso_max_segs()), and it bounds what one
 * frame of a peer can cost us when it must be cut into segments: a 64 KiB
 * frame with a 1-byte segment size would otherwise become 65000 packets.
 */
#define LTUN_GSO_MAX_SEGS	LTUN_WIRE_GSO_MAX_SEGS

/**
 * struct ltun_frame - one frame located in a receive buffer
 * @type: &enum ltun_wire_type
 * @flags: header flags: zero, or %LTUN_WIRE_F_GSO on a DATA frame
 * @gso_size: segment size (&ltun_wire_hdr.reserved) of a GSO frame, else 0;
 *	not checked here (ltun_gso_parse() does)
 * @len: payload length
 * @payload: start of the payload, inside the parsed buffer
 */
struct ltun_frame {
	u8 type;
	u8 flags;
	u16 gso_size;
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

/**
 * struct ltun_gso - the TCP super-packet of a GSO frame
 * @thoff: offset of the TCP header in the packet
 * @hlen: length of the IP and TCP headers together
 * @segs: number of segments it stands for (at most %LTUN_GSO_MAX_SEGS)
 * @cwr: the TCP header has CWR set (only the first segment keeps it)
 */
struct ltun_gso {
	u16 thoff;
	u16 hlen;
	u16 segs;
	bool cwr;
};

int ltun_gso_parse(const u8 *pkt, size_t len, const struct ltun_inner *inner,
		   u32 gso_size, u32 mtu, struct ltun_gso *gso);

/* Most super-packets joined into one, and the largest joined packet. */
#define LTUN_JOIN_MAX_PIECES	16
#define LTUN_JOIN_MAX_LEN	65535

/**
 * struct ltun_join - consecutive super-packets of one TCP flow, joined
 * @pkt: the first super-packet; its IP and TCP headers stand for the run
 * @gso: what ltun_gso_parse() found in @pkt
 * @family: 4 or 6
 * @gso_size: the segment size, the same in every piece
 * @n: number of pieces; 0 when no run is open
 * @payload: each piece's TCP payload; @payload[0] lies in @pkt
 * @payload_len: its length
 * @len: length of the joined packet: the headers once, then every payload
 * @segs: segments the joined packet stands for
 * @next_seq: sequence number the next piece must start with
 * @tsval: TSval of the last piece (when the headers carry a timestamp)
 * @tsecr: TSecr of the last piece
 * @open: more pieces may join (see ltun_join_start())
 * @psh: a piece had PSH set: the joined header gets the flag
 */
struct ltun_join {
	const u8 *pkt;
	struct ltun_gso gso;
	u8 family;
	u16 gso_size;
	u8 n;
	const u8 *payload[LTUN_JOIN_MAX_PIECES];
	u32 payload_len[LTUN_JOIN_MAX_PIECES];
	u32 len;
	u32 segs;
	u32 next_seq;
	u32 tsval;
	u32 tsecr;
	bool open;
	bool psh;
};

void ltun_join_start(struct ltun_join *join, const u8 *pkt, u32 len,
		     u8 family, u16 gso_size, const struct ltun_gso *gso);
bool ltun_join_add(struct ltun_join *join, const u8 *pkt, u32 len, u8 family,
		   u16 gso_size, const struct ltun_gso *gso);

#endif /* _LTUN_FRAME_H */
