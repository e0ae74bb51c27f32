// SPDX-License-Identifier: GPL-2.0
/*
 * One client of "ltunctl server", in its own child process: TLS
 * handshake, HELLO, then under the admission lock either a new peer
 * (policy, addresses, auth hook, WELCOME, PEER_NEW, routes) or the
 * renewal of an existing one (token, WELCOME, PEER_SET).
 *
 * Order for both: decide, send WELCOME, then hand the socket to the
 * kernel. Not the other way round: once PEER_NEW/PEER_SET succeeds the
 * kernel owns the socket and may at once send KEEPALIVE or DATA frames,
 * which could land before or inside our WELCOME and break the client's
 * parser. Everything the kernel could refuse (address in use, max-peers)
 * is checked beforehand under the lock, so only an outside change in
 * between can make the handoff fail after WELCOME; then we close the
 * socket, and the client sees its connection end.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "admit.h"
#include "authhook.h"
#include "cmds.h"
#include "ops.h"
#include "rtnl.h"
#include "server.h"

/*
 * A child's life has two phases, each with a hard deadline (SIGALRM ends
 * the child, which closes the connection): from accept to a parsed HELLO
 * (TLS handshake, kTLS setup, HELLO) handshake-timeout seconds, the
 * client's whole budget however it trickles its bytes; then the decision,
 * which waits for the admission lock and may run the auth hook, at most
 * CHILD_DEADLINE_S. GnuTLS and the socket timeouts bound each wait inside
 * the first phase by the same limit, so the alarm is the backstop.
 */
#define CHILD_DEADLINE_S 30
#define MAX_REPLACE 16

static char alarm_msg[400];
static volatile sig_atomic_t alarm_in_handshake;

static void on_alarm(int sig)
{
	ssize_t r;

	(void)sig;
	if (!alarm_in_handshake || srv_log_ok())
		r = write(STDOUT_FILENO, alarm_msg, strlen(alarm_msg));
	(void)r;
	_exit(1);
}

/* A line about a connection not past its handshake: rate-limited. */
static void hs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void hs_log(const char *fmt, ...)
{
	va_list ap;

	if (!srv_log_ok())
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Who is connecting, for log lines, the hook and the peer's name. */
struct conn {
	int fd;
	const char *who;	/* "ADDR:PORT" or "ADDR:PORT (identity)" */
	const char *remote;	/* ADDR:PORT */
	const char *identity;	/* "" without a client certificate */
	const char *name;	/* identity, else remote */
	const char *cipher;
};

static void refuse(const struct conn *c, const char *reason)
{
	char err[256];

	printf("client %s: refused: %s\n", c->who, reason);
	if (hello_send_refuse(c->fd, reason, err, sizeof(err)) < 0)
		printf("client %s: could not send REFUSE: %s\n", c->who, err);
}

/* What the kernel has now: every allowed ip with its owner, and the
 * peers carrying this client's name (to replace on reconnect). */
struct kstate {
	struct admit_aip *aip;
	size_t n_aip, cap;
	const char *name;	/* NULL: do not look for peers to replace */
	uint32_t replace[MAX_REPLACE];
	size_t n_replace;
	bool oom;
};

static int collect_peer(const struct peer_info *pi, void *data)
{
	struct kstate *k = data;

	if (k->name && pi->has_name && !strcmp(pi->name, k->name) &&
	    k->n_replace < MAX_REPLACE)
		k->replace[k->n_replace++] = pi->id;
	for (size_t i = 0; i < pi->n_aip; i++) {
		if (k->n_aip == k->cap) {
			size_t cap = k->cap ? k->cap * 2 : 256;
			struct admit_aip *n = realloc(k->aip, cap * sizeof(*n));

			if (!n) {
				k->oom = true;
				return -ENOMEM;
			}
			k->aip = n;
			k->cap = cap;
		}
		k->aip[k->n_aip].p = pi->aip[i];
		k->aip[k->n_aip].owner = pi->id;
		k->n_aip++;
	}
	return 0;
}

static int collect_dev(const struct dev_info *di, void *data)
{
	*(struct dev_info *)data = *di;
	return 0;
}

/* "a b c" of prefixes, for the hook's environment and the log. */
static void join_prefixes(const struct prefix *p, size_t n, const char *sep, char *buf,
			  size_t len)
{
	char a[ADDR_STRLEN];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int r = snprintf(buf + off, len - off, "%s%s", i ? sep : "",
				 prefix_str(&p[i], true, a, sizeof(a)));

		if (r < 0)
			break;
		off += (size_t)r;
	}
}

