// SPDX-License-Identifier: GPL-2.0
/*
 * Session ids: low 16 bits the table slot, high 16 bits random, so an id
 * names one slot and a stale id (its slot reused since) does not match.
 * Slots are handed out round-robin, skipping slots of live sessions, so
 * an entry is only overwritten after TOKEN_SLOTS newer sessions.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "token.h"

struct token_table *token_table_new(char *err, size_t errlen)
{
	struct token_table *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (t == MAP_FAILED) {
		snprintf(err, errlen, "session table: %m");
		return NULL;
	}
	ret = gnutls_rnd(GNUTLS_RND_KEY, t->secret, sizeof(t->secret));
	if (ret < 0) {
		snprintf(err, errlen, "random secret: %s", gnutls_strerror(ret));
		munmap(t, sizeof(*t));
		return NULL;
	}
	return t;
}

void token_table_free(struct token_table *t)
{
	if (!t)
		return;
	explicit_bzero(t->secret, sizeof(t->secret));
	munmap(t, sizeof(*t));
}

int token_mac(const struct token_table *t, uint32_t ifindex, uint32_t sid,
	      const char *identity, uint8_t mac[HELLO_TOKEN_LEN])
{
	uint8_t msg[8 + 256];
	uint32_t be;
	size_t ilen = strlen(identity);

	if (ilen > sizeof(msg) - 8)
		return -1;
	be = htonl(ifindex);
	memcpy(msg, &be, 4);
	be = htonl(sid);
	memcpy(msg + 4, &be, 4);
	memcpy(msg + 8, identity, ilen);
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, t->secret, sizeof(t->secret),
				msg, 8 + ilen, mac) < 0 ? -1 : 0;
}

bool token_check(const struct token_table *t, uint32_t ifindex, uint32_t sid,
		 const char *identity, const uint8_t mac[HELLO_TOKEN_LEN])
{
	uint8_t want[HELLO_TOKEN_LEN];
	uint8_t diff = 0;

	if (token_mac(t, ifindex, sid, identity, want) < 0)
		return false;
	for (size_t i = 0; i < HELLO_TOKEN_LEN; i++)
		diff |= (uint8_t)(want[i] ^ mac[i]);
	explicit_bzero(want, sizeof(want));
	return diff == 0;
}

struct token_session *token_session_new(struct token_table *t, uint32_t ifindex)
{
	uint16_t rnd = 0;
	uint32_t slot = t->cursor % TOKEN_SLOTS;

	/* Prefer a free slot; after a full lap take the oldest (cursor). */
	for (uint32_t i = 0; i < TOKEN_SLOTS; i++) {
		uint32_t c = (t->cursor + i) % TOKEN_SLOTS;

		if (!t->s[c].sid) {
			slot = c;
			break;
		}
	}
	t->cursor = slot + 1;
	if (gnutls_rnd(GNUTLS_RND_NONCE, &rnd, sizeof(rnd)) < 0)
		return NULL;
	memset(&t->s[slot], 0, sizeof(t->s[slot]));
	/* never 0: that marks a free slot */
	t->s[slot].sid = ((uint32_t)(rnd | 1) << 16) | slot;
	t->s[slot].ifindex = ifindex;
	return &t->s[slot];
}

struct token_session *token_session_find(struct token_table *t, uint32_t sid)
{
	struct token_session *s = &t->s[sid % TOKEN_SLOTS];

	return sid && s->sid == sid ? s : NULL;
}

struct token_session *token_session_of_peer(struct token_table *t, uint32_t ifindex,
					    uint32_t peer_id, uint32_t *iter)
{
	for (; *iter < TOKEN_SLOTS; (*iter)++) {
		struct token_session *s = &t->s[*iter];

		if (s->sid && s->peer_id == peer_id && s->ifindex == ifindex) {
			(*iter)++;
			return s;
		}
	}
	return NULL;
}
