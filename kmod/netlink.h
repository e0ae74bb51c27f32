/* SPDX-License-Identifier: GPL-2.0 */
/* Generic netlink family "ltun" (see uapi/linux/ltun.h). */
#ifndef _LTUN_NETLINK_H
#define _LTUN_NETLINK_H

#include <linux/types.h>

struct ltun_dev;
struct ltun_peer;

int ltun_nl_register(void);
void ltun_nl_unregister(void);
void ltun_nl_notify_peer_del(struct ltun_peer *peer);
void ltun_nl_notify_peer(struct ltun_dev *ltun, u32 id, u8 cmd, u32 changes);

#endif /* _LTUN_NETLINK_H */
