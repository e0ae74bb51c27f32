// SPDX-License-Identifier: GPL-2.0
/*
 * "ltunctl server": accept clients, run each handshake in a forked child
 * (so a slow or hostile client only ever blocks itself; see
 * server_client.c for what a child decides), and hand the socket to the
 * kernel. The parent only accepts (enforcing the handshake limits),
 * reaps, logs "peer down" notifications from the "peers" multicast group
 * (cleaning up after such peers in a short-lived child) and re-reads the
 * policy file and the TLS files on SIGHUP.
 */
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "addr.h"
#include "cmds.h"
#include "hello.h"
#include "nl.h"
#include "ops.h"
#include "pool.h"
#include "rtnl.h"
#include "server.h"
#include "tls.h"
#include "util.h"

#define CMD "server"

/* Shared with the children (MAP_SHARED). */
struct srv_shm {
	pthread_mutex_t decide_lock;
	unsigned int log_window;	/* CLOCK_MONOTONIC s the window began */
	unsigned int log_used;		/* lines logged in it */
	unsigned int log_dropped;	/* lines not logged, since the last report */
};

static struct srv_shm *shm;

static volatile sig_atomic_t got_term, got_chld, got_hup;

void usage_server(FILE *f)
{
	fprintf(f,
		"  ltunctl server DEV listen ADDR:PORT cert FILE key FILE [ca FILE [crl FILE]]\n"
		"          [pool CIDR] [pool6 CIDR] [push-route CIDR]... [policy FILE]\n"
		"          [auth-hook CMD] [max-peers N] [isolate on|off]\n"
		"          [keepalive MS] [timeout MS] [handshake-timeout S]\n"
		"          [max-handshakes N] [max-handshakes-per-source N] [cipher LIST]\n"
		"    LIST: aes-128-gcm,aes-256-gcm,chacha20-poly1305 (default), a subset;\n"
		"          a client offering none of them is refused\n");
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void on_chld(int sig)
{
	(void)sig;
	got_chld = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static int parse_pool(const char *kw, const char *v, int family, struct prefix *p)
{
	const char *why;

	if (pool_parse_prefix(v, family, true, p, &why) < 0)
		return usage_error(CMD, "%s '%s': %s", kw, v, why);
	if (!pool_plen_ok(p))
		return usage_error(CMD, "%s '%s': too small (at most /%u)", kw, v,
				   prefix_max_len(family) - 2);
	return 0;
}

/*
 * "push-route CIDR" may repeat: take those out first, then every other
 * keyword at most once through parse_keywords.
 */
static int parse_opts(int argc, char **argv, struct srv_opts *o, char **rest)
{
	const char *pool4 = NULL, *pool6 = NULL, *maxp = NULL, *iso = NULL;
	const char *ka = NULL, *to = NULL, *hto = NULL, *maxh = NULL, *maxs = NULL;
	const char *cipher = NULL;
	char why[160];
	int n = 0, err;
	uint32_t v;

	memset(o, 0, sizeof(*o));
	o->max_peers = o->isolate = -1;
	o->handshake_timeout_s = SRV_HANDSHAKE_TIMEOUT_S;
	o->max_handshakes = SRV_MAX_HANDSHAKES;
	o->max_per_source = SRV_MAX_PER_SOURCE;
	if (parse_dev(CMD, argc, argv, &o->dev))
		return EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "push-route") && i % 2 == 1) {
			const char *why;

			if (i + 1 >= argc)
				return usage_error(CMD, "missing value for 'push-route'");
			if (o->n_route >= HELLO_MAX_ROUTES)
				return usage_error(CMD, "more than %d push-route", HELLO_MAX_ROUTES);
			if (pool_parse_prefix(argv[i + 1], AF_UNSPEC, true, &o->route[o->n_route],
					      &why) < 0)
				return usage_error(CMD, "push-route '%s': %s", argv[i + 1], why);
			o->n_route++;
			i++;
			continue;
		}
		rest[n++] = argv[i];
	}
	{
		static const char *const kw[] = {
			"listen", "cert", "key", "ca", "pool", "pool6", "policy", "auth-hook",
			"max-peers", "isolate", "keepalive", "timeout", "crl",
			"handshake-timeout", "max-handshakes", "max-handshakes-per-source",
			"cipher",
		};
		const char **const slot[] = {
			&o->listen, &o->cert, &o->key, &o->ca, &pool4, &pool6, &o->policy_file,
			&o->auth_hook, &maxp, &iso, &ka, &to, &o->crl,
			&hto, &maxh, &maxs, &cipher,
		};

		err = parse_keywords(CMD, n, rest, kw, slot, sizeof(kw) / sizeof(kw[0]));
		if (err)
			return err;
	}
	if (!o->listen)
		return usage_error(CMD, "missing 'listen ADDR:PORT'");
	if (!o->cert || !o->key)
		return usage_error(CMD, "missing '%s FILE'", o->cert ? "key" : "cert");
	if (o->crl && !o->ca)
		return usage_error(CMD, "'crl' needs 'ca' (client certificates)");
	if (cipher) {
		if (tls_ciphers_parse(cipher, &o->ciphers, why, sizeof(why)) < 0)
			return usage_error(CMD, "cipher '%s': %s", cipher, why);
		o->has_ciphers = true;
	}
	if (hto) {
		if (!parse_u32(hto, 1, SRV_HANDSHAKE_TIMEOUT_MAX_S, &v))
			return usage_error(CMD, "handshake-timeout '%s' is not in 1..%d s", hto,
					   SRV_HANDSHAKE_TIMEOUT_MAX_S);
		o->handshake_timeout_s = v;
	}
	if (maxh) {
		if (!parse_u32(maxh, 1, SRV_MAX_HANDSHAKES_MAX, &v))
			return usage_error(CMD, "max-handshakes '%s' is not in 1..%d", maxh,
					   SRV_MAX_HANDSHAKES_MAX);
		o->max_handshakes = v;
	}
	if (maxs) {
		if (!parse_u32(maxs, 0, SRV_MAX_HANDSHAKES_MAX, &v))
			return usage_error(CMD, "max-handshakes-per-source '%s' is not in 0..%d "
					   "(0: no limit)", maxs, SRV_MAX_HANDSHAKES_MAX);
		o->max_per_source = v;
	}
	if (pool4) {
		if (parse_pool("pool", pool4, AF_INET, &o->pool4))
			return EXIT_USAGE;
		o->has_pool4 = true;
	}
	if (pool6) {
		if (parse_pool("pool6", pool6, AF_INET6, &o->pool6))
			return EXIT_USAGE;
		o->has_pool6 = true;
	}
	if (maxp) {
		if (!parse_u32(maxp, 1, 65535, &v))
			return usage_error(CMD, "max-peers '%s' is not in 1..65535", maxp);
		o->max_peers = (int)v;
	}
	if (iso) {
		if (!strcmp(iso, "on"))
			o->isolate = 1;
		else if (!strcmp(iso, "off"))
			o->isolate = 0;
		else
			return usage_error(CMD, "isolate '%s' is not on or off", iso);
	}
	if (ka && !parse_u32(ka, 0, LTUN_KEEPALIVE_MAX_MS, &o->keepalive_ms))
		return usage_error(CMD, "keepalive '%s' is not in %d..%d ms (0: default)", ka,
				   LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS);
	if (o->keepalive_ms && o->keepalive_ms < LTUN_KEEPALIVE_MIN_MS)
		return usage_error(CMD, "keepalive '%s' is not in %d..%d ms (0: default)", ka,
				   LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS);
	if (to && !parse_u32(to, 0, UINT32_MAX, &o->timeout_ms))
		return usage_error(CMD, "timeout '%s' is not a number of ms", to);
	if (o->timeout_ms && o->timeout_ms <= (o->keepalive_ms ? o->keepalive_ms
							       : LTUN_KEEPALIVE_DEFAULT_MS))
		return usage_error(CMD, "timeout %u ms must be longer than the keepalive interval",
				   o->timeout_ms);
	if (o->keepalive_ms && !o->timeout_ms && o->keepalive_ms >= LTUN_TIMEOUT_DEFAULT_MS)
		return usage_error(CMD, "keepalive %u ms needs a longer 'timeout' than the "
				   "default %d ms", o->keepalive_ms, LTUN_TIMEOUT_DEFAULT_MS);
	return 0;
}

