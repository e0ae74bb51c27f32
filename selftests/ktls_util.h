/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: a connected TCP pair over loopback, optionally with kTLS on
 * both ends using fixed keys, so kernel tests can hand the module a socket
 * without ltunctl or a TLS handshake.
 */
#ifndef LTUN_SELFTEST_KTLS_UTIL_H
#define LTUN_SELFTEST_KTLS_UTIL_H

#include <stdbool.h>
#include <sys/socket.h>

/*
 * Connected TCP pair over 127.0.0.1 (family AF_INET) or ::1 (AF_INET6):
 * fds[0] is the connecting end, fds[1] the accepted end. 0 or -errno.
 */
int tcp_pair(int family, int fds[2]);

/* Listening TCP socket on loopback, and an unconnected one. */
int tcp_listener(int family);
int tcp_unconnected(int family);

/*
 * kTLS (TLS 1.3, AES-GCM-128) on fd. side 0 and side 1 use mirrored fixed
 * keys, so side 0's TX key is side 1's RX key and vice versa.
 */
int ktls_set_tx(int fd, int side);
int ktls_set_rx(int fd, int side);
int ktls_set_both(int fd, int side);

/* tcp_pair() with kTLS TX+RX on both ends. */
int ktls_pair(int family, int fds[2]);

/* Bring the loopback device up (a fresh netns has it down). */
int loopback_up(void);

#endif
