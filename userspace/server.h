/* SPDX-License-Identifier: GPL-2.0 */
/* "ltunctl server": state shared by the listening parent and its children. */
#ifndef LTUNCTL_SERVER_H
#define LTUNCTL_SERVER_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "addr.h"
#include "hello.h"
#include "nl.h"
#include "policy.h"
#include "tls.h"
#include "token.h"

/*
 * Handshake limits (defaults of the options of the same name): a child
 * per connection from accept until the peer is added or refused, at most
 * max-handshakes of them, at most max-handshakes-per-source from one
 * IPv4 address or IPv6 /64, each given handshake-timeout seconds for the
 * TLS handshake and the HELLO together. Over a limit a connection is
 * reset at once (see accept_some() in server.c for why).
 */
#define SRV_HANDSHAKE_TIMEOUT_S 10
#define SRV_HANDSHAKE_TIMEOUT_MAX_S 300
#define SRV_MAX_HANDSHAKES 64
#define SRV_MAX_HANDSHAKES_MAX 4096
#define SRV_MAX_PER_SOURCE 8
/* Children that clean up after a peer that went away, outside the cap. */
#define SRV_CLEANUP_SLOTS 8
/*
 * Log lines about connections that have not got past the handshake
 * ("connected", "handshake failed") are what a flood multiplies: at
 * most SRV_LOG_BURST of them per SRV_LOG_WINDOW_S seconds, the rest
 * counted and summed up once per window.
 */
#define SRV_LOG_WINDOW_S 10
#define SRV_LOG_BURST 30

struct srv_opts {
	const char *dev, *listen, *cert, *key, *ca, *crl;
	const char *policy_file, *auth_hook;
	unsigned int handshake_timeout_s, max_handshakes, max_per_source;
	bool has_pool4, has_pool6;
	struct prefix pool4, pool6;
	int max_peers, isolate;			/* -1: leave the device as it is */
	uint32_t keepalive_ms, timeout_ms;	/* 0: kernel default */
	size_t n_route;
	struct prefix route[HELLO_MAX_ROUTES];	/* push-route */
	bool has_ciphers;			/* "cipher": accept only these */
	struct tls_ciphers ciphers;
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
	struct srv_kid *kids;		/* max_handshakes + SRV_CLEANUP_SLOTS */
	unsigned int n_kids, n_handshakes;
	/* connections reset over a limit, summed up once per log window */
	unsigned long reset_full, reset_source;
	time_t report_at;		/* CLOCK_MONOTONIC s; 0: no window open */
	time_t accept_paused_until;	/* after EMFILE and the like */
};

/* Where a connection comes from, for max-handshakes-per-source. */
struct srv_src {
	int family;
	uint8_t addr[16];	/* IPv6: the /64 only */
};

struct srv_kid {
	pid_t pid;
	bool handshake;		/* else a cleanup child */
	struct srv_src src;
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

/*
 * May a line about a not (yet) authenticated connection be logged now?
 * Shared by the parent and the children; async-signal-safe.
 */
bool srv_log_ok(void);

/* A child's whole life: one client, then _exit(). */
void srv_handle_client(struct srv *s, int fd, const char *client) __attribute__((noreturn));

/* Child after a peer went away: drop its routes and session slots. */
void srv_cleanup_peer(struct srv *s, uint32_t peer_id) __attribute__((noreturn));

#endif
