// SPDX-License-Identifier: GPL-2.0
/* Requests to the ltun family and decoding of what it answers. */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/tls.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

static void parse_stats(const struct nlattr *nest, struct stats *st)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint16_t t = mnl_attr_get_type(a);

		if (t > LTUN_STATS_A_MAX || t == LTUN_STATS_A_PAD ||
		    mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			continue;
		st->present[t] = true;
		st->v[t] = mnl_attr_get_u64(a);
	}
}

static void parse_aip(const struct nlattr *item, struct peer_info *pi)
{
	const struct nlattr *a;
	struct prefix p = { 0 };
	bool have_addr = false, have_plen = false;
	uint16_t fam = 0;

	mnl_attr_for_each_nested(a, item) {
		switch (mnl_attr_get_type(a)) {
		case LTUN_AIP_A_FAMILY:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
				fam = mnl_attr_get_u16(a);
			break;
		case LTUN_AIP_A_ADDR:
			if (mnl_attr_get_payload_len(a) == 4 || mnl_attr_get_payload_len(a) == 16) {
				memcpy(p.addr, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
				have_addr = true;
			}
			break;
		case LTUN_AIP_A_PREFIXLEN:
			if (mnl_attr_validate(a, MNL_TYPE_U8) == 0) {
				p.plen = mnl_attr_get_u8(a);
				have_plen = true;
			}
			break;
		}
	}
	if ((fam != AF_INET && fam != AF_INET6) || !have_addr || !have_plen)
		return;
	p.family = fam;
	if (pi->n_aip < PEER_MAX_AIPS)
		pi->aip[pi->n_aip++] = p;
	else
		pi->aip_truncated = true;
}

static void copy_sockaddr(const struct nlattr *a, struct sockaddr_storage *ss, size_t *len)
{
	size_t l = mnl_attr_get_payload_len(a);

	if (l < sizeof(sa_family_t) || l > sizeof(*ss))
		return;
	memcpy(ss, mnl_attr_get_payload(a), l);
	*len = l;
}

static void parse_peer_nest(const struct nlattr *nest, struct peer_info *pi)
{
	const struct nlattr *a, *i;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case LTUN_PEER_A_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				pi->id = mnl_attr_get_u32(a);
			break;
		case LTUN_PEER_A_FLAGS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				pi->flags = mnl_attr_get_u32(a);
			break;
		case LTUN_PEER_A_ALLOWED_IPS:
			mnl_attr_for_each_nested(i, a)
				if (mnl_attr_get_type(i) == LTUN_AIP_A_ITEM)
					parse_aip(i, pi);
			break;
		case LTUN_PEER_A_REMOTE:
			copy_sockaddr(a, &pi->remote, &pi->remote_len);
			break;
		case LTUN_PEER_A_LOCAL:
			copy_sockaddr(a, &pi->local, &pi->local_len);
			break;
		case LTUN_PEER_A_DEL_REASON:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				pi->del_reason = mnl_attr_get_u32(a);
			break;
		case LTUN_PEER_A_STATS:
			parse_stats(a, &pi->stats);
			break;
		case LTUN_PEER_A_UPTIME_MS:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0) {
				pi->uptime_ms = mnl_attr_get_u64(a);
				pi->has_uptime = true;
			}
			break;
		case LTUN_PEER_A_TLS_CIPHER:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
				pi->cipher = mnl_attr_get_u16(a);
				pi->has_cipher = true;
			}
			break;
		case LTUN_PEER_A_TLS_VERSION:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
				pi->version = mnl_attr_get_u16(a);
				pi->has_version = true;
			}
			break;
		case LTUN_PEER_A_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
				snprintf(pi->name, sizeof(pi->name), "%s", mnl_attr_get_str(a));
				pi->has_name = true;
			}
			break;
		case LTUN_PEER_A_KEEPALIVE_MS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
				pi->keepalive_ms = mnl_attr_get_u32(a);
				pi->has_keepalive = true;
			}
			break;
		case LTUN_PEER_A_TIMEOUT_MS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
				pi->timeout_ms = mnl_attr_get_u32(a);
				pi->has_timeout = true;
			}
			break;
		case LTUN_PEER_A_CHANGES:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
				pi->changes = mnl_attr_get_u32(a);
				pi->has_changes = true;
			}
			break;
		case LTUN_PEER_A_RECORDS:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0) {
				pi->records = mnl_attr_get_u64(a);
				pi->has_records = true;
			}
			break;
		case LTUN_PEER_A_RENEWALS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
				pi->renewals = mnl_attr_get_u32(a);
				pi->has_renewals = true;
			}
			break;
		case LTUN_PEER_A_CONN_MS:
			if (mnl_attr_validate(a, MNL_TYPE_U64) == 0) {
				pi->conn_ms = mnl_attr_get_u64(a);
				pi->has_conn = true;
			}
			break;
		}
	}
}

