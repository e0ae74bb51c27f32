// SPDX-License-Identifier: GPL-2.0
/*
 * Longest-prefix match over a hash table per prefix length.
 *
 * A tunnel hub has few distinct prefix lengths (typically /32 and /128 for
 * clients, a few more for sites behind them), so probing one hash bucket per
 * length in use, longest first, costs a handful of cache lines per packet
 * and needs no trie rebalancing on the writer side.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "allowedips.h"

static unsigned int ltun_aip_alen(u8 family)
{
	return family == 4 ? 4 : 16;
}

static unsigned int ltun_aip_maxlen(u8 family)
{
	return family == 4 ? 32 : 128;
}

/* Copy @addr into @out with the bits past @cidr cleared. */
static void ltun_aip_mask(u8 family, u8 cidr, const u8 *addr, u8 *out)
{
	unsigned int alen = ltun_aip_alen(family);
	unsigned int full = cidr / 8;

	memset(out, 0, 16);
	memcpy(out, addr, full);
	if (full < alen && cidr % 8)
		out[full] = addr[full] & (u8)(0xff00 >> (cidr % 8));
}

/**
 * ltun_aip_valid() - check a prefix from userspace
 * @aip: family, length and address
 *
 * Return: true if the family is known, the length fits it and no host bit
 * is set.
 */
bool ltun_aip_valid(const struct ltun_aip *aip)
{
	u8 masked[16];

	if (aip->family != 4 && aip->family != 6)
		return false;
	if (aip->cidr > ltun_aip_maxlen(aip->family))
		return false;
	ltun_aip_mask(aip->family, aip->cidr, aip->addr, masked);
	return !memcmp(masked, aip->addr, ltun_aip_alen(aip->family)) &&
	       !memchr_inv(aip->addr + ltun_aip_alen(aip->family), 0,
			   16 - ltun_aip_alen(aip->family));
}

static struct hlist_head *ltun_aip_bucket(struct ltun_aip_table *table,
					  u8 family, u8 cidr, const u8 *masked)
{
	u32 h = jhash(masked, 16, table->seed ^ (family << 8 | cidr));

	return &table->buckets[hash_32(h, LTUN_AIP_HASH_BITS)];
}

void ltun_aip_table_init(struct ltun_aip_table *table, struct mutex *lock)
{
	unsigned int i;

	memset(table, 0, sizeof(*table));
	table->lock = lock;
	table->seed = get_random_u32();
	for (i = 0; i < ARRAY_SIZE(table->buckets); i++)
		INIT_HLIST_HEAD(&table->buckets[i]);
}

static struct ltun_aip_entry *ltun_aip_find(struct ltun_aip_table *table,
					    const struct ltun_aip *aip)
{
	struct ltun_aip_entry *e;
	struct hlist_head *head;

	head = ltun_aip_bucket(table, aip->family, aip->cidr, aip->addr);
	hlist_for_each_entry_rcu(e, head, hnode, lockdep_is_held(table->lock)) {
		if (e->aip.family == aip->family && e->aip.cidr == aip->cidr &&
		    !memcmp(e->aip.addr, aip->addr, 16))
			return e;
	}
	return NULL;
}

/**
 * ltun_aip_owned_by_other() - whether another peer owns exactly this prefix
 * @table: the device's table
 * @peer: the peer asking
 * @aip: a prefix that passed ltun_aip_valid()
 *
 * Context: holds @table->lock.
 */
bool ltun_aip_owned_by_other(struct ltun_aip_table *table,
			     const struct ltun_peer *peer,
			     const struct ltun_aip *aip)
{
	struct ltun_aip_entry *e;

	lockdep_assert_held(table->lock);
	e = ltun_aip_find(table, aip);
	return e && e->peer != peer;
}

/**
 * ltun_aip_insert() - give a prefix to a peer
 * @table: the device's table
 * @peer: new owner
 * @peer_list: @peer's list of entries
 * @e: entry allocated by the caller, so that inserting cannot fail; the
 *	table owns it from now on
 * @aip: a prefix that passed ltun_aip_valid() and that no other peer owns
 *	(ltun_aip_owned_by_other() said so under the same lock hold); if
 *	@peer owns it already, @e is freed and the existing entry moves to
 *	the tail of @peer_list (how ltun_aip_replace() keeps what stays)
 *
 * Context: holds @table->lock.
 */
