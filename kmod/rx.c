// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path. The socket's data_ready hook queues the peer's RX worker;
 * the worker reads decrypted bytes (kTLS decrypts inside recvmsg, in our
 * process context), cuts them into frames and delivers each inner packet
 * through GRO after checking that its source belongs to this peer.
 *
 * Everything read here comes from the network: the frame parser and the
 * inner-header check live in frame.c, where they can be fuzzed alone, and
 * so does the rule that joins consecutive super-packets of one TCP flow
 * into one before GRO (which cannot: it never appends a packet longer than
 * a segment). Under load a peer's packets arrive smaller than the sender's
 * TCP could make them (its TSO sizing counts the tunnel's RTT), and every
 * skb costs the stack the same whatever its size.
 *
 * A hub forwards between its peers here, without the IP stack: a packet
 * whose destination belongs to another peer goes straight to that peer's
 * queue (unless the device isolates its peers), whatever ip_forward says.
 * Like a switch port, and unlike a router, this does not touch the TTL:
 * the peers share one tunnel subnet.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>

#include "device.h"
#include "forward.h"
#include "frame.h"
#include "peer.h"
#include "rx.h"
#include "sock.h"
#include "tx.h"

/* Bytes one worker run may read before it yields to other peers' work. */
#define LTUN_RX_BUDGET		(512 * 1024)
/*
 * What each frame and each read cost against the budget on top of their
 * bytes: a flood of 8-byte frames, or a frame sent as one-byte TLS records,
 * is far more work per byte than full-size packets, and must yield as often
 * as a bulk transfer of the same work would.
 */
#define LTUN_RX_FRAME_COST	64

static void ltun_rx_count(struct ltun_peer *peer, enum ltun_stat why, u64 n)
{
	ltun_stats_add(peer->stats, why, n);
	ltun_stats_add(peer->ltun->stats, why, n);
}

static void ltun_rx_drop(struct ltun_peer *peer, enum ltun_stat why)
{
	ltun_rx_count(peer, why, 1);
}

/*
 * The far end broke the protocol after a correct handshake: end the peer
 * with a reason and a counter of their own, so an operator can tell a
 * hostile or broken peer from a network failure.
 */
static void ltun_rx_violation(struct ltun_peer *peer)
{
	ltun_rx_count(peer, LTUN_STAT_PROTO_ERRORS, 1);
	ltun_peer_fail(peer, LTUN_DEL_REASON_PROTOCOL);
}

/* A copy of an inner packet in an skb of its own. */
static struct sk_buff *ltun_rx_skb(struct ltun_peer *peer, const u8 *data,
				   u32 len, u8 family)
{
	struct sk_buff *skb;

	skb = netdev_alloc_skb(peer->ltun->dev, len);
	if (unlikely(!skb)) {
		ltun_rx_drop(peer, LTUN_STAT_RX_OTHER_DROPS);
		return NULL;
	}
	skb_put_data(skb, data, len);
	skb->protocol = family == 4 ? htons(ETH_P_IP) : htons(ETH_P_IPV6);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	return skb;
}

/*
 * Make the first piece's headers describe the joined packet: its lengths,
 * the IPv4 header checksum (updated, not recomputed, so that a wrong one
 * stays wrong for the stack to refuse), PSH if a piece had it, and the TCP
 * checksum's seed, the pseudo-header sum over the new length, which is
 * what a stack cutting it into segments (to forward it) starts from.
 */
static void ltun_rx_join_headers(struct sk_buff *skb,
				 const struct ltun_join *join)
{
	struct tcphdr *th = tcp_hdr(skb);
	u32 tcp_len = join->len - join->gso.thoff;

	if (join->family == 4) {
		struct iphdr *iph = ip_hdr(skb);
		__be16 tot_len = htons(join->len);

		csum_replace2(&iph->check, iph->tot_len, tot_len);
		iph->tot_len = tot_len;
		th->check = ~tcp_v4_check(tcp_len, iph->saddr, iph->daddr, 0);
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ip6h->payload_len = htons(join->len - sizeof(*ip6h));
		th->check = ~tcp_v6_check(tcp_len, &ip6h->saddr, &ip6h->daddr,
					  0);
	}
	if (join->psh)
		th->psh = 1;
}

/*
 * The skb for a run of super-packets (a run of one is a GSO frame's packet
 * as it came): the IP and TCP headers in a small linear head (where the
 * checksum helpers and the GSO code want them), the payloads in order-0
 * pages, so that 64 KiB never needs a high-order allocation. Its metadata
 * is what ltun_gso_parse() and ltun_join_add() checked; SKB_GSO_DODGY tells
 * the stack to recount the segments rather than trust us, and the TCP
 * checksum is left to whoever cuts it into segments, as it would be for a
 * packet this host sent itself.
 */
static struct sk_buff *ltun_rx_join_skb(struct ltun_peer *peer,
					const struct ltun_join *join)
{
	const struct ltun_gso *gso = &join->gso;
	struct sk_buff *skb;
	unsigned int i;
	u32 off;
	int err;

	skb = alloc_skb_with_frags(NET_SKB_PAD + gso->hlen,
				   join->len - gso->hlen, 0, &err, GFP_ATOMIC);
	if (unlikely(!skb)) {
		ltun_rx_count(peer, LTUN_STAT_RX_OTHER_DROPS, join->n);
		return NULL;
	}
	skb_reserve(skb, NET_SKB_PAD);
	skb_put_data(skb, join->pkt, gso->hlen);
	skb->data_len = join->len - gso->hlen;
	skb->len = join->len;
	off = gso->hlen;
	for (i = 0; i < join->n; i++) {
		if (WARN_ON_ONCE(skb_store_bits(skb, off, join->payload[i],
						join->payload_len[i]))) {
			kfree_skb(skb);
			ltun_rx_count(peer, LTUN_STAT_RX_OTHER_DROPS, join->n);
			return NULL;
		}
		off += join->payload_len[i];
	}
	skb->dev = peer->ltun->dev;
	skb->protocol = join->family == 4 ? htons(ETH_P_IP) : htons(ETH_P_IPV6);
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, gso->thoff);
	if (join->n > 1)
		ltun_rx_join_headers(skb, join);
	/* Cannot fail: the TCP header is inside the linear head. */
	skb_partial_csum_set(skb, gso->thoff, offsetof(struct tcphdr, check));
	skb_shinfo(skb)->gso_size = join->gso_size;
	skb_shinfo(skb)->gso_type = SKB_GSO_DODGY |
		(join->family == 4 ? SKB_GSO_TCPV4 : SKB_GSO_TCPV6) |
		(gso->cwr ? SKB_GSO_TCP_ECN : 0);
	skb_shinfo(skb)->gso_segs = 0;
	return skb;
}

