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

/*
 * Changes, for "peer add" and "up"; each returns 0 or -errno.
 * rtnl_addr_add replaces an existing equal address (ip addr replace);
 * IPv6 addresses skip duplicate address detection.
 */
int rtnl_addr_add(unsigned int ifindex, const struct prefix *p);
int rtnl_addr_del(unsigned int ifindex, const struct prefix *p);
/* ip route replace|del P dev IFINDEX (main table, host bits ignored) */
int rtnl_route_replace(unsigned int ifindex, const struct prefix *p);
int rtnl_route_del(unsigned int ifindex, const struct prefix *p);
/* ip link add NAME type KIND (fails with -EEXIST if NAME exists) */
int rtnl_link_create(const char *name, const char *kind);
int rtnl_link_delete(unsigned int ifindex);
/* Set the MTU (0: leave it) and, if up, bring the link up. */
int rtnl_link_set(unsigned int ifindex, unsigned int mtu, bool up);

#endif
