// SPDX-License-Identifier: GPL-2.0
/*
 * ktls_stream: a bulk TCP stream with kernel TLS and no tunnel, the ceiling
 * of the crypto path for `make bench`.
 *
 *   ktls_stream recv [-c CIPHER] [-l BYTES] [-t SECONDS] [-O WARM -w WINDOW] PORT
 *   ktls_stream send [-c CIPHER] [-l BYTES] [-P STREAMS] [-t SECONDS] [-g FILE] HOST PORT
 *
 * recv listens on PORT (any address), handles every connection in a child
 * process (kTLS RX on, read until EOF) and runs until killed (or for
 * SECONDS, if given). send opens STREAMS connections (one process each),
 * turns kTLS TX on and writes 64 KiB chunks (-l: BYTES) for SECONDS
 * (default 10), then prints the bytes written and the rate. The receiver
 * reads -l BYTES at a time too. -l 131072 is what iperf3 uses for TCP by
 * default: the hub rows of the benchmark set it so that they load the
 * tunnel as the iperf3 rows they are compared with do (the size of each
 * read decides how often the receiver opens its window, so how many ACKs
 * come back). Both ends print one line per connection:
 *   ktls_stream: send|recv BYTES bytes in SECS s = MBIT Mbit/s
 *
 * With -w, each receiving connection also reports the data it read in a
 * window of WINDOW seconds that opens WARM seconds after its first byte:
 *   ktls_stream: window BYTES bytes in SECS s = MBIT Mbit/s
 * (the benchmark's number: measured by the receiver itself, so a starved
 * control script cannot skew it; the sender must run past the window).
 *
 * With -g, each sending connection connects, prints
 *   ktls_stream: connected
 * and waits until FILE exists before it writes (and its SECONDS start).
 * The hub rows start many senders this way so that every connection is
 * set up while the machine is idle: TCP sizes its GSO packets partly by
 * the lowest RTT it has ever seen on the connection (tcp_tso_rtt_log), so
 * a connection opened while others already saturate the VM would send
 * small packets for the rest of its life, which a single peer never does.
 *
 * CIPHER: aes128gcm (default), aes256gcm, chacha20, none (plain TCP, for
 * comparison with iperf3). There is no handshake: both ends use fixed
 * keys, the same for every connection (nonces repeat across connections:
 * this is a benchmark, never use it to protect anything). Each direction
 * has its own key, as after a TLS 1.3 handshake; the records are TLS 1.3
 * application data, so the kernel does exactly what it does for ltun.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/tls.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define CHUNK_DEFAULT	(64 * 1024)
#define CHUNK_MAX	(1024 * 1024)

static size_t chunk = CHUNK_DEFAULT;	/* -l: bytes per read() or write() */
static char buf[CHUNK_MAX];		/* one per process: each stream forks */

enum cipher { C_NONE, C_AES128, C_AES256, C_CHACHA };

union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

static void die(const char *what)
{
	fprintf(stderr, "ktls_stream: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ktls_stream recv [-c CIPHER] [-l BYTES] [-p] [-t SECONDS] [-O WARM -w WINDOW] PORT\n"
		"       ktls_stream send [-c CIPHER] [-l BYTES] [-P STREAMS] [-t SECONDS] [-g FILE] HOST PORT\n"
		"CIPHER: aes128gcm (default), aes256gcm, chacha20, none\n"
		"BYTES: per read or write, 1024..1048576 (default 65536)\n");
	exit(2);
}

static enum cipher parse_cipher(const char *s)
{
	if (!strcmp(s, "aes128gcm"))
		return C_AES128;
	if (!strcmp(s, "aes256gcm"))
		return C_AES256;
	if (!strcmp(s, "chacha20"))
		return C_CHACHA;
	if (!strcmp(s, "none"))
		return C_NONE;
	usage();
	return C_NONE;
}

static long parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		usage();
	return v;
}

