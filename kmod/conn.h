/* SPDX-License-Identifier: GPL-2.0 */
/* A peer's TCP connections and the make-before-break handover between them. */
#ifndef _LTUN_CONN_H
#define _LTUN_CONN_H

#include <linux/bvec.h>
#include <linux/list.h>
#include <linux/net.h>
#include <linux/types.h>

struct ltun_peer;

/* Receive buffer: room for one largest frame plus what follows it. */
#define LTUN_RX_BUF_SIZE	(128 * 1024)
#define LTUN_RX_BUF_PAGES	(LTUN_RX_BUF_SIZE / PAGE_SIZE)

/**
 * struct ltun_conn - one TCP (usually kTLS) connection of a peer
 * @peer: the owner; outlives the connection
 * @sock: the socket; the connection holds a reference on its file
 * @saved_data_ready: socket callback replaced by ltun_sk_data_ready()
 * @saved_write_space: socket callback replaced by ltun_sk_write_space()
 * @saved_state_change: socket callback replaced by ltun_sk_state_change()
 * @rx_buf: bytes read and not yet framed; owned by the peer's RX worker.
 *	Page-backed (vmalloc) rather than kmalloc'd, because kTLS decrypts
 *	straight into the destination only when it is given pages
 * @rx_bvec: @rx_buf as whole pages, in order; set once, when allocated
 * @rx_fill: bytes in @rx_buf
 * @rx_eof: the far end has finished sending on it; set once, by the RX
 *	worker, under &ltun_peer.conn_lock
 * @tx_done: the TX worker has moved on to a newer connection; set once,
 *	by the TX worker, under &ltun_peer.conn_lock
 * @abandon: the far end never finished a handed-over connection within the
 *	timeout; the RX worker then treats it as finished
 * @marker_sent: the TX worker sent the handover marker on it (TX worker)
 * @rx_seen: bytes have arrived on it (set by the RX worker, read by TX)
 * @tx_done_at: jiffies when @tx_done was set
 * @created_ns: boot-time clock when handed to the kernel
 * @retire_node: on &ltun_peer.retired, under &ltun_peer.conn_lock
 *
 * A connection is retired (closed and freed) once both workers are done
 * with it (@rx_eof and @tx_done), or when its peer goes.
 */
struct ltun_conn {
	struct ltun_peer *peer;
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	u8 *rx_buf;
	struct bio_vec rx_bvec[LTUN_RX_BUF_PAGES];
	size_t rx_fill;
	bool rx_eof;
	bool tx_done;
	bool abandon;
	bool marker_sent;
	bool rx_seen;
	unsigned long tx_done_at;
	u64 created_ns;
	struct list_head retire_node;
};

/* Connections the RX worker reads: the draining one, current and next. */
#define LTUN_MAX_CONNS	3

struct ltun_conn *ltun_conn_alloc(struct ltun_peer *peer, struct socket *sock);
void ltun_conn_free(struct ltun_conn *conn);
int ltun_conn_handover(struct ltun_peer *peer, struct ltun_conn *conn,
		       struct netlink_ext_ack *extack);
struct ltun_conn *ltun_conn_tx(struct ltun_peer *peer);
unsigned int ltun_conn_rx_list(struct ltun_peer *peer,
			       struct ltun_conn *out[LTUN_MAX_CONNS]);
bool ltun_conn_rx_end(struct ltun_conn *conn);
void ltun_conn_expire_old(struct ltun_peer *peer, unsigned long timeout);
void ltun_conn_detach_all(struct ltun_peer *peer);
unsigned int ltun_conn_net_refs(struct ltun_peer *peer, const struct net *net);
void ltun_conn_free_all(struct ltun_peer *peer);
void ltun_conn_retire_work(struct work_struct *work);

#endif /* _LTUN_CONN_H */
