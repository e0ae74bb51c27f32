// SPDX-License-Identifier: GPL-2.0
/*
 * Control frames before the handoff. They travel through kTLS with plain
 * send/recv; reads are exact-length so that the first byte after WELCOME
 * stays in the kernel for the ltun module.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tls.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "hello.h"
#include "tls.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define TLS_RECORD_APPDATA	23
#define TLS_RECORD_ALERT	21
#define ADDR_TLV_LEN		20
#define TOKEN_TLV_LEN		(4 + HELLO_TOKEN_LEN)
#define FEATURES_TLV_LEN	4

static int send_all(int fd, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "send: %s",
				 errno == EAGAIN ? "timed out" : strerror(errno));
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(int fd, uint8_t type, const uint8_t *payload, size_t len,
		      char *err, size_t errlen)
{
	uint8_t buf[sizeof(struct ltun_wire_hdr) + LTUN_WIRE_MAX_CTRL];
	struct ltun_wire_hdr h = {
		.type = type,
		.len = htonl((uint32_t)len),
	};

	if (len > LTUN_WIRE_MAX_CTRL) {
		snprintf(err, errlen, "control frame too long");
		return -1;
	}
	/* One send, so one TLS record: the peer never sees half a frame. */
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	return send_all(fd, buf, sizeof(h) + len, err, errlen);
}

static uint8_t *put_addr(uint8_t *p, uint16_t type, const struct prefix *a)
{
	uint16_t t = htons(type), l = htons(ADDR_TLV_LEN);

	memcpy(p, &t, 2);
	memcpy(p + 2, &l, 2);
	p[4] = a->family == AF_INET ? 4 : 6;
	p[5] = a->plen;
	p[6] = p[7] = 0;
	memset(p + 8, 0, 16);
	memcpy(p + 8, a->addr, prefix_addr_len(a->family));
	return p + 4 + ADDR_TLV_LEN;
}

static uint8_t *put_token(uint8_t *p, uint16_t type, uint32_t id, const uint8_t *token)
{
	uint16_t t = htons(type), l = htons(TOKEN_TLV_LEN);
	uint32_t bid = htonl(id);

	memcpy(p, &t, 2);
	memcpy(p + 2, &l, 2);
	memcpy(p + 4, &bid, 4);
	memcpy(p + 8, token, HELLO_TOKEN_LEN);
	return p + 4 + TOKEN_TLV_LEN;
}

static uint8_t *put_u32(uint8_t *p, uint16_t type, uint32_t v)
{
	uint16_t t = htons(type), l = htons(FEATURES_TLV_LEN);
	uint32_t bv = htonl(v);

	memcpy(p, &t, 2);
	memcpy(p + 2, &l, 2);
	memcpy(p + 4, &bv, 4);
	return p + 4 + FEATURES_TLV_LEN;
}

/* The largest message hello_send can build: every list full, one token, features. */
#define HELLO_BUF_LEN (4 + (2 * HELLO_MAX_ADDRS + HELLO_MAX_PREFIXES + HELLO_MAX_ROUTES) * \
		       (4 + ADDR_TLV_LEN) + (4 + TOKEN_TLV_LEN) + (4 + FEATURES_TLV_LEN))
_Static_assert(HELLO_BUF_LEN <= LTUN_WIRE_MAX_CTRL, "HELLO/WELCOME must fit a control frame");

int hello_send(int fd, uint8_t type, const struct hello_msg *m, char *err, size_t errlen)
{
	uint8_t buf[HELLO_BUF_LEN];
	uint8_t *p = buf;

	/* Over-cap lists are a caller bug: say so rather than send a subset. */
	if (m->n_addr > HELLO_MAX_ADDRS || m->n_server > HELLO_MAX_ADDRS ||
	    m->n_prefix > HELLO_MAX_PREFIXES || m->n_route > HELLO_MAX_ROUTES ||
	    (m->has_token && m->has_renew)) {
		snprintf(err, errlen, "internal error: malformed hello to send");
		return -1;
	}
	*p++ = LTUN_WIRE_VERSION;
	*p++ = 0;
	*p++ = 0;
	*p++ = 0;
	for (size_t i = 0; i < m->n_addr; i++)
		p = put_addr(p, HELLO_TLV_ADDR, &m->addr[i]);
	for (size_t i = 0; i < m->n_server; i++)
		p = put_addr(p, HELLO_TLV_SERVER_ADDR, &m->server[i]);
	for (size_t i = 0; i < m->n_prefix; i++)
		p = put_addr(p, HELLO_TLV_PREFIX, &m->prefix[i]);
	for (size_t i = 0; i < m->n_route; i++)
		p = put_addr(p, HELLO_TLV_ROUTE, &m->route[i]);
	if (m->has_token)
		p = put_token(p, HELLO_TLV_TOKEN, m->peer_id, m->token);
	if (m->has_renew)
		p = put_token(p, HELLO_TLV_RENEW, m->peer_id, m->token);
	if (m->has_features)
		p = put_u32(p, HELLO_TLV_FEATURES, m->features);
	return send_frame(fd, type, buf, (size_t)(p - buf), err, errlen);
}

