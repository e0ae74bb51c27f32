// SPDX-License-Identifier: GPL-2.0
/*
 * Packets for more than one peer. A hub carries LAN-style discovery
 * (broadcast and multicast on the tunnel subnet) between its clients, so
 * such a packet is copied to every peer, whether it comes from this host
 * or from one of the peers (then not back to that peer).
 */
#include <linux/inetdevice.h>
#include <net/addrconf.h>

#include "device.h"
#include "forward.h"
#include "peer.h"
#include "tx.h"

/* A broadcast address of one of the device's IPv4 subnets? */
static bool ltun_is_subnet_bcast4(struct net_device *dev, __be32 daddr)
{
	const struct in_ifaddr *ifa;
	struct in_device *in_dev;
	bool ret = false;

	rcu_read_lock();
	in_dev = __in_dev_get_rcu(dev);
	if (in_dev) {
		in_dev_for_each_ifa_rcu(ifa, in_dev) {
			/* /31 and /32 have no broadcast address. */
			if ((ifa->ifa_broadcast && daddr == ifa->ifa_broadcast) ||
			    (ifa->ifa_prefixlen < 31 &&
			     daddr == (ifa->ifa_local | ~ifa->ifa_mask))) {
				ret = true;
				break;
			}
		}
	}
	rcu_read_unlock();
	return ret;
}

/**
 * ltun_is_flood_dst() - is this destination for every peer?
 * @ltun: the device
 * @family: 4 or 6
 * @daddr: inner destination, 4 or 16 bytes
 *
 * IPv4 multicast, the limited broadcast and the broadcast address of the
 * device's subnets; IPv6 multicast. Only asked once no peer's prefixes
 * matched, so unicast to a peer never pays for it; unicast to this host
 * walks the device's addresses only when its two lowest bits are set, as
 * every subnet broadcast address's are.
 *
 * Context: any.
 */
bool ltun_is_flood_dst(struct ltun_dev *ltun, u8 family, const u8 *daddr)
{
	__be32 d4;

	if (family == 6)
		return ipv6_addr_is_multicast((const struct in6_addr *)daddr);
	memcpy(&d4, daddr, sizeof(d4));
	if (ipv4_is_multicast(d4) || ipv4_is_lbcast(d4))
		return true;
	return (daddr[3] & 3) == 3 && ltun_is_subnet_bcast4(ltun->dev, d4);
}

/**
 * ltun_flood() - send a packet to every peer but one
 * @ltun: the device
 * @skb: the packet; consumed
 * @except: the peer it came from, or NULL
 *
 * Every copy but the last is a clone: the TX path only reads packet data.
 *
 * Context: RCU read side (peers found here stay alive until queued, as in
 * ltun_xmit()), bottom halves disabled.
 */
void ltun_flood(struct ltun_dev *ltun, struct sk_buff *skb,
		const struct ltun_peer *except)
{
	struct ltun_peer *peer, *prev = NULL;
	struct sk_buff *copy;
	unsigned long id;

	xa_for_each(&ltun->peers, id, peer) {
		if (peer == except)
			continue;
		if (prev) {
			copy = skb_clone(skb, GFP_ATOMIC);
			if (copy)
				ltun_tx_queue(prev, copy);
		}
		prev = peer;
	}
	if (prev)
		ltun_tx_queue(prev, skb);
	else
		consume_skb(skb);
}
