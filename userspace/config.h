/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The INI-style files of "ltunctl up|down" (like wg-quick's): an
 * [Interface] section and either a [Server] or a [Client] section. Loading
 * one checks every line and turns it into the argument list of the
 * equivalent "ltunctl server" or "ltunctl peer add" command, so a config
 * file has no code path of its own.
 */
#ifndef LTUNCTL_CONFIG_H
#define LTUNCTL_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define CONFIG_MAX_ADDRS 16
#define CONFIG_MAX_ARGS 128

enum config_role { CONFIG_NONE, CONFIG_SERVER, CONFIG_CLIENT };

struct config {
	char name[IF_NAMESIZE];		/* [Interface] Name, or from the file name */
	enum config_role role;
	unsigned int mtu;		/* 0: leave the default */
	struct prefix addr[CONFIG_MAX_ADDRS];	/* [Interface] Address */
	size_t n_addr;
	/*
	 * "server DEV ..." or "peer add DEV ... persist" without the command
	 * words: argv[0] is the device name. Strings point into text.
	 */
	int argc;
	char *argv[CONFIG_MAX_ARGS + 1];
	char *text;			/* the file, cut into strings */
};

/*
 * Read and check path. Returns 0, or -1 with "PATH:LINE: reason" (or
 * "PATH: reason") in err and nothing left to free (config_free() is
 * harmless all the same).
 */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);

/* A name safe as an interface name and as a file name under /run/ltun. */
bool config_name_ok(const char *name);

#endif
