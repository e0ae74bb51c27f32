/* SPDX-License-Identifier: GPL-2.0 */
/* "ltunctl server": state shared by the listening parent and its children. */
#ifndef LTUNCTL_SERVER_H
#define LTUNCTL_SERVER_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "hello.h"
#include "nl.h"
#include "policy.h"
#include "tls.h"
#include "token.h"

#define SRV_MAX_HANDSHAKES 64

struct srv_opts {
	const char *dev, *listen, *cert, *key, *ca;
	const char *policy_file, *auth_hook;
	bool has_pool4, has_pool6;
	struct prefix pool4, pool6;
	int max_peers, isolate;			/* -1: leave the device as it is */
	uint32_t keepalive_ms, timeout_ms;	/* 0: kernel default */
	size_t n_route;
	struct prefix route[HELLO_MAX_ROUTES];	/* push-route */
};

struct srv {
	struct srv_opts o;
	bool no_kernel;
	unsigned int ifindex;
	struct tls_creds *creds;
	struct policy *pol;		/* NULL: no policy file */
	struct token_table *tok;	/* shared with the children */
	int lfd;
	struct nl nl;			/* parent: multicast "peers" only */
	sigset_t child_mask;		/* signal mask children start with */
	pid_t kids[SRV_MAX_HANDSHAKES];
	unsigned int n_kids;
};

/*
 * Children decide and add peers one at a time under this lock: the checks
 * (free address, room under max-peers) and PEER_NEW must not interleave
 * between two concurrent handshakes; the session table is written under
 * it too. Robust, because a child may be killed by its timeout while
 * holding it.
 */
void srv_lock(void);
void srv_unlock(void);

/* A child's whole life: one client, then _exit(). */
void srv_handle_client(struct srv *s, int fd, const char *client) __attribute__((noreturn));

/* Child after a peer went away: drop its routes and session slots. */
void srv_cleanup_peer(struct srv *s, uint32_t peer_id) __attribute__((noreturn));

#endif
