// SPDX-License-Identifier: GPL-2.0
/*
 * "peer add ... persist": keep the session with the server up.
 *
 * One thread, one ppoll loop over the "peers" multicast group, with
 * SIGINT/SIGTERM unblocked only inside ppoll (no lost wakeups). The
 * session is declared lost when the kernel removes our peer (PEER_DEL_NTF
 * for our id, whatever the reason) or when the periodic PEER_GET no longer
 * finds it (a missed notification). Then we reconnect with exponential
 * backoff: 1 s doubling to 60 s, +-25% jitter so a fleet that lost its
 * server together does not return in lockstep; a session that lasted over
 * 60 s resets the delay.
 *
 * Renewal (make-before-break, PEER_SET with a fresh connection) runs every
 * "renew" seconds and as soon as the connection's TLS record count
 * reaches LTUN_RECORDS_RENEW. A failed renewal leaves the current
 * connection alone and is retried at the next check.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "client.h"
#include "ops.h"
#include "util.h"

#define CHECK_MS	10000
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000
#define STABLE_MS	60000

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One log line: wall clock time, then the event. With -j, standard output
 * carries only the JSON of each session that comes up, so the log lines
 * go to standard error.
 */
static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logline(const char *fmt, ...)
{
	FILE *f = json_output ? stderr : stdout;
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "%s ", stamp);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

/* d +- 25%, from a seeded PRNG (quality does not matter, spread does). */
static int64_t jitter(int64_t d)
{
	return d * 3 / 4 + (int64_t)(random() % (unsigned long)(d / 2 + 1));
}

static void seed_random(void)
{
	unsigned int seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	srandom(seed);
}

struct persist {
	struct client *c;
	struct nl ev;			/* joined to "peers"; ev.sk NULL if not */
	int64_t session_start;		/* ms, of the current session */
	int64_t next_check, next_renew, next_attempt;
	int64_t delay;			/* backoff for the next loss/failure */
	bool renew_unsupported;		/* logged once */
};

static void schedule_reconnect(struct persist *p, int64_t now)
{
	int64_t d = jitter(p->delay);

	p->next_attempt = now + d;
	p->delay = p->delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->delay * 2;
	logline("reconnecting in %.1f s", (double)d / 1000);
}

static void session_lost(struct persist *p, const char *why)
{
	int64_t now = now_ms();

	logline("peer %u down: %s", p->c->s.id, why);
	p->c->s.id = 0;
	if (now - p->session_start > STABLE_MS)
		p->delay = BACKOFF_MIN_MS;
	schedule_reconnect(p, now);
}

static void session_up(struct persist *p)
{
	int64_t now = now_ms();

	p->session_start = now;
	p->next_check = now + CHECK_MS;
	p->next_renew = now + (int64_t)p->c->o.renew_s * 1000;
}

static void try_reconnect(struct persist *p)
{
	char err[512];

	if (client_connect(p->c, err, sizeof(err)) < 0) {
		logline("reconnect failed: %s", err);
		schedule_reconnect(p, now_ms());
		return;
	}
	session_up(p);
	client_print_up(p->c);
}

static void renew(struct persist *p, const char *why)
{
	char err[512];

	if (!p->c->s.has_token) {
		if (!p->renew_unsupported)
			logline("cannot renew (%s): the server gave no renewal token", why);
		p->renew_unsupported = true;
		p->next_renew = now_ms() + (int64_t)p->c->o.renew_s * 1000;
		return;
	}
	if (client_renew(p->c, err, sizeof(err)) < 0) {
		logline("peer %u: renewal (%s) failed: %s; keeping the current connection",
			p->c->s.id, why, err);
		/* next check: the health check runs every CHECK_MS anyway */
		p->next_renew = now_ms() + CHECK_MS;
		return;
	}
	logline("peer %u renewed (%s): remote %s, %s", p->c->s.id, why, p->c->s.remote,
		p->c->s.cipher);
	p->next_renew = now_ms() + (int64_t)p->c->o.renew_s * 1000;
}

struct check_ctx {
	bool found;
	struct peer_info pi;
};

static int check_cb(const struct peer_info *pi, void *data)
{
	struct check_ctx *ctx = data;

	ctx->found = true;
	ctx->pi = *pi;
	return 0;
}

