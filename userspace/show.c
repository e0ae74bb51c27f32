// SPDX-License-Identifier: GPL-2.0
/*
 * Output of "peer show" and "dev show": wg-style text for people, JSON
 * with raw numbers for scripts. Callers open/close the JSON array.
 */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "show.h"
#include "util.h"

static void json_stats(const struct stats *st)
{
	for (unsigned int t = 1; t <= LTUN_STATS_A_MAX; t++)
		if (st->present[t] && ops_stat_key(t))
			json_u64(ops_stat_key(t), st->v[t]);
}

static void text_transfer(const struct stats *st)
{
	char rx[32], tx[32];

	printf("  transfer: %s received (%" PRIu64 " packets), %s sent (%" PRIu64 " packets)\n",
	       human_bytes(st->v[LTUN_STATS_A_RX_BYTES], rx, sizeof(rx)),
	       st->v[LTUN_STATS_A_RX_PACKETS],
	       human_bytes(st->v[LTUN_STATS_A_TX_BYTES], tx, sizeof(tx)),
	       st->v[LTUN_STATS_A_TX_PACKETS]);
	printf("  drops: %" PRIu64 " received, %" PRIu64 " sent"
	       " (invalid %" PRIu64 ", spoofed %" PRIu64 ", queue full %" PRIu64 ")\n",
	       st->v[LTUN_STATS_A_RX_DROPS], st->v[LTUN_STATS_A_TX_DROPS],
	       st->v[LTUN_STATS_A_RX_INVALID], st->v[LTUN_STATS_A_RX_SPOOFED],
	       st->v[LTUN_STATS_A_TX_QUEUE_FULL]);
}

static const char *endpoint(const struct sockaddr_storage *ss, size_t len, char *buf, size_t blen)
{
	if (!len)
		return NULL;
	return sockaddr_str((const struct sockaddr *)ss, len, buf, blen);
}

void show_peer(const struct peer_info *pi, bool first)
{
	char r[ADDR_STRLEN], l[ADDR_STRLEN], a[ADDR_STRLEN], d[128];
	const char *remote = endpoint(&pi->remote, pi->remote_len, r, sizeof(r));
	const char *local = endpoint(&pi->local, pi->local_len, l, sizeof(l));
	bool plaintext = pi->flags & LTUN_PEER_F_PLAINTEXT;

	if (json_output) {
		json_object_begin(NULL);
		json_str("ifname", pi->ifname[0] ? pi->ifname : NULL);
		json_u64("ifindex", pi->ifindex);
		json_u64("id", pi->id);
		json_str("remote", remote);
		json_str("local", local);
		json_array_begin("allowed_ips");
		for (size_t i = 0; i < pi->n_aip; i++)
			json_str(NULL, prefix_str(&pi->aip[i], true, a, sizeof(a)));
		json_array_end();
		json_bool("plaintext", plaintext);
		json_stats(&pi->stats);
		if (pi->has_uptime)
			json_u64("uptime_ms", pi->uptime_ms);
		json_str("tls_version", pi->has_version ? ops_version_name(pi->version) : NULL);
		json_str("cipher", pi->has_cipher ? ops_cipher_name(pi->cipher) : NULL);
		json_object_end();
		return;
	}
	if (!first)
		putchar('\n');
	printf("peer %" PRIu32 "%s%s%s\n", pi->id, pi->ifname[0] ? " (" : "",
	       pi->ifname, pi->ifname[0] ? ")" : "");
	printf("  remote: %s\n", remote ? remote : "(unknown)");
	printf("  local: %s\n", local ? local : "(unknown)");
	printf("  allowed ips: ");
	for (size_t i = 0; i < pi->n_aip; i++)
		printf("%s%s", i ? ", " : "", prefix_str(&pi->aip[i], true, a, sizeof(a)));
	printf("%s\n", pi->n_aip ? (pi->aip_truncated ? ", ..." : "") : "(none)");
	text_transfer(&pi->stats);
	printf("  keepalives received: %" PRIu64 "\n", pi->stats.v[LTUN_STATS_A_RX_KEEPALIVES]);
	if (pi->has_uptime)
		printf("  uptime: %s\n", human_duration(pi->uptime_ms, d, sizeof(d)));
	if (pi->has_cipher)
		printf("  cipher: %s %s\n",
		       pi->has_version ? ops_version_name(pi->version) : "TLS",
		       ops_cipher_name(pi->cipher));
	else
		printf("  cipher: none (%s)\n", plaintext ? "plaintext" : "unknown");
}

void show_dev(const struct dev_info *di, bool first)
{
	if (json_output) {
		json_object_begin(NULL);
		json_str("ifname", di->ifname);
		json_u64("ifindex", di->ifindex);
		json_u64("max_peers", di->max_peers);
		json_u64("n_peers", di->n_peers);
		json_stats(&di->stats);
		json_object_end();
		return;
	}
	if (!first)
		putchar('\n');
	printf("dev %s (ifindex %" PRIu32 ")\n", di->ifname, di->ifindex);
	printf("  max peers: %" PRIu32 "\n", di->max_peers);
	printf("  peers: %" PRIu32 "\n", di->n_peers);
	text_transfer(&di->stats);
	printf("  no peer for destination: %" PRIu64 "\n", di->stats.v[LTUN_STATS_A_TX_NO_PEER]);
}
