// SPDX-License-Identifier: GPL-2.0
/*
 * "ltunctl server": accept clients, run each handshake in a forked child
 * (so a slow or hostile client only ever blocks itself), validate its
 * HELLO against the device's subnets and existing peers, and hand the
 * socket to the kernel. The parent only accepts, reaps and logs "peer
 * down" notifications from the "peers" multicast group.
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
#include <unistd.h>

#include <linux/genetlink.h>

#include "addr.h"
#include "cmds.h"
#include "hello.h"
#include "nl.h"
#include "ops.h"
#include "rtnl.h"
#include "tls.h"
#include "util.h"

#define CMD "server"
#define MAX_HANDSHAKES 64
/*
 * Hard cap on a child's life. The client-facing waits are bounded
 * separately at 10 s each (TLS handshake, HELLO read); this backstop
 * also covers local work that can be slow the first time, like the
 * kernel loading crypto modules during the kTLS setsockopt.
 */
#define CHILD_DEADLINE_S 30
#define MAX_USED_AIPS 4096

struct srv_opts {
	const char *dev, *listen, *cert, *key, *ca;
};

struct srv {
	struct srv_opts o;
	bool no_kernel;
	unsigned int ifindex;
	struct tls_creds *creds;
	int lfd;
	struct nl nl;		/* parent: multicast "peers" only */
	pid_t kids[MAX_HANDSHAKES];
	unsigned int n_kids;
};

/*
 * Children decide and add peers one at a time under this lock: the checks
 * (free address, room under max-peers) and PEER_NEW must not interleave
 * between two concurrent handshakes. Robust, because a child may be killed
 * by its timeout while holding it.
 */
static pthread_mutex_t *decide_lock;

static volatile sig_atomic_t got_term, got_chld;
static char alarm_msg[160];

