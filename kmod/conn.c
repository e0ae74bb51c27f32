// SPDX-License-Identifier: GPL-2.0
/*
 * A peer has one connection, except while it is renewed. TLS keys must not
 * be used forever (RFC 8446, section 5.5), and the kernels we support
 * cannot rekey a kTLS socket, so renewal is make-before-break: userspace
 * opens and authenticates a fresh TLS connection to the same far end and
 * hands it over with PEER_SET. Then, on each side independently,
 *
 *   1. the RX worker reads the new connection at once, and the TX worker
 *      sends a keepalive frame on it as a marker, but keeps sending data on
 *      the old one;
 *   2. once something arrives on the new connection, the far end has it
 *      too (the marker proves it), so the TX worker moves to it between two
 *      batches, so that no frame is split across connections, and shuts
 *      down sending on the old one: the far end reads the old stream to its
 *      end, then sees EOF;
 *   3. the old connection is closed once this side has read its far end's
 *      EOF as well, so both sides have every frame of it.
 *
 * Waiting for the marker is what makes the far end's EOF on the old
 * connection unambiguous: it can only come after this side has the new
 * connection, so an EOF on the only connection still means the peer has
 * gone, however the two sides' handovers interleave.
 *
 * Nothing is lost. Packets of the two streams may interleave on arrival,
 * a reordering IP allows.
 *
 * Locking: &ltun_peer.conn_lock, a spinlock taken by the workers once per
 * run (never per packet), guards which connection is current, next and
 * draining, their @rx_eof and @tx_done flags and the retired list. Lock
 * order: &ltun_dev.lock, then conn_lock, then a socket's sk_callback_lock.
 */
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/sock.h>

#include <linux/ltun_wire.h>

#include "conn.h"
#include "device.h"
#include "peer.h"
#include "sock.h"

/**
 * ltun_conn_alloc() - a connection for a socket, not yet attached
 * @peer: the owner
 * @sock: from sockfd_lookup(); the connection owns the reference once
 *	attached (ltun_conn_handover() or the peer's creation succeeded)
 *
 * Return: the connection, or NULL without memory.
 */
struct ltun_conn *ltun_conn_alloc(struct ltun_peer *peer, struct socket *sock)
{
	struct ltun_conn *conn;
	unsigned int i;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return NULL;
	conn->rx_buf = vmalloc(LTUN_RX_BUF_SIZE);
	if (!conn->rx_buf) {
		kfree(conn);
		return NULL;
	}
	for (i = 0; i < LTUN_RX_BUF_PAGES; i++)
		bvec_set_page(&conn->rx_bvec[i],
			      vmalloc_to_page(conn->rx_buf + i * PAGE_SIZE),
			      PAGE_SIZE, 0);
	conn->peer = peer;
	conn->sock = sock;
	conn->created_ns = ktime_get_boottime_ns();
	INIT_LIST_HEAD(&conn->retire_node);
	return conn;
}

/**
 * ltun_conn_free() - free a connection that was never attached
 * @conn: the connection; its socket reference stays with the caller
 */
void ltun_conn_free(struct ltun_conn *conn)
{
	vfree(conn->rx_buf);
	kfree(conn);
}

/* Close and free a detached connection that no worker uses any more. */
static void ltun_conn_close(struct ltun_conn *conn)
{
	/* The far end learns at once; the socket itself is closed when its
	 * last file reference goes.
	 */
	kernel_sock_shutdown(conn->sock, SHUT_RDWR);
	sockfd_put(conn->sock);
	ltun_conn_free(conn);
}

/* Context: holds @peer->conn_lock; @conn is done with by both workers. */
static void ltun_conn_retire_locked(struct ltun_peer *peer,
				    struct ltun_conn *conn)
{
	lockdep_assert_held(&peer->conn_lock);

	if (peer->old == conn)
		peer->old = NULL;
	list_add_tail(&conn->retire_node, &peer->retired);
	queue_work(ltun_wq, &peer->retire_work);
}

/**
 * ltun_conn_handover() - give a peer its next connection (renewal)
 * @peer: a linked peer
 * @conn: the new connection (ltun_conn_alloc()); owned by the peer on
 *	success
 * @extack: error reporting
 *
 * Context: process, holds &ltun_dev.lock (one renewal at a time).
 * Return: 0, or -EBUSY while the previous renewal is not finished or when
 * the socket is in use.
 */
int ltun_conn_handover(struct ltun_peer *peer, struct ltun_conn *conn,
		       struct netlink_ext_ack *extack)
{
	bool busy;
	int err;

