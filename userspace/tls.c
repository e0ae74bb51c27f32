// SPDX-License-Identifier: GPL-2.0
/*
 * GnuTLS does the TLS 1.3 handshake; the record layer then moves into the
 * kernel (kTLS) so that the ltun module can send and receive on the socket
 * by itself. That handoff is only sound if GnuTLS never needs the session
 * again: no session tickets (the server would send them as records after
 * the handshake), no post-handshake auth, no key update, and nothing
 * decrypted but unread left in GnuTLS's buffers.
 */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "addr.h"
#include "tls.h"
#include "tlsid.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

/*
 * TLS 1.3 only, and only ciphers every kTLS we support can take over
 * (ChaCha20-Poly1305 since Linux 5.11, so on every supported kernel);
 * the "cipher" option picks and orders them.
 */
#define TLS_PRIORITY_BASE "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL"

static const struct {
	const char *name;	/* ours, as in the "cipher" option */
	const char *gnutls;	/* in a GnuTLS priority string */
} cipher_tab[TLS_CIPHERS_MAX] = {
	{ "aes-128-gcm", "AES-128-GCM" },
	{ "aes-256-gcm", "AES-256-GCM" },
	{ "chacha20-poly1305", "CHACHA20-POLY1305" },
};

/* Longest: the base and every cipher with its ":+". */
#define TLS_PRIORITY_LEN (sizeof(TLS_PRIORITY_BASE) + TLS_CIPHERS_MAX * 24)

struct tls_creds {
	gnutls_certificate_credentials_t cred;
	bool have_ca;
	unsigned int timeout_ms;
	struct tls_ciphers ciphers;
	char priority[TLS_PRIORITY_LEN];
};

int tls_ciphers_parse(const char *list, struct tls_ciphers *out, char *err, size_t errlen)
{
	const char *p = list;

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *start, *end;
		size_t len, i;

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		len = (size_t)(end - start);
		if (!len) {
			snprintf(err, errlen, "%s", *list ? "empty name in the cipher list"
							  : "empty cipher list");
			return -1;
		}
		for (i = 0; i < TLS_CIPHERS_MAX; i++)
			if (strlen(cipher_tab[i].name) == len &&
			    !strncasecmp(cipher_tab[i].name, start, len))
				break;
		if (i == TLS_CIPHERS_MAX) {
			snprintf(err, errlen, "unknown cipher '%.*s' (known: %s)",
				 len > 64 ? 64 : (int)len, start, TLS_CIPHERS_DEFAULT);
			return -1;
		}
		for (unsigned int j = 0; j < out->n; j++) {
			if (out->idx[j] == i) {
				snprintf(err, errlen, "cipher '%s' given twice", cipher_tab[i].name);
				return -1;
			}
		}
		out->idx[out->n++] = (unsigned char)i;
		if (!*p)
			return 0;
		p++;	/* the comma: a name must follow */
	}
}

const char *tls_ciphers_str(const struct tls_ciphers *cs, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < cs->n && i < TLS_CIPHERS_MAX && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					cipher_tab[cs->idx[i] % TLS_CIPHERS_MAX].name);
	return buf;
}

void tls_creds_set_ciphers(struct tls_creds *c, const struct tls_ciphers *cs)
{
	size_t off = (size_t)snprintf(c->priority, sizeof(c->priority), "%s",
				      TLS_PRIORITY_BASE);

	c->ciphers = *cs;
	/* GnuTLS prefers the ciphers in the order they are added. */
	for (unsigned int i = 0; i < cs->n && i < TLS_CIPHERS_MAX; i++)
		off += (size_t)snprintf(c->priority + off, sizeof(c->priority) - off, ":+%s",
					cipher_tab[cs->idx[i] % TLS_CIPHERS_MAX].gnutls);
}

