// SPDX-License-Identifier: GPL-2.0
/*
 * The ltun net_device: an L3 point-to-multipoint interface without link
 * layer, queue or ARP. Transmit looks the destination up in the allowed-ips
 * table (lockless, under the RCU read lock the stack already holds) and
 * queues the packet on that peer.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/icmp.h>
#include <net/netfilter/nf_conntrack.h>

#include "compat.h"
#include "device.h"
#include "forward.h"
#include "frame.h"
#include "netns.h"
#include "peer.h"
#include "tx.h"

#define LTUN_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | \
			 NETIF_F_TSO6)
/* A super-packet and its headers (IPv4 and TCP with all their options). */
#define LTUN_GSO_MAX_SIZE	(LTUN_WIRE_MAX_DATA - 60 - 60)

static void ltun_tx_no_peer(struct ltun_dev *ltun, struct sk_buff *skb)
{
	ltun_stats_add(ltun->stats, LTUN_STAT_TX_NO_PEER, 1);
	/* Tell the sender at once instead of letting it time out. */
	if (skb->protocol == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
	kfree_skb(skb);
}

static netdev_tx_t ltun_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ltun_dev *ltun = netdev_priv(dev);
	struct ltun_peer *peer;
	const u8 *daddr;
	u8 family;

	if (skb->protocol == htons(ETH_P_IP) &&
	    pskb_network_may_pull(skb, sizeof(struct iphdr))) {
		family = 4;
		daddr = (const u8 *)&ip_hdr(skb)->daddr;
	} else if (skb->protocol == htons(ETH_P_IPV6) &&
		   pskb_network_may_pull(skb, sizeof(struct ipv6hdr))) {
		family = 6;
		daddr = ipv6_hdr(skb)->daddr.s6_addr;
	} else {
		ltun_stats_add(ltun->stats, LTUN_STAT_TX_OTHER_DROPS, 1);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}

	/* ndo_start_xmit already runs with bottom halves off, which is an
	 * RCU read section; the explicit one documents what keeps @peer
	 * alive until it is queued (removal waits with synchronize_rcu()).
	 */
	rcu_read_lock();
	peer = ltun_aip_lookup(&ltun->aips, family, daddr);
	if (unlikely(!peer)) {
		if (ltun_is_flood_dst(ltun, family, daddr)) {
			skb_dst_drop(skb);
			nf_reset_ct(skb);
			ltun_flood(ltun, skb, NULL);
		} else {
			ltun_tx_no_peer(ltun, skb);
		}
		rcu_read_unlock();
		return NETDEV_TX_OK;
	}
	/* Nothing downstream needs the route or conntrack entry: release
	 * them now rather than while the packet waits in the queue. The
	 * packet stays charged to its socket on purpose: TCP small queues
	 * then hold a local sender to what the peer drains, instead of
	 * letting it fill the ring and meet tail drops (orphaning here cut
	 * inner TCP throughput by a third and raised ping under load from
	 * ~30 to ~250 ms).
	 *
	 * The sender's pacing shift is left alone on purpose too: raising
	 * it, as mac80211 does, made a loaded hub's inner super-packets two
	 * to six times bigger, but added up to 100 ms to ping p99 under
	 * load, with no throughput gain that stood out from the noise.
	 */
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	ltun_tx_queue(peer, skb);
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static void ltun_get_stats64(struct net_device *dev,
			     struct rtnl_link_stats64 *tot)
{
	struct ltun_dev *ltun = netdev_priv(dev);
	struct ltun_stats_sum s;

	ltun_stats_read(ltun->stats, &s);
	tot->rx_packets = s.c[LTUN_STAT_RX_PACKETS];
	tot->rx_bytes = s.c[LTUN_STAT_RX_BYTES];
	tot->tx_packets = s.c[LTUN_STAT_TX_PACKETS];
	tot->tx_bytes = s.c[LTUN_STAT_TX_BYTES];
	tot->rx_errors = s.c[LTUN_STAT_RX_INVALID];
	tot->rx_length_errors = s.c[LTUN_STAT_RX_TOO_BIG];
	tot->rx_dropped = s.c[LTUN_STAT_RX_INVALID] + s.c[LTUN_STAT_RX_SPOOFED] +
			  s.c[LTUN_STAT_RX_OTHER_DROPS] + s.c[LTUN_STAT_ISOLATED] +
			  s.c[LTUN_STAT_RX_TOO_BIG];
	tot->tx_errors = s.c[LTUN_STAT_TX_NO_PEER];
	tot->tx_dropped = s.c[LTUN_STAT_TX_QUEUE_FULL] +
			  s.c[LTUN_STAT_TX_NO_PEER] +
			  s.c[LTUN_STAT_TX_OTHER_DROPS];
}

static int ltun_dev_init(struct net_device *dev)
{
	struct ltun_dev *ltun = netdev_priv(dev);
	int err;

	ltun->dev = dev;
	mutex_init(&ltun->lock);
	xa_init_flags(&ltun->peers, XA_FLAGS_ALLOC1);
	ltun->max_peers = LTUN_DEFAULT_MAX_PEERS;
	ltun_aip_table_init(&ltun->aips, &ltun->lock);
	INIT_WORK(&ltun->reap_work, ltun_reap_work);
	INIT_DELAYED_WORK(&ltun->netns_work, ltun_netns_work);

	ltun->stats = ltun_stats_alloc();
	if (!ltun->stats)
		return -ENOMEM;
	err = gro_cells_init(&ltun->gro_cells, dev);
	if (err) {
		ltun_stats_free(ltun->stats);
		ltun->stats = NULL;
		return err;
	}
	/* Cancelled by uninit, which also runs when registration fails. */
	queue_delayed_work(ltun_wq, &ltun->netns_work, HZ);
	return 0;
}

/*
 * Runs on every way a device goes away (ip link del, its netns deleted,
 * module removed), under RTNL, while the device still has its name, index
 * and netns, so the peer-removed notifications can say where they were.
 */
static void ltun_dev_uninit(struct net_device *dev)
{
	struct ltun_dev *ltun = netdev_priv(dev);

	/* It only tries RTNL, which we hold, and may fail peers. */
	cancel_delayed_work_sync(&ltun->netns_work);
	ltun_peer_del_all(ltun, LTUN_DEL_REASON_DEVICE_GONE);
	/* No peer is left to queue it again. */
	cancel_work_sync(&ltun->reap_work);
	gro_cells_destroy(&ltun->gro_cells);
	xa_destroy(&ltun->peers);
}

/* Counters are read until the very end (ndo_get_stats64 after uninit). */
static void ltun_dev_destruct(struct net_device *dev)
{
	struct ltun_dev *ltun = netdev_priv(dev);

	ltun_stats_free(ltun->stats);
}

static const struct net_device_ops ltun_netdev_ops = {
	.ndo_init		= ltun_dev_init,
	.ndo_uninit		= ltun_dev_uninit,
	.ndo_start_xmit		= ltun_xmit,
	.ndo_get_stats64	= ltun_get_stats64,
};

static void ltun_setup(struct net_device *dev)
{
	dev->netdev_ops = &ltun_netdev_ops;
	dev->type = ARPHRD_NONE;
	/* Multicast: LAN-style discovery works across a hub (forward.c). */
	dev->flags = IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = LTUN_DEFAULT_MTU;
	dev->min_mtu = IPV4_MIN_MTU;
	dev->max_mtu = LTUN_WIRE_MAX_DATA;
	dev->needs_free_netdev = true;
	dev->priv_destructor = ltun_dev_destruct;
	ltun_compat_set_lltx(dev);

	/* TCP hands us super-packets of up to 64 KiB (frame.h bounds their
	 * size and segment count) that cross to a peer as one frame; tx.c
	 * cuts them into segments for a peer that does not take them, and
	 * finishes any other pending checksum. No NETIF_F_HIGHDMA: tx.c
	 * needs an address for each fragment.
	 */
	dev->features |= LTUN_FEATURES;
	dev->hw_features |= LTUN_FEATURES;
	netif_set_tso_max_size(dev, LTUN_GSO_MAX_SIZE);
	netif_set_tso_max_segs(dev, LTUN_GSO_MAX_SEGS);
}

static int ltun_validate(struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		NL_SET_ERR_MSG_MOD(extack, "ltun devices have no link-layer address");
		return -EINVAL;
	}
	return 0;
}

struct rtnl_link_ops ltun_link_ops __read_mostly = {
	.kind		= "ltun",
	.priv_size	= sizeof(struct ltun_dev),
	.setup		= ltun_setup,
	.validate	= ltun_validate,
};