	lockdep_assert_held(&peer->ltun->lock);

	spin_lock_bh(&peer->conn_lock);
	busy = peer->next || peer->old;
	spin_unlock_bh(&peer->conn_lock);
	if (busy) {
		NL_SET_ERR_MSG_MOD(extack, "the previous renewal is still in progress");
		return -EBUSY;
	}
	err = ltun_sock_attach(conn);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "socket is already in use");
		return err;
	}
	spin_lock_bh(&peer->conn_lock);
	peer->next = conn;
	peer->renewals++;
	spin_unlock_bh(&peer->conn_lock);

	queue_work(ltun_wq, &peer->rx_work);
	queue_work(ltun_wq, &peer->tx_work);
	return 0;
}

/*
 * Send the handover marker, a keepalive frame, on a new connection. Its
 * send buffer is empty, so 8 bytes either go at once or not at all.
 * Return: 0, -EAGAIN (write_space brings the worker back) or an error.
 */
static int ltun_conn_send_marker(struct ltun_conn *conn)
{
	struct ltun_wire_hdr hdr = { .type = LTUN_WIRE_KEEPALIVE };
	struct kvec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int ret;

	ret = kernel_sendmsg(conn->sock, &msg, &iov, 1, sizeof(hdr));
	if (ret == sizeof(hdr))
		return 0;
	return ret < 0 ? ret : -EIO;
}

/**
 * ltun_conn_tx() - the connection to send the next batch on
 * @peer: the peer
 *
 * Moves to a handed-over connection once the far end has it too, which is
 * why it is only called between batches.
 *
 * Context: the peer's TX worker, no batch in flight.
 * Return: the current connection.
 */
struct ltun_conn *ltun_conn_tx(struct ltun_peer *peer)
{
	struct ltun_conn *old = peer->conn;
	struct ltun_conn *next = READ_ONCE(peer->next);
	int err;

	/* Only this worker changes @conn; PEER_SET only sets @next. */
	if (likely(!next))
		return old;

	if (!next->marker_sent) {
		err = ltun_conn_send_marker(next);
		if (err == -EAGAIN)
			return old;
		if (err) {
			ltun_peer_fail(peer, LTUN_DEL_REASON_ERROR);
			return old;
		}
		next->marker_sent = true;
	}
	/* The RX worker kicks us when the far end's first bytes arrive. */
	if (!READ_ONCE(next->rx_seen))
		return old;

	/* Before @tx_done is visible: once it is, RX may retire @old. */
	kernel_sock_shutdown(old->sock, SHUT_WR);

	spin_lock_bh(&peer->conn_lock);
	peer->conn = peer->next;
	peer->next = NULL;
	peer->old = old;
	old->tx_done = true;
	old->tx_done_at = jiffies;
	if (old->rx_eof)
		ltun_conn_retire_locked(peer, old);
	spin_unlock_bh(&peer->conn_lock);
	return peer->conn;
}

/**
 * ltun_conn_rx_list() - the connections the RX worker should read
 * @peer: the peer
 * @out: filled with them, draining one first so older frames come first
 *
 * Context: the peer's RX worker. Only it sets @rx_eof, and a connection is
 * retired only after that or at peer removal (which cancels the worker), so
 * the returned connections stay valid for this run.
 * Return: how many.
 */
unsigned int ltun_conn_rx_list(struct ltun_peer *peer,
			       struct ltun_conn *out[LTUN_MAX_CONNS])
{
	struct ltun_conn *all[LTUN_MAX_CONNS];
	unsigned int i, n = 0;

	spin_lock_bh(&peer->conn_lock);
	all[0] = peer->old;
	all[1] = peer->conn;
	all[2] = peer->next;
	for (i = 0; i < LTUN_MAX_CONNS; i++)
		if (all[i] && !all[i]->rx_eof)
			out[n++] = all[i];
	spin_unlock_bh(&peer->conn_lock);
	return n;
}

/**
 * ltun_conn_rx_end() - the far end stopped sending on a connection
 * @conn: the connection (EOF, close_notify, or an error on it)
 *
 * Context: the peer's RX worker.
 * Return: true if that ends the peer: it was the only connection, or the
 * one just handed over. Otherwise it was being replaced and is closed once
 * the TX worker is done with it too.
 */
bool ltun_conn_rx_end(struct ltun_conn *conn)
{
	struct ltun_peer *peer = conn->peer;
	bool fatal;

	spin_lock_bh(&peer->conn_lock);
	fatal = (conn == peer->conn && !peer->next) || conn == peer->next;
	if (!fatal) {
		conn->rx_eof = true;
		if (conn->tx_done)
			ltun_conn_retire_locked(peer, conn);
	}
	spin_unlock_bh(&peer->conn_lock);
	return fatal;
}

