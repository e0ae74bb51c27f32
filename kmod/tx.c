// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit path. ndo_start_xmit (any CPU, softirq) puts packets on the
 * destination peer's bounded ring and kicks the peer's worker; the worker
 * (process context, since kTLS sendmsg takes a mutex and may sleep) frames
 * a batch of packets and hands it to one non-blocking sendmsg(), so kTLS
 * packs several packets into each record. When the socket is full the
 * worker stops and the socket's write_space callback wakes it again; the
 * ring fills up meanwhile and overflow is dropped and counted, which bounds
 * the memory a slow or stalled peer can pin.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ltun_wire.h>
#include <linux/tcp.h>
#include <net/sock.h>

#include "compat.h"

#include "conn.h"
#include "device.h"
#include "frame.h"
#include "peer.h"
#include "sock.h"
#include "tx.h"

/* Batches per worker run before it yields to other peers' work. */
#define LTUN_TX_ROUNDS		16

/* GSO types a GSO frame can carry (ECN: CWR on the first segment only). */
#define LTUN_TX_GSO_TYPES	(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_DODGY | \
				 SKB_GSO_TCP_ECN | SKB_GSO_TCP_FIXEDID)

static void ltun_tx_count(struct ltun_peer *peer, enum ltun_stat why)
{
	ltun_stats_add(peer->stats, why, 1);
	ltun_stats_add(peer->ltun->stats, why, 1);
}

/*
 * Can @skb, a GSO packet, cross to @peer as one GSO frame? Only a TCP
 * super-packet (IPv4, or IPv6 with TCP right after the fixed header) whose
 * checksum is still to be done, within the frame size and segment count
 * the receiver accepts (ltun_gso_parse()), and only to a peer that said
 * it takes such frames.
 */
static bool ltun_tx_gso_ok(const struct ltun_peer *peer,
			   const struct sk_buff *skb)
{
	const struct skb_shared_info *shi = skb_shinfo(skb);
	unsigned int hlen;

	if (!(READ_ONCE(peer->flags) & LTUN_PEER_F_GSO) ||
	    skb->ip_summed != CHECKSUM_PARTIAL ||
	    skb->len > LTUN_WIRE_MAX_DATA ||
	    (shi->gso_type & ~LTUN_TX_GSO_TYPES) ||
	    skb_checksum_start_offset(skb) != skb_transport_offset(skb))
		return false;
	if (skb->protocol == htons(ETH_P_IP)) {
		if (!(shi->gso_type & SKB_GSO_TCPV4) ||
		    ip_hdr(skb)->protocol != IPPROTO_TCP)
			return false;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		if (!(shi->gso_type & SKB_GSO_TCPV6) ||
		    ipv6_hdr(skb)->nexthdr != IPPROTO_TCP ||
		    skb_transport_offset(skb) != sizeof(struct ipv6hdr))
			return false;
	} else {
		return false;
	}
	hlen = skb_tcp_all_headers(skb);
	return skb->len > hlen &&
	       DIV_ROUND_UP(skb->len - hlen, shi->gso_size) <= LTUN_GSO_MAX_SEGS;
}

/* Put one packet on the ring, within its packet and byte bounds. */
static void ltun_tx_produce(struct ltun_peer *peer, struct sk_buff *skb)
{
	/* A checksum the far end would have to finish: only GSO frames
	 * say so on the wire.
	 */
	if (!skb_is_gso(skb) && skb->ip_summed == CHECKSUM_PARTIAL &&
	    unlikely(skb_checksum_help(skb))) {
		ltun_tx_count(peer, LTUN_STAT_TX_OTHER_DROPS);
		kfree_skb(skb);
		return;
	}
	if (unlikely(atomic_add_return(skb->len, &peer->tx_ring_bytes) >
		     LTUN_TX_RING_BYTES))
		goto full;
	if (unlikely(ptr_ring_produce_bh(&peer->tx_ring, skb))) {
		atomic_sub(skb->len, &peer->tx_ring_bytes);
		goto full;
	}
	return;
full:
	ltun_tx_count(peer, LTUN_STAT_TX_QUEUE_FULL);
	kfree_skb(skb);
}

/* Cut a super-packet the peer cannot take whole into ordinary packets. */
static void ltun_tx_segment(struct ltun_peer *peer, struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next;

	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		ltun_tx_count(peer, LTUN_STAT_TX_OTHER_DROPS);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		ltun_tx_produce(peer, seg);
	}
}

