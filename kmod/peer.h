/* SPDX-License-Identifier: GPL-2.0 */
/* A peer: one TCP (usually kTLS) connection and what it carries. */
#ifndef _LTUN_PEER_H
#define _LTUN_PEER_H

#include <linux/ltun.h>
#include <linux/ltun_wire.h>
#include <linux/net.h>
#include <linux/ptr_ring.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "allowedips.h"
#include "conn.h"
#include "stats.h"

struct ltun_dev;

/* Packets waiting for the TX worker, per peer; more are dropped. */
#define LTUN_TX_RING_SIZE	1024
/* Packet bytes (skb->len) waiting on one peer's ring; more are dropped. */
#define LTUN_TX_RING_BYTES	(4 * 1024 * 1024)
/* Packets handed to one sendmsg() call. */
#define LTUN_TX_BATCH		64
/* Pieces (frame headers, linear parts, page fragments) of one batch. */
#define LTUN_TX_VECS		(4 * LTUN_TX_BATCH)

/**
 * struct ltun_tx_batch - packets being written to the socket
 * @skbs: the packets, in queue order
 * @hdrs: their frame headers
 * @iov: each packet's frame header, then its linear part and its page
 *	fragments (a GSO super-packet keeps its fragments: no copy into one
 *	64 KiB buffer)
 * @n: number of packets
 * @niov: entries used in @iov
 * @total: bytes in @iov
 * @sent: bytes the socket has taken so far (a non-blocking send may stop
 *	part way through; the rest is sent when the socket has room again)
 * @keepalive: the batch is one keepalive frame (@skbs[0] is NULL)
 *
 * Owned by the peer's TX worker; no other context touches it while the
 * peer is linked.
 */
struct ltun_tx_batch {
	struct sk_buff *skbs[LTUN_TX_BATCH];
	struct ltun_wire_hdr hdrs[LTUN_TX_BATCH];
	struct kvec iov[LTUN_TX_VECS];
	unsigned int n;
	unsigned int niov;
	size_t total;
	size_t sent;
	bool keepalive;
};

/**
 * struct ltun_peer - one connection of a device
 * @ltun: owning device; outlives the peer (the device removes its peers
 *	before it goes away)
 * @id: unique within the device, never 0
 * @flags: &enum ltun_peer_flags; written under &ltun_dev.lock (PEER_SET may
 *	flip %LTUN_PEER_F_GSO), read with READ_ONCE() by the data path
 * @conn_lock: guards @next, @old, the connections' rx_eof/tx_done and
 *	@retired, and writes to @conn (see conn.c)
 * @conn: the connection packets are sent on; changed only by @tx_work
 * @next: a connection handed over for renewal, not yet sent on
 * @old: a replaced connection, read until its far end finishes it
 * @retired: connections to close, by @retire_work
 * @retire_work: closes retired connections (it waits for RCU)
 * @renewals: connections handed over so far, under @conn_lock
 * @aips: this peer's &struct ltun_aip_entry list, under &ltun_dev.lock
 * @tx_ring: packets from any CPU to the TX worker (multi-producer under the
 *	ring's own producer lock, single consumer: @tx_work)
 * @tx_ring_bytes: bytes of the packets on @tx_ring; added before a packet
 *	is produced, subtracted when the worker consumes it. With super-packets
 *	of up to 64 KiB the packet count alone no longer bounds the memory
 * @tx: batch in flight, owned by @tx_work
 * @tx_work: writes @tx_ring to the socket, in process context because
 *	kTLS sendmsg sleeps
 * @rx_work: reads the sockets, in process context for the same reason
 * @fail_reason: first &enum ltun_del_reason a worker reported, 0 if none;
 *	set once with cmpxchg
 * @unlinked: removal has begun; under &ltun_dev.lock
 * @del_reason: reason reported when the removal completes
 * @stats: per-CPU peer counters
 * @created_ns: boot-time clock when attached
 * @remote: transport address of the far end, taken when attached or
 *	renewed, under &ltun_dev.lock
 * @local: local transport address, taken when attached
 * @tls_cipher: TLS_CIPHER_* in use, 0 on a plaintext peer
 * @tls_version: TLS_1_3_VERSION etc., 0 on a plaintext peer
 * @reap_node: on a private list while being removed
 * @name: label given by userspace (NUL-terminated); under &ltun_dev.lock
 * @keepalive_ms: keepalive interval, 0 for none; written under
 *	&ltun_dev.lock, read with READ_ONCE() by @keepalive_work
 * @timeout_ms: receive timeout, 0 for none; as @keepalive_ms
 * @last_rx: jiffies when bytes last arrived, written by @rx_work
 * @last_tx: jiffies when bytes last left, written by @tx_work
 * @keepalive_due: @keepalive_work asks @tx_work for a keepalive frame
 * @keepalive_work: sends keepalives when idle, removes a silent peer
 *
 * Lifetime: a peer is reachable from &ltun_dev.peers (under the lock), the
 * allowed-ips table and its sockets' sk_user_data (both RCU, the latter
 * through a &struct ltun_conn), and from its own work items. Removal
 * unlinks it from all three under &ltun_dev.lock, waits for an RCU grace
 * period so no reader still holds it, cancels the work items synchronously,
 * then closes its connections and frees it. No reference count is needed.
 */
