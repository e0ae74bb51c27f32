/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Session tokens of the server, for renewals. WELCOME carries TOKEN
 * {session id, HMAC-SHA256(secret, ifindex || session id || identity)};
 * a later HELLO with RENEW {session id, mac} proves it holds that session.
 *
 * The session id is not the kernel's peer id: WELCOME must be sent before
 * PEER_NEW (after it the kernel owns the socket's writes), so the peer id
 * is not known yet. A table in memory shared by the server's processes
 * maps session ids to peer ids once PEER_NEW has answered. The secret and
 * the table live as long as the server process: after a restart every
 * renewal is refused and clients connect afresh.
 */
#ifndef LTUNCTL_TOKEN_H
#define LTUNCTL_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "hello.h"

#define TOKEN_SECRET_LEN 32
#define TOKEN_SLOTS 65536	/* the low 16 bits of a session id */

struct token_session {
	uint32_t sid;		/* 0: free */
	uint32_t peer_id;	/* 0: PEER_NEW not done (or failed) */
	uint32_t ifindex;
	uint8_t n_prefix;
	struct prefix prefix[HELLO_MAX_PREFIXES];	/* routes we added for it */
};

struct token_table {
	uint8_t secret[TOKEN_SECRET_LEN];
	uint32_t cursor;
	struct token_session s[TOKEN_SLOTS];
};

/* Shared anonymous mapping with a fresh random secret; NULL on failure. */
struct token_table *token_table_new(char *err, size_t errlen);
void token_table_free(struct token_table *t);

/*
 * The MAC for (ifindex, sid, identity) into mac. Returns 0 or -1.
 */
int token_mac(const struct token_table *t, uint32_t ifindex, uint32_t sid,
	      const char *identity, uint8_t mac[HELLO_TOKEN_LEN]);
/* Constant-time check of a presented mac. */
bool token_check(const struct token_table *t, uint32_t ifindex, uint32_t sid,
		 const char *identity, const uint8_t mac[HELLO_TOKEN_LEN]);

/* Caller holds the server's admission lock for all of these. */
struct token_session *token_session_new(struct token_table *t, uint32_t ifindex);
struct token_session *token_session_find(struct token_table *t, uint32_t sid);
/* Every session of peer_id on ifindex (for route cleanup), in turn. */
struct token_session *token_session_of_peer(struct token_table *t, uint32_t ifindex,
					    uint32_t peer_id, uint32_t *iter);

#endif
