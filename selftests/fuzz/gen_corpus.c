// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of every target under DIR/<target>/ (make corpus
 * runs it on selftests/fuzz/corpus). Seeds are valid inputs built the way
 * the peers build them: control payloads by hello_send() itself, renewal
 * tokens by token_mac() with the secret fuzz_server.c installs, IP packets
 * with correct length fields. A few near-misses (a bad header after good
 * frames, a truncated frame) give the fuzzer both sides of each check.
 *
 * Usage: gen-corpus DIR
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hello.h"
#include "token.h"

#define MAX_SEED (140 * 1024)

static const char *dir;
static uint8_t buf[MAX_SEED];
static size_t len;

static void put(const void *p, size_t n)
{
	if (len + n > sizeof(buf)) {
		fprintf(stderr, "gen-corpus: seed too large\n");
		exit(1);
	}
	memcpy(buf + len, p, n);
	len += n;
}

static void put8(uint8_t v)
{
	put(&v, 1);
}

static void put16(uint16_t v)
{
	v = htons(v);
	put(&v, 2);
}

static void put32(uint32_t v)
{
	v = htonl(v);
	put(&v, 4);
}

static void save(const char *target, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	len = 0;
}

static void save_text(const char *target, const char *name, const char *text)
{
	len = 0;
	put(text, strlen(text));
	save(target, name);
}

/* A frame header. */
static void hdr(uint8_t type, uint8_t flags, uint16_t reserved, uint32_t plen)
{
	put8(type);
	put8(flags);
	put16(reserved);
	put32(plen);
}

/*
 * An IPv4 header of 5 + opt_words words (the options are for the caller
 * to add), TTL 64, checksum 0.
 */
static void ip4h(unsigned int opt_words, uint16_t total, uint16_t id, uint16_t frag,
		 uint8_t proto, const char *src, const char *dst)
{
	uint8_t a[4];

	put8((uint8_t)(0x40 | (5 + opt_words)));
	put8(0);
	put16(total);
	put16(id);
	put16(frag);
	put8(64);
	put8(proto);
	put16(0);
	inet_pton(AF_INET, src, a);
	put(a, 4);
	inet_pton(AF_INET, dst, a);
	put(a, 4);
}

/* An IPv6 header (the first word given: version, class, flow), hop limit 64. */
static void ip6h(uint32_t word0, uint16_t payload, uint8_t proto, const char *src,
		 const char *dst)
{
	uint8_t a[16];

	put32(word0);
	put16(payload);
	put8(proto);
	put8(64);
	inet_pton(AF_INET6, src, a);
	put(a, 16);
	inet_pton(AF_INET6, dst, a);
	put(a, 16);
}

/* An IPv4 packet of total bytes (>= 20 + 4 * opt_words), UDP-ish payload. */
static void ipv4(uint16_t total, unsigned int opt_words, const char *src, const char *dst)
{
	ip4h(opt_words, total, 0x1234, 0x4000, 17, src, dst);
	for (unsigned int i = 0; i < opt_words; i++)
		put32(0x01010101);	/* NOPs */
	for (size_t i = 20 + 4 * opt_words; i < total; i++)
		put8((uint8_t)i);
}

static void ipv6(uint16_t payload, const char *src, const char *dst)
{
	ip6h(0x60000000, payload, 17, src, dst);
	for (size_t i = 0; i < payload; i++)
		put8((uint8_t)i);
}

/* A TCP header of doff words (options: NOPs), flags ACK|PSH. */
static void tcph(unsigned int doff)
{
	put16(40000);
	put16(5201);
	put32(1);
	put32(1);
	put8((uint8_t)(doff << 4));
	put8(0x18);
	put16(65535);
	put16(0);			/* pseudo-header sum: any value */
	put16(0);
	for (unsigned int i = 5; i < doff; i++)
		put32(0x01010101);
}

