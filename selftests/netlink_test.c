// SPDX-License-Identifier: GPL-2.0
/*
 * ltun generic netlink API tests (kselftest harness).
 *
 * Each test runs in a child forked by the harness; the fixture moves that
 * child into a fresh network namespace, so devices and sockets of one test
 * never meet another's, and a crashed test leaves nothing behind.
 *
 * Sockets are made with ktls_util (loopback TCP, kTLS with fixed keys), so
 * these tests need the module and the kernel's tls module, not ltunctl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/tls.h>
#include <linux/ltun_wire.h>

#include "kselftest_harness.h"
#include "ltun_nl.h"
#include "test_util.h"
#include "ktls_util.h"

#define DEV0 "ltt0"
#define DEV1 "ltt1"
#define NTF_TIMEOUT_MS 5000

static int run(const char *cmd)
{
	int ret = system(cmd);

	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

/* Two fixtures share this: "dev" and "fam" (the latter per address family). */
#define FIXTURE_MEMBERS						\
	struct ltun_nl nl;	/* requests */			\
	struct ltun_nl ntf;	/* PEER_DEL_NTF listener */	\
	uint32_t ifindex

#define COMMON_SETUP() do {						\
	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %m");	\
	ASSERT_EQ(0, loopback_up());					\
	ASSERT_EQ(0, run("ip link add " DEV0 " type ltun"))		\
		TH_LOG("cannot create an ltun device: module loaded?");	\
	self->ifindex = if_nametoindex(DEV0);				\
	ASSERT_NE(0, self->ifindex);					\
	ASSERT_EQ(0, ltun_nl_open(&self->nl))				\
		TH_LOG("genl family " LTUN_GENL_NAME " or group not found"); \
	ASSERT_EQ(0, ltun_ntf_open(&self->ntf));			\
} while (0)

/* The netns dies with the test child; the link del is belt and braces. */
#define COMMON_TEARDOWN() do {						\
	ltun_nl_close(&self->nl);					\
	ltun_nl_close(&self->ntf);					\
	run("ip link del " DEV0 " 2>/dev/null");			\
} while (0)

FIXTURE(dev) {
	FIXTURE_MEMBERS;
};

FIXTURE_SETUP(dev)
{
	COMMON_SETUP();
}

FIXTURE_TEARDOWN(dev)
{
	COMMON_TEARDOWN();
}

FIXTURE(fam) {
	FIXTURE_MEMBERS;
};

FIXTURE_VARIANT(fam) {
	int family;
};

FIXTURE_VARIANT_ADD(fam, v4) { .family = AF_INET };
FIXTURE_VARIANT_ADD(fam, v6) { .family = AF_INET6 };

FIXTURE_SETUP(fam)
{
	COMMON_SETUP();
}

FIXTURE_TEARDOWN(fam)
{
	COMMON_TEARDOWN();
}

/*
 * A refusal must carry both the documented errno and an extack message;
 * log the message so the TAP output shows what users would see.
 */
#define ASSERT_REFUSED(nl, call, ...) do {				\
	int __ret = (call);						\
	int __ok[] = { __VA_ARGS__ };					\
	bool __match = false;						\
	for (size_t __i = 0; __i < sizeof(__ok) / sizeof(__ok[0]); __i++) \
		__match |= (__ret == -__ok[__i]);			\
	TH_LOG("%s -> %d (%s) extack \"%s\"", #call, __ret,		\
	       __ret < 0 ? strerror(-__ret) : "success", (nl)->extack);	\
	ASSERT_TRUE(__match);						\
	ASSERT_STRNE("", (nl)->extack);					\
} while (0)

static int n_peers(struct ltun_nl *nl, uint32_t ifindex)
{
	struct ltun_dev_info d;
	int ret = ltun_dev_get(nl, ifindex, &d);

	return ret ? ret : (int)d.n_peers;
}

/* --- device --------------------------------------------------------- */

TEST_F(dev, dev_get_do)
{
	struct ltun_dev_info d;
	struct ifreq ifr = { 0 };
	int fd;

	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(self->ifindex, d.ifindex);
	EXPECT_STREQ(DEV0, d.ifname);
	EXPECT_GE(d.max_peers, 1);
	EXPECT_LE(d.max_peers, 65535);
	EXPECT_EQ(0, d.n_peers);
	EXPECT_TRUE(d.stats.present);

	/* Link properties promised by the brief. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(fd, 0);
	strcpy(ifr.ifr_name, DEV0);
	ASSERT_EQ(0, ioctl(fd, SIOCGIFFLAGS, &ifr));
	EXPECT_TRUE(ifr.ifr_flags & IFF_POINTOPOINT);
	EXPECT_TRUE(ifr.ifr_flags & IFF_NOARP);
	ASSERT_EQ(0, ioctl(fd, SIOCGIFMTU, &ifr));
	EXPECT_EQ(1500, ifr.ifr_mtu);
	ASSERT_EQ(0, ioctl(fd, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(ARPHRD_NONE, ifr.ifr_hwaddr.sa_family);
	close(fd);
}

TEST_F(dev, dev_get_dump)
{
	struct ltun_dev_info d[8];
	uint32_t idx1;
	int n, i, seen0 = 0, seen1 = 0;

	ASSERT_EQ(0, run("ip link add " DEV1 " type ltun"));
	idx1 = if_nametoindex(DEV1);
	ASSERT_NE(0, idx1);
	n = ltun_dev_dump(&self->nl, d, 8);
	/* Fresh netns: exactly our two devices, and not lo. */
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		if (d[i].ifindex == self->ifindex && !strcmp(d[i].ifname, DEV0))
			seen0++;
		if (d[i].ifindex == idx1 && !strcmp(d[i].ifname, DEV1))
			seen1++;
	}
	EXPECT_EQ(1, seen0);
	EXPECT_EQ(1, seen1);

	ASSERT_EQ(0, run("ip link del " DEV1));
	EXPECT_EQ(1, ltun_dev_dump(&self->nl, d, 8));
}

TEST_F(dev, dev_get_refusals)
{
	struct ltun_dev_info d;

	ASSERT_REFUSED(&self->nl, ltun_dev_get(&self->nl, 99999, &d), ENODEV);
	ASSERT_REFUSED(&self->nl,
		       ltun_dev_get(&self->nl, if_nametoindex("lo"), &d),
		       EOPNOTSUPP);
}

