// SPDX-License-Identifier: GPL-2.0
/* "ltunctl dev show [DEV]" and "ltunctl dev set DEV [max-peers N] [isolate on|off]". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "nl.h"
#include "ops.h"
#include "show.h"
#include "util.h"

void usage_dev(FILE *f)
{
	fprintf(f,
		"  ltunctl dev show [DEV]\n"
		"  ltunctl dev set DEV [max-peers N] [isolate on|off]\n");
}

struct dev_show_ctx {
	unsigned int n;
};

static int dev_show_one(const struct dev_info *di, void *data)
{
	struct dev_show_ctx *ctx = data;

	show_dev(di, ctx->n++ == 0);
	return 0;
}

static int dev_show(int argc, char **argv)
{
	const char *ifname = NULL;
	struct dev_show_ctx ctx = { 0 };
	char err[NL_ERRLEN];
	struct nl nl;
	int ret;

	if (argc > 1)
		return usage_error("dev show", "unexpected argument '%s'", argv[1]);
	if (argc == 1) {
		if (is_help(argv[0])) {
			usage_dev(stdout);
			return 0;
		}
		if (parse_dev("dev show", argc, argv, &ifname))
			return EXIT_USAGE;
	}
	if (nl_open_report(&nl, "dev show") < 0)
		return 1;
	if (json_output)
		json_array_begin(NULL);
	ret = ops_dev_get(&nl, ifname, dev_show_one, &ctx, err, sizeof(err));
	if (json_output) {
		json_array_end();
		json_end_document();
	}
	nl_close(&nl);
	if (ret < 0) {
		if (ret == -ENODEV && !err[0])
			snprintf(err, sizeof(err), "no such device '%s'", ifname ? ifname : "");
		nl_perror("dev show", ret, err);
		return 1;
	}
	return 0;
}

/* "on"/"off" (also yes/no, 1/0, as ip-link accepts); -1 for garbage. */
static int parse_onoff(const char *s)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "1"))
		return 1;
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "0"))
		return 0;
	return -1;
}

static int dev_set(int argc, char **argv)
{
	static const char *const kw[] = { "max-peers", "isolate" };
	const char *ifname, *max_str = NULL, *iso_str = NULL;
	const char **const slot[] = { &max_str, &iso_str };
	char err[NL_ERRLEN];
	int max = -1, isolate = -1;
	uint32_t v;
	struct nl nl;
	int ret;

	if (parse_dev("dev set", argc, argv, &ifname) ||
	    parse_keywords("dev set", argc - 1, argv + 1, kw, slot,
			   sizeof(kw) / sizeof(kw[0])))
		return EXIT_USAGE;
	if (!max_str && !iso_str)
		return usage_error("dev set", "nothing to set (max-peers N, isolate on|off)");
	if (max_str) {
		if (!parse_u32(max_str, 1, 65535, &v))
			return usage_error("dev set", "max-peers '%s' is not in 1..65535",
					   max_str);
		max = (int)v;
	}
	if (iso_str) {
		isolate = parse_onoff(iso_str);
		if (isolate < 0)
			return usage_error("dev set", "isolate '%s' is not on or off", iso_str);
	}
	if (nl_open_report(&nl, "dev set") < 0)
		return 1;
	ret = ops_dev_set(&nl, ifname, max, isolate, err, sizeof(err));
	nl_close(&nl);
	if (ret < 0) {
		if (ret == -ENODEV && !err[0])
			snprintf(err, sizeof(err), "no such device '%s'", ifname);
		nl_perror("dev set", ret, err);
		return 1;
	}
	return 0;
}

int cmd_dev(int argc, char **argv)
{
	if (argc < 1 || is_help(argv[0])) {
		usage_dev(argc < 1 ? stderr : stdout);
		return argc < 1 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[0], "show"))
		return dev_show(argc - 1, argv + 1);
	if (!strcmp(argv[0], "set")) {
		if (argc > 1 && is_help(argv[1])) {
			usage_dev(stdout);
			return 0;
		}
		return dev_set(argc - 1, argv + 1);
	}
	return usage_error("dev", "unknown subcommand '%s'", argv[0]);
}
