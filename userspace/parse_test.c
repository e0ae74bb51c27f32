// SPDX-License-Identifier: GPL-2.0
/*
 * parse_test: ltunctl's parsers of untrusted input, fed valid input and
 * then garbage derived from it, under AddressSanitizer and UBSan.
 *
 *   HELLO/WELCOME payloads  come from the network (the far end, before or
 *                           after authentication)
 *   policy and config files come from the operator, but a typo must give
 *                           a line-numbered error, never a crash
 *   CIDR arguments          come from the command line and config files
 *
 * Every input must be either accepted or refused with a reason; what is
 * accepted must be within the documented bounds. Deterministic (fixed
 * seed), so a failure reproduces. Run by `make -C userspace test`, which
 * `make check` calls before the VM suite.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "hello.h"
#include "pool.h"
#include "policy.h"
#include "tls.h"

#define ROUNDS 20000

static unsigned int failures;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

#define expect(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* A valid payload as ltunctl sends it: hello_send() into a socketpair. */
static size_t make_hello(uint8_t type, const struct hello_msg *m, uint8_t *out, size_t max)
{
	uint8_t buf[sizeof(struct ltun_wire_hdr) + LTUN_WIRE_MAX_CTRL];
	char err[256];
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	if (hello_send(sv[0], type, m, err, sizeof(err)) < 0) {
		fprintf(stderr, "hello_send: %s\n", err);
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	n = recv(sv[1], buf, sizeof(buf), 0);
	close(sv[0]);
	close(sv[1]);
	if (n < (ssize_t)sizeof(struct ltun_wire_hdr) ||
	    (size_t)n - sizeof(struct ltun_wire_hdr) > max)
		return 0;
	memcpy(out, buf + sizeof(struct ltun_wire_hdr), n - sizeof(struct ltun_wire_hdr));
	return n - sizeof(struct ltun_wire_hdr);
}

static void set_prefix(struct prefix *p, int family, const char *a, unsigned int plen)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->plen = plen;
	inet_pton(family, a, p->addr);
}

/* Whatever hello_parse() accepts respects the caps of struct hello_msg. */
static void check_bounds(const struct hello_msg *m)
{
	expect(m->n_addr <= HELLO_MAX_ADDRS, "n_addr %zu", m->n_addr);
	expect(m->n_server <= HELLO_MAX_ADDRS, "n_server %zu", m->n_server);
	expect(m->n_prefix <= HELLO_MAX_PREFIXES, "n_prefix %zu", m->n_prefix);
	expect(m->n_route <= HELLO_MAX_ROUTES, "n_route %zu", m->n_route);
	for (size_t i = 0; i < m->n_addr; i++)
		expect(m->addr[i].plen <= prefix_max_len(m->addr[i].family),
		       "plen %u", m->addr[i].plen);
}

