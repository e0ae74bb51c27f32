// SPDX-License-Identifier: GPL-2.0
/* Per-CPU counters: allocation, summing, netlink encoding. */
#include <linux/ltun.h>

#include "stats.h"

struct ltun_pcpu_stats __percpu *ltun_stats_alloc(void)
{
	struct ltun_pcpu_stats __percpu *stats;
	int cpu;

	stats = alloc_percpu(struct ltun_pcpu_stats);
	if (!stats)
		return NULL;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats, cpu)->syncp);
	return stats;
}

void ltun_stats_free(struct ltun_pcpu_stats __percpu *stats)
{
	free_percpu(stats);
}

/**
 * ltun_stats_read() - add up every CPU's counters
 * @stats: per-CPU counters
 * @sum: the totals
 */
void ltun_stats_read(struct ltun_pcpu_stats __percpu *stats,
		     struct ltun_stats_sum *sum)
{
	u64 c[LTUN_STAT_NUM];
	unsigned int start;
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct ltun_pcpu_stats *s = per_cpu_ptr(stats, cpu);

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < LTUN_STAT_NUM; i++)
				c[i] = u64_stats_read(&s->c[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		for (i = 0; i < LTUN_STAT_NUM; i++)
			sum->c[i] += c[i];
	}
}

/**
 * ltun_stats_put() - encode totals as a nest of &enum ltun_stats_a
 * @skb: message being built
 * @attr: type of the nest
 * @sum: totals from ltun_stats_read()
 *
 * Return: 0 or -EMSGSIZE.
 */
int ltun_stats_put(struct sk_buff *skb, int attr,
		   const struct ltun_stats_sum *sum)
{
	static const u16 attr_of[LTUN_STAT_NUM] = {
		[LTUN_STAT_RX_BYTES]		= LTUN_STATS_A_RX_BYTES,
		[LTUN_STAT_RX_PACKETS]		= LTUN_STATS_A_RX_PACKETS,
		[LTUN_STAT_TX_BYTES]		= LTUN_STATS_A_TX_BYTES,
		[LTUN_STAT_TX_PACKETS]		= LTUN_STATS_A_TX_PACKETS,
		[LTUN_STAT_RX_INVALID]		= LTUN_STATS_A_RX_INVALID,
		[LTUN_STAT_RX_SPOOFED]		= LTUN_STATS_A_RX_SPOOFED,
		[LTUN_STAT_TX_QUEUE_FULL]	= LTUN_STATS_A_TX_QUEUE_FULL,
		[LTUN_STAT_TX_NO_PEER]		= LTUN_STATS_A_TX_NO_PEER,
		[LTUN_STAT_RX_KEEPALIVES]	= LTUN_STATS_A_RX_KEEPALIVES,
		[LTUN_STAT_FORWARDED]		= LTUN_STATS_A_FORWARDED,
		[LTUN_STAT_ISOLATED]		= LTUN_STATS_A_ISOLATED,
		[LTUN_STAT_TX_KEEPALIVES]	= LTUN_STATS_A_TX_KEEPALIVES,
		[LTUN_STAT_RX_TOO_BIG]		= LTUN_STATS_A_RX_TOO_BIG,
		[LTUN_STAT_PROTO_ERRORS]	= LTUN_STATS_A_PROTO_ERRORS,
	};
	const u64 *c = sum->c;
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, attr);
	if (!nest)
		return -EMSGSIZE;

	for (i = 0; i < LTUN_STAT_NUM; i++) {
		if (attr_of[i] &&
		    nla_put_u64_64bit(skb, attr_of[i], c[i], LTUN_STATS_A_PAD))
			goto cancel;
	}
	if (nla_put_u64_64bit(skb, LTUN_STATS_A_RX_DROPS,
			      c[LTUN_STAT_RX_INVALID] + c[LTUN_STAT_RX_SPOOFED] +
			      c[LTUN_STAT_RX_OTHER_DROPS] +
			      c[LTUN_STAT_ISOLATED] + c[LTUN_STAT_RX_TOO_BIG],
			      LTUN_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, LTUN_STATS_A_TX_DROPS,
			      c[LTUN_STAT_TX_QUEUE_FULL] + c[LTUN_STAT_TX_NO_PEER] +
			      c[LTUN_STAT_TX_OTHER_DROPS], LTUN_STATS_A_PAD))
		goto cancel;

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