/**
 * struct ltun_rx_pass - one pass over a connection's receive buffer
 * @join: the open run of super-packets for this host; it points into the
 *	buffer, so it is delivered before the pass ends
 * @pkts: DATA packets accepted so far (those in @join included)
 * @bytes: their payload bytes
 *
 * On the stack of ltun_rx_frames(), so nothing here is shared.
 */
struct ltun_rx_pass {
	struct ltun_join join;
	u64 pkts;
	u64 bytes;
};

/*
 * Deliver the open run, if any, here. Called before anything else is
 * delivered here, so that a flow keeps its order, and at the end of every
 * pass. Its pieces were counted as accepted when they joined; if the skb
 * cannot be built they are counted as dropped instead.
 */
static void ltun_rx_join_flush(struct ltun_peer *peer,
			       struct ltun_rx_pass *pass)
{
	struct ltun_join *join = &pass->join;
	struct sk_buff *skb;

	if (!join->n)
		return;
	skb = ltun_rx_join_skb(peer, join);
	if (skb) {
		skb->pkt_type = PACKET_HOST;
		gro_cells_receive(&peer->ltun->gro_cells, skb);
	} else {
		/* Every piece repeats the headers the run keeps once. */
		pass->pkts -= join->n;
		pass->bytes -= join->len + (join->n - 1) * join->gso.hlen;
	}
	join->n = 0;
}

/*
 * A super-packet for this host: appended to the open run if it continues
 * it, else the run is delivered and a new one starts with it.
 */
