// SPDX-License-Identifier: GPL-2.0
/*
 * client: what "ltunctl peer add ... server" does with the bytes a server
 * sends after the TLS handshake (userspace/session.c: read_welcome() and
 * check_welcome()): frame_recv() from a socket holding the input, then
 * REFUSE through hello_refuse_text() into the caller's buffer, or WELCOME
 * through hello_parse() and the version check.
 *
 * Checked, besides check_hello() and the socket handling (common.c): a
 * REFUSE reason is printed NUL-terminated and without control bytes; a
 * WELCOME's lists fit what session.c sizes from them (server_aips() puts
 * every SERVER_ADDR and ROUTE into MAX_AIPS slots; the client keeps
 * HELLO_MAX_ADDRS addresses and HELLO_MAX_ROUTES routes).
 */
#include "common.h"
#include "fuzz.h"

/* userspace/session.c */
#define MAX_AIPS (HELLO_MAX_ADDRS + HELLO_MAX_ROUTES)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hello_msg w;
	uint8_t type, *payload;
	char err[256];
	size_t len;

	if (size > 2 * (8 + LTUN_WIRE_MAX_CTRL))
		return -1;
	if (wire_recv(data, size, &type, &payload, &len, err, sizeof(err)) < 0)
		return 0;
	if (type == LTUN_WIRE_REFUSE) {
		/* session.c: char text[HELLO_REFUSE_MAX + 1] */
		check_refuse_text(payload, len, HELLO_REFUSE_MAX + 1);
		goto out;
	}
	if (type != LTUN_WIRE_WELCOME)
		goto out;
	err[0] = '\0';
	if (hello_parse(payload, len, &w, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0], "refused without a reason");
		goto out;
	}
	check_hello(&w);
	if (w.version != LTUN_WIRE_VERSION || !w.n_server || !w.n_addr)
		goto out;
	FUZZ_CHECK(w.n_server + w.n_route <= MAX_AIPS, "%zu server addresses and %zu routes",
		   w.n_server, w.n_route);
out:
	wire_done();
	return 0;
}