/* An IPv4 TCP packet of total bytes, headers included. */
static void tcp4(uint16_t total, unsigned int doff)
{
	ip4h(0, total, 0x1234, 0x4000, 6, "10.9.0.2", "10.9.0.1");
	tcph(doff);
	for (size_t i = 20 + 4 * doff; i < total; i++)
		put8((uint8_t)i);
}

/* An IPv6 TCP packet with payload bytes after the fixed header. */
static void tcp6(uint16_t payload, unsigned int doff)
{
	ip6h(0x60000000, payload, 6, "fd09::2", "fd09::1");
	tcph(doff);
	for (size_t i = 4 * doff; i < payload; i++)
		put8((uint8_t)i);
}

static void data4(uint16_t total)
{
	hdr(LTUN_WIRE_DATA, 0, 0, total);
	ipv4(total, 0, "10.9.0.2", "10.9.0.1");
}

static void data6(uint16_t payload)
{
	hdr(LTUN_WIRE_DATA, 0, 0, 40u + payload);
	ipv6(payload, "fd09::2", "fd09::1");
}

/* Cut mode and seed of fuzz_kframe.c. */
static void cuts(uint8_t mode, uint8_t seed)
{
	put8(mode);
	put8(seed);
}

static void gen_kernel(void)
{
	cuts(0, 0);
	data4(84);
	save("kframe", "one-ipv4");

	for (uint8_t mode = 1; mode < 4; mode++) {
		char name[32];

		cuts(mode, (uint8_t)(mode * 37));
		data4(60);
		hdr(LTUN_WIRE_KEEPALIVE, 0, 0, 0);
		data6(24);
		hdr(9, 0, 0, 3);		/* a type from a newer peer: skipped */
		put("xyz", 3);
		hdr(LTUN_WIRE_DATA, 0, 0, 32);
		ipv4(32, 2, "10.9.0.2", "224.0.0.251");
		hdr(LTUN_WIRE_DATA, 0, 0, 5);	/* not an IP packet */
		put("hello", 5);
		snprintf(name, sizeof(name), "mixed-cut%u", mode);
		save("kframe", name);
	}

	cuts(3, 1);
	for (int i = 0; i < 10; i++)
		data4(1400);
	save("kframe", "mtu-burst");

	cuts(3, 2);
	data4(65535);			/* the largest frame */
	hdr(LTUN_WIRE_KEEPALIVE, 0, 0, 0);
	save("kframe", "max-frame");

	cuts(2, 3);
	data4(40);
	hdr(LTUN_WIRE_DATA, 2, 0, 40);	/* unknown flag: the peer is dropped */
	ipv4(40, 0, "10.9.0.2", "10.9.0.1");
	save("kframe", "bad-flags");

	cuts(2, 4);
	data6(8);
	hdr(LTUN_WIRE_DATA, 0, 0, LTUN_WIRE_MAX_DATA + 1);
	save("kframe", "too-long");

	cuts(1, 5);
	hdr(LTUN_WIRE_DATA, 0, 0, 1000);	/* promises more than arrives */
	ipv4(20, 0, "10.9.0.2", "10.9.0.1");
	save("kframe", "truncated");

	/* GSO frames: super-packets of 45 and 3 segments, then a flag
	 * where none belongs and a segment size without the flag (both end
	 * the peer).
	 */
	cuts(3, 6);
	hdr(LTUN_WIRE_DATA, LTUN_WIRE_F_GSO, 1448, 65000);
	tcp4(65000, 8);
	hdr(LTUN_WIRE_DATA, LTUN_WIRE_F_GSO, 1000, 40u + 3000);
	tcp6(3000, 5);
	hdr(LTUN_WIRE_DATA, LTUN_WIRE_F_GSO, 0, 200);	/* size 0: dropped */
	tcp4(200, 5);
	save("kframe", "gso");

	cuts(2, 7);
	hdr(LTUN_WIRE_DATA, LTUN_WIRE_F_GSO, 100, 500);
	tcp4(500, 5);
	hdr(LTUN_WIRE_KEEPALIVE, LTUN_WIRE_F_GSO, 0, 0);
	save("kframe", "gso-keepalive");

	cuts(2, 8);
	hdr(LTUN_WIRE_DATA, 0, 1448, 40);
	tcp4(40, 5);
	save("kframe", "size-without-gso");

	tcp4(3000, 5);
	put16(1000);			/* read as the segment size */
	buf[2] = (uint8_t)(3002 >> 8);
	buf[3] = (uint8_t)3002;
	save("kinner", "tcp4-gso");
	tcp6(2000, 10);
	save("kinner", "tcp6-gso");

	ipv4(20, 0, "10.9.0.2", "10.9.0.1");
	save("kinner", "ipv4-min");
	ipv4(60, 3, "10.9.0.2", "10.9.0.255");
	save("kinner", "ipv4-options");
	ipv6(0, "fd09::2", "ff02::1");
	save("kinner", "ipv6-min");
	ipv6(32, "fe80::1", "fd09::1");
	save("kinner", "ipv6-udp");
}

