// SPDX-License-Identifier: GPL-2.0
/*
 * ltun generic netlink fuzz/soak test and privilege tests (kselftest
 * harness).
 *
 * The fuzzer speaks raw netlink (its own message builder, no libnl), so it
 * can send what a library would refuse to build: attributes of the wrong
 * length or type, unknown types, truncated attribute headers, nla_len past
 * the end of the message, garbage and empty nests, nests nested deeply,
 * allowed-ip lists over the limit, fds of every kind, NLM_F_DUMP on do-only
 * commands, corrupt nlmsg and genl headers. Valid operations (devices
 * created and deleted over rtnetlink, peers attached with real kTLS socket
 * pairs, renewed, changed, deleted, far ends closing or sending garbage)
 * are mixed in so the malformed requests meet live state.
 *
 * Every request must get exactly one well-formed answer (an ACK or an
 * error, after at most one reply for a do, or a dump ending in NLMSG_DONE)
 * within REPLY_TIMEOUT_MS, with an errno from the documented set (see
 * errno_allowed()), and with an extack message wherever ltun refuses
 * something. Requests the netlink core ignores (a broken nlmsghdr) must get
 * no answer at all. Afterwards the kernel must be healthy: every peer and
 * device the run made can be removed, counts return to where they were,
 * the module's reference count too, and a fresh kTLS peer carries packets
 * both ways.
 *
 * Randomness comes from a seeded PRNG; the seed is printed. Environment:
 *   LTUN_FUZZ_SEED=N      replay a run (timing still differs a little: peers
 *                         that time out, far ends closing)
 *   LTUN_FUZZ_ITERS=N     stop after N iterations instead of a time budget
 *   LTUN_FUZZ_SECONDS=S   time budget (default 30 s)
 *   LTUN_SOAK_SECONDS=S   soak: same, meant for long runs
 *   LTUN_DEBUG_KERNEL=1   (or a kernel with lockdep, /proc/lockdep) soak
 *                         for 300 s unless a budget is given
 *
 * The privilege tests check that every command (do and dump) and the
 * "peers" multicast group are refused without CAP_NET_ADMIN over the
 * requester's network namespace, in each way the capability can be
 * missing, and that a user namespace's root can use ltun only in a network
 * namespace its user namespace owns. The foreign_netns_socket test hands
 * the module a TCP socket of another network namespace (the underlay in
 * one netns, the device in another) and checks that deleting a namespace
 * kept alive only by such sockets ends their peers and frees it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/ltun_wire.h>

#include "kselftest_harness.h"
#include "ltun_nl.h"
#include "test_util.h"
#include "ktls_util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define DEV0		"ltf0"
#define REPLY_TIMEOUT_MS 10000
#define MSG_MAX		(256 * 1024)
#define RCV_MAX		(128 * 1024)
/* The kernel's limit on allowed ips in one request (kmod/netlink.c). */
#define KERNEL_MAX_AIPS	1024

/* ---- PRNG ------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

static void rnd_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = (uint8_t)rnd();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

/* ---- raw netlink: message building ------------------------------------ */

struct mb {
	uint8_t *buf;
	size_t len;
	size_t nest[64];
	int depth;
};

static void mb_init(struct mb *m)
{
	static uint8_t storage[MSG_MAX] __attribute__((aligned(8)));

	m->buf = storage;
	m->len = 0;
	m->depth = 0;
}

static void mb_raw(struct mb *m, const void *data, size_t len)
{
	if (m->len + len > MSG_MAX)
		len = MSG_MAX - m->len;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

static void mb_pad(struct mb *m)
{
	static const uint8_t zero[4];

	mb_raw(m, zero, NLA_ALIGN(m->len) - m->len);
}

/* nlmsghdr (+ genlmsghdr when cmd >= 0); nlmsg_len is set by mb_end(). */
static void mb_hdr(struct mb *m, uint16_t type, uint16_t flags, uint32_t seq,
		   int cmd, uint8_t version, uint16_t reserved)
{
	struct nlmsghdr nlh = {
		.nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq,
	};
	struct genlmsghdr g = {
		.cmd = (uint8_t)cmd, .version = version, .reserved = reserved,
	};

	mb_init(m);
	mb_raw(m, &nlh, sizeof(nlh));
	if (cmd >= 0)
		mb_raw(m, &g, sizeof(g));
}

static void mb_end(struct mb *m)
{
	((struct nlmsghdr *)m->buf)->nlmsg_len = (uint32_t)m->len;
}

/* An attribute whose header claims @claimed bytes of payload. */
static void mb_put_claim(struct mb *m, uint16_t type, const void *data,
			 size_t len, size_t claimed)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + claimed),
			    .nla_type = type };

	mb_raw(m, &a, sizeof(a));
	if (len)
		mb_raw(m, data, len);
	mb_pad(m);
}

static void mb_put(struct mb *m, uint16_t type, const void *data, size_t len)
{
	mb_put_claim(m, type, data, len, len);
}

static void mb_u8(struct mb *m, uint16_t type, uint8_t v)
{
	mb_put(m, type, &v, 1);
}

static void mb_u16(struct mb *m, uint16_t type, uint16_t v)
{
	mb_put(m, type, &v, 2);
}

static void mb_u32(struct mb *m, uint16_t type, uint32_t v)
{
	mb_put(m, type, &v, 4);
}

static void mb_str(struct mb *m, uint16_t type, const char *s)
{
	mb_put(m, type, s, strlen(s) + 1);
}

static void mb_nest(struct mb *m, uint16_t type)
{
	struct nlattr a = { .nla_type = type | NLA_F_NESTED };

	if (m->depth < 64)
		m->nest[m->depth++] = m->len;
	mb_raw(m, &a, sizeof(a));
}

static void mb_nest_end(struct mb *m)
{
	struct nlattr *a;

	if (!m->depth)
		return;
	a = (struct nlattr *)(m->buf + m->nest[--m->depth]);
	a->nla_len = (uint16_t)(m->len - m->nest[m->depth]);
}

/* ---- raw netlink: sockets --------------------------------------------- */

struct rnl {
	int fd;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* ltun genl family id */
	uint32_t mcgrp;		/* "peers" group id */
	bool use_write;		/* send with write(): no destination address */
};

static int rnl_socket(int proto, struct rnl *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sa);
	int one = 1, rcv = 1 << 20;

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (r->fd < 0)
		return -errno;
	setsockopt(r->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* errors do not echo the request: fuzzed requests can be big */
	setsockopt(r->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(r->fd, (struct sockaddr *)&sa, &len)) {
		int e = -errno;

		close(r->fd);
		r->fd = -1;
		return e;
	}
	r->portid = sa.nl_pid;
	r->seq = (uint32_t)time(NULL);
	return 0;
}

static void rnl_close(struct rnl *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static int mb_send(struct rnl *r, const struct mb *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (r->use_write) {
		if (write(r->fd, m->buf, m->len) < 0)
			return -errno;
		return 0;
	}
	if (sendto(r->fd, m->buf, m->len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* Walk attributes; false if one is malformed (what the kernel sent). */
static bool attrs_sane(const uint8_t *p, size_t len, int depth)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t alen = a->nla_len;

		if (alen < NLA_HDRLEN || alen > len)
			return false;
		if ((a->nla_type & NLA_F_NESTED) && depth < 8 &&
		    !attrs_sane(p + NLA_HDRLEN, alen - NLA_HDRLEN, depth + 1))
			return false;
		alen = NLA_ALIGN(alen);
		if (alen >= len)
			return true;
		p += alen;
		len -= alen;
	}
	return len == 0;
}

static const struct nlattr *attr_find(const uint8_t *p, size_t len,
				      uint16_t type)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t alen = a->nla_len;

		if (alen < NLA_HDRLEN || alen > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		alen = NLA_ALIGN(alen);
		if (alen >= len)
			return NULL;
		p += alen;
		len -= alen;
	}
	return NULL;
}

#define NLA_DATA(a)	((const uint8_t *)(a) + NLA_HDRLEN)
#define NLA_PLEN(a)	((size_t)(a)->nla_len - NLA_HDRLEN)

/* What one request got back. */
struct answer {
	uint32_t seq;
	bool dump;		/* NLM_F_DUMP was set */
	bool ack;		/* NLM_F_ACK was set */
	bool silent;		/* the core must ignore it: no answer */
	bool done;		/* terminator (ERROR or DONE) seen */
	int err;		/* 0 or -errno */
	int n_replies;		/* family messages */
	char extack[256];
	uint32_t peer_id;	/* PEER_NEW reply */
	uint32_t n_peers;	/* DEV_GET reply */
	bool has_n_peers;
};

static char proto_why[256];

static bool protofail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(proto_why, sizeof(proto_why), fmt, ap);
	va_end(ap);
	return false;
}

static void parse_ack_tlvs(struct answer *a, const uint8_t *p, size_t len)
{
	const struct nlattr *m = attr_find(p, len, NLMSGERR_ATTR_MSG);
	size_t n;

	if (!m)
		return;
	n = NLA_PLEN(m);
	if (n >= sizeof(a->extack))
		n = sizeof(a->extack) - 1;
	memcpy(a->extack, NLA_DATA(m), n);
	a->extack[n] = 0;
	if (!a->extack[0])
		strcpy(a->extack, "(empty)");
}

/* Fold one received message into the answer it belongs to. */
static bool take_msg(struct rnl *r, struct answer *as, int n_as,
		     const struct nlmsghdr *h)
{
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	const uint8_t *pl = (const uint8_t *)NLMSG_DATA(h);
	struct answer *a = NULL;
	int i;

	for (i = 0; i < n_as; i++)
		if (as[i].seq == h->nlmsg_seq)
			a = &as[i];
	if (!a)
		return protofail("message type %u for unknown seq %u",
				 h->nlmsg_type, h->nlmsg_seq);
	if (h->nlmsg_pid != r->portid)
		return protofail("seq %u: portid %u, not ours (%u)",
				 h->nlmsg_seq, h->nlmsg_pid, r->portid);
	if (a->silent)
		return protofail("seq %u: answer to a request the core must ignore",
				 a->seq);
	if (a->done)
		return protofail("seq %u: type %u after the terminator",
				 a->seq, h->nlmsg_type);

	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = (const void *)pl;
		size_t fixed = sizeof(*e);

		if (plen < sizeof(*e))
			return protofail("seq %u: short NLMSG_ERROR", a->seq);
		if (e->error > 0 || e->error < -4095)
			return protofail("seq %u: error %d", a->seq, e->error);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			fixed += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
		if (h->nlmsg_flags & NLM_F_ACK_TLVS && plen > fixed) {
			if (!attrs_sane(pl + fixed, plen - fixed, 0))
				return protofail("seq %u: bad extack TLVs", a->seq);
			parse_ack_tlvs(a, pl + fixed, plen - fixed);
		}
		if (!e->error && !a->ack)
			return protofail("seq %u: ACK without NLM_F_ACK", a->seq);
		a->err = e->error;
		a->done = true;
		return true;
	}
	if (h->nlmsg_type == NLMSG_DONE) {
		int err;

		if (!a->dump)
			return protofail("seq %u: NLMSG_DONE for a do", a->seq);
		if (plen < sizeof(int))
			return protofail("seq %u: short NLMSG_DONE", a->seq);
		memcpy(&err, pl, sizeof(err));
		if (err > 0 || err < -4095)
			return protofail("seq %u: DONE error %d", a->seq, err);
		if (h->nlmsg_flags & NLM_F_ACK_TLVS && plen > sizeof(int)) {
			if (!attrs_sane(pl + 4, plen - 4, 0))
				return protofail("seq %u: bad DONE TLVs", a->seq);
			parse_ack_tlvs(a, pl + 4, plen - 4);
		}
		a->err = err;
		a->done = true;
		return true;
	}
	if (h->nlmsg_type != r->family)
		return protofail("seq %u: unexpected type %u", a->seq,
				 h->nlmsg_type);
	if (plen < GENL_HDRLEN)
		return protofail("seq %u: short genl reply", a->seq);
	if (a->dump != !!(h->nlmsg_flags & NLM_F_MULTI))
		return protofail("seq %u: NLM_F_MULTI %s", a->seq,
				 a->dump ? "missing" : "on a do reply");
	if (!a->dump && a->n_replies)
		return protofail("seq %u: second reply to a do", a->seq);
	if (!attrs_sane(pl + GENL_HDRLEN, plen - GENL_HDRLEN, 0))
		return protofail("seq %u: malformed attributes in a reply", a->seq);
	a->n_replies++;
	{
		const struct genlmsghdr *g = (const void *)pl;
		const uint8_t *at = pl + GENL_HDRLEN;
		size_t alen = plen - GENL_HDRLEN;
		const struct nlattr *x;

		if (g->cmd == LTUN_CMD_PEER_NEW) {
			x = attr_find(at, alen, LTUN_A_PEER);
			if (x)
				x = attr_find(NLA_DATA(x), NLA_PLEN(x),
					      LTUN_PEER_A_ID);
			if (!x || NLA_PLEN(x) != 4)
				return protofail("seq %u: PEER_NEW reply without id",
						 a->seq);
			memcpy(&a->peer_id, NLA_DATA(x), 4);
		} else if (g->cmd == LTUN_CMD_DEV_GET) {
			x = attr_find(at, alen, LTUN_A_N_PEERS);
			if (x && NLA_PLEN(x) == 4) {
				memcpy(&a->n_peers, NLA_DATA(x), 4);
				a->has_n_peers = true;
			}
		} else if (g->cmd == LTUN_CMD_PEER_GET) {
			x = attr_find(at, alen, LTUN_A_PEER);
			if (x)
				x = attr_find(NLA_DATA(x), NLA_PLEN(x),
					      LTUN_PEER_A_ID);
			if (!x || NLA_PLEN(x) != 4)
				return protofail("seq %u: PEER_GET reply without id",
						 a->seq);
			memcpy(&a->peer_id, NLA_DATA(x), 4);
		} else {
			return protofail("seq %u: reply with cmd %u", a->seq,
					 g->cmd);
		}
	}
	return true;
}

