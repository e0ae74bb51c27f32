// SPDX-License-Identifier: GPL-2.0
/*
 * Tiny JSON writer: only tracks whether a comma is needed at each nesting
 * level, which is all our flat outputs need.
 */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"

#define JSON_MAX_DEPTH 16

static bool need_comma[JSON_MAX_DEPTH];
static int depth;

static void put_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

static void prefix(const char *key)
{
	if (need_comma[depth])
		putchar(',');
	need_comma[depth] = true;
	if (key) {
		put_string(key);
		putchar(':');
	}
}

static void open_level(const char *key, char c)
{
	prefix(key);
	putchar(c);
	if (depth < JSON_MAX_DEPTH - 1)
		depth++;
	need_comma[depth] = false;
}

static void close_level(char c)
{
	putchar(c);
	if (depth > 0)
		depth--;
}

void json_array_begin(const char *key) { open_level(key, '['); }
void json_array_end(void) { close_level(']'); }
void json_object_begin(const char *key) { open_level(key, '{'); }
void json_object_end(void) { close_level('}'); }

void json_str(const char *key, const char *val)
{
	prefix(key);
	if (val)
		put_string(val);
	else
		fputs("null", stdout);
}

void json_u64(const char *key, uint64_t val)
{
	prefix(key);
	printf("%" PRIu64, val);
}

void json_bool(const char *key, bool val)
{
	prefix(key);
	fputs(val ? "true" : "false", stdout);
}

void json_end_document(void)
{
	putchar('\n');
	depth = 0;
	need_comma[0] = false;
}