static void ltun_rx_join(struct ltun_peer *peer, struct ltun_rx_pass *pass,
			 const struct ltun_frame *f, u8 family,
			 const struct ltun_gso *gso)
{
	struct ltun_join *join = &pass->join;

	if (ltun_join_add(join, f->payload, f->len, family, f->gso_size, gso))
		return;
	ltun_rx_join_flush(peer, pass);
	ltun_join_start(join, f->payload, f->len, family, f->gso_size, gso);
}

/*
 * Send a packet from @peer on to the peer @target owns its destination;
 * ltun_tx_queue() cuts a super-packet into segments if @target does not
 * take GSO frames.
 * Return: true if queued.
 */
static bool ltun_rx_forward(struct ltun_peer *peer, struct ltun_peer *target,
			    const struct ltun_frame *f, u8 family,
			    const struct ltun_gso *gso)
{
	struct sk_buff *skb;

	if (READ_ONCE(peer->ltun->isolate)) {
		ltun_rx_drop(peer, LTUN_STAT_ISOLATED);
		return false;
	}
	if (gso) {
		struct ltun_join one;

		ltun_join_start(&one, f->payload, f->len, family, f->gso_size,
				gso);
		skb = ltun_rx_join_skb(peer, &one);
	} else {
		skb = ltun_rx_skb(peer, f->payload, f->len, family);
	}
	if (!skb)
		return false;
	ltun_stats_add(peer->stats, LTUN_STAT_FORWARDED, 1);
	ltun_stats_add(peer->ltun->stats, LTUN_STAT_FORWARDED, 1);
	ltun_tx_queue(target, skb);
	return true;
}

/*
 * Handle one DATA payload: drop it, forward it to another peer, or deliver
 * it here (and, for broadcast or multicast, to the other peers as well). A
 * super-packet for this host joins the run of @pass.
 * Context: bottom halves disabled.
 * Return: true if the packet was accepted.
 */
static bool ltun_rx_packet(struct ltun_peer *peer, const struct ltun_frame *f,
			   struct ltun_rx_pass *pass)
{
	struct ltun_dev *ltun = peer->ltun;
	u32 mtu = READ_ONCE(ltun->dev->mtu);
	struct ltun_peer *owner, *target;
	struct ltun_gso gso_buf, *gso = NULL;
	struct ltun_inner inner;
	struct sk_buff *skb;
	bool flood, ok = false;
	int err;

	if (ltun_inner_parse(f->payload, f->len, &inner)) {
		ltun_rx_drop(peer, LTUN_STAT_RX_INVALID);
		return false;
	}
	/* Nothing larger than this side would send may come in: not to this
	 * host, whose stack trusts the device MTU, nor through it to
	 * another peer. For a super-packet that holds for each segment it
	 * stands for.
	 */
	if (f->flags & LTUN_WIRE_F_GSO) {
		err = ltun_gso_parse(f->payload, f->len, &inner, f->gso_size,
				     mtu, &gso_buf);
		if (err) {
			ltun_rx_drop(peer, err == -EMSGSIZE ?
				     LTUN_STAT_RX_TOO_BIG : LTUN_STAT_RX_INVALID);
			return false;
		}
		gso = &gso_buf;
	} else if (unlikely(f->len > mtu)) {
		ltun_rx_drop(peer, LTUN_STAT_RX_TOO_BIG);
		return false;
	}

	rcu_read_lock();
	/* The same table that routes our packets to a peer says which
	 * sources that peer may use: anything else is spoofed.
	 */
	owner = ltun_aip_lookup(&ltun->aips, inner.family, inner.saddr);
	if (owner != peer) {
		ltun_rx_drop(peer, LTUN_STAT_RX_SPOOFED);
		goto out;
	}

	/* A destination inside the sender's own prefixes is for this host:
	 * a client's own address lies inside the server's subnet, which is
	 * the client's only peer.
	 */
	target = ltun_aip_lookup(&ltun->aips, inner.family, inner.daddr);
	if (target && target != peer) {
		ok = ltun_rx_forward(peer, target, f, inner.family, gso);
		goto out;
	}

	flood = ltun_is_flood_dst(ltun, inner.family, inner.daddr);
	if (gso) {
		/* TCP is never broadcast: a super-packet to such an
		 * address is a lie.
		 */
		if (flood) {
			ltun_rx_drop(peer, LTUN_STAT_RX_INVALID);
			goto out;
		}
		ltun_rx_join(peer, pass, f, inner.family, gso);
		ok = true;
		goto out;
	}