static void parse_dev_common(const struct nlattr *a, uint32_t *ifindex, char *ifname)
{
	switch (mnl_attr_get_type(a)) {
	case LTUN_A_IFINDEX:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*ifindex = mnl_attr_get_u32(a);
		break;
	case LTUN_A_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(ifname, IF_NAMESIZE, "%s", mnl_attr_get_str(a));
		break;
	}
}

int ops_parse_peer(const struct nlmsghdr *nlh, struct peer_info *pi)
{
	const struct nlattr *a;

	memset(pi, 0, sizeof(*pi));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		parse_dev_common(a, &pi->ifindex, pi->ifname);
		if (mnl_attr_get_type(a) == LTUN_A_PEER)
			parse_peer_nest(a, pi);
	}
	return 0;
}

struct peer_ctx {
	peer_fn fn;
	void *data;
	int ret;
};

static int peer_cb(const struct nlmsghdr *nlh, void *data)
{
	struct peer_ctx *ctx = data;
	struct peer_info pi;

	ops_parse_peer(nlh, &pi);
	if (ctx->ret == 0)
		ctx->ret = ctx->fn(&pi, ctx->data);
	return MNL_CB_OK;
}

int ops_peer_get(struct nl *nl, const char *ifname, uint32_t id, peer_fn fn, void *data,
		 char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct peer_ctx ctx = { .fn = fn, .data = data };
	struct nlmsghdr *nlh;
	int ret;

	nlh = nl_msg(nl, buf, LTUN_CMD_PEER_GET, id ? 0 : NLM_F_DUMP);
	nl_put_dev(nlh, ifname);
	if (id) {
		struct nlattr *n = mnl_attr_nest_start(nlh, LTUN_A_PEER);

		mnl_attr_put_u32(nlh, LTUN_PEER_A_ID, id);
		mnl_attr_nest_end(nlh, n);
	}
	ret = nl_talk(nl, nlh, peer_cb, &ctx, err, errlen);
	return ret < 0 ? ret : ctx.ret;
}

struct dev_ctx {
	dev_fn fn;
	void *data;
	int ret;
};

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dev_ctx *ctx = data;
	struct dev_info di = { 0 };
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		parse_dev_common(a, &di.ifindex, di.ifname);
		switch (mnl_attr_get_type(a)) {
		case LTUN_A_MAX_PEERS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				di.max_peers = mnl_attr_get_u32(a);
			break;
		case LTUN_A_N_PEERS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				di.n_peers = mnl_attr_get_u32(a);
			break;
		case LTUN_A_STATS:
			parse_stats(a, &di.stats);
			break;
		case LTUN_A_ISOLATE:
			if (mnl_attr_validate(a, MNL_TYPE_U8) == 0) {
				di.isolate = mnl_attr_get_u8(a) != 0;
				di.has_isolate = true;
			}
			break;
		}
	}
	if (ctx->ret == 0)
		ctx->ret = ctx->fn(&di, ctx->data);
	return MNL_CB_OK;
}

int ops_dev_get(struct nl *nl, const char *ifname, dev_fn fn, void *data,
		char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dev_ctx ctx = { .fn = fn, .data = data };
	struct nlmsghdr *nlh;
	int ret;

	nlh = nl_msg(nl, buf, LTUN_CMD_DEV_GET, ifname ? 0 : NLM_F_DUMP);
	if (ifname)
		nl_put_dev(nlh, ifname);
	ret = nl_talk(nl, nlh, dev_cb, &ctx, err, errlen);
	return ret < 0 ? ret : ctx.ret;
}

int ops_dev_set(struct nl *nl, const char *ifname, int max_peers, int isolate,
		char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = nl_msg(nl, buf, LTUN_CMD_DEV_SET, 0);
	nl_put_dev(nlh, ifname);
	if (max_peers >= 0)
		mnl_attr_put_u32(nlh, LTUN_A_MAX_PEERS, (uint32_t)max_peers);
	if (isolate >= 0)
		mnl_attr_put_u8(nlh, LTUN_A_ISOLATE, isolate ? 1 : 0);
	return nl_talk(nl, nlh, NULL, NULL, err, errlen);
}

