/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client side of a tunnel: options of "peer add", one session with the
 * server (connect, TLS, HELLO/WELCOME, PEER_NEW, addresses and routes on
 * the device), its renewal, and the persist loop that keeps it up.
 */
#ifndef LTUNCTL_CLIENT_H
#define LTUNCTL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "hello.h"
#include "nl.h"
#include "tls.h"

#define CLIENT_CMD "peer add"
#define CLIENT_RENEW_DEFAULT_S 3600
#define CLIENT_RENEW_MIN_S 5

struct client_opts {
	const char *dev;
	const char *server;		/* HOST:PORT */
	const char *ca, *cert, *key;
	const char *sni;		/* name the server certificate must match */
	struct prefix addr[HELLO_MAX_ADDRS];	/* requested ("address") */
	size_t n_addr;
	struct prefix prefix[HELLO_MAX_PREFIXES];	/* announced ("prefix") */
	size_t n_prefix;
	uint32_t keepalive_ms, timeout_ms;	/* 0: the kernel's default */
	bool persist;
	uint32_t renew_s;		/* persist: renew this often */
	bool has_ciphers;		/* "cipher": offer only these */
	struct tls_ciphers ciphers;
};

/* One session: what the server granted and what we did with it. */
struct client_sess {
	uint32_t id;			/* our kernel peer, 0 when down */
	char remote[ADDR_STRLEN];
	char cipher[32];
	bool gso;			/* LTUN_PEER_F_GSO negotiated */
	struct hello_msg w;		/* the WELCOME of this session */
	bool has_token;
	uint32_t token_id;		/* the server's peer id, for RENEW */
	uint8_t token[HELLO_TOKEN_LEN];
};

struct client {
	struct client_opts o;
	char hostbuf[256];
	const char *host, *port;
	unsigned int ifindex;
	struct tls_creds *creds;
	struct nl nl;			/* requests (never joined to a group) */
	bool no_kernel;
	struct client_sess s;
	/* Kept across sessions: asked for again on reconnect (sticky). */
	struct prefix last_addr[HELLO_MAX_ADDRS];
	size_t n_last_addr;
	/* Put on the device by us, to tidy when a later session differs. */
	struct prefix added_addr[HELLO_MAX_ADDRS];
	size_t n_added_addr;
	struct prefix routes[HELLO_MAX_ROUTES];
	size_t n_routes;
};

/*
 * "up" runs "peer add ... persist" as a daemon: when ready_fd >= 0 the
 * client writes one byte to it once the first session is up, then closes
 * it (EOF without a byte means it failed; the reason is on stderr).
 */
extern int client_ready_fd;

/* New session with the server; 0, or -1 with a one-line reason. */
int client_connect(struct client *c, char *err, size_t errlen);
/* Renew the current session over a fresh connection; 0 or -1 + reason. */
int client_renew(struct client *c, char *err, size_t errlen);
/* "peer N up: ..." (text, or JSON when -j) for the current session. */
void client_print_up(const struct client *c);
/* Delete our peer and the routes we installed (on exit). */
void client_teardown(struct client *c);

/* persist.c: keep the session up until SIGINT/SIGTERM. Returns the exit code. */
int persist_run(struct client *c);

#endif
