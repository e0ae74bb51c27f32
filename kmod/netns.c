// SPDX-License-Identifier: GPL-2.0
/*
 * A peer's socket was made by userspace, so like any socket it holds a
 * reference on its network namespace. When that namespace is "deleted"
 * (ip netns del, or the last process of a container exits) while the
 * device there still has peers, those references are all that is left:
 * the namespace never reaches its cleanup, which is what would delete the
 * device and end the peers, and the tunnel lives on where nobody can see
 * or reach it. With the far end in the same situation, two such
 * namespaces keep each other alive for ever.
 *
 * Dropping the socket's reference is not an option: a TCP socket that
 * outlives its namespace's cleanup is a use-after-free on the kernels we
 * support. Instead, a device with peers looks every few seconds at the
 * namespaces of its peers' sockets: when the namespace's reference count
 * is no more than the references those sockets hold, nothing else can
 * reach it (no process, no mount, no other socket), so the peers end
 * (reason DEVICE_GONE), their sockets close, and the namespace goes its
 * normal way, taking the device with it.
 *
 * This never ends a peer of a namespace still in use: the peers counted
 * are linked under &ltun_dev.lock and each holds its reference until it
 * is unlinked, so the count can only err low (a connection being retired,
 * a second device in the same namespace), which delays the check to a
 * later run.
 */
#include <linux/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "conn.h"
#include "device.h"
#include "netns.h"
#include "peer.h"

/* How often a device with peers checks; also the removal delay. */
#define LTUN_NETNS_CHECK_INTERVAL	(5 * HZ)

/* The namespace of a peer's current connection. Context: holds @ltun->lock. */
static struct net *ltun_peer_net(struct ltun_peer *peer)
{
	lockdep_assert_held(&peer->ltun->lock);
	return sock_net(peer->conn->sock->sk);
}

/*
 * End the peers of @ltun whose sockets hold @net, if they are all that
 * keeps @net alive. Context: holds @ltun->lock.
 */
static void ltun_netns_check(struct ltun_dev *ltun, struct net *net)
{
	unsigned int refs = 0;
	struct ltun_peer *peer;
	unsigned long id;

	lockdep_assert_held(&ltun->lock);

	xa_for_each(&ltun->peers, id, peer)
		refs += ltun_conn_net_refs(peer, net);
	if (!refs || ltun_compat_net_refs(net) > refs)
		return;

	xa_for_each(&ltun->peers, id, peer) {
		if (ltun_peer_net(peer) != net)
			continue;
		net_info_ratelimited("%s: peer %u: its network namespace is gone\n",
				     ltun->dev->name, peer->id);
		ltun_peer_fail(peer, LTUN_DEL_REASON_DEVICE_GONE);
	}
}

/**
 * ltun_netns_work() - end peers stranded in a deleted network namespace
 * @work: &ltun_dev.netns_work
 *
 * Queued while the device exists; a no-op for a device without peers.
 * RTNL keeps dev_net() stable. It is only tried: the device's uninit runs
 * under RTNL and cancels this work synchronously.
 */
void ltun_netns_work(struct work_struct *work)
{
	struct ltun_dev *ltun = container_of(to_delayed_work(work),
					     struct ltun_dev, netns_work);
	struct ltun_peer *peer;
	unsigned long id;
	struct net *net;

	if (xa_empty(&ltun->peers))
		goto again;
	if (!rtnl_trylock()) {
		queue_delayed_work(ltun_wq, &ltun->netns_work, HZ);
		return;
	}
	mutex_lock(&ltun->lock);
	/* The device's own namespace, where the sockets usually are. */
	ltun_netns_check(ltun, dev_net(ltun->dev));
	/* Sockets from other namespaces (an underlay elsewhere). */
	xa_for_each(&ltun->peers, id, peer) {
		net = ltun_peer_net(peer);
		if (!net_eq(net, dev_net(ltun->dev)) &&
		    !atomic_read(&peer->fail_reason))
			ltun_netns_check(ltun, net);
	}
	mutex_unlock(&ltun->lock);
	rtnl_unlock();
again:
	queue_delayed_work(ltun_wq, &ltun->netns_work,
			   LTUN_NETNS_CHECK_INTERVAL);
}