/* Policy verdict on the identity alone; NULL rule with 0 = no policy. */
static int policy_check(const struct srv *s, const struct conn *c,
			const struct policy_rule **rule, char *why, size_t whylen)
{
	*rule = NULL;
	if (!s->pol)
		return 0;
	*rule = policy_find(s->pol, c->identity);
	if (!*rule) {
		if (c->identity[0])
			snprintf(why, whylen, "identity %s is not allowed by the server's policy",
				 c->identity);
		else
			snprintf(why, whylen, "the server's policy needs a client certificate");
		return -1;
	}
	if ((*rule)->deny) {
		snprintf(why, whylen, "identity %s is denied by the server's policy",
			 c->identity[0] ? c->identity : "(none)");
		return -1;
	}
	return 0;
}

static int run_hook(const struct srv *s, const struct conn *c, const struct prefix *addr,
		    size_t n_addr, const struct prefix *pfx, size_t n_pfx, bool renew,
		    char *why, size_t whylen)
{
	char addrs[HELLO_MAX_ADDRS * ADDR_STRLEN], pfxs[HELLO_MAX_PREFIXES * ADDR_STRLEN];
	char res[128];
	struct authhook_req r = {
		.identity = c->identity,
		.remote = c->remote,
		.addresses = addrs,
		.prefixes = pfxs,
		.device = s->o.dev,
		.renew = renew,
	};

	if (!s->o.auth_hook)
		return 0;
	join_prefixes(addr, n_addr, " ", addrs, sizeof(addrs));
	join_prefixes(pfx, n_pfx, " ", pfxs, sizeof(pfxs));
	if (authhook_run(s->o.auth_hook, &r, res, sizeof(res)) == 0)
		return 0;
	snprintf(why, whylen, "refused by auth-hook (%s)", res);
	return -1;
}

/*
 * FEATURES of WELCOME: what the client offered and this side supports.
 * GSO needs a module that accepts LTUN_PEER_F_GSO (read from its policy,
 * see ops_kernel_gso()). Always sent, so the client knows the answer.
 */
static void welcome_features(const struct srv *s, struct nl *nl, const struct hello_msg *h,
			     struct hello_msg *w)
{
	uint32_t ours = 0;

	if (!s->no_kernel && (h->features & HELLO_FEAT_GSO) && ops_kernel_gso(nl))
		ours |= HELLO_FEAT_GSO;
	w->has_features = 1;
	w->features = h->has_features ? h->features & ours : 0;
}

/* WELCOME's common part: the server's addresses and the pushed routes. */
static void welcome_base(const struct srv *s, const struct prefix *srv_addrs, size_t n_srv,
			 struct hello_msg *w)
{
	memset(w, 0, sizeof(*w));
	w->n_server = n_srv < HELLO_MAX_ADDRS ? n_srv : HELLO_MAX_ADDRS;
	memcpy(w->server, srv_addrs, w->n_server * sizeof(srv_addrs[0]));
	w->n_route = s->o.n_route;
	memcpy(w->route, s->o.route, s->o.n_route * sizeof(s->o.route[0]));
}

static int read_kernel(struct srv *s, struct nl *nl, const struct conn *c, struct dev_info *di,
		       struct kstate *k)
{
	char err[NL_ERRLEN];
	int ret;

	ret = ops_dev_get(nl, s->o.dev, collect_dev, di, err, sizeof(err));
	if (ret == 0)
		ret = ops_peer_get(nl, s->o.dev, 0, collect_peer, k, err, sizeof(err));
	if (ret < 0) {
		printf("client %s: error: reading %s: %s (%s)\n", c->who, s->o.dev,
		       err[0] ? err : k->oom ? "out of memory" : "netlink", strerror(-ret));
		return -1;
	}
	return 0;
}

