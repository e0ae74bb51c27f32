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
	ltun_conn_detach_all(peer);
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
		/* Before the workers: it may queue the TX worker. */
		cancel_delayed_work_sync(&peer->keepalive_work);
		cancel_work_sync(&peer->rx_work);
		cancel_work_sync(&peer->tx_work);
		cancel_work_sync(&peer->retire_work);

		ltun_nl_notify_peer_del(peer);
		ltun_conn_free_all(peer);
		list_del(&peer->reap_node);
		ltun_peer_free(peer);
	}
}

/* Check a keepalive interval and timeout that are about to apply together. */
static int ltun_peer_check_keepalive(u32 keepalive_ms, u32 timeout_ms,
				     struct netlink_ext_ack *extack)
{
	if (keepalive_ms && (keepalive_ms < LTUN_KEEPALIVE_MIN_MS ||
			     keepalive_ms > LTUN_KEEPALIVE_MAX_MS)) {
		NL_SET_ERR_MSG_MOD(extack, "keepalive must be 0 (off) or 100 ms .. 1 hour");
		return -ERANGE;
	}
	if (timeout_ms && keepalive_ms && timeout_ms <= keepalive_ms) {
		NL_SET_ERR_MSG_MOD(extack, "timeout must be longer than the keepalive interval");
		return -EINVAL;
	}
	return 0;
}

/* How often the keepalive work looks: often enough for both duties. */
static unsigned long ltun_keepalive_tick(u32 keepalive_ms, u32 timeout_ms)
{
	u32 ms = keepalive_ms;

	/* A silent peer goes within a quarter timeout of its deadline. */
	if (timeout_ms && (!ms || timeout_ms / 4 < ms))
		ms = timeout_ms / 4;
	return msecs_to_jiffies(max(ms, 50U));
}

/**
 * ltun_keepalive_work() - keep an idle connection alive, end a silent one
 * @work: &ltun_peer.keepalive_work
 *
 * Runs while the peer has a keepalive interval or a timeout. TCP would
 * notice a dead path only after many minutes of retransmissions, and not
 * at all on an idle connection; these frames make both ends notice within
 * the timeout.
 */
void ltun_keepalive_work(struct work_struct *work)
{
	struct ltun_peer *peer = container_of(to_delayed_work(work),
					      struct ltun_peer, keepalive_work);
	u32 keepalive_ms = READ_ONCE(peer->keepalive_ms);
	u32 timeout_ms = READ_ONCE(peer->timeout_ms);
	unsigned long now = jiffies;

	if (atomic_read(&peer->fail_reason))
		return;
	if (timeout_ms && time_after(now, READ_ONCE(peer->last_rx) +
					  msecs_to_jiffies(timeout_ms))) {
		net_info_ratelimited("%s: peer %u: nothing received for %u ms\n",
				     peer->ltun->dev->name, peer->id, timeout_ms);
		ltun_peer_fail(peer, LTUN_DEL_REASON_TIMEOUT);
		return;
	}
	/* A far end that never finishes a replaced connection gets as long
	 * as a silent peer would.
	 */
	ltun_conn_expire_old(peer, msecs_to_jiffies(timeout_ms ?:
						    LTUN_TIMEOUT_DEFAULT_MS));
	if (keepalive_ms && time_after_eq(now, READ_ONCE(peer->last_tx) +
					       msecs_to_jiffies(keepalive_ms))) {
		atomic_set(&peer->keepalive_due, 1);
		queue_work(ltun_wq, &peer->tx_work);
	}
	if (keepalive_ms || timeout_ms)
		queue_delayed_work(ltun_wq, &peer->keepalive_work,
				   ltun_keepalive_tick(keepalive_ms, timeout_ms));
}

/* Preallocate one table entry per prefix: inserting then cannot fail. */
static struct ltun_aip_entry **ltun_aip_entries_alloc(unsigned int n)
{
	struct ltun_aip_entry **entries;
	unsigned int i;

	entries = kcalloc(n ?: 1, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		return NULL;
	for (i = 0; i < n; i++) {
		entries[i] = kzalloc(sizeof(*entries[i]), GFP_KERNEL);
		if (!entries[i]) {
			while (i--)
				kfree(entries[i]);
			kfree(entries);
			return NULL;
		}
	}
	return entries;
}

/* Free entries the table did not take (from @from on). */
static void ltun_aip_entries_free(struct ltun_aip_entry **entries,
				  unsigned int from, unsigned int n)
{
	unsigned int i;

	for (i = from; i < n; i++)
		kfree(entries[i]);
	kfree(entries);
}

/* Is any of @aips owned by a peer other than @peer? */
static int ltun_peer_check_aips(struct ltun_dev *ltun, struct ltun_peer *peer,
				const struct ltun_peer_cfg *cfg,
				struct netlink_ext_ack *extack)
{
	unsigned int i;

	lockdep_assert_held(&ltun->lock);