	ltun_rx_join_flush(peer, pass);
	if (flood) {
		if (READ_ONCE(ltun->isolate)) {
			ltun_rx_drop(peer, LTUN_STAT_ISOLATED);
		} else {
			skb = ltun_rx_skb(peer, f->payload, f->len,
					  inner.family);
			if (skb)
				ltun_flood(ltun, skb, peer);
		}
	}

	skb = ltun_rx_skb(peer, f->payload, f->len, inner.family);
	if (skb) {
		skb->pkt_type = PACKET_HOST;
		skb->ip_summed = CHECKSUM_NONE;
		gro_cells_receive(&ltun->gro_cells, skb);
		ok = true;
	}
out:
	rcu_read_unlock();
	return ok;
}

/*
 * Process every complete frame in the buffer and keep the incomplete tail.
 * Return: the number of complete frames, or -EPROTO when the stream cannot
 * be framed.
 */
static int ltun_rx_frames(struct ltun_peer *peer, struct ltun_conn *conn)
{
	struct ltun_rx_pass pass = { .join.n = 0, .pkts = 0, .bytes = 0 };
	u64 keepalives = 0, unknown = 0;
	const u8 *p = conn->rx_buf;
	size_t left = conn->rx_fill;
	enum ltun_frame_status st;
	struct ltun_frame f;
	int frames = 0;

	local_bh_disable();
	while ((st = ltun_frame_parse(p, left, &f)) == LTUN_FRAME_OK) {
		switch (f.type) {
		case LTUN_WIRE_DATA:
			if (ltun_rx_packet(peer, &f, &pass)) {
				pass.pkts++;
				pass.bytes += f.len;
			}
			break;
		case LTUN_WIRE_KEEPALIVE:
			keepalives++;
			break;
		default:
			/* Control frames belong to userspace and end before
			 * the handoff; anything else is skipped, so a newer
			 * peer can add frame types.
			 */
			unknown++;
			break;
		}
		frames++;
		p += LTUN_FRAME_HDR_LEN + f.len;
		left -= LTUN_FRAME_HDR_LEN + f.len;
	}
	ltun_rx_join_flush(peer, &pass);
	/* Counted once per read rather than per frame: a flood of tiny
	 * frames costs no more in counters than a few big ones.
	 */
	if (pass.pkts) {
		ltun_stats_add2(peer->stats, LTUN_STAT_RX_PACKETS, pass.pkts,
				LTUN_STAT_RX_BYTES, pass.bytes);
		ltun_stats_add2(peer->ltun->stats, LTUN_STAT_RX_PACKETS,
				pass.pkts, LTUN_STAT_RX_BYTES, pass.bytes);
	}
	if (keepalives)
		ltun_rx_count(peer, LTUN_STAT_RX_KEEPALIVES, keepalives);
	if (unknown)
		ltun_rx_count(peer, LTUN_STAT_RX_INVALID, unknown);
	local_bh_enable();

	if (st == LTUN_FRAME_BAD)
		return -EPROTO;
	/* Nothing consumed: the tail is already in place, and copying it
	 * onto itself on every read of a slowly arriving frame would cost
	 * up to a whole frame per record.
	 */
	if (p != conn->rx_buf) {
		memmove(conn->rx_buf, p, left);
		conn->rx_fill = left;
	}
	return frames;
}

/*
 * A record that is not application data: an alert ends the connection
 * (close_notify cleanly, like EOF; any other alert is fatal in TLS 1.3),
 * anything else (a KeyUpdate or a stray post-handshake message) cannot be
 * handled by the kernels we support, which cannot rekey kTLS: after it the
 * far end would encrypt with keys we do not have. It is never mistaken for
 * tunnel data, and userspace promises never to send one (README).
 * Return: true for close_notify; otherwise the caller ends the peer as a
 * protocol violation.
 */