/* A new peer, lock held. Returns the child's exit status. */
static int admit(struct srv *s, const struct conn *c, const struct hello_msg *h)
{
	struct prefix srv_addrs[RTNL_MAX_ADDRS], aip[HELLO_MAX_ADDRS + HELLO_MAX_PREFIXES];
	struct kstate k = { .name = NULL };
	struct admit_out out;
	struct admit_in in = {
		.identity = c->identity,
		.name = c->name,
		.h = h,
		.pool4 = s->o.has_pool4 ? &s->o.pool4 : NULL,
		.pool6 = s->o.has_pool6 ? &s->o.pool6 : NULL,
		.pol = s->pol,
	};
	struct token_session *sess = NULL;
	struct dev_info di = { 0 };
	struct hello_msg w;
	char why[ADMIT_WHY_LEN], err[NL_ERRLEN + 64];
	char addrs[HELLO_MAX_ADDRS * ADDR_STRLEN], pfxs[HELLO_MAX_PREFIXES * ADDR_STRLEN];
	struct nl nl = { 0 };
	uint32_t id = 0;
	size_t n_aip = 0;
	int n_srv, ret, rc = 1;

	if (!s->no_kernel && nl_open(&nl, err, sizeof(err)) < 0) {
		printf("client %s: error: %s\n", c->who, err);
		refuse(c, "server error");
		goto out;
	}
	n_srv = rtnl_dev_addrs(s->ifindex, srv_addrs, RTNL_MAX_ADDRS);
	if (n_srv <= 0) {
		printf("client %s: error: %s has no usable address%s%s\n", c->who, s->o.dev,
		       n_srv < 0 ? ": " : "", n_srv < 0 ? strerror(-n_srv) : "");
		refuse(c, "server has no tunnel address");
		goto out;
	}
	in.srv = srv_addrs;
	in.n_srv = (size_t)n_srv;
	if (policy_check(s, c, &in.rule, why, sizeof(why)) < 0) {
		refuse(c, why);
		goto out;
	}
	/*
	 * The same identity connecting again (a client that lost its
	 * connection, the server not yet noticing) takes over: its old peer
	 * goes and its addresses are free for it again, whether it asks for
	 * them (a persist client does) or takes what the pool gives. Without
	 * a certificate there is no identity, and an address still held by
	 * an old peer is "in use" until the keepalive timeout removes it.
	 */
	if (c->identity[0])
		k.name = c->identity;
	if (!s->no_kernel && read_kernel(s, &nl, c, &di, &k) < 0) {
		refuse(c, "server error");
		goto out;
	}
	in.aips = k.aip;
	in.n_aips = k.n_aip;
	in.replace = k.replace;
	in.n_replace = k.n_replace;
	if (di.max_peers && di.n_peers >= di.max_peers + k.n_replace) {
		snprintf(why, sizeof(why), "server is full (max-peers %u)", di.max_peers);
		refuse(c, why);
		goto out;
	}
	if (admit_decide(&in, &out) < 0) {
		refuse(c, out.why);
		goto out;
	}
	if (run_hook(s, c, out.addr, out.n_addr, out.prefix, out.n_prefix, false,
		     why, sizeof(why)) < 0) {
		refuse(c, why);
		goto out;
	}
	for (size_t i = 0; i < k.n_replace; i++) {
		ret = ops_peer_del(&nl, s->o.dev, k.replace[i], err, sizeof(err));
		if (ret < 0 && ret != -ENOENT) {
			printf("client %s: error: removing its old peer %u: %s (%s)\n", c->who,
			       k.replace[i], err, strerror(-ret));
			refuse(c, "server error");
			goto out;
		}
		printf("peer %u replaced: %s connected again\n", k.replace[i], c->identity);
	}

	welcome_base(s, srv_addrs, (size_t)n_srv, &w);
	w.n_addr = out.n_addr;
	memcpy(w.addr, out.addr, out.n_addr * sizeof(out.addr[0]));
	w.n_prefix = out.n_prefix;
	memcpy(w.prefix, out.prefix, out.n_prefix * sizeof(out.prefix[0]));
	welcome_features(s, &nl, h, &w);
	sess = token_session_new(s->tok, s->ifindex);
	if (sess && token_mac(s->tok, s->ifindex, sess->sid, c->identity, w.token) == 0) {
		w.has_token = 1;
		w.peer_id = sess->sid;
	}
	if (hello_send(c->fd, LTUN_WIRE_WELCOME, &w, err, sizeof(err)) < 0) {
		printf("client %s: error: sending WELCOME: %s\n", c->who, err);
		goto out;
	}
	if (s->no_kernel) {
		printf("client %s: welcome sent; not adding the peer (%s is set)\n",
		       c->who, ENV_NO_KERNEL);
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < out.n_addr; i++) {
		aip[n_aip] = out.addr[i];
		aip[n_aip++].plen = (uint8_t)prefix_max_len(out.addr[i].family);
	}
	for (size_t i = 0; i < out.n_prefix; i++)
		aip[n_aip++] = out.prefix[i];
	/* The kernel is about to drive the socket: drop our timeouts. */
	set_timeouts(c->fd, 0);
	ret = ops_peer_new3(&nl, s->o.dev, c->fd, aip, n_aip, c->name, s->o.keepalive_ms,
			    s->o.timeout_ms, w.features & HELLO_FEAT_GSO ? LTUN_PEER_F_GSO : 0,
			    &id, err, sizeof(err));
	if (ret < 0) {
		const char *m = ret == -EADDRINUSE && !err[0] ? "address in use" : err;

		printf("client %s: error: adding peer after WELCOME failed: %s%s(%s)\n", c->who,
		       m, m[0] ? " " : "", strerror(-ret));
		goto out;
	}
	if (sess) {
		sess->peer_id = id;
		sess->n_prefix = (uint8_t)out.n_prefix;
		memcpy(sess->prefix, out.prefix, out.n_prefix * sizeof(out.prefix[0]));
		sess = NULL;	/* in use now */
	}
	/* Subnets behind the client: the server's own traffic goes there too. */
	for (size_t i = 0; i < out.n_prefix; i++) {
		char p[ADDR_STRLEN];

		ret = rtnl_route_replace(s->ifindex, &out.prefix[i]);
		if (ret < 0)
			printf("peer %u: warning: route %s dev %s: %s\n", id,
			       prefix_str(&out.prefix[i], true, p, sizeof(p)), s->o.dev,
			       strerror(-ret));
	}
	join_prefixes(out.addr, out.n_addr, ", ", addrs, sizeof(addrs));
	join_prefixes(out.prefix, out.n_prefix, ", ", pfxs, sizeof(pfxs));
	printf("peer %u up: client %s, address %s%s%s, %s\n", id, c->who, addrs,
	       out.n_prefix ? ", subnets " : "", pfxs, c->cipher);
	rc = 0;
out:
	if (sess)
		sess->sid = 0;
	free(k.aip);
	nl_close(&nl);
	return rc;
}

