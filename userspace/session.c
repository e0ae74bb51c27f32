// SPDX-License-Identifier: GPL-2.0
/*
 * One client session with a server: connect, TLS 1.3 handshake, kTLS,
 * HELLO/WELCOME, then either a new kernel peer (PEER_NEW) with the
 * granted addresses and pushed routes on the device, or a renewal of the
 * current peer (PEER_SET with the fresh socket). A new session and a
 * renewal share the dial path, so both get exactly the same TLS settings.
 *
 * Everything in WELCOME comes from the network: lists are bounded by
 * hello_parse, and what we install is checked here (families, lengths).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client.h"
#include "cmds.h"
#include "json.h"
#include "ops.h"
#include "rtnl.h"
#include "util.h"

#define WELCOME_TIMEOUT_S 30
#define MAX_AIPS (HELLO_MAX_ADDRS + HELLO_MAX_ROUTES)

int client_ready_fd = -1;

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Connect to the first address of host:port that answers. */
static int connect_remote(const struct client *c, char *peer, size_t peerlen,
			  char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *res, *ai;
	char tried[ADDR_STRLEN] = "";
	int fd = -1, ret, saved = 0;

	ret = getaddrinfo(c->host, c->port, &hints, &res);
	if (ret) {
		fail(err, errlen, "cannot resolve '%s': %s", c->host, gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		/* connect() honours SO_SNDTIMEO: no endless wait on a dead host */
		set_timeouts(fd, HELLO_TIMEOUT_S);
		sockaddr_str(ai->ai_addr, ai->ai_addrlen, tried, sizeof(tried));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			snprintf(peer, peerlen, "%s", tried);
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fail(err, errlen, "connect to %s: %s", tried[0] ? tried : c->host,
		     saved == EINPROGRESS || saved == EAGAIN ? "timed out" : strerror(saved));
	return fd;
}

/* Wait for WELCOME; REFUSE and anything else end the attempt. */
static int read_welcome(int fd, struct hello_msg *w, char *err, size_t errlen)
{
	static uint8_t payload[LTUN_WIRE_MAX_CTRL];
	char why[256];
	size_t len;
	uint8_t type;

	if (frame_recv(fd, &type, payload, &len, why, sizeof(why)) < 0) {
		fail(err, errlen, "waiting for the server's answer: %s", why);
		return -1;
	}
	if (type == LTUN_WIRE_REFUSE) {
		char text[HELLO_REFUSE_MAX + 1];

		hello_refuse_text(payload, len, text, sizeof(text));
		fail(err, errlen, "refused by server: %s", text);
		return -1;
	}
	if (type != LTUN_WIRE_WELCOME) {
		fail(err, errlen, "protocol error: expected WELCOME, got frame type %u", type);
		return -1;
	}
	if (hello_parse(payload, len, w, why, sizeof(why)) < 0) {
		fail(err, errlen, "bad WELCOME: %s", why);
		return -1;
	}
	if (w->version != LTUN_WIRE_VERSION) {
		fail(err, errlen, "server speaks protocol version %u, we speak %u",
		     w->version, LTUN_WIRE_VERSION);
		return -1;
	}
	return 0;
}

/*
 * Connect, handshake, send hello, read WELCOME into w. On success *fdp is
 * the kTLS socket with nothing after WELCOME read from it.
 */
static int dial(struct client *c, const struct hello_msg *hello, int *fdp,
		struct hello_msg *w, char *remote, size_t remotelen,
		char *cipher, size_t cipherlen, char *err, size_t errlen)
{
	char why[NL_ERRLEN + 64];
	int fd;

	*fdp = -1;
	fd = connect_remote(c, remote, remotelen, err, errlen);
	if (fd < 0)
		return -1;
	if (tls_handshake_ktls(fd, c->creds, false, c->o.sni ? c->o.sni : c->host,
			       cipher, cipherlen, why, sizeof(why)) < 0) {
		fail(err, errlen, "%s: %s", remote, why);
		goto fail;
	}
	/*
	 * The server still has kernel work to do before it answers (kTLS
	 * setup may load crypto modules the first time, netlink checks):
	 * allow it more than a network round trip.
	 */
	set_timeouts(fd, WELCOME_TIMEOUT_S);
	if (hello_send(fd, LTUN_WIRE_HELLO, hello, why, sizeof(why)) < 0) {
		/*
		 * In TLS 1.3 a server rejects a client certificate only after
		 * our side finished the handshake: a reset here usually means
		 * that, and its alert was lost with the connection.
		 */
		fail(err, errlen, "sending HELLO: %s%s", why,
		     c->o.cert ? "" : " (does the server require a client certificate?)");
		goto fail;
	}
	if (read_welcome(fd, w, err, errlen) < 0)
		goto fail;
	/* From here the kernel drives the socket: no userspace timeouts. */
	set_timeouts(fd, 0);
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

/*
 * HELLO of a new session. Addresses, in order of preference: the ones
 * given with "address"; the ones the last session got (a reconnect keeps
 * its address even where the server has no identity to tie it to); the
 * device's own (one per family, how "peer add" always worked); none, and
 * the server assigns from its pool.
 */
static int build_hello(struct client *c, struct hello_msg *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (c->o.n_addr) {
		h->n_addr = c->o.n_addr;
		memcpy(h->addr, c->o.addr, c->o.n_addr * sizeof(c->o.addr[0]));
	} else if (c->n_last_addr) {
		h->n_addr = c->n_last_addr;
		memcpy(h->addr, c->last_addr, c->n_last_addr * sizeof(c->last_addr[0]));
	} else {
		struct prefix addrs[RTNL_MAX_ADDRS];
		bool have4 = false, have6 = false;
		int n = rtnl_dev_addrs(c->ifindex, addrs, RTNL_MAX_ADDRS);

		if (n < 0) {
			fail(err, errlen, "reading addresses of %s: %s", c->o.dev, strerror(-n));
			return -1;
		}
		for (int i = 0; i < n && h->n_addr < HELLO_MAX_ADDRS; i++) {
			bool *have = addrs[i].family == AF_INET ? &have4 : &have6;

			if (*have)
				continue;
			*have = true;
			h->addr[h->n_addr++] = addrs[i];
		}
	}
	h->n_prefix = c->o.n_prefix;
	memcpy(h->prefix, c->o.prefix, c->o.n_prefix * sizeof(c->o.prefix[0]));
	return 0;
}

/*
 * FEATURES of our HELLO: GSO only if our module accepts LTUN_PEER_F_GSO
 * (else the server would send GSO frames it cannot take). Asked per
 * session, so a module replaced under a persistent client is noticed.
 */
static uint32_t local_features(struct client *c)
{
	if (c->no_kernel)
		return 0;
	return ops_kernel_gso(&c->nl) ? HELLO_FEAT_GSO : 0;
}

/* What the server granted: the WELCOME's bits that we offered. */
static bool welcome_gso(const struct hello_msg *w, uint32_t offered)
{
	return w->has_features && (w->features & offered & HELLO_FEAT_GSO);
}

static bool in_list(const struct prefix *list, size_t n, const struct prefix *p, bool plen_too)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_addr_equal(&list[i], p) && (!plen_too || list[i].plen == p->plen))
			return true;
	return false;
}

/*
 * Allowed IPs of the server peer: its subnets (each SERVER_ADDR masked)
 * and every pushed route, without duplicates. Routes of the wrong shape
 * (host bits set) are masked, never trusted as they came.
 */
static size_t server_aips(const struct hello_msg *w, struct prefix *out)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n_server + w->n_route; i++) {
		struct prefix p = i < w->n_server ? w->server[i] : w->route[i - w->n_server];

		prefix_mask(&p);
		if (!in_list(out, n, &p, true))
			out[n++] = p;
	}
	return n;
}

