/* SPDX-License-Identifier: GPL-2.0 */
/* TLS 1.3 handshake with GnuTLS, then kernel TLS (kTLS) on the socket. */
#ifndef LTUNCTL_TLS_H
#define LTUNCTL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_HANDSHAKE_TIMEOUT_MS 10000

struct tls_creds;

/*
 * The TLS 1.3 ciphers kTLS implements, by the names of the "cipher"
 * option: aes-128-gcm, aes-256-gcm, chacha20-poly1305 (all three, in
 * this order, by default).
 */
#define TLS_CIPHERS_MAX 3
#define TLS_CIPHERS_DEFAULT "aes-128-gcm,aes-256-gcm,chacha20-poly1305"

struct tls_ciphers {
	unsigned int n;
	unsigned char idx[TLS_CIPHERS_MAX];	/* into the table in tls.c, preferred first */
};

/*
 * Parse a comma-separated preference list (blanks around names allowed,
 * names case-insensitive, each at most once, not empty). Returns 0, or -1
 * with a one-line reason in err.
 */
int tls_ciphers_parse(const char *list, struct tls_ciphers *out, char *err, size_t errlen);
/* The canonical "aes-128-gcm,aes-256-gcm" form of cs. */
const char *tls_ciphers_str(const struct tls_ciphers *cs, char *buf, size_t len);

/*
 * Load credentials. cert/key (both or neither) are our own certificate;
 * ca is the trust anchor used to verify the other side (client: required,
 * server: optional, and when given clients must present a certificate).
 * Returns NULL with a reason in err.
 */
struct tls_creds *tls_creds_load(const char *cert, const char *key, const char *ca,
				 char *err, size_t errlen);
void tls_creds_free(struct tls_creds *c);

/*
 * Add the certificate revocation list(s) in PEM (or DER) file crl to the
 * trust anchors of c (which must have a ca). Each must be signed by a
 * trusted CA. Returns 0, or -1 with a reason in err.
 */
int tls_creds_set_crl(struct tls_creds *c, const char *crl, char *err, size_t errlen);

/*
 * Offer (client) or accept (server) only the ciphers of cs. The client's
 * order decides among the ciphers both sides allow (GnuTLS's default: the
 * server picks the first of the client's list it accepts); a server whose
 * list shares none with the client's refuses the handshake, and says so.
 */
void tls_creds_set_ciphers(struct tls_creds *c, const struct tls_ciphers *cs);

/* Whole-handshake time limit (default TLS_HANDSHAKE_TIMEOUT_MS). */
void tls_creds_set_timeout(struct tls_creds *c, unsigned int ms);

/*
 * Run the TLS 1.3 handshake on the connected blocking socket fd and
 * switch it to kTLS for both directions. server selects the role;
 * verify_name (client only) is the name or IP the server certificate must
 * match. On success returns 0 and, if cipher is non-NULL, the cipher name;
 * GnuTLS state is gone and fd is a plain kTLS socket. On failure returns
 * -1 with a one-line reason in err; a certificate the other side sent
 * that does not verify gives "client|server certificate verification
 * failed: WHY (GnuTLS's detail)", WHY naming each problem found:
 * "unknown CA", "certificate expired", "certificate not yet valid",
 * "certificate revoked", "name does not match", ...
 */
int tls_handshake_ktls(int fd, struct tls_creds *c, bool server,
		       const char *verify_name, char *cipher, size_t cipherlen,
		       char *err, size_t errlen);

/*
 * As tls_handshake_ktls, and (server) the verified client certificate's
 * identity into identity (see tls_peer_identity(); "" without one).
 */
int tls_handshake_ktls_id(int fd, struct tls_creds *c, bool server,
			  const char *verify_name, char *cipher, size_t cipherlen,
			  char *identity, size_t identitylen, char *err, size_t errlen);

/* Human name of an alert description (for alerts read through kTLS). */
const char *tls_alert_name(unsigned int desc);

#endif
