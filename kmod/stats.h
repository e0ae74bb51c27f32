/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU counters, kept for each device and each peer. Writers only touch
 * their own CPU's copy, so no counter update takes a lock or bounces a cache
 * line; readers sum the copies.
 */
#ifndef _LTUN_STATS_H
#define _LTUN_STATS_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <net/netlink.h>

/**
 * enum ltun_stat - index of a counter in &struct ltun_pcpu_stats
 *
 * The order matches nothing on the wire: ltun_stats_put() maps each counter
 * to its netlink attribute.
 */
enum ltun_stat {
	LTUN_STAT_RX_BYTES,
	LTUN_STAT_RX_PACKETS,
	LTUN_STAT_TX_BYTES,
	LTUN_STAT_TX_PACKETS,
	LTUN_STAT_RX_INVALID,
	LTUN_STAT_RX_SPOOFED,
	LTUN_STAT_RX_OTHER_DROPS,
	LTUN_STAT_TX_QUEUE_FULL,
	LTUN_STAT_TX_NO_PEER,
	LTUN_STAT_TX_OTHER_DROPS,
	LTUN_STAT_RX_KEEPALIVES,
	LTUN_STAT_FORWARDED,
	LTUN_STAT_ISOLATED,
	LTUN_STAT_TX_KEEPALIVES,
	LTUN_STAT_RX_TOO_BIG,
	LTUN_STAT_PROTO_ERRORS,
	LTUN_STAT_NUM,
};

/**
 * struct ltun_pcpu_stats - one CPU's counters
 * @syncp: lets 32-bit readers see consistent 64-bit values; writers update
 *	it with bottom halves disabled, so a softirq writer never nests inside
 *	a process-context writer on the same CPU
 * @c: the counters, indexed by &enum ltun_stat
 */
struct ltun_pcpu_stats {
	struct u64_stats_sync syncp;
	u64_stats_t c[LTUN_STAT_NUM];
};

/**
 * struct ltun_stats_sum - all CPUs' counters added up
 * @c: the totals, indexed by &enum ltun_stat
 */
struct ltun_stats_sum {
	u64 c[LTUN_STAT_NUM];
};

struct ltun_pcpu_stats __percpu *ltun_stats_alloc(void);
void ltun_stats_free(struct ltun_pcpu_stats __percpu *stats);
void ltun_stats_read(struct ltun_pcpu_stats __percpu *stats,
		     struct ltun_stats_sum *sum);
int ltun_stats_put(struct sk_buff *skb, int attr,
		   const struct ltun_stats_sum *sum);

/**
 * ltun_stats_add() - add to one counter of this CPU
 * @stats: per-CPU counters of a device or peer
 * @stat: which counter
 * @n: amount
 *
 * Context: any; disables bottom halves around the update.
 */
static inline void ltun_stats_add(struct ltun_pcpu_stats __percpu *stats,
				  enum ltun_stat stat, u64 n)
{
	struct ltun_pcpu_stats *s;

	local_bh_disable();
	s = this_cpu_ptr(stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[stat], n);
	u64_stats_update_end(&s->syncp);
	local_bh_enable();
}

/**
 * ltun_stats_add2() - add a packet count and a byte count at once
 * @stats: per-CPU counters
 * @pkts: packet counter
 * @npkts: packets
 * @bytes: byte counter
 * @nbytes: bytes
 */
static inline void ltun_stats_add2(struct ltun_pcpu_stats __percpu *stats,
				   enum ltun_stat pkts, u64 npkts,
				   enum ltun_stat bytes, u64 nbytes)
{
	struct ltun_pcpu_stats *s;

	local_bh_disable();
	s = this_cpu_ptr(stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[pkts], npkts);
	u64_stats_add(&s->c[bytes], nbytes);
	u64_stats_update_end(&s->syncp);
	local_bh_enable();
}

#endif /* _LTUN_STATS_H */