/*
 * One packet of a kjoin input: a TCP super-packet of payload bytes in
 * segments of gso, with a NOP NOP timestamp option (doff 8), DF, a right
 * IPv4 header checksum (and the harness asked to keep it right),
 * sequence number seq, flags ACK (and PSH if psh).
 */
static void join_pkt_ex(int family, uint16_t gso, uint32_t seq, uint16_t payload,
			uint32_t tsval, uint8_t flags, uint16_t frag)
{
	uint16_t hlen = (family == 4 ? 20 : 40) + 32;
	size_t ip = len + 5;
	uint32_t sum = 0;

	put16((uint16_t)(hlen + payload));
	put16(gso);
	put8(1);			/* the harness keeps the IPv4 checksum right */
	if (family == 4) {
		ip4h(0, (uint16_t)(hlen + payload), (uint16_t)(0x1234 + seq), frag, 6,
		     "10.9.0.2", "10.9.0.1");
		for (size_t i = 0; i < 20; i += 2)
			sum += (uint32_t)(buf[ip + i] << 8 | buf[ip + i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		buf[ip + 10] = (uint8_t)(~sum >> 8);
		buf[ip + 11] = (uint8_t)~sum;
	} else {
		ip6h(0x60012345, (uint16_t)(32 + payload), 6, "fd09::2", "fd09::1");
	}
	put16(40000);
	put16(5201);
	put32(seq);
	put32(7);
	put8(8 << 4);
	put8(flags);
	put16(502);
	put16(0x1234);			/* pseudo-header sum: any value */
	put16(0);
	put32(0x0101080a);
	put32(tsval);
	put32(tsval - 900);
	for (uint16_t i = 0; i < payload; i++)
		put8((uint8_t)(seq + i));
}

static void join_pkt(int family, uint16_t gso, uint32_t seq, uint16_t payload,
		     uint32_t tsval, int psh)
{
	join_pkt_ex(family, gso, seq, payload, tsval, psh ? 0x18 : 0x10, 0x4000);
}

static void gen_join(void)
{
	uint32_t seq = 1000;

	/* A PSH piece inside a run, and a partial segment last. */
	for (int i = 0; i < 4; i++, seq += 300)
		join_pkt(4, 100, seq, 300, 5000 + (uint32_t)i, i == 2);
	join_pkt(4, 100, seq, 250, 5010, 0);
	save("kjoin", "ipv4-runs");

	seq = 0xfffffe00;		/* the sequence number wraps */
	for (int i = 0; i < 3; i++, seq += 400)
		join_pkt(6, 200, seq, 400, 0x7ffffffe + (uint32_t)i, 0);
	save("kjoin", "ipv6-wrap");

	/* Near misses: a gap, a timestamp going back, a partial segment
	 * before the next piece, a packet without a segment size.
	 */
	seq = 1;
	join_pkt(4, 100, seq, 300, 10, 0);
	join_pkt(4, 100, seq + 301, 300, 11, 0);
	join_pkt(4, 100, seq + 601, 300, 9, 0);
	join_pkt(4, 100, seq + 901, 250, 12, 0);
	join_pkt(4, 100, seq + 1151, 300, 13, 0);
	put16(60);
	put16(0);
	put8(0);
	ipv4(60, 0, "10.9.0.2", "10.9.0.1");
	join_pkt(6, 100, 5, 300, 1, 0);
	save("kjoin", "near-misses");

	/* Pairs that must not join: no DF, then first pieces with flags a
	 * receiver must see on their own segment (CWR, ECE, FIN, URG, no
	 * ACK); then a PSH first piece, which may be joined.
	 */
	join_pkt_ex(4, 100, 1, 300, 1, 0x10, 0);
	join_pkt_ex(4, 100, 301, 300, 1, 0x10, 0);
	for (unsigned int i = 0; i < 5; i++) {
		static const uint8_t first[] = { 0x90, 0x50, 0x11, 0x30, 0x00 };

		join_pkt_ex(4, 100, 1000 * i, 300, 1, first[i], 0x4000);
		join_pkt(4, 100, 1000 * i + 300, 300, 1, 0);
	}
	join_pkt(6, 100, 1, 300, 1, 1);
	join_pkt(6, 100, 301, 300, 1, 0);
	save("kjoin", "flags");

	/* Twenty small pieces: the piece limit ends the first run. */
	seq = 77;
	for (int i = 0; i < 20; i++, seq += 200)
		join_pkt(4, 100, seq, 200, 1, 0);
	save("kjoin", "many-pieces");
}

static void set(struct prefix *p, int family, const char *a, unsigned int plen)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->plen = (uint8_t)plen;
	inet_pton(family, a, p->addr);
}

/* The whole frame hello_send() writes: header and payload. */
static void frame_of(uint8_t type, const struct hello_msg *m)
{
	uint8_t out[sizeof(struct ltun_wire_hdr) + LTUN_WIRE_MAX_CTRL];
	char err[256];
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    hello_send(sv[0], type, m, err, sizeof(err)) < 0) {
		fprintf(stderr, "gen-corpus: hello_send failed\n");
		exit(1);
	}
	n = recv(sv[1], out, sizeof(out), 0);
	close(sv[0]);
	close(sv[1]);
	if (n < (ssize_t)sizeof(struct ltun_wire_hdr)) {
		fprintf(stderr, "gen-corpus: short frame\n");
		exit(1);
	}
	put(out, (size_t)n);
}