static int open_listener(const char *arg, char *shown, size_t shownlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res;
	char buf[256];
	const char *host, *port, *why;
	int fd, one = 1, zero = 0, ret;

	if (split_host_port(arg, buf, sizeof(buf), &host, &port, &why) < 0) {
		usage_error(CMD, "listen '%s': %s", arg, why);
		return -1;
	}
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		errmsg(CMD, "listen address '%s': %s", host, gai_strerror(ret));
		return -1;
	}
	/* non-blocking: accept_some() takes connections until EAGAIN */
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
	if (fd < 0) {
		errmsg(CMD, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::] takes IPv4 clients too, whatever net.ipv6.bindv6only says */
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	sockaddr_str(res->ai_addr, res->ai_addrlen, shown, shownlen);
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		errmsg(CMD, "listen on %s: %s", shown, strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	freeaddrinfo(res);
	return fd;
}

void srv_lock(void)
{
	if (pthread_mutex_lock(&shm->decide_lock) == EOWNERDEAD)
		pthread_mutex_consistent(&shm->decide_lock);
}

void srv_unlock(void)
{
	pthread_mutex_unlock(&shm->decide_lock);
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

bool srv_log_ok(void)
{
	unsigned int now = (unsigned int)now_s();
	unsigned int w = __atomic_load_n(&shm->log_window, __ATOMIC_RELAXED);

	/* a lost race only lets a few lines more or less through */
	if (now - w >= SRV_LOG_WINDOW_S &&
	    __atomic_compare_exchange_n(&shm->log_window, &w, now, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		__atomic_store_n(&shm->log_used, 0, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&shm->log_used, 1, __ATOMIC_RELAXED) < SRV_LOG_BURST)
		return true;
	__atomic_fetch_add(&shm->log_dropped, 1, __ATOMIC_RELAXED);
	return false;
}

static void reap(struct srv *s)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (unsigned int i = 0; i < s->n_kids; i++) {
			if (s->kids[i].pid == pid) {
				if (s->kids[i].handshake)
					s->n_handshakes--;
				s->kids[i] = s->kids[--s->n_kids];
				break;
			}
		}
	}
}

/* In a forked child: default signals, the original mask, none of the
 * parent's sockets. */
static void srv_child_init(struct srv *s)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &s->child_mask, NULL);
	close(s->lfd);
	nl_close(&s->nl);
}