static uint8_t rcvbuf[RCV_MAX] __attribute__((aligned(8)));

/*
 * Read until every answer in @as that must end has ended (a request
 * without NLM_F_ACK that succeeds ends with nothing: callers follow such
 * requests with one that has it, and the socket answers in order). Then
 * nothing more may be queued. Return: 0, -ETIMEDOUT, or -EPROTO with
 * proto_why set.
 */
static int collect(struct rnl *r, struct answer *as, int n_as, int must_end)
{
	for (;;) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		bool pending = false;
		ssize_t n;
		size_t off;
		int i;

		for (i = 0; i < n_as; i++)
			if (!as[i].done && !as[i].silent &&
			    (i >= must_end || as[i].dump || as[i].ack))
				pending = true;
		/* a do without ACK: its error (if any) precedes later answers */
		if (!pending)
			break;
		if (poll(&pfd, 1, REPLY_TIMEOUT_MS) != 1)
			return -ETIMEDOUT;
		n = recv(r->fd, rcvbuf, sizeof(rcvbuf), MSG_TRUNC);
		if (n < 0) {
			protofail("recv: %s", strerror(errno));
			return -EPROTO;
		}
		if ((size_t)n > sizeof(rcvbuf)) {
			protofail("reply of %zd bytes", n);
			return -EPROTO;
		}
		for (off = 0; off + NLMSG_HDRLEN <= (size_t)n;) {
			struct nlmsghdr *h = (struct nlmsghdr *)(rcvbuf + off);

			if (h->nlmsg_len < NLMSG_HDRLEN ||
			    h->nlmsg_len > (size_t)n - off) {
				protofail("bad nlmsg_len %u", h->nlmsg_len);
				return -EPROTO;
			}
			if (!take_msg(r, as, n_as, h))
				return -EPROTO;
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	/* Exactly one answer: nothing may follow. */
	{
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

		if (poll(&pfd, 1, 0) == 1) {
			ssize_t n = recv(r->fd, rcvbuf, sizeof(rcvbuf),
					 MSG_DONTWAIT);
			struct nlmsghdr *h = (struct nlmsghdr *)rcvbuf;

			protofail("%zd unexpected bytes after the answers (type %u seq %u)",
				  n, n >= NLMSG_HDRLEN ? h->nlmsg_type : 0,
				  n >= NLMSG_HDRLEN ? h->nlmsg_seq : 0);
			return -EPROTO;
		}
	}
	return 0;
}

/* Family id and "peers" group id of ltun (a normal, well-formed request). */
static int resolve_family(struct rnl *r)
{
	const struct nlattr *x, *g;
	struct mb m;
	ssize_t n;
	size_t off;

	mb_hdr(&m, GENL_ID_CTRL, NLM_F_REQUEST, ++r->seq, CTRL_CMD_GETFAMILY,
	       1, 0);
	mb_str(&m, CTRL_ATTR_FAMILY_NAME, LTUN_GENL_NAME);
	mb_end(&m);
	if (mb_send(r, &m))
		return -errno;
	n = recv(r->fd, rcvbuf, sizeof(rcvbuf), 0);
	if (n < (ssize_t)(NLMSG_HDRLEN + GENL_HDRLEN))
		return -EIO;
	{
		struct nlmsghdr *h = (struct nlmsghdr *)rcvbuf;
		const uint8_t *at = (const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
		size_t alen = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		if (h->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		x = attr_find(at, alen, CTRL_ATTR_FAMILY_ID);
		if (!x)
			return -EIO;
		memcpy(&r->family, NLA_DATA(x), 2);
		x = attr_find(at, alen, CTRL_ATTR_MCAST_GROUPS);
		if (x) {
			const uint8_t *p = NLA_DATA(x);
			size_t left = NLA_PLEN(x);

			for (off = 0; off + NLA_HDRLEN <= left;) {
				const struct nlattr *grp = (const void *)(p + off);
				const struct nlattr *name;

				name = attr_find(NLA_DATA(grp), NLA_PLEN(grp),
						 CTRL_ATTR_MCAST_GRP_NAME);
				g = attr_find(NLA_DATA(grp), NLA_PLEN(grp),
					      CTRL_ATTR_MCAST_GRP_ID);
				if (name && g &&
				    !strcmp((const char *)NLA_DATA(name),
					    LTUN_MCGRP_PEERS))
					memcpy(&r->mcgrp, NLA_DATA(g), 4);
				off += NLA_ALIGN(grp->nla_len);
			}
		}
	}
	return r->mcgrp ? 0 : -ENOENT;
}

static int rnl_open(struct rnl *r)
{
	int ret = rnl_socket(NETLINK_GENERIC, r);

	if (ret)
		return ret;
	ret = resolve_family(r);
	if (ret)
		rnl_close(r);
	return ret;
}

/* One well-formed request with ACK; the answer in *a. */
static int rnl_call(struct rnl *r, struct mb *m, struct answer *a)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	int ret;

	memset(a, 0, sizeof(*a));
	a->seq = h->nlmsg_seq;
	a->dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	a->ack = h->nlmsg_flags & NLM_F_ACK;
	ret = mb_send(r, m);
	if (ret)
		return ret;
	return collect(r, a, 1, 1);
}

static void ltun_hdr(struct rnl *r, struct mb *m, uint8_t cmd, bool dump)
{
	mb_hdr(m, r->family, NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0),
	       ++r->seq, cmd, LTUN_GENL_VERSION, 0);
}

static int dev_get(struct rnl *r, uint32_t ifindex, struct answer *a)
{
	struct mb m;
	int ret;

	ltun_hdr(r, &m, LTUN_CMD_DEV_GET, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifindex);
	mb_end(&m);
	ret = rnl_call(r, &m, a);
	return ret ? ret : a->err;
}

static int n_peers_of(struct rnl *r, uint32_t ifindex)
{
	struct answer a;
	int ret = dev_get(r, ifindex, &a);

	if (ret)
		return ret;
	return a.has_n_peers ? (int)a.n_peers : -EIO;
}

static int n_devices(struct rnl *r)
{
	struct answer a;
	struct mb m;
	int ret;

	ltun_hdr(r, &m, LTUN_CMD_DEV_GET, true);
	mb_end(&m);
	ret = rnl_call(r, &m, &a);
	if (ret)
		return ret;
	return a.err ? a.err : a.n_replies;
}

static int peer_del(struct rnl *r, uint32_t ifindex, uint32_t id)
{
	struct answer a;
	struct mb m;
	int ret;

	ltun_hdr(r, &m, LTUN_CMD_PEER_DEL, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifindex);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_ID, id);
	mb_nest_end(&m);
	mb_end(&m);
	ret = rnl_call(r, &m, &a);
	return ret ? ret : a.err;
}

static void put_aip4(struct mb *m, uint32_t addr_be, uint8_t plen)
{
	uint16_t fam = AF_INET;

	mb_nest(m, LTUN_AIP_A_ITEM);
	mb_u16(m, LTUN_AIP_A_FAMILY, fam);
	mb_put(m, LTUN_AIP_A_ADDR, &addr_be, 4);
	mb_u8(m, LTUN_AIP_A_PREFIXLEN, plen);
	mb_nest_end(m);
}

/* PEER_NEW of @fd with one allowed prefix; *id on success. */
static int peer_new(struct rnl *r, uint32_t ifindex, int fd, uint32_t flags,
		    const char *aip4, uint8_t plen, uint32_t *id,
		    struct answer *a)
{
	struct in_addr in;
	struct mb m;
	int ret;

	inet_pton(AF_INET, aip4, &in);
	ltun_hdr(r, &m, LTUN_CMD_PEER_NEW, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifindex);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_SOCKET, (uint32_t)fd);
	if (flags)
		mb_u32(&m, LTUN_PEER_A_FLAGS, flags);
	mb_nest(&m, LTUN_PEER_A_ALLOWED_IPS);
	put_aip4(&m, in.s_addr, plen);
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_end(&m);
	ret = rnl_call(r, &m, a);
	if (ret)
		return ret;
	if (!a->err && id)
		*id = a->peer_id;
	return a->err;
}

/* ---- rtnetlink: ltun devices ------------------------------------------ */

static int link_add(struct rnl *rt, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct answer a;
	struct mb m;
	int ret;

	mb_hdr(&m, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	       NLM_F_EXCL, ++rt->seq, -1, 0, 0);
	mb_raw(&m, &ifi, sizeof(ifi));
	mb_str(&m, IFLA_IFNAME, name);
	mb_nest(&m, IFLA_LINKINFO);
	mb_str(&m, IFLA_INFO_KIND, "ltun");
	mb_nest_end(&m);
	mb_end(&m);
	rt->family = 0xffff;	/* no family messages expected */
	ret = rnl_call(rt, &m, &a);
	if (ret)
		return ret;
	return a.err ? a.err : (int)if_nametoindex(name);
}

static int link_del(struct rnl *rt, uint32_t ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_index = (int)ifindex };
	struct answer a;
	struct mb m;
	int ret;

	mb_hdr(&m, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, ++rt->seq, -1, 0, 0);
	mb_raw(&m, &ifi, sizeof(ifi));
	mb_end(&m);
	ret = rnl_call(rt, &m, &a);
	return ret ? ret : a.err;
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/ltun/refcnt", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* ---- data path check: a real kTLS peer works -------------------------- */

static int send_frame(int fd, uint8_t type, const void *payload, size_t len)
{
	uint8_t buf[2048];
	struct ltun_wire_hdr *h = (struct ltun_wire_hdr *)buf;

	memset(h, 0, sizeof(*h));
	h->type = type;
	h->len = htonl((uint32_t)len);
	if (len)
		memcpy(buf + sizeof(*h), payload, len);
	return send(fd, buf, sizeof(*h) + len, MSG_NOSIGNAL) ==
	       (ssize_t)(sizeof(*h) + len) ? 0 : -1;
}

/*
 * A fresh kTLS peer on @ifindex (which has 10.9.0.1/24 and is up) carries a
 * packet in each direction. 0 or a negative step number.
 */
static int data_path_works(struct rnl *r, uint32_t ifindex)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(7777) };
	const char *msg = "ltun-nlfuzz";
	struct ltun_wire_hdr h;
	struct pollfd pfd;
	struct answer a;
	uint8_t pkt[1500];
	char rb[64];
	int fds[2], us = -1, ret = 0;
	uint32_t id;
	size_t len;

	if (ktls_pair(AF_INET, fds))
		return -1;
	if (peer_new(r, ifindex, fds[0], 0, "10.9.0.2", 32, &id, &a)) {
		fprintf(stderr, "# data path: PEER_NEW: %d %s\n", a.err, a.extack);
		ret = -2;
		goto out;
	}
	close(fds[0]);
	fds[0] = -1;
	us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "10.9.0.1", &sa.sin_addr);
	if (us < 0 || bind(us, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -3;
		goto out_us;
	}
	len = build_udp4(pkt, "10.9.0.2", "10.9.0.1", 5555, 7777, msg);
	if (send_frame(fds[1], LTUN_WIRE_DATA, pkt, len)) {
		ret = -4;
		goto out_us;
	}
	pfd = (struct pollfd){ .fd = us, .events = POLLIN };
	if (poll(&pfd, 1, 5000) != 1 ||
	    recv(us, rb, sizeof(rb), 0) != (ssize_t)strlen(msg) ||
	    memcmp(rb, msg, strlen(msg))) {
		ret = -5;
		goto out_us;
	}
	sa.sin_port = htons(6666);
	inet_pton(AF_INET, "10.9.0.2", &sa.sin_addr);
	if (sendto(us, msg, strlen(msg), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)strlen(msg)) {
		ret = -6;
		goto out_us;
	}
	do {
		if (read_exact(fds[1], &h, sizeof(h), 5000)) {
			ret = -7;
			goto out_us;
		}
	} while (h.type == LTUN_WIRE_KEEPALIVE && !h.len);
	len = ntohl(h.len);
	if (h.type != LTUN_WIRE_DATA || len > sizeof(pkt) ||
	    read_exact(fds[1], pkt, len, 5000) ||
	    memcmp(pkt + len - strlen(msg), msg, strlen(msg)))
		ret = -8;
out_us:
	if (us >= 0)
		close(us);
	if (peer_del(r, ifindex, id))
		ret = ret ? ret : -9;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	close(fds[1]);
	return ret;
}

/* ---- the fuzzer ------------------------------------------------------- */

/* Kinds of file descriptors handed in as LTUN_PEER_A_SOCKET. */
enum fd_kind {
	FK_UDP4, FK_UDP6, FK_TCP_UNCONN, FK_TCP_LISTEN, FK_TCP_PLAIN,
	FK_TCP6_PLAIN, FK_KTLS_TX, FK_KTLS_RX, FK_KTLS, FK_KTLS6,
	FK_TCP_CLOSE_WAIT, FK_TCP_SHUT_WR, FK_TCP_CONNECTING,
	FK_UNIX_STREAM, FK_UNIX_DGRAM, FK_UNIX_SEQPACKET, FK_NETLINK,
	FK_PACKET, FK_RAW, FK_MPTCP, FK_SCTP, FK_PIPE, FK_DEVNULL,
	FK_EVENTFD, FK_EPOLL, FK_DIR,
	FK_COUNT
};

static const char *const fk_name[FK_COUNT] = {
	"udp4", "udp6", "tcp-unconnected", "tcp-listen", "tcp-plain",
	"tcp6-plain", "ktls-tx-only", "ktls-rx-only", "ktls", "ktls6",
	"tcp-close-wait", "tcp-shut-wr", "tcp-connecting",
	"unix-stream", "unix-dgram", "unix-seqpacket", "netlink",
	"packet", "raw", "mptcp", "sctp", "pipe", "/dev/null",
	"eventfd", "epoll", "directory",
};

struct fz_fd {
	int fd;		/* -1: make one when needed */
	int far;	/* the other end, when there is one */
	int extra;	/* a listener or pipe end to close with it */
};