TEST_F(dev, dev_set_max_peers)
{
	struct ltun_dev_info d;

	ASSERT_EQ(0, ltun_dev_set_max_peers(&self->nl, self->ifindex, 3));
	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(3, d.max_peers);
	ASSERT_EQ(0, ltun_dev_set_max_peers(&self->nl, self->ifindex, 65535));
	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(65535, d.max_peers);

	/* Out of 1..65535: refused and the value stays. */
	ASSERT_REFUSED(&self->nl,
		       ltun_dev_set_max_peers(&self->nl, self->ifindex, 0),
		       EINVAL, ERANGE);
	ASSERT_REFUSED(&self->nl,
		       ltun_dev_set_max_peers(&self->nl, self->ifindex, 65536),
		       EINVAL, ERANGE);
	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(65535, d.max_peers);
}

/* --- PEER_NEW refusals ------------------------------------------------ */

static const struct ltun_aip *aip_cli4(void)
{
	static struct ltun_aip a;

	a = ltun_aip4("10.9.0.2", 32);
	return &a;
}

TEST_F(dev, refuse_udp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_GE(fd, 0);
	/* connected, so only the protocol is wrong */
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, fd,
						aip_cli4(), 1, 0, NULL),
		       EPROTONOSUPPORT);
	close(fd);
}

TEST_F(dev, refuse_unix_stream)
{
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, sv[0],
						aip_cli4(), 1,
						LTUN_PEER_F_PLAINTEXT, NULL),
		       EPROTONOSUPPORT);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(dev, refuse_unconnected_tcp)
{
	int fd = tcp_unconnected(AF_INET);

	ASSERT_GE(fd, 0);
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, fd,
						aip_cli4(), 1,
						LTUN_PEER_F_PLAINTEXT, NULL),
		       ENOTCONN);
	close(fd);
}

TEST_F(dev, refuse_listening_tcp)
{
	int fd = tcp_listener(AF_INET);

	ASSERT_GE(fd, 0);
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, fd,
						aip_cli4(), 1,
						LTUN_PEER_F_PLAINTEXT, NULL),
		       ENOTCONN);
	close(fd);
}

TEST_F(dev, refuse_tcp_without_ktls)
{
	int fds[2];

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], aip_cli4(), 1, 0, NULL),
		       ENOPROTOOPT);
	/* FLAGS absent means no PLAINTEXT either */
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], aip_cli4(), 1,
						(uint32_t)-1, NULL),
		       ENOPROTOOPT);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, refuse_ktls_tx_only)
{
	int fds[2];

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	ASSERT_EQ(0, ktls_set_tx(fds[0], 0)) TH_LOG("kTLS: tls module loaded?");
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], aip_cli4(), 1, 0, NULL),
		       ENOPROTOOPT);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, refuse_ktls_rx_only)
{
	int fds[2];

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	ASSERT_EQ(0, ktls_set_rx(fds[0], 0));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], aip_cli4(), 1, 0, NULL),
		       ENOPROTOOPT);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, refuse_not_socket)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, p[0],
						aip_cli4(), 1, 0, NULL),
		       ENOTSOCK);
	close(p[0]);
	close(p[1]);
}

TEST_F(dev, refuse_closed_fd)
{
	int fd = 1000;

	/* make sure 1000 is really not open in this process */
	close(fd);
	ASSERT_EQ(-1, fcntl(fd, F_GETFD));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, fd,
						aip_cli4(), 1, 0, NULL),
		       EBADF);
}

TEST_F(dev, refuse_missing_attrs)
{
	int fds[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	/* no SOCKET */
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, -1,
						aip_cli4(), 1, 0, NULL),
		       EINVAL);
	/* no device */
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, LTUN_NL_NO_DEV,
						fds[0], aip_cli4(), 1, 0, NULL),
		       EINVAL);
	EXPECT_EQ(0, n_peers(&self->nl, self->ifindex));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, refuse_bad_allowed_ips)
{
	struct ltun_aip bad[8];
	int fds[2], i, n = 0;

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	bad[n] = ltun_aip4("10.9.0.2", 32);
	bad[n++].family = 99;			/* unknown family */
	bad[n] = ltun_aip4("10.9.0.2", 32);
	bad[n++].addr_len = 3;			/* short address */
	bad[n] = ltun_aip4("10.9.0.2", 32);
	bad[n++].addr_len = 16;			/* v6-sized address for v4 */
	bad[n++] = ltun_aip4("10.9.0.2", 33);	/* prefix too long */
	bad[n++] = ltun_aip6("fd09::2", 129);	/* prefix too long */
	bad[n++] = ltun_aip4("10.9.0.2", 24);	/* host bits set */
	bad[n++] = ltun_aip6("fd09::2", 64);	/* host bits set */

	for (i = 0; i < n; i++) {
		TH_LOG("bad allowed ip #%d", i);
		ASSERT_REFUSED(&self->nl,
			       ltun_peer_new(&self->nl, self->ifindex, fds[0],
					     &bad[i], 1, 0, NULL),
			       EINVAL, ERANGE);
	}
	/* Refusals left no half-made peer behind; the fd is still usable. */
	EXPECT_EQ(0, n_peers(&self->nl, self->ifindex));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, fds[0],
				   aip_cli4(), 1, 0, NULL));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, refuse_unknown_flags)
{
	int fds[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], aip_cli4(), 1,
						1U << 7, NULL),
		       EINVAL);
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], aip_cli4(), 1,
						LTUN_PEER_F_PLAINTEXT | 1U << 31,
						NULL),
		       EINVAL);
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, refuse_unknown_device)
{
	int fds[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, 99999, fds[0],
						aip_cli4(), 1, 0, NULL),
		       ENODEV);
	ASSERT_REFUSED(&self->nl, ltun_peer_new_name(&self->nl, "nosuchdev0",
						     fds[0], aip_cli4(), 1, 0,
						     NULL),
		       ENODEV);
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl,
						if_nametoindex("lo"), fds[0],
						aip_cli4(), 1, 0, NULL),
		       EOPNOTSUPP);
	ASSERT_REFUSED(&self->nl, ltun_peer_new_name(&self->nl, "lo", fds[0],
						     aip_cli4(), 1, 0, NULL),
		       EOPNOTSUPP);
	close(fds[0]);
	close(fds[1]);
}

/* --- accepted peers ---------------------------------------------------- */

TEST_F(dev, plaintext_accepted)
{
	struct ltun_peer_info p;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, fds[0],
				   aip_cli4(), 1, LTUN_PEER_F_PLAINTEXT, &id))
		TH_LOG("extack: %s", self->nl.extack);
	close(fds[0]);
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p));
	EXPECT_EQ(id, p.id);
	EXPECT_TRUE(p.has_flags);
	EXPECT_EQ(LTUN_PEER_F_PLAINTEXT, p.flags);
	/* absent on a plaintext peer */
	EXPECT_FALSE(p.has_tls_cipher);
	close(fds[1]);
}

