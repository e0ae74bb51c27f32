// SPDX-License-Identifier: GPL-2.0
/* "ltunctl peer del|show" and dispatch of "peer add" (client.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
		"  ltunctl peer del DEV ID\n"
		"  ltunctl peer show DEV [ID]\n");
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
	if (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete"))
		return peer_del(argc - 1, argv + 1);
	if (!strcmp(argv[0], "show"))
		return peer_show(argc - 1, argv + 1);
	return usage_error("peer", "unknown subcommand '%s'", argv[0]);
}
