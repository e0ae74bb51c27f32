/* SPDX-License-Identifier: GPL-2.0 */
/* Printing peers and devices, human-readable or JSON. */
#ifndef LTUNCTL_SHOW_H
#define LTUNCTL_SHOW_H

#include "ops.h"

void show_peer(const struct peer_info *pi, bool first);
void show_dev(const struct dev_info *di, bool first);

#endif