#define MAX_DEVS	4
#define MAX_PEERS	48
#define MAX_HELD	256

struct fz_peer {
	bool used;
	int dev;	/* index into devs[] */
	uint32_t id;
	int far;	/* far end of its first connection, or -1 */
};

struct fz_dev {
	bool used;
	uint32_t ifindex;
	char name[IFNAMSIZ];
};

struct fz {
	struct rnl nl;		/* ltun requests */
	struct rnl rt;		/* rtnetlink */
	struct rnl ntf;		/* "peers" group listener */
	struct fz_fd fds[FK_COUNT];
	struct fz_dev devs[MAX_DEVS];
	struct fz_peer peers[MAX_PEERS];
	int held[MAX_HELD];	/* fds attached to the kernel, closed at the end */
	int n_held;
	int last_fd_kind;	/* of the last SOCKET attribute, -1 none */
	int last_fd;
	uint32_t last_dev;	/* ifindex the last request named */
	/* statistics */
	unsigned long requests, silent, successes, created, errs[135];
	unsigned long no_extack;
};

static void fd_release(struct fz_fd *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->far >= 0)
		close(f->far);
	if (f->extra >= 0)
		close(f->extra);
	f->fd = f->far = f->extra = -1;
}

static int connected_tcp(int family, int fds[2], int kind)
{
	int ret = kind == FK_KTLS || kind == FK_KTLS6 ? ktls_pair(family, fds) :
		  tcp_pair(family, fds);

	if (ret)
		return ret;
	if (kind == FK_KTLS_TX)
		ret = ktls_set_tx(fds[0], 0);
	else if (kind == FK_KTLS_RX)
		ret = ktls_set_rx(fds[0], 0);
	if (ret) {
		close(fds[0]);
		close(fds[1]);
	}
	return ret;
}

/* Make a descriptor of @kind; -1 if this kernel cannot (e.g. no SCTP). */
static void fd_make(struct fz_fd *f, int kind)
{
	int fds[2], fam;

	f->fd = f->far = f->extra = -1;
	switch (kind) {
	case FK_UDP4:
	case FK_UDP6: {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(9),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		fam = kind == FK_UDP4 ? AF_INET : AF_INET6;
		f->fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (f->fd >= 0 && fam == AF_INET)
			connect(f->fd, (struct sockaddr *)&sa, sizeof(sa));
		break;
	}
	case FK_TCP_UNCONN:
		f->fd = tcp_unconnected(AF_INET);
		break;
	case FK_TCP_LISTEN:
		f->fd = tcp_listener(below(2) ? AF_INET : AF_INET6);
		break;
	case FK_TCP_PLAIN:
	case FK_TCP6_PLAIN:
	case FK_KTLS_TX:
	case FK_KTLS_RX:
	case FK_KTLS:
	case FK_KTLS6:
	case FK_TCP_CLOSE_WAIT:
	case FK_TCP_SHUT_WR:
		fam = kind == FK_TCP6_PLAIN || kind == FK_KTLS6 ? AF_INET6 : AF_INET;
		if (connected_tcp(fam, fds, kind))
			break;
		f->fd = fds[0];
		f->far = fds[1];
		if (kind == FK_TCP_CLOSE_WAIT) {
			close(f->far);
			f->far = -1;
			usleep(1000);
		} else if (kind == FK_TCP_SHUT_WR) {
			shutdown(f->fd, SHUT_WR);
		}
		break;
	case FK_TCP_CONNECTING: {
		/* a SYN to a blackhole address never completes */
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(9) };

		inet_pton(AF_INET, "10.255.255.1", &sa.sin_addr);
		f->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (f->fd >= 0)
			connect(f->fd, (struct sockaddr *)&sa, sizeof(sa));
		break;
	}
	case FK_UNIX_STREAM:
	case FK_UNIX_DGRAM:
	case FK_UNIX_SEQPACKET:
		if (!socketpair(AF_UNIX, (kind == FK_UNIX_STREAM ? SOCK_STREAM :
					  kind == FK_UNIX_DGRAM ? SOCK_DGRAM :
					  SOCK_SEQPACKET) | SOCK_CLOEXEC, 0, fds)) {
			f->fd = fds[0];
			f->far = fds[1];
		}
		break;
	case FK_NETLINK:
		f->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		break;
	case FK_PACKET:
		f->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		break;
	case FK_RAW:
		f->fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
		break;
	case FK_MPTCP:
		f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
		break;
	case FK_SCTP:
		f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
		break;
	case FK_PIPE:
		if (!pipe2(fds, O_CLOEXEC)) {
			f->fd = fds[0];
			f->far = fds[1];
		}
		break;
	case FK_DEVNULL:
		f->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	case FK_EVENTFD:
		f->fd = eventfd(0, EFD_CLOEXEC);
		break;
	case FK_EPOLL:
		f->fd = epoll_create1(EPOLL_CLOEXEC);
		break;
	case FK_DIR:
		f->fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
}

static void hold_fd(struct fz *z, int fd)
{
	if (fd < 0)
		return;
	if (z->n_held == MAX_HELD) {
		close(z->held[0]);
		memmove(z->held, z->held + 1, sizeof(int) * (MAX_HELD - 1));
		z->n_held--;
	}
	z->held[z->n_held++] = fd;
}

/* A descriptor number for LTUN_PEER_A_SOCKET, of any kind. */
static uint32_t pick_fd(struct fz *z)
{
	int kind, i;

	z->last_fd_kind = -1;
	z->last_fd = -1;
	switch (below(10)) {
	case 0: {
		static const uint32_t odd[] = { 0, 1, 2, 0x7fffffff,
						0xffffffff, 0x80000000, 1023,
						65535 };

		return odd[below(sizeof(odd) / sizeof(odd[0]))];
	}
	case 1:
		/* an fd the kernel already has (EBUSY), or a closed one */
		if (z->n_held)
			return (uint32_t)z->held[below(z->n_held)];
		for (i = 3; i < 1024; i++)
			if (fcntl(i, F_GETFD) < 0)
				return (uint32_t)i;
		return 999;
	case 2:
		return (uint32_t)z->nl.fd;
	default:
		break;
	}
	/* the kinds that can succeed come up more often */
	kind = chance(40) ? (int)(chance(50) ? FK_KTLS : FK_TCP_PLAIN) :
			    (int)below(FK_COUNT);
	if (z->fds[kind].fd < 0)
		fd_make(&z->fds[kind], kind);
	if (z->fds[kind].fd < 0)
		return 0x7ffffff0;	/* kind unsupported here: EBADF */
	z->last_fd_kind = kind;
	z->last_fd = z->fds[kind].fd;
	return (uint32_t)z->fds[kind].fd;
}

/* The last request attached z->last_fd: the kernel holds it now. */
static void fd_consumed(struct fz *z, bool new_peer, uint32_t id, int dev)
{
	int k = z->last_fd_kind, i;
	struct fz_fd *f;

	if (k < 0)
		return;
	f = &z->fds[k];
	if (new_peer) {
		for (i = 0; i < MAX_PEERS; i++) {
			if (!z->peers[i].used) {
				z->peers[i] = (struct fz_peer){
					.used = true, .dev = dev, .id = id,
					.far = f->far };
				f->far = -1;
				break;
			}
		}
	}
	hold_fd(z, f->fd);
	hold_fd(z, f->far);
	hold_fd(z, f->extra);
	f->fd = f->far = f->extra = -1;
}

static int dev_slot_of(struct fz *z, uint32_t ifindex)
{
	int i;

	for (i = 0; i < MAX_DEVS; i++)
		if (z->devs[i].used && z->devs[i].ifindex == ifindex)
			return i;
	return -1;
}

static uint32_t pick_ifindex(struct fz *z)
{
	int i = (int)below(MAX_DEVS);

	if (chance(85) && z->devs[i].used)
		return z->devs[i].ifindex;
	if (chance(50))
		return z->devs[0].ifindex;
	switch (below(5)) {
	case 0: return 1;			/* lo: not ltun */
	case 1: return 0;			/* policy: min 1 */
	case 2: return 0xffffffff;
	case 3: return z->devs[0].ifindex + 1 + below(100);
	default: return (uint32_t)rnd();
	}
}

static uint32_t pick_peer_id(struct fz *z)
{
	int i = (int)below(MAX_PEERS);

	if (chance(80) && z->peers[i].used)
		return z->peers[i].id;
	switch (below(4)) {
	case 0: return 0;
	case 1: return 1 + below(64);
	case 2: return 0xffffffff;
	default: return (uint32_t)rnd();
	}
}

/* Garbage bytes of a random length. */
static void put_garbage(struct mb *m, size_t max)
{
	uint8_t g[512];
	size_t n = below((uint32_t)(max < sizeof(g) ? max : sizeof(g)) + 1);

	rnd_bytes(g, n);
	mb_raw(m, g, n);
}

/* An integer attribute of the right or a wrong size. */
static void put_int(struct mb *m, uint16_t type, uint32_t v, size_t good)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 8, 16 };
	uint8_t buf[16] = { 0 };
	size_t n = chance(85) ? good : sizes[below(8)];

	memcpy(buf, &v, 4);
	mb_put(m, type, buf, n);
}

/* A string attribute: good, too long, unterminated, empty. */
static void put_name(struct mb *m, uint16_t type, const char *good,
		     size_t max)
{
	char buf[600];
	size_t n;

	switch (below(8)) {
	case 0:		/* unterminated */
		n = below(20) + 1;
		memset(buf, 'a' + below(26), n);
		mb_put(m, type, buf, n);
		return;
	case 1:		/* exactly the longest allowed, then one more */
		n = max - 1 + below(2);
		memset(buf, 'b', n);
		buf[n] = 0;
		mb_put(m, type, buf, n + 1);
		return;
	case 2:
		mb_put(m, type, "", 1);
		return;
	case 3:		/* embedded NUL and garbage */
		n = below(40) + 2;
		rnd_bytes(buf, n);
		buf[below((uint32_t)n)] = 0;
		mb_put(m, type, buf, n);
		return;
	case 4:
		mb_put(m, type, NULL, 0);
		return;
	default:
		mb_str(m, type, good);
		return;
	}
}

/* A valid prefix (4 or 6), canonical, random. */
static void put_aip_valid(struct mb *m, bool v6)
{
	uint8_t addr[16];
	uint16_t fam = v6 ? AF_INET6 : AF_INET;
	unsigned int alen = v6 ? 16 : 4, maxp = v6 ? 128 : 32, plen, i;

	rnd_bytes(addr, sizeof(addr));
	if (!v6)
		addr[0] = 10;		/* stay inside 10/8 */
	else
		addr[0] = 0xfd;
	plen = chance(60) ? maxp : 8 + below(maxp - 7);
	for (i = plen; i < alen * 8; i++)
		addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	mb_nest(m, LTUN_AIP_A_ITEM);
	mb_u16(m, LTUN_AIP_A_FAMILY, fam);
	mb_put(m, LTUN_AIP_A_ADDR, addr, alen);
	mb_u8(m, LTUN_AIP_A_PREFIXLEN, (uint8_t)plen);
	mb_nest_end(m);
}

/* An allowed-ip entry that is wrong in one way (or several). */
static void put_aip_bad(struct mb *m)
{
	uint8_t addr[32];
	uint16_t fam;
	size_t alen;

	rnd_bytes(addr, sizeof(addr));
	mb_nest(m, chance(85) ? LTUN_AIP_A_ITEM : (uint16_t)below(8));
	switch (below(9)) {
	case 0:		/* family not INET/INET6 */
		fam = (uint16_t)(chance(50) ? below(64) : rnd());
		mb_u16(m, LTUN_AIP_A_FAMILY, fam);
		mb_put(m, LTUN_AIP_A_ADDR, addr, 4);
		mb_u8(m, LTUN_AIP_A_PREFIXLEN, 32);
		break;
	case 1:		/* address length does not match */
		alen = below(33);
		mb_u16(m, LTUN_AIP_A_FAMILY, chance(50) ? AF_INET : AF_INET6);
		mb_put(m, LTUN_AIP_A_ADDR, addr, alen);
		mb_u8(m, LTUN_AIP_A_PREFIXLEN, 0);
		break;
	case 2:		/* prefix length out of range */
		mb_u16(m, LTUN_AIP_A_FAMILY, chance(50) ? AF_INET : AF_INET6);
		mb_put(m, LTUN_AIP_A_ADDR, addr, chance(50) ? 4 : 16);
		mb_u8(m, LTUN_AIP_A_PREFIXLEN, (uint8_t)(33 + below(223)));
		break;
	case 3:		/* host bits set */
		mb_u16(m, LTUN_AIP_A_FAMILY, AF_INET);
		addr[3] |= 1;
		mb_put(m, LTUN_AIP_A_ADDR, addr, 4);
		mb_u8(m, LTUN_AIP_A_PREFIXLEN, (uint8_t)below(32));
		break;
	case 4:		/* a member missing */
		if (chance(50))
			mb_u16(m, LTUN_AIP_A_FAMILY, AF_INET);
		if (chance(50))
			mb_put(m, LTUN_AIP_A_ADDR, addr, 4);
		if (chance(50))
			mb_u8(m, LTUN_AIP_A_PREFIXLEN, 24);
		break;
	case 5:		/* members of the wrong size */
		put_int(m, LTUN_AIP_A_FAMILY, AF_INET, 2);
		mb_put(m, LTUN_AIP_A_ADDR, addr, 4);
		put_int(m, LTUN_AIP_A_PREFIXLEN, 32, 1);
		break;
	case 6:		/* unknown member */
		mb_u32(m, (uint16_t)(LTUN_AIP_A_MAX + 1 + below(100)), 7);
		break;
	case 7:		/* a nest inside */
		mb_nest(m, LTUN_AIP_A_ITEM);
		put_garbage(m, 64);
		mb_nest_end(m);
		break;
	default:
		put_garbage(m, 128);
		break;
	}
	mb_nest_end(m);
}