/**
 * ltun_tx_queue() - queue a packet for a peer
 * @peer: destination, found under RCU by the caller
 * @skb: an IPv4 or IPv6 packet; consumed. A GSO packet the peer cannot
 *	take as one frame is cut into segments here; a pending checksum is
 *	filled in, except in a super-packet that goes out whole.
 *
 * Context: softirq or process, inside the RCU read section that found
 * @peer.
 */
void ltun_tx_queue(struct ltun_peer *peer, struct sk_buff *skb)
{
	if (skb_is_gso(skb) && !ltun_tx_gso_ok(peer, skb))
		ltun_tx_segment(peer, skb);
	else
		ltun_tx_produce(peer, skb);
	queue_work(ltun_wq, &peer->tx_work);
}

/* Free the packets of the batch in flight. */
void ltun_tx_batch_drop(struct ltun_peer *peer)
{
	struct ltun_tx_batch *b = &peer->tx;
	unsigned int i;

	for (i = 0; i < b->n; i++)
		kfree_skb(b->skbs[i]);
	b->n = 0;
	b->niov = 0;
	b->total = 0;
	b->sent = 0;
	b->keepalive = false;
}

/* Make the empty batch one keepalive frame. */
static void ltun_tx_fill_keepalive(struct ltun_peer *peer)
{
	struct ltun_tx_batch *b = &peer->tx;

	b->hdrs[0] = (struct ltun_wire_hdr) { .type = LTUN_WIRE_KEEPALIVE };
	b->iov[0].iov_base = &b->hdrs[0];
	b->iov[0].iov_len = sizeof(b->hdrs[0]);
	b->skbs[0] = NULL;
	b->n = 1;
	b->niov = 1;
	b->total = sizeof(b->hdrs[0]);
	b->keepalive = true;
}

/*
 * Add @skb to the batch as one frame: its header, then its linear part
 * and each page fragment as they are (nothing is copied here; kTLS copies
 * while it encrypts). The device does not advertise NETIF_F_HIGHDMA, so
 * every fragment is in lowmem and has an address.
 */
static void ltun_tx_add(struct ltun_tx_batch *b, struct sk_buff *skb)
{
	struct ltun_wire_hdr *hdr = &b->hdrs[b->n];
	unsigned int i;

	*hdr = (struct ltun_wire_hdr) {
		.type = LTUN_WIRE_DATA,
		.len = htonl(skb->len),
	};
	if (skb_is_gso(skb)) {
		hdr->flags = LTUN_WIRE_F_GSO;
		hdr->reserved = htons(skb_shinfo(skb)->gso_size);
	}
	b->iov[b->niov++] = (struct kvec) { hdr, sizeof(*hdr) };
	if (skb_headlen(skb))
		b->iov[b->niov++] = (struct kvec) { skb->data, skb_headlen(skb) };
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		b->iov[b->niov++] = (struct kvec) {
			skb_frag_address(frag), skb_frag_size(frag)
		};
	}
	b->skbs[b->n++] = skb;
	b->total += sizeof(*hdr) + skb->len;
}

/*
 * The next packet on the ring if its pieces fit in @room more vector
 * entries, else NULL (it stays for the next batch).
 */
static struct sk_buff *ltun_tx_take(struct ltun_peer *peer, unsigned int room)
{
	struct sk_buff *skb;

	spin_lock_bh(&peer->tx_ring.consumer_lock);
	skb = __ptr_ring_peek(&peer->tx_ring);
	if (skb && 2 + skb_shinfo(skb)->nr_frags <= room)
		__ptr_ring_consume(&peer->tx_ring);
	else
		skb = NULL;
	spin_unlock_bh(&peer->tx_ring.consumer_lock);
	return skb;
}

