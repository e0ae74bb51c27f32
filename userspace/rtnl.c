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

int rtnl_dev_addrs(unsigned int ifindex, struct prefix *out, size_t max)
{
	struct addr_ctx ctx = { .ifindex = ifindex, .out = out, .max = max };
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *sk;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t seq = (uint32_t)time(NULL), portid;
	char *buf;
	int ret;

	buf = malloc(MNL_SOCKET_BUFFER_SIZE * 4);
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

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = ifindex;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sk, buf, MNL_SOCKET_BUFFER_SIZE * 4);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, addr_cb, &ctx);
		if (ret == MNL_CB_STOP) {
			ret = (int)ctx.n;
			break;
		}
		if (ret == MNL_CB_ERROR) {
			ret = -errno;
			break;
		}
	}
out:
	mnl_socket_close(sk);
	free(buf);
	return ret;
}