/* LTUN_PEER_A_ALLOWED_IPS, every shape. */
static void put_aips(struct mb *m)
{
	unsigned int n, i;

	mb_nest(m, LTUN_PEER_A_ALLOWED_IPS);
	switch (below(10)) {
	case 0:		/* empty */
		break;
	case 1:		/* huge: at, or just over, the limit */
		n = KERNEL_MAX_AIPS - 2 + below(4);
		for (i = 0; i < n; i++)
			put_aip_valid(m, chance(30));
		break;
	case 2:		/* many */
		n = 50 + below(300);
		for (i = 0; i < n; i++)
			put_aip_valid(m, chance(50));
		break;
	case 3:		/* one bad one among good ones */
		n = below(6);
		for (i = 0; i < n; i++)
			put_aip_valid(m, chance(50));
		put_aip_bad(m);
		break;
	case 4:		/* garbage */
		put_garbage(m, 256);
		break;
	case 5: {	/* duplicates */
		uint32_t a = htonl(0x0a000000u | below(1 << 16));

		put_aip4(m, a, 32);
		put_aip4(m, a, 32);
		break;
	}
	default:
		n = 1 + below(4);
		for (i = 0; i < n; i++)
			put_aip_valid(m, chance(40));
		break;
	}
	mb_nest_end(m);
}

/* Nests inside nests, to the limit and beyond. */
static void put_deep(struct mb *m, uint16_t type)
{
	unsigned int depth = 1 + below(40), i;
	int depth0 = m->depth;

	for (i = 0; i < depth && m->depth < 60; i++)
		mb_nest(m, i ? (uint16_t)below(4) : type);
	if (chance(50))
		put_garbage(m, 16);
	while (m->depth > depth0)
		mb_nest_end(m);
}

/* One attribute of LTUN_A_PEER. */
static void put_peer_attr(struct fz *z, struct mb *m, uint8_t cmd)
{
	uint8_t buf[64];

	switch (below(14)) {
	case 0:
	case 1:
		put_int(m, LTUN_PEER_A_ID, pick_peer_id(z), 4);
		break;
	case 2:
	case 3:
		put_int(m, LTUN_PEER_A_SOCKET, pick_fd(z), 4);
		break;
	case 4:
	case 5:
		put_aips(m);
		break;
	case 6:
		put_int(m, LTUN_PEER_A_FLAGS, chance(70) ? LTUN_PEER_F_PLAINTEXT :
			(uint32_t)rnd(), 4);
		break;
	case 7:
		put_name(m, LTUN_PEER_A_NAME, "fuzz-peer", LTUN_PEER_NAME_MAX);
		break;
	case 8: {
		static const uint32_t ka[] = { 0, 1, 99, 100, 101, 1000,
					       3600000, 3600001, 0xffffffff };

		put_int(m, chance(50) ? LTUN_PEER_A_KEEPALIVE_MS :
			LTUN_PEER_A_TIMEOUT_MS,
			chance(70) ? ka[below(9)] : (uint32_t)rnd(), 4);
		break;
	}
	case 9: {	/* a read-only attribute */
		static const uint16_t ro[] = {
			LTUN_PEER_A_REMOTE, LTUN_PEER_A_LOCAL,
			LTUN_PEER_A_DEL_REASON, LTUN_PEER_A_STATS,
			LTUN_PEER_A_UPTIME_MS, LTUN_PEER_A_TLS_CIPHER,
			LTUN_PEER_A_TLS_VERSION, LTUN_PEER_A_PAD,
			LTUN_PEER_A_CHANGES, LTUN_PEER_A_RECORDS,
			LTUN_PEER_A_RENEWALS, LTUN_PEER_A_CONN_MS,
		};

		rnd_bytes(buf, sizeof(buf));
		mb_put(m, ro[below(sizeof(ro) / sizeof(ro[0]))], buf,
		       below(20));
		break;
	}
	case 10:	/* unknown type */
		rnd_bytes(buf, sizeof(buf));
		mb_put(m, chance(30) ? 0 : (uint16_t)(LTUN_PEER_A_MAX + 1 +
						       below(0x3fff - LTUN_PEER_A_MAX)),
		       buf, below(12));
		break;
	case 11:
		put_deep(m, (uint16_t)below(LTUN_PEER_A_MAX + 2));
		break;
	case 12:	/* a valid type with the nested flag, or the byteorder one */
		mb_put(m, (uint16_t)((1 + below(LTUN_PEER_A_MAX)) |
				     (chance(50) ? NLA_F_NESTED :
				      NLA_F_NET_BYTEORDER)), buf, 4);
		break;
	default:
		(void)cmd;
		put_garbage(m, 32);
		break;
	}
}

static void put_peer(struct fz *z, struct mb *m, uint8_t cmd)
{
	unsigned int n = below(6), i;

	mb_nest(m, LTUN_A_PEER);
	/* the attributes each command needs, most of the time */
	if (chance(80)) {
		if (cmd == LTUN_CMD_PEER_NEW)
			put_int(m, LTUN_PEER_A_SOCKET, pick_fd(z), 4);
		else
			put_int(m, LTUN_PEER_A_ID, pick_peer_id(z), 4);
	}
	if (cmd == LTUN_CMD_PEER_NEW && chance(50))
		mb_u32(m, LTUN_PEER_A_FLAGS, LTUN_PEER_F_PLAINTEXT);
	for (i = 0; i < n; i++)
		put_peer_attr(z, m, cmd);
	mb_nest_end(m);
}

/* One top-level attribute. */
static void put_top_attr(struct fz *z, struct mb *m, uint8_t cmd)
{
	uint8_t buf[64];

	switch (below(12)) {
	case 0:
	case 1:
		z->last_dev = pick_ifindex(z);
		put_int(m, LTUN_A_IFINDEX, z->last_dev, 4);
		break;
	case 2: {
		int i = (int)below(MAX_DEVS);

		put_name(m, LTUN_A_IFNAME, z->devs[i].used ? z->devs[i].name :
			 chance(50) ? "lo" : "nosuchdev", IFNAMSIZ);
		break;
	}
	case 3:
	case 4:
		put_peer(z, m, cmd);
		break;
	case 5:
		put_int(m, LTUN_A_MAX_PEERS, chance(50) ? 1 + below(8) :
			chance(50) ? below(2) * 65536 : (uint32_t)rnd(), 4);
		break;
	case 6:
		put_int(m, LTUN_A_ISOLATE, chance(70) ? below(2) : below(256), 1);
		break;
	case 7:		/* read-only */
		rnd_bytes(buf, sizeof(buf));
		mb_put(m, chance(50) ? LTUN_A_N_PEERS : LTUN_A_STATS, buf,
		       below(16));
		break;
	case 8:
		rnd_bytes(buf, sizeof(buf));
		mb_put(m, chance(30) ? 0 : (uint16_t)(LTUN_A_MAX + 1 +
						       below(0x3fff - LTUN_A_MAX)),
		       buf, below(16));
		break;
	case 9:
		put_deep(m, chance(50) ? LTUN_A_PEER : (uint16_t)below(16));
		break;
	case 10:	/* LTUN_A_PEER that is not a nest */
		rnd_bytes(buf, sizeof(buf));
		mb_put(m, LTUN_A_PEER, buf, below(12));
		break;
	default:
		put_garbage(m, 24);
		break;
	}
}

/* Corrupt the attribute area in a way only raw netlink can. */
static void corrupt_attrs(struct mb *m, size_t attrs_at)
{
	struct nlattr *a;

	switch (below(5)) {
	case 0:		/* truncated attribute header at the end */
		put_garbage(m, 3);
		break;
	case 1:		/* nla_len past the end of the message */
		if (m->len + 8 <= MSG_MAX)
			mb_put_claim(m, LTUN_A_IFINDEX, "\1\0\0\0", 4,
				     4 + 1 + below(4000));
		break;
	case 2:		/* nla_len below the header size */
		{
			struct nlattr bad = { .nla_len = (uint16_t)below(4),
					      .nla_type = LTUN_A_IFINDEX };

			mb_raw(m, &bad, sizeof(bad));
		}
		break;
	case 3:		/* shrink the first attribute's claimed length */
		if (m->len >= attrs_at + NLA_HDRLEN) {
			a = (struct nlattr *)(m->buf + attrs_at);
			if (a->nla_len > NLA_HDRLEN)
				a->nla_len = (uint16_t)(NLA_HDRLEN +
					below(a->nla_len - NLA_HDRLEN));
		}
		break;
	default:	/* flip random bytes after the headers */
		if (m->len > attrs_at) {
			unsigned int k, flips = 1 + below(4);

			for (k = 0; k < flips; k++)
				m->buf[attrs_at + below((uint32_t)(m->len - attrs_at))] ^=
					(uint8_t)(1 + below(255));
		}
		break;
	}
}

/* Commands and whether they have a doit and a dumpit. */
static bool cmd_has_do(int cmd)
{
	return cmd == LTUN_CMD_DEV_GET || cmd == LTUN_CMD_DEV_SET ||
	       cmd == LTUN_CMD_PEER_NEW || cmd == LTUN_CMD_PEER_DEL ||
	       cmd == LTUN_CMD_PEER_GET || cmd == LTUN_CMD_PEER_SET;
}

static bool cmd_has_dump(int cmd)
{
	return cmd == LTUN_CMD_DEV_GET || cmd == LTUN_CMD_PEER_GET;
}

/*
 * Errnos a request may end with, as README documents them. Anything else
 * (ENOMEM, EFAULT, EIO, EMSGSIZE...) is a finding.
 */
static bool errno_allowed(int e)
{
	switch (e) {
	case 0:
	case EINVAL:		/* malformed or missing attribute */
	case ERANGE:		/* value out of range */
	case E2BIG:		/* too many allowed ips */
	case EOPNOTSUPP:	/* unknown command, no dump, not an ltun device */
	case ENODEV:		/* no such device */
	case ENOENT:		/* no such peer */
	case EBADF:		/* fd not open */
	case ENOTSOCK:		/* fd not a socket */
	case EPROTONOSUPPORT:	/* not TCP */
	case ENOTCONN:		/* TCP not connected */
	case ENOPROTOOPT:	/* no kTLS and no plaintext flag */
	case EBUSY:		/* socket in use, renewal in progress */
	case EADDRINUSE:	/* prefix owned by another peer */
	case ENOSPC:		/* max-peers reached */
		return true;
	default:
		return false;
	}
}

struct fz_req {
	uint8_t cmd;
	bool dump, ack, silent;
	bool want_extack;	/* ltun itself refuses: it must say why */
	bool malformed;
};

static void log_request(const struct mb *m, const struct fz_req *q,
			const struct answer *a)
{
	size_t i, n = m->len < 512 ? m->len : 512;
	char line[100];
	int pos = 0;

	fprintf(stderr, "# request cmd %u%s%s%s len %zu -> err %d (%s) replies %d extack \"%s\"\n",
		q->cmd, q->dump ? " dump" : "", q->ack ? " ack" : "",
		q->silent ? " silent" : "", m->len, a->err,
		a->err ? strerror(-a->err) : "ok", a->n_replies, a->extack);
	for (i = 0; i < n; i++) {
		pos += snprintf(line + pos, sizeof(line) - pos, "%02x", m->buf[i]);
		if (i % 32 == 31 || i + 1 == n) {
			fprintf(stderr, "#   %s\n", line);
			pos = 0;
		}
	}
}

/*
 * Build one fuzzed request into @m. Most are "structurally valid netlink
 * with hostile content"; some break the genl or nlmsg headers.
 */
static void gen_request(struct fz *z, struct mb *m, struct fz_req *q)
{
	uint16_t flags = NLM_F_REQUEST;
	unsigned int n, i;
	size_t attrs_at;
	int cmd;

	memset(q, 0, sizeof(*q));
	z->last_fd_kind = -1;
	z->last_dev = 0;
	cmd = chance(92) ? (int)(1 + below(LTUN_CMD_MAX)) :
	      (int)(chance(50) ? 0 : LTUN_CMD_MAX + 1 + below(250));
	q->cmd = (uint8_t)cmd;
	q->dump = chance(cmd_has_dump(cmd) ? 40 : 10);
	q->ack = chance(90);
	if (q->dump)
		flags |= NLM_F_DUMP;
	if (q->ack)
		flags |= NLM_F_ACK;
	if (chance(5))
		flags |= (uint16_t)(rnd() & 0xff00 & ~NLM_F_DUMP);
	mb_hdr(m, z->nl.family, flags, ++z->nl.seq, cmd,
	       chance(95) ? LTUN_GENL_VERSION : (uint8_t)rnd(),
	       chance(97) ? 0 : (uint16_t)(1 + below(0xffff)));
	attrs_at = m->len;

	/* Usually name a device, usually the right one. */
	if (chance(85)) {
		z->last_dev = chance(90) ? z->devs[0].ifindex : pick_ifindex(z);
		if (chance(80)) {
			int s = dev_slot_of(z, z->last_dev);

			if (chance(80) || s < 0)
				mb_u32(m, LTUN_A_IFINDEX, z->last_dev);
			else
				mb_str(m, LTUN_A_IFNAME, z->devs[s].name);
		}
	}
	if (cmd >= LTUN_CMD_PEER_NEW && chance(80))
		put_peer(z, m, (uint8_t)cmd);
	n = below(4);
	for (i = 0; i < n; i++)
		put_top_attr(z, m, (uint8_t)cmd);
	if (chance(10))
		corrupt_attrs(m, attrs_at);
	mb_end(m);

	/* Header-level damage. */
	if (chance(3)) {
		struct nlmsghdr *h = (struct nlmsghdr *)m->buf;

		q->malformed = true;
		switch (below(4)) {
		case 0:		/* the genl header cut short: EINVAL */
			m->len = NLMSG_HDRLEN + below(GENL_HDRLEN);
			h->nlmsg_len = (uint32_t)m->len;
			break;
		case 1:		/* nlmsg_len past the datagram: ignored */
			h->nlmsg_len = (uint32_t)m->len + 1 + below(1000);
			q->silent = true;
			break;
		case 2:		/* nlmsg_len below the header: ignored */
			h->nlmsg_len = below(NLMSG_HDRLEN);
			q->silent = true;
			break;
		default:	/* trailing bytes after the message */
			put_garbage(m, 3);
			break;
		}
	}
	/* ltun's own refusals carry a message; the genl core's do not */
	q->want_extack = !q->malformed && cmd_has_do(cmd) &&
			 (!q->dump || cmd_has_dump(cmd));
}

