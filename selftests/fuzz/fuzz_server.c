// SPDX-License-Identifier: GPL-2.0
/*
 * server: what "ltunctl server" does with the bytes a client sends after
 * the TLS handshake (userspace/server_client.c: srv_handle_client()),
 * without the kernel: frame_recv() from a socket holding the input,
 * hello_parse(), the version and TOKEN checks, then either the renewal's
 * session lookup and token verification (userspace/token.c) or the
 * admission decision (userspace/admit.c: admit_decide()) for a fixed
 * server: subnets 10.9.0.1/24 and fd09::1/64, pools, two existing peers, a
 * policy file, and several client identities.
 *
 * Checked, besides check_hello() and the socket handling (common.c):
 *  - a renewal passes only with the MAC of that session, identity and
 *    device;
 *  - an admitted client gets 1..HELLO_MAX_ADDRS host addresses, each in a
 *    server subnet with that subnet's length, not a server address, not
 *    another peer's, not pinned to another identity, the one it asked for
 *    when it asked for that family; and only subnets it announced, with
 *    no host bits, allowed by its policy rule, overlapping neither the
 *    tunnel subnets, nor another peer's prefixes, nor each other;
 *  - a refusal has a reason.
 */
#include <arpa/inet.h>
#include <string.h>

#include "admit.h"
#include "common.h"
#include "fuzz.h"
#include "policy.h"
#include "pool.h"
#include "token.h"

#define IFINDEX 7

static const char policy_text[] =
	"# the policy of the server under fuzz\n"
	"alice address 10.9.0.10 address6 fd09::10 prefix 192.168.50.0/24 prefix 192.168.60.0/22\n"
	"bob deny\n"
	"carol prefix 10.0.0.0/8 prefix fd77::/16\n"
	"* prefix 172.16.0.0/12\n";

static struct prefix srv[3], pool4, pool6;
static struct admit_aip aips[5];
static struct policy *pol;
static struct token_table *tok;

struct variant {
	const char *identity;
	const char *name;	/* identity, else ADDR:PORT */
	int with_policy, with_pools;
	uint32_t replace;	/* 0: none */
};

static const struct variant variants[] = {
	{ "alice", "alice", 1, 1, 2 },		/* alice again: her old peer 2 goes */
	{ "", "192.0.2.1:40000", 0, 1, 0 },	/* no certificate, no policy */
	{ "mallory", "mallory", 1, 0, 0 },	/* the '*' rule, no pools */
	{ "carol", "carol", 1, 1, 0 },		/* carol, her peer 3 not replaced */
	{ "bob", "bob", 1, 1, 0 },		/* denied */
};

static void set(struct prefix *p, int family, const char *a, unsigned int plen)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->plen = (uint8_t)plen;
	if (inet_pton(family, a, p->addr) != 1)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];
	struct token_session *s;

	(void)argc;
	(void)argv;
	set(&srv[0], AF_INET, "10.9.0.1", 24);
	set(&srv[1], AF_INET6, "fd09::1", 64);
	set(&srv[2], AF_INET, "10.10.0.1", 16);
	set(&pool4, AF_INET, "10.9.0.0", 24);
	set(&pool6, AF_INET6, "fd09::", 64);
	set(&aips[0].p, AF_INET, "10.9.0.5", 32);
	aips[0].owner = 2;
	set(&aips[1].p, AF_INET6, "fd09::5", 128);
	aips[1].owner = 2;
	set(&aips[2].p, AF_INET, "192.168.60.0", 24);
	aips[2].owner = 2;
	set(&aips[3].p, AF_INET, "10.9.0.6", 32);
	aips[3].owner = 3;
	set(&aips[4].p, AF_INET, "10.1.0.0", 16);
	aips[4].owner = 3;

	pol = policy_load(fuzz_file("policy", (const uint8_t *)policy_text,
				    sizeof(policy_text) - 1), err, sizeof(err));
	if (!pol) {
		fprintf(stderr, "fuzz: server policy: %s\n", err);
		abort();
	}
	tok = token_table_new(err, sizeof(err));
	if (!tok) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	/* A known secret, so a seed can carry a valid RENEW (gen_corpus.c). */
	for (size_t i = 0; i < TOKEN_SECRET_LEN; i++)
		tok->secret[i] = (uint8_t)(0xa0 + i);
	s = &tok->s[5];
	s->sid = 0x4c750005;
	s->peer_id = 2;
	s->ifindex = IFINDEX;
	s = &tok->s[9];
	s->sid = 0x4c760009;	/* PEER_NEW not answered yet */
	s->ifindex = IFINDEX;
	s = &tok->s[11];
	s->sid = 0x4c77000b;	/* another device's session */
	s->peer_id = 4;
	s->ifindex = IFINDEX + 1;
	return 0;
}

