// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "ltun": device and peer configuration, statistics,
 * and the peer-removed notification. Every command needs CAP_NET_ADMIN in
 * the user namespace owning the requester's network namespace, which is the
 * namespace the device is looked up in. Commands that change state run
 * under RTNL, so a device cannot be unregistered in the middle of one.
 */
#include <linux/file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ltun.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "compat.h"
#include "device.h"
#include "netlink.h"
#include "peer.h"
#include "sock.h"

/* Most prefixes accepted in one PEER_NEW. */
#define LTUN_NL_MAX_AIPS	1024

static struct genl_family ltun_genl_family;

static const struct nla_policy ltun_aip_policy[LTUN_AIP_A_MAX + 1] = {
	[LTUN_AIP_A_FAMILY]	= { .type = NLA_U16 },
	[LTUN_AIP_A_ADDR]	= { .type = NLA_BINARY, .len = 16 },
	[LTUN_AIP_A_PREFIXLEN]	= NLA_POLICY_MAX(NLA_U8, 128),
};

static const struct nla_policy ltun_aips_policy[LTUN_AIP_A_MAX + 1] = {
	[LTUN_AIP_A_ITEM]	= NLA_POLICY_NESTED(ltun_aip_policy),
};

static const struct nla_policy ltun_peer_policy[LTUN_PEER_A_MAX + 1] = {
	[LTUN_PEER_A_ID]		= NLA_POLICY_MIN(NLA_U32, 1),
	[LTUN_PEER_A_SOCKET]		= { .type = NLA_U32 },
	[LTUN_PEER_A_ALLOWED_IPS]	= NLA_POLICY_NESTED(ltun_aips_policy),
	[LTUN_PEER_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32, LTUN_PEER_F_ALL),
	[LTUN_PEER_A_REMOTE]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_LOCAL]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_DEL_REASON]	= { .type = NLA_REJECT },
	[LTUN_PEER_A_STATS]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_UPTIME_MS]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_TLS_CIPHER]	= { .type = NLA_REJECT },
	[LTUN_PEER_A_TLS_VERSION]	= { .type = NLA_REJECT },
	[LTUN_PEER_A_NAME]		= { .type = NLA_NUL_STRING,
					    .len = LTUN_PEER_NAME_MAX - 1 },
	/* Ranges depend on each other: checked in ltun_peer_check_keepalive(). */
	[LTUN_PEER_A_KEEPALIVE_MS]	= { .type = NLA_U32 },
	[LTUN_PEER_A_TIMEOUT_MS]	= { .type = NLA_U32 },
	[LTUN_PEER_A_CHANGES]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_RECORDS]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_RENEWALS]		= { .type = NLA_REJECT },
	[LTUN_PEER_A_CONN_MS]		= { .type = NLA_REJECT },
};

/* nla_policy's own min/max are s16, too small for this range. */
static struct netlink_range_validation ltun_max_peers_range = {
	.min = 1,
	.max = LTUN_MAX_MAX_PEERS,
};

static const struct nla_policy ltun_policy[LTUN_A_MAX + 1] = {
	[LTUN_A_IFINDEX]	= NLA_POLICY_MIN(NLA_U32, 1),
	[LTUN_A_IFNAME]		= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[LTUN_A_PEER]		= NLA_POLICY_NESTED(ltun_peer_policy),
	[LTUN_A_MAX_PEERS]	= NLA_POLICY_FULL_RANGE(NLA_U32, &ltun_max_peers_range),
	[LTUN_A_N_PEERS]	= { .type = NLA_REJECT },
	[LTUN_A_STATS]		= { .type = NLA_REJECT },
	[LTUN_A_ISOLATE]	= NLA_POLICY_MAX(NLA_U8, 1),
};

/*
 * The ltun device a request names, with a reference the caller drops.
 * Return: the device or an ERR_PTR with @extack set.
 */
static struct net_device *ltun_nl_dev(struct net *net, struct nlattr **attrs,
				      struct netlink_ext_ack *extack)
{
	struct net_device *dev;