/*
 * The mirror of a peer known to be gone (deleted, or its device is):
 * forget it and close its far end.
 */
static void forget_peer(struct fz_peer *p)
{
	if (p->far >= 0)
		close(p->far);
	memset(p, 0, sizeof(*p));
	p->far = -1;
}

static void forget_dev(struct fz *z, int slot)
{
	int i;

	for (i = 0; i < MAX_PEERS; i++)
		if (z->peers[i].used && z->peers[i].dev == slot)
			forget_peer(&z->peers[i]);
	if (slot)
		z->devs[slot].used = false;
}

/* Result of one request: checks and bookkeeping. 0 or a failure step. */
static int fz_check(struct fz *z, struct mb *m, struct fz_req *q,
		    struct answer *a, int coll)
{
	int e = -a->err, slot;

	z->requests++;
	if (coll == -ETIMEDOUT) {
		fprintf(stderr, "# no answer within %d ms\n", REPLY_TIMEOUT_MS);
		log_request(m, q, a);
		return 1;
	}
	if (coll) {
		fprintf(stderr, "# malformed answer: %s\n", proto_why);
		log_request(m, q, a);
		return 2;
	}
	if (q->silent) {
		z->silent++;
		return 0;
	}
	if (!errno_allowed(e)) {
		fprintf(stderr, "# errno %d (%s) is not in the documented set\n",
			e, strerror(e));
		log_request(m, q, a);
		return 3;
	}
	if (e && q->want_extack && !a->extack[0] &&
	    /* the genl core rejects unknown flags bits etc. silently */
	    !(e == EOPNOTSUPP && !cmd_has_do(q->cmd))) {
		z->no_extack++;
		fprintf(stderr, "# refusal without an extack message\n");
		log_request(m, q, a);
		return 4;
	}
	if (e < (int)(sizeof(z->errs) / sizeof(z->errs[0])))
		z->errs[e]++;
	if (e)
		return 0;
	z->successes++;
	if (!q->dump && (q->cmd == LTUN_CMD_DEV_GET ||
			 q->cmd == LTUN_CMD_PEER_GET) && q->ack &&
	    a->n_replies != 1) {
		fprintf(stderr, "# a GET succeeded with %d replies\n", a->n_replies);
		log_request(m, q, a);
		return 5;
	}
	if (q->cmd == LTUN_CMD_PEER_NEW && !q->dump) {
		if (q->ack && a->n_replies != 1) {
			fprintf(stderr, "# PEER_NEW succeeded with %d replies\n",
				a->n_replies);
			log_request(m, q, a);
			return 6;
		}
		z->created++;
		slot = dev_slot_of(z, z->last_dev);
		fd_consumed(z, true, a->peer_id, slot < 0 ? 0 : slot);
	} else if (q->cmd == LTUN_CMD_PEER_SET && !q->dump) {
		/* a new connection may have been handed over */
		fd_consumed(z, false, 0, 0);
	}
	return 0;
}

/* Send one fuzzed request, followed by a sync request when unacked. */
static int fz_one(struct fz *z, struct mb *m, struct fz_req *q)
{
	struct answer as[2];
	struct mb sync;
	int ret, n = 1;

	memset(as, 0, sizeof(as));
	as[0].seq = ((struct nlmsghdr *)m->buf)->nlmsg_seq;
	as[0].dump = q->dump;
	as[0].ack = q->ack;
	as[0].silent = q->silent;
	ret = mb_send(&z->nl, m);
	if (ret) {
		fprintf(stderr, "# sendto: %s\n", strerror(-ret));
		return 7;
	}
	if (!q->ack || q->silent) {
		/* the socket answers in order: this one's ACK ends the wait */
		ltun_hdr(&z->nl, &sync, LTUN_CMD_DEV_GET, false);
		mb_u32(&sync, LTUN_A_IFINDEX, z->devs[0].ifindex);
		mb_end(&sync);
		as[1].seq = z->nl.seq;
		as[1].ack = true;
		if (mb_send(&z->nl, &sync))
			return 7;
		n = 2;
	}
	ret = collect(&z->nl, as, n, n - 1);
	if (!ret && n == 2 && as[1].err) {
		fprintf(stderr, "# sync request failed: %d\n", as[1].err);
		ret = -EPROTO;
	}
	ret = fz_check(z, m, q, &as[0], ret);
	if (ret && z->last_fd_kind >= 0)
		fprintf(stderr, "# (its socket attribute was a %s fd)\n",
			fk_name[z->last_fd_kind]);
	return ret;
}

/* ---- valid operations mixed into the fuzz ------------------------------ */

static int fz_valid_peer_new(struct fz *z)
{
	int slot = chance(70) ? 0 : (int)below(MAX_DEVS);
	int kind = chance(60) ? FK_KTLS : chance(50) ? FK_KTLS6 : FK_TCP_PLAIN;
	struct fz_req q = { .cmd = LTUN_CMD_PEER_NEW, .ack = true,
			    .want_extack = true };
	struct mb m;
	unsigned int n, i;

	if (!z->devs[slot].used)
		slot = 0;
	if (z->fds[kind].fd < 0)
		fd_make(&z->fds[kind], kind);
	if (z->fds[kind].fd < 0)
		return 0;
	z->last_fd_kind = kind;
	z->last_dev = z->devs[slot].ifindex;
	ltun_hdr(&z->nl, &m, LTUN_CMD_PEER_NEW, false);
	mb_u32(&m, LTUN_A_IFINDEX, z->last_dev);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_SOCKET, (uint32_t)z->fds[kind].fd);
	if (kind == FK_TCP_PLAIN)
		mb_u32(&m, LTUN_PEER_A_FLAGS, LTUN_PEER_F_PLAINTEXT);
	if (chance(50))
		mb_str(&m, LTUN_PEER_A_NAME, "valid");
	if (chance(30)) {
		mb_u32(&m, LTUN_PEER_A_KEEPALIVE_MS, 100 + below(5000));
		mb_u32(&m, LTUN_PEER_A_TIMEOUT_MS, 0);
	}
	mb_nest(&m, LTUN_PEER_A_ALLOWED_IPS);
	n = chance(5) ? 200 + below(800) : below(4);
	for (i = 0; i < n; i++)
		put_aip_valid(&m, chance(40));
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_end(&m);
	return fz_one(z, &m, &q);
}

static int fz_valid_misc(struct fz *z)
{
	int i = (int)below(MAX_PEERS), slot;
	struct fz_peer *p = &z->peers[i];
	struct fz_req q = { .ack = true, .want_extack = true };
	struct mb m;
	int ret;

	switch (below(8)) {
	case 0:		/* delete a peer */
		if (!p->used)
			return 0;
		q.cmd = LTUN_CMD_PEER_DEL;
		ltun_hdr(&z->nl, &m, q.cmd, false);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[p->dev].ifindex);
		mb_nest(&m, LTUN_A_PEER);
		mb_u32(&m, LTUN_PEER_A_ID, p->id);
		mb_nest_end(&m);
		mb_end(&m);
		ret = fz_one(z, &m, &q);
		forget_peer(p);
		return ret;
	case 1:		/* change a peer */
		if (!p->used)
			return 0;
		q.cmd = LTUN_CMD_PEER_SET;
		ltun_hdr(&z->nl, &m, q.cmd, false);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[p->dev].ifindex);
		mb_nest(&m, LTUN_A_PEER);
		mb_u32(&m, LTUN_PEER_A_ID, p->id);
		if (chance(50))
			put_aips(&m);
		if (chance(30))
			mb_str(&m, LTUN_PEER_A_NAME, "renamed");
		if (chance(30))
			mb_u32(&m, LTUN_PEER_A_KEEPALIVE_MS, chance(50) ? 0 : 100 + below(1000));
		if (chance(20)) {
			int kind = chance(50) ? FK_KTLS : FK_TCP_PLAIN;

			if (z->fds[kind].fd < 0)
				fd_make(&z->fds[kind], kind);
			z->last_fd_kind = z->fds[kind].fd >= 0 ? kind : -1;
			if (z->last_fd_kind >= 0)
				mb_u32(&m, LTUN_PEER_A_SOCKET,
				       (uint32_t)z->fds[kind].fd);
		}
		mb_nest_end(&m);
		mb_end(&m);
		return fz_one(z, &m, &q);
	case 2:		/* dump a device's peers */
		q.cmd = LTUN_CMD_PEER_GET;
		q.dump = true;
		slot = (int)below(MAX_DEVS);
		if (!z->devs[slot].used)
			slot = 0;
		ltun_hdr(&z->nl, &m, q.cmd, true);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[slot].ifindex);
		mb_end(&m);
		return fz_one(z, &m, &q);
	case 3:		/* get one peer */
		if (!p->used)
			return 0;
		q.cmd = LTUN_CMD_PEER_GET;
		ltun_hdr(&z->nl, &m, q.cmd, false);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[p->dev].ifindex);
		mb_nest(&m, LTUN_A_PEER);
		mb_u32(&m, LTUN_PEER_A_ID, p->id);
		mb_nest_end(&m);
		mb_end(&m);
		return fz_one(z, &m, &q);
	case 4:		/* device settings */
		q.cmd = LTUN_CMD_DEV_SET;
		slot = (int)below(MAX_DEVS);
		if (!z->devs[slot].used)
			slot = 0;
		ltun_hdr(&z->nl, &m, q.cmd, false);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[slot].ifindex);
		if (chance(70))
			mb_u32(&m, LTUN_A_MAX_PEERS, chance(50) ? 1 + below(4) : 100);
		if (chance(50))
			mb_u8(&m, LTUN_A_ISOLATE, (uint8_t)below(2));
		mb_end(&m);
		return fz_one(z, &m, &q);
	case 5:		/* a device comes or goes (with its peers) */
		slot = 1 + (int)below(MAX_DEVS - 1);
		if (z->devs[slot].used) {
			ret = link_del(&z->rt, z->devs[slot].ifindex);
			if (ret) {
				fprintf(stderr, "# link del %s: %d\n",
					z->devs[slot].name, ret);
				return 8;
			}
			forget_dev(z, slot);
		} else {
			snprintf(z->devs[slot].name, IFNAMSIZ, "ltf%d", slot);
			ret = link_add(&z->rt, z->devs[slot].name);
			if (ret <= 0) {
				fprintf(stderr, "# link add %s: %d\n",
					z->devs[slot].name, ret);
				return 9;
			}
			z->devs[slot].ifindex = (uint32_t)ret;
			z->devs[slot].used = true;
		}
		return 0;
	case 6:		/* the far end of a peer acts */
		if (!p->used || p->far < 0)
			return 0;
		switch (below(4)) {
		case 0:	/* closes: the peer goes (PEER_CLOSED) */
			close(p->far);
			p->far = -1;
			break;
		case 1: {	/* resets */
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(p->far, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(p->far);
			p->far = -1;
			break;
		}
		case 2: {	/* garbage (a plaintext peer parses it) */
			uint8_t g[64];

			rnd_bytes(g, sizeof(g));
			send(p->far, g, below(sizeof(g)) + 1,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
			break;
		}
		default:	/* a keepalive */
			send_frame(p->far, LTUN_WIRE_KEEPALIVE, NULL, 0);
			break;
		}
		return 0;
	default:	/* dump devices */
		q.cmd = LTUN_CMD_DEV_GET;
		q.dump = true;
		ltun_hdr(&z->nl, &m, q.cmd, true);
		mb_end(&m);
		return fz_one(z, &m, &q);
	}
}