/*
 * A WELCOME we can act on: the server has a tunnel address (its subnets
 * become the peer's allowed IPs) and granted us at least one. What it
 * grants is not second-guessed beyond hello_parse's checks: the server is
 * authenticated, and it may push routes into the tunnel by design anyway.
 */
static int check_welcome(const struct hello_msg *w, char *err, size_t errlen)
{
	if (!w->n_server) {
		fail(err, errlen, "server announced no tunnel address");
		return -1;
	}
	if (!w->n_addr) {
		fail(err, errlen, "server granted no address");
		return -1;
	}
	return 0;
}

/*
 * Put the granted addresses on the device (with the subnet's prefix
 * length) unless it has them already, and take away the ones an earlier
 * session of ours added that this one did not grant.
 */
static int apply_addresses(struct client *c, const struct hello_msg *w, char *err, size_t errlen)
{
	struct prefix have[RTNL_MAX_ADDRS];
	char a[ADDR_STRLEN];
	int n = rtnl_dev_addrs(c->ifindex, have, RTNL_MAX_ADDRS), ret;

	if (n < 0) {
		fail(err, errlen, "reading addresses of %s: %s", c->o.dev, strerror(-n));
		return -1;
	}
	for (size_t i = 0; i < c->n_added_addr; i++) {
		if (in_list(w->addr, w->n_addr, &c->added_addr[i], false))
			continue;
		rtnl_addr_del(c->ifindex, &c->added_addr[i]);
		printf("address %s removed from %s\n",
		       prefix_str(&c->added_addr[i], true, a, sizeof(a)), c->o.dev);
		c->added_addr[i--] = c->added_addr[--c->n_added_addr];
	}
	for (size_t i = 0; i < w->n_addr; i++) {
		if (in_list(have, (size_t)n, &w->addr[i], false))
			continue;
		ret = rtnl_addr_add(c->ifindex, &w->addr[i]);
		if (ret < 0) {
			fail(err, errlen, "adding address %s to %s: %s",
			     prefix_str(&w->addr[i], true, a, sizeof(a)), c->o.dev, strerror(-ret));
			return -1;
		}
		if (!in_list(c->added_addr, c->n_added_addr, &w->addr[i], false))
			c->added_addr[c->n_added_addr++] = w->addr[i];
	}
	return 0;
}

