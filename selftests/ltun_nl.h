/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal ltun generic netlink client for the selftests, written on
 * libnl-genl-3 on purpose: it is independent of ltunctl's libmnl code, so a
 * bug shared by the tool and its own encoder cannot hide from the tests.
 *
 * Every call returns 0 or a negative errno as the kernel reported it, and
 * leaves the kernel's extack message (if any) in ltun_nl->extack.
 */
#ifndef LTUN_SELFTEST_NL_H
#define LTUN_SELFTEST_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/ltun.h>

struct nl_sock;

struct ltun_nl {
	struct nl_sock *sk;
	int family;		/* genl family id */
	int mcgrp;		/* "peers" multicast group id */
	char extack[256];	/* last extack message, "" if none */
	int extack_off;		/* offending attribute offset, -1 if none */
};

struct ltun_aip {
	uint16_t family;	/* AF_INET / AF_INET6, or anything for tests */
	uint8_t addr[16];
	uint8_t addr_len;	/* bytes of addr sent (4 or 16, or bogus) */
	uint8_t prefixlen;
};

#define LTUN_NL_MAX_AIPS 16

struct ltun_stats {
	uint64_t v[LTUN_STATS_A_MAX + 1];	/* indexed by LTUN_STATS_A_* */
	bool present;
};

struct ltun_dev_info {
	uint32_t ifindex;
	char ifname[16];
	uint32_t max_peers;
	uint32_t n_peers;
	uint8_t isolate;
	struct ltun_stats stats;
};

struct ltun_peer_info {
	uint32_t ifindex;
	uint32_t id;
	uint32_t flags;
	bool has_flags;
	struct sockaddr_storage remote, local;
	bool has_remote, has_local;
	uint64_t uptime_ms;
	bool has_uptime;
	uint16_t tls_cipher, tls_version;
	bool has_tls_cipher, has_tls_version;
	struct ltun_aip aips[LTUN_NL_MAX_AIPS];
	int n_aips;
	struct ltun_stats stats;
	char name[LTUN_PEER_NAME_MAX];
	uint32_t keepalive_ms, timeout_ms, renewals;
	uint64_t records, conn_ms;
	bool has_records, has_conn_ms;
};

/* A notification of the "peers" group. */
struct ltun_del_ntf {
	uint8_t cmd;		/* LTUN_CMD_PEER_*_NTF */
	uint32_t ifindex;
	uint32_t id;
	uint32_t reason;	/* PEER_DEL_NTF */
	uint32_t changes;	/* PEER_SET_NTF */
	char name[LTUN_PEER_NAME_MAX];
};

/*
 * Optional parts of PEER_NEW and PEER_SET: a negative value or NULL leaves
 * the attribute out.
 */
struct ltun_peer_opts {
	int fd;				/* SOCKET */
	const struct ltun_aip *aips;	/* ALLOWED_IPS, if set_aips */
	int n_aips;
	bool set_aips;
	int64_t flags;
	const char *name;
	int64_t keepalive_ms;
	int64_t timeout_ms;
};

#define LTUN_PEER_OPTS_NONE { .fd = -1, .flags = -1, .keepalive_ms = -1, \
			      .timeout_ms = -1 }

/* Open a genl socket with extack, resolve the family and the mcast group. */
int ltun_nl_open(struct ltun_nl *nl);
void ltun_nl_close(struct ltun_nl *nl);

int ltun_dev_get(struct ltun_nl *nl, uint32_t ifindex,
		 struct ltun_dev_info *out);
/* Dump: fills up to max entries, returns the count or a negative errno. */
int ltun_dev_dump(struct ltun_nl *nl, struct ltun_dev_info *out, int max);
int ltun_dev_set_max_peers(struct ltun_nl *nl, uint32_t ifindex,
			   uint32_t max_peers);

/* ifindex value that makes ltun_peer_new() omit the device attribute. */
#define LTUN_NL_NO_DEV ((uint32_t)-1)

/*
 * Attach fd as a peer. fd < 0 omits the SOCKET attribute (to test that
 * refusal); flags == (uint32_t)-1 omits FLAGS. *id gets the new peer id.
 */
int ltun_peer_new(struct ltun_nl *nl, uint32_t ifindex, int fd,
		  const struct ltun_aip *aips, int n_aips, uint32_t flags,
		  uint32_t *id);
/* Same, naming the device by name (ifindex not sent). */
int ltun_peer_new_name(struct ltun_nl *nl, const char *ifname, int fd,
		       const struct ltun_aip *aips, int n_aips, uint32_t flags,
		       uint32_t *id);
int ltun_peer_new_opts(struct ltun_nl *nl, uint32_t ifindex,
		       const struct ltun_peer_opts *o, uint32_t *id);
int ltun_peer_set(struct ltun_nl *nl, uint32_t ifindex, uint32_t id,
		  const struct ltun_peer_opts *o);
int ltun_dev_set_isolate(struct ltun_nl *nl, uint32_t ifindex, uint8_t on);
int ltun_peer_del(struct ltun_nl *nl, uint32_t ifindex, uint32_t id);
int ltun_peer_get(struct ltun_nl *nl, uint32_t ifindex, uint32_t id,
		  struct ltun_peer_info *out);
int ltun_peer_dump(struct ltun_nl *nl, uint32_t ifindex,
		   struct ltun_peer_info *out, int max);

/* Notification listener: a second socket subscribed to "peers". */
int ltun_ntf_open(struct ltun_nl *nl);
/* Wait up to timeout_ms for one PEER_DEL_NTF: 0, -ETIMEDOUT or -errno. */
int ltun_ntf_wait(struct ltun_nl *nl, int timeout_ms, struct ltun_del_ntf *ntf);
/* Same for any peer notification (ntf->cmd tells which). */
int ltun_ntf_wait_any(struct ltun_nl *nl, int timeout_ms,
		      struct ltun_del_ntf *ntf);

/* Helpers for building allowed-ip lists. */
struct ltun_aip ltun_aip4(const char *addr, uint8_t prefixlen);
struct ltun_aip ltun_aip6(const char *addr, uint8_t prefixlen);

#endif
