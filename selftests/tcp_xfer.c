// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_xfer: move an exact, verifiable byte stream over TCP.
 *
 *   tcp_xfer recv [-6] PORT BYTES SEED [--marker STR] [--timeout S]
 *   tcp_xfer send HOST PORT BYTES SEED [--marker STR] [--timeout S]
 *
 * The stream is xorshift64 output from SEED (or STR repeated, for capture
 * tests that look for a known pattern on the wire). The receiver accepts one
 * connection, compares every byte, prints a checksum and exits 0 only if it
 * got exactly BYTES bytes, all correct: short, long and corrupt streams fail.
 * The sender retries connecting for a while so scripts need no sleeps.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct stream {
	const char *marker;	/* NULL: PRNG */
	size_t mlen;
	uint64_t state;		/* xorshift state */
	uint64_t pos;		/* bytes produced */
	uint8_t word[8];	/* current PRNG word, little-endian */
};

static void stream_init(struct stream *s, uint64_t seed, const char *marker)
{
	memset(s, 0, sizeof(*s));
	/* xorshift needs a non-zero state */
	s->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
	s->marker = marker;
	s->mlen = marker ? strlen(marker) : 0;
}

static uint64_t xorshift(struct stream *s)
{
	uint64_t x = s->state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->state = x;
	return x;
}

static void put_le64(uint8_t *p, uint64_t x)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

/*
 * Next n bytes of the stream. Word-at-a-time on the aligned part: the
 * VM runs under TCG, where a per-byte loop alone caps a transfer at a few
 * MB/s and would make the tunnel look slow.
 */
static void fill(struct stream *s, uint8_t *buf, size_t n)
{
	size_t i;

	if (s->marker) {
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)s->marker[(s->pos + i) % s->mlen];
		s->pos += n;
		return;
	}
	/* finish the current word */
	while (n && s->pos % 8) {
		*buf++ = s->word[s->pos++ % 8];
		n--;
	}
	for (; n >= 8; n -= 8, buf += 8, s->pos += 8)
		put_le64(buf, xorshift(s));
	if (n) {
		put_le64(s->word, xorshift(s));
		for (i = 0; i < n; i++)
			buf[i] = s->word[i];
		s->pos += n;
	}
}

/* FNV-1a over 64-bit little-endian words, independent of read sizes. */
struct csum {
	uint64_t h;
	uint8_t pend[8];
	size_t npend;
};

static void csum_word(struct csum *c, const uint8_t *p)
{
	uint64_t w = 0;
	int i;

	for (i = 7; i >= 0; i--)
		w = w << 8 | p[i];
	c->h = (c->h ^ w) * 1099511628211ULL;
}

static void csum_update(struct csum *c, const uint8_t *p, size_t n)
{
	while (n && c->npend) {
		c->pend[c->npend++] = *p++;
		n--;
		if (c->npend == 8) {
			csum_word(c, c->pend);
			c->npend = 0;
		}
	}
	for (; n >= 8; n -= 8, p += 8)
		csum_word(c, p);
	while (n--)
		c->pend[c->npend++] = *p++;
}

static uint64_t csum_final(struct csum *c)
{
	size_t i;

	for (i = 0; i < c->npend; i++)
		c->h = (c->h ^ c->pend[i]) * 1099511628211ULL;
	c->npend = 0;
	return c->h;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tcp_xfer recv [-6] PORT BYTES SEED [--marker STR] [--timeout S]\n"
		"       tcp_xfer send HOST PORT BYTES SEED [--marker STR] [--timeout S]\n");
	exit(2);
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		usage();
	return v;
}

static int do_recv(bool v6, const char *port, uint64_t bytes,
		   struct stream *s)
{
	struct addrinfo hints = { .ai_family = v6 ? AF_INET6 : AF_INET,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *ai;
	uint8_t buf[65536], want[65536];
	uint64_t got = 0, bad = 0, first_bad = 0;
	struct csum cs = { .h = 1469598103934665603ULL };
	int one = 1, lfd, fd;
	ssize_t n, i;

