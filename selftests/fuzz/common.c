// SPDX-License-Identifier: GPL-2.0
/* Helpers of the targets over ltunctl's code; see common.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "fuzz.h"

static void check_list(const struct prefix *l, size_t n, size_t cap, const char *what)
{
	FUZZ_CHECK(n <= cap, "%zu %s, cap %zu", n, what, cap);
	for (size_t i = 0; i < n; i++) {
		const struct prefix *p = &l[i];

		FUZZ_CHECK(p->family == AF_INET || p->family == AF_INET6, "%s family %d",
			   what, p->family);
		FUZZ_CHECK(p->plen <= prefix_max_len(p->family), "%s plen %u", what, p->plen);
		for (size_t k = prefix_addr_len(p->family); k < sizeof(p->addr); k++)
			FUZZ_CHECK(!p->addr[k], "%s: IPv4 address with byte %zu set", what, k);
	}
}

void check_hello(const struct hello_msg *m)
{
	check_list(m->addr, m->n_addr, HELLO_MAX_ADDRS, "ADDR");
	check_list(m->server, m->n_server, HELLO_MAX_ADDRS, "SERVER_ADDR");
	check_list(m->prefix, m->n_prefix, HELLO_MAX_PREFIXES, "PREFIX");
	check_list(m->route, m->n_route, HELLO_MAX_ROUTES, "ROUTE");
	FUZZ_CHECK(!(m->has_token && m->has_renew), "TOKEN and RENEW");
}

static int list_equal(const struct prefix *a, const struct prefix *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].family != b[i].family || a[i].plen != b[i].plen ||
		    memcmp(a[i].addr, b[i].addr, sizeof(a[i].addr)))
			return 0;
	return 1;
}

int hello_equal(const struct hello_msg *a, const struct hello_msg *b)
{
	return a->version == b->version &&
	       a->n_addr == b->n_addr && list_equal(a->addr, b->addr, a->n_addr) &&
	       a->n_server == b->n_server && list_equal(a->server, b->server, a->n_server) &&
	       a->n_prefix == b->n_prefix && list_equal(a->prefix, b->prefix, a->n_prefix) &&
	       a->n_route == b->n_route && list_equal(a->route, b->route, a->n_route) &&
	       a->has_token == b->has_token && a->has_renew == b->has_renew &&
	       a->has_features == b->has_features &&
	       (!a->has_features || a->features == b->features) &&
	       (!(a->has_token || a->has_renew) ||
		(a->peer_id == b->peer_id && !memcmp(a->token, b->token, HELLO_TOKEN_LEN)));
}

static uint8_t *wire_payload;
static size_t wire_len;

int wire_recv(const uint8_t *data, size_t size, uint8_t *type, uint8_t **payload,
	      size_t *len, char *err, size_t errlen)
{
	uint8_t *rest = NULL;
	size_t got = 0;
	int sv[2], ret;

	if (!wire_payload) {
		wire_payload = malloc(LTUN_WIRE_MAX_CTRL);
		if (!wire_payload)
			abort();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	/* the whole stream is queued, then EOF: the peer sent this and left */
	if (size && send(sv[1], data, size, MSG_NOSIGNAL) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);

	err[0] = '\0';
	*len = (size_t)-1;
	ret = frame_recv(sv[0], type, wire_payload, len, err, errlen);
	if (ret < 0) {
		FUZZ_CHECK(ret == -1 && err[0], "refused without a reason");
		goto out;
	}
	FUZZ_CHECK(ret == 0, "frame_recv %d", ret);
	FUZZ_CHECK(*len <= LTUN_WIRE_MAX_CTRL && sizeof(struct ltun_wire_hdr) + *len <= size,
		   "payload of %zu from %zu bytes", *len, size);
	FUZZ_CHECK(*type == data[0] && !memcmp(wire_payload, data + 8, *len),
		   "frame differs from the bytes sent");

	/* exactly the frame was taken out of the socket */
	rest = malloc(size + 1);
	if (!rest)
		abort();
	for (;;) {
		ssize_t n = recv(sv[0], rest + got, size + 1 - got, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	FUZZ_CHECK(got == size - 8 - *len && !memcmp(rest, data + 8 + *len, got),
		   "frame_recv took %zu bytes of a %zu-byte frame out of the socket",
		   size - got, 8 + *len);
	free(rest);

	wire_len = *len;
	FUZZ_POISON(wire_payload + wire_len, LTUN_WIRE_MAX_CTRL - wire_len);
	*payload = wire_payload;
out:
	close(sv[0]);
	close(sv[1]);
	return ret;
}

void wire_done(void)
{
	if (wire_payload)
		FUZZ_UNPOISON(wire_payload, LTUN_WIRE_MAX_CTRL);
}

void check_refuse_text(const uint8_t *p, size_t len, size_t outlen)
{
	char *out = malloc(outlen);
	size_t n;

	if (!out)
		abort();
	memset(out, 'X', outlen);
	hello_refuse_text(p, len, out, outlen);
	n = strnlen(out, outlen);
	FUZZ_CHECK(n < outlen, "not NUL-terminated");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f,
			   "control byte %#x printed", (unsigned char)out[i]);
	free(out);
}

static char *fuzz_dir;

static void remove_dir(void)
{
	char cmd[4200];

	if (!fuzz_dir)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[4096];
	int fd;

	if (!fuzz_dir) {
		const char *tmp = getenv("FUZZ_TMPDIR");
		char tmpl[4096];

		/*
		 * Rewritten on every run: on ext4 a truncated file is flushed
		 * at close, which makes these targets 20 times slower than on
		 * tmpfs.
		 */
		if (!tmp || !*tmp)
			tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
		if (!tmp || !*tmp)
			tmp = "/tmp";
		snprintf(tmpl, sizeof(tmpl), "%s/ltun-fuzz.XXXXXX", tmp);
		fuzz_dir = strdup(tmpl);
		if (!fuzz_dir || !mkdtemp(fuzz_dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_dir);
	}
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
		perror("fuzz: writing the input file");
		abort();
	}
	return path;
}