void ltun_aip_insert(struct ltun_aip_table *table, struct ltun_peer *peer,
		     struct list_head *peer_list, struct ltun_aip_entry *e,
		     const struct ltun_aip *aip)
{
	struct ltun_aip_entry *old;
	unsigned int bit;

	lockdep_assert_held(table->lock);

	old = ltun_aip_find(table, aip);
	if (old) {
		if (old->peer == peer)
			list_move_tail(&old->peer_node, peer_list);
		kfree(e);
		return;
	}
	e->peer = peer;
	e->aip = *aip;

	hlist_add_head_rcu(&e->hnode,
			   ltun_aip_bucket(table, aip->family, aip->cidr, aip->addr));
	list_add_tail(&e->peer_node, peer_list);

	bit = ltun_aip_maxlen(aip->family) - aip->cidr;
	if (aip->family == 4) {
		if (!table->count4[aip->cidr]++)
			set_bit(bit, table->lens4);
	} else {
		if (!table->count6[aip->cidr]++)
			set_bit(bit, table->lens6);
	}
}

/**
 * ltun_aip_remove_all() - remove every prefix of a peer
 * @table: the device's table
 * @peer_list: the peer's list of entries; empty afterwards
 *
 * Readers may still see the entries until a grace period has passed; they
 * are freed after it.
 *
 * Context: holds @table->lock.
 */
void ltun_aip_remove_all(struct ltun_aip_table *table,
			 struct list_head *peer_list)
{
	struct ltun_aip_entry *e, *tmp;
	unsigned int bit;

	lockdep_assert_held(table->lock);

	list_for_each_entry_safe(e, tmp, peer_list, peer_node) {
		bit = ltun_aip_maxlen(e->aip.family) - e->aip.cidr;
		if (e->aip.family == 4) {
			if (!--table->count4[e->aip.cidr])
				clear_bit(bit, table->lens4);
		} else {
			if (!--table->count6[e->aip.cidr])
				clear_bit(bit, table->lens6);
		}
		hlist_del_rcu(&e->hnode);
		list_del(&e->peer_node);
		kfree_rcu(e, rcu);
	}
}

/**
 * ltun_aip_replace() - give a peer a new set of prefixes, live
 * @table: the device's table
 * @peer: the owner
 * @peer_list: @peer's list of entries
 * @entries: one preallocated entry per prefix (the table owns them now)
 * @aips: the new prefixes, none owned by another peer
 * @n: number of @aips
 *
 * Prefixes in both the old and the new set never leave the table, so a
 * lookup racing with the change finds the peer for every prefix it keeps:
 * the new ones are added before the dropped ones are removed.
 *
 * Context: holds @table->lock.
 */
void ltun_aip_replace(struct ltun_aip_table *table, struct ltun_peer *peer,
		      struct list_head *peer_list,
		      struct ltun_aip_entry **entries,
		      const struct ltun_aip *aips, unsigned int n)
{
	LIST_HEAD(old);
	unsigned int i;

	lockdep_assert_held(table->lock);

	list_splice_init(peer_list, &old);
	for (i = 0; i < n; i++)
		ltun_aip_insert(table, peer, peer_list, entries[i], &aips[i]);
	ltun_aip_remove_all(table, &old);
}

/**
 * ltun_aip_lookup() - the peer whose longest prefix covers an address
 * @table: the device's table
 * @family: 4 or 6
 * @addr: 4 or 16 bytes
 *
 * Context: rcu_read_lock() held; the peer is valid until it is released.
 * Return: the peer, or NULL.
 */
struct ltun_peer *ltun_aip_lookup(struct ltun_aip_table *table, u8 family,
				  const u8 *addr)
{
	unsigned int maxlen = ltun_aip_maxlen(family);
	const unsigned long *lens = family == 4 ? table->lens4 : table->lens6;
	struct ltun_aip_entry *e;
	struct hlist_head *head;
	u8 masked[16];
	unsigned int bit;
	u8 cidr;

	for_each_set_bit(bit, lens, maxlen + 1) {
		cidr = maxlen - bit;
		ltun_aip_mask(family, cidr, addr, masked);
		head = ltun_aip_bucket(table, family, cidr, masked);
		hlist_for_each_entry_rcu(e, head, hnode) {
			if (e->aip.family == family && e->aip.cidr == cidr &&
			    !memcmp(e->aip.addr, masked, 16))
				return e->peer;
		}
	}
	return NULL;
}