/* Is our peer still there, and does its connection need renewing? */
static void health_check(struct persist *p)
{
	struct check_ctx *ctx = calloc(1, sizeof(*ctx));
	char err[NL_ERRLEN];
	int ret;

	p->next_check = now_ms() + CHECK_MS;
	if (!ctx)
		return;
	ret = ops_peer_get(&p->c->nl, p->c->o.dev, p->c->s.id, check_cb, ctx, err, sizeof(err));
	if (ret == -ENOENT || ret == -ENODEV || (ret == 0 && !ctx->found)) {
		session_lost(p, ret == -ENODEV ? "device gone" : "peer no longer in the kernel");
	} else if (ret < 0) {
		logline("peer %u: health check: %s%s%s", p->c->s.id, err, err[0] ? ": " : "",
			strerror(-ret));
	} else if (ctx->pi.has_records && ctx->pi.records >= LTUN_RECORDS_RENEW) {
		char why[64];

		snprintf(why, sizeof(why), "%" PRIu64 " TLS records", ctx->pi.records);
		renew(p, why);
	}
	free(ctx);
}

/* Notifications: only the removal of our own peer matters here. */
static void read_events(struct persist *p)
{
	ssize_t n = recv(mnl_socket_get_fd(p->ev.sk), p->ev.buf, NL_BUFSIZE, MSG_DONTWAIT);
	const struct nlmsghdr *m = (const void *)p->ev.buf;
	int len = (int)n;

	if (n < 0) {
		/* overrun: we may have missed ours, so look */
		if (errno == ENOBUFS && p->c->s.id)
			health_check(p);
		return;
	}
	for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
		const struct genlmsghdr *g = mnl_nlmsg_get_payload(m);
		struct peer_info *pi;

		if (m->nlmsg_type != p->ev.family || mnl_nlmsg_get_payload_len(m) < sizeof(*g) ||
		    g->cmd != LTUN_CMD_PEER_DEL_NTF || !p->c->s.id)
			continue;
		pi = calloc(1, sizeof(*pi));
		if (!pi)
			return;
		ops_parse_peer(m, pi);
		if (pi->id == p->c->s.id && (!pi->ifindex || pi->ifindex == p->c->ifindex))
			session_lost(p, ops_del_reason_name(pi->del_reason));
		free(pi);
	}
}

static void signal_ready(void)
{
	char ok = '1';

	if (client_ready_fd < 0)
		return;
	if (write(client_ready_fd, &ok, 1) != 1)
		logline("warning: could not tell 'up' that the tunnel is up");
	close(client_ready_fd);
	client_ready_fd = -1;
}

int persist_run(struct client *c)
{
	struct persist *p = calloc(1, sizeof(*p));
	struct sigaction sa = { 0 };
	sigset_t block, orig;
	char err[NL_ERRLEN];
	int ret;

	if (!p)
		return 1;
	p->c = c;
	p->delay = BACKOFF_MIN_MS;
	seed_random();
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = nl_open(&p->ev, err, sizeof(err));
	if (ret == 0)
		ret = nl_join_peers(&p->ev);
	if (ret < 0) {
		logline("warning: no peer notifications (%s); checking every %d s instead",
			err[0] ? err : strerror(-ret), CHECK_MS / 1000);
		nl_close(&p->ev);
	}
	session_up(p);
	logline("persisting: peer %u, renewal every %" PRIu32 " s", c->s.id, c->o.renew_s);
	signal_ready();

	while (!got_term) {
		int64_t now = now_ms(), wake;
		struct pollfd pfd = { .fd = -1, .events = POLLIN };
		struct timespec ts;

		/*
		 * A notification may have been queued before the health check
		 * saw the peer gone: ids are never reused, so a stale one for
		 * an old id is simply ignored.
		 */
		if (!c->s.id && now >= p->next_attempt) {
			try_reconnect(p);
			continue;
		}
		if (c->s.id && now >= p->next_check) {
			health_check(p);
			continue;
		}
		if (c->s.id && now >= p->next_renew) {
			renew(p, "interval");
			continue;
		}
		wake = c->s.id ? (p->next_check < p->next_renew ? p->next_check : p->next_renew)
			       : p->next_attempt;
		if (p->ev.sk)
			pfd.fd = mnl_socket_get_fd(p->ev.sk);
		ts.tv_sec = (wake - now) / 1000;
		ts.tv_nsec = (wake - now) % 1000 * 1000000;
		if (ppoll(&pfd, 1, &ts, &orig) < 0) {
			if (errno != EINTR) {
				logline("poll: %s", strerror(errno));
				break;
			}
			continue;
		}
		if (pfd.revents)
			read_events(p);
	}
	if (c->s.id)
		logline("peer %u: deleting it and exiting", c->s.id);
	client_teardown(c);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	nl_close(&p->ev);
	free(p);
	return got_term ? 0 : 1;
}
