// SPDX-License-Identifier: GPL-2.0
/*
 * ltun generic netlink test client on libnl-genl-3 (see ltun_nl.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/attr.h>

#include "ltun_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

enum req_kind { REQ_DEV, REQ_PEER };

struct req_ctx {
	struct ltun_nl *nl;
	int err;		/* 0 or negative errno from the kernel */
	bool done;
	enum req_kind kind;
	void *out;		/* array of dev_info or peer_info */
	int max, n;		/* capacity and number filled */
};

/*
 * Pull NLMSGERR_ATTR_MSG/OFFS out of an error (or DONE) message. The TLVs sit
 * after struct nlmsgerr and, unless the kernel capped the ack, after the echo
 * of our request too.
 */
static void parse_extack(struct ltun_nl *nl, struct nlmsghdr *nlh,
			 size_t fixed)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *attrs;
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_ERROR && !(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		struct nlmsgerr *e = nlmsg_data(nlh);

		fixed += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)NLMSG_ALIGN(fixed);
	if (len <= 0)
		return;
	attrs = (struct nlattr *)((char *)nlmsg_data(nlh) + NLMSG_ALIGN(fixed));
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(nl->extack, tb[NLMSGERR_ATTR_MSG],
			    sizeof(nl->extack));
	if (tb[NLMSGERR_ATTR_OFFS])
		nl->extack_off = (int)nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)nla;
	ctx->err = e->error;
	ctx->done = true;
	parse_extack(ctx->nl, nlh, sizeof(*e));
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;

	/* Warnings may ride on a successful ack as well. */
	parse_extack(ctx->nl, nlmsg_hdr(msg), sizeof(struct nlmsgerr));
	ctx->done = true;
	return NL_STOP;
}

static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* A dump that fails after starting reports the error in DONE. */
	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		int e = *(int *)nlmsg_data(nlh);

		if (e < 0)
			ctx->err = e;
		parse_extack(ctx->nl, nlh, sizeof(int));
	}
	ctx->done = true;
	return NL_STOP;
}

static void parse_stats(struct nlattr *nest, struct ltun_stats *st)
{
	struct nlattr *a;
	int rem;

	st->present = true;
	nla_for_each_nested(a, nest, rem) {
		int t = nla_type(a);

		if (t > 0 && t <= LTUN_STATS_A_MAX && t != LTUN_STATS_A_PAD &&
		    nla_len(a) == 8)
			st->v[t] = nla_get_u64(a);
	}
}

static void parse_aips(struct nlattr *nest, struct ltun_peer_info *p)
{
	struct nlattr *item;
	int rem;

	nla_for_each_nested(item, nest, rem) {
		struct nlattr *tb[LTUN_AIP_A_MAX + 1];
		struct ltun_aip *aip;

		if (nla_type(item) != LTUN_AIP_A_ITEM ||
		    p->n_aips >= LTUN_NL_MAX_AIPS)
			continue;
		if (nla_parse_nested(tb, LTUN_AIP_A_MAX, item, NULL))
			continue;
		aip = &p->aips[p->n_aips++];
		memset(aip, 0, sizeof(*aip));
		if (tb[LTUN_AIP_A_FAMILY])
			aip->family = nla_get_u16(tb[LTUN_AIP_A_FAMILY]);
		if (tb[LTUN_AIP_A_ADDR]) {
			int l = nla_len(tb[LTUN_AIP_A_ADDR]);

			if (l > 16)
				l = 16;
			memcpy(aip->addr, nla_data(tb[LTUN_AIP_A_ADDR]), l);
			aip->addr_len = (uint8_t)l;
		}
		if (tb[LTUN_AIP_A_PREFIXLEN])
			aip->prefixlen = nla_get_u8(tb[LTUN_AIP_A_PREFIXLEN]);
	}
}

static void copy_sockaddr(struct nlattr *a, struct sockaddr_storage *ss,
			  bool *has)
{
	int l = nla_len(a);

	if (l > (int)sizeof(*ss))
		l = sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, nla_data(a), l);
	*has = true;
}