struct tls_creds *tls_creds_load(const char *cert, const char *key, const char *ca,
				 char *err, size_t errlen)
{
	struct tls_creds *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->timeout_ms = TLS_HANDSHAKE_TIMEOUT_MS;
	{
		struct tls_ciphers all = { .n = TLS_CIPHERS_MAX, .idx = { 0, 1, 2 } };

		tls_creds_set_ciphers(c, &all);
	}
	ret = gnutls_certificate_allocate_credentials(&c->cred);
	if (ret < 0) {
		snprintf(err, errlen, "gnutls: %s", gnutls_strerror(ret));
		free(c);
		return NULL;
	}
	if (cert) {
		ret = gnutls_certificate_set_x509_key_file(c->cred, cert, key,
							   GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			snprintf(err, errlen, "loading cert %s / key %s: %s",
				 cert, key, gnutls_strerror(ret));
			goto fail;
		}
	}
	if (ca) {
		ret = gnutls_certificate_set_x509_trust_file(c->cred, ca,
							     GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			snprintf(err, errlen, "loading ca %s: %s", ca, gnutls_strerror(ret));
			goto fail;
		}
		if (ret == 0) {
			snprintf(err, errlen, "loading ca %s: no certificate in file", ca);
			goto fail;
		}
		c->have_ca = true;
	}
	return c;
fail:
	gnutls_certificate_free_credentials(c->cred);
	free(c);
	return NULL;
}

int tls_creds_set_crl(struct tls_creds *c, const char *crl, char *err, size_t errlen)
{
	gnutls_x509_trust_list_t tl;
	int ret;

	if (!c->have_ca) {
		snprintf(err, errlen, "crl %s: a CRL needs a ca", crl);
		return -1;
	}
	/*
	 * Through the trust list rather than
	 * gnutls_certificate_set_x509_crl_file(): that one takes any CRL
	 * unchecked, and a CRL from another issuer would silently revoke
	 * nothing. Here each must verify against the CAs loaded already.
	 */
	gnutls_certificate_get_trust_list(c->cred, &tl);
	for (int fmt = GNUTLS_X509_FMT_PEM;; fmt = GNUTLS_X509_FMT_DER) {
		ret = gnutls_x509_trust_list_add_trust_file(tl, NULL, crl,
							    (gnutls_x509_crt_fmt_t)fmt,
							    GNUTLS_TL_VERIFY_CRL |
							    GNUTLS_TL_FAIL_ON_INVALID_CRL, 0);
		/* DER only if the file has no PEM CRL at all */
		if (fmt == GNUTLS_X509_FMT_DER || (ret != 0 && ret != GNUTLS_E_BASE64_DECODING_ERROR &&
						   ret != GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR))
			break;
	}
	/* the check includes the CRL's dates: not past its next update */
	if (ret == GNUTLS_E_CRL_VERIFICATION_ERROR) {
		snprintf(err, errlen, "crl %s: does not verify: not issued by a CA in the ca "
			 "file, or past its next update", crl);
		return -1;
	}
	if (ret == 0 || ret == GNUTLS_E_ASN1_TAG_ERROR || ret == GNUTLS_E_ASN1_DER_ERROR ||
	    ret == GNUTLS_E_BASE64_DECODING_ERROR) {
		snprintf(err, errlen, "loading crl %s: no CRL in file (PEM or DER)", crl);
		return -1;
	}
	if (ret < 0) {
		snprintf(err, errlen, "loading crl %s: %s", crl, gnutls_strerror(ret));
		return -1;
	}
	return 0;
}

void tls_creds_set_timeout(struct tls_creds *c, unsigned int ms)
{
	c->timeout_ms = ms;
}

void tls_creds_free(struct tls_creds *c)
{
	if (!c)
		return;
	gnutls_certificate_free_credentials(c->cred);
	free(c);
}

const char *tls_alert_name(unsigned int desc)
{
	const char *n = gnutls_alert_get_name((gnutls_alert_description_t)desc);

	return n ? n : "unknown alert";
}

/*
 * Short names for what a verification found wrong, most telling first:
 * these are what log lines and tests match on; GnuTLS's own wording
 * follows in parentheses.
 */