/**
 * ltun_conn_expire_old() - give up on a replaced connection never finished
 * @peer: the peer
 * @timeout: jiffies the far end had to finish it
 *
 * Context: the peer's keepalive work.
 */
void ltun_conn_expire_old(struct ltun_peer *peer, unsigned long timeout)
{
	bool kick = false;

	spin_lock_bh(&peer->conn_lock);
	if (peer->old && !peer->old->rx_eof &&
	    time_after(jiffies, peer->old->tx_done_at + timeout)) {
		WRITE_ONCE(peer->old->abandon, true);
		kick = true;
	}
	spin_unlock_bh(&peer->conn_lock);
	if (kick)
		queue_work(ltun_wq, &peer->rx_work);
}

/**
 * ltun_conn_retire_work() - close connections both workers are done with
 * @work: &ltun_peer.retire_work
 */
void ltun_conn_retire_work(struct work_struct *work)
{
	struct ltun_peer *peer = container_of(work, struct ltun_peer,
					      retire_work);
	struct ltun_conn *conn, *tmp;
	LIST_HEAD(list);

	spin_lock_bh(&peer->conn_lock);
	list_splice_init(&peer->retired, &list);
	spin_unlock_bh(&peer->conn_lock);
	if (list_empty(&list))
		return;

	list_for_each_entry(conn, &list, retire_node)
		ltun_sock_detach(conn);
	/* Socket callbacks find the connection under RCU. */
	synchronize_rcu();
	list_for_each_entry_safe(conn, tmp, &list, retire_node) {
		list_del(&conn->retire_node);
		ltun_conn_close(conn);
	}
}

/**
 * ltun_conn_detach_all() - unhook every connection of a peer being removed
 * @peer: the peer
 *
 * Context: holds &ltun_dev.lock (peer unlink).
 */
void ltun_conn_detach_all(struct ltun_peer *peer)
{
	struct ltun_conn *conn;

	spin_lock_bh(&peer->conn_lock);
	if (peer->old)
		ltun_sock_detach(peer->old);
	ltun_sock_detach(peer->conn);
	if (peer->next)
		ltun_sock_detach(peer->next);
	list_for_each_entry(conn, &peer->retired, retire_node)
		ltun_sock_detach(conn);
	spin_unlock_bh(&peer->conn_lock);
}

/* 1 if @conn's socket holds a reference on @net, else 0. */
static unsigned int ltun_conn_holds_net(const struct ltun_conn *conn,
					const struct net *net)
{
	const struct sock *sk = conn->sock->sk;

	return sk->sk_net_refcnt && net_eq(sock_net(sk), net);
}

/**
 * ltun_conn_net_refs() - references a peer's sockets hold on a namespace
 * @peer: a linked peer
 * @net: the namespace
 *
 * Context: holds &ltun_dev.lock, so no connection of a linked peer is
 * closed meanwhile.
 * Return: how many of the peer's connections have their socket in @net.
 */
unsigned int ltun_conn_net_refs(struct ltun_peer *peer, const struct net *net)
{
	struct ltun_conn *conn;
	unsigned int n;

	lockdep_assert_held(&peer->ltun->lock);

	spin_lock_bh(&peer->conn_lock);
	n = ltun_conn_holds_net(peer->conn, net);
	if (peer->old)
		n += ltun_conn_holds_net(peer->old, net);
	if (peer->next)
		n += ltun_conn_holds_net(peer->next, net);
	list_for_each_entry(conn, &peer->retired, retire_node)
		n += ltun_conn_holds_net(conn, net);
	spin_unlock_bh(&peer->conn_lock);
	return n;
}

/**
 * ltun_conn_free_all() - close every connection of a removed peer
 * @peer: the peer, detached, after an RCU grace period, workers cancelled
 */
void ltun_conn_free_all(struct ltun_peer *peer)
{
	struct ltun_conn *conn, *tmp;

	if (peer->old)
		ltun_conn_close(peer->old);
	if (peer->next)
		ltun_conn_close(peer->next);
	ltun_conn_close(peer->conn);
	list_for_each_entry_safe(conn, tmp, &peer->retired, retire_node) {
		list_del(&conn->retire_node);
		ltun_conn_close(conn);
	}
	peer->old = NULL;
	peer->next = NULL;
	peer->conn = NULL;
}
