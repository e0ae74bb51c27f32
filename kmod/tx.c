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
#include <linux/ltun_wire.h>
#include <net/sock.h>

#include "conn.h"
#include "device.h"
#include "peer.h"
#include "sock.h"
#include "tx.h"

/* Batches per worker run before it yields to other peers' work. */
#define LTUN_TX_ROUNDS		16

/**
 * ltun_tx_queue() - queue a packet for a peer
 * @peer: destination, found under RCU by the caller
 * @skb: an IPv4 or IPv6 packet; consumed
 *
 * Context: softirq or process, inside the RCU read section that found
 * @peer.
 */
void ltun_tx_queue(struct ltun_peer *peer, struct sk_buff *skb)
{
	if (unlikely(ptr_ring_produce_bh(&peer->tx_ring, skb))) {
		ltun_stats_add(peer->stats, LTUN_STAT_TX_QUEUE_FULL, 1);
		ltun_stats_add(peer->ltun->stats, LTUN_STAT_TX_QUEUE_FULL, 1);
		kfree_skb(skb);
		return;
	}
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
	b->iov[1].iov_base = NULL;
	b->iov[1].iov_len = 0;
	b->skbs[0] = NULL;
	b->n = 1;
	b->total = sizeof(b->hdrs[0]);
	b->keepalive = true;
}

/* Take packets off the ring into an empty batch. Return: packets taken. */
static unsigned int ltun_tx_fill(struct ltun_peer *peer)
{
	struct ltun_tx_batch *b = &peer->tx;
	struct sk_buff *skb;

	while (b->n < LTUN_TX_BATCH) {
		skb = ptr_ring_consume_bh(&peer->tx_ring);
		if (!skb)
			break;
		/* Without NETIF_F_SG the stack hands us linear packets; this
		 * only guards against the unexpected.
		 */
		if (unlikely(skb_linearize(skb))) {
			ltun_stats_add(peer->stats, LTUN_STAT_TX_OTHER_DROPS, 1);
			ltun_stats_add(peer->ltun->stats, LTUN_STAT_TX_OTHER_DROPS, 1);
			kfree_skb(skb);
			continue;
		}
		b->hdrs[b->n] = (struct ltun_wire_hdr) {
			.type = LTUN_WIRE_DATA,
			.len = htonl(skb->len),
		};
		b->iov[2 * b->n].iov_base = &b->hdrs[b->n];
		b->iov[2 * b->n].iov_len = sizeof(b->hdrs[b->n]);
		b->iov[2 * b->n + 1].iov_base = skb->data;
		b->iov[2 * b->n + 1].iov_len = skb->len;
		b->skbs[b->n++] = skb;
		b->total += sizeof(struct ltun_wire_hdr) + skb->len;
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
		iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, b->iov, 2 * b->n,
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