int ops_dev_set_max_peers(struct nl *nl, const char *ifname, uint32_t max,
			  char *err, size_t errlen)
{
	if (max > 65535) {
		snprintf(err, errlen, "max-peers %u is not in 1..65535", max);
		return -EINVAL;
	}
	return ops_dev_set(nl, ifname, (int)max, -1, err, errlen);
}

int ops_peer_del(struct nl *nl, const char *ifname, uint32_t id, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *n;

	nlh = nl_msg(nl, buf, LTUN_CMD_PEER_DEL, 0);
	nl_put_dev(nlh, ifname);
	n = mnl_attr_nest_start(nlh, LTUN_A_PEER);
	mnl_attr_put_u32(nlh, LTUN_PEER_A_ID, id);
	mnl_attr_nest_end(nlh, n);
	return nl_talk(nl, nlh, NULL, NULL, err, errlen);
}

static int new_cb(const struct nlmsghdr *nlh, void *data)
{
	struct peer_info pi;

	ops_parse_peer(nlh, &pi);
	*(uint32_t *)data = pi.id;
	return MNL_CB_OK;
}

static void put_aips(struct nlmsghdr *nlh, const struct prefix *aips, size_t n)
{
	struct nlattr *list = mnl_attr_nest_start(nlh, LTUN_PEER_A_ALLOWED_IPS);

	for (size_t i = 0; i < n; i++) {
		struct nlattr *item = mnl_attr_nest_start(nlh, LTUN_AIP_A_ITEM);

		mnl_attr_put_u16(nlh, LTUN_AIP_A_FAMILY, (uint16_t)aips[i].family);
		mnl_attr_put(nlh, LTUN_AIP_A_ADDR, prefix_addr_len(aips[i].family), aips[i].addr);
		mnl_attr_put_u8(nlh, LTUN_AIP_A_PREFIXLEN, aips[i].plen);
		mnl_attr_nest_end(nlh, item);
	}
	mnl_attr_nest_end(nlh, list);
}