/* ip route replace ROUTE dev DEV for each pushed route; drop stale ones. */
static int apply_routes(struct client *c, const struct hello_msg *w, char *err, size_t errlen)
{
	char a[ADDR_STRLEN];
	int ret;

	for (size_t i = 0; i < c->n_routes; i++) {
		if (in_list(w->route, w->n_route, &c->routes[i], true))
			continue;
		rtnl_route_del(c->ifindex, &c->routes[i]);
		c->routes[i--] = c->routes[--c->n_routes];
	}
	for (size_t i = 0; i < w->n_route; i++) {
		struct prefix r = w->route[i];

		prefix_mask(&r);
		ret = rtnl_route_replace(c->ifindex, &r);
		if (ret < 0) {
			fail(err, errlen, "route %s dev %s: %s%s",
			     prefix_str(&r, true, a, sizeof(a)), c->o.dev, strerror(-ret),
			     ret == -ENETDOWN ? " (ip link set DEV up)" : "");
			return -1;
		}
		if (!in_list(c->routes, c->n_routes, &r, true))
			c->routes[c->n_routes++] = r;
	}
	return 0;
}

/* Announced prefixes the server did not echo back were refused. */
static void report_prefixes(const struct client *c, const struct hello_msg *w)
{
	char a[ADDR_STRLEN];

	for (size_t i = 0; i < c->o.n_prefix; i++)
		if (!in_list(w->prefix, w->n_prefix, &c->o.prefix[i], true))
			fprintf(stderr, "ltunctl: %s: prefix %s not accepted by the server\n",
				CLIENT_CMD, prefix_str(&c->o.prefix[i], true, a, sizeof(a)));
}

static void keep_token(struct client_sess *s, const struct hello_msg *w)
{
	if (!w->has_token)
		return;
	s->has_token = true;
	s->token_id = w->peer_id;
	memcpy(s->token, w->token, HELLO_TOKEN_LEN);
}

/* How long client_connect() waits for the server's kernel to show up. */
#define FAR_KERNEL_WAIT_MS	5000
#define FAR_KERNEL_POLL_MS	20

static int frames_in_cb(const struct peer_info *pi, void *data)
{
	uint64_t *n = data;

	*n = pi->stats.v[LTUN_STATS_A_RX_KEEPALIVES] + pi->stats.v[LTUN_STATS_A_RX_PACKETS];
	return 0;
}