TEST_F(dev, by_ifname)
{
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	ASSERT_EQ(0, ltun_peer_new_name(&self->nl, DEV0, fds[0], aip_cli4(), 1,
					0, &id))
		TH_LOG("extack: %s", self->nl.extack);
	EXPECT_EQ(1, n_peers(&self->nl, self->ifindex));
	close(fds[0]);
	close(fds[1]);
}

static bool same_sockaddr(const struct sockaddr_storage *a,
			  const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return false;
}

static bool has_aip(const struct ltun_peer_info *p, const struct ltun_aip *a)
{
	int i;

	for (i = 0; i < p->n_aips; i++)
		if (p->aips[i].family == a->family &&
		    p->aips[i].prefixlen == a->prefixlen &&
		    p->aips[i].addr_len == a->addr_len &&
		    !memcmp(p->aips[i].addr, a->addr, a->addr_len))
			return true;
	return false;
}

TEST_F(fam, ktls_accepted_and_get)
{
	struct ltun_aip aips[3] = {
		ltun_aip4("10.9.0.2", 32),
		ltun_aip4("10.77.0.0", 16),
		ltun_aip6("fd09::2", 128),
	};
	struct sockaddr_storage local, remote;
	socklen_t len;
	struct ltun_peer_info p, dump[4];
	struct ltun_dev_info d;
	uint32_t id;
	int fds[2], i;

	ASSERT_EQ(0, ktls_pair(variant->family, fds));
	len = sizeof(local);
	ASSERT_EQ(0, getsockname(fds[0], (struct sockaddr *)&local, &len));
	len = sizeof(remote);
	ASSERT_EQ(0, getpeername(fds[0], (struct sockaddr *)&remote, &len));

	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, fds[0], aips, 3,
				   0, &id))
		TH_LOG("extack: %s", self->nl.extack);
	close(fds[0]);	/* the kernel holds its own reference */

	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p));
	EXPECT_EQ(id, p.id);
	EXPECT_EQ(self->ifindex, p.ifindex);
	EXPECT_TRUE(p.has_tls_cipher);
	EXPECT_EQ(TLS_CIPHER_AES_GCM_128, p.tls_cipher);
	EXPECT_TRUE(p.has_tls_version);
	EXPECT_EQ(TLS_1_3_VERSION, p.tls_version);
	EXPECT_TRUE(p.has_remote);
	EXPECT_TRUE(same_sockaddr(&remote, &p.remote));
	EXPECT_TRUE(p.has_local);
	EXPECT_TRUE(same_sockaddr(&local, &p.local));
	EXPECT_EQ(3, p.n_aips);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(has_aip(&p, &aips[i])) TH_LOG("aip %d missing", i);
	EXPECT_TRUE(p.stats.present);
	EXPECT_TRUE(p.has_uptime);
	EXPECT_FALSE(p.has_flags && (p.flags & LTUN_PEER_F_PLAINTEXT));

	ASSERT_EQ(1, ltun_peer_dump(&self->nl, self->ifindex, dump, 4));
	EXPECT_EQ(id, dump[0].id);
	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(1, d.n_peers);
	ASSERT_REFUSED(&self->nl,
		       ltun_peer_get(&self->nl, self->ifindex, id + 1000, &p),
		       ENOENT);
	close(fds[1]);
}

TEST_F(dev, same_socket_twice)
{
	struct ltun_aip other = ltun_aip4("10.9.0.3", 32);
	int fds[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, fds[0],
				   aip_cli4(), 1, 0, NULL));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						fds[0], &other, 1, 0, NULL),
		       EBUSY);
	EXPECT_EQ(1, n_peers(&self->nl, self->ifindex));
	close(fds[0]);
	close(fds[1]);
}

TEST_F(dev, duplicate_prefix)
{
	struct ltun_aip v6 = ltun_aip6("fd09::", 64);
	int a[2], b[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, a));
	ASSERT_EQ(0, ktls_pair(AF_INET, b));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, a[0], aip_cli4(),
				   1, 0, NULL));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, a[1], &v6, 1, 0,
				   NULL))
		TH_LOG("extack: %s", self->nl.extack);
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, b[0],
						aip_cli4(), 1, 0, NULL),
		       EADDRINUSE);
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex, b[0],
						&v6, 1, 0, NULL),
		       EADDRINUSE);
	EXPECT_EQ(2, n_peers(&self->nl, self->ifindex));
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

TEST_F(dev, max_peers_enospc)
{
	struct ltun_aip aip[3] = {
		ltun_aip4("10.9.0.2", 32),
		ltun_aip4("10.9.0.3", 32),
		ltun_aip4("10.9.0.4", 32),
	};
	int p[3][2], i;
	uint32_t id0;

	ASSERT_EQ(0, ltun_dev_set_max_peers(&self->nl, self->ifindex, 2));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ktls_pair(AF_INET, p[i]));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, p[0][0], &aip[0],
				   1, 0, &id0));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, p[1][0], &aip[1],
				   1, 0, NULL));
	ASSERT_REFUSED(&self->nl, ltun_peer_new(&self->nl, self->ifindex,
						p[2][0], &aip[2], 1, 0, NULL),
		       ENOSPC);
	/* room again once a peer leaves */
	ASSERT_EQ(0, ltun_peer_del(&self->nl, self->ifindex, id0));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, p[2][0], &aip[2],
				   1, 0, NULL))
		TH_LOG("extack: %s", self->nl.extack);
	for (i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

/* --- removal and notifications ---------------------------------------- */

/* Attach a kTLS pair's side 0; returns the id, keeps fds[1] for the test. */
static int attach(struct __test_metadata *_metadata, struct ltun_nl *nl,
		  uint32_t ifindex, int family, int fds[2], uint32_t *id)
{
	int ret = ktls_pair(family, fds);

	if (ret)
		return ret;
	ret = ltun_peer_new(nl, ifindex, fds[0], aip_cli4(), 1, 0, id);
	if (ret)
		TH_LOG("PEER_NEW: %d extack %s", ret, nl->extack);
	close(fds[0]);
	fds[0] = -1;
	return ret;
}

static void expect_ntf(struct __test_metadata *_metadata, struct ltun_nl *ntf,
		       uint32_t ifindex, uint32_t id, uint32_t reason,
		       uint32_t alt_reason)
{
	struct ltun_del_ntf n;

	ASSERT_EQ(0, ltun_ntf_wait(ntf, NTF_TIMEOUT_MS, &n))
		TH_LOG("no PEER_DEL_NTF within %d ms", NTF_TIMEOUT_MS);
	TH_LOG("ntf: ifindex %u id %u reason %s", n.ifindex, n.id,
	       reason_name(n.reason));
	EXPECT_EQ(ifindex, n.ifindex);
	EXPECT_EQ(id, n.id);
	EXPECT_TRUE(n.reason == reason || n.reason == alt_reason);
}

/* Wait for the far end to see EOF or an error (the kernel closed it). */
static int wait_closed(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[256];
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EAGAIN))
			return 0;
	}
}