	if (attrs[LTUN_A_IFINDEX]) {
		dev = dev_get_by_index(net, nla_get_u32(attrs[LTUN_A_IFINDEX]));
	} else if (attrs[LTUN_A_IFNAME]) {
		dev = dev_get_by_name(net, nla_data(attrs[LTUN_A_IFNAME]));
	} else {
		NL_SET_ERR_MSG_MOD(extack, "device not given (LTUN_A_IFINDEX or LTUN_A_IFNAME)");
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		NL_SET_ERR_MSG_MOD(extack, "no such device");
		return ERR_PTR(-ENODEV);
	}
	if (!ltun_is_ltun_dev(dev)) {
		dev_put(dev);
		NL_SET_ERR_MSG_MOD(extack, "not an ltun device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

static int ltun_nl_put_dev_id(struct sk_buff *skb, struct net_device *dev)
{
	if (nla_put_u32(skb, LTUN_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, LTUN_A_IFNAME, dev->name))
		return -EMSGSIZE;
	return 0;
}

static int ltun_nl_fill_dev(struct sk_buff *skb, struct ltun_dev *ltun,
			    u32 portid, u32 seq, int flags)
{
	struct ltun_stats_sum sum;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ltun_genl_family, flags,
			  LTUN_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;

	ltun_stats_read(ltun->stats, &sum);
	if (ltun_nl_put_dev_id(skb, ltun->dev) ||
	    nla_put_u32(skb, LTUN_A_MAX_PEERS, READ_ONCE(ltun->max_peers)) ||
	    nla_put_u32(skb, LTUN_A_N_PEERS, READ_ONCE(ltun->n_peers)) ||
	    nla_put_u8(skb, LTUN_A_ISOLATE, READ_ONCE(ltun->isolate)) ||
	    ltun_stats_put(skb, LTUN_A_STATS, &sum)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ltun_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	struct sk_buff *msg;
	int err;

	dev = ltun_nl_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		dev_put(dev);
		return -ENOMEM;
	}
	err = ltun_nl_fill_dev(msg, netdev_priv(dev), info->snd_portid,
			       info->snd_seq, 0);
	dev_put(dev);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: how many ltun devices earlier calls have reported. */
static int ltun_nl_dev_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	long idx = 0;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		if (!ltun_is_ltun_dev(dev))
			continue;
		if (idx++ < cb->args[0])
			continue;
		if (ltun_nl_fill_dev(skb, netdev_priv(dev),
				     NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI)) {
			idx--;
			break;
		}
	}
	rcu_read_unlock();
	cb->args[0] = idx;
	return skb->len;
}

static int ltun_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	struct ltun_dev *ltun;

	rtnl_lock();
	dev = ltun_nl_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(dev)) {
		rtnl_unlock();
		return PTR_ERR(dev);
	}
	ltun = netdev_priv(dev);

	/* A lower limit than the current count keeps the peers there are
	 * and refuses new ones until enough have left.
	 */
	mutex_lock(&ltun->lock);
	if (info->attrs[LTUN_A_MAX_PEERS])
		WRITE_ONCE(ltun->max_peers,
			   nla_get_u32(info->attrs[LTUN_A_MAX_PEERS]));
	if (info->attrs[LTUN_A_ISOLATE])
		WRITE_ONCE(ltun->isolate,
			   !!nla_get_u8(info->attrs[LTUN_A_ISOLATE]));
	mutex_unlock(&ltun->lock);
	dev_put(dev);
	rtnl_unlock();
	return 0;
}