	for (i = 0; i < cfg->n_aips; i++) {
		if (ltun_aip_owned_by_other(&ltun->aips, peer, &cfg->aips[i])) {
			NL_SET_ERR_MSG_MOD(extack, "allowed prefix is in use by another peer");
			return -EADDRINUSE;
		}
	}
	return 0;
}

/**
 * ltun_peer_new() - attach a socket to a device as a new peer
 * @ltun: the device
 * @sock: socket from sockfd_lookup(); on success the peer owns this
 *	reference, on failure the caller still does
 * @cfg: flags, name, keepalive and allowed prefixes (absent keepalive
 *	settings take the defaults)
 * @id: the new peer's id, on success
 * @extack: error reporting
 *
 * Context: process, RTNL held (so the device cannot be unregistered under
 * us).
 * Return: 0 or a negative errno with @extack set.
 */
int ltun_peer_new(struct ltun_dev *ltun, struct socket *sock,
		  const struct ltun_peer_cfg *cfg, u32 *id,
		  struct netlink_ext_ack *extack)
{
	struct ltun_aip_entry **entries;
	struct ltun_peer *peer;
	unsigned int i;
	int err;

	ASSERT_RTNL();

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return -ENOMEM;

	peer->keepalive_ms = cfg->set_keepalive ? cfg->keepalive_ms :
						  LTUN_KEEPALIVE_DEFAULT_MS;
	peer->timeout_ms = cfg->set_timeout ? cfg->timeout_ms :
					      LTUN_TIMEOUT_DEFAULT_MS;
	err = ltun_peer_check_keepalive(peer->keepalive_ms, peer->timeout_ms,
					extack);
	if (err)
		goto err_free;

	err = ltun_sock_check(sock, cfg->flags, &peer->tls_cipher,
			      &peer->tls_version, extack);
	if (err)
		goto err_free;

	peer->ltun = ltun;
	peer->flags = cfg->flags;
	spin_lock_init(&peer->conn_lock);
	INIT_LIST_HEAD(&peer->retired);
	INIT_WORK(&peer->retire_work, ltun_conn_retire_work);
	if (cfg->name)
		strscpy(peer->name, cfg->name, sizeof(peer->name));
	INIT_LIST_HEAD(&peer->aips);
	INIT_WORK(&peer->tx_work, ltun_tx_work);
	INIT_WORK(&peer->rx_work, ltun_rx_work);
	INIT_DELAYED_WORK(&peer->keepalive_work, ltun_keepalive_work);
	peer->created_ns = ktime_get_boottime_ns();
	peer->last_rx = jiffies;
	peer->last_tx = jiffies;
	/* Addresses are only for reports: a failure leaves them empty. */
	if (kernel_getpeername(sock, (struct sockaddr *)&peer->remote) < 0)
		memset(&peer->remote, 0, sizeof(peer->remote));
	if (kernel_getsockname(sock, (struct sockaddr *)&peer->local) < 0)
		memset(&peer->local, 0, sizeof(peer->local));

	err = -ENOMEM;
	peer->conn = ltun_conn_alloc(peer, sock);
	peer->stats = ltun_stats_alloc();
	if (!peer->conn || !peer->stats ||
	    ptr_ring_init(&peer->tx_ring, LTUN_TX_RING_SIZE, GFP_KERNEL))
		goto err_free;

	/* Allocated up front so that nothing can fail once the peer is
	 * visible to the data path.
	 */
	entries = ltun_aip_entries_alloc(cfg->n_aips);
	if (!entries)
		goto err_free;

	mutex_lock(&ltun->lock);
	if (ltun->n_peers >= ltun->max_peers) {
		NL_SET_ERR_MSG_MOD(extack, "device has reached its peer limit (max-peers)");
		err = -ENOSPC;
		goto err_unlock;
	}
	err = ltun_peer_check_aips(ltun, peer, cfg, extack);
	if (err)
		goto err_unlock;
	err = xa_alloc_cyclic(&ltun->peers, &peer->id, peer, xa_limit_32b,
			      &ltun->next_id, GFP_KERNEL);
	if (err < 0)
		goto err_unlock;

	err = ltun_sock_attach(peer->conn);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "socket is already in use");
		xa_erase(&ltun->peers, peer->id);
		goto err_unlock;
	}
	for (i = 0; i < cfg->n_aips; i++)
		ltun_aip_insert(&ltun->aips, peer, &peer->aips, entries[i],
				&cfg->aips[i]);
	ltun->n_peers++;
	*id = peer->id;
	/* Bytes may have arrived before the hook was in place. */
	queue_work(ltun_wq, &peer->rx_work);
	/*
	 * A first keepalive tells the far end at once that this side's
	 * kernel has the peer: a client's ltunctl waits for it before it
	 * reports the tunnel up, since the server hands its socket over
	 * only after it has sent WELCOME.
	 */
	atomic_set(&peer->keepalive_due, 1);
	queue_work(ltun_wq, &peer->tx_work);
	if (peer->keepalive_ms || peer->timeout_ms)
		queue_delayed_work(ltun_wq, &peer->keepalive_work,
				   ltun_keepalive_tick(peer->keepalive_ms,
						       peer->timeout_ms));
	mutex_unlock(&ltun->lock);
	kfree(entries);
	return 0;

