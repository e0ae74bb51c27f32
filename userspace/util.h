/* SPDX-License-Identifier: GPL-2.0 */
/* Shared command-line helpers and human-readable formatting. */
#ifndef LTUNCTL_UTIL_H
#define LTUNCTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_USAGE 1

extern bool json_output;

/* "ltunctl: CMD: message" plus a hint on stderr; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "ltunctl: CMD: message" on stderr. */
void errmsg(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool is_help(const char *s);

/*
 * Parse "KEYWORD VALUE" pairs (ip/wg style) from argv[0..argc): each
 * keyword in kw[0..n) may appear once and its value goes to *slot[i].
 * Returns 0, or EXIT_USAGE after printing what is wrong.
 */
/*
 * The DEV argument every command starts with: present and a possible
 * interface name. Returns 0, or EXIT_USAGE after printing what is wrong.
 */
int parse_dev(const char *cmd, int argc, char **argv, const char **dev);

int parse_keywords(const char *cmd, int argc, char **argv,
		   const char *const kw[], const char **const slot[], size_t n);
/* Parse an unsigned decimal in [min, max]; false on garbage. */
bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/* "1.21 MiB" */
const char *human_bytes(uint64_t n, char *buf, size_t len);
/* "1 hour, 2 minutes, 3 seconds" */
const char *human_duration(uint64_t ms, char *buf, size_t len);

#endif
