// SPDX-License-Identifier: GPL-2.0
/* Error reporting and human-readable numbers. */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <net/if.h>
#include <string.h>

#include "util.h"

bool json_output;

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ltunctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ltunctl %s help'.\n", cmd);
	return EXIT_USAGE;
}

void errmsg(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ltunctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return false;
	v = strtoull(s, &end, 10);
	if (v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

const char *human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", v, unit[u]);
	return buf;
}

static size_t add_part(char *buf, size_t len, size_t off, uint64_t v, const char *what)
{
	int n;

	if (!v || off >= len)
		return off;
	n = snprintf(buf + off, len - off, "%s%" PRIu64 " %s%s", off ? ", " : "",
		     v, what, v == 1 ? "" : "s");
	return n < 0 ? off : off + (size_t)n;
}

const char *human_duration(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;
	size_t off = 0;

	buf[0] = '\0';
	off = add_part(buf, len, off, s / 86400, "day");
	off = add_part(buf, len, off, s / 3600 % 24, "hour");
	off = add_part(buf, len, off, s / 60 % 60, "minute");
	off = add_part(buf, len, off, s % 60, "second");
	if (!off)
		snprintf(buf, len, "%" PRIu64 " ms", ms);
	return buf;
}

int parse_dev(const char *cmd, int argc, char **argv, const char **dev)
{
	if (argc < 1)
		return usage_error(cmd, "missing DEV");
	if (strlen(argv[0]) >= IF_NAMESIZE)
		return usage_error(cmd, "device name '%s' too long", argv[0]);
	*dev = argv[0];
	return 0;
}

int parse_keywords(const char *cmd, int argc, char **argv,
		   const char *const kw[], const char **const slot[], size_t n)
{
	for (int i = 0; i < argc; i += 2) {
		size_t k;

		for (k = 0; k < n; k++)
			if (!strcmp(argv[i], kw[k]))
				break;
		if (k == n)
			return usage_error(cmd, "unknown keyword '%s'", argv[i]);
		if (i + 1 >= argc || !argv[i + 1][0])
			return usage_error(cmd, "missing value for '%s'", argv[i]);
		if (*slot[k])
			return usage_error(cmd, "'%s' given twice", argv[i]);
		*slot[k] = argv[i + 1];
	}
	return 0;
}