err_unlock:
	mutex_unlock(&ltun->lock);
	ltun_aip_entries_free(entries, 0, cfg->n_aips);
err_free:
	if (peer->tx_ring.queue)
		ptr_ring_cleanup(&peer->tx_ring, NULL);
	if (peer->conn)
		ltun_conn_free(peer->conn);
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
 * ltun_peer_set() - change a live peer
 * @ltun: the device
 * @id: the peer
 * @cfg: what to change (name, keepalive, allowed prefixes, a new
 *	connection); all or nothing. On success the peer owns @cfg->sock's
 *	reference, on failure the caller still does.
 * @changes: &enum ltun_peer_changes done, for the notification
 * @extack: error reporting
 *
 * Context: process, RTNL held.
 * Return: 0 or a negative errno with @extack set.
 */
int ltun_peer_set(struct ltun_dev *ltun, u32 id, const struct ltun_peer_cfg *cfg,
		  u32 *changes, struct netlink_ext_ack *extack)
{
	struct ltun_aip_entry **entries = NULL;
	struct ltun_conn *conn = NULL;
	u32 keepalive_ms, timeout_ms;
	u16 cipher, version;
	struct ltun_peer *peer;
	int err;

	ASSERT_RTNL();
	*changes = 0;

	if (cfg->set_aips) {
		entries = ltun_aip_entries_alloc(cfg->n_aips);
		if (!entries)
			return -ENOMEM;
	}

	mutex_lock(&ltun->lock);
	peer = xa_load(&ltun->peers, id);
	if (!peer) {
		NL_SET_ERR_MSG_MOD(extack, "no such peer");
		err = -ENOENT;
		goto out;
	}
	keepalive_ms = cfg->set_keepalive ? cfg->keepalive_ms : peer->keepalive_ms;
	timeout_ms = cfg->set_timeout ? cfg->timeout_ms : peer->timeout_ms;
	err = ltun_peer_check_keepalive(keepalive_ms, timeout_ms, extack);
	if (err)
		goto out;
	if (cfg->set_aips) {
		err = ltun_peer_check_aips(ltun, peer, cfg, extack);
		if (err)
			goto out;
	}
	/* Whether the far end takes GSO frames is re-negotiated with each
	 * connection; whether it is encrypted is not.
	 */
	if (cfg->set_flags && ((cfg->flags ^ peer->flags) & ~LTUN_PEER_F_GSO)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "only the gso flag can change after the peer is created");
		err = -EINVAL;
		goto out;
	}
	if (cfg->sock) {
		err = ltun_sock_check(cfg->sock, peer->flags, &cipher, &version,
				      extack);
		if (err)
			goto out;
		err = -ENOMEM;
		conn = ltun_conn_alloc(peer, cfg->sock);
		if (!conn)
			goto out;
		err = ltun_conn_handover(peer, conn, extack);
		if (err)
			goto out;
		conn = NULL;
		peer->tls_cipher = cipher;
		peer->tls_version = version;
		if (kernel_getpeername(cfg->sock, (struct sockaddr *)&peer->remote) < 0)
			memset(&peer->remote, 0, sizeof(peer->remote));
		if (kernel_getsockname(cfg->sock, (struct sockaddr *)&peer->local) < 0)
			memset(&peer->local, 0, sizeof(peer->local));
		*changes |= LTUN_PEER_CHANGE_SOCKET;
	}

	/* Nothing fails from here on. */
	if (cfg->set_aips) {
		ltun_aip_replace(&ltun->aips, peer, &peer->aips, entries,
				 cfg->aips, cfg->n_aips);
		kfree(entries);
		entries = NULL;
		*changes |= LTUN_PEER_CHANGE_ALLOWED_IPS;
	}
	if (cfg->set_flags && cfg->flags != peer->flags) {
		WRITE_ONCE(peer->flags, cfg->flags);
		*changes |= LTUN_PEER_CHANGE_FLAGS;
	}
	if (cfg->name) {
		strscpy(peer->name, cfg->name, sizeof(peer->name));
		*changes |= LTUN_PEER_CHANGE_NAME;
	}
	if (cfg->set_keepalive || cfg->set_timeout) {
		WRITE_ONCE(peer->keepalive_ms, keepalive_ms);
		WRITE_ONCE(peer->timeout_ms, timeout_ms);
		/* Whatever runs now starts over: a peer that was
		 * legitimately quiet is not timed out by a shorter timeout.
		 */
		WRITE_ONCE(peer->last_rx, jiffies);
		mod_delayed_work(ltun_wq, &peer->keepalive_work, 0);
		*changes |= LTUN_PEER_CHANGE_KEEPALIVE;
	}
out:
	mutex_unlock(&ltun->lock);
	if (conn)
		ltun_conn_free(conn);
	if (entries)
		ltun_aip_entries_free(entries, 0, cfg->n_aips);
	return err;
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
