/* SPDX-License-Identifier: GPL-2.0 */
/* The identity of a verified client certificate, for the server. */
#ifndef LTUNCTL_TLSID_H
#define LTUNCTL_TLSID_H

#include <stddef.h>

#include <gnutls/gnutls.h>

/*
 * The peer certificate's subject CN, else its first DNS name, email or IP
 * address SAN, into out ("" when the peer sent no certificate). Call only
 * once the handshake verified the certificate. Returns 0, or -1 with a
 * reason in out's stead in why: an identity that is too long or not
 * printable is refused rather than mangled, so two certificates never
 * map to one identity.
 */
int tls_peer_identity(gnutls_session_t s, char *out, size_t outlen, char *why, size_t whylen);

#endif