TEST_F(fam, peer_del_admin)
{
	struct ltun_peer_info p;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, attach(_metadata, &self->nl, self->ifindex,
			    variant->family, fds, &id));
	ASSERT_EQ(0, ltun_peer_del(&self->nl, self->ifindex, id));
	expect_ntf(_metadata, &self->ntf, self->ifindex, id,
		   LTUN_DEL_REASON_ADMIN, LTUN_DEL_REASON_ADMIN);
	ASSERT_REFUSED(&self->nl, ltun_peer_get(&self->nl, self->ifindex, id,
						&p),
		       ENOENT);
	ASSERT_REFUSED(&self->nl, ltun_peer_del(&self->nl, self->ifindex, id),
		       ENOENT);
	EXPECT_EQ(0, n_peers(&self->nl, self->ifindex));
	/* "remove the peer and close its socket": the far end sees it */
	EXPECT_EQ(0, wait_closed(fds[1], NTF_TIMEOUT_MS));
	close(fds[1]);
}

TEST_F(fam, far_end_close)
{
	struct ltun_wire_hdr h;
	struct ltun_peer_info p;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, attach(_metadata, &self->nl, self->ifindex,
			    variant->family, fds, &id));
	/* Read the new peer's first keepalive: a close with unread data
	 * would send RST, not FIN.
	 */
	ASSERT_EQ(0, read_exact(fds[1], &h, sizeof(h), 2000));
	EXPECT_EQ(LTUN_WIRE_KEEPALIVE, h.type);
	close(fds[1]);		/* FIN (kTLS may send close_notify first) */
	expect_ntf(_metadata, &self->ntf, self->ifindex, id,
		   LTUN_DEL_REASON_PEER_CLOSED, LTUN_DEL_REASON_PEER_CLOSED);
	ASSERT_REFUSED(&self->nl, ltun_peer_get(&self->nl, self->ifindex, id,
						&p),
		       ENOENT);
}

/*
 * A reset is "transport error" by the contract (ERROR), but a kernel may see
 * the FIN-less close race the RST and report PEER_CLOSED; both mean the peer
 * went away for a reason outside admin control, so either is accepted.
 */
TEST_F(fam, far_end_reset)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, attach(_metadata, &self->nl, self->ifindex,
			    variant->family, fds, &id));
	ASSERT_EQ(0, setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	close(fds[1]);		/* RST */
	expect_ntf(_metadata, &self->ntf, self->ifindex, id,
		   LTUN_DEL_REASON_ERROR, LTUN_DEL_REASON_PEER_CLOSED);
	EXPECT_EQ(0, n_peers(&self->nl, self->ifindex));
}

/* Bytes that are not TLS records: the kernel cannot decrypt -> ERROR. */
TEST_F(dev, undecryptable_stream)
{
	uint8_t junk[512];
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	ASSERT_EQ(0, ktls_set_both(fds[0], 0));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, fds[0],
				   aip_cli4(), 1, 0, &id));
	close(fds[0]);
	/* A plausible record header (application data, TLS 1.2 legacy
	 * version, length 400) followed by garbage that fails the AEAD tag. */
	memset(junk, 0xa5, sizeof(junk));
	junk[0] = 0x17; junk[1] = 0x03; junk[2] = 0x03;
	junk[3] = 0x01; junk[4] = 0x90;
	ASSERT_EQ((ssize_t)(5 + 400), send(fds[1], junk, 5 + 400, 0));
	expect_ntf(_metadata, &self->ntf, self->ifindex, id,
		   LTUN_DEL_REASON_ERROR, LTUN_DEL_REASON_ERROR);
	close(fds[1]);
}

/*
 * A frame header announcing more than LTUN_WIRE_MAX_DATA is malformed: a
 * protocol violation (hostile_test covers the other ones).
 */
TEST_F(dev, malformed_frame)
{
	struct ltun_wire_hdr h = { .type = LTUN_WIRE_DATA,
				   .len = htonl(LTUN_WIRE_MAX_DATA + 1) };
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, attach(_metadata, &self->nl, self->ifindex, AF_INET, fds,
			    &id));
	ASSERT_EQ((ssize_t)sizeof(h), send(fds[1], &h, sizeof(h), 0));
	expect_ntf(_metadata, &self->ntf, self->ifindex, id,
		   LTUN_DEL_REASON_PROTOCOL, LTUN_DEL_REASON_PROTOCOL);
	close(fds[1]);
}

TEST_F(dev, device_gone)
{
	struct ltun_aip aip2 = ltun_aip4("10.9.0.3", 32);
	struct ltun_del_ntf n[2];
	uint32_t id[2];
	int a[2], b[2], i;

	ASSERT_EQ(0, attach(_metadata, &self->nl, self->ifindex, AF_INET, a,
			    &id[0]));
	ASSERT_EQ(0, ktls_pair(AF_INET, b));
	ASSERT_EQ(0, ltun_peer_new(&self->nl, self->ifindex, b[0], &aip2, 1, 0,
				   &id[1]));
	ASSERT_EQ(0, run("ip link del " DEV0));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ltun_ntf_wait(&self->ntf, NTF_TIMEOUT_MS, &n[i]));
		TH_LOG("ntf: id %u reason %s", n[i].id,
		       reason_name(n[i].reason));
		EXPECT_EQ(self->ifindex, n[i].ifindex);
		EXPECT_EQ(LTUN_DEL_REASON_DEVICE_GONE, n[i].reason);
	}
	EXPECT_TRUE((n[0].id == id[0] && n[1].id == id[1]) ||
		    (n[0].id == id[1] && n[1].id == id[0]));
	/* both far ends get closed */
	EXPECT_EQ(0, wait_closed(a[1], NTF_TIMEOUT_MS));
	EXPECT_EQ(0, wait_closed(b[1], NTF_TIMEOUT_MS));
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* --- data path through a raw kTLS peer --------------------------------- */

static int send_frame(int fd, uint8_t type, const void *payload, size_t len)
{
	uint8_t buf[2048];
	struct ltun_wire_hdr *h = (struct ltun_wire_hdr *)buf;

	memset(h, 0, sizeof(*h));
	h->type = type;
	h->len = htonl((uint32_t)len);
	if (len)	/* a keepalive has no payload (and payload is NULL) */
		memcpy(buf + sizeof(*h), payload, len);
	return send(fd, buf, sizeof(*h) + len, 0) ==
	       (ssize_t)(sizeof(*h) + len) ? 0 : -1;
}

