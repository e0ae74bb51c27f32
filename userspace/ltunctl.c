// SPDX-License-Identifier: GPL-2.0
/*
 * ltunctl: control tool for ltun TLS tunnels. Global options, then
 * dispatch on the first keyword (ip/wg style).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "util.h"

#ifndef LTUNCTL_VERSION
#define LTUNCTL_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ltunctl [-j|--json] COMMAND ...\n"
		"       ltunctl --help | --version\n"
		"\n"
		"Commands:\n");
	usage_server(f);
	usage_peer(f);
	usage_dev(f);
	usage_monitor(f);
	usage_up(f);
	fprintf(f,
		"  ltunctl help\n"
		"\n"
		"Options:\n"
		"  -j, --json      JSON output (arrays of objects, raw numbers)\n"
		"  -h, --help      this text\n"
		"  -V, --version   print the version\n"
		"\n"
		"'ltunctl COMMAND help' describes one command; see ltunctl(8).\n");
}

int main(int argc, char **argv)
{
	int i;

	/* A peer that goes away must give us EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			json_output = true;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			printf("ltunctl %s\n", LTUNCTL_VERSION);
			return 0;
		} else if (!strcmp(o, "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "ltunctl: unknown option '%s'\nTry 'ltunctl --help'.\n", o);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "version")) {
		printf("ltunctl %s\n", LTUNCTL_VERSION);
		return 0;
	}
	if (!strcmp(argv[i], "server"))
		return cmd_server(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "peer"))
		return cmd_peer(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "dev"))
		return cmd_dev(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "monitor"))
		return cmd_monitor(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "up"))
		return cmd_up(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "down"))
		return cmd_down(argc - i - 1, argv + i + 1);
	fprintf(stderr, "ltunctl: unknown command '%s'\nTry 'ltunctl --help'.\n", argv[i]);
	return EXIT_USAGE;
}
