/* SPDX-License-Identifier: GPL-2.0 */
/* The peer's TCP socket: checks, callback hooks, reads. */
#ifndef _LTUN_SOCK_H
#define _LTUN_SOCK_H

#include <linux/net.h>
#include <linux/netlink.h>

struct bio_vec;

struct ltun_conn;

/* TLS record content types (RFC 8446, section 5.1). */
#define LTUN_TLS_ALERT		21
#define LTUN_TLS_HANDSHAKE	22
#define LTUN_TLS_APP_DATA	23

int ltun_sock_check(struct socket *sock, u32 flags, u16 *cipher, u16 *version,
		    struct netlink_ext_ack *extack);
int ltun_sock_attach(struct ltun_conn *conn);
void ltun_sock_detach(struct ltun_conn *conn);
u64 ltun_sock_records(struct socket *sock, bool tx);
int ltun_sock_recv(struct socket *sock, const struct bio_vec *bv,
		   unsigned int nr, size_t len, size_t skip, u8 *rtype);

#endif /* _LTUN_SOCK_H */
