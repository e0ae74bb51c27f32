/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels ltun supports (6.1 .. 6.12+) is
 * absorbed here, so the rest of the module reads as if written for one.
 *
 * Differences are detected from the kernel headers by kmod/Kbuild (the
 * LTUN_HAVE_* macros), not by version number: distribution kernels such as
 * Debian's 6.1 carry backports that a version check would miss.
 */
#ifndef _LTUN_COMPAT_H
#define _LTUN_COMPAT_H

#include <linux/netdevice.h>
#include <net/genetlink.h>
/* skb_gso_segment() moved from netdevice.h to its own header in 6.5. */
#ifdef LTUN_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* 6.12 turned the NETIF_F_LLTX feature into the dev->lltx bit. */
static inline void ltun_compat_set_lltx(struct net_device *dev)
{
#ifdef LTUN_HAVE_LLTX_BIT
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/*
 * Request attributes of a dump: 6.1 keeps them in genl_dumpit_info, 6.7+
 * in the embedded genl_info.
 */
static inline struct nlattr **ltun_compat_dump_attrs(struct netlink_callback *cb)
{
#ifdef LTUN_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * Multicast groups that only CAP_NET_ADMIN may join (upstream 6.7, Debian
 * backported it to 6.1): peer events reveal addresses.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define LTUN_COMPAT_MCGRP_FLAGS GENL_MCAST_CAP_NET_ADMIN
#else
#define LTUN_COMPAT_MCGRP_FLAGS 0
#endif

/*
 * References on a network namespace (sockets, processes, mounts): a
 * refcount_t in struct ns_common on 6.1 and 6.12 (netns.c).
 */
static inline unsigned int ltun_compat_net_refs(const struct net *net)
{
	return refcount_read(&net->ns.count);
}

#endif /* _LTUN_COMPAT_H */
