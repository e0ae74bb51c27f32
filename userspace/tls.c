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
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "addr.h"
#include "tls.h"
#include "tlsid.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

/* TLS 1.3 only, and only ciphers every kTLS we support can take over. */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:" \
		     "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"

struct tls_creds {
	gnutls_certificate_credentials_t cred;
	bool have_ca;
};

struct tls_creds *tls_creds_load(const char *cert, const char *key, const char *ca,
				 char *err, size_t errlen)
{
	struct tls_creds *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
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

/* Explain a failed handshake, with the verification detail if any. */
static void handshake_error(gnutls_session_t s, int ret, char *err, size_t errlen)
{
	if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		unsigned int status = gnutls_session_get_verify_cert_status(s);
		gnutls_datum_t out = { 0 };

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
								 &out, 0) == 0) {
			size_t l = strlen((const char *)out.data);

			while (l && out.data[l - 1] == ' ')
				out.data[--l] = '\0';
			snprintf(err, errlen, "certificate verification failed: %s",
				 (const char *)out.data);
			gnutls_free(out.data);
			return;
		}
	}
	if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED || ret == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		snprintf(err, errlen, "TLS handshake failed: peer sent alert: %s",
			 tls_alert_name(gnutls_alert_get(s)));
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
	ret = gnutls_priority_set_direct(s, TLS_PRIORITY, &errpos);
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
	gnutls_handshake_set_timeout(s, TLS_HANDSHAKE_TIMEOUT_MS);

	do {
		ret = gnutls_handshake(s);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret < 0) {
		handshake_error(s, ret, err, errlen);
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