static int ltun_nl_parse_aip(const struct nlattr *item, struct ltun_aip *aip,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[LTUN_AIP_A_MAX + 1];
	unsigned int alen;
	u16 family;
	int err;

	err = nla_parse_nested(tb, LTUN_AIP_A_MAX, item, ltun_aip_policy,
			       extack);
	if (err)
		return err;
	if (!tb[LTUN_AIP_A_FAMILY] || !tb[LTUN_AIP_A_ADDR] ||
	    !tb[LTUN_AIP_A_PREFIXLEN]) {
		NL_SET_ERR_MSG_ATTR(extack, item,
				    "allowed ip needs family, address and prefix length");
		return -EINVAL;
	}

	family = nla_get_u16(tb[LTUN_AIP_A_FAMILY]);
	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LTUN_AIP_A_FAMILY],
				    "allowed ip family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	alen = family == AF_INET ? 4 : 16;
	if (nla_len(tb[LTUN_AIP_A_ADDR]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[LTUN_AIP_A_ADDR],
				    "allowed ip address length does not match its family");
		return -EINVAL;
	}

	memset(aip, 0, sizeof(*aip));
	aip->family = family == AF_INET ? 4 : 6;
	aip->cidr = nla_get_u8(tb[LTUN_AIP_A_PREFIXLEN]);
	memcpy(aip->addr, nla_data(tb[LTUN_AIP_A_ADDR]), alen);
	if (!ltun_aip_valid(aip)) {
		NL_SET_ERR_MSG_ATTR(extack, item,
				    "allowed ip prefix length too long, or host bits set");
		return -EINVAL;
	}
	return 0;
}

/* Parse LTUN_PEER_A_ALLOWED_IPS into a new array the caller frees. */
static int ltun_nl_parse_aips(const struct nlattr *nest, struct ltun_aip **out,
			      unsigned int *n, struct netlink_ext_ack *extack)
{
	struct ltun_aip *aips;
	struct nlattr *item;
	unsigned int count = 0;
	int rem, err;

	*out = NULL;
	*n = 0;
	if (!nest)
		return 0;

	nla_for_each_nested(item, nest, rem)
		count++;
	if (count > LTUN_NL_MAX_AIPS) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "too many allowed ips in one request");
		return -E2BIG;
	}
	if (!count)
		return 0;

	aips = kcalloc(count, sizeof(*aips), GFP_KERNEL);
	if (!aips)
		return -ENOMEM;

	count = 0;
	nla_for_each_nested(item, nest, rem) {
		if (nla_type(item) != LTUN_AIP_A_ITEM) {
			NL_SET_ERR_MSG_ATTR(extack, item,
					    "allowed ips must be LTUN_AIP_A_ITEM nests");
			err = -EINVAL;
			goto err;
		}
		err = ltun_nl_parse_aip(item, &aips[count], extack);
		if (err)
			goto err;
		count++;
	}
	*out = aips;
	*n = count;
	return 0;
err:
	kfree(aips);
	return err;
}

/* The caller's socket named by LTUN_PEER_A_SOCKET, with a reference. */
static struct socket *ltun_nl_sockfd(const struct nlattr *attr,
				     struct netlink_ext_ack *extack, int *err)
{
	struct socket *sock;

	sock = sockfd_lookup(nla_get_u32(attr), err);
	if (!sock) {
		if (*err == -ENOTSOCK)
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "file descriptor is not a socket");
		else
			NL_SET_ERR_MSG_ATTR(extack, attr, "bad file descriptor");
	}
	return sock;
}

/*
 * Settings shared by PEER_NEW and PEER_SET. *@aips is the parsed prefix
 * array that @cfg points into; the caller frees it.
 */
static int ltun_nl_parse_peer_cfg(struct nlattr **tb, struct ltun_peer_cfg *cfg,
				  struct ltun_aip **aips,
				  struct netlink_ext_ack *extack)
{
	int err;