static void test_hello(void)
{
	uint8_t seed[LTUN_WIRE_MAX_CTRL], buf[LTUN_WIRE_MAX_CTRL + 64];
	struct hello_msg m = { .version = LTUN_WIRE_VERSION }, got;
	size_t len, n;
	char err[256];

	m.n_addr = 2;
	set_prefix(&m.addr[0], AF_INET, "10.9.0.2", 24);
	set_prefix(&m.addr[1], AF_INET6, "fd09::2", 64);
	m.n_prefix = 1;
	set_prefix(&m.prefix[0], AF_INET, "192.168.50.0", 24);
	m.n_route = 1;
	set_prefix(&m.route[0], AF_INET6, "fd10::", 48);
	m.has_token = 1;
	m.peer_id = 7;
	memset(m.token, 0xab, sizeof(m.token));
	m.has_features = 1;
	m.features = HELLO_FEAT_GSO | 0x80000000u;
	len = make_hello(LTUN_WIRE_WELCOME, &m, seed, sizeof(seed));
	expect(len > 4, "no seed payload");
	if (len <= 4)
		return;

	/* round trip */
	expect(hello_parse(seed, len, &got, err, sizeof(err)) == 0, "seed refused: %s", err);
	expect(got.n_addr == 2 && got.n_prefix == 1 && got.n_route == 1, "seed counts");
	expect(got.has_token && got.peer_id == 7 && got.token[31] == 0xab, "seed token");
	expect(got.addr[1].family == AF_INET6 && got.addr[1].plen == 64, "seed v6 addr");
	/* unknown feature bits travel as they are: the receiver masks them */
	expect(got.has_features && got.features == (HELLO_FEAT_GSO | 0x80000000u),
	       "seed features %#x", got.features);

	for (int r = 0; r < ROUNDS; r++) {
		memcpy(buf, seed, len);
		n = len;
		switch (rnd() % 5) {
		case 0:	/* flip some bytes */
			for (int k = 1 + rnd() % 8; k--; )
				buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:	/* cut short */
			n = rnd() % len;
			break;
		case 2:	/* a TLV length from the wild */
			buf[4 + 2 + rnd() % 2] = (uint8_t)rnd();
			break;
		case 3:	/* appended junk */
			for (size_t k = rnd() % 64; k--; )
				buf[n++] = (uint8_t)rnd();
			break;
		default: /* pure noise, with a valid version byte */
			n = rnd() % sizeof(buf);
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rnd();
			if (n)
				buf[0] = LTUN_WIRE_VERSION;
			break;
		}
		/* exact-size copy so ASan sees any overread */
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, buf, n);
		err[0] = '\0';
		if (hello_parse(p, n, &got, err, sizeof(err)) == 0)
			check_bounds(&got);
		else
			expect(err[0], "refusal without a reason");
		free(p);
	}

	/* too many of one kind is refused, not truncated silently */
	memset(&m, 0, sizeof(m));
	m.version = LTUN_WIRE_VERSION;
	m.n_route = HELLO_MAX_ROUTES;
	for (size_t i = 0; i < m.n_route; i++)
		set_prefix(&m.route[i], AF_INET, "10.0.0.0", 8);
	len = make_hello(LTUN_WIRE_WELCOME, &m, seed, sizeof(seed));
	expect(len > 4 && hello_parse(seed, len, &got, err, sizeof(err)) == 0 &&
	       got.n_route == HELLO_MAX_ROUTES, "max routes round trip");
	if (len > 4 && len + 24 <= sizeof(buf)) {
		memcpy(buf, seed, len);
		memcpy(buf + len, seed + 4, 24);	/* one more ROUTE TLV */
		expect(hello_parse(buf, len + 24, &got, err, sizeof(err)) < 0,
		       "one route over the cap accepted");
	}
}

/* FEATURES: exactly 4 bytes, at most once; absent means none. */
static void test_features(void)
{
	static const uint8_t ver[4] = { LTUN_WIRE_VERSION, 0, 0, 0 };
	uint8_t buf[64];
	struct hello_msg got;
	char err[256];
	size_t n;

	/* a valid one: type 7, length 4, be32 1 */
	memcpy(buf, ver, 4);
	memcpy(buf + 4, "\x00\x07\x00\x04\x00\x00\x00\x01", 8);
	expect(hello_parse(buf, 12, &got, err, sizeof(err)) == 0 && got.has_features &&
	       got.features == HELLO_FEAT_GSO, "FEATURES not parsed: %s", err);
	/* absent */
	expect(hello_parse(buf, 4, &got, err, sizeof(err)) == 0 && !got.has_features &&
	       !got.features, "no FEATURES, yet features set");
	/* wrong lengths: 0, 2, 8 */
	for (unsigned int l = 0; l <= 8; l += 2) {
		if (l == 4)
			continue;
		memcpy(buf, ver, 4);
		buf[4] = 0;
		buf[5] = 7;
		buf[6] = 0;
		buf[7] = (uint8_t)l;
		memset(buf + 8, 0xff, l);
		n = 8 + l;
		err[0] = '\0';
		expect(hello_parse(buf, n, &got, err, sizeof(err)) < 0 &&
		       strstr(err, "bad FEATURES TLV"), "FEATURES of %u bytes: '%s'", l, err);
	}
	/* twice */
	memcpy(buf, ver, 4);
	memcpy(buf + 4, "\x00\x07\x00\x04\x00\x00\x00\x01", 8);
	memcpy(buf + 12, "\x00\x07\x00\x04\x00\x00\x00\x00", 8);
	expect(hello_parse(buf, 20, &got, err, sizeof(err)) < 0 && strstr(err, "FEATURES"),
	       "two FEATURES accepted: '%s'", err);
}