/* Peer-group notifications must be well-formed too (overruns are fine). */
static int fz_drain_ntf(struct fz *z)
{
	for (;;) {
		ssize_t n = recv(z->ntf.fd, rcvbuf, sizeof(rcvbuf), MSG_DONTWAIT);
		size_t off;

		if (n < 0)
			return errno == EAGAIN || errno == ENOBUFS ? 0 : 10;
		for (off = 0; off + NLMSG_HDRLEN <= (size_t)n;) {
			struct nlmsghdr *h = (struct nlmsghdr *)(rcvbuf + off);
			struct genlmsghdr *g = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
			    h->nlmsg_len > (size_t)n - off ||
			    h->nlmsg_type != z->nl.family ||
			    (g->cmd != LTUN_CMD_PEER_NEW_NTF &&
			     g->cmd != LTUN_CMD_PEER_SET_NTF &&
			     g->cmd != LTUN_CMD_PEER_DEL_NTF) ||
			    !attrs_sane((uint8_t *)g + GENL_HDRLEN,
					h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0)) {
				fprintf(stderr, "# malformed notification\n");
				return 11;
			}
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

/* Remove whatever peers a device has, by dumping it. */
static int del_all_peers(struct rnl *r, uint32_t ifindex)
{
	struct mb m;
	int tries;

	for (tries = 0; tries < 5; tries++) {
		uint32_t ids[4096];
		int n = 0, i;
		ssize_t len;

		ltun_hdr(r, &m, LTUN_CMD_PEER_GET, true);
		mb_u32(&m, LTUN_A_IFINDEX, ifindex);
		mb_end(&m);
		if (mb_send(r, &m))
			return -errno;
		for (;;) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			size_t off;
			bool done = false;

			if (poll(&pfd, 1, REPLY_TIMEOUT_MS) != 1)
				return -ETIMEDOUT;
			len = recv(r->fd, rcvbuf, sizeof(rcvbuf), 0);
			if (len < 0)
				return -errno;
			for (off = 0; off + NLMSG_HDRLEN <= (size_t)len;) {
				struct nlmsghdr *h = (struct nlmsghdr *)(rcvbuf + off);
				const uint8_t *at = (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
				const struct nlattr *p, *id;

				if (h->nlmsg_type == NLMSG_DONE ||
				    h->nlmsg_type == NLMSG_ERROR) {
					done = true;
					break;
				}
				p = attr_find(at, h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
					      LTUN_A_PEER);
				id = p ? attr_find(NLA_DATA(p), NLA_PLEN(p),
						   LTUN_PEER_A_ID) : NULL;
				if (id && n < 4096)
					memcpy(&ids[n++], NLA_DATA(id), 4);
				off += NLMSG_ALIGN(h->nlmsg_len);
			}
			if (done)
				break;
		}
		if (!n)
			return 0;
		for (i = 0; i < n; i++)
			peer_del(r, ifindex, ids[i]);
	}
	return -EAGAIN;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/*
 * A second client racing the fuzzer on the same device: dumps and gets
 * while peers come and go, and deletes and changes peers under the
 * fuzzer's feet. Runs until killed; exits non-zero on a bad answer.
 */
static void racer(uint32_t ifindex, uint64_t seed)
{
	uint32_t hi = 1, id;
	struct answer a;
	struct rnl r;
	struct mb m;

	rng_state = seed ^ 0x7261636572ULL;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (rnl_open(&r))
		_exit(2);
	for (;;) {
		unsigned int w = below(10);
		bool dump = w < 3;

		id = hi > 10 ? hi - 10 + below(14) : 1 + below(14);
		ltun_hdr(&r, &m, w < 2 ? LTUN_CMD_PEER_GET :
			 w == 2 ? LTUN_CMD_DEV_GET :
			 w == 3 ? LTUN_CMD_PEER_DEL :
			 w == 4 ? LTUN_CMD_PEER_SET :
			 w < 8 ? LTUN_CMD_PEER_GET : LTUN_CMD_DEV_GET, dump);
		mb_u32(&m, LTUN_A_IFINDEX, ifindex);
		if (w >= 3 && w < 8) {
			mb_nest(&m, LTUN_A_PEER);
			mb_u32(&m, LTUN_PEER_A_ID, id);
			if (w == 4) {
				mb_u32(&m, LTUN_PEER_A_KEEPALIVE_MS, 0);
				mb_str(&m, LTUN_PEER_A_NAME, "raced");
			}
			mb_nest_end(&m);
		}
		mb_end(&m);
		if (rnl_call(&r, &m, &a)) {
			fprintf(stderr, "# racer: %s\n", proto_why);
			_exit(3);
		}
		/*
		 * The fuzzer may grow a peer's prefix list past what a peer
		 * dump sized its messages for at its start: that dump ends
		 * with EMSGSIZE and says so (uapi, LTUN_CMD_PEER_GET).
		 */
		if (a.err == -EMSGSIZE && dump && w != 2 &&
		    strstr(a.extack, "dump again"))
			continue;
		if (!errno_allowed(-a.err)) {
			fprintf(stderr, "# racer: cmd %u errno %d (%s)\n", w,
				a.err, a.extack);
			_exit(4);
		}
		if (a.peer_id > hi)
			hi = a.peer_id;
	}
}

FIXTURE(fz) {
	struct fz z;
	long refcnt0;
};

FIXTURE_SETUP(fz)
{
	struct fz *z = &self->z;
	int i, ret;

	memset(z, 0, sizeof(*z));
	for (i = 0; i < FK_COUNT; i++)
		z->fds[i].fd = z->fds[i].far = z->fds[i].extra = -1;
	for (i = 0; i < MAX_PEERS; i++)
		z->peers[i].far = -1;
	z->nl.fd = z->rt.fd = z->ntf.fd = -1;
	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %m");
	ASSERT_EQ(0, loopback_up());
	self->refcnt0 = module_refcnt();
	ASSERT_EQ(0, rnl_socket(NETLINK_ROUTE, &z->rt));
	ret = link_add(&z->rt, DEV0);
	ASSERT_LT(0, ret) TH_LOG("cannot create an ltun device (%d): module loaded?",
				 ret);
	z->devs[0] = (struct fz_dev){ .used = true, .ifindex = (uint32_t)ret };
	strcpy(z->devs[0].name, DEV0);
	ASSERT_EQ(0, run("ip addr add 10.9.0.1/24 dev " DEV0 " && ip link set "
			 DEV0 " up"));
	ASSERT_EQ(0, rnl_open(&z->nl));
	ASSERT_EQ(0, rnl_open(&z->ntf));
	ASSERT_EQ(0, setsockopt(z->ntf.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&z->ntf.mcgrp, sizeof(z->ntf.mcgrp)));
}

FIXTURE_TEARDOWN(fz)
{
	struct fz *z = &self->z;
	int i;

	for (i = 0; i < FK_COUNT; i++)
		fd_release(&z->fds[i]);
	for (i = 0; i < z->n_held; i++)
		close(z->held[i]);
	for (i = 0; i < MAX_PEERS; i++)
		if (z->peers[i].used)
			forget_peer(&z->peers[i]);
	rnl_close(&z->nl);
	rnl_close(&z->ntf);
	rnl_close(&z->rt);
}

/*
 * The fuzz loop. Its end checks are the point: the kernel must answer every
 * request cleanly and be as healthy afterwards as before.
 */
TEST_F_TIMEOUT(fz, fuzz, 24 * 3600)
{
	struct fz *z = &self->z;
	bool debug = env_long("LTUN_DEBUG_KERNEL", 0) ||
		     access("/proc/lockdep", F_OK) == 0;
	long secs = env_long("LTUN_SOAK_SECONDS",
			     env_long("LTUN_FUZZ_SECONDS", debug ? 300 : 30));
	long iters = env_long("LTUN_FUZZ_ITERS", 0);
	uint64_t seed = (uint64_t)env_long("LTUN_FUZZ_SEED", 0);
	uint64_t t0, deadline, t;
	unsigned long it, valid_ops = 0;
	struct fz_req q;
	struct mb m;
	int i, ret = 0, devs, np, status;
	pid_t racer_pid;

	/* the VM's clock and pids repeat from boot to boot: ask the kernel */
	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	seed &= 0x7fffffffffffffffULL;	/* strtol() reads it back */
	if (!seed)
		seed = 1;
	rng_state = seed;
	TH_LOG("seed %llu (LTUN_FUZZ_SEED=%llu replays it), %s %ld%s",
	       (unsigned long long)seed, (unsigned long long)seed,
	       iters ? "iterations" : "seconds", iters ? iters : secs,
	       debug ? " (debug kernel)" : "");

	racer_pid = fork();
	ASSERT_LE(0, racer_pid);
	if (!racer_pid)
		racer(z->devs[0].ifindex, seed);

	t0 = now_ms();
	deadline = t0 + (uint64_t)secs * 1000;
	for (it = 0; iters ? it < (unsigned long)iters : now_ms() < deadline;
	     it++) {
		unsigned int what = below(100);

		if (what < 55) {
			gen_request(z, &m, &q);
			ret = fz_one(z, &m, &q);
		} else if (what < 70) {
			ret = fz_valid_peer_new(z);
			valid_ops++;
		} else {
			ret = fz_valid_misc(z);
			valid_ops++;
		}
		if (!ret)
			ret = fz_drain_ntf(z);
		if (ret) {
			TH_LOG("failed at iteration %lu (seed %llu), step %d",
			       it, (unsigned long long)seed, ret);
			break;
		}
		/* a used-up fd kind is made again when picked */
		if (chance(2)) {
			int k = (int)below(FK_COUNT);

			fd_release(&z->fds[k]);
		}
	}
	t = now_ms() - t0;
	kill(racer_pid, SIGTERM);
	ASSERT_EQ(racer_pid, waitpid(racer_pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		TH_LOG("the racing client failed (exit %d)", WEXITSTATUS(status));
	TH_LOG("%lu iterations, %lu requests (%lu valid operations) in %.1f s: %.0f requests/s",
	       it, z->requests, valid_ops, t / 1000.0,
	       t ? z->requests * 1000.0 / t : 0.0);
	TH_LOG("%lu succeeded (%lu peers created), %lu ignored by the core as malformed",
	       z->successes, z->created, z->silent);
	for (i = 1; i < (int)(sizeof(z->errs) / sizeof(z->errs[0])); i++)
		if (z->errs[i])
			TH_LOG("  %-16s %lu", strerror(i), z->errs[i]);
	ASSERT_EQ(0, ret);

	/* Back to baseline: every peer and extra device removed. */
	for (i = 0; i < MAX_DEVS; i++) {
		if (!z->devs[i].used)
			continue;
		EXPECT_EQ(0, del_all_peers(&z->nl, z->devs[i].ifindex));
		EXPECT_EQ(0, n_peers_of(&z->nl, z->devs[i].ifindex));
		if (i) {
			EXPECT_EQ(0, link_del(&z->rt, z->devs[i].ifindex));
			forget_dev(z, i);
		}
	}
	for (i = 0; i < MAX_PEERS; i++)
		if (z->peers[i].used)
			forget_peer(&z->peers[i]);
	devs = n_devices(&z->nl);
	np = n_peers_of(&z->nl, z->devs[0].ifindex);
	TH_LOG("after cleanup: %d device(s), %d peer(s)", devs, np);
	EXPECT_EQ(1, devs);
	EXPECT_EQ(0, np);
	EXPECT_EQ(0, fz_drain_ntf(z));
	/* max-peers may have been left low */
	{
		struct answer a;

		ltun_hdr(&z->nl, &m, LTUN_CMD_DEV_SET, false);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[0].ifindex);
		mb_u32(&m, LTUN_A_MAX_PEERS, 100);
		mb_u8(&m, LTUN_A_ISOLATE, 0);
		mb_end(&m);
		ASSERT_EQ(0, rnl_call(&z->nl, &m, &a));
		ASSERT_EQ(0, a.err);
	}
	/* A real peer still works. */
	EXPECT_EQ(0, data_path_works(&z->nl, z->devs[0].ifindex));
	/* Only our own fds and netns refer to the module. */
	for (i = 0; i < FK_COUNT; i++)
		fd_release(&z->fds[i]);
	for (i = 0; i < z->n_held; i++)
		close(z->held[i]);
	z->n_held = 0;
	for (i = 0; i < 50 && module_refcnt() != self->refcnt0; i++)
		usleep(100 * 1000);
	TH_LOG("module refcnt %ld (baseline %ld)", module_refcnt(), self->refcnt0);
	EXPECT_EQ(self->refcnt0, module_refcnt());
}

/*
 * Targeted shapes the random walk may take long to hit: each must get a
 * clean answer, and huge peers must still be reported in full.
 */
TEST_F_TIMEOUT(fz, edge_cases, 600)
{
	struct fz *z = &self->z;
	uint32_t ifx = z->devs[0].ifindex, id;
	struct answer a;
	int fds[2], cmd, dump, ret;
	struct mb m;
	unsigned int i;

	rng_state = 1;
	/* every command, do and dump, with no attributes at all */
	for (cmd = 0; cmd <= LTUN_CMD_MAX + 1; cmd++) {
		for (dump = 0; dump < 2; dump++) {
			ltun_hdr(&z->nl, &m, (uint8_t)cmd, dump);
			mb_end(&m);
			ret = rnl_call(&z->nl, &m, &a);
			ASSERT_EQ(0, ret) TH_LOG("cmd %d dump %d: %s", cmd, dump,
						 proto_why);
			TH_LOG("cmd %d %s, no attributes: %d %s", cmd,
			       dump ? "dump" : "do", a.err, a.extack);
			EXPECT_TRUE(errno_allowed(-a.err));
			/* only listing the devices needs nothing */
			if (cmd_has_do(cmd) && (!dump || cmd_has_dump(cmd)) &&
			    !(dump && cmd == LTUN_CMD_DEV_GET))
				EXPECT_NE(0, a.err);
		}
	}

	/* the largest allowed-ip list: attached, then reported in full */
	ASSERT_EQ(0, ktls_pair(AF_INET6, fds));
	ltun_hdr(&z->nl, &m, LTUN_CMD_PEER_NEW, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_SOCKET, (uint32_t)fds[0]);
	mb_nest(&m, LTUN_PEER_A_ALLOWED_IPS);
	for (i = 0; i < KERNEL_MAX_AIPS; i++) {
		uint8_t addr[16] = { 0xfd, 0x42 };
		uint16_t fam = AF_INET6;

		addr[14] = (uint8_t)(i >> 8);
		addr[15] = (uint8_t)i;
		mb_nest(&m, LTUN_AIP_A_ITEM);
		mb_u16(&m, LTUN_AIP_A_FAMILY, fam);
		mb_put(&m, LTUN_AIP_A_ADDR, addr, 16);
		mb_u8(&m, LTUN_AIP_A_PREFIXLEN, 128);
		mb_nest_end(&m);
	}
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&z->nl, &m, &a)) TH_LOG("%s", proto_why);
	ASSERT_EQ(0, a.err) TH_LOG("PEER_NEW with %d prefixes: %s",
				   KERNEL_MAX_AIPS, a.extack);
	id = a.peer_id;
	close(fds[0]);

	ltun_hdr(&z->nl, &m, LTUN_CMD_PEER_GET, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_ID, id);
	mb_nest_end(&m);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&z->nl, &m, &a)) TH_LOG("%s", proto_why);
	TH_LOG("PEER_GET of a peer with %d prefixes: %d %s", KERNEL_MAX_AIPS,
	       a.err, a.extack);
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(1, a.n_replies);

	ltun_hdr(&z->nl, &m, LTUN_CMD_PEER_GET, true);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&z->nl, &m, &a)) TH_LOG("%s", proto_why);
	TH_LOG("PEER_GET dump of it: %d %s, %d replies", a.err, a.extack,
	       a.n_replies);
	EXPECT_EQ(0, a.err);
	EXPECT_EQ(1, a.n_replies);

	/* one over the limit */
	ltun_hdr(&z->nl, &m, LTUN_CMD_PEER_SET, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_ID, id);
	mb_nest(&m, LTUN_PEER_A_ALLOWED_IPS);
	for (i = 0; i <= KERNEL_MAX_AIPS; i++)
		put_aip4(&m, htonl(0x0a000000u | i), 32);
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&z->nl, &m, &a)) TH_LOG("%s", proto_why);
	EXPECT_EQ(-E2BIG, a.err);
	EXPECT_STRNE("", a.extack);

	EXPECT_EQ(0, peer_del(&z->nl, ifx, id));
	close(fds[1]);

	/* a nest 60 deep, an attribute claiming the rest of the world */
	ltun_hdr(&z->nl, &m, LTUN_CMD_PEER_NEW, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	for (i = 0; i < 60; i++)
		mb_nest(&m, i ? LTUN_PEER_A_ALLOWED_IPS : LTUN_A_PEER);
	while (m.depth)
		mb_nest_end(&m);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&z->nl, &m, &a)) TH_LOG("%s", proto_why);
	TH_LOG("deep nest: %d %s", a.err, a.extack);
	EXPECT_TRUE(a.err == -EINVAL || a.err == -ERANGE);

	ltun_hdr(&z->nl, &m, LTUN_CMD_DEV_GET, false);
	mb_put_claim(&m, LTUN_A_IFINDEX, &ifx, 4, 60000);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&z->nl, &m, &a)) TH_LOG("%s", proto_why);
	TH_LOG("nla_len past the end: %d %s", a.err, a.extack);
	EXPECT_EQ(-EINVAL, a.err);

	/* nlmsg_len past the datagram: the core ignores it, socket still fine */
	ltun_hdr(&z->nl, &m, LTUN_CMD_DEV_GET, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_end(&m);
	((struct nlmsghdr *)m.buf)->nlmsg_len += 100;
	ASSERT_EQ(0, mb_send(&z->nl, &m));
	EXPECT_EQ(0, n_peers_of(&z->nl, ifx));
	EXPECT_EQ(0, data_path_works(&z->nl, ifx));
}