	memset(cfg, 0, sizeof(*cfg));
	*aips = NULL;
	if (tb[LTUN_PEER_A_FLAGS]) {
		cfg->flags = nla_get_u32(tb[LTUN_PEER_A_FLAGS]);
		cfg->set_flags = true;
	}
	if (tb[LTUN_PEER_A_NAME])
		cfg->name = nla_data(tb[LTUN_PEER_A_NAME]);
	if (tb[LTUN_PEER_A_KEEPALIVE_MS]) {
		cfg->keepalive_ms = nla_get_u32(tb[LTUN_PEER_A_KEEPALIVE_MS]);
		cfg->set_keepalive = true;
	}
	if (tb[LTUN_PEER_A_TIMEOUT_MS]) {
		cfg->timeout_ms = nla_get_u32(tb[LTUN_PEER_A_TIMEOUT_MS]);
		cfg->set_timeout = true;
	}
	if (tb[LTUN_PEER_A_ALLOWED_IPS]) {
		err = ltun_nl_parse_aips(tb[LTUN_PEER_A_ALLOWED_IPS], aips,
					 &cfg->n_aips, extack);
		if (err)
			return err;
		cfg->aips = *aips;
		cfg->set_aips = true;
	}
	return 0;
}

static int ltun_nl_peer_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[LTUN_PEER_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct ltun_aip *aips = NULL;
	struct net_device *dev = NULL;
	struct socket *sock = NULL;
	struct ltun_peer_cfg cfg;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	u32 id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LTUN_A_PEER)) {
		NL_SET_ERR_MSG_MOD(extack, "missing peer (LTUN_A_PEER)");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LTUN_PEER_A_MAX, info->attrs[LTUN_A_PEER],
			       ltun_peer_policy, extack);
	if (err)
		return err;
	if (!tb[LTUN_PEER_A_SOCKET]) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[LTUN_A_PEER],
				    "missing socket (LTUN_PEER_A_SOCKET)");
		return -EINVAL;
	}
	err = ltun_nl_parse_peer_cfg(tb, &cfg, &aips, extack);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out_free;
	}

	rtnl_lock();
	dev = ltun_nl_dev(genl_info_net(info), info->attrs, extack);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		dev = NULL;
		goto out_unlock;
	}

	sock = ltun_nl_sockfd(tb[LTUN_PEER_A_SOCKET], extack, &err);
	if (!sock)
		goto out_unlock;

	err = ltun_peer_new(netdev_priv(dev), sock, &cfg, &id, extack);
	if (err) {
		sockfd_put(sock);
		goto out_unlock;
	}
	ltun_nl_notify_peer(netdev_priv(dev), id, LTUN_CMD_PEER_NEW_NTF, 0);

	hdr = genlmsg_put_reply(msg, info, &ltun_genl_family, 0,
				LTUN_CMD_PEER_NEW);
	if (!hdr || ltun_nl_put_dev_id(msg, dev))
		goto out_reply_fail;
	nest = nla_nest_start(msg, LTUN_A_PEER);
	if (!nest || nla_put_u32(msg, LTUN_PEER_A_ID, id))
		goto out_reply_fail;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);

	dev_put(dev);
	rtnl_unlock();
	kfree(aips);
	return genlmsg_reply(msg, info);

out_reply_fail:
	/* The peer exists; only the reply is lost. Report success anyway. */
	nlmsg_free(msg);
	msg = NULL;
	err = 0;
out_unlock:
	if (dev)
		dev_put(dev);
	rtnl_unlock();
	nlmsg_free(msg);
out_free:
	kfree(aips);
	return err;
}

/* Parse LTUN_A_PEER into @tb (caller's, LTUN_PEER_A_MAX + 1) and its id. */
static int ltun_nl_peer_id(struct genl_info *info, struct nlattr **tb, u32 *id)
{
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LTUN_A_PEER)) {
		NL_SET_ERR_MSG_MOD(info->extack, "missing peer (LTUN_A_PEER)");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, LTUN_PEER_A_MAX, info->attrs[LTUN_A_PEER],
			       ltun_peer_policy, info->extack);
	if (err)
		return err;
	if (!tb[LTUN_PEER_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[LTUN_A_PEER],
				    "missing peer id (LTUN_PEER_A_ID)");
		return -EINVAL;
	}
	*id = nla_get_u32(tb[LTUN_PEER_A_ID]);
	return 0;
}

