/* SPDX-License-Identifier: GPL-2.0 */
/* rtnetlink: the inner addresses configured on an ltun device. */
#ifndef LTUNCTL_RTNL_H
#define LTUNCTL_RTNL_H

#include <stddef.h>

#include "addr.h"

#define RTNL_MAX_ADDRS 16

/*
 * Fill out[] with the IPv4 and IPv6 addresses of ifindex (address + the
 * on-link prefix length), skipping IPv6 link-local ones. Returns the count
 * (at most max) or -errno.
 */
int rtnl_dev_addrs(unsigned int ifindex, struct prefix *out, size_t max);

#endif