/* The source a connection is counted against: an IPv4 address (also
 * when mapped into IPv6) or an IPv6 /64, what one host can easily own. */
static void src_of(const struct sockaddr_storage *ss, struct srv_src *src)
{
	memset(src, 0, sizeof(*src));
	if (ss->ss_family == AF_INET) {
		src->family = AF_INET;
		memcpy(src->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			src->family = AF_INET;
			memcpy(src->addr, a->s6_addr + 12, 4);
		} else {
			src->family = AF_INET6;
			memcpy(src->addr, a->s6_addr, 8);
		}
	}
}

static unsigned int handshakes_from(const struct srv *s, const struct srv_src *src)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->n_kids; i++)
		if (s->kids[i].handshake && s->kids[i].src.family == src->family &&
		    !memcmp(s->kids[i].src.addr, src->addr, sizeof(src->addr)))
			n++;
	return n;
}

/* Close with a RST: no FIN handshake, no TIME_WAIT kept for it. */
static void reset_conn(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/*
 * A connection over a limit: the first of its kind in a log window gets
 * a line of its own, the rest are counted for report().
 */
static void over_limit(struct srv *s, const struct sockaddr_storage *ss, socklen_t sl,
		       bool full)
{
	unsigned long *count = full ? &s->reset_full : &s->reset_source;
	char client[ADDR_STRLEN];

	if (!*count) {
		sockaddr_str((const struct sockaddr *)ss, sl, client, sizeof(client));
		if (full)
			printf("client %s: reset: %u handshakes in progress (max-handshakes); "
			       "such resets are summed up every %d s\n", client,
			       s->n_handshakes, SRV_LOG_WINDOW_S);
		else
			printf("client %s: reset: %u handshakes in progress from its address "
			       "(max-handshakes-per-source); such resets are summed up every "
			       "%d s\n", client, s->o.max_per_source, SRV_LOG_WINDOW_S);
	}
	(*count)++;
	if (!s->report_at)
		s->report_at = now_s() + SRV_LOG_WINDOW_S;
}

/* Once per log window: what was counted instead of logged. */
static void report(struct srv *s)
{
	unsigned int dropped = __atomic_exchange_n(&shm->log_dropped, 0, __ATOMIC_RELAXED);
	char line[256];
	int off = 0;

	if (!s->reset_full && !s->reset_source && !dropped) {
		s->report_at = 0;	/* quiet: the next event opens a window */
		return;
	}
	if (s->reset_full)
		off += snprintf(line + off, sizeof(line) - (size_t)off,
				", %lu reset at max-handshakes %u", s->reset_full,
				s->o.max_handshakes);
	if (s->reset_source)
		off += snprintf(line + off, sizeof(line) - (size_t)off,
				", %lu reset over max-handshakes-per-source %u", s->reset_source,
				s->o.max_per_source);
	if (dropped)
		snprintf(line + off, sizeof(line) - (size_t)off,
			 ", %u lines about handshakes not logged", dropped);
	printf("in the last %d s: %s\n", SRV_LOG_WINDOW_S, line + 2);
	s->reset_full = s->reset_source = 0;
	s->report_at = now_s() + SRV_LOG_WINDOW_S;
}

/*
 * Take every pending connection (a bounded batch per wakeup). Over a
 * limit the connection is reset at once rather than left in the listen
 * backlog: the source address is only known after accept(), and a
 * backlog left full of a flood's connections would make a legitimate
 * client's SYN be dropped and wait behind them (first in, first served,
 * each holding its slot up to handshake-timeout), while a reset tells it
 * at once and costs the server one accept() and close(). So the backlog
 * stays empty, a free slot goes to whoever connects next, and a flood
 * from one address or /64 only ever holds max-handshakes-per-source
 * slots.
 */
static void accept_some(struct srv *s)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char client[ADDR_STRLEN];
		struct srv_src src;
		pid_t pid;
		int fd;

		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			/* out of fds or memory: the listener would wake us at once */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				s->accept_paused_until = now_s() + 1;
			if (srv_log_ok())
				printf("accept: %s\n", strerror(errno));
			return;
		}
		src_of(&ss, &src);
		if (s->n_handshakes >= s->o.max_handshakes) {
			over_limit(s, &ss, sl, true);
			reset_conn(fd);
			continue;
		}
		if (s->o.max_per_source && handshakes_from(s, &src) >= s->o.max_per_source) {
			over_limit(s, &ss, sl, false);
			reset_conn(fd);
			continue;
		}
		sockaddr_str((struct sockaddr *)&ss, sl, client, sizeof(client));
		if (srv_log_ok())
			printf("client %s connected\n", client);
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			printf("client %s: error: fork: %s\n", client, strerror(errno));
			reset_conn(fd);
			return;
		}
		if (pid == 0) {
			srv_child_init(s);
			srv_handle_client(s, fd, client);
		}
		close(fd);
		s->kids[s->n_kids++] = (struct srv_kid){ .pid = pid, .handshake = true, .src = src };
		s->n_handshakes++;
	}
}