/* Just the payload (the hello target). */
static void payload_of(const struct hello_msg *m)
{
	frame_of(LTUN_WIRE_HELLO, m);
	memmove(buf, buf + sizeof(struct ltun_wire_hdr), len - sizeof(struct ltun_wire_hdr));
	len -= sizeof(struct ltun_wire_hdr);
}

/* fuzz_server.c's session 0x4c750005 of peer 2 on ifindex 7, for identity. */
static void renew_token(struct hello_msg *m, const char *identity)
{
	static struct token_table t;

	for (size_t i = 0; i < TOKEN_SECRET_LEN; i++)
		t.secret[i] = (uint8_t)(0xa0 + i);
	m->has_renew = 1;
	m->peer_id = 0x4c750005;
	if (token_mac(&t, 7, m->peer_id, identity, m->token) < 0) {
		fprintf(stderr, "gen-corpus: token_mac failed\n");
		exit(1);
	}
}

static void gen_control(void)
{
	struct hello_msg m;

	/* HELLO: a pinned address, a v6 one, an announced subnet */
	memset(&m, 0, sizeof(m));
	m.n_addr = 2;
	set(&m.addr[0], AF_INET, "10.9.0.10", 32);
	set(&m.addr[1], AF_INET6, "fd09::10", 128);
	m.n_prefix = 1;
	set(&m.prefix[0], AF_INET, "192.168.50.0", 24);
	payload_of(&m);
	save("hello", "hello-addr-prefix");
	frame_of(LTUN_WIRE_HELLO, &m);
	save("server", "hello-addr-prefix");

	/* HELLO asking nothing: the pools assign */
	memset(&m, 0, sizeof(m));
	payload_of(&m);
	save("hello", "hello-empty");
	frame_of(LTUN_WIRE_HELLO, &m);
	save("server", "hello-empty");
	/* ... and the first DATA frame already behind it */
	frame_of(LTUN_WIRE_HELLO, &m);
	data4(28);
	save("server", "hello-then-data");

	/* HELLO with several subnets, one per rule of the fuzzed policy */
	memset(&m, 0, sizeof(m));
	m.n_addr = 1;
	set(&m.addr[0], AF_INET, "10.9.0.77", 32);
	m.n_prefix = 3;
	set(&m.prefix[0], AF_INET, "10.20.0.0", 16);
	set(&m.prefix[1], AF_INET6, "fd77:1::", 32);
	set(&m.prefix[2], AF_INET, "172.16.5.0", 24);
	frame_of(LTUN_WIRE_HELLO, &m);
	save("server", "hello-subnets");

	/* RENEW: valid for alice, and one with a wrong MAC */
	memset(&m, 0, sizeof(m));
	renew_token(&m, "alice");
	payload_of(&m);
	save("hello", "hello-renew");
	frame_of(LTUN_WIRE_HELLO, &m);
	save("server", "renew-alice");
	m.token[0] ^= 1;
	frame_of(LTUN_WIRE_HELLO, &m);
	save("server", "renew-bad-mac");

	/* WELCOME as a server sends it */
	memset(&m, 0, sizeof(m));
	m.n_addr = 2;
	set(&m.addr[0], AF_INET, "10.9.0.2", 24);
	set(&m.addr[1], AF_INET6, "fd09::2", 64);
	m.n_server = 2;
	set(&m.server[0], AF_INET, "10.9.0.1", 24);
	set(&m.server[1], AF_INET6, "fd09::1", 64);
	m.n_prefix = 1;
	set(&m.prefix[0], AF_INET, "192.168.50.0", 24);
	m.n_route = 2;
	set(&m.route[0], AF_INET, "192.168.10.0", 24);
	set(&m.route[1], AF_INET6, "fd10::", 48);
	m.has_token = 1;
	m.peer_id = 0x4c750005;
	memset(m.token, 0xab, sizeof(m.token));
	payload_of(&m);
	save("hello", "welcome-full");
	frame_of(LTUN_WIRE_WELCOME, &m);
	save("client", "welcome-full");
	frame_of(LTUN_WIRE_WELCOME, &m);
	data6(16);
	save("client", "welcome-then-data");

	/* every list at its cap */
	memset(&m, 0, sizeof(m));
	m.n_addr = m.n_server = HELLO_MAX_ADDRS;
	m.n_prefix = HELLO_MAX_PREFIXES;
	m.n_route = HELLO_MAX_ROUTES;
	for (size_t i = 0; i < HELLO_MAX_ADDRS; i++) {
		set(&m.addr[i], AF_INET, "10.9.0.2", 24);
		set(&m.server[i], AF_INET6, "fd09::1", 64);
	}
	for (size_t i = 0; i < HELLO_MAX_PREFIXES; i++)
		set(&m.prefix[i], AF_INET, "192.168.0.0", 16);
	for (size_t i = 0; i < HELLO_MAX_ROUTES; i++)
		set(&m.route[i], AF_INET6, "fd10::", 48);
	payload_of(&m);
	save("hello", "welcome-caps");
	frame_of(LTUN_WIRE_WELCOME, &m);
	save("client", "welcome-caps");

	/* FEATURES: GSO offered in HELLO and granted in WELCOME */
	memset(&m, 0, sizeof(m));
	m.version = LTUN_WIRE_VERSION;
	m.has_features = 1;
	m.features = HELLO_FEAT_GSO;
	payload_of(&m);
	save("hello", "features-gso");
	frame_of(LTUN_WIRE_HELLO, &m);
	save("server", "hello-features-gso");
	m.has_token = 1;
	m.peer_id = 0x4c750005;
	memset(m.token, 0xab, sizeof(m.token));
	frame_of(LTUN_WIRE_WELCOME, &m);
	save("client", "welcome-features-gso");

	/* an unknown TLV (skipped) and another protocol version */
	put8(LTUN_WIRE_VERSION);
	put8(0);
	put16(0);
	put16(99);
	put16(3);
	put("new", 3);
	put16(HELLO_TLV_ADDR);
	put16(20);
	put8(4);
	put8(32);
	put16(0);
	put32(0x0a09000a);
	put32(0);
	put32(0);
	put32(0);
	save("hello", "unknown-tlv");
	put8(LTUN_WIRE_VERSION + 1);
	put8(0);
	put16(0);
	save("hello", "version-2");

	hdr(LTUN_WIRE_REFUSE, 0, 0, 38);
	put("renewal refused: invalid session token", 38);
	save("client", "refuse");
	hdr(LTUN_WIRE_REFUSE, 0, 0, 0);
	save("client", "refuse-empty");

	/* the largest control frames, data behind them */
	hdr(LTUN_WIRE_REFUSE, 0, 0, LTUN_WIRE_MAX_CTRL);
	for (int i = 0; i < LTUN_WIRE_MAX_CTRL; i++)
		put8((uint8_t)('a' + i % 26));
	data4(64);
	save("client", "refuse-max-then-data");
	hdr(LTUN_WIRE_HELLO, 0, 0, LTUN_WIRE_MAX_CTRL);
	put8(LTUN_WIRE_VERSION);
	put8(0);
	put16(0);
	put16(99);			/* one unknown TLV fills the frame */
	put16(LTUN_WIRE_MAX_CTRL - 8);
	for (int i = 0; i < LTUN_WIRE_MAX_CTRL - 8; i++)
		put8((uint8_t)i);
	data4(64);
	save("server", "hello-max-then-data");
}