static const struct {
	unsigned int bit;
	const char *why;
} verify_why[] = {
	{ GNUTLS_CERT_REVOKED, "certificate revoked" },
	{ GNUTLS_CERT_EXPIRED, "certificate expired" },
	{ GNUTLS_CERT_NOT_ACTIVATED, "certificate not yet valid" },
	{ GNUTLS_CERT_SIGNER_NOT_FOUND, "unknown CA" },
	{ GNUTLS_CERT_SIGNER_NOT_CA, "issuer is not a CA" },
	{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
	{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
	{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "issuer constraints violated" },
	{ GNUTLS_CERT_PURPOSE_MISMATCH, "wrong key purpose" },
	{ GNUTLS_CERT_UNEXPECTED_OWNER, "name does not match" },
	{ GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, "CRL out of date" },
	{ GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE, "CRL issued in the future" },
	{ GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "unknown critical extension" },
};

static void verify_error(gnutls_session_t s, bool server, char *err, size_t errlen)
{
	unsigned int status = gnutls_session_get_verify_cert_status(s);
	gnutls_datum_t out = { 0 };
	char why[256] = "";
	size_t off = 0;

	for (size_t i = 0; i < sizeof(verify_why) / sizeof(verify_why[0]); i++) {
		if (!(status & verify_why[i].bit) || off >= sizeof(why))
			continue;
		off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s", off ? ", " : "",
					verify_why[i].why);
	}
	if (!why[0])
		snprintf(why, sizeof(why), "not trusted");
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
		size_t l = strlen((const char *)out.data);

		while (l && out.data[l - 1] == ' ')
			out.data[--l] = '\0';
	}
	snprintf(err, errlen, "%s certificate verification failed: %s%s%s%s",
		 server ? "client" : "server", why, out.data ? " (" : "",
		 out.data ? (const char *)out.data : "", out.data ? ")" : "");
	gnutls_free(out.data);
}

/* Explain a failed handshake, with the verification detail if any. */
static void handshake_error(gnutls_session_t s, const struct tls_creds *c, int ret, bool server,
			    char *err, size_t errlen)
{
	char list[64];

	if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		verify_error(s, server, err, errlen);
		return;
	}
	if (ret == GNUTLS_E_CERTIFICATE_REQUIRED && server) {
		snprintf(err, errlen, "TLS handshake failed: Certificate is required: "
			 "no client certificate (or none from a CA this server trusts)");
		return;
	}
	/*
	 * A TLS 1.2 ClientHello reaches a TLS 1.3-only server as "no cipher
	 * suites" (none of its suites is for 1.2); the version GnuTLS was
	 * about to use is the client's highest.
	 */
	if (ret == GNUTLS_E_UNSUPPORTED_VERSION_PACKET || ret == GNUTLS_E_NO_CIPHER_SUITES) {
		gnutls_protocol_t v = gnutls_protocol_get_version(s);
		const char *side = server ? "client" : "server";

		if (v >= GNUTLS_SSL3 && v < GNUTLS_TLS1_3) {
			snprintf(err, errlen, "TLS handshake failed: TLS version not supported: "
				 "the %s offers %s at most, TLS 1.3 is required", side,
				 gnutls_protocol_get_name(v));
			return;
		}
		if (ret == GNUTLS_E_UNSUPPORTED_VERSION_PACKET) {
			snprintf(err, errlen, "TLS handshake failed: TLS version not supported: "
				 "the %s does not offer TLS 1.3", side);
			return;
		}
		/* a TLS 1.3 peer, then: its ciphers and ours do not meet */
		snprintf(err, errlen, "TLS handshake failed: no cipher in common: the %s "
			 "offers none of %s", side,
			 tls_ciphers_str(&c->ciphers, list, sizeof(list)));
		return;
	}
	if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED || ret == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		gnutls_alert_description_t a = gnutls_alert_get(s);

		/* what a server without a cipher of ours answers */
		snprintf(err, errlen, "TLS handshake failed: peer sent alert: %s%s%s%s",
			 tls_alert_name(a), !server && a == GNUTLS_A_HANDSHAKE_FAILURE ?
			 " (no cipher in common? this client offers " : "",
			 !server && a == GNUTLS_A_HANDSHAKE_FAILURE ?
			 tls_ciphers_str(&c->ciphers, list, sizeof(list)) : "",
			 !server && a == GNUTLS_A_HANDSHAKE_FAILURE ? ")" : "");
		return;
	}
	if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_TIMEDOUT) {
		snprintf(err, errlen, "TLS handshake timed out");
		return;
	}
	if (ret == GNUTLS_E_PREMATURE_TERMINATION || ret == GNUTLS_E_PUSH_ERROR ||
	    ret == GNUTLS_E_PULL_ERROR) {
		snprintf(err, errlen, "TLS handshake failed: connection closed by peer");
		return;
	}
	snprintf(err, errlen, "TLS handshake failed: %s", gnutls_strerror(ret));
}

