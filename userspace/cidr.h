/* SPDX-License-Identifier: GPL-2.0 */
/* Parse "ADDR/PLEN" arguments of the client commands and config files. */
#ifndef LTUNCTL_CIDR_H
#define LTUNCTL_CIDR_H

#include <stdbool.h>

#include "addr.h"

/*
 * "10.9.0.2/24", "fd09::2/64"; without "/PLEN" the host length (32/128)
 * unless need_plen. Host bits are kept (an address with its subnet).
 * Returns 0, or -1 with a reason in *why.
 */
int cidr_parse(const char *s, bool need_plen, struct prefix *p, const char **why);

#endif