/*
 * A peer we admitted went away: remove the routes of its subnets and free
 * its session slot. That needs the admission lock, which a child may hold
 * for seconds (auth hook), so it runs in a child of its own. The unlocked
 * look at the table only decides whether there is anything to do.
 */
static void cleanup_peer(struct srv *s, uint32_t id)
{
	uint32_t iter = 0;
	pid_t pid;

	if (!s->tok || !token_session_of_peer(s->tok, s->ifindex, id, &iter))
		return;
	if (s->n_kids - s->n_handshakes >= SRV_CLEANUP_SLOTS)
		return;	/* a slot stays taken until reused; routes stay: harmless */
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		srv_child_init(s);
		srv_cleanup_peer(s, id);
	}
	s->kids[s->n_kids++] = (struct srv_kid){ .pid = pid };
}

/* cert, key, ca and crl, with the handshake time limit. */
static struct tls_creds *load_creds(const struct srv_opts *o, char *err, size_t errlen)
{
	struct tls_creds *c = tls_creds_load(o->cert, o->key, o->ca, err, errlen);

	if (c && o->crl && tls_creds_set_crl(c, o->crl, err, errlen) < 0) {
		tls_creds_free(c);
		return NULL;
	}
	if (c)
		tls_creds_set_timeout(c, o->handshake_timeout_s * 1000);
	if (c && o->has_ciphers)
		tls_creds_set_ciphers(c, &o->ciphers);
	return c;
}

