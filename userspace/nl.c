// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink plumbing: family and multicast group lookup through the
 * controller, and a request/ack loop that surfaces the kernel's extended
 * ack message so refusals are explained, not just numbered.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/ltun.h>

#include "nl.h"

static int open_genl(struct nl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUFSIZE);
	if (!nl->buf)
		return -ENOMEM;
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk)
		return -errno;
	/* Extended ack carries the kernel's reason; capped acks stay small. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

static int grp_cb(const struct nlattr *grp, struct nl *nl)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, grp) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
			break;
		}
	}
	if (name && !strcmp(name, LTUN_MCGRP_PEERS))
		nl->grp_peers = id;
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	const struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
				nl->family = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				grp_cb(g, nl);
			break;
		}
	}
	return MNL_CB_OK;
}

int nl_open(struct nl *nl, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int ret;

	err[0] = '\0';
	memset(buf, 0, sizeof(buf));
	ret = open_genl(nl);
	if (ret < 0) {
		snprintf(err, errlen, "generic netlink socket: %s", strerror(-ret));
		return ret;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LTUN_GENL_NAME);
	ret = nl_talk(nl, nlh, family_cb, nl, err, errlen);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "ltun module not loaded (modprobe ltun)");
		return ret;
	}
	if (ret < 0) {
		char ext[NL_ERRLEN];

		snprintf(ext, sizeof(ext), "%s", err);
		snprintf(err, errlen, "resolving genl family %s: %s%s%s",
			 LTUN_GENL_NAME, ext, ext[0] ? ": " : "", strerror(-ret));
		return ret;
	}
	if (!nl->family) {
		snprintf(err, errlen, "controller did not return the ltun family id");
		return -EPROTO;
	}
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	/* libmnl leaves attribute padding as it finds it: send no stack junk */
	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = LTUN_GENL_VERSION;
	return nlh;
}

void nl_put_dev(struct nlmsghdr *nlh, const char *ifname)
{
	mnl_attr_put_strz(nlh, LTUN_A_IFNAME, ifname);
}

/* Pull NLMSGERR_ATTR_MSG out of an error or done message, if present. */
static void extack_msg(const struct nlmsghdr *nlh, const struct nlmsgerr *e,
		       char *err, size_t errlen)
{
	const struct nlattr *a;
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* a dump's DONE carries only the int error before the TLVs */
		off = sizeof(int);
	} else {
		off = sizeof(*e);
		/* Without NLM_F_CAPPED the request is echoed before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	off = MNL_ALIGN(off);
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(err, errlen, "%s", mnl_attr_get_str(a));
			return;
		}
	}
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	    char *err, size_t errlen)
{
	uint32_t seq = ++nl->seq;
	int cb_status = 0;

	err[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUFSIZE);
		const struct nlmsghdr *m = (const void *)nl->buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			/* multicast or stale replies are not ours */
			if (m->nlmsg_seq != seq || m->nlmsg_pid != nl->portid)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR || m->nlmsg_type == NLMSG_DONE) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
				int code = 0;

				if (m->nlmsg_type == NLMSG_ERROR &&
				    mnl_nlmsg_get_payload_len(m) < sizeof(*e))
					return -EPROTO;
				if (mnl_nlmsg_get_payload_len(m) >= sizeof(int))
					code = e->error;
				if (code < 0 || m->nlmsg_type == NLMSG_ERROR)
					extack_msg(m, e, err, errlen);
				if (code < 0)
					return code;
				/*
				 * A dump ends with DONE and then, because we
				 * asked for NLM_F_ACK, there is no separate ack;
				 * a do ends with the ack (error 0).
				 */
				return cb_status;
			}
			if (m->nlmsg_type == NLMSG_NOOP || m->nlmsg_type == NLMSG_OVERRUN)
				continue;
			if (cb && cb_status == 0 && cb(m, data) == MNL_CB_ERROR)
				cb_status = -EPROTO;
		}
	}
}

int nl_join_peers(struct nl *nl)
{
	int grp = (int)nl->grp_peers;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		return -errno;
	return 0;
}

void nl_perror(const char *what, int err, const char *extack)
{
	if (extack && extack[0])
		fprintf(stderr, "ltunctl: %s: %s (%s)\n", what, extack, strerror(-err));
	else
		fprintf(stderr, "ltunctl: %s: %s\n", what, strerror(-err));
}

int nl_open_report(struct nl *nl, const char *cmd)
{
	char err[NL_ERRLEN];

	if (nl_open(nl, err, sizeof(err)) < 0) {
		fprintf(stderr, "ltunctl: %s: %s\n", cmd, err);
		nl_close(nl);
		return -1;
	}
	return 0;
}