/*
 * The server hands its socket to its kernel only after it has sent
 * WELCOME (so that no data can come before it), which leaves a moment in
 * which our kernel has the peer and the server's has not: packets sent
 * then wait in the server's socket until its kernel takes it over, and a
 * script's first ping may time out. The server's kernel sends a keepalive
 * as soon as it has the peer; until ours has received a frame, the tunnel
 * is not up. A server whose kernel does not send one (an older module)
 * only costs the wait and a warning.
 */
static void wait_far_kernel(struct client *c, uint32_t id)
{
	char why[NL_ERRLEN];
	uint64_t n = 0;

	for (int ms = 0; ms < FAR_KERNEL_WAIT_MS; ms += FAR_KERNEL_POLL_MS) {
		if (ops_peer_get(&c->nl, c->o.dev, id, frames_in_cb, &n, why, sizeof(why)) < 0)
			return;	/* the peer is gone: the caller's next step says so */
		if (n)
			return;
		usleep(FAR_KERNEL_POLL_MS * 1000);
	}
	fprintf(stderr, "ltunctl: %s: %s: no frame from the server's kernel within %d s; "
		"continuing (an older server?)\n", CLIENT_CMD, c->o.dev, FAR_KERNEL_WAIT_MS / 1000);
}

int client_connect(struct client *c, char *err, size_t errlen)
{
	struct client_sess s = { 0 };
	struct hello_msg hello;
	struct prefix aip[MAX_AIPS];
	char why[NL_ERRLEN];
	size_t n_aip;
	int fd, ret;

	if (build_hello(c, &hello, err, errlen) < 0)
		return -1;
	hello.has_features = 1;
	hello.features = local_features(c);
	if (dial(c, &hello, &fd, &s.w, s.remote, sizeof(s.remote), s.cipher, sizeof(s.cipher),
		 err, errlen) < 0)
		return -1;
	if (check_welcome(&s.w, err, errlen) < 0)
		goto fail;
	keep_token(&s, &s.w);
	s.gso = welcome_gso(&s.w, hello.features);
	if (c->no_kernel) {
		printf("welcome received; not adding the peer (%s is set)\n", ENV_NO_KERNEL);
		c->s = s;
		close(fd);
		return 0;
	}
	/* Addresses first: once the peer exists, traffic may flow. */
	if (apply_addresses(c, &s.w, err, errlen) < 0)
		goto fail;
	n_aip = server_aips(&s.w, aip);
	ret = ops_peer_new3(&c->nl, c->o.dev, fd, aip, n_aip, c->o.server,
			    c->o.keepalive_ms, c->o.timeout_ms, s.gso ? LTUN_PEER_F_GSO : 0,
			    &s.id, why, sizeof(why));
	if (ret < 0) {
		fail(err, errlen, "adding the peer: %s%s%s", why, why[0] ? ": " : "",
		     strerror(-ret));
		goto fail;
	}
	/* After PEER_NEW the kernel holds its own reference to the socket. */
	close(fd);
	c->s = s;
	c->n_last_addr = s.w.n_addr;
	memcpy(c->last_addr, s.w.addr, s.w.n_addr * sizeof(s.w.addr[0]));
	report_prefixes(c, &s.w);
	if (apply_routes(c, &s.w, err, errlen) < 0) {
		client_teardown(c);
		return -1;
	}
	wait_far_kernel(c, s.id);
	return 0;
fail:
	close(fd);
	return -1;
}

struct renewals {
	bool known;
	uint32_t n;
};

static int renewals_cb(const struct peer_info *pi, void *data)
{
	struct renewals *r = data;

	r->known = pi->has_renewals;
	r->n = pi->renewals;
	return 0;
}

/* The kernel's count of handed-over connections of our peer. */
static struct renewals get_renewals(struct client *c)
{
	struct renewals r = { 0 };
	char why[NL_ERRLEN];

	if (ops_peer_get(&c->nl, c->o.dev, c->s.id, renewals_cb, &r, why, sizeof(why)) < 0)
		r.known = false;
	return r;
}