/*
 * One direction's kTLS parameters. For TLS 1.3 the kernel builds the nonce
 * from salt || iv (the 12-byte static IV of the traffic secret) XORed with
 * the record sequence number, exactly like the RFC 8446 per-record nonce.
 */
union ktls_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

static int ktls_fill(gnutls_session_t s, gnutls_cipher_algorithm_t cipher,
		     unsigned int read, union ktls_info *ki, socklen_t *len,
		     char *err, size_t errlen)
{
	gnutls_datum_t iv, key;
	unsigned char seq[8];
	int ret;

	ret = gnutls_record_get_state(s, read, NULL, &iv, &key, seq);
	if (ret < 0) {
		snprintf(err, errlen, "reading TLS record state: %s", gnutls_strerror(ret));
		return -1;
	}
	memset(ki, 0, sizeof(*ki));
	ki->info.version = TLS_1_3_VERSION;
	if (iv.size != 12)
		goto bad;
	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		if (key.size != TLS_CIPHER_AES_GCM_128_KEY_SIZE)
			goto bad;
		ki->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ki->aes128.salt, iv.data, 4);
		memcpy(ki->aes128.iv, iv.data + 4, 8);
		memcpy(ki->aes128.key, key.data, key.size);
		memcpy(ki->aes128.rec_seq, seq, 8);
		*len = sizeof(ki->aes128);
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		if (key.size != TLS_CIPHER_AES_GCM_256_KEY_SIZE)
			goto bad;
		ki->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ki->aes256.salt, iv.data, 4);
		memcpy(ki->aes256.iv, iv.data + 4, 8);
		memcpy(ki->aes256.key, key.data, key.size);
		memcpy(ki->aes256.rec_seq, seq, 8);
		*len = sizeof(ki->aes256);
		break;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		if (key.size != TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE)
			goto bad;
		/* ChaCha20-Poly1305 has no salt: the whole 12-byte IV goes in iv. */
		ki->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(ki->chacha.iv, iv.data, 12);
		memcpy(ki->chacha.key, key.data, key.size);
		memcpy(ki->chacha.rec_seq, seq, 8);
		*len = sizeof(ki->chacha);
		break;
	default:
		snprintf(err, errlen, "negotiated cipher %s is not supported by kTLS",
			 gnutls_cipher_get_name(cipher));
		return -1;
	}
	explicit_bzero(seq, sizeof(seq));
	return 0;
bad:
	explicit_bzero(seq, sizeof(seq));
	snprintf(err, errlen, "unexpected key/iv size from GnuTLS (key %u, iv %u)",
		 key.size, iv.size);
	return -1;
}

/*
 * The peer closed the connection right after the handshake, before kTLS
 * was on: in TLS 1.3 that is how a server rejects our client certificate
 * (its alert comes after our Finished). The socket is still plain TCP and
 * GnuTLS still owns it, so let GnuTLS read that alert for a useful reason.
 */
static void closed_after_handshake(gnutls_session_t s, char *err, size_t errlen)
{
	char byte;
	ssize_t r;

	gnutls_record_set_timeout(s, 1000);
	r = gnutls_record_recv(s, &byte, 1);
	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED || r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		snprintf(err, errlen, "peer closed the connection after the handshake "
			 "with TLS alert: %s", tls_alert_name(gnutls_alert_get(s)));
	else
		snprintf(err, errlen, "peer closed the connection after the handshake");
}

static int ktls_enable(int fd, gnutls_session_t s, char *err, size_t errlen)
{
	gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(s);
	union ktls_info tx, rx;
	socklen_t txlen = 0, rxlen = 0;
	int ret = -1;

	if (ktls_fill(s, cipher, 0, &tx, &txlen, err, errlen) < 0 ||
	    ktls_fill(s, cipher, 1, &rx, &rxlen, err, errlen) < 0)
		goto out;
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		if (errno == ENOTCONN)
			closed_after_handshake(s, err, errlen);
		else
			snprintf(err, errlen,
				 "kernel TLS unavailable: setsockopt TCP_ULP \"tls\": %s%s",
				 strerror(errno), errno == ENOENT ? " (modprobe tls)" : "");
		goto out;
	}
	if (setsockopt(fd, SOL_TLS, TLS_TX, &tx, txlen) < 0) {
		snprintf(err, errlen, "kernel TLS: setsockopt TLS_TX (%s): %s",
			 gnutls_cipher_get_name(cipher), strerror(errno));
		goto out;
	}
	if (setsockopt(fd, SOL_TLS, TLS_RX, &rx, rxlen) < 0) {
		snprintf(err, errlen, "kernel TLS: setsockopt TLS_RX (%s): %s",
			 gnutls_cipher_get_name(cipher), strerror(errno));
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(&tx, sizeof(tx));
	explicit_bzero(&rx, sizeof(rx));
	return ret;
}