	if (getaddrinfo(NULL, port, &hints, &ai)) {
		fprintf(stderr, "tcp_xfer: bad port %s\n", port);
		return 1;
	}
	lfd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 1)) {
		perror("tcp_xfer: listen");
		return 1;
	}
	freeaddrinfo(ai);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("tcp_xfer: accept");
		return 1;
	}
	close(lfd);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		/* bytes beyond BYTES are counted, not compared: any is a failure */
		ssize_t cmp = got >= bytes ? 0 :
			      (ssize_t)(bytes - got < (uint64_t)n ? bytes - got : (uint64_t)n);

		fill(s, want, cmp);
		if (memcmp(buf, want, cmp)) {
			for (i = 0; i < cmp; i++)
				if (buf[i] != want[i] && !bad++)
					first_bad = got + i;
		}
		csum_update(&cs, buf, cmp);
		got += n;
	}
	if (n < 0) {
		perror("tcp_xfer: read");
		return 1;
	}
	close(fd);
	printf("tcp_xfer: received %llu of %llu bytes, %llu corrupt, checksum %016llx\n",
	       (unsigned long long)got, (unsigned long long)bytes,
	       (unsigned long long)bad, (unsigned long long)csum_final(&cs));
	if (bad)
		printf("tcp_xfer: first corrupt byte at offset %llu\n",
		       (unsigned long long)first_bad);
	return got == bytes && !bad ? 0 : 1;
}

static int connect_retry(const char *host, const char *port, int timeout)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai, *p;
	time_t end = time(NULL) + timeout;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "tcp_xfer: cannot resolve %s\n", host);
		return -1;
	}
	do {
		for (p = ai; p; p = p->ai_next) {
			fd = socket(p->ai_family, SOCK_STREAM, 0);
			if (fd < 0)
				continue;
			if (!connect(fd, p->ai_addr, p->ai_addrlen)) {
				freeaddrinfo(ai);
				return fd;
			}
			close(fd);
		}
		usleep(100 * 1000);
	} while (time(NULL) < end);
	freeaddrinfo(ai);
	perror("tcp_xfer: connect");
	return -1;
}

static int do_send(const char *host, const char *port, uint64_t bytes,
		   struct stream *s, int timeout)
{
	uint8_t buf[65536];
	uint64_t sent = 0;
	int fd = connect_retry(host, port, timeout);

	if (fd < 0)
		return 1;
	while (sent < bytes) {
		size_t chunk = bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf);
		size_t off = 0;

		fill(s, buf, chunk);
		while (off < chunk) {
			ssize_t n = write(fd, buf + off, chunk - off);

			if (n < 0) {
				perror("tcp_xfer: write");
				return 1;
			}
			off += n;
		}
		sent += chunk;
	}
	/* Half-close, then wait for the receiver's close so every byte was
	 * read before we report success. */
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	printf("tcp_xfer: sent %llu bytes\n", (unsigned long long)sent);
	return 0;
}

int main(int argc, char **argv)
{
	const char *marker = NULL, *pos[5];
	int npos = 0, timeout = 120, i;
	bool v6 = false, recv_mode;
	struct stream s;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "recv"))
		recv_mode = true;
	else if (!strcmp(argv[1], "send"))
		recv_mode = false;
	else
		usage();
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-6") && recv_mode)
			v6 = true;
		else if (!strcmp(argv[i], "--marker") && i + 1 < argc)
			marker = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = (int)parse_u64(argv[++i]);
		else if (npos < 4)
			pos[npos++] = argv[i];
		else
			usage();
	}
	if (npos != (recv_mode ? 3 : 4) || (marker && !*marker) || timeout < 1)
		usage();
	/* Nothing may hang a test run forever. */
	alarm(timeout);
	if (recv_mode) {
		stream_init(&s, parse_u64(pos[2]), marker);
		return do_recv(v6, pos[0], parse_u64(pos[1]), &s);
	}
	stream_init(&s, parse_u64(pos[3]), marker);
	return do_send(pos[0], pos[1], parse_u64(pos[2]), &s, timeout);
}
