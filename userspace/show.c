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
	/* Hostile-peer counters: only from kernels that have them. */
	if (st->present[LTUN_STATS_A_RX_TOO_BIG])
		printf("  received over the MTU: %" PRIu64 "\n",
		       st->v[LTUN_STATS_A_RX_TOO_BIG]);
	if (st->present[LTUN_STATS_A_PROTO_ERRORS])
		printf("  protocol violations: %" PRIu64 "\n",
		       st->v[LTUN_STATS_A_PROTO_ERRORS]);
	/* Hub counters: only from kernels that have them. */
	if (st->present[LTUN_STATS_A_FORWARDED] || st->present[LTUN_STATS_A_ISOLATED])
		printf("  to other peers: %" PRIu64 " forwarded, %" PRIu64 " isolated\n",
		       st->v[LTUN_STATS_A_FORWARDED], st->v[LTUN_STATS_A_ISOLATED]);
}

/* "10 s" / "off" for a keepalive interval or timeout in ms. */
static const char *ms_str(uint32_t ms, char *buf, size_t len)
{
	if (!ms)
		snprintf(buf, len, "off");
	else if (ms % 1000)
		snprintf(buf, len, "%" PRIu32 " ms", ms);
	else
		snprintf(buf, len, "%" PRIu32 " s", ms / 1000);
	return buf;
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
		json_str("name", pi->has_name ? pi->name : NULL);
		json_str("remote", remote);
		json_str("local", local);
		json_array_begin("allowed_ips");
		for (size_t i = 0; i < pi->n_aip; i++)
			json_str(NULL, prefix_str(&pi->aip[i], true, a, sizeof(a)));
		json_array_end();
		json_bool("plaintext", plaintext);
		json_bool("gso", pi->flags & LTUN_PEER_F_GSO);
		json_stats(&pi->stats);
		if (pi->has_uptime)
			json_u64("uptime_ms", pi->uptime_ms);
		if (pi->has_keepalive)
			json_u64("keepalive_ms", pi->keepalive_ms);
		if (pi->has_timeout)
			json_u64("timeout_ms", pi->timeout_ms);
		if (pi->has_renewals)
			json_u64("renewals", pi->renewals);
		if (pi->has_records)
			json_u64("records", pi->records);
		if (pi->has_conn)
			json_u64("conn_ms", pi->conn_ms);
		json_str("tls_version", pi->has_version ? ops_version_name(pi->version) : NULL);
		json_str("cipher", pi->has_cipher ? ops_cipher_name(pi->cipher) : NULL);
		json_object_end();
		return;
	}
	if (!first)
		putchar('\n');
	printf("peer %" PRIu32 "%s%s%s\n", pi->id, pi->ifname[0] ? " (" : "",
	       pi->ifname, pi->ifname[0] ? ")" : "");
	if (pi->has_name && pi->name[0])
		printf("  name: %s\n", pi->name);
	printf("  remote: %s\n", remote ? remote : "(unknown)");
	printf("  local: %s\n", local ? local : "(unknown)");
	printf("  allowed ips: ");
	for (size_t i = 0; i < pi->n_aip; i++)
		printf("%s%s", i ? ", " : "", prefix_str(&pi->aip[i], true, a, sizeof(a)));
	printf("%s\n", pi->n_aip ? (pi->aip_truncated ? ", ..." : "") : "(none)");
	text_transfer(&pi->stats);
	if (pi->stats.present[LTUN_STATS_A_TX_KEEPALIVES])
		printf("  keepalives: %" PRIu64 " received, %" PRIu64 " sent\n",
		       pi->stats.v[LTUN_STATS_A_RX_KEEPALIVES],
		       pi->stats.v[LTUN_STATS_A_TX_KEEPALIVES]);
	else
		printf("  keepalives received: %" PRIu64 "\n",
		       pi->stats.v[LTUN_STATS_A_RX_KEEPALIVES]);
	if (pi->has_keepalive || pi->has_timeout) {
		char k[32], t[32];

		printf("  keepalive: every %s, timeout %s\n",
		       pi->has_keepalive ? ms_str(pi->keepalive_ms, k, sizeof(k)) : "?",
		       pi->has_timeout ? ms_str(pi->timeout_ms, t, sizeof(t)) : "?");
	}
	if (pi->has_uptime)
		printf("  uptime: %s\n", human_duration(pi->uptime_ms, d, sizeof(d)));
	if (pi->has_renewals || pi->has_conn) {
		printf("  connection: renewed %" PRIu32 " time%s", pi->renewals,
		       pi->renewals == 1 ? "" : "s");
		if (pi->has_conn)
			printf(", current one up %s", human_duration(pi->conn_ms, d, sizeof(d)));
		if (pi->has_records)
			printf(", %" PRIu64 " records", pi->records);
		putchar('\n');
	}
	if (pi->has_cipher)
		printf("  cipher: %s %s\n",
		       pi->has_version ? ops_version_name(pi->version) : "TLS",
		       ops_cipher_name(pi->cipher));
	else
		printf("  cipher: none (%s)\n", plaintext ? "plaintext" : "unknown");
	printf("  gso: %s\n", pi->flags & LTUN_PEER_F_GSO ? "on" : "off");
}

void show_dev(const struct dev_info *di, bool first)
{
	if (json_output) {
		json_object_begin(NULL);
		json_str("ifname", di->ifname);
		json_u64("ifindex", di->ifindex);
		json_u64("max_peers", di->max_peers);
		json_u64("n_peers", di->n_peers);
		if (di->has_isolate)
			json_bool("isolate", di->isolate);
		json_stats(&di->stats);
		json_object_end();
		return;
	}
	if (!first)
		putchar('\n');
	printf("dev %s (ifindex %" PRIu32 ")\n", di->ifname, di->ifindex);
	printf("  max peers: %" PRIu32 "\n", di->max_peers);
	printf("  peers: %" PRIu32 "\n", di->n_peers);
	if (di->has_isolate)
		printf("  isolate: %s\n", di->isolate ? "on" : "off");
	text_transfer(&di->stats);
	printf("  no peer for destination: %" PRIu64 "\n", di->stats.v[LTUN_STATS_A_TX_NO_PEER]);
}