static bool ltun_rx_record(struct ltun_peer *peer, u8 rtype, const u8 *data,
			   int len)
{
	const char *name = peer->ltun->dev->name;

	if (rtype == LTUN_TLS_ALERT && len >= 2 && data[1] == 0)
		return true;
	if (rtype == LTUN_TLS_ALERT)
		net_info_ratelimited("%s: peer %u: TLS alert %u\n", name,
				     peer->id, len >= 2 ? data[1] : 0);
	else
		net_info_ratelimited("%s: peer %u: unexpected TLS record type %u (%u)\n",
				     name, peer->id, rtype, len >= 1 ? data[0] : 0);
	return false;
}

/*
 * The far end stopped sending on @conn (@clean: EOF or close_notify). That
 * ends the peer unless the connection was being replaced (conn.c).
 */
static void ltun_rx_conn_end(struct ltun_peer *peer, struct ltun_conn *conn,
			     bool clean)
{
	if (ltun_conn_rx_end(conn))
		ltun_peer_fail(peer, clean ? LTUN_DEL_REASON_PEER_CLOSED :
					     LTUN_DEL_REASON_ERROR);
}

/*
 * Read one connection until it has nothing more, the peer fails or the
 * budget runs out.
 * Return: 0 when drained or ended, 1 when the budget ran out, -1 when the
 * peer failed.
 */
static int ltun_rx_conn(struct ltun_peer *peer, struct ltun_conn *conn,
			size_t *budget)
{
	int n, frames;
	size_t cost;
	u8 *room;
	u8 rtype;

	while (!atomic_read(&peer->fail_reason)) {
		if (unlikely(READ_ONCE(conn->abandon))) {
			ltun_rx_conn_end(peer, conn, true);
			return 0;
		}
		room = conn->rx_buf + conn->rx_fill;
		n = ltun_sock_recv(conn->sock, conn->rx_bvec,
				   LTUN_RX_BUF_PAGES, LTUN_RX_BUF_SIZE,
				   conn->rx_fill, &rtype);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0) {
			ltun_rx_conn_end(peer, conn, n == 0);
			return 0;
		}
		if (rtype != LTUN_TLS_APP_DATA) {
			if (ltun_rx_record(peer, rtype, room, n)) {
				ltun_rx_conn_end(peer, conn, true);
				return 0;
			}
			ltun_rx_violation(peer);
			return -1;
		}

		if (unlikely(!conn->rx_seen)) {
			/* A handed-over connection is live at the far end. */
			WRITE_ONCE(conn->rx_seen, true);
			queue_work(ltun_wq, &peer->tx_work);
		}
		conn->rx_fill += n;
		frames = ltun_rx_frames(peer, conn);
		if (frames < 0) {
			net_info_ratelimited("%s: peer %u: malformed frame\n",
					     peer->ltun->dev->name, peer->id);
			ltun_rx_violation(peer);
			return -1;
		}
		/* Alive means whole frames arrive: a far end that trickles
		 * the bytes of a frame it never finishes must not keep its
		 * slot past the timeout.
		 */
		if (frames)
			WRITE_ONCE(peer->last_rx, jiffies);
		/* The far end's key for this direction is worn out. */
		if (unlikely(ltun_sock_records(conn->sock, false) >=
			     LTUN_RECORDS_LIMIT)) {
			ltun_peer_fail(peer, LTUN_DEL_REASON_EXPIRED);
			return -1;
		}

		cost = n + ((size_t)frames + 1) * LTUN_RX_FRAME_COST;
		if (cost >= *budget)
			return 1;
		*budget -= cost;
	}
	return -1;
}

/**
 * ltun_rx_work() - the peer's receive worker
 * @work: &ltun_peer.rx_work
 */
void ltun_rx_work(struct work_struct *work)
{
	struct ltun_peer *peer = container_of(work, struct ltun_peer, rx_work);
	struct ltun_conn *conns[LTUN_MAX_CONNS];
	size_t budget = LTUN_RX_BUDGET;
	bool more = false;
	unsigned int i, n;
	int ret;

	n = ltun_conn_rx_list(peer, conns);
	for (i = 0; i < n; i++) {
		ret = ltun_rx_conn(peer, conns[i], &budget);
		if (ret < 0)
			return;
		if (ret > 0) {
			more = true;
			break;
		}
	}
	/* Let other peers' work run, then continue. */
	if (more)
		queue_work(ltun_wq, work);
}