/* Reject a name the kernel would: too long for LTUN_PEER_NAME_MAX. */
static int check_name(const char *name, char *err, size_t errlen)
{
	if (name && strlen(name) >= LTUN_PEER_NAME_MAX) {
		snprintf(err, errlen, "peer name longer than %d bytes", LTUN_PEER_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

int ops_peer_new2(struct nl *nl, const char *ifname, int fd, const struct prefix *aips,
		  size_t n, const char *name, uint32_t keepalive_ms, uint32_t timeout_ms,
		  uint32_t *id, char *err, size_t errlen)
{
	return ops_peer_new3(nl, ifname, fd, aips, n, name, keepalive_ms, timeout_ms, 0, id,
			     err, errlen);
}

int ops_peer_new3(struct nl *nl, const char *ifname, int fd, const struct prefix *aips,
		  size_t n, const char *name, uint32_t keepalive_ms, uint32_t timeout_ms,
		  uint32_t flags, uint32_t *id, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *peer;
	int ret;

	*id = 0;
	ret = check_name(name, err, errlen);
	if (ret < 0)
		return ret;
	if (n > PEER_MAX_AIPS) {
		snprintf(err, errlen, "more than %d allowed ips", PEER_MAX_AIPS);
		return -E2BIG;
	}
	nlh = nl_msg(nl, buf, LTUN_CMD_PEER_NEW, 0);
	nl_put_dev(nlh, ifname);
	peer = mnl_attr_nest_start(nlh, LTUN_A_PEER);
	mnl_attr_put_u32(nlh, LTUN_PEER_A_SOCKET, (uint32_t)fd);
	put_aips(nlh, aips, n);
	if (name)
		mnl_attr_put_strz(nlh, LTUN_PEER_A_NAME, name);
	if (keepalive_ms)
		mnl_attr_put_u32(nlh, LTUN_PEER_A_KEEPALIVE_MS, keepalive_ms);
	if (timeout_ms)
		mnl_attr_put_u32(nlh, LTUN_PEER_A_TIMEOUT_MS, timeout_ms);
	if (flags)
		mnl_attr_put_u32(nlh, LTUN_PEER_A_FLAGS, flags);
	mnl_attr_nest_end(nlh, peer);
	ret = nl_talk(nl, nlh, new_cb, id, err, errlen);
	/*
	 * A module older than these attributes refuses them as unknown;
	 * the peer itself works without a label or its own keepalive, so
	 * ask again with only what that module knows.
	 */
	if (ret == -EINVAL && (name || keepalive_ms || timeout_ms) &&
	    (strstr(err, "Unsupported attribute") || strstr(err, "Unknown attribute")))
		return ops_peer_new3(nl, ifname, fd, aips, n, NULL, 0, 0, flags, id, err, errlen);
	if (ret == 0 && *id == 0) {
		snprintf(err, errlen, "kernel reply carried no peer id");
		return -EPROTO;
	}
	return ret;
}

int ops_peer_new(struct nl *nl, const char *ifname, int fd, const struct prefix *aips,
		 size_t n, uint32_t *id, char *err, size_t errlen)
{
	return ops_peer_new2(nl, ifname, fd, aips, n, NULL, 0, 0, id, err, errlen);
}

int ops_peer_set(struct nl *nl, const char *ifname, uint32_t id, const struct peer_set *s,
		 char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *peer;
	int ret;

	ret = check_name(s->name, err, errlen);
	if (ret < 0)
		return ret;
	if (s->set_aips && s->n_aips > PEER_MAX_AIPS) {
		snprintf(err, errlen, "more than %d allowed ips", PEER_MAX_AIPS);
		return -E2BIG;
	}
	nlh = nl_msg(nl, buf, LTUN_CMD_PEER_SET, 0);
	nl_put_dev(nlh, ifname);
	peer = mnl_attr_nest_start(nlh, LTUN_A_PEER);
	mnl_attr_put_u32(nlh, LTUN_PEER_A_ID, id);
	if (s->fd >= 0)
		mnl_attr_put_u32(nlh, LTUN_PEER_A_SOCKET, (uint32_t)s->fd);
	if (s->set_aips)
		put_aips(nlh, s->aips, s->n_aips);
	if (s->name)
		mnl_attr_put_strz(nlh, LTUN_PEER_A_NAME, s->name);
	if (s->set_keepalive) {
		mnl_attr_put_u32(nlh, LTUN_PEER_A_KEEPALIVE_MS, s->keepalive_ms);
		mnl_attr_put_u32(nlh, LTUN_PEER_A_TIMEOUT_MS, s->timeout_ms);
	}
	if (s->set_flags)
		mnl_attr_put_u32(nlh, LTUN_PEER_A_FLAGS, s->flags);
	mnl_attr_nest_end(nlh, peer);
	return nl_talk(nl, nlh, NULL, NULL, err, errlen);
}

/*
 * The policy dump of PEER_NEW: which policy the command uses (OP_POLICY),
 * which nested policy its LTUN_A_PEER has, and the mask of
 * LTUN_PEER_A_FLAGS in each policy (indexes are the dump's own).
 */
#define POL_MAX 32

struct pol_dump {
	int do_idx;
	int peer_idx[POL_MAX];		/* of LTUN_A_PEER in policy i, -1: none */
	bool has_mask[POL_MAX];		/* LTUN_PEER_A_FLAGS in policy i */
	uint64_t mask[POL_MAX];
};

static void pol_attr(struct pol_dump *d, uint16_t idx, uint16_t type, const struct nlattr *a)
{
	const struct nlattr *t;

	mnl_attr_for_each_nested(t, a) {
		switch (mnl_attr_get_type(t)) {
		case NL_POLICY_TYPE_ATTR_POLICY_IDX:
			if (type == LTUN_A_PEER && mnl_attr_validate(t, MNL_TYPE_U32) == 0 &&
			    mnl_attr_get_u32(t) < POL_MAX)
				d->peer_idx[idx] = (int)mnl_attr_get_u32(t);
			break;
		case NL_POLICY_TYPE_ATTR_MASK:
			if (type == LTUN_PEER_A_FLAGS && mnl_attr_validate(t, MNL_TYPE_U64) == 0) {
				d->has_mask[idx] = true;
				d->mask[idx] = mnl_attr_get_u64(t);
			}
			break;
		}
	}
}

static int pol_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pol_dump *d = data;
	const struct nlattr *a, *p, *t;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_OP_POLICY:
			mnl_attr_for_each_nested(p, a) {
				if (mnl_attr_get_type(p) != LTUN_CMD_PEER_NEW)
					continue;
				mnl_attr_for_each_nested(t, p)
					if (mnl_attr_get_type(t) == CTRL_ATTR_POLICY_DO &&
					    mnl_attr_validate(t, MNL_TYPE_U32) == 0 &&
					    mnl_attr_get_u32(t) < POL_MAX)
						d->do_idx = (int)mnl_attr_get_u32(t);
			}
			break;
		case CTRL_ATTR_POLICY:
			mnl_attr_for_each_nested(p, a) {
				uint16_t idx = mnl_attr_get_type(p);

				if (idx >= POL_MAX)
					continue;
				mnl_attr_for_each_nested(t, p)
					pol_attr(d, idx, mnl_attr_get_type(t), t);
			}
			break;
		}
	}
	return MNL_CB_OK;
}