int tls_handshake_ktls(int fd, struct tls_creds *c, bool server,
		       const char *verify_name, char *cipher, size_t cipherlen,
		       char *err, size_t errlen)
{
	return tls_handshake_ktls_id(fd, c, server, verify_name, cipher, cipherlen,
				     NULL, 0, err, errlen);
}

int tls_handshake_ktls_id(int fd, struct tls_creds *c, bool server,
			  const char *verify_name, char *cipher, size_t cipherlen,
			  char *identity, size_t identitylen, char *err, size_t errlen)
{
	gnutls_session_t s;
	const char *errpos = NULL;
	int ret;

	/*
	 * GNUTLS_NO_TICKETS: a server would otherwise send NewSessionTicket
	 * records right after the handshake, which kTLS RX on the client
	 * would then have to parse as non-data records.
	 */
	ret = gnutls_init(&s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_TICKETS);
	if (ret < 0) {
		snprintf(err, errlen, "gnutls_init: %s", gnutls_strerror(ret));
		return -1;
	}
	ret = gnutls_priority_set_direct(s, c->priority, &errpos);
	if (ret < 0) {
		snprintf(err, errlen, "TLS priority string at \"%s\": %s",
			 errpos ? errpos : "?", gnutls_strerror(ret));
		goto fail;
	}
	ret = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred);
	if (ret < 0) {
		snprintf(err, errlen, "gnutls credentials: %s", gnutls_strerror(ret));
		goto fail;
	}
	if (server) {
		if (c->have_ca) {
			gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
			gnutls_session_set_verify_cert(s, NULL, 0);
		}
	} else {
		/* SNI must be a DNS name (RFC 6066), never an IP literal. */
		if (verify_name && !str_is_ip_literal(verify_name))
			gnutls_server_name_set(s, GNUTLS_NAME_DNS, verify_name,
					       strlen(verify_name));
		gnutls_session_set_verify_cert(s, verify_name, 0);
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, c->timeout_ms);

	do {
		ret = gnutls_handshake(s);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret < 0) {
		handshake_error(s, c, ret, server, err, errlen);
		/* Tell the other side why (bad certificate etc.), best effort. */
		if (ret != GNUTLS_E_FATAL_ALERT_RECEIVED && ret != GNUTLS_E_PREMATURE_TERMINATION)
			gnutls_alert_send_appropriate(s, ret);
		goto fail;
	}
	if (gnutls_protocol_get_version(s) != GNUTLS_TLS1_3) {
		snprintf(err, errlen, "negotiated %s, need TLS 1.3",
			 gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
		goto fail;
	}
	/* Bytes GnuTLS already decrypted would never reach the kernel. */
	if (gnutls_record_check_pending(s) != 0) {
		snprintf(err, errlen, "peer sent application data during the handshake");
		goto fail;
	}
	/* before kTLS: a refused identity must not cost a kTLS setup */
	if (identity && tls_peer_identity(s, identity, identitylen, err, errlen) < 0)
		goto fail;
	if (ktls_enable(fd, s, err, errlen) < 0)
		goto fail;
	if (cipher)
		snprintf(cipher, cipherlen, "%s", gnutls_cipher_get_name(gnutls_cipher_get(s)));
	/*
	 * No gnutls_bye(): the kernel owns the record layer (and its sequence
	 * numbers) now; anything GnuTLS wrote would desynchronise it.
	 * gnutls_deinit() wipes the session's key material.
	 */
	gnutls_deinit(s);
	return 0;
fail:
	gnutls_deinit(s);
	return -1;
}