/*
 * A peer dump sizes its messages for the largest peer at its start. A peer
 * that grows past that while the dump runs must end the dump with
 * EMSGSIZE and an extack that says to dump again (never a loop, never a
 * silently short list); the next dump reports it in full.
 *
 * The netlink core builds a dump's first batch when the request is sent
 * and each later one when the previous batch is read, in a message as big
 * as the reader's last recv() (or one page before any): so, on a socket
 * that has read nothing yet, the first batch takes a page's worth of the
 * DUMP_PEERS small peers, all of them grow, and the next batch, built as
 * the first is read with a page-sized buffer, starts with a peer that no
 * longer fits.
 */
#define DUMP_PEERS	24
#define DUMP_GROWN_AIPS	300	/* 12 KB of prefixes: over a page */

static int grow_peer(struct rnl *r, uint32_t ifindex, uint32_t id,
		     unsigned int slot, struct answer *a)
{
	unsigned int i;
	struct mb m;
	int ret;

	ltun_hdr(r, &m, LTUN_CMD_PEER_SET, false);
	mb_u32(&m, LTUN_A_IFINDEX, ifindex);
	mb_nest(&m, LTUN_A_PEER);
	mb_u32(&m, LTUN_PEER_A_ID, id);
	mb_nest(&m, LTUN_PEER_A_ALLOWED_IPS);
	for (i = 0; i < DUMP_GROWN_AIPS; i++)
		put_aip4(&m, htonl(0x0a500000u | slot << 12 | i), 32);
	mb_nest_end(&m);
	mb_nest_end(&m);
	mb_end(&m);
	ret = rnl_call(r, &m, a);
	return ret ? ret : a->err;
}