/* Fixed key material, different per direction (dir 0: send -> recv). */
static void fill_key(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

static socklen_t crypto_info_init(union crypto_info *ci, enum cipher c)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	switch (c) {
	case C_AES128:
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		fill_key(ci->aes128.key, sizeof(ci->aes128.key), 0x11);
		fill_key(ci->aes128.salt, sizeof(ci->aes128.salt), 0x22);
		fill_key(ci->aes128.iv, sizeof(ci->aes128.iv), 0x33);
		return sizeof(ci->aes128);
	case C_AES256:
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		fill_key(ci->aes256.key, sizeof(ci->aes256.key), 0x11);
		fill_key(ci->aes256.salt, sizeof(ci->aes256.salt), 0x22);
		fill_key(ci->aes256.iv, sizeof(ci->aes256.iv), 0x33);
		return sizeof(ci->aes256);
	case C_CHACHA:
		ci->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		fill_key(ci->chacha.key, sizeof(ci->chacha.key), 0x11);
		fill_key(ci->chacha.iv, sizeof(ci->chacha.iv), 0x33);
		return sizeof(ci->chacha);
	case C_NONE:
		break;
	}
	return 0;
}

/* kTLS in one direction (TLS_TX or TLS_RX) on a connected socket. */
static void ktls_on(int fd, int optname, enum cipher c)
{
	union crypto_info ci;
	socklen_t len;

	if (c == C_NONE)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		die("setsockopt TCP_ULP tls (is the tls module loaded?)");
	len = crypto_info_init(&ci, c);
	if (setsockopt(fd, SOL_TLS, optname, &ci, len))
		die(optname == TLS_TX ? "setsockopt TLS_TX" : "setsockopt TLS_RX");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *dir, uint64_t bytes, double secs)
{
	printf("ktls_stream: %s %llu bytes in %.3f s = %.1f Mbit/s\n", dir,
	       (unsigned long long)bytes, secs,
	       secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0.0);
	fflush(stdout);
}

static double win_warm, win_len;	/* -O and -w of recv */
static bool rx_padding;			/* -p of recv */

/*
 * As ltun's kernel does on its sockets (kmod/sock.c): the sender never pads
 * TLS 1.3 records, so kTLS may decrypt straight into our buffer. -p keeps
 * kTLS's default, which decrypts into a buffer of its own and copies.
 */
static void ktls_expect_no_pad(int fd, enum cipher c)
{
	unsigned int one = 1;

	if (c == C_NONE || rx_padding)
		return;
	if (setsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one)))
		die("setsockopt TLS_RX_EXPECT_NO_PAD");
}

/* One accepted connection: read (decrypting) until EOF. */
static int recv_conn(int fd, enum cipher c)
{
	uint64_t total = 0, w0 = 0;
	double t0 = 0, tw0 = 0, t;
	int wstate = win_len > 0 ? 0 : 2;	/* 0 before, 1 in, 2 done */
	ssize_t n;

	ktls_on(fd, TLS_RX, c);
	ktls_expect_no_pad(fd, c);
	for (;;) {
		n = read(fd, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!total)
			t0 = now();
		total += (uint64_t)n;
		if (wstate == 2)
			continue;
		t = now();
		if (wstate == 0 && t >= t0 + win_warm) {
			tw0 = t;
			w0 = total;
			wstate = 1;
		} else if (wstate == 1 && t >= tw0 + win_len) {
			report("window", total - w0, t - tw0);
			wstate = 2;
		}
	}
	if (n < 0)
		die("read");
	report("recv", total, total ? now() - t0 : 0);
	return 0;
}

static void reap(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int do_recv(const char *port, enum cipher c)
{
	struct addrinfo hints = { .ai_family = AF_INET6,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct sigaction sa = { .sa_handler = reap, .sa_flags = SA_RESTART };
	struct addrinfo *ai;
	int one = 1, zero = 0, lfd, fd;

	if (getaddrinfo(NULL, port, &hints, &ai)) {
		fprintf(stderr, "ktls_stream: bad port %s\n", port);
		return 2;
	}
	/* One dual-stack socket takes both IPv4 and IPv6 connections. */
	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 64))
		die("listen");
	freeaddrinfo(ai);
	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		switch (fork()) {
		case -1:
			die("fork");
			break;
		case 0:
			close(lfd);
			/* killing the receiver ends its connections too */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* the parent's alarm does not carry over: bound the child */
			alarm(3600);
			exit(recv_conn(fd, c));
		default:
			close(fd);
		}
	}
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai, *p;
	int fd = -1, tries;

	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "ktls_stream: cannot resolve %s\n", host);
		exit(2);
	}
	/* the receiver may still be starting: retry for ~5 s */
	for (tries = 0; tries < 50 && fd < 0; tries++) {
		for (p = ai; p; p = p->ai_next) {
			fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				die("socket");
			if (!connect(fd, p->ai_addr, p->ai_addrlen))
				break;
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			usleep(100 * 1000);
	}
	freeaddrinfo(ai);
	if (fd < 0)
		die("connect");
	return fd;
}

