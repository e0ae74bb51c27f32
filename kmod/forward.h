/* SPDX-License-Identifier: GPL-2.0 */
/* Where an inner packet goes: one peer, every peer, or this host. */
#ifndef _LTUN_FORWARD_H
#define _LTUN_FORWARD_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct ltun_dev;
struct ltun_peer;

bool ltun_is_flood_dst(struct ltun_dev *ltun, u8 family, const u8 *daddr);
void ltun_flood(struct ltun_dev *ltun, struct sk_buff *skb,
		const struct ltun_peer *except);

#endif /* _LTUN_FORWARD_H */