TEST_F_TIMEOUT(fz, dump_grows, 300)
{
	struct fz *z = &self->z;
	uint32_t ifx = z->devs[0].ifindex, ids[DUMP_PEERS];
	int fds[DUMP_PEERS][2];
	char aip[INET_ADDRSTRLEN];
	struct answer a, d;
	struct rnl r;
	size_t off;
	ssize_t n;
	struct mb m;
	int i;

	for (i = 0; i < DUMP_PEERS; i++) {
		ASSERT_EQ(0, ktls_pair(AF_INET, fds[i]));
		snprintf(aip, sizeof(aip), "10.77.0.%d", i + 1);
		ASSERT_EQ(0, peer_new(&z->nl, ifx, fds[i][0], 0, aip, 32,
				      &ids[i], &a)) TH_LOG("%s: %s", aip,
							  a.extack);
	}

	/* a socket that has read nothing: the first batch is a page */
	ASSERT_EQ(0, rnl_socket(NETLINK_GENERIC, &r));
	r.family = z->nl.family;
	ltun_hdr(&r, &m, LTUN_CMD_PEER_GET, true);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_end(&m);
	memset(&d, 0, sizeof(d));
	d.seq = ((struct nlmsghdr *)m.buf)->nlmsg_seq;
	d.dump = d.ack = true;
	ASSERT_EQ(0, mb_send(&r, &m));

	for (i = 0; i < DUMP_PEERS; i++) {
		uint32_t id = ids[i];

		ASSERT_EQ(0, grow_peer(&z->nl, ifx, id, (unsigned int)i, &a))
			TH_LOG("peer %u: %s", id, a.extack);
	}

	n = recv(r.fd, rcvbuf, 4096, 0);
	ASSERT_LT(0, n) TH_LOG("recv: %m");
	for (off = 0; off + NLMSG_HDRLEN <= (size_t)n;) {
		struct nlmsghdr *h = (struct nlmsghdr *)(rcvbuf + off);

		ASSERT_TRUE(h->nlmsg_len >= NLMSG_HDRLEN &&
			    h->nlmsg_len <= (size_t)n - off);
		ASSERT_TRUE(take_msg(&r, &d, 1, h)) TH_LOG("%s", proto_why);
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	TH_LOG("first batch: %d of %d peers, %zd bytes", d.n_replies,
	       DUMP_PEERS, n);
	ASSERT_FALSE(d.done) TH_LOG("the first batch held every peer");
	ASSERT_EQ(0, collect(&r, &d, 1, 1)) TH_LOG("%s", proto_why);
	TH_LOG("after the peers grew: %d %s, %d replies in all", d.err,
	       d.extack, d.n_replies);
	EXPECT_EQ(-EMSGSIZE, d.err);
	EXPECT_NE(NULL, strstr(d.extack, "dump again"));

	/* dumped again: every peer, in full */
	ltun_hdr(&r, &m, LTUN_CMD_PEER_GET, true);
	mb_u32(&m, LTUN_A_IFINDEX, ifx);
	mb_end(&m);
	ASSERT_EQ(0, rnl_call(&r, &m, &d)) TH_LOG("%s", proto_why);
	EXPECT_EQ(0, d.err) TH_LOG("%s", d.extack);
	EXPECT_EQ(DUMP_PEERS, d.n_replies);

	rnl_close(&r);
	for (i = 0; i < DUMP_PEERS; i++) {
		EXPECT_EQ(0, peer_del(&z->nl, ifx, ids[i]));
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

/* ---- privileges ------------------------------------------------------- */

static int capset_keep(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Every capability but CAP_NET_ADMIN (uid stays 0). */
static int drop_net_admin(void)
{
	return capset_keep(~(1ULL << CAP_NET_ADMIN) & ((1ULL << 41) - 1));
}

/*
 * Every command, do and dump, with attributes that would succeed for root
 * (a plaintext TCP socket, an existing device, peer id 1). Returns how many
 * were not refused the way an unprivileged caller must be: EPERM for each
 * command the family has, EOPNOTSUPP for numbers it does not.
 */
static int try_every_command(struct rnl *r, uint32_t ifindex, int sockfd,
			     bool want_eperm, const char *who)
{
	int cmd, dump, bad = 0;
	struct answer a;
	struct mb m;

	for (cmd = 0; cmd <= LTUN_CMD_MAX + 1; cmd++) {
		for (dump = 0; dump < 2; dump++) {
			int want;

			ltun_hdr(r, &m, (uint8_t)cmd, dump);
			mb_u32(&m, LTUN_A_IFINDEX, ifindex);
			if (cmd == LTUN_CMD_DEV_SET)
				mb_u32(&m, LTUN_A_MAX_PEERS, 7);
			if (cmd >= LTUN_CMD_PEER_NEW) {
				mb_nest(&m, LTUN_A_PEER);
				if (cmd == LTUN_CMD_PEER_NEW) {
					mb_u32(&m, LTUN_PEER_A_SOCKET, (uint32_t)sockfd);
					mb_u32(&m, LTUN_PEER_A_FLAGS,
					       LTUN_PEER_F_PLAINTEXT);
				} else {
					mb_u32(&m, LTUN_PEER_A_ID, 1);
				}
				if (cmd == LTUN_CMD_PEER_SET)
					mb_str(&m, LTUN_PEER_A_NAME, "pwned");
				mb_nest_end(&m);
			}
			mb_end(&m);
			if (rnl_call(r, &m, &a)) {
				fprintf(stderr, "# %s: cmd %d: %s\n", who, cmd, proto_why);
				bad++;
				continue;
			}
			want = !cmd_has_do(cmd) ? -EOPNOTSUPP :
			       want_eperm ? -EPERM : a.err;
			/* 6.12 looks the dump op up before the permission */
			if (dump && !cmd_has_dump(cmd) && a.err == -EOPNOTSUPP)
				want = a.err;
			if (!want_eperm && a.err == -EPERM)
				want = 1;
			if (a.err != want) {
				fprintf(stderr, "# %s: cmd %d %s -> %d (%s), want %d\n",
					who, cmd, dump ? "dump" : "do", a.err,
					strerror(-a.err), want);
				bad++;
			}
		}
	}
	return bad;
}

/* Join the "peers" group: 0 or -errno (both ways of joining). */
static int join_group(struct rnl *r, bool via_bind)
{
	if (via_bind) {
		struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
					  .nl_pid = r->portid };

		if (r->mcgrp > 32)
			return -EDOM;
		sa.nl_groups = 1U << (r->mcgrp - 1);
		return bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	}
	return setsockopt(r->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			  &r->mcgrp, sizeof(r->mcgrp)) ? -errno : 0;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

enum unpriv_how {
	UNPRIV_NO_NET_ADMIN,	/* uid 0, every capability but NET_ADMIN */
	UNPRIV_NOBODY,		/* setuid(65534): no capabilities */
	UNPRIV_SENDER,		/* socket opened with the capability, used without */
	UNPRIV_OPENER,		/* socket opened without, used by root */
};

static const char *const unpriv_name[] = {
	"uid 0 without CAP_NET_ADMIN", "uid nobody",
	"privileged socket, unprivileged sender",
	"unprivileged socket, privileged sender",
};

static void unpriv_case(struct __test_metadata *_metadata, struct fz *z,
			enum unpriv_how how)
{
	int fds[2], sv[2], status, sfd;
	struct rnl pre = { .fd = -1 };
	pid_t pid;

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	if (how == UNPRIV_SENDER)
		ASSERT_EQ(0, rnl_open(&pre));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct rnl r;
		int bad = 0, j1, j2;

		close(sv[0]);
		if (how == UNPRIV_NOBODY) {
			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(10);
		} else if (drop_net_admin()) {
			_exit(11);
		}
		if (how == UNPRIV_SENDER) {
			r = pre;
		} else if (rnl_open(&r)) {
			_exit(12);
		}
		if (how == UNPRIV_OPENER) {
			/* root does the asking, on this socket */
			_exit(send_fd(sv[1], r.fd) ? 13 : 0);
		}
		bad = try_every_command(&r, z->devs[0].ifindex, fds[0], true,
					unpriv_name[how]);
		j1 = join_group(&r, false);
		j2 = join_group(&r, true);
		fprintf(stderr, "# %s: joining \"peers\": setsockopt %d (%s), bind %d (%s)\n",
			unpriv_name[how], j1, strerror(-j1), j2, strerror(-j2));
		if (j1 != -EPERM || (j2 != -EPERM && j2 != -EDOM))
			bad++;
		_exit(bad ? 1 : 0);
	}
	close(sv[1]);
	if (how == UNPRIV_OPENER) {
		struct rnl r = { 0 };

		sfd = recv_fd(sv[0]);
		ASSERT_LE(0, sfd);
		r.fd = sfd;
		r.family = z->nl.family;
		r.mcgrp = z->nl.mcgrp;
		r.seq = 1000;
		{
			struct sockaddr_nl sa;
			socklen_t len = sizeof(sa);

			ASSERT_EQ(0, getsockname(sfd, (struct sockaddr *)&sa, &len));
			r.portid = sa.nl_pid;
		}
		/*
		 * Without a destination address (write()), the kernel checks
		 * the capabilities the socket was opened with too: refused.
		 */
		r.use_write = true;
		EXPECT_EQ(0, try_every_command(&r, z->devs[0].ifindex, fds[0],
					       true, unpriv_name[how]));
		/*
		 * With one (sendto()), only the sender's count: a privileged
		 * process that addresses the kernel means it. Logged, not
		 * ltun's to decide.
		 */
		{
			struct answer a;
			struct mb m;

			r.use_write = false;
			ltun_hdr(&r, &m, LTUN_CMD_DEV_GET, false);
			mb_u32(&m, LTUN_A_IFINDEX, z->devs[0].ifindex);
			mb_end(&m);
			ASSERT_EQ(0, rnl_call(&r, &m, &a));
			TH_LOG("same socket, root, sendto(): DEV_GET %d (the kernel checks the sender only)",
			       a.err);
		}
		close(sfd);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", unpriv_name[how]);
	if (how == UNPRIV_SENDER)
		rnl_close(&pre);
	close(sv[0]);
	/* nothing changed */
	EXPECT_EQ(0, n_peers_of(&z->nl, z->devs[0].ifindex));
	{
		struct answer a;
		struct mb m;

		ltun_hdr(&z->nl, &m, LTUN_CMD_DEV_GET, false);
		mb_u32(&m, LTUN_A_IFINDEX, z->devs[0].ifindex);
		mb_end(&m);
		ASSERT_EQ(0, rnl_call(&z->nl, &m, &a));
	}
	close(fds[0]);
	close(fds[1]);
}

/* Timeouts leave room for a debug kernel (KASAN, lockdep) under TCG. */
TEST_F_TIMEOUT(fz, unprivileged, 300)
{
	struct fz *z = &self->z;
	int h;

	for (h = UNPRIV_NO_NET_ADMIN; h <= UNPRIV_OPENER; h++) {
		TH_LOG("case: %s", unpriv_name[h]);
		unpriv_case(_metadata, z, (enum unpriv_how)h);
	}
	/* the same requests from root succeed or fail on their merits */
	EXPECT_EQ(0, try_every_command(&z->nl, z->devs[0].ifindex, -1, false,
				       "root"));
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* unshare -U -r: a user namespace where we are root (uid 0 -> 0). */
static int enter_userns(void)
{
	if (unshare(CLONE_NEWUSER))
		return -errno;
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", "0 0 1") ||
	    write_file("/proc/self/gid_map", "0 0 1"))
		return -EIO;
	return 0;
}

/*
 * Root of a user namespace: refused for the device of a netns it does not
 * own, allowed in full in a netns it made.
 */
TEST_F_TIMEOUT(fz, user_namespace, 300)
{
	struct fz *z = &self->z;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct answer a;
		struct rnl r, ntf, rt;
		int fds[2], bad = 0, ret, j;
		uint32_t id, ifx;
		char buf[256];
		ssize_t n;

		if (enter_userns())
			_exit(20);
		/* the fixture's netns belongs to the initial user namespace */
		if (rnl_open(&r))
			_exit(21);
		if (tcp_pair(AF_INET, fds))
			_exit(22);
		bad += try_every_command(&r, z->devs[0].ifindex, fds[0], true,
					 "userns root, foreign netns");
		j = join_group(&r, false);
		fprintf(stderr, "# userns root, foreign netns: joining \"peers\": %d (%s)\n",
			j, strerror(-j));
		bad += j != -EPERM;
		ret = run("ip link add ltu0 type ltun 2>/dev/null");
		fprintf(stderr, "# userns root, foreign netns: ip link add: exit %d\n", ret);
		bad += ret == 0;
		ret = run("ip link del " DEV0 " 2>/dev/null");
		bad += ret == 0;
		rnl_close(&r);
		close(fds[0]);
		close(fds[1]);

		/* a netns of our own: everything works */
		if (unshare(CLONE_NEWNET) || loopback_up())
			_exit(23);
		ret = run("ip link add ltu0 type ltun");
		fprintf(stderr, "# userns root, own netns: ip link add: exit %d\n", ret);
		if (ret)
			_exit(24);
		ifx = if_nametoindex("ltu0");
		if (rnl_open(&r) || rnl_open(&ntf) || rnl_socket(NETLINK_ROUTE, &rt))
			_exit(25);
		j = join_group(&ntf, false);
		fprintf(stderr, "# userns root, own netns: joining \"peers\": %d\n", j);
		bad += j != 0;
		if (ktls_pair(AF_INET, fds))
			_exit(26);
		bad += try_every_command(&r, ifx, -1, false, "userns root, own netns");
		ret = peer_new(&r, ifx, fds[0], 0, "10.9.0.2", 32, &id, &a);
		fprintf(stderr, "# userns root, own netns: PEER_NEW %d %s\n", ret, a.extack);
		bad += ret != 0;
		bad += n_peers_of(&r, ifx) != 1;
		bad += peer_del(&r, ifx, id) != 0;
		bad += n_peers_of(&r, ifx) != 0;
		/* the NEW notification reached the userns listener */
		n = recv(ntf.fd, buf, sizeof(buf), MSG_DONTWAIT);
		fprintf(stderr, "# userns root, own netns: notification %zd bytes\n", n);
		bad += n <= 0;
		bad += link_del(&rt, ifx) != 0;
		_exit(bad > 100 ? 100 : bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, n_peers_of(&z->nl, z->devs[0].ifindex));
	EXPECT_EQ(1, n_devices(&z->nl));
}

/* ---- a socket from another network namespace --------------------------- */

static int ns_open(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int ns_enter(const char *name)
{
	int fd = ns_open(name), ret;

	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

/* Is the link still there, i.e. is the netns at its other end alive? */
static bool link_exists(const char *ns, const char *dev)
{
	return run("ip -n %s link show %s >/dev/null 2>&1", ns, dev) == 0;
}

static bool wait_link_gone(const char *ns, const char *dev, int secs)
{
	int i;

	for (i = 0; i < secs * 5; i++) {
		if (!link_exists(ns, dev))
			return true;
		usleep(200 * 1000);
	}
	return false;
}

/* Wait for a PEER_DEL_NTF on a listener; its reason, or -1. */
static int wait_del_ntf(struct rnl *ntf, uint32_t id, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (now_ms() < end) {
		struct pollfd pfd = { .fd = ntf->fd, .events = POLLIN };
		ssize_t n;
		size_t off;

		if (poll(&pfd, 1, 200) != 1)
			continue;
		n = recv(ntf->fd, rcvbuf, sizeof(rcvbuf), 0);
		for (off = 0; n > 0 && off + NLMSG_HDRLEN <= (size_t)n;) {
			struct nlmsghdr *h = (struct nlmsghdr *)(rcvbuf + off);
			struct genlmsghdr *g = NLMSG_DATA(h);
			const uint8_t *at = (uint8_t *)g + GENL_HDRLEN;
			const struct nlattr *p, *x, *r;

			off += NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_type != ntf->family ||
			    g->cmd != LTUN_CMD_PEER_DEL_NTF)
				continue;
			p = attr_find(at, h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
				      LTUN_A_PEER);
			x = p ? attr_find(NLA_DATA(p), NLA_PLEN(p), LTUN_PEER_A_ID) : NULL;
			r = p ? attr_find(NLA_DATA(p), NLA_PLEN(p),
					  LTUN_PEER_A_DEL_REASON) : NULL;
			if (x && r && *(const uint32_t *)NLA_DATA(x) == id)
				return (int)*(const uint32_t *)NLA_DATA(r);
		}
	}
	return -1;
}

/*
 * Underlay and tunnel in different network namespaces: the client's TCP
 * socket is made in netns A (which has the veth to the server's netns S),
 * its ltun device lives in netns B. The kernel takes the socket as it is:
 * it keeps its own netns, so the tunnel works. Once A's name is deleted,
 * the socket is all that holds A: the module ends the peer (netns.c), the
 * socket closes and A is freed.
 *
 * Then the same with the device and the socket in one netns X: deleting
 * X's name frees X, its device and the peer, with no help from outside.
 */
TEST_F_TIMEOUT(fz, foreign_netns_socket, 600)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4433) };
	char nsa[32], nsb[32], nss[32], nsx[32];
	struct rnl rs, rb, ntf;
	uint32_t ifs, ifb, id_s, id_b;
	int home, lfd, cfd, sfd, reason;
	struct answer a;

	snprintf(nsa, sizeof(nsa), "ltfzA-%d", getpid());
	snprintf(nsb, sizeof(nsb), "ltfzB-%d", getpid());
	snprintf(nss, sizeof(nss), "ltfzS-%d", getpid());
	snprintf(nsx, sizeof(nsx), "ltfzX-%d", getpid());
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	ASSERT_EQ(0, run("ip netns add %s && ip netns add %s && ip netns add %s && "
			 "ip -n %s link set lo up && ip -n %s link set lo up && "
			 "ip -n %s link set lo up", nsa, nsb, nss, nsa, nsb, nss));
	ASSERT_EQ(0, run("ip link add ve-a netns %s type veth peer name ve-s netns %s && "
			 "ip -n %s addr add 192.0.2.2/24 dev ve-a && "
			 "ip -n %s addr add 192.0.2.1/24 dev ve-s && "
			 "ip -n %s link set ve-a up && ip -n %s link set ve-s up",
			 nsa, nss, nsa, nss, nsa, nss));
	ASSERT_EQ(0, run("ip -n %s link add lts type ltun && "
			 "ip -n %s addr add 10.9.0.1/24 dev lts && ip -n %s link set lts up && "
			 "ip -n %s link add ltb type ltun && "
			 "ip -n %s addr add 10.9.0.2/24 dev ltb && ip -n %s link set ltb up",
			 nss, nss, nss, nsb, nsb, nsb));

	/* server side in S: listener, netlink, notifications */
	ASSERT_EQ(0, ns_enter(nss));
	ifs = if_nametoindex("lts");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "192.0.2.1", &sa.sin_addr);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(lfd, 2));
	ASSERT_EQ(0, rnl_open(&rs));
	ASSERT_EQ(0, rnl_open(&ntf));
	ASSERT_EQ(0, join_group(&ntf, false));
	/* client socket in A */
	ASSERT_EQ(0, ns_enter(nsa));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&sa, sizeof(sa))) TH_LOG("%m");
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, sfd);
	close(lfd);
	/* client device in B */
	ASSERT_EQ(0, ns_enter(nsb));
	ifb = if_nametoindex("ltb");
	ASSERT_EQ(0, rnl_open(&rb));
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));

	ASSERT_EQ(0, ktls_set_both(cfd, 0));
	ASSERT_EQ(0, ktls_set_both(sfd, 1));
	ASSERT_EQ(0, peer_new(&rs, ifs, sfd, 0, "10.9.0.2", 32, &id_s, &a))
		TH_LOG("server PEER_NEW: %s", a.extack);
	ASSERT_EQ(0, peer_new(&rb, ifb, cfd, 0, "10.9.0.0", 24, &id_b, &a))
		TH_LOG("PEER_NEW of a socket from another netns: %s", a.extack);
	close(cfd);
	close(sfd);
	EXPECT_EQ(0, run("ip netns exec %s ping -q -c 2 -W 5 10.9.0.1 >/dev/null", nsb))
		TH_LOG("no traffic through a tunnel whose underlay is another netns");

	/* A's name goes, and nothing but the peer's socket holds A: the
	 * module ends that peer (like WireGuard's tunnel ending with its
	 * birthplace netns), the socket closes and A is freed.
	 */
	ASSERT_EQ(0, run("ip netns del %s", nsa));
	for (int i = 0; i < 40 && n_peers_of(&rb, ifb) > 0; i++)
		usleep(500 * 1000);
	EXPECT_EQ(0, n_peers_of(&rb, ifb))
		TH_LOG("the peer outlived the netns of its socket");
	reason = wait_del_ntf(&ntf, id_s, 30000);
	TH_LOG("server's peer removed after the socket's netns went: reason %d", reason);
	EXPECT_TRUE(reason == LTUN_DEL_REASON_PEER_CLOSED ||
		    reason == LTUN_DEL_REASON_ERROR);
	EXPECT_TRUE(wait_link_gone(nss, "ve-s", 60))
		TH_LOG("the socket's netns was not freed after its peer ended");
	EXPECT_EQ(0, n_peers_of(&rs, ifs));
	rnl_close(&rb);
	ASSERT_EQ(0, run("ip netns del %s", nsb));

	/* one netns X for the device and the socket */
	ASSERT_EQ(0, run("ip netns add %s && ip -n %s link set lo up && "
			 "ip link add ve-x netns %s type veth peer name ve-s2 netns %s && "
			 "ip -n %s addr add 192.0.2.3/24 dev ve-x && "
			 "ip -n %s addr add 192.0.2.4/24 dev ve-s2 && "
			 "ip -n %s link set ve-x up && ip -n %s link set ve-s2 up && "
			 "ip -n %s link add ltx type ltun && "
			 "ip -n %s addr add 10.9.0.3/24 dev ltx && ip -n %s link set ltx up",
			 nsx, nsx, nsx, nss, nsx, nss, nsx, nss, nsx, nsx, nsx));
	ASSERT_EQ(0, ns_enter(nss));
	sa.sin_port = htons(4434);
	inet_pton(AF_INET, "192.0.2.4", &sa.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(lfd, 2));
	ASSERT_EQ(0, ns_enter(nsx));
	{
		uint32_t ifx = if_nametoindex("ltx");

		cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&sa, sizeof(sa)));
		sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		ASSERT_LE(0, sfd);
		close(lfd);
		ASSERT_EQ(0, rnl_open(&rb));
		ASSERT_EQ(0, setns(home, CLONE_NEWNET));
		ASSERT_EQ(0, ktls_set_both(cfd, 0));
		ASSERT_EQ(0, ktls_set_both(sfd, 1));
		ASSERT_EQ(0, peer_new(&rs, ifs, sfd, 0, "10.9.0.3", 32, &id_s, &a));
		ASSERT_EQ(0, peer_new(&rb, ifx, cfd, 0, "10.9.0.0", 24, &id_b, &a));
		close(cfd);
		close(sfd);
		rnl_close(&rb);
	}
	EXPECT_EQ(0, run("ip netns exec %s ping -q -c 1 -W 5 10.9.0.1 >/dev/null", nsx));
	/* X's name goes: its device's peer holds X's only reference, so the
	 * module ends the peer, and X, its device and veth go.
	 */
	ASSERT_EQ(0, run("ip netns del %s", nsx));
	EXPECT_TRUE(wait_link_gone(nss, "ve-s2", 60))
		TH_LOG("netns holding the device and its peer's socket not freed");
	reason = wait_del_ntf(&ntf, id_s, 30000);
	TH_LOG("server's peer removed after the netns went: reason %d", reason);
	EXPECT_TRUE(reason == LTUN_DEL_REASON_PEER_CLOSED ||
		    reason == LTUN_DEL_REASON_ERROR);

	rnl_close(&rs);
	rnl_close(&ntf);
	close(home);
	run("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; "
	    "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
	    nsa, nsb, nss, nsx);
}

TEST_HARNESS_MAIN