void usage_server(FILE *f)
{
	fprintf(f, "  ltunctl server DEV listen ADDR:PORT cert FILE key FILE [ca FILE]\n");
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

static void on_alarm(int sig)
{
	ssize_t r;

	(void)sig;
	r = write(STDOUT_FILENO, alarm_msg, strlen(alarm_msg));
	(void)r;
	_exit(1);
}

static int parse_opts(int argc, char **argv, struct srv_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (parse_dev(CMD, argc, argv, &o->dev))
		return EXIT_USAGE;
	{
		static const char *const kw[] = { "listen", "cert", "key", "ca" };
		const char **const slot[] = { &o->listen, &o->cert, &o->key, &o->ca };
		int err = parse_keywords(CMD, argc - 1, argv + 1, kw, slot,
					 sizeof(kw) / sizeof(kw[0]));

		if (err)
			return err;
	}
	if (!o->listen)
		return usage_error(CMD, "missing 'listen ADDR:PORT'");
	if (!o->cert || !o->key)
		return usage_error(CMD, "missing '%s FILE'", o->cert ? "key" : "cert");
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
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
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

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void lock_decide(void)
{
	if (pthread_mutex_lock(decide_lock) == EOWNERDEAD)
		pthread_mutex_consistent(decide_lock);
}

static void unlock_decide(void)
{
	pthread_mutex_unlock(decide_lock);
}

/* What the kernel already routes: every allowed ip of every peer. */
struct used {
	struct prefix *p;
	size_t n;
};

static int collect_used(const struct peer_info *pi, void *data)
{
	struct used *u = data;

	for (size_t i = 0; i < pi->n_aip && u->n < MAX_USED_AIPS; i++)
		u->p[u->n++] = pi->aip[i];
	return 0;
}

static int collect_dev(const struct dev_info *di, void *data)
{
	*(struct dev_info *)data = *di;
	return 0;
}

static void append(char *buf, size_t len, const char *fmt, const char *a)
{
	size_t off = strlen(buf);

	snprintf(buf + off, len - off, "%s", off ? "; " : "");
	off = strlen(buf);
	snprintf(buf + off, len - off, fmt, a);
}

/*
 * Decide which announced client addresses to accept: inside one of the
 * server's subnets, not a server address (nor the v4 network/broadcast
 * address), not covered by another peer's allowed ips. Accepted ones get
 * the prefix length of the server subnet they fall in. Returns how many
 * were accepted; why collects the reasons for the others.
 */
static size_t validate(const struct hello_msg *h, const struct prefix *srv, size_t n_srv,
		       const struct used *used, struct prefix *acc, char *why, size_t whylen)
{
	size_t n_acc = 0;
	char a[ADDR_STRLEN];

	why[0] = '\0';
	for (size_t i = 0; i < h->n_addr; i++) {
		struct prefix host = h->addr[i], bcast;
		const struct prefix *net = NULL;
		bool bad = false;

		host.plen = (uint8_t)prefix_max_len(host.family);
		prefix_str(&host, false, a, sizeof(a));
		for (size_t s = 0; s < n_srv && !net; s++)
			if (prefix_contains(&srv[s], &host))
				net = &srv[s];
		if (!net) {
			append(why, whylen, "%s is not in a server subnet", a);
			continue;
		}
		for (size_t s = 0; s < n_srv; s++)
			bad |= prefix_addr_equal(&srv[s], &host);
		if (bad) {
			append(why, whylen, "%s is the server's address", a);
			continue;
		}
		if (host.family == AF_INET && net->plen < 31) {
			struct prefix netaddr = *net;

			prefix_mask(&netaddr);
			bcast = netaddr;
			for (unsigned int b = net->plen; b < 32; b++)
				bcast.addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			if (prefix_addr_equal(&host, &netaddr) || prefix_addr_equal(&host, &bcast)) {
				append(why, whylen, "%s is a network or broadcast address", a);
				continue;
			}
		}
		for (size_t u = 0; u < used->n && !bad; u++)
			bad = prefix_contains(&used->p[u], &host);
		if (bad) {
			append(why, whylen, "address %s in use", a);
			continue;
		}
		for (size_t j = 0; j < n_acc && !bad; j++)
			bad = prefix_addr_equal(&acc[j], &host);
		if (bad)
			continue;
		acc[n_acc] = host;
		acc[n_acc].plen = net->plen;
		n_acc++;
	}
	if (!h->n_addr)
		append(why, whylen, "%s", "no address announced");
	return n_acc;
}

static void refuse(int fd, const char *client, const char *reason)
{
	char err[256];

	printf("client %s: refused: %s\n", client, reason);
	if (hello_send_refuse(fd, reason, err, sizeof(err)) < 0)
		printf("client %s: could not send REFUSE: %s\n", client, err);
}

/*
 * Decide on a client and add it, with decide_lock held. Order: validate,
 * send WELCOME, then PEER_NEW. Not the other way round: once PEER_NEW
 * succeeds the kernel owns the socket and may at once send KEEPALIVE or
 * DATA frames (traffic routed to the new address), which could land
 * before or inside our WELCOME and break the client's parser. Before
 * PEER_NEW the kernel does not know the socket, so our blocking send of
 * the whole WELCOME completes with nothing interleaved. The refusals the
 * kernel could give (address in use, max-peers) are checked beforehand
 * under the lock, so only an outside change in between can make PEER_NEW
 * fail after WELCOME; then we close the socket and the client's peer goes
 * down (closed by peer) -- logged here as an error.
 */
static int decide_and_add(struct srv *s, int fd, const char *client, const struct hello_msg *h,
			  const char *cipher)
{
	struct prefix srv_addrs[RTNL_MAX_ADDRS], acc[HELLO_MAX_ADDRS], aip[HELLO_MAX_ADDRS];
	struct used used = { 0 };
	struct hello_msg w = { 0 };
	struct dev_info di = { 0 };
	char why[1024], err[NL_ERRLEN + 64], a[ADDR_STRLEN];
	struct nl nl = { 0 };
	size_t n_acc;
	uint32_t id = 0;
	int n_srv, ret, rc = 1;

	if (!s->no_kernel && nl_open(&nl, err, sizeof(err)) < 0) {
		printf("client %s: error: %s\n", client, err);
		refuse(fd, client, "server error");
		goto out;
	}
	n_srv = rtnl_dev_addrs(s->ifindex, srv_addrs, RTNL_MAX_ADDRS);
	if (n_srv <= 0) {
		printf("client %s: error: %s has no usable address%s%s\n", client, s->o.dev,
		       n_srv < 0 ? ": " : "", n_srv < 0 ? strerror(-n_srv) : "");
		refuse(fd, client, "server has no tunnel address");
		goto out;
	}
	if (!s->no_kernel) {
		ret = ops_dev_get(&nl, s->o.dev, collect_dev, &di, err, sizeof(err));
		if (ret == 0 && di.max_peers && di.n_peers >= di.max_peers) {
			snprintf(why, sizeof(why), "server full (max-peers %u reached)", di.max_peers);
			refuse(fd, client, why);
			goto out;
		}
		used.p = calloc(MAX_USED_AIPS, sizeof(*used.p));
		if (!used.p) {
			refuse(fd, client, "server error");
			goto out;
		}
		if (ret == 0)
			ret = ops_peer_get(&nl, s->o.dev, 0, collect_used, &used, err, sizeof(err));
		if (ret < 0) {
			printf("client %s: error: reading %s: %s (%s)\n", client, s->o.dev,
			       err[0] ? err : "netlink", strerror(-ret));
			refuse(fd, client, "server error");
			goto out;
		}
	}
	n_acc = validate(h, srv_addrs, (size_t)n_srv, &used, acc, why, sizeof(why));
	if (!n_acc) {
		refuse(fd, client, why);
		goto out;
	}

	w.n_addr = n_acc;
	memcpy(w.addr, acc, n_acc * sizeof(acc[0]));
	w.n_server = (size_t)n_srv < HELLO_MAX_ADDRS ? (size_t)n_srv : HELLO_MAX_ADDRS;
	memcpy(w.server, srv_addrs, w.n_server * sizeof(srv_addrs[0]));
	if (hello_send(fd, LTUN_WIRE_WELCOME, &w, err, sizeof(err)) < 0) {
		printf("client %s: error: sending WELCOME: %s\n", client, err);
		goto out;
	}
	if (s->no_kernel) {
		printf("client %s: welcome sent; not adding the peer (%s is set)\n",
		       client, ENV_NO_KERNEL);
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < n_acc; i++) {
		aip[i] = acc[i];
		aip[i].plen = (uint8_t)prefix_max_len(acc[i].family);
	}
	/* The kernel is about to drive the socket: drop our timeouts. */
	set_timeouts(fd, 0);
	ret = ops_peer_new(&nl, s->o.dev, fd, aip, n_acc, &id, err, sizeof(err));
	if (ret < 0) {
		const char *m = ret == -EADDRINUSE && !err[0] ? "address in use" : err;

		printf("client %s: error: adding peer after WELCOME failed: %s%s(%s)\n", client,
		       m, m[0] ? " " : "", strerror(-ret));
		goto out;
	}
	printf("peer %u up: client %s, address", id, client);
	for (size_t i = 0; i < n_acc; i++)
		printf("%s %s", i ? "," : "", prefix_str(&acc[i], true, a, sizeof(a)));
	printf(", %s%s%s\n", cipher, why[0] ? "; ignored: " : "", why);
	rc = 0;
out:
	free(used.p);
	nl_close(&nl);
	return rc;
}

/* A child's whole life: one client, then _exit. */
static void handle_client(struct srv *s, int fd, const char *client)
{
	static uint8_t payload[LTUN_WIRE_MAX_CTRL];
	struct hello_msg h;
	char err[256], cipher[32];
	uint8_t type;
	size_t len;
	int rc = 1;

	snprintf(alarm_msg, sizeof(alarm_msg),
		 "client %s: handshake failed: not done within %d s\n", client, CHILD_DEADLINE_S);
	signal(SIGALRM, on_alarm);
	alarm(CHILD_DEADLINE_S);
	set_timeouts(fd, TLS_HANDSHAKE_TIMEOUT_MS / 1000);

	if (tls_handshake_ktls(fd, s->creds, true, NULL, cipher, sizeof(cipher),
			       err, sizeof(err)) < 0) {
		printf("client %s: handshake failed: %s\n", client, err);
		goto out;
	}
	if (frame_recv(fd, &type, payload, &len, err, sizeof(err)) < 0) {
		printf("client %s: handshake failed: waiting for HELLO: %s\n", client, err);
		goto out;
	}
	if (type != LTUN_WIRE_HELLO) {
		printf("client %s: handshake failed: expected HELLO, got frame type %u\n",
		       client, type);
		goto out;
	}
	if (hello_parse(payload, len, &h, err, sizeof(err)) < 0) {
		refuse(fd, client, err);
		goto out;
	}
	if (h.version != LTUN_WIRE_VERSION) {
		snprintf(err, sizeof(err), "protocol version %u not supported (server speaks %u)",
			 h.version, LTUN_WIRE_VERSION);
		refuse(fd, client, err);
		goto out;
	}
	lock_decide();
	rc = decide_and_add(s, fd, client, &h, cipher);
	unlock_decide();
out:
	alarm(0);
	close(fd);
	fflush(stdout);
	_exit(rc);
}

static void reap(struct srv *s)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (unsigned int i = 0; i < s->n_kids; i++) {
			if (s->kids[i] == pid) {
				s->kids[i] = s->kids[--s->n_kids];
				break;
			}
		}
	}
}

