// SPDX-License-Identifier: GPL-2.0
/*
 * "ltunctl monitor [DEV]": one line per peer event from the "peers"
 * multicast group, as it happens, flushed at once (it is read through
 * pipes). Text:
 *   lt0 peer 3 up 192.0.2.2:40000 name client.example
 *   lt0 peer 3 renewed
 *   lt0 peer 3 changed allowed-ips,keepalive
 *   lt0 peer 3 down reason timeout
 * JSON (-j): one object per line with "event", "ifname", "id", ...
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "cmds.h"
#include "json.h"
#include "nl.h"
#include "ops.h"
#include "util.h"

#define CMD "monitor"

void usage_monitor(FILE *f)
{
	fprintf(f, "  ltunctl [-j] monitor [DEV]\n");
}

/* One word per reason, for scripts matching "reason WORD". */
static const char *reason_word(uint32_t r)
{
	switch (r) {
	case LTUN_DEL_REASON_PEER_CLOSED:	return "closed";
	case LTUN_DEL_REASON_ERROR:		return "error";
	case LTUN_DEL_REASON_TIMEOUT:		return "timeout";
	case LTUN_DEL_REASON_ADMIN:		return "admin";
	case LTUN_DEL_REASON_DEVICE_GONE:	return "device-gone";
	case LTUN_DEL_REASON_EXPIRED:		return "expired";
	case LTUN_DEL_REASON_PROTOCOL:		return "protocol";
	default:				return "unknown";
	}
}

/* "allowed-ips,keepalive" from LTUN_PEER_CHANGE_* bits other than SOCKET. */
static void change_words(uint32_t ch, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *word; } w[] = {
		{ LTUN_PEER_CHANGE_ALLOWED_IPS, "allowed-ips" },
		{ LTUN_PEER_CHANGE_KEEPALIVE, "keepalive" },
		{ LTUN_PEER_CHANGE_NAME, "name" },
		{ LTUN_PEER_CHANGE_FLAGS, "flags" },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (!(ch & w[i].bit) || off >= len)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", w[i].word);
	}
	if (!buf[0])
		snprintf(buf, len, "unknown");
}

static void print_event(const char *event, const struct peer_info *pi, const char *ifname)
{
	char remote[ADDR_STRLEN] = "", changes[64] = "";
	bool has_remote = pi->remote_len > 0;

	if (has_remote)
		sockaddr_str((const struct sockaddr *)&pi->remote, pi->remote_len,
			     remote, sizeof(remote));
	if (!strcmp(event, "changed"))
		change_words(pi->changes, changes, sizeof(changes));
	if (json_output) {
		json_object_begin(NULL);
		json_str("event", event);
		json_str("ifname", ifname[0] ? ifname : NULL);
		json_u64("ifindex", pi->ifindex);
		json_u64("id", pi->id);
		if (has_remote)
			json_str("remote", remote);
		if (pi->has_name)
			json_str("name", pi->name);
		if (!strcmp(event, "down")) {
			json_str("reason", reason_word(pi->del_reason));
			json_str("reason_text", ops_del_reason_name(pi->del_reason));
		}
		if (!strcmp(event, "changed"))
			json_str("changes", changes);
		json_object_end();
		json_end_document();
	} else {
		printf("%s peer %u %s", ifname[0] ? ifname : "?", pi->id, event);
		if (!strcmp(event, "up")) {
			printf(" %s", has_remote ? remote : "-");
			if (pi->has_name && pi->name[0]) {
				/* a certificate's name: one line, whatever it holds */
				fputs(" name ", stdout);
				for (const char *c = pi->name; *c; c++)
					putchar((unsigned char)*c <= ' ' || *c == 0x7f ? '?' : *c);
			}
		} else if (!strcmp(event, "down")) {
			printf(" reason %s", reason_word(pi->del_reason));
		} else if (!strcmp(event, "changed")) {
			printf(" %s", changes);
		}
		putchar('\n');
	}
	fflush(stdout);
}

/*
 * The device a notification is about, by name when it carries one, else by
 * index (a notification for a deleted device may have only the index).
 */
static bool wanted(const struct peer_info *pi, const char *dev, char *ifname)
{
	snprintf(ifname, IF_NAMESIZE, "%s", pi->ifname);
	if (!ifname[0] && pi->ifindex)
		if (!if_indextoname(pi->ifindex, ifname))
			ifname[0] = '\0';
	if (!dev)
		return true;
	if (ifname[0])
		return !strcmp(ifname, dev);
	return pi->ifindex && pi->ifindex == if_nametoindex(dev);
}

static void handle(const struct nlmsghdr *m, uint16_t family, const char *dev)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(m);
	char ifname[IF_NAMESIZE];
	struct peer_info *pi;

	if (m->nlmsg_type != family || mnl_nlmsg_get_payload_len(m) < sizeof(*g))
		return;
	if (g->cmd != LTUN_CMD_PEER_NEW_NTF && g->cmd != LTUN_CMD_PEER_SET_NTF &&
	    g->cmd != LTUN_CMD_PEER_DEL_NTF)
		return;
	pi = calloc(1, sizeof(*pi));
	if (!pi)
		return;
	ops_parse_peer(m, pi);
	if (!wanted(pi, dev, ifname))
		goto out;
	if (g->cmd == LTUN_CMD_PEER_NEW_NTF) {
		print_event("up", pi, ifname);
	} else if (g->cmd == LTUN_CMD_PEER_DEL_NTF) {
		print_event("down", pi, ifname);
	} else {
		/* one line per kind of change: a renewal is its own event */
		if (pi->changes & LTUN_PEER_CHANGE_SOCKET)
			print_event("renewed", pi, ifname);
		pi->changes &= ~(uint32_t)LTUN_PEER_CHANGE_SOCKET;
		if (pi->changes || !pi->has_changes)
			print_event("changed", pi, ifname);
	}
out:
	free(pi);
}

int cmd_monitor(int argc, char **argv)
{
	const char *dev = NULL;
	struct nl nl;
	int ret;

	if (argc >= 1 && is_help(argv[0])) {
		usage_monitor(stdout);
		return 0;
	}
	if (argc >= 1 && parse_dev(CMD, argc, argv, &dev))
		return EXIT_USAGE;
	if (argc > 1)
		return usage_error(CMD, "unexpected argument '%s'", argv[1]);
	if (nl_open_report(&nl, CMD) < 0)
		return 1;
	ret = nl_join_peers(&nl);
	if (ret < 0) {
		errmsg(CMD, "cannot join the \"%s\" multicast group: %s", LTUN_MCGRP_PEERS,
		       ret == -ENOENT ? "the module does not announce it (too old?)"
				      : strerror(-ret));
		nl_close(&nl);
		return 1;
	}
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl.sk), nl.buf, NL_BUFSIZE, 0);
		const struct nlmsghdr *m = (const void *)nl.buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* say so: a script must not trust a gap it cannot see */
				errmsg(CMD, "events lost (receive buffer overrun)");
				continue;
			}
			errmsg(CMD, "receive: %s", strerror(errno));
			break;
		}
		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len))
			handle(m, nl.family, dev);
	}
	nl_close(&nl);
	return 1;
}