/* The "cipher" option: a preference list of the three kTLS ciphers. */
static void test_ciphers(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "aes-128-gcm", "aes-128-gcm" },
		{ "aes-256-gcm", "aes-256-gcm" },
		{ "chacha20-poly1305", "chacha20-poly1305" },
		{ TLS_CIPHERS_DEFAULT, TLS_CIPHERS_DEFAULT },
		{ "chacha20-poly1305,aes-128-gcm", "chacha20-poly1305,aes-128-gcm" },
		{ " AES-256-GCM , aes-128-gcm", "aes-256-gcm,aes-128-gcm" },
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "empty cipher list" },
		{ ",", "empty name" },
		{ "aes-128-gcm,", "empty name" },
		{ ",aes-128-gcm", "empty name" },
		{ "aes-128-gcm,,aes-256-gcm", "empty name" },
		{ " ", "empty" },
		{ "aes-128", "unknown cipher 'aes-128'" },
		{ "aes-128-gcmx", "unknown cipher" },
		{ "aes-128-ccm", "unknown cipher" },
		{ "aes-128-gcm aes-256-gcm", "unknown cipher" },
		{ "aes-128-gcm,aes-128-gcm", "given twice" },
		{ "aes-128-gcm,aes-256-gcm,chacha20-poly1305,aes-128-gcm", "given twice" },
	};
	const char alphabet[] = "aes-128gcm,chapoly0 ";
	struct tls_ciphers cs;
	char err[256], str[128], s[80];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		expect(tls_ciphers_parse(good[i].in, &cs, err, sizeof(err)) == 0 &&
		       !strcmp(tls_ciphers_str(&cs, str, sizeof(str)), good[i].out),
		       "cipher '%s': '%s' (%s)", good[i].in, str, err);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		expect(tls_ciphers_parse(bad[i].in, &cs, err, sizeof(err)) < 0 &&
		       strstr(err, bad[i].why), "cipher '%s' accepted or wrong reason '%s'",
		       bad[i].in, err);
	}
	/* garbage: accepted lists are within the table and without repeats */
	for (int r = 0; r < ROUNDS; r++) {
		size_t n = rnd() % (sizeof(s) - 1);

		for (size_t k = 0; k < n; k++)
			s[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		s[n] = '\0';
		err[0] = '\0';
		if (tls_ciphers_parse(s, &cs, err, sizeof(err)) == 0) {
			expect(cs.n >= 1 && cs.n <= TLS_CIPHERS_MAX, "'%s': %u ciphers", s, cs.n);
			for (unsigned int a = 0; a < cs.n; a++)
				for (unsigned int b = a + 1; b < cs.n; b++)
					expect(cs.idx[a] != cs.idx[b], "'%s': repeated", s);
		} else {
			expect(err[0], "'%s' refused without a reason", s);
		}
	}
}

