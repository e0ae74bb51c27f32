// SPDX-License-Identifier: GPL-2.0
/*
 * The peer's socket. kTLS has already replaced the socket's proto (and
 * installed its own data_ready/write_space), so ltun must not replace the
 * proto again: it wraps the socket callbacks instead, and always chains to
 * the ones it found, which keeps kTLS's record parser and TX scheduler
 * running. The callbacks run in softirq (or with the socket lock held) and
 * only queue work; all reading and writing happens in process context,
 * where kTLS is allowed to sleep.
 */
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "conn.h"
#include "device.h"
#include "peer.h"
#include "sock.h"

/*
 * Bytes a peer's socket may hold that TCP has not sent yet (the socket's
 * TCP_NOTSENT_LOWAT): eight full TLS records (16 KiB each), enough to
 * keep the connection busy between two runs of the TX worker. The TX
 * worker is woken again once half of it has gone out.
 */
#define LTUN_NOTSENT_LOWAT	(128 * 1024)

/*
 * The socket's kTLS context, or NULL when kTLS is not on it. No lock: a
 * ULP, once set, stays until the socket is freed, and the connection
 * holds the socket.
 */
static struct tls_context *ltun_sock_tls(struct sock *sk)
{
	const struct tcp_ulp_ops *ulp = READ_ONCE(inet_csk(sk)->icsk_ulp_ops);

	if (!ulp || strcmp(ulp->name, "tls"))
		return NULL;
	return tls_get_ctx(sk);
}

/**
 * ltun_sock_check() - is this socket fit to carry a peer
 * @sock: socket from userspace
 * @flags: &enum ltun_peer_flags of the request
 * @cipher: TLS_CIPHER_* of kTLS, 0 when plaintext
 * @version: TLS version of kTLS, 0 when plaintext
 * @extack: error reporting
 *
 * Return: 0, or an errno that tells userspace what is wrong (documented in
 * the README: EPROTONOSUPPORT, ENOTCONN, ENOPROTOOPT).
 */
int ltun_sock_check(struct socket *sock, u32 flags, u16 *cipher, u16 *version,
		    struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;
	struct tls_context *ctx;
	int err = 0;

	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		NL_SET_ERR_MSG_MOD(extack, "socket is not TCP over IPv4 or IPv6");
		return -EPROTONOSUPPORT;
	}

	*cipher = 0;
	*version = 0;

	/* The socket lock keeps a concurrent setsockopt(TLS_RX) from changing
	 * what is read here.
	 */
	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED) {
		NL_SET_ERR_MSG_MOD(extack, "TCP socket is not connected");
		err = -ENOTCONN;
		goto out;
	}

	if (!inet_csk(sk)->icsk_ulp_ops) {
		if (!(flags & LTUN_PEER_F_PLAINTEXT)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "kTLS TX and RX are not configured on the socket (and the plaintext flag is not set)");
			err = -ENOPROTOOPT;
		}
		goto out;
	}
	ctx = ltun_sock_tls(sk);
	if (!ctx) {
		NL_SET_ERR_MSG_MOD(extack, "socket uses a ULP other than kTLS");
		err = -ENOPROTOOPT;
		goto out;
	}
	if (ctx->tx_conf == TLS_BASE || ctx->rx_conf == TLS_BASE) {
		NL_SET_ERR_MSG_MOD(extack,
				   "kTLS must be configured for both TX and RX");
		err = -ENOPROTOOPT;
		goto out;
	}
	*cipher = ctx->prot_info.cipher_type;
	*version = ctx->prot_info.version;
out:
	release_sock(sk);
	return err;
}

enum ltun_sk_event {
	LTUN_SK_DATA_READY,
	LTUN_SK_WRITE_SPACE,
	LTUN_SK_STATE_CHANGE,
};

static void ltun_sk_data_ready(struct sock *sk);
static void ltun_sk_write_space(struct sock *sk);
static void ltun_sk_state_change(struct sock *sk);