/* SIGHUP: the policy file and the TLS files; a bad one keeps the old. */
static void reload(struct srv *s)
{
	char err[512];
	struct tls_creds *c;
	struct policy *p;

	if (s->o.policy_file) {
		p = policy_load(s->o.policy_file, err, sizeof(err));
		if (p) {
			policy_free(s->pol);
			s->pol = p;
			printf("policy reloaded: %zu rules\n", p->n);
		} else {
			printf("policy not reloaded, keeping the old one: %s\n", err);
		}
	}
	/* children already running keep the copy they were forked with */
	c = load_creds(&s->o, err, sizeof(err));
	if (c) {
		tls_creds_free(s->creds);
		s->creds = c;
		printf("TLS files reloaded: cert, key%s%s\n", s->o.ca ? ", ca" : "",
		       s->o.crl ? ", crl" : "");
	} else {
		printf("TLS files not reloaded, keeping the old ones: %s\n", err);
	}
}

/* "peer N down: reason" for the peers of our device. */
static void read_notifications(struct srv *s)
{
	ssize_t n = recv(mnl_socket_get_fd(s->nl.sk), s->nl.buf, NL_BUFSIZE, MSG_DONTWAIT);
	const struct nlmsghdr *m = (const void *)s->nl.buf;
	int len = (int)n;

	if (n < 0) {
		if (errno == ENOBUFS)
			printf("warning: missed peer notifications (receive buffer overrun)\n");
		return;
	}
	for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
		const struct genlmsghdr *g = mnl_nlmsg_get_payload(m);
		struct peer_info pi;

		if (m->nlmsg_type != s->nl.family ||
		    mnl_nlmsg_get_payload_len(m) < sizeof(*g) || g->cmd != LTUN_CMD_PEER_DEL_NTF)
			continue;
		ops_parse_peer(m, &pi);
		if (pi.ifindex && pi.ifindex != s->ifindex)
			continue;
		printf("peer %u down: %s\n", pi.id, ops_del_reason_name(pi.del_reason));
		cleanup_peer(s, pi.id);
	}
}

static int setup_shm(void)
{
	pthread_mutexattr_t attr;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (shm == MAP_FAILED) {
		shm = NULL;
		return -1;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&shm->decide_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	shm->log_window = (unsigned int)now_s();
	return 0;
}

static int serve(struct srv *s)
{
	struct sigaction sa = { 0 };
	sigset_t block, orig;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGHUP);
	/* Signals only arrive inside ppoll(): no lost wakeups. */
	sigprocmask(SIG_BLOCK, &block, &orig);
	s->child_mask = orig;
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);

	while (!got_term) {
		struct timespec ts = { 0 }, *tmo = NULL;
		struct pollfd pfd[2];
		time_t now = now_s(), wake = 0;
		nfds_t n = 0;
		int lidx = -1, nidx = -1;

		/* lines the children did not log open a report window too */
		if (!s->report_at && __atomic_load_n(&shm->log_dropped, __ATOMIC_RELAXED))
			s->report_at = now + SRV_LOG_WINDOW_S;
		if (s->report_at && now >= s->report_at)
			report(s);
		if (s->accept_paused_until && now >= s->accept_paused_until)
			s->accept_paused_until = 0;
		if (!s->accept_paused_until) {
			lidx = (int)n;
			pfd[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		} else {
			wake = s->accept_paused_until;
		}
		if (s->report_at && (!wake || s->report_at < wake))
			wake = s->report_at;
		if (wake) {
			ts.tv_sec = wake > now ? wake - now : 0;
			tmo = &ts;
		}
		if (s->nl.sk) {
			nidx = (int)n;
			pfd[n++] = (struct pollfd){ .fd = mnl_socket_get_fd(s->nl.sk), .events = POLLIN };
		}
		if (ppoll(pfd, n, tmo, &orig) < 0) {
			if (errno != EINTR) {
				errmsg(CMD, "poll: %s", strerror(errno));
				break;
			}
		} else {
			if (nidx >= 0 && pfd[nidx].revents)
				read_notifications(s);
			if (lidx >= 0 && pfd[lidx].revents)
				accept_some(s);
		}
		if (got_chld) {
			got_chld = 0;
			reap(s);
		}
		if (got_hup) {
			got_hup = 0;
			reload(s);
		}
	}
	/* Handshakes in flight are abandoned; established peers stay. */
	for (unsigned int i = 0; i < s->n_kids; i++)
		kill(s->kids[i].pid, SIGTERM);
	while (s->n_kids) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0)
			break;
		for (unsigned int i = 0; i < s->n_kids; i++)
			if (s->kids[i].pid == pid)
				s->kids[i] = s->kids[--s->n_kids];
	}
	printf("exiting (peers stay up)\n");
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return 0;
}