static void renew(const struct hello_msg *h, const char *identity)
{
	struct token_session *sess = token_session_find(tok, h->peer_id);
	uint8_t want[HELLO_TOKEN_LEN];
	bool ok;

	if (!sess || sess->ifindex != IFINDEX || !sess->peer_id)
		return;		/* "unknown session" */
	FUZZ_CHECK(sess->sid == h->peer_id, "session %#x found for id %#x", sess->sid, h->peer_id);
	ok = token_check(tok, IFINDEX, h->peer_id, identity, h->token);
	FUZZ_CHECK(token_mac(tok, IFINDEX, h->peer_id, identity, want) == 0, "token_mac");
	FUZZ_CHECK(ok == !memcmp(want, h->token, HELLO_TOKEN_LEN),
		   "token_check says %d for %s the MAC", ok,
		   memcmp(want, h->token, HELLO_TOKEN_LEN) ? "not" : "exactly");
}

static bool overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

static bool taken_by_other(const struct admit_in *in, const struct prefix *p)
{
	for (size_t i = 0; i < in->n_aips; i++)
		if (in->aips[i].owner != (in->n_replace ? in->replace[0] : 0) &&
		    overlaps(&in->aips[i].p, p))
			return true;
	return false;
}

static void check_admitted(const struct admit_in *in, const struct admit_out *out)
{
	const struct hello_msg *h = in->h;
	char a[ADDR_STRLEN];

	FUZZ_CHECK(out->n_addr >= 1 && out->n_addr <= HELLO_MAX_ADDRS, "%zu addresses",
		   out->n_addr);
	FUZZ_CHECK(out->n_prefix <= h->n_prefix, "%zu prefixes for %zu announced",
		   out->n_prefix, h->n_prefix);
	for (size_t i = 0; i < out->n_addr; i++) {
		struct prefix host = out->addr[i];
		const struct prefix *net = NULL;
		bool asked_family = false, asked = false;

		prefix_str(&host, true, a, sizeof(a));
		host.plen = (uint8_t)prefix_max_len(host.family);
		for (size_t s = 0; s < in->n_srv && !net; s++)
			if (prefix_contains(&in->srv[s], &host))
				net = &in->srv[s];
		FUZZ_CHECK(net, "%s: not in a server subnet", a);
		FUZZ_CHECK(out->addr[i].plen == net->plen, "%s: not the subnet's length", a);
		for (size_t s = 0; s < in->n_srv; s++)
			FUZZ_CHECK(!prefix_addr_equal(&in->srv[s], &host), "%s: server's address", a);
		FUZZ_CHECK(!taken_by_other(in, &host), "%s: another peer's", a);
		if (host.family == AF_INET && net->plen < 31) {
			struct prefix n = *net, b;

			prefix_mask(&n);
			b = n;
			for (unsigned int k = net->plen; k < 32; k++)
				b.addr[k / 8] |= (uint8_t)(0x80 >> (k % 8));
			FUZZ_CHECK(!prefix_addr_equal(&host, &n) && !prefix_addr_equal(&host, &b),
				   "%s: network or broadcast address", a);
		}
		if (in->rule && host.family == AF_INET && in->rule->has_addr4)
			FUZZ_CHECK(prefix_addr_equal(&host, &in->rule->addr4), "%s: not the pin", a);
		if (in->rule && host.family == AF_INET6 && in->rule->has_addr6)
			FUZZ_CHECK(prefix_addr_equal(&host, &in->rule->addr6), "%s: not the pin", a);
		FUZZ_CHECK(!in->pol || !policy_pinned_by(in->pol, &host) ||
			   policy_pinned_by(in->pol, &host) == in->rule,
			   "%s: pinned to another identity", a);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!prefix_addr_equal(&out->addr[j], &host), "%s: twice", a);
		for (size_t j = 0; j < h->n_addr; j++) {
			if (h->addr[j].family != host.family)
				continue;
			asked_family = true;
			asked |= prefix_addr_equal(&h->addr[j], &host);
		}
		FUZZ_CHECK(!asked_family || asked, "%s: not the address asked for", a);
	}
	for (size_t i = 0; i < out->n_prefix; i++) {
		const struct prefix *p = &out->prefix[i];
		struct prefix m = *p;
		bool announced = false;

		prefix_str(p, true, a, sizeof(a));
		prefix_mask(&m);
		FUZZ_CHECK(!memcmp(m.addr, p->addr, sizeof(m.addr)), "%s: host bits", a);
		FUZZ_CHECK(in->pol && policy_allows_prefix(in->rule, p), "%s: not allowed", a);
		for (size_t j = 0; j < h->n_prefix; j++)
			announced |= h->prefix[j].family == p->family &&
				     h->prefix[j].plen == p->plen &&
				     prefix_addr_equal(&h->prefix[j], p);
		FUZZ_CHECK(announced, "%s: not announced", a);
		for (size_t s = 0; s < in->n_srv; s++)
			FUZZ_CHECK(!overlaps(&in->srv[s], p), "%s: overlaps the tunnel", a);
		FUZZ_CHECK(!taken_by_other(in, p), "%s: another peer's", a);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!overlaps(&out->prefix[j], p), "%s: overlaps another", a);
	}
}

