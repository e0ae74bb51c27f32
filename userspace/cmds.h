/* SPDX-License-Identifier: GPL-2.0 */
/* Command entry points and their usage texts. */
#ifndef LTUNCTL_CMDS_H
#define LTUNCTL_CMDS_H

#include <stdio.h>

/* argv[0] is the first word after the command name. */
int cmd_server(int argc, char **argv);
int cmd_peer(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_peer_add(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);

void usage_server(FILE *f);
void usage_peer(FILE *f);
void usage_dev(FILE *f);
void usage_peer_add(FILE *f);
void usage_monitor(FILE *f);
void usage_up(FILE *f);

/* Testing without the module: skip everything that needs the ltun family. */
#define ENV_NO_KERNEL "LTUNCTL_TEST_NO_KERNEL"

#endif