int ops_peer_flags_accepted(struct nl *nl, uint32_t *mask)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[NL_ERRLEN];
	struct pol_dump d = { .do_idx = -1 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int ret, peer;

	*mask = 0;
	for (int i = 0; i < POL_MAX; i++)
		d.peer_idx[i] = -1;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETPOLICY;
	g->version = 1;
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, nl->family);
	mnl_attr_put_u32(nlh, CTRL_ATTR_OP, LTUN_CMD_PEER_NEW);
	ret = nl_talk(nl, nlh, pol_cb, &d, err, sizeof(err));
	if (ret < 0)
		return ret;
	if (d.do_idx < 0)
		return -ENOENT;
	peer = d.peer_idx[d.do_idx];
	if (peer < 0 || !d.has_mask[peer])
		return -ENOENT;
	*mask = (uint32_t)d.mask[peer];
	return 0;
}

bool ops_kernel_gso(struct nl *nl)
{
	uint32_t mask;

	return ops_peer_flags_accepted(nl, &mask) == 0 && (mask & LTUN_PEER_F_GSO);
}

const char *ops_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:		return "AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:		return "AES-256-GCM";
	case TLS_CIPHER_CHACHA20_POLY1305:	return "CHACHA20-POLY1305";
	case TLS_CIPHER_AES_CCM_128:		return "AES-128-CCM";
	default:				return "unknown";
	}
}

const char *ops_version_name(uint16_t version)
{
	switch (version) {
	case TLS_1_3_VERSION:	return "TLS1.3";
	case TLS_1_2_VERSION:	return "TLS1.2";
	default:		return "unknown";
	}
}

const char *ops_del_reason_name(uint32_t reason)
{
	switch (reason) {
	case LTUN_DEL_REASON_PEER_CLOSED:	return "closed by peer";
	case LTUN_DEL_REASON_ERROR:		return "error";
	case LTUN_DEL_REASON_TIMEOUT:		return "timeout";
	case LTUN_DEL_REASON_ADMIN:		return "deleted by admin";
	case LTUN_DEL_REASON_DEVICE_GONE:	return "device gone";
	case LTUN_DEL_REASON_EXPIRED:		return "expired";
	case LTUN_DEL_REASON_PROTOCOL:		return "protocol violation";
	default:				return "unknown reason";
	}
}

const char *ops_stat_key(unsigned int t)
{
	static const char *const key[LTUN_STATS_A_MAX + 1] = {
		[LTUN_STATS_A_RX_BYTES] = "rx_bytes",
		[LTUN_STATS_A_RX_PACKETS] = "rx_packets",
		[LTUN_STATS_A_TX_BYTES] = "tx_bytes",
		[LTUN_STATS_A_TX_PACKETS] = "tx_packets",
		[LTUN_STATS_A_RX_DROPS] = "rx_drops",
		[LTUN_STATS_A_TX_DROPS] = "tx_drops",
		[LTUN_STATS_A_RX_INVALID] = "rx_invalid",
		[LTUN_STATS_A_RX_SPOOFED] = "rx_spoofed",
		[LTUN_STATS_A_TX_QUEUE_FULL] = "tx_queue_full",
		[LTUN_STATS_A_TX_NO_PEER] = "tx_no_peer",
		[LTUN_STATS_A_RX_KEEPALIVES] = "rx_keepalives",
		[LTUN_STATS_A_FORWARDED] = "forwarded",
		[LTUN_STATS_A_ISOLATED] = "isolated",
		[LTUN_STATS_A_TX_KEEPALIVES] = "tx_keepalives",
		[LTUN_STATS_A_RX_TOO_BIG] = "rx_too_big",
		[LTUN_STATS_A_PROTO_ERRORS] = "proto_errors",
	};

	return t <= LTUN_STATS_A_MAX ? key[t] : NULL;
}