/*
 * Counters may be bumped just after the packet became visible (the frame is
 * on the wire before the sender's worker accounts it): poll up to 2 s for
 * the expected value and return the last one read.
 */
static uint64_t peer_stat_wait(struct ltun_nl *nl, uint32_t ifindex,
			       uint32_t id, int stat, uint64_t want)
{
	struct ltun_peer_info p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 20; i++) {
		if (ltun_peer_get(nl, ifindex, id, &p))
			return (uint64_t)-1;
		v = p.stats.v[stat];
		if (v == want)
			break;
		usleep(100 * 1000);
	}
	return v;
}

TEST_F(dev, data_path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(7777) };
	struct ltun_wire_hdr h;
	uint8_t pkt[1500];
	char rbuf[64];
	struct pollfd pfd;
	const char *msg = "ltun-selftest-in";
	struct iphdr *ip;
	uint32_t id;
	int fds[2], us;
	size_t len;
	ssize_t n;

	ASSERT_EQ(0, run("ip addr add 10.9.0.1/24 dev " DEV0 " && "
			 "ip link set " DEV0 " up"));
	ASSERT_EQ(0, attach(_metadata, &self->nl, self->ifindex, AF_INET, fds,
			    &id));

	/* inbound: frame from the peer is delivered to a local UDP socket */
	us = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(us, 0);
	inet_pton(AF_INET, "10.9.0.1", &sa.sin_addr);
	ASSERT_EQ(0, bind(us, (struct sockaddr *)&sa, sizeof(sa)));
	len = build_udp4(pkt, "10.9.0.2", "10.9.0.1", 5555, 7777, msg);
	ASSERT_EQ(0, send_frame(fds[1], LTUN_WIRE_DATA, pkt, len));
	pfd = (struct pollfd){ .fd = us, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 3000)) TH_LOG("inner packet not delivered");
	n = recv(us, rbuf, sizeof(rbuf), 0);
	ASSERT_EQ((ssize_t)strlen(msg), n);
	ASSERT_EQ(0, memcmp(rbuf, msg, n));

	/* keepalive is counted, not delivered */
	ASSERT_EQ(0, send_frame(fds[1], LTUN_WIRE_KEEPALIVE, NULL, 0));

	/* spoofed inner source (not in the allowed ips): dropped, counted */
	len = build_udp4(pkt, "10.9.0.99", "10.9.0.1", 5555, 7777, "spoof");
	ASSERT_EQ(0, send_frame(fds[1], LTUN_WIRE_DATA, pkt, len));
	ASSERT_EQ(0, poll(&pfd, 1, 1000)) TH_LOG("spoofed packet delivered");

	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, id,
				    LTUN_STATS_A_RX_PACKETS, 1));
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, id,
				    LTUN_STATS_A_RX_SPOOFED, 1));
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, id,
				    LTUN_STATS_A_RX_KEEPALIVES, 1));

	/* outbound: a packet routed to 10.9.0.2 comes out as one DATA frame */
	sa.sin_port = htons(6666);
	inet_pton(AF_INET, "10.9.0.2", &sa.sin_addr);
	ASSERT_EQ((ssize_t)strlen(msg),
		  sendto(us, msg, strlen(msg), 0, (struct sockaddr *)&sa,
			 sizeof(sa)));
	/* skip keepalives the kernel may have sent meanwhile */
	do {
		ASSERT_EQ(0, read_exact(fds[1], &h, sizeof(h), 3000));
	} while (h.type == LTUN_WIRE_KEEPALIVE && h.len == 0);
	EXPECT_EQ(LTUN_WIRE_DATA, h.type);
	EXPECT_EQ(0, h.flags);
	EXPECT_EQ(0, h.reserved);
	len = ntohl(h.len);
	ASSERT_EQ(sizeof(struct iphdr) + sizeof(struct udphdr) + strlen(msg),
		  len);
	ASSERT_EQ(0, read_exact(fds[1], pkt, len, 3000));
	ip = (struct iphdr *)pkt;
	EXPECT_EQ(4, (int)ip->version);
	EXPECT_EQ(sa.sin_addr.s_addr, ip->daddr);
	EXPECT_EQ(IPPROTO_UDP, ip->protocol);
	EXPECT_EQ(0, memcmp(pkt + len - strlen(msg), msg, strlen(msg)));
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, id,
				    LTUN_STATS_A_TX_PACKETS, 1));
	EXPECT_EQ(len, peer_stat_wait(&self->nl, self->ifindex, id,
				      LTUN_STATS_A_TX_BYTES, len));
	close(us);
	close(fds[1]);
}

/* --- hub: forwarding, isolation, flooding, PEER_SET, keepalive --------- */

/* Attach a fixed-key kTLS pair's fds[0] with one allowed prefix. */
static int attach_opts(struct __test_metadata *_metadata, struct ltun_nl *nl,
		       uint32_t ifindex, int fds[2], struct ltun_aip aip,
		       int64_t keepalive_ms, int64_t timeout_ms, uint32_t *id)
{
	struct ltun_peer_opts o = LTUN_PEER_OPTS_NONE;
	int ret = ktls_pair(AF_INET, fds);

	if (ret)
		return ret;
	o.fd = fds[0];
	o.aips = &aip;
	o.n_aips = 1;
	o.set_aips = true;
	o.keepalive_ms = keepalive_ms;
	o.timeout_ms = timeout_ms;
	ret = ltun_peer_new_opts(nl, ifindex, &o, id);
	if (ret)
		TH_LOG("PEER_NEW: %d extack %s", ret, nl->extack);
	close(fds[0]);
	fds[0] = -1;
	return ret;
}

/*
 * Next DATA payload the kernel sent on the far end @fd, skipping
 * keepalives. Return: its length, or -ETIMEDOUT.
 */
static int read_data(int fd, uint8_t *buf, size_t max, int timeout_ms)
{
	struct ltun_wire_hdr h;
	size_t len;

	do {
		if (read_exact(fd, &h, sizeof(h), timeout_ms))
			return -ETIMEDOUT;
	} while (h.type == LTUN_WIRE_KEEPALIVE && !h.len);
	len = ntohl(h.len);
	if (h.type != LTUN_WIRE_DATA || len > max)
		return -EPROTO;
	if (read_exact(fd, buf, len, timeout_ms))
		return -ETIMEDOUT;
	return (int)len;
}

TEST_F(dev, isolate_attr)
{
	struct ltun_dev_info d;

	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(0, d.isolate);
	ASSERT_EQ(0, ltun_dev_set_isolate(&self->nl, self->ifindex, 1));
	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(1, d.isolate);
	ASSERT_REFUSED(&self->nl, ltun_dev_set_isolate(&self->nl, self->ifindex, 2),
		       ERANGE, EINVAL);
	ASSERT_EQ(0, ltun_dev_set_isolate(&self->nl, self->ifindex, 0));
	ASSERT_EQ(0, ltun_dev_get(&self->nl, self->ifindex, &d));
	EXPECT_EQ(0, d.isolate);
}

