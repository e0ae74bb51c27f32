// SPDX-License-Identifier: GPL-2.0
/*
 * Peer lifetime: creation from a userspace socket, and removal, which is the
 * only delicate part. Removal happens in two steps:
 *
 *   unlink  (under ltun_dev.lock) takes the peer out of the id table, the
 *           allowed-ips table and the socket's callbacks, so nothing new can
 *           find it;
 *   finish  (no locks) waits for an RCU grace period so no reader still
 *           holds it, cancels its workers, closes the socket, reports the
 *           removal and frees it.
 *
 * A peer's own worker cannot finish its peer (finishing waits for it), so a
 * worker that sees the connection fail records a reason and kicks the
 * device's reap work, which removes the peer from outside.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "device.h"
#include "netlink.h"
#include "peer.h"
#include "sock.h"
#include "tx.h"
#include "rx.h"

static void ltun_skb_free(void *ptr)
{
	kfree_skb(ptr);
}

/* Free a peer that no context can reach any more. */
static void ltun_peer_free(struct ltun_peer *peer)
{
	ltun_tx_batch_drop(peer);
	ptr_ring_cleanup(&peer->tx_ring, ltun_skb_free);
	kvfree(peer->rx_buf);
	ltun_stats_free(peer->stats);
	kfree(peer);
}

static bool ltun_peer_unlink(struct ltun_peer *peer,
			     enum ltun_del_reason reason)
{
	struct ltun_dev *ltun = peer->ltun;

	lockdep_assert_held(&ltun->lock);

	if (peer->unlinked)
		return false;
	peer->unlinked = true;
	peer->del_reason = reason;
	xa_erase(&ltun->peers, peer->id);
	ltun_aip_remove_all(&ltun->aips, &peer->aips);
	ltun_sock_detach(peer);
	ltun->n_peers--;
	return true;
}

static void ltun_peer_finish(struct list_head *dead)
{
	struct ltun_peer *peer, *tmp;

	if (list_empty(dead))
		return;

	/* Transmitters found the peer in the allowed-ips table and socket
	 * callbacks in sk_user_data, both under RCU: after this, none of them
	 * can still queue work on it.
	 */
	synchronize_rcu();

	list_for_each_entry_safe(peer, tmp, dead, reap_node) {
		cancel_work_sync(&peer->rx_work);
		cancel_work_sync(&peer->tx_work);

		/* The far end learns at once; the socket itself is closed when
		 * its last file reference goes.
		 */
		kernel_sock_shutdown(peer->sock, SHUT_RDWR);
		ltun_nl_notify_peer_del(peer);
		sockfd_put(peer->sock);
		list_del(&peer->reap_node);
		ltun_peer_free(peer);
	}
}

/**
 * ltun_peer_new() - attach a socket to a device as a new peer
 * @ltun: the device
 * @sock: socket from sockfd_lookup(); on success the peer owns this
 *	reference, on failure the caller still does
 * @flags: &enum ltun_peer_flags
 * @aips: allowed inner prefixes, each valid (ltun_aip_valid())
 * @n_aips: number of @aips
 * @id: the new peer's id, on success
 * @extack: error reporting
 *
 * Context: process, RTNL held (so the device cannot be unregistered under
 * us).
 * Return: 0 or a negative errno with @extack set.
 */