static void gen_text(void)
{
	static const char *const cidrs[] = {
		"10.9.0.2/24", "fd09::2/64", "0.0.0.0/0", "::ffff:192.0.2.1/120",
		"[fd09::1]:4433", "vpn.example.net:4433", "1400", "lt0",
	};

	for (size_t i = 0; i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%zu", i);
		save_text("cidr", name, cidrs[i]);
	}
	save_text("policy", "rules",
		  "# identity  rules\n"
		  "alice address 10.9.0.10 address6 fd09::10 prefix 192.168.50.0/24\n"
		  "bob deny\n"
		  "carol\tprefix 10.0.0.0/8 prefix fd77::/16\r\n"
		  "* prefix 172.16.0.0/12\n");
	save_text("policy", "star-only", "*\n");
	save_text("config", "server",
		  "# ltun hub server\n"
		  "[Interface]\nName = lt0\nAddress = 10.9.0.1/24\nAddress = fd09::1/64\n"
		  "MTU = 1400\n\n"
		  "[Server]\nListen = [::]:4433\nCert = /etc/ltun/server.crt\n"
		  "Key = /etc/ltun/server.key\nCA = /etc/ltun/clients-ca.crt\n"
		  "Pool = 10.9.0.0/24\nPool6 = fd09::/64\nPushRoute = 192.168.10.0/24\n"
		  "Policy = /etc/ltun/policy\nAuthHook = /usr/local/sbin/hook --x #1\n"
		  "MaxPeers = 200\nIsolate = off\nKeepalive = 10000\nTimeout = 35000\n");
	save_text("config", "client",
		  "; ltun client\n"
		  "[interface]\nMTU = 1400\n\n"
		  "[Client]\nServer = vpn.example.org:4433\nCA = /etc/ltun/server-ca.crt\n"
		  "Cert = /etc/ltun/client.crt\nKey = /etc/ltun/client.key\n"
		  "Name = laptop\nAddress = 10.9.0.7\nPrefix = 192.168.50.0/24\n"
		  "Keepalive = 10000\nTimeout = 35000\nRenew = 3600\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-corpus DIR\n");
		return 1;
	}
	dir = argv[1];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	gen_kernel();
	gen_join();
	gen_control();
	gen_text();
	return 0;
}
