// SPDX-License-Identifier: GPL-2.0
/* "ltunctl peer set|del|show" and dispatch of "peer add" (client.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "cmds.h"
#include "json.h"
#include "nl.h"
#include "ops.h"
#include "show.h"
#include "util.h"

void usage_peer(FILE *f)
{
	usage_peer_add(f);
	fprintf(f,
		"  ltunctl peer set DEV ID [allowed-ips CIDR[,CIDR...]|none]\n"
		"                   [keepalive MS] [timeout MS] [name NAME]\n"
		"  ltunctl peer del DEV ID\n"
		"  ltunctl peer show DEV [ID]\n");
}

/* "10.0.0.0/24,fd00::/64" (or "none") into aips; host bits must be clear. */
static int parse_aip_list(const char *arg, struct prefix *aips, size_t *n)
{
	char buf[4096], *save = NULL, *tok;
	const char *why;

	*n = 0;
	if (!strcmp(arg, "none"))
		return 0;
	if (strlen(arg) >= sizeof(buf))
		return usage_error("peer set", "allowed-ips list too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct prefix p, m;

		if (*n == PEER_MAX_AIPS)
			return usage_error("peer set", "more than %d allowed-ips", PEER_MAX_AIPS);
		if (cidr_parse(tok, false, &p, &why) < 0)
			return usage_error("peer set", "allowed-ips '%s': %s", tok, why);
		m = p;
		prefix_mask(&m);
		if (!prefix_addr_equal(&m, &p))
			return usage_error("peer set", "allowed-ips '%s' has host bits set", tok);
		aips[(*n)++] = p;
	}
	if (!*n)
		return usage_error("peer set", "allowed-ips is empty (say 'none')");
	return 0;
}

static int keep_current(const struct peer_info *pi, void *data)
{
	*(struct peer_info *)data = *pi;
	return 0;
}

/*
 * PEER_SET: change a live peer's allowed prefixes, keepalive or name; the
 * connection stays up.
 */
static int peer_set(int argc, char **argv)
{
	static const char *const kw[] = { "allowed-ips", "keepalive", "timeout", "name" };
	const char *dev, *aip_str = NULL, *ka_str = NULL, *to_str = NULL, *name = NULL;
	const char **const slot[] = { &aip_str, &ka_str, &to_str, &name };
	struct peer_set set = { .fd = -1 };
	struct prefix *aips = NULL;
	char err[NL_ERRLEN];
	struct peer_info cur;
	uint32_t id, v;
	struct nl nl;
	int ret = 1;

	if (parse_dev("peer set", argc, argv, &dev))
		return EXIT_USAGE;
	if (argc < 2)
		return usage_error("peer set", "missing peer ID");
	if (!parse_u32(argv[1], 1, UINT32_MAX, &id))
		return usage_error("peer set", "invalid peer ID '%s'", argv[1]);
	if (parse_keywords("peer set", argc - 2, argv + 2, kw, slot, sizeof(kw) / sizeof(kw[0])))
		return EXIT_USAGE;
	if (!aip_str && !ka_str && !to_str && !name)
		return usage_error("peer set",
				   "nothing to set (allowed-ips, keepalive, timeout, name)");
	if (name && (!*name || strlen(name) >= 256))
		return usage_error("peer set", "name must be 1..255 bytes");
	if (ka_str && !parse_u32(ka_str, 0, 3600000, &v))
		return usage_error("peer set", "keepalive '%s' is not 0..3600000 ms", ka_str);
	if (to_str && !parse_u32(to_str, 0, UINT32_MAX, &v))
		return usage_error("peer set", "timeout '%s' is not a number of ms", to_str);
	if (aip_str) {
		aips = calloc(PEER_MAX_AIPS, sizeof(*aips));
		if (!aips) {
			fprintf(stderr, "ltunctl: peer set: out of memory\n");
			return 1;
		}
		if (parse_aip_list(aip_str, aips, &set.n_aips)) {
			free(aips);
			return EXIT_USAGE;
		}
		set.aips = aips;
		set.set_aips = true;
	}
	set.name = name;

	if (nl_open_report(&nl, "peer set") < 0)
		goto out;
	if (ka_str || to_str) {
		/* Both go together: the one not given stays as it is. */
		ret = ops_peer_get(&nl, dev, id, keep_current, &cur, err, sizeof(err));
		if (ret < 0) {
			nl_perror("peer set", ret, err);
			ret = 1;
			goto close;
		}
		set.keepalive_ms = cur.keepalive_ms;
		set.timeout_ms = cur.timeout_ms;
		if (ka_str)
			parse_u32(ka_str, 0, 3600000, &set.keepalive_ms);
		if (to_str)
			parse_u32(to_str, 0, UINT32_MAX, &set.timeout_ms);
		set.set_keepalive = true;
	}
	ret = ops_peer_set(&nl, dev, id, &set, err, sizeof(err));
	if (ret < 0) {
		nl_perror("peer set", ret, err);
		ret = 1;
	} else {
		ret = 0;
	}
close:
	nl_close(&nl);
out:
	free(aips);
	return ret;
}

