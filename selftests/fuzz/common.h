/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the targets over ltunctl's code (userspace/). */
#ifndef LTUN_FUZZ_COMMON_H
#define LTUN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "hello.h"

/*
 * What hello_parse() accepted respects struct hello_msg's caps and the
 * wire contract: families 4/6, prefix lengths within the family, IPv4
 * addresses without bytes past their 4, at most one of TOKEN/RENEW.
 */
void check_hello(const struct hello_msg *m);

/* Field by field (the struct has padding). */
int hello_equal(const struct hello_msg *a, const struct hello_msg *b);

/*
 * The peer's stream, as the TLS socket would hold it, read with
 * frame_recv() through a socketpair. Returns frame_recv()'s result; on
 * success the frame's payload is in payload (LTUN_WIRE_MAX_CTRL bytes,
 * ASan-poisoned past *len, until wire_done()) and what frame_recv() left
 * in the socket is checked to be exactly the rest of the stream: the first
 * byte after WELCOME must stay there for the kernel.
 */
int wire_recv(const uint8_t *data, size_t size, uint8_t *type, uint8_t **payload,
	      size_t *len, char *err, size_t errlen);
void wire_done(void);

/* hello_refuse_text() into an out buffer of exactly outlen bytes, checked. */
void check_refuse_text(const uint8_t *p, size_t len, size_t outlen);

/*
 * A file of exactly these bytes at a fixed path (per process, in a
 * directory under $FUZZ_TMPDIR, else /dev/shm, else $TMPDIR, else /tmp,
 * removed at exit); returns the path.
 */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

#endif