/*
 * Common body of the three hooks: kick the peer's worker (TX when the
 * socket has room again, RX for new data and for FIN/RST, which the next
 * read reports), then chain to the callback the hook replaced.
 *
 * It runs with the socket's callback lock read-held, so ltun_sock_detach()
 * (which write-locks it) cannot return while the connection is looked at
 * here; the RCU read section keeps it and its peer alive across the
 * chained call. Once
 * detached, sk_user_data is NULL and the socket's own callbacks are back,
 * so a hook still in flight calls those.
 */
static void ltun_sk_event(struct sock *sk, enum ltun_sk_event ev)
{
	static void (*const self[])(struct sock *sk) = {
		[LTUN_SK_DATA_READY]	= ltun_sk_data_ready,
		[LTUN_SK_WRITE_SPACE]	= ltun_sk_write_space,
		[LTUN_SK_STATE_CHANGE]	= ltun_sk_state_change,
	};
	void (*saved)(struct sock *sk);
	struct ltun_conn *conn;

	rcu_read_lock();
	read_lock_bh(&sk->sk_callback_lock);
	conn = rcu_dereference_sk_user_data(sk);
	switch (ev) {
	case LTUN_SK_DATA_READY:
		saved = conn ? conn->saved_data_ready : sk->sk_data_ready;
		break;
	case LTUN_SK_WRITE_SPACE:
		saved = conn ? conn->saved_write_space : sk->sk_write_space;
		break;
	default:
		saved = conn ? conn->saved_state_change : sk->sk_state_change;
		break;
	}
	if (conn)
		queue_work(ltun_wq, ev == LTUN_SK_WRITE_SPACE ?
			   &conn->peer->tx_work : &conn->peer->rx_work);
	read_unlock_bh(&sk->sk_callback_lock);
	if (saved && saved != self[ev])
		saved(sk);
	rcu_read_unlock();
}

static void ltun_sk_data_ready(struct sock *sk)
{
	ltun_sk_event(sk, LTUN_SK_DATA_READY);
}

static void ltun_sk_write_space(struct sock *sk)
{
	ltun_sk_event(sk, LTUN_SK_WRITE_SPACE);
}

static void ltun_sk_state_change(struct sock *sk)
{
	ltun_sk_event(sk, LTUN_SK_STATE_CHANGE);
}

/*
 * TLS 1.3 lets a sender pad records, and a receiver that allows for it
 * must decrypt each record into a buffer of its own to find where the
 * padding ends. Every record on a peer's connection is written by kTLS at
 * the far end, which never pads, so tell kTLS to decrypt straight into
 * the reader's pages; a padded record still works, kTLS just decrypts it
 * a second time. Best effort: a socket without kTLS RX, or with TLS 1.2,
 * which never needs this, refuses it.
 */
static void ltun_sock_expect_no_pad(struct sock *sk)
{
	struct tls_context *ctx = ltun_sock_tls(sk);
	u32 one = 1;

	if (!ctx || ctx->prot_info.version != TLS_1_3_VERSION)
		return;
	sk->sk_prot->setsockopt(sk, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
				KERNEL_SOCKPTR(&one), sizeof(one));
}

/**
 * ltun_sock_attach() - hook a connection's socket
 * @conn: connection whose socket passed ltun_sock_check()
 *
 * Return: 0, or -EBUSY if the socket already belongs to someone (another
 * peer, a BPF sockmap, ...).
 */
int ltun_sock_attach(struct ltun_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (rcu_access_pointer(__sk_user_data(sk))) {
		write_unlock_bh(&sk->sk_callback_lock);
		return -EBUSY;
	}
	conn->saved_data_ready = sk->sk_data_ready;
	conn->saved_write_space = sk->sk_write_space;
	conn->saved_state_change = sk->sk_state_change;
	rcu_assign_sk_user_data(sk, conn);
	sk->sk_data_ready = ltun_sk_data_ready;
	sk->sk_write_space = ltun_sk_write_space;
	sk->sk_state_change = ltun_sk_state_change;
	write_unlock_bh(&sk->sk_callback_lock);

	/* Packets are small and latency matters more than segment count; the
	 * TX worker already batches.
	 */
	tcp_sock_set_nodelay(sk);

	/* Keep what waits unsent in the socket small. The TX worker can
	 * always fill the socket, so without a bound TCP's send buffer grows
	 * to megabytes and a ping queues behind all of it. With it, a full
	 * socket stops the worker instead and packets wait on the peer's
	 * ring, where the inner senders' own TCP small queues hold them back.
	 */
	lock_sock(sk);
	WRITE_ONCE(tcp_sk(sk)->notsent_lowat, LTUN_NOTSENT_LOWAT);
	release_sock(sk);

	ltun_sock_expect_no_pad(sk);
	return 0;
}

