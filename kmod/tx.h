/* SPDX-License-Identifier: GPL-2.0 */
/* Transmit: per-peer queue and the worker that writes it to the socket. */
#ifndef _LTUN_TX_H
#define _LTUN_TX_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>

struct ltun_peer;

void ltun_tx_queue(struct ltun_peer *peer, struct sk_buff *skb);
void ltun_tx_work(struct work_struct *work);
void ltun_tx_batch_drop(struct ltun_peer *peer);

#endif /* _LTUN_TX_H */
