/* SPDX-License-Identifier: GPL-2.0 */
/* Generic netlink to the "ltun" family over libmnl. */
#ifndef LTUNCTL_NL_H
#define LTUNCTL_NL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

/* Error text for callers: the kernel's extack message, or empty. */
#define NL_ERRLEN 256

struct nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t grp_peers;	/* 0 if the kernel did not announce it */
	char *buf;		/* receive buffer, NL_BUFSIZE bytes */
};

#define NL_BUFSIZE (64 * 1024)

/*
 * Open a genl socket and resolve the family. Returns 0 or -errno with a
 * message in err ("ltun module not loaded (modprobe ltun)" for -ENOENT).
 */
int nl_open(struct nl *nl, char *err, size_t errlen);
void nl_close(struct nl *nl);

/* Start an ltun request in buf (MNL_SOCKET_BUFFER_SIZE bytes). */
struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint8_t cmd, uint16_t flags);

/*
 * Send nlh (NLM_F_ACK is added) and run cb on every reply message until the
 * ack or the end of the dump. Returns 0, a negative errno (err holds the
 * kernel's extack message if it sent one, else ""), or the negative
 * MNL_CB_ERROR status of cb as -EPROTO.
 */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	    char *err, size_t errlen);

/* Join the "peers" multicast group. Returns 0 or -errno. */
int nl_join_peers(struct nl *nl);

/* Format "ltunctl: WHAT: extack (strerror)" to stderr. */
void nl_perror(const char *what, int err, const char *extack);

/* Name a device: LTUN_A_IFNAME from ifname. */
void nl_put_dev(struct nlmsghdr *nlh, const char *ifname);

/* nl_open(), printing "ltunctl: CMD: reason" on failure. Returns 0 or -1. */
int nl_open_report(struct nl *nl, const char *cmd);

#endif