/* A pool outside DEV's subnets cannot work: say so at once, not per client. */
static void warn_pools(const struct srv *s)
{
	const struct prefix *pools[2] = {
		s->o.has_pool4 ? &s->o.pool4 : NULL, s->o.has_pool6 ? &s->o.pool6 : NULL,
	};
	struct prefix a[RTNL_MAX_ADDRS];
	int n = rtnl_dev_addrs(s->ifindex, a, RTNL_MAX_ADDRS);
	char p[ADDR_STRLEN];

	for (int i = 0; i < 2; i++) {
		bool inside = false;

		if (!pools[i])
			continue;
		for (int j = 0; j < n && !inside; j++)
			inside = prefix_contains(&a[j], pools[i]);
		if (!inside)
			printf("warning: pool %s is not inside a subnet of %s's addresses; "
			       "clients will be refused until it is\n",
			       prefix_str(pools[i], true, p, sizeof(p)), s->o.dev);
	}
}

int cmd_server(int argc, char **argv)
{
	struct srv *s;
	char **rest;
	char err[NL_ERRLEN + 64], shown[ADDR_STRLEN];
	int ret, rc = 1;

	if (argc >= 1 && is_help(argv[0])) {
		usage_server(stdout);
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	s->lfd = -1;
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	ret = rest ? parse_opts(argc, argv, &s->o, rest) : 1;
	free(rest);
	if (ret) {
		free(s);
		return ret;
	}
	s->no_kernel = getenv(ENV_NO_KERNEL) != NULL;
	/* Children write log lines to the same stdout: whole lines only. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	s->ifindex = if_nametoindex(s->o.dev);
	if (!s->ifindex) {
		errmsg(CMD, "no such device '%s'", s->o.dev);
		goto out;
	}
	if (!s->no_kernel) {
		if (nl_open_report(&s->nl, CMD) < 0)
			goto out;
		ret = nl_join_peers(&s->nl);
		if (ret < 0)
			printf("warning: cannot join multicast group \"%s\": %s; "
			       "peer down events will not be logged\n",
			       LTUN_MCGRP_PEERS, strerror(-ret));
	}
	s->kids = calloc(s->o.max_handshakes + SRV_CLEANUP_SLOTS, sizeof(*s->kids));
	if (!s->kids) {
		errmsg(CMD, "out of memory");
		goto out;
	}
	s->creds = load_creds(&s->o, err, sizeof(err));
	if (!s->creds) {
		errmsg(CMD, "%s", err);
		goto out;
	}
	if (s->o.policy_file) {
		s->pol = policy_load(s->o.policy_file, err, sizeof(err));
		if (!s->pol) {
			errmsg(CMD, "policy %s", err);
			goto out;
		}
	}
	s->tok = token_table_new(err, sizeof(err));
	if (!s->tok) {
		errmsg(CMD, "%s", err);
		goto out;
	}
	if (!s->no_kernel && (s->o.max_peers >= 0 || s->o.isolate >= 0)) {
		ret = ops_dev_set(&s->nl, s->o.dev, s->o.max_peers, s->o.isolate, err, sizeof(err));
		if (ret < 0) {
			nl_perror(CMD, ret, err);
			goto out;
		}
	}
	warn_pools(s);
	if (setup_shm() < 0) {
		errmsg(CMD, "shared memory: %s", strerror(errno));
		goto out;
	}
	s->lfd = open_listener(s->o.listen, shown, sizeof(shown));
	if (s->lfd < 0)
		goto out;
	printf("listening on %s, dev %s%s%s%s; handshakes: %u s each, at most %u at once",
	       shown, s->o.dev, s->o.ca ? ", client certificates required" : "",
	       s->o.crl ? ", CRL loaded" : "", s->pol ? ", policy loaded" : "",
	       s->o.handshake_timeout_s, s->o.max_handshakes);
	if (s->o.max_per_source && s->o.max_per_source < s->o.max_handshakes)
		printf(", %u per source", s->o.max_per_source);
	if (s->o.has_ciphers) {
		char list[64];

		printf("; ciphers %s", tls_ciphers_str(&s->o.ciphers, list, sizeof(list)));
	}
	printf("\n");
	rc = serve(s);
out:
	if (s->lfd >= 0)
		close(s->lfd);
	tls_creds_free(s->creds);
	policy_free(s->pol);
	token_table_free(s->tok);
	nl_close(&s->nl);
	if (shm)
		munmap(shm, sizeof(*shm));
	free(s->kids);
	free(s);
	return rc;
}
