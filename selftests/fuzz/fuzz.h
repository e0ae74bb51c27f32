/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer targets: invariant checks that abort (libFuzzer
 * then saves the input as a crash artifact), and ASan poisoning so that a
 * parser reading past the bytes it was given is caught even inside a
 * larger buffer.
 */
#ifndef LTUN_FUZZ_H
#define LTUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sanitizer/asan_interface.h>

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: %s:%d: invariant broken: %s: ",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* Make [p, p + n) unreadable / readable again for ASan. */
#define FUZZ_POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define FUZZ_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))

/* A heap copy of exactly n bytes (at least one allocated), so ASan sees an overread. */
static inline uint8_t *fuzz_dup(const uint8_t *data, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (!p)
		abort();
	for (size_t i = 0; i < n; i++)
		p[i] = data[i];
	if (!n)
		FUZZ_POISON(p, 1);
	return p;
}

static inline void fuzz_free(uint8_t *p)
{
	FUZZ_UNPOISON(p, 1);
	free(p);
}

/* A NUL-terminated heap copy of exactly n + 1 bytes. */
static inline char *fuzz_str(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	for (size_t i = 0; i < n; i++)
		s[i] = (char)data[i];
	s[n] = '\0';
	return s;
}

/* xorshift64, for decisions a target derives from its input. */
static inline uint64_t fuzz_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif
