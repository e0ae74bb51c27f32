// SPDX-License-Identifier: GPL-2.0
/*
 * "ltunctl peer add": parse the options, set up one session with the
 * server (session.c) and, with "persist", keep it up (persist.c).
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "client.h"
#include "cmds.h"
#include "ops.h"
#include "util.h"

#define CMD CLIENT_CMD

void usage_peer_add(FILE *f)
{
	fprintf(f,
		"  ltunctl peer add DEV server HOST:PORT ca FILE [cert FILE key FILE]\n"
		"                   [name SERVER-NAME] [address CIDR]... [prefix CIDR]...\n"
		"                   [keepalive MS] [timeout MS] [cipher LIST]\n"
		"                   [persist [renew SECONDS]]\n"
		"    LIST: aes-128-gcm,aes-256-gcm,chacha20-poly1305 (default), a subset,\n"
		"          in the order of preference\n");
}

/* One "KEYWORD VALUE" option that may be given once. */
static int once(const char **slot, const char *kw, const char *val)
{
	if (*slot)
		return usage_error(CMD, "'%s' given twice", kw);
	*slot = val;
	return 0;
}

static int add_cidr(struct prefix *list, size_t *n, size_t max, const char *kw,
		    const char *val, bool need_plen)
{
	const char *why;

	if (*n >= max)
		return usage_error(CMD, "at most %zu '%s'", max, kw);
	if (cidr_parse(val, need_plen, &list[*n], &why) < 0)
		return usage_error(CMD, "%s '%s': %s", kw, val, why);
	for (size_t i = 0; i < *n; i++)
		if (prefix_addr_equal(&list[i], &list[*n]) && list[i].plen == list[*n].plen)
			return usage_error(CMD, "%s '%s' given twice", kw, val);
	(*n)++;
	return 0;
}

static int parse_ms(const char *kw, const char *val, uint32_t *out)
{
	if (!parse_u32(val, LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS, out))
		return usage_error(CMD, "%s '%s': milliseconds, %u..%u", kw, val,
				   LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS);
	return 0;
}