static int peer_del(int argc, char **argv)
{
	const char *dev;
	char err[NL_ERRLEN];
	uint32_t id;
	struct nl nl;
	int ret;

	if (parse_dev("peer del", argc, argv, &dev))
		return EXIT_USAGE;
	if (argc < 2)
		return usage_error("peer del", "missing peer ID");
	if (argc > 2)
		return usage_error("peer del", "unexpected argument '%s'", argv[2]);
	if (!parse_u32(argv[1], 1, UINT32_MAX, &id))
		return usage_error("peer del", "invalid peer ID '%s'", argv[1]);
	if (nl_open_report(&nl, "peer del") < 0)
		return 1;
	ret = ops_peer_del(&nl, dev, id, err, sizeof(err));
	nl_close(&nl);
	if (ret < 0) {
		nl_perror("peer del", ret, err);
		return 1;
	}
	return 0;
}

struct show_ctx {
	unsigned int n;
};

static int show_one(const struct peer_info *pi, void *data)
{
	struct show_ctx *ctx = data;

	show_peer(pi, ctx->n++ == 0);
	return 0;
}

static int peer_show(int argc, char **argv)
{
	const char *dev;
	struct show_ctx ctx = { 0 };
	char err[NL_ERRLEN];
	uint32_t id = 0;
	struct nl nl;
	int ret;

	if (parse_dev("peer show", argc, argv, &dev))
		return EXIT_USAGE;
	if (argc > 2)
		return usage_error("peer show", "unexpected argument '%s'", argv[2]);
	if (argc == 2 && !parse_u32(argv[1], 1, UINT32_MAX, &id))
		return usage_error("peer show", "invalid peer ID '%s'", argv[1]);
	if (nl_open_report(&nl, "peer show") < 0)
		return 1;
	if (json_output)
		json_array_begin(NULL);
	ret = ops_peer_get(&nl, dev, id, show_one, &ctx, err, sizeof(err));
	if (json_output) {
		json_array_end();
		json_end_document();
	}
	nl_close(&nl);
	if (ret < 0) {
		nl_perror("peer show", ret, err);
		return 1;
	}
	return 0;
}

int cmd_peer(int argc, char **argv)
{
	if (argc < 1 || is_help(argv[0])) {
		usage_peer(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : 0;
	}
	if (argc > 1 && is_help(argv[1])) {
		usage_peer(stdout);
		return 0;
	}
	if (!strcmp(argv[0], "add"))
		return cmd_peer_add(argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return peer_set(argc - 1, argv + 1);
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return peer_del(argc - 1, argv + 1);
	if (!strcmp(argv[0], "show"))
		return peer_show(argc - 1, argv + 1);
	return usage_error("peer", "unknown subcommand '%s'", argv[0]);
}
