// SPDX-License-Identifier: GPL-2.0
/*
 * Certificate identity: what policy rules, pool stickiness, the auth hook
 * and the peer's NAME key on. It ends up in log lines, environment
 * variables and a netlink string, so it must be one printable line.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/x509.h>

#include "tlsid.h"

static bool printable(const char *s, size_t len)
{
	if (!len || strlen(s) != len)	/* embedded NUL */
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int first_san(gnutls_x509_crt_t crt, char *out, size_t outlen)
{
	for (unsigned int seq = 0; seq < 64; seq++) {
		char buf[256];
		size_t size = sizeof(buf) - 1;
		unsigned int critical;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &size, &critical);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0)
			continue;
		if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME) {
			buf[size] = '\0';
			if (!printable(buf, size))
				return -1;
			snprintf(out, outlen, "%s", buf);
			return 1;
		}
		if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, a, sizeof(a));
			snprintf(out, outlen, "%s", a);
			return 1;
		}
	}
	return 0;
}

int tls_peer_identity(gnutls_session_t s, char *out, size_t outlen, char *why, size_t whylen)
{
	const gnutls_datum_t *chain;
	unsigned int n = 0;
	gnutls_x509_crt_t crt;
	char cn[256];
	size_t size = sizeof(cn) - 1;
	int ret, rc = -1;

	out[0] = '\0';
	chain = gnutls_certificate_get_peers(s, &n);
	if (!chain || !n)
		return 0;
	if (gnutls_x509_crt_init(&crt) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		snprintf(why, whylen, "cannot parse the client certificate");
		goto out;
	}
	ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &size);
	if (ret == 0 && size) {
		cn[size < sizeof(cn) ? size : sizeof(cn) - 1] = '\0';
		if (!printable(cn, strlen(cn)) || size >= outlen) {
			snprintf(why, whylen, "client certificate CN is not a printable identity");
			goto out;
		}
		snprintf(out, outlen, "%s", cn);
		rc = 0;
		goto out;
	}
	if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER) {
		snprintf(why, whylen, "client certificate CN is too long");
		goto out;
	}
	if (first_san(crt, out, outlen) < 0) {
		snprintf(why, whylen, "client certificate name is not a printable identity");
		goto out;
	}
	rc = 0;
out:
	gnutls_x509_crt_deinit(crt);
	return rc;
}