static void accept_one(struct srv *s, const sigset_t *child_mask)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char client[ADDR_STRLEN];
	pid_t pid;
	int fd;

	fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			printf("accept: %s\n", strerror(errno));
		return;
	}
	sockaddr_str((struct sockaddr *)&ss, sl, client, sizeof(client));
	printf("client %s connected\n", client);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("client %s: error: fork: %s\n", client, strerror(errno));
		close(fd);
		return;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, child_mask, NULL);
		close(s->lfd);
		nl_close(&s->nl);
		handle_client(s, fd, client);
	}
	close(fd);
	s->kids[s->n_kids++] = pid;
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
	}
}

static int setup_lock(void)
{
	pthread_mutexattr_t attr;

	decide_lock = mmap(NULL, sizeof(*decide_lock), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (decide_lock == MAP_FAILED)
		return -1;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(decide_lock, &attr);
	pthread_mutexattr_destroy(&attr);
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
	/* Signals only arrive inside ppoll(): no lost wakeups. */
	sigprocmask(SIG_BLOCK, &block, &orig);
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);

	while (!got_term) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int lidx = -1, nidx = -1;

		/* At the cap, leave new clients in the listen backlog. */
		if (s->n_kids < MAX_HANDSHAKES) {
			lidx = (int)n;
			pfd[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		}
		if (s->nl.sk) {
			nidx = (int)n;
			pfd[n++] = (struct pollfd){ .fd = mnl_socket_get_fd(s->nl.sk), .events = POLLIN };
		}
		if (ppoll(pfd, n, NULL, &orig) < 0) {
			if (errno != EINTR) {
				errmsg(CMD, "poll: %s", strerror(errno));
				break;
			}
		} else {
			if (nidx >= 0 && pfd[nidx].revents)
				read_notifications(s);
			if (lidx >= 0 && pfd[lidx].revents)
				accept_one(s, &orig);
		}
		if (got_chld) {
			got_chld = 0;
			reap(s);
		}
	}
	/* Handshakes in flight are abandoned; established peers stay. */
	for (unsigned int i = 0; i < s->n_kids; i++)
		kill(s->kids[i], SIGTERM);
	while (s->n_kids) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0)
			break;
		for (unsigned int i = 0; i < s->n_kids; i++)
			if (s->kids[i] == pid)
				s->kids[i] = s->kids[--s->n_kids];
	}
	printf("exiting (peers stay up)\n");
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return 0;
}

int cmd_server(int argc, char **argv)
{
	struct srv *s;
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
	ret = parse_opts(argc, argv, &s->o);
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
	s->creds = tls_creds_load(s->o.cert, s->o.key, s->o.ca, err, sizeof(err));
	if (!s->creds) {
		errmsg(CMD, "%s", err);
		goto out;
	}
	if (setup_lock() < 0) {
		errmsg(CMD, "shared lock: %s", strerror(errno));
		goto out;
	}
	s->lfd = open_listener(s->o.listen, shown, sizeof(shown));
	if (s->lfd < 0)
		goto out;
	printf("listening on %s, dev %s%s\n", shown, s->o.dev,
	       s->o.ca ? ", client certificates required" : "");
	rc = serve(s);
out:
	if (s->lfd >= 0)
		close(s->lfd);
	tls_creds_free(s->creds);
	nl_close(&s->nl);
	if (decide_lock && decide_lock != MAP_FAILED)
		munmap(decide_lock, sizeof(*decide_lock));
	free(s);
	return rc;
}