static void test_cidr(void)
{
	static const char *const good[] = { "10.9.0.2/24", "fd09::2/64", "0.0.0.0/0",
					    "10.1.2.3", "::/0", "fe80::1/128" };
	static const char *const bad[] = { "", "/", "10.9.0.2/33", "fd09::/129",
					   "10.9.0.256/24", "10.9.0.2/-1", "10.9.0.2/24x",
					   "10.9.0.2/", "abc", "10.9.0.2/2 4", "::/01234567890" };
	const char alphabet[] = "0123456789abcdef:./x -";
	struct prefix p;
	const char *why;
	char s[48];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect(cidr_parse(good[i], false, &p, &why) == 0, "'%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		expect(cidr_parse(bad[i], false, &p, &why) < 0 && why,
		       "'%s' accepted", bad[i]);
	}
	/* pools and policy prefixes: host bits cleared, family enforced */
	expect(pool_parse_prefix("10.9.0.7/24", AF_INET, true, &p, &why) == 0 &&
	       p.addr[3] == 0 && p.plen == 24, "pool prefix not masked");
	expect(pool_parse_prefix("fd09::/64", AF_INET, true, &p, &why) < 0,
	       "IPv6 pool accepted as IPv4");
	expect(pool_parse_prefix("10.9.0.0", AF_UNSPEC, true, &p, &why) < 0,
	       "pool without a prefix length accepted");
	for (int r = 0; r < ROUNDS; r++) {
		size_t n = rnd() % (sizeof(s) - 1);

		for (size_t k = 0; k < n; k++)
			s[k] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		s[n] = '\0';
		if (cidr_parse(s, false, &p, &why) == 0)
			expect(p.plen <= prefix_max_len(p.family), "'%s': plen %u", s, p.plen);
	}
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static void write_str(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* Mutate a valid file many times: every result loads or names a reason. */
static void fuzz_file(const char *path, const char *seed,
		      int (*load)(const char *path, char *err, size_t errlen))
{
	size_t len = strlen(seed);
	char *buf = malloc(len + 256);
	char err[512];

	if (!buf)
		exit(2);
	for (int r = 0; r < ROUNDS / 10; r++) {
		size_t n = len;

		memcpy(buf, seed, len);
		for (int k = 1 + rnd() % 6; k--; ) {
			switch (rnd() % 3) {
			case 0:
				buf[rnd() % n] = (char)(rnd() % 256);
				break;
			case 1:
				n = 1 + rnd() % n;
				break;
			default:
				if (n < len + 200)
					buf[n++] = " =[]#\n\t/abc01:"[rnd() % 15];
				break;
			}
		}
		write_file(path, buf, n);
		err[0] = '\0';
		if (load(path, err, sizeof(err)) < 0)
			expect(err[0], "refusal without a reason");
	}
	free(buf);
}

static int load_policy(const char *path, char *err, size_t errlen)
{
	struct policy *p = policy_load(path, err, errlen);

	if (!p)
		return -1;
	policy_free(p);
	return 0;
}

static int load_config(const char *path, char *err, size_t errlen)
{
	struct config cfg;

	if (config_load(path, &cfg, err, errlen) < 0)
		return -1;
	config_free(&cfg);
	return 0;
}

static void test_files(const char *dir)
{
	static const char policy[] =
		"# identity  rules\n"
		"alice address 10.9.0.10 address6 fd09::10 prefix 192.168.50.0/24\n"
		"bob deny\n"
		"* \n";
	static const char config[] =
		"[Interface]\nName = lt7\nAddress = 10.9.0.1/24\nMTU = 1400\n\n"
		"[Server]\nListen = 0.0.0.0:4433\nCert = /x.pem\nKey = /x.key\n"
		"Pool = 10.9.0.0/24\nPushRoute = 192.168.10.0/24\nMaxPeers = 10\n"
		"Cipher = aes-256-gcm, chacha20-poly1305\n";
	static const char client[] =
		"[Interface]\nName = lt8\n\n"
		"[Client]\nServer = 192.0.2.1:4433\nCA = /ca.pem\nCipher = aes-128-gcm\n";
	char path[512], err[512];
	struct config cfg;

	snprintf(path, sizeof(path), "%s/policy", dir);
	write_file(path, policy, strlen(policy));
	expect(load_policy(path, err, sizeof(err)) == 0, "seed policy refused: %s", err);
	write_file(path, "alice address 10.9.0.300\n", 25);
	expect(load_policy(path, err, sizeof(err)) < 0 && strstr(err, ":1:"),
	       "bad policy line not named: '%s'", err);
	fuzz_file(path, policy, load_policy);

	snprintf(path, sizeof(path), "%s/lt7.conf", dir);
	write_file(path, config, strlen(config));
	if (config_load(path, &cfg, err, sizeof(err)) == 0)
		config_free(&cfg);
	else
		expect(0, "seed config refused: %s", err);
	/* the Cipher line becomes "cipher LIST" of the command, as written */
	if (config_load(path, &cfg, err, sizeof(err)) == 0) {
		bool found = false;

		for (int i = 0; i + 1 < cfg.argc; i++)
			if (!strcmp(cfg.argv[i], "cipher") &&
			    !strcmp(cfg.argv[i + 1], "aes-256-gcm, chacha20-poly1305"))
				found = true;
		expect(found, "Cipher not passed on to the server command");
		config_free(&cfg);
	}
	snprintf(path, sizeof(path), "%s/lt8.conf", dir);
	write_file(path, client, strlen(client));
	expect(load_config(path, err, sizeof(err)) == 0, "client config with Cipher refused: %s",
	       err);
	write_str(path, "[Interface]\nName = lt8\n[Client]\nServer = 192.0.2.1:4433\n"
		  "Cipher = aes-128-gcm,rot13\n");
	expect(load_config(path, err, sizeof(err)) < 0 && strstr(err, ":5:") &&
	       strstr(err, "unknown cipher 'rot13'"), "bad Cipher not named: '%s'", err);
	write_str(path, "[Interface]\nName = lt8\n[Client]\nServer = 192.0.2.1:4433\n"
		  "Cipher = ,\n");
	expect(load_config(path, err, sizeof(err)) < 0 && strstr(err, ":5:"),
	       "empty Cipher list not refused: '%s'", err);
	snprintf(path, sizeof(path), "%s/lt7.conf", dir);
	write_file(path, "[Interface]\nName = lt7\nPol = 1\n", 31);
	expect(load_config(path, err, sizeof(err)) < 0 && strstr(err, ":3:"),
	       "bad config line not named: '%s'", err);
	fuzz_file(path, config, load_config);
}

int main(void)
{
	char dir[] = "/tmp/ltunctl-parse-test.XXXXXX";
	char cmd[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_hello();
	test_features();
	test_ciphers();
	test_cidr();
	test_files(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	printf("parse_test: %u failure(s)\n", failures);
	return failures ? 1 : 0;
}
