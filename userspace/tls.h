/* SPDX-License-Identifier: GPL-2.0 */
/* TLS 1.3 handshake with GnuTLS, then kernel TLS (kTLS) on the socket. */
#ifndef LTUNCTL_TLS_H
#define LTUNCTL_TLS_H

#include <stdbool.h>
#include <stddef.h>

#define TLS_HANDSHAKE_TIMEOUT_MS 10000

struct tls_creds;

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
