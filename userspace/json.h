/* SPDX-License-Identifier: GPL-2.0 */
/* A tiny streaming JSON writer for -j output (stdout only). */
#ifndef LTUNCTL_JSON_H
#define LTUNCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>

void json_array_begin(const char *key);	/* key NULL inside arrays/top level */
void json_array_end(void);
void json_object_begin(const char *key);
void json_object_end(void);
void json_str(const char *key, const char *val);	/* val NULL -> null */
void json_u64(const char *key, uint64_t val);
void json_bool(const char *key, bool val);
void json_end_document(void);	/* newline after the top-level value */

#endif