static void parse_peer(struct nlattr *nest, uint32_t ifindex,
		       struct ltun_peer_info *p)
{
	struct nlattr *a;
	int rem;

	memset(p, 0, sizeof(*p));
	p->ifindex = ifindex;
	nla_for_each_nested(a, nest, rem) {
		switch (nla_type(a)) {
		case LTUN_PEER_A_ID:
			p->id = nla_get_u32(a);
			break;
		case LTUN_PEER_A_FLAGS:
			p->flags = nla_get_u32(a);
			p->has_flags = true;
			break;
		case LTUN_PEER_A_ALLOWED_IPS:
			parse_aips(a, p);
			break;
		case LTUN_PEER_A_REMOTE:
			copy_sockaddr(a, &p->remote, &p->has_remote);
			break;
		case LTUN_PEER_A_LOCAL:
			copy_sockaddr(a, &p->local, &p->has_local);
			break;
		case LTUN_PEER_A_STATS:
			parse_stats(a, &p->stats);
			break;
		case LTUN_PEER_A_UPTIME_MS:
			p->uptime_ms = nla_get_u64(a);
			p->has_uptime = true;
			break;
		case LTUN_PEER_A_TLS_CIPHER:
			p->tls_cipher = nla_get_u16(a);
			p->has_tls_cipher = true;
			break;
		case LTUN_PEER_A_TLS_VERSION:
			p->tls_version = nla_get_u16(a);
			p->has_tls_version = true;
			break;
		case LTUN_PEER_A_NAME:
			nla_strlcpy(p->name, a, sizeof(p->name));
			break;
		case LTUN_PEER_A_KEEPALIVE_MS:
			p->keepalive_ms = nla_get_u32(a);
			break;
		case LTUN_PEER_A_TIMEOUT_MS:
			p->timeout_ms = nla_get_u32(a);
			break;
		case LTUN_PEER_A_RENEWALS:
			p->renewals = nla_get_u32(a);
			break;
		case LTUN_PEER_A_RECORDS:
			p->records = nla_get_u64(a);
			p->has_records = true;
			break;
		case LTUN_PEER_A_CONN_MS:
			p->conn_ms = nla_get_u64(a);
			p->has_conn_ms = true;
			break;
		}
	}
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;
	struct nlattr *tb[LTUN_A_MAX + 1];
	uint32_t ifindex = 0;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LTUN_A_MAX, NULL))
		return NL_SKIP;
	if (tb[LTUN_A_IFINDEX])
		ifindex = nla_get_u32(tb[LTUN_A_IFINDEX]);
	if (!ctx->out || ctx->n >= ctx->max) {
		ctx->n++;	/* count anyway so callers see overflow */
		return NL_OK;
	}
	if (ctx->kind == REQ_DEV) {
		struct ltun_dev_info *d = (struct ltun_dev_info *)ctx->out + ctx->n;

		memset(d, 0, sizeof(*d));
		d->ifindex = ifindex;
		if (tb[LTUN_A_IFNAME])
			nla_strlcpy(d->ifname, tb[LTUN_A_IFNAME],
				    sizeof(d->ifname));
		if (tb[LTUN_A_MAX_PEERS])
			d->max_peers = nla_get_u32(tb[LTUN_A_MAX_PEERS]);
		if (tb[LTUN_A_N_PEERS])
			d->n_peers = nla_get_u32(tb[LTUN_A_N_PEERS]);
		if (tb[LTUN_A_ISOLATE])
			d->isolate = nla_get_u8(tb[LTUN_A_ISOLATE]);
		if (tb[LTUN_A_STATS])
			parse_stats(tb[LTUN_A_STATS], &d->stats);
	} else {
		struct ltun_peer_info *p = (struct ltun_peer_info *)ctx->out + ctx->n;

		if (tb[LTUN_A_PEER])
			parse_peer(tb[LTUN_A_PEER], ifindex, p);
		else
			memset(p, 0, sizeof(*p));
	}
	ctx->n++;
	return NL_OK;
}

