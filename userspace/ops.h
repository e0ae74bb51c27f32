/* SPDX-License-Identifier: GPL-2.0 */
/* ltun generic netlink operations: decode replies, build requests. */
#ifndef LTUNCTL_OPS_H
#define LTUNCTL_OPS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/ltun.h>

#include "addr.h"
#include "nl.h"

#define PEER_MAX_AIPS 64

struct stats {
	bool present[LTUN_STATS_A_MAX + 1];
	uint64_t v[LTUN_STATS_A_MAX + 1];
};

struct peer_info {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t id;
	uint32_t flags;
	struct sockaddr_storage remote, local;
	size_t remote_len, local_len;
	size_t n_aip;
	bool aip_truncated;
	struct prefix aip[PEER_MAX_AIPS];
	struct stats stats;
	bool has_uptime, has_cipher, has_version;
	uint64_t uptime_ms;
	uint16_t cipher, version;
	uint32_t del_reason;
	/* issue 3: label, liveness and renewal state (absent on older kernels) */
	bool has_name, has_keepalive, has_timeout, has_changes;
	bool has_records, has_renewals, has_conn;
	char name[LTUN_PEER_NAME_MAX];
	uint32_t keepalive_ms, timeout_ms;
	uint32_t changes;		/* LTUN_PEER_CHANGE_* (PEER_SET_NTF) */
	uint64_t records;
	uint32_t renewals;
	uint64_t conn_ms;
};

struct dev_info {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t max_peers, n_peers;
	bool has_isolate;
	bool isolate;
	struct stats stats;
};

typedef int (*peer_fn)(const struct peer_info *pi, void *data);
typedef int (*dev_fn)(const struct dev_info *di, void *data);

/*
 * Decode a PEER_GET reply or a PEER_DEL_NTF / PEER_NEW_NTF / PEER_SET_NTF
 * notification (the genl cmd is the caller's to check).
 */
int ops_parse_peer(const struct nlmsghdr *nlh, struct peer_info *pi);

/* Every peer of ifname (id 0), or the one peer id. */
int ops_peer_get(struct nl *nl, const char *ifname, uint32_t id, peer_fn fn, void *data,
		 char *err, size_t errlen);
/* Every ltun device (ifname NULL) or one. */
int ops_dev_get(struct nl *nl, const char *ifname, dev_fn fn, void *data,
		char *err, size_t errlen);
/* DEV_SET: max_peers and isolate each -1 to leave unchanged. */
int ops_dev_set(struct nl *nl, const char *ifname, int max_peers, int isolate,
		char *err, size_t errlen);
int ops_dev_set_max_peers(struct nl *nl, const char *ifname, uint32_t max,
			  char *err, size_t errlen);
int ops_peer_del(struct nl *nl, const char *ifname, uint32_t id, char *err, size_t errlen);
/* Attach fd as a new peer allowed aips; *id is the kernel's peer id. */
int ops_peer_new(struct nl *nl, const char *ifname, int fd, const struct prefix *aips,
		 size_t n, uint32_t *id, char *err, size_t errlen);
/*
 * As ops_peer_new, and label the peer with name (NULL: none) and set its
 * keepalive interval and timeout (0: the kernel's defaults, attribute not
 * sent).
 */
int ops_peer_new2(struct nl *nl, const char *ifname, int fd, const struct prefix *aips,
		  size_t n, const char *name, uint32_t keepalive_ms, uint32_t timeout_ms,
		  uint32_t *id, char *err, size_t errlen);
/* As ops_peer_new2, with LTUN_PEER_A_FLAGS (sent only when not 0). */
int ops_peer_new3(struct nl *nl, const char *ifname, int fd, const struct prefix *aips,
		  size_t n, const char *name, uint32_t keepalive_ms, uint32_t timeout_ms,
		  uint32_t flags, uint32_t *id, char *err, size_t errlen);

/*
 * The LTUN_PEER_A_FLAGS bits the loaded module accepts in PEER_NEW, read
 * from its netlink policy (CTRL_CMD_GETPOLICY, the mask of the FLAGS
 * attribute). Returns 0 and *mask, or -errno (a kernel without policy
 * dumps, or a module without a mask on FLAGS).
 */
int ops_peer_flags_accepted(struct nl *nl, uint32_t *mask);
/*
 * Does the loaded module accept LTUN_PEER_F_GSO? A module from before
 * GSO refuses unknown flag bits, and must then not be offered GSO frames
 * by the far end: this decides whether HELLO_FEAT_GSO is advertised.
 */
bool ops_kernel_gso(struct nl *nl);

/* What PEER_SET changes; everything else stays as it is. */
struct peer_set {
	int fd;				/* new connection (renewal); -1: keep */
	const struct prefix *aips;	/* with set_aips: the whole new list */
	size_t n_aips;
	bool set_aips;
	const char *name;		/* NULL: keep */
	uint32_t keepalive_ms, timeout_ms;	/* with set_keepalive, both sent */
	bool set_keepalive;
	uint32_t flags;			/* with set_flags (a renewal's LTUN_PEER_F_GSO) */
	bool set_flags;
};

int ops_peer_set(struct nl *nl, const char *ifname, uint32_t id, const struct peer_set *s,
		 char *err, size_t errlen);

const char *ops_cipher_name(uint16_t cipher);
const char *ops_version_name(uint16_t version);
const char *ops_del_reason_name(uint32_t reason);
/* JSON key of a counter, NULL for padding/unknown. */
const char *ops_stat_key(unsigned int t);

#endif