struct ltun_peer {
	struct ltun_dev *ltun;
	u32 id;
	u32 flags;
	spinlock_t conn_lock; /* see conn.c */
	struct ltun_conn *conn;
	struct ltun_conn *next;
	struct ltun_conn *old;
	struct list_head retired;
	struct work_struct retire_work;
	u32 renewals;
	struct list_head aips;
	struct ptr_ring tx_ring;
	atomic_t tx_ring_bytes;
	struct ltun_tx_batch tx;
	struct work_struct tx_work;
	struct work_struct rx_work;
	atomic_t fail_reason;
	bool unlinked;
	enum ltun_del_reason del_reason;
	struct ltun_pcpu_stats __percpu *stats;
	u64 created_ns;
	struct sockaddr_storage remote;
	struct sockaddr_storage local;
	u16 tls_cipher;
	u16 tls_version;
	struct list_head reap_node;
	char name[LTUN_PEER_NAME_MAX];
	u32 keepalive_ms;
	u32 timeout_ms;
	unsigned long last_rx;
	unsigned long last_tx;
	atomic_t keepalive_due;
	struct delayed_work keepalive_work;
};

/**
 * struct ltun_peer_cfg - settings of a peer, for PEER_NEW and PEER_SET
 * @flags: &enum ltun_peer_flags; PEER_SET may change %LTUN_PEER_F_GSO only
 * @name: label, or NULL to keep it
 * @keepalive_ms: keepalive interval (0: none), if @set_keepalive
 * @timeout_ms: receive timeout (0: none), if @set_timeout
 * @set_flags: @flags is given
 * @set_keepalive: @keepalive_ms is given
 * @set_timeout: @timeout_ms is given
 * @aips: allowed prefixes, each valid (ltun_aip_valid())
 * @n_aips: number of @aips
 * @set_aips: @aips replace the current set (PEER_SET)
 * @sock: a new connection to the same far end (PEER_SET: renewal), or NULL
 */
struct ltun_peer_cfg {
	u32 flags;
	const char *name;
	u32 keepalive_ms;
	u32 timeout_ms;
	bool set_flags;
	bool set_keepalive;
	bool set_timeout;
	const struct ltun_aip *aips;
	unsigned int n_aips;
	bool set_aips;
	struct socket *sock;
};

int ltun_peer_new(struct ltun_dev *ltun, struct socket *sock,
		  const struct ltun_peer_cfg *cfg, u32 *id,
		  struct netlink_ext_ack *extack);
int ltun_peer_set(struct ltun_dev *ltun, u32 id, const struct ltun_peer_cfg *cfg,
		  u32 *changes, struct netlink_ext_ack *extack);
void ltun_keepalive_work(struct work_struct *work);
int ltun_peer_del(struct ltun_dev *ltun, u32 id);
void ltun_peer_del_all(struct ltun_dev *ltun, enum ltun_del_reason reason);
void ltun_peer_fail(struct ltun_peer *peer, enum ltun_del_reason reason);
void ltun_reap_work(struct work_struct *work);

#endif /* _LTUN_PEER_H */