/* Send msg (consumed) and run the receive loop until ack/error/done. */
static int transact(struct ltun_nl *nl, struct nl_msg *msg, struct req_ctx *ctx)
{
	struct nl_cb *cb;
	int ret;

	nl->extack[0] = '\0';
	nl->extack_off = -1;
	ctx->nl = nl;
	cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, ctx);

	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	while (!ctx->done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !ctx->done) {
			nl_cb_put(cb);
			return -EIO;
		}
	}
	nl_cb_put(cb);
	return ctx->err;
}

static struct nl_msg *new_req(struct ltun_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, LTUN_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ltun_nl_open(struct ltun_nl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->extack_off = -1;
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	if (genl_connect(nl->sk))
		goto err;
	/* Ask for error strings, and don't echo our request back in errors. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, LTUN_GENL_NAME);
	if (nl->family < 0)
		goto err;
	nl->mcgrp = genl_ctrl_resolve_grp(nl->sk, LTUN_GENL_NAME,
					  LTUN_MCGRP_PEERS);
	if (nl->mcgrp < 0)
		goto err;
	return 0;
err:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return -ENOENT;
}

void ltun_nl_close(struct ltun_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

int ltun_dev_get(struct ltun_nl *nl, uint32_t ifindex,
		 struct ltun_dev_info *out)
{
	struct req_ctx ctx = { .kind = REQ_DEV, .out = out, .max = 1 };
	struct nl_msg *msg = new_req(nl, LTUN_CMD_DEV_GET, 0);
	int ret;

	if (!msg)
		return -ENOMEM;
	NLA_PUT_U32(msg, LTUN_A_IFINDEX, ifindex);
	ret = transact(nl, msg, &ctx);
	if (!ret && ctx.n != 1)
		return -EPROTO;
	return ret;
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int ltun_dev_dump(struct ltun_nl *nl, struct ltun_dev_info *out, int max)
{
	struct req_ctx ctx = { .kind = REQ_DEV, .out = out, .max = max };
	struct nl_msg *msg = new_req(nl, LTUN_CMD_DEV_GET, NLM_F_DUMP);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = transact(nl, msg, &ctx);
	return ret < 0 ? ret : ctx.n;
}

int ltun_dev_set_max_peers(struct ltun_nl *nl, uint32_t ifindex,
			   uint32_t max_peers)
{
	struct req_ctx ctx = { .kind = REQ_DEV };
	struct nl_msg *msg = new_req(nl, LTUN_CMD_DEV_SET, 0);

	if (!msg)
		return -ENOMEM;
	NLA_PUT_U32(msg, LTUN_A_IFINDEX, ifindex);
	NLA_PUT_U32(msg, LTUN_A_MAX_PEERS, max_peers);
	return transact(nl, msg, &ctx);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int ltun_dev_set_isolate(struct ltun_nl *nl, uint32_t ifindex, uint8_t on)
{
	struct req_ctx ctx = { .kind = REQ_DEV };
	struct nl_msg *msg = new_req(nl, LTUN_CMD_DEV_SET, 0);

	if (!msg)
		return -ENOMEM;
	NLA_PUT_U32(msg, LTUN_A_IFINDEX, ifindex);
	NLA_PUT_U8(msg, LTUN_A_ISOLATE, on);
	return transact(nl, msg, &ctx);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int put_aips(struct nl_msg *msg, const struct ltun_aip *aips, int n)
{
	struct nlattr *list, *item;
	int i;

	list = nla_nest_start(msg, LTUN_PEER_A_ALLOWED_IPS);
	if (!list)
		return -1;
	for (i = 0; i < n; i++) {
		item = nla_nest_start(msg, LTUN_AIP_A_ITEM);
		if (!item)
			return -1;
		if (nla_put_u16(msg, LTUN_AIP_A_FAMILY, aips[i].family) ||
		    nla_put(msg, LTUN_AIP_A_ADDR, aips[i].addr_len,
			    aips[i].addr) ||
		    nla_put_u8(msg, LTUN_AIP_A_PREFIXLEN, aips[i].prefixlen))
			return -1;
		nla_nest_end(msg, item);
	}
	nla_nest_end(msg, list);
	return 0;
}

static int peer_new(struct ltun_nl *nl, uint32_t ifindex, const char *ifname,
		    int fd, const struct ltun_aip *aips, int n_aips,
		    uint32_t flags, uint32_t *id)
{
	struct ltun_peer_info info;
	struct req_ctx ctx = { .kind = REQ_PEER, .out = &info, .max = 1 };
	struct nl_msg *msg = new_req(nl, LTUN_CMD_PEER_NEW, 0);
	struct nlattr *peer;
	int ret;

	if (!msg)
		return -ENOMEM;
	if (ifname)
		NLA_PUT_STRING(msg, LTUN_A_IFNAME, ifname);
	else if (ifindex != LTUN_NL_NO_DEV)
		NLA_PUT_U32(msg, LTUN_A_IFINDEX, ifindex);
	peer = nla_nest_start(msg, LTUN_A_PEER);
	if (!peer)
		goto nla_put_failure;
	if (fd >= 0)
		NLA_PUT_U32(msg, LTUN_PEER_A_SOCKET, (uint32_t)fd);
	if (n_aips && put_aips(msg, aips, n_aips))
		goto nla_put_failure;
	if (flags != (uint32_t)-1)
		NLA_PUT_U32(msg, LTUN_PEER_A_FLAGS, flags);
	nla_nest_end(msg, peer);

	ret = transact(nl, msg, &ctx);
	if (ret)
		return ret;
	if (ctx.n != 1)
		return -EPROTO;	/* contract: the reply carries the new id */
	if (id)
		*id = info.id;
	return 0;
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int put_peer_opts(struct nl_msg *msg, const struct ltun_peer_opts *o)
{
	if (o->fd >= 0 && nla_put_u32(msg, LTUN_PEER_A_SOCKET, (uint32_t)o->fd))
		return -1;
	if (o->set_aips && put_aips(msg, o->aips, o->n_aips))
		return -1;
	if (o->flags >= 0 && nla_put_u32(msg, LTUN_PEER_A_FLAGS, (uint32_t)o->flags))
		return -1;
	if (o->name && nla_put_string(msg, LTUN_PEER_A_NAME, o->name))
		return -1;
	if (o->keepalive_ms >= 0 &&
	    nla_put_u32(msg, LTUN_PEER_A_KEEPALIVE_MS, (uint32_t)o->keepalive_ms))
		return -1;
	if (o->timeout_ms >= 0 &&
	    nla_put_u32(msg, LTUN_PEER_A_TIMEOUT_MS, (uint32_t)o->timeout_ms))
		return -1;
	return 0;
}

/* PEER_NEW (id != NULL, reply with the id) or PEER_SET of *pid. */
static int peer_opts_req(struct ltun_nl *nl, uint8_t cmd, uint32_t ifindex,
			 const uint32_t *pid, const struct ltun_peer_opts *o,
			 uint32_t *id)
{
	struct ltun_peer_info info;
	struct req_ctx ctx = { .kind = REQ_PEER, .out = &info, .max = 1 };
	struct nl_msg *msg = new_req(nl, cmd, 0);
	struct nlattr *peer;
	int ret;

	if (!msg)
		return -ENOMEM;
	NLA_PUT_U32(msg, LTUN_A_IFINDEX, ifindex);
	peer = nla_nest_start(msg, LTUN_A_PEER);
	if (!peer)
		goto nla_put_failure;
	if (pid)
		NLA_PUT_U32(msg, LTUN_PEER_A_ID, *pid);
	if (put_peer_opts(msg, o))
		goto nla_put_failure;
	nla_nest_end(msg, peer);
	ret = transact(nl, msg, &ctx);
	if (ret)
		return ret;
	if (id) {
		if (ctx.n != 1)
			return -EPROTO;
		*id = info.id;
	}
	return 0;
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int ltun_peer_new_opts(struct ltun_nl *nl, uint32_t ifindex,
		       const struct ltun_peer_opts *o, uint32_t *id)
{
	return peer_opts_req(nl, LTUN_CMD_PEER_NEW, ifindex, NULL, o, id);
}

int ltun_peer_set(struct ltun_nl *nl, uint32_t ifindex, uint32_t id,
		  const struct ltun_peer_opts *o)
{
	return peer_opts_req(nl, LTUN_CMD_PEER_SET, ifindex, &id, o, NULL);
}

int ltun_peer_new(struct ltun_nl *nl, uint32_t ifindex, int fd,
		  const struct ltun_aip *aips, int n_aips, uint32_t flags,
		  uint32_t *id)
{
	return peer_new(nl, ifindex, NULL, fd, aips, n_aips, flags, id);
}

int ltun_peer_new_name(struct ltun_nl *nl, const char *ifname, int fd,
		       const struct ltun_aip *aips, int n_aips, uint32_t flags,
		       uint32_t *id)
{
	return peer_new(nl, 0, ifname, fd, aips, n_aips, flags, id);
}

static struct nl_msg *peer_req(struct ltun_nl *nl, uint8_t cmd, int flags,
			       uint32_t ifindex, const uint32_t *id)
{
	struct nl_msg *msg = new_req(nl, cmd, flags);
	struct nlattr *peer;

	if (!msg)
		return NULL;
	NLA_PUT_U32(msg, LTUN_A_IFINDEX, ifindex);
	if (id) {
		peer = nla_nest_start(msg, LTUN_A_PEER);
		if (!peer)
			goto nla_put_failure;
		NLA_PUT_U32(msg, LTUN_PEER_A_ID, *id);
		nla_nest_end(msg, peer);
	}
	return msg;
nla_put_failure:
	nlmsg_free(msg);
	return NULL;
}

int ltun_peer_del(struct ltun_nl *nl, uint32_t ifindex, uint32_t id)
{
	struct req_ctx ctx = { .kind = REQ_PEER };
	struct nl_msg *msg = peer_req(nl, LTUN_CMD_PEER_DEL, 0, ifindex, &id);

	if (!msg)
		return -ENOMEM;
	return transact(nl, msg, &ctx);
}

int ltun_peer_get(struct ltun_nl *nl, uint32_t ifindex, uint32_t id,
		  struct ltun_peer_info *out)
{
	struct req_ctx ctx = { .kind = REQ_PEER, .out = out, .max = 1 };
	struct nl_msg *msg = peer_req(nl, LTUN_CMD_PEER_GET, 0, ifindex, &id);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = transact(nl, msg, &ctx);
	if (!ret && ctx.n != 1)
		return -EPROTO;
	return ret;
}

int ltun_peer_dump(struct ltun_nl *nl, uint32_t ifindex,
		   struct ltun_peer_info *out, int max)
{
	struct req_ctx ctx = { .kind = REQ_PEER, .out = out, .max = max };
	struct nl_msg *msg = peer_req(nl, LTUN_CMD_PEER_GET, NLM_F_DUMP,
				      ifindex, NULL);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = transact(nl, msg, &ctx);
	return ret < 0 ? ret : ctx.n;
}

int ltun_ntf_open(struct ltun_nl *nl)
{
	int ret = ltun_nl_open(nl);

	if (ret)
		return ret;
	/* Notifications carry seq 0: don't let libnl reject them. */
	nl_socket_disable_seq_check(nl->sk);
	if (nl_socket_add_membership(nl->sk, nl->mcgrp)) {
		ltun_nl_close(nl);
		return -EIO;
	}
	return 0;
}

struct ntf_ctx {
	struct ltun_del_ntf *ntf;
	bool any;
	bool got;
};

static int ntf_cb(struct nl_msg *msg, void *arg)
{
	struct ntf_ctx *ctx = arg;
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[LTUN_A_MAX + 1];
	struct nlattr *ptb[LTUN_PEER_A_MAX + 1];

	if (ctx->got)
		return NL_SKIP;
	if (g->cmd != LTUN_CMD_PEER_DEL_NTF &&
	    (!ctx->any || (g->cmd != LTUN_CMD_PEER_NEW_NTF &&
			   g->cmd != LTUN_CMD_PEER_SET_NTF)))
		return NL_SKIP;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LTUN_A_MAX, NULL))
		return NL_SKIP;
	memset(ctx->ntf, 0, sizeof(*ctx->ntf));
	ctx->ntf->cmd = g->cmd;
	if (tb[LTUN_A_IFINDEX])
		ctx->ntf->ifindex = nla_get_u32(tb[LTUN_A_IFINDEX]);
	if (tb[LTUN_A_PEER] &&
	    !nla_parse_nested(ptb, LTUN_PEER_A_MAX, tb[LTUN_A_PEER], NULL)) {
		if (ptb[LTUN_PEER_A_ID])
			ctx->ntf->id = nla_get_u32(ptb[LTUN_PEER_A_ID]);
		if (ptb[LTUN_PEER_A_DEL_REASON])
			ctx->ntf->reason =
				nla_get_u32(ptb[LTUN_PEER_A_DEL_REASON]);
		if (ptb[LTUN_PEER_A_CHANGES])
			ctx->ntf->changes = nla_get_u32(ptb[LTUN_PEER_A_CHANGES]);
		if (ptb[LTUN_PEER_A_NAME])
			nla_strlcpy(ctx->ntf->name, ptb[LTUN_PEER_A_NAME],
				    sizeof(ctx->ntf->name));
	}
	ctx->got = true;
	return NL_OK;
}

static int seq_ok(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int ntf_wait(struct ltun_nl *nl, int timeout_ms,
		    struct ltun_del_ntf *ntf, bool any)
{
	struct ntf_ctx ctx = { .ntf = ntf, .any = any };
	long deadline = now_ms() + timeout_ms;
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);
	int ret = -ETIMEDOUT;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, ntf_cb, &ctx);
	/* Notifications carry seq 0; nl_socket_disable_seq_check() only
	 * changes the socket's own callbacks, not this set. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_ok, NULL);
	/* Read one datagram at a time so a second notification stays queued. */
	while (!ctx.got) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(nl->sk),
				      .events = POLLIN };
		long left = deadline - now_ms();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0) {
			fprintf(stderr, "# ltun_ntf_wait: %s\n", nl_geterror(ret));
			ret = -EIO;
			break;
		}
		ret = -ETIMEDOUT;
	}
	if (ctx.got)
		ret = 0;
	nl_cb_put(cb);
	return ret;
}

int ltun_ntf_wait(struct ltun_nl *nl, int timeout_ms, struct ltun_del_ntf *ntf)
{
	return ntf_wait(nl, timeout_ms, ntf, false);
}

int ltun_ntf_wait_any(struct ltun_nl *nl, int timeout_ms,
		      struct ltun_del_ntf *ntf)
{
	return ntf_wait(nl, timeout_ms, ntf, true);
}

struct ltun_aip ltun_aip4(const char *addr, uint8_t prefixlen)
{
	struct ltun_aip a = { .family = AF_INET, .addr_len = 4,
			      .prefixlen = prefixlen };

	inet_pton(AF_INET, addr, a.addr);
	return a;
}

struct ltun_aip ltun_aip6(const char *addr, uint8_t prefixlen)
{
	struct ltun_aip a = { .family = AF_INET6, .addr_len = 16,
			      .prefixlen = prefixlen };

	inet_pton(AF_INET6, addr, a.addr);
	return a;
}
