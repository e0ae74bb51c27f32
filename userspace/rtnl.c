// SPDX-License-Identifier: GPL-2.0
/*
 * Read a device's addresses with an RTM_GETADDR dump. The kernel's dump is
 * not filtered by index on every version, so we filter here.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "rtnl.h"

struct addr_ctx {
	unsigned int ifindex;
	struct prefix *out;
	size_t max, n;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_ctx *ctx = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *local = NULL, *address = NULL;
	struct prefix p = { 0 };
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != ctx->ifindex)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			local = a;
		else if (mnl_attr_get_type(a) == IFA_ADDRESS)
			address = a;
	}
	/* On point-to-point links IFA_ADDRESS is the far end: prefer LOCAL. */
	a = local ? local : address;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return MNL_CB_OK;
	p.family = ifa->ifa_family;
	p.plen = ifa->ifa_prefixlen;
	memcpy(p.addr, mnl_attr_get_payload(a), alen);
	if (prefix_is_v6_linklocal(&p) || ctx->n >= ctx->max)
		return MNL_CB_OK;
	ctx->out[ctx->n++] = p;
	return MNL_CB_OK;
}

/*
 * Send nlh (flags and type set by the caller) on a fresh rtnetlink socket
 * and run cb over the answers until the dump ends or the ack arrives.
 * Returns 0 or -errno (an ack's error code included).
 */
static int rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	const size_t bufsize = MNL_SOCKET_BUFFER_SIZE * 4;
	struct mnl_socket *sk;
	uint32_t portid;
	char *buf;
	int ret;

	buf = malloc(bufsize);
	if (!buf)
		return -ENOMEM;
	sk = mnl_socket_open(NETLINK_ROUTE);
	if (!sk) {
		ret = -errno;
		free(buf);
		return ret;
	}
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(sk);
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sk, buf, bufsize);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		/* mnl_cb_run turns an ack's error code into errno */
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
		if (ret == MNL_CB_ERROR) {
			ret = -errno;
			break;
		}
		if (ret == MNL_CB_STOP) {
			ret = 0;
			break;
		}
	}
out:
	mnl_socket_close(sk);
	free(buf);
	return ret;
}

int rtnl_dev_addrs(unsigned int ifindex, struct prefix *out, size_t max)
{
	struct addr_ctx ctx = { .ifindex = ifindex, .out = out, .max = max };
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = ifindex;
	ret = rtnl_talk(nlh, addr_cb, &ctx);
	return ret < 0 ? ret : (int)ctx.n;
}

/*
 * ---- Changes: addresses, routes, links (for "peer add" and "up") ----
 * One request, one ack: every helper returns 0 or -errno.
 */
#include <linux/if_link.h>
#include <net/if.h>

static int rtnl_request(struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return rtnl_talk(nlh, NULL, NULL);
}

static struct nlmsghdr *rtnl_msg(char *req, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(req, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

static int rtnl_addr(uint16_t type, uint16_t flags, unsigned int ifindex,
		     const struct prefix *p)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rtnl_msg(req, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t alen = prefix_addr_len(p->family);

	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->plen;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	/* a tunnel address has no neighbours to probe: usable at once */
	if (p->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr);
	return rtnl_request(nlh);
}

int rtnl_addr_add(unsigned int ifindex, const struct prefix *p)
{
	return rtnl_addr(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifindex, p);
}

int rtnl_addr_del(unsigned int ifindex, const struct prefix *p)
{
	return rtnl_addr(RTM_DELADDR, 0, ifindex, p);
}

static int rtnl_route(uint16_t type, uint16_t flags, unsigned int ifindex,
		      const struct prefix *p)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rtnl_msg(req, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct prefix dst = *p;

	prefix_mask(&dst);
	rtm->rtm_family = (uint8_t)p->family;
	rtm->rtm_dst_len = p->plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, prefix_addr_len(p->family), dst.addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return rtnl_request(nlh);
}

int rtnl_route_replace(unsigned int ifindex, const struct prefix *p)
{
	return rtnl_route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifindex, p);
}

int rtnl_route_del(unsigned int ifindex, const struct prefix *p)
{
	return rtnl_route(RTM_DELROUTE, 0, ifindex, p);
}

int rtnl_link_create(const char *name, const char *kind)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rtnl_msg(req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, info);
	return rtnl_request(nlh);
}

int rtnl_link_delete(unsigned int ifindex)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rtnl_msg(req, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return rtnl_request(nlh);
}

int rtnl_link_set(unsigned int ifindex, unsigned int mtu, bool up)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rtnl_msg(req, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	if (up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return rtnl_request(nlh);
}
