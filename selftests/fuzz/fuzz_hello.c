// SPDX-License-Identifier: GPL-2.0
/*
 * hello: hello_parse() (userspace/hello.c) on one HELLO or WELCOME payload,
 * the wire contract between client and server, in an exact-size buffer.
 * The same bytes also go through hello_refuse_text() (a REFUSE payload)
 * with output buffers of several sizes.
 *
 * Checked: a refusal has a reason; what is accepted respects the caps and
 * the contract (common.c: check_hello()); and, for the current version,
 * what is accepted survives a round trip: hello_send() of the parsed
 * message, parsed again, gives the same message (unknown TLVs dropped).
 * REFUSE text is NUL-terminated, inside its buffer and printable.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "fuzz.h"

static int sv[2] = { -1, -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	return 0;
}

/* hello_send() of m, parsed back. */
static void round_trip(const struct hello_msg *m)
{
	static uint8_t buf[sizeof(struct ltun_wire_hdr) + LTUN_WIRE_MAX_CTRL];
	struct hello_msg again;
	char err[256];
	size_t got = 0, want;
	uint8_t *p;

	if (hello_send(sv[0], LTUN_WIRE_HELLO, m, err, sizeof(err)) < 0)
		FUZZ_CHECK(0, "hello_send of a parsed message: %s", err);
	while (got < sizeof(struct ltun_wire_hdr) ||
	       got < sizeof(struct ltun_wire_hdr) + (size_t)(buf[4] << 24 | buf[5] << 16 |
							     buf[6] << 8 | buf[7])) {
		ssize_t n = recv(sv[1], buf + got, sizeof(buf) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		FUZZ_CHECK(n > 0, "socketpair recv");
		got += (size_t)n;
	}
	want = got - sizeof(struct ltun_wire_hdr);
	FUZZ_CHECK(buf[0] == LTUN_WIRE_HELLO && !buf[1] && !buf[2] && !buf[3] &&
		   want <= LTUN_WIRE_MAX_CTRL, "hello_send wrote a bad header");
	p = fuzz_dup(buf + sizeof(struct ltun_wire_hdr), want);
	FUZZ_CHECK(hello_parse(p, want, &again, err, sizeof(err)) == 0,
		   "re-encoded message refused: %s", err);
	FUZZ_CHECK(hello_equal(m, &again), "round trip changed the message");
	fuzz_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outlens[] = { 1, 2, 17, HELLO_REFUSE_MAX + 1 };
	struct hello_msg m;
	char err[256];

	/* frame_recv() never hands over more */
	if (size > LTUN_WIRE_MAX_CTRL)
		return -1;
	err[0] = '\0';
	if (hello_parse(data, size, &m, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0], "refused without a reason");
	} else {
		FUZZ_CHECK(size >= 4 && m.version == data[0], "version %u", m.version);
		check_hello(&m);
		if (m.version == LTUN_WIRE_VERSION)
			round_trip(&m);
	}
	for (size_t i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++)
		check_refuse_text(data, size, outlens[i]);
	return 0;
}
