/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allowed inner prefixes of the peers of one device: longest-prefix match of
 * an inner address to the peer that owns it. The same table routes outbound
 * packets (by destination) and checks inbound ones (by source).
 */
#ifndef _LTUN_ALLOWEDIPS_H
#define _LTUN_ALLOWEDIPS_H

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rculist.h>

struct ltun_peer;

#define LTUN_AIP_HASH_BITS	10

/**
 * struct ltun_aip - one prefix, as given by userspace
 * @family: 4 or 6
 * @cidr: prefix length, at most 32 or 128
 * @addr: address in network order, host bits zero; IPv4 in the first 4 bytes
 */
struct ltun_aip {
	u8 family;
	u8 cidr;
	u8 addr[16];
};

/**
 * struct ltun_aip_table - prefixes of every peer of a device
 * @lock: the owning device's peer lock; every writer holds it
 * @seed: hash seed
 * @lens4: bit (32 - len) set while some IPv4 prefix of length len exists,
 *	so lookups walk the lengths in use from the longest
 * @lens6: the same for IPv6, bit (128 - len)
 * @count4: number of IPv4 prefixes of each length (writers only)
 * @count6: number of IPv6 prefixes of each length (writers only)
 * @buckets: hash of (family, length, masked address); RCU-protected lists,
 *	changed under @lock, read under rcu_read_lock()
 *
 * Readers never lock: an entry is published before its length bit is set
 * and its length bit is cleared before it is unpublished, and entries are
 * freed after a grace period.
 */
struct ltun_aip_table {
	struct mutex *lock; /* the device lock, see above */
	u32 seed;
	DECLARE_BITMAP(lens4, 33);
	DECLARE_BITMAP(lens6, 129);
	u16 count4[33];
	u16 count6[129];
	struct hlist_head buckets[1 << LTUN_AIP_HASH_BITS];
};

void ltun_aip_table_init(struct ltun_aip_table *table, struct mutex *lock);
struct ltun_aip_entry;

bool ltun_aip_owned_by_other(struct ltun_aip_table *table,
			     const struct ltun_peer *peer,
			     const struct ltun_aip *aip);
void ltun_aip_insert(struct ltun_aip_table *table, struct ltun_peer *peer,
		     struct list_head *peer_list, struct ltun_aip_entry *e,
		     const struct ltun_aip *aip);
void ltun_aip_replace(struct ltun_aip_table *table, struct ltun_peer *peer,
		      struct list_head *peer_list,
		      struct ltun_aip_entry **entries,
		      const struct ltun_aip *aips, unsigned int n);
void ltun_aip_remove_all(struct ltun_aip_table *table,
			 struct list_head *peer_list);
struct ltun_peer *ltun_aip_lookup(struct ltun_aip_table *table, u8 family,
				  const u8 *addr);
bool ltun_aip_valid(const struct ltun_aip *aip);

/**
 * struct ltun_aip_entry - a prefix in the table
 * @hnode: in &ltun_aip_table.buckets
 * @peer_node: in the owning peer's list, under &ltun_aip_table.lock
 * @peer: owner
 * @aip: the prefix
 * @rcu: deferred free
 */
struct ltun_aip_entry {
	struct hlist_node hnode;
	struct list_head peer_node;
	struct ltun_peer *peer;
	struct ltun_aip aip;
	struct rcu_head rcu;
};

#endif /* _LTUN_ALLOWEDIPS_H */
