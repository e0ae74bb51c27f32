// SPDX-License-Identifier: GPL-2.0
/*
 * TCP/kTLS test helpers (see ktls_util.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/tls.h>

#include "ktls_util.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static socklen_t loopback_addr(int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s4);
	}
}

int tcp_listener(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_addr(family, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* port 0: the kernel picks a free one, read back with getsockname */
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int tcp_unconnected(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

int tcp_pair(int family, int fds[2])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int lfd, cfd, afd, e;

	lfd = tcp_listener(family);
	if (lfd < 0)
		return lfd;
	if (getsockname(lfd, (struct sockaddr *)&ss, &len))
		goto fail_l;
	cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		goto fail_l;
	if (connect(cfd, (struct sockaddr *)&ss, len))
		goto fail_c;
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0)
		goto fail_c;
	close(lfd);
	fds[0] = cfd;
	fds[1] = afd;
	return 0;
fail_c:
	e = errno;
	close(cfd);
	close(lfd);
	return -e;
fail_l:
	e = errno;
	close(lfd);
	return -e;
}

/* Fixed test keys: never use outside tests. */
static void fill_crypto(struct tls12_crypto_info_aes_gcm_128 *ci, int dir)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	memset(ci->key, 0x10 + dir, sizeof(ci->key));
	memset(ci->iv, 0x20 + dir, sizeof(ci->iv));
	memset(ci->salt, 0x30 + dir, sizeof(ci->salt));
	/* rec_seq starts at 0, as after a fresh handshake */
}

static int ensure_ulp(int fd)
{
	char ulp[16] = "";
	socklen_t len = sizeof(ulp);

	if (!getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) &&
	    !strcmp(ulp, "tls"))
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		return -errno;
	return 0;
}

static int ktls_set(int fd, int optname, int dir)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	int ret = ensure_ulp(fd);

	if (ret)
		return ret;
	fill_crypto(&ci, dir);
	if (setsockopt(fd, SOL_TLS, optname, &ci, sizeof(ci)))
		return -errno;
	return 0;
}

/* Direction 0 is side 0 -> side 1, direction 1 the reverse. */
int ktls_set_tx(int fd, int side)
{
	return ktls_set(fd, TLS_TX, side ? 1 : 0);
}

int ktls_set_rx(int fd, int side)
{
	return ktls_set(fd, TLS_RX, side ? 0 : 1);
}

int ktls_set_both(int fd, int side)
{
	int ret = ktls_set_tx(fd, side);

	return ret ? ret : ktls_set_rx(fd, side);
}

int ktls_pair(int family, int fds[2])
{
	int ret = tcp_pair(family, fds);

	if (ret)
		return ret;
	ret = ktls_set_both(fds[0], 0);
	if (!ret)
		ret = ktls_set_both(fds[1], 1);
	if (ret) {
		close(fds[0]);
		close(fds[1]);
	}
	return ret;
}

int loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}