static void admit(const struct hello_msg *h, const struct variant *v)
{
	struct admit_in in = {
		.identity = v->identity,
		.name = v->name,
		.h = h,
		.srv = srv,
		.n_srv = sizeof(srv) / sizeof(srv[0]),
		.aips = aips,
		.n_aips = sizeof(aips) / sizeof(aips[0]),
		.replace = &v->replace,
		.n_replace = v->replace ? 1 : 0,
		.pool4 = v->with_pools ? &pool4 : NULL,
		.pool6 = v->with_pools ? &pool6 : NULL,
		.pol = v->with_policy ? pol : NULL,
	};
	struct admit_out out;

	/* server_client.c: policy_check() */
	if (in.pol) {
		in.rule = policy_find(in.pol, v->identity);
		if (!in.rule || in.rule->deny)
			return;
	}
	memset(&out, 0x5a, sizeof(out));
	if (admit_decide(&in, &out) < 0) {
		FUZZ_CHECK(out.why[0] && memchr(out.why, '\0', sizeof(out.why)),
			   "refused without a reason");
		return;
	}
	check_admitted(&in, &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hello_msg h;
	uint8_t type, *payload;
	char err[256];
	size_t len;

	/* a HELLO frame is at most 8 + LTUN_WIRE_MAX_CTRL; keep a tail */
	if (size > 2 * (8 + LTUN_WIRE_MAX_CTRL))
		return -1;
	if (wire_recv(data, size, &type, &payload, &len, err, sizeof(err)) < 0)
		return 0;
	if (type != LTUN_WIRE_HELLO)
		goto out;
	err[0] = '\0';
	if (hello_parse(payload, len, &h, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0], "refused without a reason");
		goto out;
	}
	check_hello(&h);
	if (h.version != LTUN_WIRE_VERSION || h.has_token)
		goto out;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (h.has_renew)
			renew(&h, variants[i].identity);
		else
			admit(&h, &variants[i]);
	}
out:
	wire_done();
	return 0;
}