static int collect_one(const struct peer_info *pi, void *data)
{
	*(struct peer_info *)data = *pi;
	return 0;
}

/* A renewal, lock held. Returns the child's exit status. */
static int renew(struct srv *s, const struct conn *c, const struct hello_msg *h)
{
	struct prefix srv_addrs[RTNL_MAX_ADDRS];
	const struct policy_rule *rule;
	struct token_session *sess;
	struct peer_info *pi = NULL;
	struct hello_msg w;
	struct peer_set set = { .fd = c->fd };
	char why[ADMIT_WHY_LEN], err[NL_ERRLEN + 64];
	struct nl nl = { 0 };
	int n_srv, ret, rc = 1;

	if (s->no_kernel) {
		refuse(c, "renewal refused: server runs without the kernel module");
		return 1;
	}
	sess = token_session_find(s->tok, h->peer_id);
	if (!sess || sess->ifindex != s->ifindex || !sess->peer_id) {
		refuse(c, "renewal refused: unknown session (server restarted or session ended)");
		return 1;
	}
	if (!token_check(s->tok, s->ifindex, h->peer_id, c->identity, h->token)) {
		refuse(c, "renewal refused: invalid session token");
		return 1;
	}
	if (policy_check(s, c, &rule, why, sizeof(why)) < 0) {
		refuse(c, why);
		return 1;
	}
	pi = calloc(1, sizeof(*pi));
	if (!pi || nl_open(&nl, err, sizeof(err)) < 0) {
		printf("client %s: error: %s\n", c->who, pi ? err : "out of memory");
		refuse(c, "server error");
		goto out;
	}
	n_srv = rtnl_dev_addrs(s->ifindex, srv_addrs, RTNL_MAX_ADDRS);
	if (n_srv < 0)
		n_srv = 0;
	ret = ops_peer_get(&nl, s->o.dev, sess->peer_id, collect_one, pi, err, sizeof(err));
	if (ret < 0) {
		snprintf(why, sizeof(why), "renewal refused: the session's peer is gone");
		if (ret != -ENOENT)
			printf("client %s: error: reading peer %u: %s (%s)\n", c->who,
			       sess->peer_id, err, strerror(-ret));
		refuse(c, why);
		goto out;
	}
	/* The token binds the identity already; the kernel's name is the
	 * second witness that this peer is the one we admitted. */
	if (c->identity[0] && pi->has_name && strcmp(pi->name, c->identity)) {
		refuse(c, "renewal refused: the session belongs to another identity");
		goto out;
	}
	welcome_base(s, srv_addrs, (size_t)n_srv, &w);
	for (size_t i = 0; i < pi->n_aip; i++) {
		struct prefix a = pi->aip[i];
		const struct prefix *net = NULL;

		for (int j = 0; j < n_srv && !net; j++)
			if (prefix_contains(&srv_addrs[j], &a))
				net = &srv_addrs[j];
		if (net && a.plen == prefix_max_len(a.family) && w.n_addr < HELLO_MAX_ADDRS) {
			a.plen = net->plen;
			w.addr[w.n_addr++] = a;
		} else if (w.n_prefix < HELLO_MAX_PREFIXES) {
			w.prefix[w.n_prefix++] = a;
		}
	}
	if (run_hook(s, c, w.addr, w.n_addr, w.prefix, w.n_prefix, true, why, sizeof(why)) < 0) {
		refuse(c, why);
		goto out;
	}
	w.has_token = 1;
	w.peer_id = h->peer_id;
	memcpy(w.token, h->token, HELLO_TOKEN_LEN);
	/* a renewal negotiates again; a module that knows the flag gets it */
	welcome_features(s, &nl, h, &w);
	set.flags = w.features & HELLO_FEAT_GSO ? LTUN_PEER_F_GSO : 0;
	set.set_flags = set.flags || ops_kernel_gso(&nl);
	if (hello_send(c->fd, LTUN_WIRE_WELCOME, &w, err, sizeof(err)) < 0) {
		printf("client %s: error: sending WELCOME: %s\n", c->who, err);
		goto out;
	}
	set_timeouts(c->fd, 0);
	ret = ops_peer_set(&nl, s->o.dev, sess->peer_id, &set, err, sizeof(err));
	if (ret < 0) {
		printf("client %s: error: renewing peer %u after WELCOME failed: %s%s(%s)\n",
		       c->who, sess->peer_id, err, err[0] ? " " : "", strerror(-ret));
		goto out;
	}
	printf("peer %u renewed: client %s, %s\n", sess->peer_id, c->who, c->cipher);
	rc = 0;
out:
	free(pi);
	nl_close(&nl);
	return rc;
}