int hello_send_refuse(int fd, const char *reason, char *err, size_t errlen)
{
	size_t len = strlen(reason);

	if (len > HELLO_REFUSE_MAX)
		len = HELLO_REFUSE_MAX;
	return send_frame(fd, LTUN_WIRE_REFUSE, (const uint8_t *)reason, len, err, errlen);
}

/*
 * Exact-length read through kTLS. The cmsg buffer matters: without one,
 * kTLS fails recvmsg with EIO on a non-data record; with one it hands us
 * the record type, so an alert from the peer becomes a clear message.
 */
static int recv_exact(int fd, uint8_t *buf, size_t len, char *err, size_t errlen)
{
	size_t got = 0;

	while (got < len) {
		union {
			char buf[CMSG_SPACE(sizeof(unsigned char))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { .iov_base = buf + got, .iov_len = len - got };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *cm;
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_WAITALL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "receive: %s",
				 errno == EAGAIN ? "timed out" : strerror(errno));
			return -1;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			unsigned char rtype;

			if (cm->cmsg_level != SOL_TLS || cm->cmsg_type != TLS_GET_RECORD_TYPE)
				continue;
			rtype = *CMSG_DATA(cm);
			if (rtype == TLS_RECORD_APPDATA)
				continue;
			if (rtype == TLS_RECORD_ALERT && n >= 2)
				snprintf(err, errlen, "peer sent TLS alert: %s",
					 tls_alert_name(buf[got + 1]));
			else
				snprintf(err, errlen, "unexpected TLS record type %u", rtype);
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "connection closed by peer");
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

int frame_recv(int fd, uint8_t *type, uint8_t *payload, size_t *len,
	       char *err, size_t errlen)
{
	struct ltun_wire_hdr h;
	uint32_t l;

	if (recv_exact(fd, (uint8_t *)&h, sizeof(h), err, errlen) < 0)
		return -1;
	l = ntohl(h.len);
	if (h.flags || h.reserved) {
		snprintf(err, errlen, "malformed frame header (flags %#x)", h.flags);
		return -1;
	}
	if (l > LTUN_WIRE_MAX_CTRL) {
		snprintf(err, errlen, "control frame too long (%u bytes, type %u)", l, h.type);
		return -1;
	}
	if (recv_exact(fd, payload, l, err, errlen) < 0)
		return -1;
	*type = h.type;
	*len = l;
	return 0;
}

static const char *tlv_name(uint16_t t)
{
	switch (t) {
	case HELLO_TLV_ADDR:		return "ADDR";
	case HELLO_TLV_SERVER_ADDR:	return "SERVER_ADDR";
	case HELLO_TLV_PREFIX:		return "PREFIX";
	case HELLO_TLV_ROUTE:		return "ROUTE";
	case HELLO_TLV_TOKEN:		return "TOKEN";
	case HELLO_TLV_RENEW:		return "RENEW";
	case HELLO_TLV_FEATURES:	return "FEATURES";
	default:			return "unknown";
	}
}

/* One 20-byte address value, appended to list (at most cap entries). */
static int parse_addr_tlv(const uint8_t *v, uint16_t t, uint16_t l, struct prefix *list,
			  size_t *n, size_t cap, char *err, size_t errlen)
{
	struct prefix a = { 0 };

	if (l != ADDR_TLV_LEN || (v[0] != 4 && v[0] != 6)) {
		snprintf(err, errlen, "malformed hello: bad %s TLV", tlv_name(t));
		return -1;
	}
	a.family = v[0] == 4 ? AF_INET : AF_INET6;
	a.plen = v[1];
	if (a.plen > prefix_max_len(a.family)) {
		snprintf(err, errlen, "malformed hello: %s prefix length %u", tlv_name(t), a.plen);
		return -1;
	}
	/* An IPv4 value must not smuggle bytes past its 4-byte address. */
	for (size_t i = 4 + prefix_addr_len(a.family); i < ADDR_TLV_LEN; i++) {
		if (v[i]) {
			snprintf(err, errlen, "malformed hello: bad %s TLV", tlv_name(t));
			return -1;
		}
	}
	if (*n >= cap) {
		snprintf(err, errlen, "malformed hello: more than %zu %s TLVs", cap, tlv_name(t));
		return -1;
	}
	memcpy(a.addr, v + 4, prefix_addr_len(a.family));
	list[(*n)++] = a;
	return 0;
}

int hello_parse(const uint8_t *p, size_t len, struct hello_msg *m, char *err, size_t errlen)
{
	size_t off = 4;

	memset(m, 0, sizeof(*m));
	if (len < 4) {
		snprintf(err, errlen, "malformed hello: too short");
		return -1;
	}
	m->version = p[0];
	if (m->version != LTUN_WIRE_VERSION)
		return 0;	/* the caller refuses, naming both versions */
	while (off < len) {
		const uint8_t *v;
		uint16_t t, l;
		int ret = 0;

		if (len - off < 4) {
			snprintf(err, errlen, "malformed hello: truncated TLV");
			return -1;
		}
		memcpy(&t, p + off, 2);
		memcpy(&l, p + off + 2, 2);
		t = ntohs(t);
		l = ntohs(l);
		off += 4;
		if (l > len - off) {
			snprintf(err, errlen, "malformed hello: TLV %u overruns the frame", t);
			return -1;
		}
		v = p + off;
		switch (t) {
		case HELLO_TLV_ADDR:
			ret = parse_addr_tlv(v, t, l, m->addr, &m->n_addr, HELLO_MAX_ADDRS,
					     err, errlen);
			break;
		case HELLO_TLV_SERVER_ADDR:
			ret = parse_addr_tlv(v, t, l, m->server, &m->n_server, HELLO_MAX_ADDRS,
					     err, errlen);
			break;
		case HELLO_TLV_PREFIX:
			ret = parse_addr_tlv(v, t, l, m->prefix, &m->n_prefix,
					     HELLO_MAX_PREFIXES, err, errlen);
			break;
		case HELLO_TLV_ROUTE:
			ret = parse_addr_tlv(v, t, l, m->route, &m->n_route, HELLO_MAX_ROUTES,
					     err, errlen);
			break;
		case HELLO_TLV_TOKEN:
		case HELLO_TLV_RENEW: {
			uint32_t id;

			if (l != TOKEN_TLV_LEN) {
				snprintf(err, errlen, "malformed hello: bad %s TLV", tlv_name(t));
				return -1;
			}
			/* One session reference per message: they share peer_id/token. */
			if (m->has_token || m->has_renew) {
				snprintf(err, errlen, "malformed hello: more than one TOKEN/RENEW");
				return -1;
			}
			memcpy(&id, v, 4);
			m->peer_id = ntohl(id);
			memcpy(m->token, v + 4, HELLO_TOKEN_LEN);
			if (t == HELLO_TLV_TOKEN)
				m->has_token = 1;
			else
				m->has_renew = 1;
			break;
		}
		case HELLO_TLV_FEATURES: {
			uint32_t f;

			if (l != FEATURES_TLV_LEN) {
				snprintf(err, errlen, "malformed hello: bad %s TLV", tlv_name(t));
				return -1;
			}
			if (m->has_features) {
				snprintf(err, errlen, "malformed hello: more than one FEATURES");
				return -1;
			}
			memcpy(&f, v, 4);
			m->features = ntohl(f);
			m->has_features = 1;
			break;
		}
		default:
			/* unknown TLVs are skipped: newer peers may add some */
			break;
		}
		if (ret < 0)
			return -1;
		off += l;
	}
	return 0;
}

void hello_refuse_text(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outlen; i++)
		out[o++] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
	out[o] = '\0';
	if (!o)
		snprintf(out, outlen, "(no reason given)");
}