int ltun_peer_new(struct ltun_dev *ltun, struct socket *sock, u32 flags,
		  const struct ltun_aip *aips, unsigned int n_aips,
		  u32 *id, struct netlink_ext_ack *extack)
{
	struct ltun_aip_entry **entries;
	struct ltun_peer *peer;
	unsigned int i;
	int err;

	ASSERT_RTNL();

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return -ENOMEM;

	err = ltun_sock_check(sock, flags, &peer->tls_cipher,
			      &peer->tls_version, extack);
	if (err)
		goto err_free;

	peer->ltun = ltun;
	peer->flags = flags;
	peer->sock = sock;
	INIT_LIST_HEAD(&peer->aips);
	INIT_WORK(&peer->tx_work, ltun_tx_work);
	INIT_WORK(&peer->rx_work, ltun_rx_work);
	peer->created_ns = ktime_get_boottime_ns();
	/* Addresses are only for reports: a failure leaves them empty. */
	if (kernel_getpeername(sock, (struct sockaddr *)&peer->remote) < 0)
		memset(&peer->remote, 0, sizeof(peer->remote));
	if (kernel_getsockname(sock, (struct sockaddr *)&peer->local) < 0)
		memset(&peer->local, 0, sizeof(peer->local));

	err = -ENOMEM;
	peer->rx_buf = kvmalloc(LTUN_RX_BUF_SIZE, GFP_KERNEL);
	peer->stats = ltun_stats_alloc();
	if (!peer->rx_buf || !peer->stats ||
	    ptr_ring_init(&peer->tx_ring, LTUN_TX_RING_SIZE, GFP_KERNEL))
		goto err_free;

	/* Allocated up front so that nothing can fail once the peer is
	 * visible to the data path.
	 */
	entries = kcalloc(n_aips ?: 1, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		goto err_free;
	for (i = 0; i < n_aips; i++) {
		entries[i] = kzalloc(sizeof(*entries[i]), GFP_KERNEL);
		if (!entries[i])
			goto err_entries;
	}

	mutex_lock(&ltun->lock);
	if (ltun->n_peers >= ltun->max_peers) {
		NL_SET_ERR_MSG_MOD(extack, "device has reached its peer limit (max-peers)");
		err = -ENOSPC;
		goto err_unlock;
	}
	for (i = 0; i < n_aips; i++) {
		if (ltun_aip_owned_by_other(&ltun->aips, peer, &aips[i])) {
			NL_SET_ERR_MSG_MOD(extack, "allowed prefix is in use by another peer");
			err = -EADDRINUSE;
			goto err_unlock;
		}
	}
	err = xa_alloc_cyclic(&ltun->peers, &peer->id, peer, xa_limit_32b,
			      &ltun->next_id, GFP_KERNEL);
	if (err < 0)
		goto err_unlock;

	err = ltun_sock_attach(peer);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "socket is already in use");
		xa_erase(&ltun->peers, peer->id);
		goto err_unlock;
	}
	for (i = 0; i < n_aips; i++)
		ltun_aip_insert(&ltun->aips, peer, &peer->aips, entries[i],
				&aips[i]);
	ltun->n_peers++;
	*id = peer->id;
	mutex_unlock(&ltun->lock);
	kfree(entries);

	/* Bytes may have arrived before the hook was in place. */
	queue_work(ltun_wq, &peer->rx_work);
	return 0;

err_unlock:
	mutex_unlock(&ltun->lock);
err_entries:
	for (i = 0; i < n_aips; i++)
		kfree(entries[i]);
	kfree(entries);
err_free:
	if (peer->tx_ring.queue)
		ptr_ring_cleanup(&peer->tx_ring, NULL);
	kvfree(peer->rx_buf);
	if (peer->stats)
		ltun_stats_free(peer->stats);
	kfree(peer);
	return err;
}

/**
 * ltun_peer_del() - remove a peer on request
 * @ltun: the device
 * @id: the peer
 *
 * Context: process; not from a peer worker.
 * Return: 0 or -ENOENT.
 */
int ltun_peer_del(struct ltun_dev *ltun, u32 id)
{
	struct ltun_peer *peer;
	LIST_HEAD(dead);

	mutex_lock(&ltun->lock);
	peer = xa_load(&ltun->peers, id);
	if (peer && ltun_peer_unlink(peer, LTUN_DEL_REASON_ADMIN))
		list_add(&peer->reap_node, &dead);
	mutex_unlock(&ltun->lock);

	if (!peer)
		return -ENOENT;
	ltun_peer_finish(&dead);
	return 0;
}

/**
 * ltun_peer_del_all() - remove every peer of a device
 * @ltun: the device
 * @reason: reported for each peer
 *
 * One grace period covers all of them, so deleting a busy hub is quick.
 *
 * Context: process; not from a peer worker.
 */
void ltun_peer_del_all(struct ltun_dev *ltun, enum ltun_del_reason reason)
{
	struct ltun_peer *peer;
	unsigned long id;
	LIST_HEAD(dead);

	mutex_lock(&ltun->lock);
	xa_for_each(&ltun->peers, id, peer) {
		if (ltun_peer_unlink(peer, reason))
			list_add_tail(&peer->reap_node, &dead);
	}
	mutex_unlock(&ltun->lock);
	ltun_peer_finish(&dead);
}

/**
 * ltun_peer_fail() - a worker saw the connection end; have the peer removed
 * @peer: the peer
 * @reason: why; only the first report counts
 *
 * Context: any.
 */
void ltun_peer_fail(struct ltun_peer *peer, enum ltun_del_reason reason)
{
	if (atomic_cmpxchg(&peer->fail_reason, 0, reason) == 0)
		queue_work(ltun_wq, &peer->ltun->reap_work);
}

/**
 * ltun_reap_work() - remove the peers that failed
 * @work: &ltun_dev.reap_work
 */
void ltun_reap_work(struct work_struct *work)
{
	struct ltun_dev *ltun = container_of(work, struct ltun_dev, reap_work);
	struct ltun_peer *peer;
	unsigned long id;
	LIST_HEAD(dead);
	int reason;

	mutex_lock(&ltun->lock);
	xa_for_each(&ltun->peers, id, peer) {
		reason = atomic_read(&peer->fail_reason);
		if (reason && ltun_peer_unlink(peer, reason))
			list_add_tail(&peer->reap_node, &dead);
	}
	mutex_unlock(&ltun->lock);
	ltun_peer_finish(&dead);
}