void srv_handle_client(struct srv *s, int fd, const char *client)
{
	static uint8_t payload[LTUN_WIRE_MAX_CTRL];
	char err[256], cipher[32], identity[POLICY_IDENT_MAX], who[ADDR_STRLEN + POLICY_IDENT_MAX + 4];
	struct conn c = { .fd = fd, .who = who, .remote = client, .identity = identity,
			  .cipher = cipher };
	struct hello_msg h;
	uint8_t type;
	size_t len;
	int rc = 1;

	snprintf(who, sizeof(who), "%s", client);
	snprintf(alarm_msg, sizeof(alarm_msg),
		 "client %s: handshake failed: timed out: TLS handshake and HELLO not done "
		 "within %u s (handshake-timeout)\n", client, s->o.handshake_timeout_s);
	alarm_in_handshake = 1;
	signal(SIGALRM, on_alarm);
	alarm(s->o.handshake_timeout_s);
	set_timeouts(fd, (int)s->o.handshake_timeout_s);

	if (tls_handshake_ktls_id(fd, s->creds, true, NULL, cipher, sizeof(cipher),
				  identity, sizeof(identity), err, sizeof(err)) < 0) {
		hs_log("client %s: handshake failed: %s\n", client, err);
		goto out;
	}
	if (identity[0])
		snprintf(who, sizeof(who), "%s (%s)", client, identity);
	c.name = identity[0] ? identity : client;
	if (frame_recv(fd, &type, payload, &len, err, sizeof(err)) < 0) {
		hs_log("client %s: handshake failed: waiting for HELLO: %s\n", who, err);
		goto out;
	}
	if (type != LTUN_WIRE_HELLO) {
		hs_log("client %s: handshake failed: expected HELLO, got frame type %u\n",
		       who, type);
		goto out;
	}
	if (hello_parse(payload, len, &h, err, sizeof(err)) < 0) {
		refuse(&c, err);
		goto out;
	}
	if (h.version != LTUN_WIRE_VERSION) {
		snprintf(err, sizeof(err), "protocol version %u not supported (server speaks %u)",
			 h.version, LTUN_WIRE_VERSION);
		refuse(&c, err);
		goto out;
	}
	if (h.has_token) {
		refuse(&c, "malformed hello: TOKEN is for WELCOME");
		goto out;
	}
	/* A fresh deadline for the decision: lock wait plus auth hook. */
	alarm(0);
	alarm_in_handshake = 0;
	snprintf(alarm_msg, sizeof(alarm_msg),
		 "client %s: error: no decision within %d s\n", who, CHILD_DEADLINE_S);
	alarm(CHILD_DEADLINE_S);
	srv_lock();
	rc = h.has_renew ? renew(s, &c, &h) : admit(s, &c, &h);
	srv_unlock();
out:
	alarm(0);
	close(fd);
	fflush(stdout);
	_exit(rc);
}