static const char *go_file;	/* -g of send */

/*
 * Block until go_file exists. inotify on its directory, not polling: many
 * senders wait at once, and wakeups of theirs would load the machine while
 * the others are still connecting.
 */
static void wait_go(void)
{
	char dir[4096], ev[4096];
	struct stat st;
	char *slash;
	int fd;

	if (snprintf(dir, sizeof(dir), "%s", go_file) >= (int)sizeof(dir)) {
		fprintf(stderr, "ktls_stream: -g path too long\n");
		exit(2);
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0)
		die("inotify_init1");
	if (inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0)
		die("inotify_add_watch");
	/* watch first, then look: a file made in between is not missed */
	while (stat(go_file, &st)) {
		if (errno != ENOENT)
			die("stat");
		if (read(fd, ev, sizeof(ev)) < 0 && errno != EINTR)
			die("read inotify");
	}
	close(fd);
}

/* One stream: write for secs seconds, then close. */
static int send_conn(const char *host, const char *port, enum cipher c,
		     double secs)
{
	uint64_t total = 0;
	double t0, end;
	int fd = connect_to(host, port);

	ktls_on(fd, TLS_TX, c);
	memset(buf, 0x5a, chunk);
	if (go_file) {
		printf("ktls_stream: connected\n");
		fflush(stdout);
		wait_go();
	}
	t0 = now();
	end = t0 + secs;
	while (now() < end) {
		ssize_t n = write(fd, buf, chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		total += (uint64_t)n;
	}
	report("send", total, now() - t0);
	close(fd);
	return 0;
}

static int do_send(const char *host, const char *port, enum cipher c,
		   int streams, double secs)
{
	int i, status, ret = 0;

	for (i = 0; i < streams; i++) {
		switch (fork()) {
		case -1:
			die("fork");
			break;
		case 0:
			/* killing the sender (bench.sh stops it early) ends every stream */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				exit(1);
			exit(send_conn(host, port, c, secs));
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	return ret;
}

int main(int argc, char **argv)
{
	enum cipher c = C_AES128;
	long secs = -1, streams = 1;
	bool recv_mode;
	int opt;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "recv"))
		recv_mode = true;
	else if (!strcmp(argv[1], "send"))
		recv_mode = false;
	else
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "c:l:pP:t:O:w:g:")) != -1) {
		switch (opt) {
		case 'c':
			c = parse_cipher(optarg);
			break;
		case 'l':
			chunk = (size_t)parse_long(optarg, 1024, CHUNK_MAX);
			break;
		case 'p':
			rx_padding = true;
			break;
		case 'P':
			streams = parse_long(optarg, 1, 64);
			break;
		case 't':
			secs = parse_long(optarg, 1, 3600);
			break;
		case 'O':
			win_warm = (double)parse_long(optarg, 0, 3600);
			break;
		case 'w':
			win_len = (double)parse_long(optarg, 1, 3600);
			break;
		case 'g':
			go_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != (recv_mode ? 1 : 2) || (recv_mode && go_file) ||
	    (!recv_mode && rx_padding))
		usage();
	signal(SIGPIPE, SIG_IGN);
	/* a script's background job may inherit SIGTERM ignored: stop works */
	signal(SIGTERM, SIG_DFL);
	if (recv_mode) {
		/* -t bounds the receiver's lifetime (it is normally killed) */
		if (secs > 0)
			alarm((unsigned int)secs);
		return do_recv(argv[optind], c);
	}
	if (secs < 0)
		secs = 10;
	/*
	 * a sender stuck on a dead receiver ends a minute after its time
	 * (with -g, ten minutes for the start signal on top)
	 */
	alarm((unsigned int)secs + 60 + (go_file ? 600 : 0));
	return do_send(argv[optind], argv[optind + 1], c, (int)streams, secs);
}