/*
 * Client to client inside the module: a packet from A to B's address
 * reaches B's connection unchanged, with forwarding off in the namespace;
 * with isolation on it is dropped and counted.
 */
TEST_F(dev, forward_and_isolate)
{
	uint8_t pkt[1500], got[1500];
	uint32_t ida, idb;
	int a[2], b[2], n;
	size_t len;

	ASSERT_EQ(0, run("sysctl -qw net.ipv4.ip_forward=0 && "
			 "ip addr add 10.9.0.1/24 dev " DEV0 " && "
			 "ip link set " DEV0 " up"));
	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, a,
				 ltun_aip4("10.9.0.2", 32), 0, 0, &ida));
	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, b,
				 ltun_aip4("10.9.0.3", 32), 0, 0, &idb));

	len = build_udp4(pkt, "10.9.0.2", "10.9.0.3", 5555, 7777, "a-to-b");
	ASSERT_EQ(0, send_frame(a[1], LTUN_WIRE_DATA, pkt, len));
	n = read_data(b[1], got, sizeof(got), 3000);
	ASSERT_EQ((int)len, n) TH_LOG("A's packet did not reach B");
	EXPECT_EQ(0, memcmp(pkt, got, len)) TH_LOG("forwarded packet changed");
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, ida,
				    LTUN_STATS_A_FORWARDED, 1));

	ASSERT_EQ(0, ltun_dev_set_isolate(&self->nl, self->ifindex, 1));
	ASSERT_EQ(0, send_frame(a[1], LTUN_WIRE_DATA, pkt, len));
	EXPECT_EQ(-ETIMEDOUT, read_data(b[1], got, sizeof(got), 1000))
		TH_LOG("isolated peer still got the packet");
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, ida,
				    LTUN_STATS_A_ISOLATED, 1));
	close(a[1]);
	close(b[1]);
}

/* The subnet broadcast from A reaches B and this host, not A itself. */
TEST_F(dev, broadcast_flood)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(7777) };
	uint8_t pkt[1500], got[1500];
	struct pollfd pfd;
	uint32_t ida, idb;
	int a[2], b[2], us, one = 1;
	size_t len;

	ASSERT_EQ(0, run("ip addr add 10.9.0.1/24 brd + dev " DEV0 " && "
			 "ip link set " DEV0 " up"));
	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, a,
				 ltun_aip4("10.9.0.2", 32), 0, 0, &ida));
	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, b,
				 ltun_aip4("10.9.0.3", 32), 0, 0, &idb));
	us = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(us, 0);
	ASSERT_EQ(0, setsockopt(us, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	ASSERT_EQ(0, bind(us, (struct sockaddr *)&sa, sizeof(sa)));

	len = build_udp4(pkt, "10.9.0.2", "10.9.0.255", 5555, 7777, "hello-all");
	ASSERT_EQ(0, send_frame(a[1], LTUN_WIRE_DATA, pkt, len));
	ASSERT_EQ((int)len, read_data(b[1], got, sizeof(got), 3000))
		TH_LOG("broadcast not copied to B");
	EXPECT_EQ(0, memcmp(pkt, got, len));
	pfd = (struct pollfd){ .fd = us, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 3000)) TH_LOG("broadcast not delivered here");
	EXPECT_EQ(-ETIMEDOUT, read_data(a[1], got, sizeof(got), 500))
		TH_LOG("broadcast echoed to its sender");

	/* from this host: every peer gets it */
	sa.sin_addr.s_addr = inet_addr("10.9.0.255");
	ASSERT_EQ(5, sendto(us, "hello", 5, 0, (struct sockaddr *)&sa,
			    sizeof(sa)));
	EXPECT_LT(0, read_data(a[1], got, sizeof(got), 3000));
	EXPECT_LT(0, read_data(b[1], got, sizeof(got), 3000));

	/* isolated: A's broadcast reaches this host only */
	ASSERT_EQ(0, ltun_dev_set_isolate(&self->nl, self->ifindex, 1));
	ASSERT_EQ(0, send_frame(a[1], LTUN_WIRE_DATA, pkt, len));
	EXPECT_EQ(-ETIMEDOUT, read_data(b[1], got, sizeof(got), 1000));
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, ida,
				    LTUN_STATS_A_ISOLATED, 1));
	close(us);
	close(a[1]);
	close(b[1]);
}

/* PEER_SET replaces the prefixes of a live peer; refusals change nothing. */
TEST_F(dev, peer_set_allowed_ips)
{
	struct ltun_peer_opts o = LTUN_PEER_OPTS_NONE;
	struct ltun_aip set[2] = { ltun_aip4("10.9.1.0", 24),
				   ltun_aip6("fd00:9::", 64) };
	struct ltun_aip old = ltun_aip4("10.9.0.2", 32);
	struct ltun_peer_info p;
	struct ltun_del_ntf n;
	uint32_t ida, idb;
	int a[2], b[2];

	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, a, old,
				 -1, -1, &ida));
	ASSERT_EQ(0, ltun_ntf_wait_any(&self->ntf, NTF_TIMEOUT_MS, &n));
	EXPECT_EQ(LTUN_CMD_PEER_NEW_NTF, n.cmd);
	EXPECT_EQ(ida, n.id);

	o.aips = set;
	o.n_aips = 2;
	o.set_aips = true;
	o.name = "client-a";
	ASSERT_EQ(0, ltun_peer_set(&self->nl, self->ifindex, ida, &o))
		TH_LOG("extack %s", self->nl.extack);
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, ida, &p));
	EXPECT_EQ(2, p.n_aips);
	EXPECT_TRUE(has_aip(&p, &set[0]));
	EXPECT_TRUE(has_aip(&p, &set[1]));
	EXPECT_FALSE(has_aip(&p, &old));
	EXPECT_STREQ("client-a", p.name);
	ASSERT_EQ(0, ltun_ntf_wait_any(&self->ntf, NTF_TIMEOUT_MS, &n));
	EXPECT_EQ(LTUN_CMD_PEER_SET_NTF, n.cmd);
	EXPECT_EQ(LTUN_PEER_CHANGE_ALLOWED_IPS | LTUN_PEER_CHANGE_NAME,
		  n.changes);

	/* the prefix A gave up is free for B; A's new one is not */
	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, b, old,
				 -1, -1, &idb));
	o = (struct ltun_peer_opts)LTUN_PEER_OPTS_NONE;
	o.aips = set;
	o.n_aips = 1;
	o.set_aips = true;
	ASSERT_REFUSED(&self->nl, ltun_peer_set(&self->nl, self->ifindex, idb, &o),
		       EADDRINUSE);
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, idb, &p));
	EXPECT_EQ(1, p.n_aips);
	EXPECT_TRUE(has_aip(&p, &old));

	/* only the gso flag may change after PEER_NEW */
	o = (struct ltun_peer_opts)LTUN_PEER_OPTS_NONE;
	o.flags = LTUN_PEER_F_PLAINTEXT;
	ASSERT_REFUSED(&self->nl, ltun_peer_set(&self->nl, self->ifindex, ida, &o),
		       EINVAL);
	o.flags = -1;
	ASSERT_REFUSED(&self->nl, ltun_peer_set(&self->nl, self->ifindex, 999, &o),
		       ENOENT);
	close(a[1]);
	close(b[1]);
}

