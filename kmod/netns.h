/* SPDX-License-Identifier: GPL-2.0 */
/* Ending peers whose sockets alone keep a network namespace alive. */
#ifndef _LTUN_NETNS_H
#define _LTUN_NETNS_H

#include <linux/workqueue.h>

void ltun_netns_work(struct work_struct *work);

#endif /* _LTUN_NETNS_H */