static int ltun_nl_peer_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[LTUN_PEER_A_MAX + 1];
	struct net_device *dev;
	u32 id;
	int err;

	err = ltun_nl_peer_id(info, tb, &id);
	if (err)
		return err;

	rtnl_lock();
	dev = ltun_nl_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(dev)) {
		rtnl_unlock();
		return PTR_ERR(dev);
	}
	err = ltun_peer_del(netdev_priv(dev), id);
	if (err)
		NL_SET_ERR_MSG_MOD(info->extack, "no such peer");
	dev_put(dev);
	rtnl_unlock();
	return err;
}

static int ltun_nl_put_sockaddr(struct sk_buff *skb, int attr,
				const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return nla_put(skb, attr, sizeof(struct sockaddr_in), ss);
	case AF_INET6:
		return nla_put(skb, attr, sizeof(struct sockaddr_in6), ss);
	default:
		return 0;
	}
}

static int ltun_nl_put_aips(struct sk_buff *skb, struct ltun_peer *peer)
{
	struct ltun_aip_entry *e;
	struct nlattr *nest, *item;

	lockdep_assert_held(&peer->ltun->lock);

	nest = nla_nest_start(skb, LTUN_PEER_A_ALLOWED_IPS);
	if (!nest)
		return -EMSGSIZE;
	list_for_each_entry(e, &peer->aips, peer_node) {
		item = nla_nest_start(skb, LTUN_AIP_A_ITEM);
		if (!item ||
		    nla_put_u16(skb, LTUN_AIP_A_FAMILY,
				e->aip.family == 4 ? AF_INET : AF_INET6) ||
		    nla_put(skb, LTUN_AIP_A_ADDR, e->aip.family == 4 ? 4 : 16,
			    e->aip.addr) ||
		    nla_put_u8(skb, LTUN_AIP_A_PREFIXLEN, e->aip.cidr))
			return -EMSGSIZE;
		nla_nest_end(skb, item);
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Renewal state: the current connection's age and TLS record count. */
static int ltun_nl_put_conn(struct sk_buff *skb, struct ltun_peer *peer)
{
	u64 records, conn_ms;
	u32 renewals;

	spin_lock_bh(&peer->conn_lock);
	records = max(ltun_sock_records(peer->conn->sock, true),
		      ltun_sock_records(peer->conn->sock, false));
	conn_ms = div_u64(ktime_get_boottime_ns() - peer->conn->created_ns,
			  NSEC_PER_MSEC);
	renewals = peer->renewals;
	spin_unlock_bh(&peer->conn_lock);

	if (nla_put_u32(skb, LTUN_PEER_A_RENEWALS, renewals) ||
	    nla_put_u64_64bit(skb, LTUN_PEER_A_RECORDS, records,
			      LTUN_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, LTUN_PEER_A_CONN_MS, conn_ms,
			      LTUN_PEER_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/*
 * Room for ltun_nl_fill_peer()'s attributes: an upper bound, so that a peer
 * with the most allowed prefixes (about 40 KiB of them) is reported in
 * full rather than refused with EMSGSIZE.
 * Context: holds the peer's &ltun_dev.lock.
 */
static size_t ltun_nl_peer_size(struct ltun_peer *peer)
{
	const size_t aip = nla_total_size(0) + nla_total_size(sizeof(u16)) +
			   nla_total_size(sizeof(struct in6_addr)) +
			   nla_total_size(sizeof(u8));
	struct ltun_aip_entry *e;
	size_t n = 0;

	lockdep_assert_held(&peer->ltun->lock);

	list_for_each_entry(e, &peer->aips, peer_node)
		n++;
	return nla_total_size(sizeof(u32)) +		/* LTUN_A_IFINDEX */
	       nla_total_size(IFNAMSIZ) +		/* LTUN_A_IFNAME */
	       nla_total_size(0) +			/* LTUN_A_PEER */
	       /* ID, FLAGS, KEEPALIVE_MS, TIMEOUT_MS, CHANGES, RENEWALS */
	       6 * nla_total_size(sizeof(u32)) +
	       2 * nla_total_size(sizeof(struct sockaddr_in6)) +
	       /* UPTIME_MS, RECORDS, CONN_MS */
	       3 * nla_total_size_64bit(sizeof(u64)) +
	       2 * nla_total_size(sizeof(u16)) +	/* TLS_CIPHER, TLS_VERSION */
	       nla_total_size(LTUN_PEER_NAME_MAX) +
	       nla_total_size(0) + n * aip +		/* ALLOWED_IPS */
	       nla_total_size(0) +			/* STATS */
	       LTUN_STATS_A_MAX * nla_total_size_64bit(sizeof(u64));
}

/*
 * A peer's attributes in a message of type @cmd (a PEER_GET reply or a
 * notification; @changes is put when not 0).
 * Context: holds the peer's &ltun_dev.lock, so the peer stays linked.
 */
static int ltun_nl_fill_peer(struct sk_buff *skb, struct ltun_peer *peer,
			     u32 portid, u32 seq, int flags, u8 cmd,
			     u32 changes)
{
	u64 uptime_ms = div_u64(ktime_get_boottime_ns() - peer->created_ns,
				NSEC_PER_MSEC);
	struct ltun_stats_sum sum;
	struct nlattr *nest;
	void *hdr;

	lockdep_assert_held(&peer->ltun->lock);

	hdr = genlmsg_put(skb, portid, seq, &ltun_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (ltun_nl_put_dev_id(skb, peer->ltun->dev))
		goto cancel;

	nest = nla_nest_start(skb, LTUN_A_PEER);
	if (!nest)
		goto cancel;
	ltun_stats_read(peer->stats, &sum);
	if (nla_put_u32(skb, LTUN_PEER_A_ID, peer->id) ||
	    nla_put_u32(skb, LTUN_PEER_A_FLAGS, peer->flags) ||
	    ltun_nl_put_sockaddr(skb, LTUN_PEER_A_REMOTE, &peer->remote) ||
	    ltun_nl_put_sockaddr(skb, LTUN_PEER_A_LOCAL, &peer->local) ||
	    nla_put_u64_64bit(skb, LTUN_PEER_A_UPTIME_MS, uptime_ms,
			      LTUN_PEER_A_PAD) ||
	    nla_put_u32(skb, LTUN_PEER_A_KEEPALIVE_MS, peer->keepalive_ms) ||
	    nla_put_u32(skb, LTUN_PEER_A_TIMEOUT_MS, peer->timeout_ms) ||
	    ltun_nl_put_aips(skb, peer) ||
	    ltun_stats_put(skb, LTUN_PEER_A_STATS, &sum))
		goto cancel;
	if (peer->name[0] &&
	    nla_put_string(skb, LTUN_PEER_A_NAME, peer->name))
		goto cancel;
	if (changes && nla_put_u32(skb, LTUN_PEER_A_CHANGES, changes))
		goto cancel;
	if (ltun_nl_put_conn(skb, peer))
		goto cancel;
	if (peer->tls_cipher &&
	    (nla_put_u16(skb, LTUN_PEER_A_TLS_CIPHER, peer->tls_cipher) ||
	     nla_put_u16(skb, LTUN_PEER_A_TLS_VERSION, peer->tls_version)))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int ltun_nl_peer_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[LTUN_PEER_A_MAX + 1];
	struct net_device *dev;
	struct ltun_peer *peer;
	struct ltun_dev *ltun;
	struct sk_buff *msg;
	u32 id;
	int err;

	err = ltun_nl_peer_id(info, tb, &id);
	if (err)
		return err;
	dev = ltun_nl_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ltun = netdev_priv(dev);

	/* Sized under the lock, which keeps the prefix list as it is. */
	mutex_lock(&ltun->lock);
	peer = xa_load(&ltun->peers, id);
	if (!peer) {
		NL_SET_ERR_MSG_MOD(info->extack, "no such peer");
		err = -ENOENT;
		msg = NULL;
	} else {
		msg = genlmsg_new(ltun_nl_peer_size(peer), GFP_KERNEL);
		err = msg ? ltun_nl_fill_peer(msg, peer, info->snd_portid,
					      info->snd_seq, 0,
					      LTUN_CMD_PEER_GET, 0) : -ENOMEM;
	}
	mutex_unlock(&ltun->lock);
	dev_put(dev);

	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Dump messages are allocated before the dump callback runs: make them big
 * enough for the largest peer of the device. One that grows past that
 * during the dump makes it end with EMSGSIZE rather than loop.
 */
static int ltun_nl_peer_get_start(struct netlink_callback *cb)
{
	struct net_device *dev;
	struct ltun_peer *peer;
	struct ltun_dev *ltun;
	unsigned long id;
	size_t size, most = 0;

	/* A bad request is reported by the dump callback. */
	dev = ltun_nl_dev(sock_net(cb->skb->sk), ltun_compat_dump_attrs(cb),
			  NULL);
	if (IS_ERR(dev))
		return 0;
	ltun = netdev_priv(dev);

	mutex_lock(&ltun->lock);
	xa_for_each(&ltun->peers, id, peer) {
		size = ltun_nl_peer_size(peer);
		if (size > most)
			most = size;
	}
	mutex_unlock(&ltun->lock);
	dev_put(dev);

	cb->min_dump_alloc = nlmsg_total_size(genlmsg_total_size(most));
	return 0;
}

/* cb->args[0]: id of the next peer to report. */
static int ltun_nl_peer_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct net_device *dev;
	struct ltun_peer *peer;
	struct ltun_dev *ltun;
	unsigned long id = cb->args[0];
	int err = 0;

	dev = ltun_nl_dev(sock_net(skb->sk), ltun_compat_dump_attrs(cb),
			  cb->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ltun = netdev_priv(dev);

	mutex_lock(&ltun->lock);
	xa_for_each_start(&ltun->peers, id, peer, id) {
		err = ltun_nl_fill_peer(skb, peer, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI,
					LTUN_CMD_PEER_GET, 0);
		if (err)
			break;
	}
	mutex_unlock(&ltun->lock);
	dev_put(dev);

	/*
	 * A peer that does not fit an empty message would loop forever: it
	 * grew (or came) after ltun_nl_peer_get_start() sized the messages.
	 * A new dump sizes them again.
	 */
	if (err && !skb->len) {
		NL_SET_ERR_MSG_MOD(cb->extack,
				   "a peer grew during the dump; dump again");
		return err;
	}
	cb->args[0] = err ? id : id + 1;
	return skb->len;
}

/**
 * ltun_nl_notify_peer() - tell the "peers" group about a peer
 * @ltun: the device
 * @id: the peer; nothing is sent if it is already gone
 * @cmd: %LTUN_CMD_PEER_NEW_NTF or %LTUN_CMD_PEER_SET_NTF
 * @changes: &enum ltun_peer_changes for PEER_SET_NTF
 *
 * Context: process, not holding &ltun_dev.lock.
 */
void ltun_nl_notify_peer(struct ltun_dev *ltun, u32 id, u8 cmd, u32 changes)
{
	struct net *net = dev_net(ltun->dev);
	struct sk_buff *msg = NULL;
	struct ltun_peer *peer;
	int err = -ENOENT;

	if (!genl_has_listeners(&ltun_genl_family, net, 0))
		return;
	mutex_lock(&ltun->lock);
	peer = xa_load(&ltun->peers, id);
	if (peer) {
		msg = genlmsg_new(ltun_nl_peer_size(peer), GFP_KERNEL);
		err = msg ? ltun_nl_fill_peer(msg, peer, 0, 0, 0, cmd,
					      changes) : -ENOMEM;
	}
	mutex_unlock(&ltun->lock);
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&ltun_genl_family, net, msg, 0, 0, GFP_KERNEL);
}

static int ltun_nl_peer_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[LTUN_PEER_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct ltun_aip *aips = NULL;
	struct ltun_peer_cfg cfg;
	struct net_device *dev;
	u32 id, changes = 0;
	int err;

	err = ltun_nl_peer_id(info, tb, &id);
	if (err)
		return err;
	err = ltun_nl_parse_peer_cfg(tb, &cfg, &aips, extack);
	if (err)
		return err;

	rtnl_lock();
	dev = ltun_nl_dev(genl_info_net(info), info->attrs, extack);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto out_unlock;
	}
	if (tb[LTUN_PEER_A_SOCKET]) {
		cfg.sock = ltun_nl_sockfd(tb[LTUN_PEER_A_SOCKET], extack, &err);
		if (!cfg.sock)
			goto out_put;
	}
	err = ltun_peer_set(netdev_priv(dev), id, &cfg, &changes, extack);
	if (err && cfg.sock)
		sockfd_put(cfg.sock);
	if (!err && changes)
		ltun_nl_notify_peer(netdev_priv(dev), id,
				    LTUN_CMD_PEER_SET_NTF, changes);
out_put:
	dev_put(dev);
out_unlock:
	rtnl_unlock();
	kfree(aips);
	return err;
}

/**
 * ltun_nl_notify_peer_del() - tell the "peers" group a peer is gone
 * @peer: the peer, unlinked but not yet freed; its device is still
 *	registered
 *
 * Context: process.
 */
void ltun_nl_notify_peer_del(struct ltun_peer *peer)
{
	struct net_device *dev = peer->ltun->dev;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &ltun_genl_family, 0,
			  LTUN_CMD_PEER_DEL_NTF);
	if (!hdr || ltun_nl_put_dev_id(msg, dev))
		goto err;
	nest = nla_nest_start(msg, LTUN_A_PEER);
	if (!nest || nla_put_u32(msg, LTUN_PEER_A_ID, peer->id) ||
	    nla_put_u32(msg, LTUN_PEER_A_DEL_REASON, peer->del_reason) ||
	    ltun_nl_put_sockaddr(msg, LTUN_PEER_A_REMOTE, &peer->remote))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&ltun_genl_family, dev_net(dev), msg, 0, 0,
				GFP_KERNEL);
	return;
err:
	nlmsg_free(msg);
}

static const struct genl_ops ltun_genl_ops[] = {
	{
		.cmd	= LTUN_CMD_DEV_GET,
		.doit	= ltun_nl_dev_get_doit,
		.dumpit	= ltun_nl_dev_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= LTUN_CMD_DEV_SET,
		.doit	= ltun_nl_dev_set_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= LTUN_CMD_PEER_NEW,
		.doit	= ltun_nl_peer_new_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= LTUN_CMD_PEER_DEL,
		.doit	= ltun_nl_peer_del_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= LTUN_CMD_PEER_SET,
		.doit	= ltun_nl_peer_set_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= LTUN_CMD_PEER_GET,
		.doit	= ltun_nl_peer_get_doit,
		.start	= ltun_nl_peer_get_start,
		.dumpit	= ltun_nl_peer_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group ltun_mcgrps[] = {
	{ .name = LTUN_MCGRP_PEERS, .flags = LTUN_COMPAT_MCGRP_FLAGS },
};

static struct genl_family ltun_genl_family __ro_after_init = {
	.name		= LTUN_GENL_NAME,
	.version	= LTUN_GENL_VERSION,
	.maxattr	= LTUN_A_MAX,
	.policy		= ltun_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= ltun_genl_ops,
	.n_ops		= ARRAY_SIZE(ltun_genl_ops),
	.mcgrps		= ltun_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ltun_mcgrps),
	/* Strict validation for every command: the family is new. */
	.resv_start_op	= __LTUN_CMD_MAX,
};

int __init ltun_nl_register(void)
{
	return genl_register_family(&ltun_genl_family);
}

void ltun_nl_unregister(void)
{
	genl_unregister_family(&ltun_genl_family);
}