TEST_F(dev, keepalive_settings)
{
	struct ltun_peer_opts o = LTUN_PEER_OPTS_NONE;
	struct ltun_peer_info p;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, ktls_pair(AF_INET, fds));
	o.fd = fds[0];
	o.keepalive_ms = 50;
	ASSERT_REFUSED(&self->nl, ltun_peer_new_opts(&self->nl, self->ifindex,
						     &o, &id), ERANGE);
	o.keepalive_ms = 1000;
	o.timeout_ms = 1000;
	ASSERT_REFUSED(&self->nl, ltun_peer_new_opts(&self->nl, self->ifindex,
						     &o, &id), EINVAL);
	o.keepalive_ms = -1;
	o.timeout_ms = -1;
	ASSERT_EQ(0, ltun_peer_new_opts(&self->nl, self->ifindex, &o, &id));
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p));
	EXPECT_EQ(LTUN_KEEPALIVE_DEFAULT_MS, p.keepalive_ms);
	EXPECT_EQ(LTUN_TIMEOUT_DEFAULT_MS, p.timeout_ms);

	o = (struct ltun_peer_opts)LTUN_PEER_OPTS_NONE;
	o.timeout_ms = 5000;	/* below the 10 s keepalive it keeps */
	ASSERT_REFUSED(&self->nl, ltun_peer_set(&self->nl, self->ifindex, id, &o),
		       EINVAL);
	o.keepalive_ms = 2000;
	ASSERT_EQ(0, ltun_peer_set(&self->nl, self->ifindex, id, &o));
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p));
	EXPECT_EQ(2000, p.keepalive_ms);
	EXPECT_EQ(5000, p.timeout_ms);
	close(fds[0]);
	close(fds[1]);
}

/*
 * A new peer sends one keepalive at once, even with keepalives off: it
 * tells the far end that this kernel has the peer (ltunctl's client waits
 * for it). Only one: nothing more follows while the peer is idle.
 */
TEST_F(dev, first_keepalive)
{
	struct ltun_wire_hdr h;
	uint32_t id;
	int fds[2];

	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, fds,
				 ltun_aip4("10.9.0.2", 32), 0, 0, &id));
	ASSERT_EQ(0, read_exact(fds[1], &h, sizeof(h), 2000))
		TH_LOG("no keepalive from a new peer");
	EXPECT_EQ(LTUN_WIRE_KEEPALIVE, h.type);
	EXPECT_EQ(0, h.len);
	EXPECT_EQ(-ETIMEDOUT, read_exact(fds[1], &h, sizeof(h), 500))
		TH_LOG("a second frame from an idle peer with keepalives off");
	EXPECT_EQ(1, peer_stat_wait(&self->nl, self->ifindex, id,
				    LTUN_STATS_A_TX_KEEPALIVES, 1));
	close(fds[1]);
}

/* An idle peer gets keepalive frames; a silent one is removed (TIMEOUT). */
TEST_F(dev, keepalive_and_timeout)
{
	struct ltun_wire_hdr h;
	struct ltun_peer_info p;
	uint32_t id;
	int fds[2], i;

	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, fds,
				 ltun_aip4("10.9.0.2", 32), 200, 1500, &id));
	/* the first one comes at once (first_keepalive), then every 200 ms */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, read_exact(fds[1], &h, sizeof(h), 2000))
			TH_LOG("no keepalive %d from an idle peer", i + 1);
		EXPECT_EQ(LTUN_WIRE_KEEPALIVE, h.type);
		EXPECT_EQ(0, h.len);
	}

	/* our keepalives keep it alive well past the timeout */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, send_frame(fds[1], LTUN_WIRE_KEEPALIVE, NULL, 0));
		usleep(300 * 1000);
	}
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p))
		TH_LOG("peer removed although it sent keepalives");
	EXPECT_LE(2, p.stats.v[LTUN_STATS_A_TX_KEEPALIVES]);
	EXPECT_LE(9, p.stats.v[LTUN_STATS_A_RX_KEEPALIVES]);

	/* then silence */
	expect_ntf(_metadata, &self->ntf, self->ifindex, id,
		   LTUN_DEL_REASON_TIMEOUT, LTUN_DEL_REASON_TIMEOUT);
	EXPECT_EQ(0, wait_closed(fds[1], NTF_TIMEOUT_MS));
	close(fds[1]);
}

/*
 * Renewal: a second connection handed over with PEER_SET takes over
 * sending; the first is still read until its far end finishes it, then
 * closed; the peer lives on throughout.
 */
