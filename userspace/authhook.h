/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "auth-hook CMD" of the server: an external program decides whether a
 * client may join, e.g. by asking a central controller.
 */
#ifndef LTUNCTL_AUTHHOOK_H
#define LTUNCTL_AUTHHOOK_H

#include <stdbool.h>
#include <stddef.h>

#define AUTHHOOK_TIMEOUT_S 10

struct authhook_req {
	const char *identity;	/* "" without a client certificate */
	const char *remote;	/* ADDR:PORT */
	const char *addresses;	/* space-separated CIDRs the client would get */
	const char *prefixes;	/* space-separated announced subnets */
	const char *device;
	bool renew;
};

/*
 * Run "/bin/sh -c CMD" with the request in LTUN_* environment variables,
 * stdin from /dev/null, at most AUTHHOOK_TIMEOUT_S seconds (then its
 * process group is killed). Returns 0 when it exited 0, else -1 with
 * the reason in why ("exit N", "killed by signal N", "timed out").
 */
int authhook_run(const char *cmd, const struct authhook_req *r, char *why, size_t whylen);

#endif