/* Does any current peer of the device have exactly this allowed ip? */
struct owned {
	const struct prefix *p;
	bool found;
};

static int find_aip(const struct peer_info *pi, void *data)
{
	struct owned *o = data;

	for (size_t i = 0; i < pi->n_aip; i++)
		if (pi->aip[i].plen == o->p->plen && prefix_addr_equal(&pi->aip[i], o->p))
			o->found = true;
	return 0;
}

void srv_cleanup_peer(struct srv *s, uint32_t peer_id)
{
	struct token_session *sess;
	char err[NL_ERRLEN], p[ADDR_STRLEN];
	uint32_t iter = 0;
	struct nl nl = { 0 };
	bool have_nl;

	alarm(CHILD_DEADLINE_S);
	srv_lock();
	have_nl = nl_open(&nl, err, sizeof(err)) == 0;
	while ((sess = token_session_of_peer(s->tok, s->ifindex, peer_id, &iter))) {
		for (size_t i = 0; i < sess->n_prefix && have_nl; i++) {
			struct owned o = { .p = &sess->prefix[i] };

			/* a client that reconnected may own the subnet again */
			if (ops_peer_get(&nl, s->o.dev, 0, find_aip, &o, err, sizeof(err)) < 0 ||
			    o.found)
				continue;
			if (rtnl_route_del(s->ifindex, &sess->prefix[i]) == 0)
				printf("peer %u: route %s dev %s removed\n", peer_id,
				       prefix_str(&sess->prefix[i], true, p, sizeof(p)), s->o.dev);
		}
		sess->sid = 0;
	}
	srv_unlock();
	nl_close(&nl);
	fflush(stdout);
	_exit(0);
}
