// SPDX-License-Identifier: GPL-2.0
/*
 * "ltunctl peer add": connect to a server, TLS 1.3 handshake, kTLS,
 * HELLO/WELCOME, then hand the socket to the kernel as a new peer.
 */
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr.h"
#include "cmds.h"
#include "hello.h"
#include "json.h"
#include "nl.h"
#include "ops.h"
#include "rtnl.h"
#include "tls.h"
#include "util.h"

#define CMD "peer add"
#define WELCOME_TIMEOUT_S 30

struct add_opts {
	const char *dev, *remote, *ca, *cert, *key, *server_name;
};

static int parse_opts(int argc, char **argv, struct add_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (parse_dev(CMD, argc, argv, &o->dev))
		return EXIT_USAGE;
	{
		static const char *const kw[] = { "remote", "ca", "cert", "key", "server-name" };
		const char **const slot[] = { &o->remote, &o->ca, &o->cert, &o->key, &o->server_name };
		int err = parse_keywords(CMD, argc - 1, argv + 1, kw, slot,
					 sizeof(kw) / sizeof(kw[0]));

		if (err)
			return err;
	}
	if (!o->remote)
		return usage_error(CMD, "missing 'remote HOST:PORT'");
	if (!o->ca)
		return usage_error(CMD, "missing 'ca FILE' (the server's CA certificate)");
	if (!o->cert != !o->key)
		return usage_error(CMD, "'cert' and 'key' go together");
	return 0;
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Connect to the first address of host:port that answers. */
static int connect_remote(const char *host, const char *port, char *peer, size_t peerlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP };
	struct addrinfo *res, *ai;
	char tried[ADDR_STRLEN] = "";
	int fd = -1, ret, saved = 0;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		errmsg(CMD, "cannot resolve '%s': %s", host, gai_strerror(ret));
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
		errmsg(CMD, "connect to %s: %s", tried[0] ? tried : host,
		       saved == EINPROGRESS || saved == EAGAIN ? "timed out" : strerror(saved));
	return fd;
}

/* HELLO carries one address per family: the first global one of DEV. */
static int build_hello(unsigned int ifindex, const char *dev, struct hello_msg *h)
{
	struct prefix addrs[RTNL_MAX_ADDRS];
	bool have4 = false, have6 = false;
	int n = rtnl_dev_addrs(ifindex, addrs, RTNL_MAX_ADDRS);

	memset(h, 0, sizeof(*h));
	if (n < 0) {
		errmsg(CMD, "reading addresses of %s: %s", dev, strerror(-n));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		bool *have = addrs[i].family == AF_INET ? &have4 : &have6;

		if (*have)
			continue;
		*have = true;
		h->addr[h->n_addr++] = addrs[i];
	}
	if (!h->n_addr) {
		errmsg(CMD, "%s has no IPv4 or global IPv6 address (ip addr add ADDR/PLEN dev %s)",
		       dev, dev);
		return -1;
	}
	return 0;
}

/* The server peer is allowed its subnets: each SERVER_ADDR masked. */
static size_t server_subnets(const struct hello_msg *w, struct prefix *out)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n_server; i++) {
		struct prefix p = w->server[i];
		bool dup = false;

		prefix_mask(&p);
		for (size_t j = 0; j < n; j++)
			dup |= out[j].plen == p.plen && prefix_addr_equal(&out[j], &p);
		if (!dup)
			out[n++] = p;
	}
	return n;
}

/* Wait for WELCOME; REFUSE and anything else end the attempt. */
static int read_welcome(int fd, struct hello_msg *w)
{
	static uint8_t payload[LTUN_WIRE_MAX_CTRL];
	char err[256];
	size_t len;
	uint8_t type;

	if (frame_recv(fd, &type, payload, &len, err, sizeof(err)) < 0) {
		errmsg(CMD, "waiting for the server's answer: %s", err);
		return -1;
	}
	if (type == LTUN_WIRE_REFUSE) {
		char why[HELLO_REFUSE_MAX + 1];

		hello_refuse_text(payload, len, why, sizeof(why));
		errmsg(CMD, "refused by server: %s", why);
		return -1;
	}
	if (type != LTUN_WIRE_WELCOME) {
		errmsg(CMD, "protocol error: expected WELCOME, got frame type %u", type);
		return -1;
	}
	if (hello_parse(payload, len, w, err, sizeof(err)) < 0) {
		errmsg(CMD, "bad WELCOME: %s", err);
		return -1;
	}
	if (w->version != LTUN_WIRE_VERSION) {
		errmsg(CMD, "server speaks protocol version %u, we speak %u",
		       w->version, LTUN_WIRE_VERSION);
		return -1;
	}
	if (!w->n_server) {
		errmsg(CMD, "server announced no tunnel address");
		return -1;
	}
	return 0;
}