/* Take packets off the ring into an empty batch. Return: packets taken. */
static unsigned int ltun_tx_fill(struct ltun_peer *peer)
{
	struct ltun_tx_batch *b = &peer->tx;
	struct sk_buff *skb;

	BUILD_BUG_ON(LTUN_TX_VECS < 2 + MAX_SKB_FRAGS);
	while (b->n < LTUN_TX_BATCH) {
		skb = ltun_tx_take(peer, LTUN_TX_VECS - b->niov);
		if (!skb)
			break;
		atomic_sub(skb->len, &peer->tx_ring_bytes);

		/* A fragment list (a forwarded GRO packet) has no place in
		 * the vector; nor has a super-packet for a peer that has
		 * since stopped taking them (PEER_SET), which TCP resends.
		 */
		if (unlikely((skb_has_frag_list(skb) && __skb_linearize(skb)) ||
			     (skb_is_gso(skb) &&
			      !(READ_ONCE(peer->flags) & LTUN_PEER_F_GSO)))) {
			ltun_tx_count(peer, LTUN_STAT_TX_OTHER_DROPS);
			kfree_skb(skb);
			continue;
		}
		ltun_tx_add(b, skb);
	}
	return b->n;
}

/*
 * Write the rest of the batch. Return: 0 when all of it is written,
 * -EAGAIN when the socket is full, another negative errno when the
 * connection is broken.
 */
static int ltun_tx_send(struct ltun_peer *peer)
{
	struct ltun_tx_batch *b = &peer->tx;
	struct msghdr msg = {};
	int ret;

	while (b->sent < b->total) {
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, b->iov, b->niov,
			      b->total);
		iov_iter_advance(&msg.msg_iter, b->sent);
		ret = sock_sendmsg(peer->conn->sock, &msg);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -EAGAIN;
		b->sent += ret;
	}
	return 0;
}

/* The whole batch is on the socket: count it and release the packets. */
static void ltun_tx_batch_done(struct ltun_peer *peer)
{
	struct ltun_tx_batch *b = &peer->tx;
	u64 bytes = b->total - b->n * sizeof(struct ltun_wire_hdr);
	unsigned int i;

	WRITE_ONCE(peer->last_tx, jiffies);
	if (b->keepalive) {
		ltun_stats_add(peer->stats, LTUN_STAT_TX_KEEPALIVES, 1);
		ltun_stats_add(peer->ltun->stats, LTUN_STAT_TX_KEEPALIVES, 1);
		b->keepalive = false;
		b->n = 0;
		b->niov = 0;
		b->total = 0;
		b->sent = 0;
		return;
	}
	/* Data proves we are alive as well as a keepalive would. */
	atomic_set(&peer->keepalive_due, 0);
	ltun_stats_add2(peer->stats, LTUN_STAT_TX_PACKETS, b->n,
			LTUN_STAT_TX_BYTES, bytes);
	ltun_stats_add2(peer->ltun->stats, LTUN_STAT_TX_PACKETS, b->n,
			LTUN_STAT_TX_BYTES, bytes);
	for (i = 0; i < b->n; i++)
		consume_skb(b->skbs[i]);
	b->n = 0;
	b->niov = 0;
	b->total = 0;
	b->sent = 0;
}

/**
 * ltun_tx_work() - the peer's transmit worker
 * @work: &ltun_peer.tx_work
 */
void ltun_tx_work(struct work_struct *work)
{
	struct ltun_peer *peer = container_of(work, struct ltun_peer, tx_work);
	int rounds = LTUN_TX_ROUNDS;
	int err;

	if (atomic_read(&peer->fail_reason))
		return;

	while (rounds--) {
		if (!peer->tx.n) {
			/* Between batches: where a renewal takes over. */
			ltun_conn_tx(peer);
			if (!ltun_tx_fill(peer)) {
				if (!atomic_xchg(&peer->keepalive_due, 0))
					return;
				ltun_tx_fill_keepalive(peer);
			}
		}

		err = ltun_tx_send(peer);
		if (err == -EAGAIN)
			return;	/* write_space queues us again */
		if (err) {
			net_dbg_ratelimited("%s: peer %u: send failed: %d\n",
					    peer->ltun->dev->name, peer->id, err);
			ltun_tx_batch_drop(peer);
			ltun_peer_fail(peer, LTUN_DEL_REASON_ERROR);
			return;
		}
		ltun_tx_batch_done(peer);
		/* Our key for this direction is worn out: userspace did not
		 * renew in time (LTUN_RECORDS_RENEW).
		 */
		if (unlikely(ltun_sock_records(peer->conn->sock, true) >=
			     LTUN_RECORDS_LIMIT)) {
			ltun_peer_fail(peer, LTUN_DEL_REASON_EXPIRED);
			return;
		}
	}
	/* More queued than one run may send: let other peers' work run. */
	queue_work(ltun_wq, work);
}