int client_renew(struct client *c, char *err, size_t errlen)
{
	struct peer_set set = { .fd = -1 };
	struct hello_msg hello = { 0 }, w;
	char remote[ADDR_STRLEN], cipher[32], why[NL_ERRLEN];
	struct renewals before, after;
	int fd, ret;

	if (!c->s.id) {
		fail(err, errlen, "no session to renew");
		return -1;
	}
	if (!c->s.has_token) {
		fail(err, errlen, "the server gave no renewal token");
		return -1;
	}
	hello.has_renew = 1;
	hello.peer_id = c->s.token_id;
	memcpy(hello.token, c->s.token, HELLO_TOKEN_LEN);
	hello.has_features = 1;
	hello.features = local_features(c);
	if (dial(c, &hello, &fd, &w, remote, sizeof(remote), cipher, sizeof(cipher),
		 err, errlen) < 0)
		return -1;
	set.fd = fd;
	/*
	 * The renewal negotiated afresh: set the flag to its outcome. Only a
	 * module that knows the flag gets it (a module without GSO support
	 * was offered nothing, and the result is "off" as it always was).
	 */
	set.set_flags = hello.features & HELLO_FEAT_GSO;
	set.flags = welcome_gso(&w, hello.features) ? LTUN_PEER_F_GSO : 0;
	before = get_renewals(c);
	ret = ops_peer_set(&c->nl, c->o.dev, c->s.id, &set, why, sizeof(why));
	close(fd);
	if (ret < 0) {
		fail(err, errlen, "handing over the new connection: %s%s%s", why,
		     why[0] ? ": " : "", strerror(-ret));
		return -1;
	}
	/*
	 * Trust, but verify: a module that does not know connection
	 * handover could accept PEER_SET and drop the socket, and we would
	 * believe in a renewal that never happened.
	 */
	after = get_renewals(c);
	if (!after.known || (before.known && after.n == before.n)) {
		fail(err, errlen, "the kernel did not take the new connection%s",
		     after.known ? "" : " (module without renewal support?)");
		return -1;
	}
	/* The server may rotate the token with every renewal. */
	keep_token(&c->s, &w);
	snprintf(c->s.remote, sizeof(c->s.remote), "%s", remote);
	snprintf(c->s.cipher, sizeof(c->s.cipher), "%s", cipher);
	c->s.gso = set.flags & LTUN_PEER_F_GSO;
	return 0;
}

void client_teardown(struct client *c)
{
	char err[NL_ERRLEN];

	for (size_t i = 0; i < c->n_routes; i++)
		rtnl_route_del(c->ifindex, &c->routes[i]);
	c->n_routes = 0;
	if (c->s.id && !c->no_kernel)
		ops_peer_del(&c->nl, c->o.dev, c->s.id, err, sizeof(err));
	c->s.id = 0;
}

static void json_list(const char *key, const struct prefix *p, size_t n)
{
	char a[ADDR_STRLEN];

	json_array_begin(key);
	for (size_t i = 0; i < n; i++)
		json_str(NULL, prefix_str(&p[i], true, a, sizeof(a)));
	json_array_end();
}

static void text_list(const char *what, const struct prefix *p, size_t n)
{
	char a[ADDR_STRLEN];

	if (!n)
		return;
	printf(", %s", what);
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", prefix_str(&p[i], true, a, sizeof(a)));
}

void client_print_up(const struct client *c)
{
	const struct client_sess *s = &c->s;
	struct prefix aip[MAX_AIPS];
	size_t n_aip = server_aips(&s->w, aip);

	if (json_output) {
		json_array_begin(NULL);
		json_object_begin(NULL);
		json_str("ifname", c->o.dev);
		json_u64("id", s->id);
		json_str("remote", s->remote);
		json_list("addresses", s->w.addr, s->w.n_addr);
		json_list("allowed_ips", aip, n_aip);
		json_list("routes", s->w.route, s->w.n_route);
		json_list("prefixes", s->w.prefix, s->w.n_prefix);
		json_str("cipher", s->cipher);
		json_object_end();
		json_array_end();
		json_end_document();
	} else {
		printf("peer %u up: remote %s", s->id, s->remote);
		text_list("address", s->w.addr, s->w.n_addr);
		text_list("allowed ips", aip, n_aip);
		text_list("routes", s->w.route, s->w.n_route);
		text_list("prefixes", s->w.prefix, s->w.n_prefix);
		printf(", %s\n", s->cipher);
	}
	fflush(stdout);
}
