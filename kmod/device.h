/* SPDX-License-Identifier: GPL-2.0 */
/* The ltun net_device and its private data. */
#ifndef _LTUN_DEVICE_H
#define _LTUN_DEVICE_H

#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/gro_cells.h>
#include <net/rtnetlink.h>

#include "allowedips.h"
#include "stats.h"

#define LTUN_DEFAULT_MTU	1500
#define LTUN_DEFAULT_MAX_PEERS	100
#define LTUN_MAX_MAX_PEERS	65535

/**
 * struct ltun_dev - private data of an ltun device
 * @dev: the net_device
 * @lock: serialises changes to the peer set: @peers, @n_peers, @max_peers,
 *	the writers of @aips, and linking/unlinking a peer. Process context
 *	only, never taken on the data path. Lock order: RTNL, @lock, then a
 *	peer socket's sk_callback_lock.
 * @peers: peers by id. Changed under @lock; lookups by id (netlink) hold
 *	@lock too, so a peer found there is never being torn down.
 * @next_id: cursor for cyclic id allocation, under @lock
 * @n_peers: peers linked now, under @lock (read without it for reports)
 * @max_peers: limit on @n_peers, under @lock (read without it for reports)
 * @isolate: drop packets from one peer to another; written under @lock,
 *	read locklessly (READ_ONCE) by the data path
 * @aips: allowed inner prefixes of every peer; read locklessly under RCU
 *	by the data path, see &struct ltun_aip_table
 * @stats: per-CPU device counters
 * @gro_cells: delivery of received packets
 * @reap_work: removes the peers whose workers reported a failure (a worker
 *	cannot remove its own peer: removal waits for the workers)
 * @netns_work: ends the peers whose sockets alone keep their network
 *	namespace alive (netns.c); takes RTNL (only tried) and @lock
 */
struct ltun_dev {
	struct net_device *dev;
	struct mutex lock; /* the peer-set lock, see above */
	struct xarray peers;
	u32 next_id;
	u32 n_peers;
	u32 max_peers;
	bool isolate;
	struct ltun_aip_table aips;
	struct ltun_pcpu_stats __percpu *stats;
	struct gro_cells gro_cells;
	struct work_struct reap_work;
	struct delayed_work netns_work;
};

extern struct rtnl_link_ops ltun_link_ops;
extern struct workqueue_struct *ltun_wq;

static inline bool ltun_is_ltun_dev(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &ltun_link_ops;
}

#endif /* _LTUN_DEVICE_H */
