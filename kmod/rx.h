/* SPDX-License-Identifier: GPL-2.0 */
/* Receive: the worker that reads the socket and delivers inner packets. */
#ifndef _LTUN_RX_H
#define _LTUN_RX_H

#include <linux/workqueue.h>

void ltun_rx_work(struct work_struct *work);

#endif /* _LTUN_RX_H */