static void print_result(const struct add_opts *o, uint32_t id, const char *remote,
			 const struct hello_msg *w, const struct prefix *aip, size_t n_aip,
			 const char *cipher)
{
	char a[ADDR_STRLEN];

	if (json_output) {
		json_array_begin(NULL);
		json_object_begin(NULL);
		json_str("ifname", o->dev);
		json_u64("id", id);
		json_str("remote", remote);
		json_array_begin("addresses");
		for (size_t i = 0; i < w->n_addr; i++)
			json_str(NULL, prefix_str(&w->addr[i], true, a, sizeof(a)));
		json_array_end();
		json_array_begin("allowed_ips");
		for (size_t i = 0; i < n_aip; i++)
			json_str(NULL, prefix_str(&aip[i], true, a, sizeof(a)));
		json_array_end();
		json_str("cipher", cipher);
		json_object_end();
		json_array_end();
		json_end_document();
		return;
	}
	printf("peer %u up: remote %s, address", id, remote);
	for (size_t i = 0; i < w->n_addr; i++)
		printf("%s %s", i ? "," : "", prefix_str(&w->addr[i], true, a, sizeof(a)));
	printf(", allowed ips");
	for (size_t i = 0; i < n_aip; i++)
		printf("%s %s", i ? "," : "", prefix_str(&aip[i], true, a, sizeof(a)));
	printf(", %s\n", cipher);
}

int cmd_peer_add(int argc, char **argv)
{
	bool no_kernel = getenv(ENV_NO_KERNEL) != NULL;
	struct add_opts o;
	struct hello_msg hello, welcome;
	struct prefix aip[HELLO_MAX_ADDRS];
	struct tls_creds *creds = NULL;
	char buf[256], err[NL_ERRLEN + 64], remote[ADDR_STRLEN], cipher[32] = "";
	const char *host, *port, *why;
	unsigned int ifindex;
	struct nl nl = { 0 };
	uint32_t id = 0;
	size_t n_aip;
	int fd = -1, ret, rc = 1;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret;
	if (split_host_port(o.remote, buf, sizeof(buf), &host, &port, &why) < 0)
		return usage_error(CMD, "remote '%s': %s", o.remote, why);

	/* Fail on local problems before bothering the server. */
	ifindex = if_nametoindex(o.dev);
	if (!ifindex) {
		errmsg(CMD, "no such device '%s'", o.dev);
		return 1;
	}
	if (!no_kernel && nl_open_report(&nl, CMD) < 0)
		return 1;
	if (build_hello(ifindex, o.dev, &hello) < 0)
		goto out;
	creds = tls_creds_load(o.cert, o.key, o.ca, err, sizeof(err));
	if (!creds) {
		errmsg(CMD, "%s", err);
		goto out;
	}

	fd = connect_remote(host, port, remote, sizeof(remote));
	if (fd < 0)
		goto out;
	if (tls_handshake_ktls(fd, creds, false, o.server_name ? o.server_name : host,
			       cipher, sizeof(cipher), err, sizeof(err)) < 0) {
		errmsg(CMD, "%s: %s", remote, err);
		goto out;
	}
	/*
	 * The server still has kernel work to do before it answers (kTLS
	 * setup may load crypto modules the first time, netlink checks):
	 * allow it more than a network round trip.
	 */
	set_timeouts(fd, WELCOME_TIMEOUT_S);
	if (hello_send(fd, LTUN_WIRE_HELLO, &hello, err, sizeof(err)) < 0) {
		/*
		 * In TLS 1.3 a server rejects a client certificate only after
		 * our side finished the handshake: a reset here usually means
		 * that, and its alert was lost with the connection.
		 */
		errmsg(CMD, "sending HELLO: %s%s", err,
		       o.cert ? "" : " (does the server require a client certificate?)");
		goto out;
	}
	if (read_welcome(fd, &welcome) < 0)
		goto out;
	n_aip = server_subnets(&welcome, aip);

	/* From here the kernel drives the socket: no userspace timeouts. */
	set_timeouts(fd, 0);
	if (no_kernel) {
		printf("welcome received; not adding the peer (%s is set)\n", ENV_NO_KERNEL);
		rc = 0;
		goto out;
	}
	ret = ops_peer_new(&nl, o.dev, fd, aip, n_aip, &id, err, sizeof(err));
	if (ret < 0) {
		nl_perror(CMD, ret, err);
		goto out;
	}
	print_result(&o, id, remote, &welcome, aip, n_aip, cipher);
	rc = 0;
out:
	/* After PEER_NEW the kernel holds its own reference to the socket. */
	if (fd >= 0)
		close(fd);
	tls_creds_free(creds);
	nl_close(&nl);
	return rc;
}