static int parse_opts(int argc, char **argv, struct client_opts *o)
{
	const char *keepalive = NULL, *timeout = NULL, *renew = NULL, *cipher = NULL;
	char why[160];
	int ret;

	memset(o, 0, sizeof(*o));
	if (parse_dev(CMD, argc, argv, &o->dev))
		return EXIT_USAGE;
	for (int i = 1; i < argc; i += 2) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(kw, "persist")) {
			if (o->persist)
				return usage_error(CMD, "'persist' given twice");
			o->persist = true;
			i--;	/* a flag: no value */
			continue;
		}
		if (!val || !val[0])
			return usage_error(CMD, "missing value for '%s'", kw);
		/* "remote" and "server-name" are the names of the first version */
		if (!strcmp(kw, "server") || !strcmp(kw, "remote"))
			ret = once(&o->server, "server", val);
		else if (!strcmp(kw, "ca"))
			ret = once(&o->ca, kw, val);
		else if (!strcmp(kw, "cert"))
			ret = once(&o->cert, kw, val);
		else if (!strcmp(kw, "key"))
			ret = once(&o->key, kw, val);
		else if (!strcmp(kw, "name") || !strcmp(kw, "server-name"))
			ret = once(&o->sni, "name", val);
		else if (!strcmp(kw, "address"))
			ret = add_cidr(o->addr, &o->n_addr, HELLO_MAX_ADDRS, kw, val, false);
		else if (!strcmp(kw, "prefix"))
			ret = add_cidr(o->prefix, &o->n_prefix, HELLO_MAX_PREFIXES, kw, val, true);
		else if (!strcmp(kw, "keepalive"))
			ret = once(&keepalive, kw, val);
		else if (!strcmp(kw, "timeout"))
			ret = once(&timeout, kw, val);
		else if (!strcmp(kw, "renew"))
			ret = once(&renew, kw, val);
		else if (!strcmp(kw, "cipher"))
			ret = once(&cipher, kw, val);
		else
			ret = usage_error(CMD, "unknown keyword '%s'", kw);
		if (ret)
			return ret;
	}
	if (!o->server)
		return usage_error(CMD, "missing 'server HOST:PORT'");
	if (!o->ca)
		return usage_error(CMD, "missing 'ca FILE' (the server's CA certificate)");
	if (!o->cert != !o->key)
		return usage_error(CMD, "'cert' and 'key' go together");
	if (keepalive && parse_ms("keepalive", keepalive, &o->keepalive_ms))
		return EXIT_USAGE;
	if (timeout && parse_ms("timeout", timeout, &o->timeout_ms))
		return EXIT_USAGE;
	if (o->timeout_ms && o->timeout_ms <= (o->keepalive_ms ? o->keepalive_ms
							      : LTUN_KEEPALIVE_DEFAULT_MS))
		return usage_error(CMD, "timeout must be longer than the keepalive interval (%u ms)",
				   o->keepalive_ms ? o->keepalive_ms : LTUN_KEEPALIVE_DEFAULT_MS);
	if (cipher) {
		if (tls_ciphers_parse(cipher, &o->ciphers, why, sizeof(why)) < 0)
			return usage_error(CMD, "cipher '%s': %s", cipher, why);
		o->has_ciphers = true;
	}
	if (renew && !o->persist)
		return usage_error(CMD, "'renew' needs 'persist' (only a persistent client renews)");
	o->renew_s = CLIENT_RENEW_DEFAULT_S;
	if (renew && !parse_u32(renew, CLIENT_RENEW_MIN_S, 7 * 86400, &o->renew_s))
		return usage_error(CMD, "renew '%s': seconds, %u..%u", renew,
				   CLIENT_RENEW_MIN_S, 7 * 86400);
	return 0;
}

int cmd_peer_add(int argc, char **argv)
{
	struct client *c;
	char err[512];
	const char *why;
	int ret, rc = 1;

	if (argc >= 1 && is_help(argv[0])) {
		usage_peer_add(stdout);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	ret = parse_opts(argc, argv, &c->o);
	if (ret) {
		free(c);
		return ret;
	}
	if (split_host_port(c->o.server, c->hostbuf, sizeof(c->hostbuf),
			    &c->host, &c->port, &why) < 0) {
		ret = usage_error(CMD, "server '%s': %s", c->o.server, why);
		free(c);
		return ret;
	}
	c->no_kernel = getenv(ENV_NO_KERNEL) != NULL;
	if (c->o.persist)
		setvbuf(stdout, NULL, _IOLBF, 0);

	/* Fail on local problems before bothering the server. */
	c->ifindex = if_nametoindex(c->o.dev);
	if (!c->ifindex) {
		errmsg(CMD, "no such device '%s'", c->o.dev);
		goto out;
	}
	if (!c->no_kernel && nl_open_report(&c->nl, CMD) < 0)
		goto out;
	c->creds = tls_creds_load(c->o.cert, c->o.key, c->o.ca, err, sizeof(err));
	if (!c->creds) {
		errmsg(CMD, "%s", err);
		goto out;
	}
	if (c->o.has_ciphers)
		tls_creds_set_ciphers(c->creds, &c->o.ciphers);
	if (client_connect(c, err, sizeof(err)) < 0) {
		errmsg(CMD, "%s", err);
		goto out;
	}
	if (c->no_kernel) {
		rc = 0;
		goto out;
	}
	client_print_up(c);
	rc = c->o.persist ? persist_run(c) : 0;
out:
	if (client_ready_fd >= 0) {
		/* "up" is waiting: EOF without a byte says we failed */
		close(client_ready_fd);
		client_ready_fd = -1;
	}
	tls_creds_free(c->creds);
	nl_close(&c->nl);
	free(c);
	return rc;
}