/**
 * ltun_sock_detach() - restore the socket's callbacks
 * @conn: attached connection; detaching twice is harmless
 *
 * After this returns no callback of ours runs on the connection any more;
 * the caller still waits for a grace period before freeing it.
 */
void ltun_sock_detach(struct ltun_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (rcu_access_pointer(__sk_user_data(sk)) == conn) {
		sk->sk_data_ready = conn->saved_data_ready;
		sk->sk_write_space = conn->saved_write_space;
		sk->sk_state_change = conn->saved_state_change;
		rcu_assign_sk_user_data(sk, NULL);
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

/**
 * ltun_sock_records() - TLS records a kTLS socket has protected
 * @sock: the socket
 * @tx: the sending direction, else the receiving one
 *
 * The record sequence number kTLS keeps for the direction's key: exactly
 * what RFC 8446 section 5.5 limits. Read without the socket lock, so a
 * report may be one record behind; the worker that owns the direction
 * reads its own side exactly.
 *
 * Return: the count, or 0 on a plaintext socket.
 */
u64 ltun_sock_records(struct socket *sock, bool tx)
{
	struct tls_context *ctx = ltun_sock_tls(sock->sk);
	__be64 seq;

	if (!ctx || (tx ? ctx->tx_conf : ctx->rx_conf) == TLS_BASE)
		return 0;
	/* 6.1 points at the bytes, 6.12 embeds them: both read the same. */
	memcpy(&seq, tx ? ctx->tx.rec_seq : ctx->rx.rec_seq, sizeof(seq));
	return be64_to_cpu(seq);
}

/**
 * ltun_sock_recv() - read decrypted bytes without blocking
 * @sock: the peer's socket
 * @bv: destination pages
 * @nr: entries in @bv
 * @len: bytes @bv holds
 * @skip: bytes at the start of @bv that are already in use
 * @rtype: TLS record type of what was read (application data on a
 *	plaintext socket)
 *
 * kTLS returns one record type per call and reports it in a control
 * message; without room for that message a non-data record would make the
 * read fail, so the buffer is always provided. Pages rather than a kernel
 * address: kTLS then decrypts a whole record straight into them instead
 * of into a buffer of its own that it copies from (ltun_sock_attach()).
 *
 * Return: bytes read, 0 at end of stream, -EAGAIN when nothing is ready,
 * or another negative errno.
 */
int ltun_sock_recv(struct socket *sock, const struct bio_vec *bv,
		   unsigned int nr, size_t len, size_t skip, u8 *rtype)
{
	union {
		struct cmsghdr cmsg;
		u8 space[CMSG_SPACE(sizeof(u8))];
	} ctrl;
	struct msghdr msg = {};
	int ret;

	memset(&ctrl, 0, sizeof(ctrl));
	msg.msg_control = &ctrl;
	msg.msg_controllen = sizeof(ctrl);
	msg.msg_control_is_user = false;
	iov_iter_bvec(&msg.msg_iter, ITER_DEST, bv, nr, len);
	iov_iter_advance(&msg.msg_iter, skip);

	ret = sock_recvmsg(sock, &msg, MSG_DONTWAIT);

	*rtype = LTUN_TLS_APP_DATA;
	if (ret >= 0 && msg.msg_controllen < sizeof(ctrl) &&
	    ctrl.cmsg.cmsg_level == SOL_TLS &&
	    ctrl.cmsg.cmsg_type == TLS_GET_RECORD_TYPE)
		*rtype = *(u8 *)CMSG_DATA(&ctrl.cmsg);
	return ret;
}