TEST_F(dev, renew_make_before_break)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(7777) };
	struct ltun_peer_opts o = LTUN_PEER_OPTS_NONE;
	uint8_t pkt[1500], got[1500];
	struct ltun_peer_info p;
	struct ltun_wire_hdr h;
	struct ltun_del_ntf n;
	struct pollfd pfd;
	int a[2], b[2], c[2], us;
	uint32_t id;
	size_t len;

	ASSERT_EQ(0, run("ip addr add 10.9.0.1/24 dev " DEV0 " && "
			 "ip link set " DEV0 " up"));
	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, a,
				 ltun_aip4("10.9.0.2", 32), 0, 0, &id));
	us = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(us, 0);
	inet_pton(AF_INET, "10.9.0.1", &sa.sin_addr);
	ASSERT_EQ(0, bind(us, (struct sockaddr *)&sa, sizeof(sa)));
	pfd = (struct pollfd){ .fd = us, .events = POLLIN };
	len = build_udp4(pkt, "10.9.0.2", "10.9.0.1", 5555, 7777, "before");
	ASSERT_EQ(0, send_frame(a[1], LTUN_WIRE_DATA, pkt, len));
	ASSERT_EQ(1, poll(&pfd, 1, 3000));
	ASSERT_LT(0, recv(us, got, sizeof(got), 0));

	/* a socket without kTLS cannot take over a kTLS peer */
	ASSERT_EQ(0, tcp_pair(AF_INET, c));
	o.fd = c[0];
	ASSERT_REFUSED(&self->nl, ltun_peer_set(&self->nl, self->ifindex, id, &o),
		       ENOPROTOOPT);
	close(c[0]);
	close(c[1]);

	ASSERT_EQ(0, ktls_pair(AF_INET, b));
	o.fd = b[0];
	ASSERT_EQ(0, ltun_peer_set(&self->nl, self->ifindex, id, &o))
		TH_LOG("extack %s", self->nl.extack);
	close(b[0]);
	do {
		ASSERT_EQ(0, ltun_ntf_wait_any(&self->ntf, NTF_TIMEOUT_MS, &n));
	} while (n.cmd == LTUN_CMD_PEER_NEW_NTF);
	EXPECT_EQ(LTUN_CMD_PEER_SET_NTF, n.cmd);
	EXPECT_EQ(LTUN_PEER_CHANGE_SOCKET, n.changes);

	/* one renewal at a time */
	ASSERT_EQ(0, ktls_pair(AF_INET, c));
	o.fd = c[0];
	ASSERT_REFUSED(&self->nl, ltun_peer_set(&self->nl, self->ifindex, id, &o),
		       EBUSY);

	/* the kernel marks the new connection, but until the far end shows
	 * it has it too, data still goes on the old one
	 */
	ASSERT_EQ(0, read_exact(b[1], &h, sizeof(h), 3000))
		TH_LOG("no handover marker on the new connection");
	EXPECT_EQ(LTUN_WIRE_KEEPALIVE, h.type);
	sa.sin_port = htons(6666);
	inet_pton(AF_INET, "10.9.0.2", &sa.sin_addr);
	ASSERT_EQ(6, sendto(us, "before", 6, 0, (struct sockaddr *)&sa,
			    sizeof(sa)));
	EXPECT_LT(0, read_data(a[1], got, sizeof(got), 3000))
		TH_LOG("sent on the new connection before the far end had it");

	/* our marker: the kernel moves to the new one, the old one ends */
	ASSERT_EQ(0, send_frame(b[1], LTUN_WIRE_KEEPALIVE, NULL, 0));
	usleep(200 * 1000);
	ASSERT_EQ(5, sendto(us, "after", 5, 0, (struct sockaddr *)&sa,
			    sizeof(sa)));
	EXPECT_LT(0, read_data(b[1], got, sizeof(got), 3000))
		TH_LOG("nothing sent on the new connection");
	EXPECT_EQ(0, wait_closed(a[1], NTF_TIMEOUT_MS))
		TH_LOG("old connection not shut down for sending");

	/* the far end may still send on the old one until it finishes it */
	len = build_udp4(pkt, "10.9.0.2", "10.9.0.1", 5555, 7777, "late-old");
	ASSERT_EQ(0, send_frame(a[1], LTUN_WIRE_DATA, pkt, len));
	ASSERT_EQ(1, poll(&pfd, 1, 3000)) TH_LOG("old connection not read");
	ASSERT_LT(0, recv(us, got, sizeof(got), 0));
	len = build_udp4(pkt, "10.9.0.2", "10.9.0.1", 5555, 7777, "on-new");
	ASSERT_EQ(0, send_frame(b[1], LTUN_WIRE_DATA, pkt, len));
	ASSERT_EQ(1, poll(&pfd, 1, 3000)) TH_LOG("new connection not read");
	ASSERT_LT(0, recv(us, got, sizeof(got), 0));
	ASSERT_EQ(0, shutdown(a[1], SHUT_WR));

	/* old finished on both sides: closed, and a next renewal is allowed */
	usleep(500 * 1000);
	ASSERT_EQ(0, ltun_peer_set(&self->nl, self->ifindex, id, &o))
		TH_LOG("extack %s", self->nl.extack);
	close(c[0]);
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p));
	EXPECT_EQ(2, p.renewals);
	EXPECT_TRUE(p.has_records);
	EXPECT_TRUE(p.has_conn_ms);
	EXPECT_EQ(3, p.stats.v[LTUN_STATS_A_RX_PACKETS]);
	EXPECT_EQ(-ETIMEDOUT, ltun_ntf_wait(&self->ntf, 300, &n))
		TH_LOG("peer removed during renewal: reason %s",
		       reason_name(n.reason));
	close(us);
	close(a[1]);
	close(b[1]);
	close(c[1]);
}

/* TLS records are counted per connection, from the kTLS sequence numbers. */
TEST_F(dev, records_counted)
{
	uint8_t pkt[1500];
	struct ltun_peer_info p;
	uint32_t id;
	int fds[2], i;
	size_t len;

	ASSERT_EQ(0, attach_opts(_metadata, &self->nl, self->ifindex, fds,
				 ltun_aip4("10.9.0.2", 32), 0, 0, &id));
	len = build_udp4(pkt, "10.9.0.2", "10.9.0.1", 5555, 7777, "rec");
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, send_frame(fds[1], LTUN_WIRE_DATA, pkt, len));
	EXPECT_EQ(5, peer_stat_wait(&self->nl, self->ifindex, id,
				    LTUN_STATS_A_RX_PACKETS, 5));
	ASSERT_EQ(0, ltun_peer_get(&self->nl, self->ifindex, id, &p));
	/* each send() above is one TLS record */
	EXPECT_EQ(5, p.records);
	close(fds[1]);
}

/* --- permissions -------------------------------------------------------- */

static int drop_all_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	return syscall(SYS_capset, &hdr, data);
}

TEST_F(dev, no_cap_net_admin)
{
	int fds[2], status;
	pid_t pid;

	ASSERT_EQ(0, tcp_pair(AF_INET, fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct ltun_dev_info d;
		struct ltun_nl nl;
		int r1, r2, r3;

		if (drop_all_caps())
			_exit(10);
		/* a socket opened without the capability */
		if (ltun_nl_open(&nl))
			_exit(11);
		r1 = ltun_dev_get(&nl, self->ifindex, &d);
		r2 = ltun_peer_new(&nl, self->ifindex, fds[0], aip_cli4(), 1,
				   LTUN_PEER_F_PLAINTEXT, NULL);
		r3 = ltun_dev_set_max_peers(&nl, self->ifindex, 5);
		fprintf(stderr, "# unprivileged: dev_get %d peer_new %d dev_set %d\n",
			r1, r2, r3);
		ltun_nl_close(&nl);
		_exit(r1 == -EPERM && r2 == -EPERM && r3 == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* nothing changed behind our back */
	EXPECT_EQ(0, n_peers(&self->nl, self->ifindex));
	close(fds[0]);
	close(fds[1]);
}

TEST_HARNESS_MAIN
