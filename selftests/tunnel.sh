#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tunnel test: two namespaces on a veth pair, ltunctl server and
# client, then traffic through lt0 with checks that it really is the tunnel
# carrying it (byte-exact transfers, kTLS counters, no plaintext on the
# underlay but plaintext on lt0), peer listing, teardown propagation, and an
# IPv6 underlay.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
command -v tcpdump >/dev/null || lt_skip "needs tcpdump"

XFER_BYTES=${XFER_BYTES:-$(lt_bytes $((50 * 1024 * 1024)))}
MARKER=LTUN-PLAINTEXT-MARKER-7f3a9c
dmesg_mark

# tcp_xfer through the tunnel: xfer NS_RECV NS_SEND ADDR PORT BYTES SEED [-6]
xfer() {
	local nsr=$1 nss=$2 addr=$3 port=$4 bytes=$5 seed=$6 v6=${7:-} rpid rc t0 ms
	t0=$(date +%s%N)
	bg_run rpid ip netns exec "$nsr" "$TCP_XFER" recv ${v6:+"$v6"} "$port" "$bytes" "$seed" \
		--timeout "$(lt_secs 150)" >"$LTUN_TMP/xfer-recv.log" 2>&1
	wait_for 5 port_listening "$nsr" "$port" || { log "receiver not listening"; return 1; }
	ip netns exec "$nss" "$TCP_XFER" send "$addr" "$port" "$bytes" "$seed" \
		--timeout "$(lt_secs 150)" >"$LTUN_TMP/xfer-send.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/xfer-send.log"; bg_stop "$rpid"; return 1; }
	wait_pid "$rpid" 30
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	sed 's/^/#   /' "$LTUN_TMP/xfer-recv.log"
	log "  $bytes bytes in $ms ms ($((bytes * 8 / 1000 / (ms + 1))) Mbit/s)"
	return $rc
}

ping_ok() {
	ip netns exec "$1" ping -c 3 -i 0.2 -W 2 -q "$2" >"$LTUN_TMP/ping.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/ping.log"; return 1; }
}

# Values of TlsCurrTxSw etc. summed over both namespaces.
tls_sum() {
	echo $(($(tls_stat "$NS_SRV" "$1") + $(tls_stat "$NS_CLI" "$1")))
}

# "PACKETS WIRE KEPT" of a capture: its records, the bytes they had on the
# wire and the bytes tcpdump kept of them (less if -s cut a packet short).
pcap_stats() {
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
end = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
off, n, wire, kept = 24, 0, 0, 0
while off + 16 <= len(d):
	incl, orig = struct.unpack(end + "8xII", d[off:off + 16])
	n += 1
	wire += orig
	kept += incl
	off += 16 + incl
print(n, wire, kept)
' "$1"
}
pcap_has_marker() {
	grep -aqF "$MARKER" "$1"
}

capture_test() {
	local vpid lpid
	# --immediate-mode: hand each packet over at once; without it the
	# last second of traffic can still sit in an unfinished ring block
	# when we stop tcpdump, and is lost. -U: write each packet at once;
	# -Z root: no privilege drop that could stop it writing into our tmp.
	bg_run vpid ip netns exec "$NS_SRV" tcpdump -i ve-srv --immediate-mode -s 0 -U -Z root -n \
		-w "$LTUN_TMP/veth.pcap" >"$LTUN_TMP/tcpdump-veth.log" 2>&1
	bg_run lpid ip netns exec "$NS_SRV" tcpdump -i lt0 --immediate-mode -s 0 -U -Z root -n \
		-w "$LTUN_TMP/lt0.pcap" >"$LTUN_TMP/tcpdump-lt0.log" 2>&1
	wait_for 10 grep -q "listening on" "$LTUN_TMP/tcpdump-veth.log" &&
		wait_for 10 grep -q "listening on" "$LTUN_TMP/tcpdump-lt0.log" ||
		{ log "tcpdump did not start"; dump_file "$LTUN_TMP/tcpdump-veth.log"; return 1; }

	bg_run rpid ip netns exec "$NS_SRV" "$TCP_XFER" recv 5301 1000000 0 \
		--marker "$MARKER" --timeout "$(lt_secs 60)" >"$LTUN_TMP/marker-recv.log" 2>&1
	wait_for 5 port_listening "$NS_SRV" 5301
	check "marker stream sent through the tunnel" \
		ip netns exec "$NS_CLI" "$TCP_XFER" send "$IN4_SRV" 5301 1000000 0 \
		--marker "$MARKER" --timeout "$(lt_secs 60)"
	check "marker stream received intact" wait_pid "$rpid" 20
	sleep 0.5	# let tcpdump write the last packets
	bg_stop "$vpid"
	bg_stop "$lpid"

	local nv nl wire kept
	read -r nv wire kept < <(pcap_stats "$LTUN_TMP/veth.pcap")
	read -r nl _ _ < <(pcap_stats "$LTUN_TMP/lt0.pcap")
	log "captured $nv packets on ve-srv ($wire bytes on the wire, $kept kept), $nl on lt0"
	grep -h "dropped by kernel" "$LTUN_TMP"/tcpdump-*.log | sed 's/^/#   /'
	# Without traffic on the veth the negative check would prove nothing.
	# Count bytes, not packets: with GSO on lt0 and TSO on the veth, 1 MB
	# can cross in barely a hundred large packets. Nine tenths, not all:
	# the kernel may drop a 64 KiB packet from tcpdump's ring under load
	# (it counts them), and the stream plus all headers is only ~2% more
	# than 1 MB. A snap length could keep only the head of a GSO packet,
	# so also ask that a tenth was kept: the marker repeats every few bytes, so
	# plaintext anywhere in what was kept would show.
	check "underlay capture saw the stream (>= 900000 wire bytes)" \
		[ "${wire:-0}" -ge 900000 ]
	check "underlay capture kept >= 100000 bytes of it" [ "${kept:-0}" -ge 100000 ]
	check "underlay capture does not contain the plaintext marker" \
		eval '! pcap_has_marker "$LTUN_TMP/veth.pcap"'
	check "lt0 capture contains the plaintext marker (positive control)" \
		pcap_has_marker "$LTUN_TMP/lt0.pcap"
}

json_check() {
	local ns=$1 want_aip=$2 out
	out=$(ip netns exec "$ns" "$LTUNCTL" -j peer show lt0) || return 1
	printf '%s\n' "$out" >"$LTUN_TMP/show-$ns.json"
	if command -v python3 >/dev/null; then
		printf '%s' "$out" | python3 -c '
import json, sys
want = sys.argv[1]
peers = json.load(sys.stdin)
assert isinstance(peers, list) and len(peers) == 1, peers
p = peers[0]
assert isinstance(p["id"], int), p
assert any(a.split("/")[0] == want for a in p["allowed_ips"]), p["allowed_ips"]
assert p["cipher"] and not p["plaintext"], p
assert p["remote"] and p["local"], p
' "$want_aip" || { dump_file "$LTUN_TMP/show-$ns.json"; return 1; }
	else
		printf '%s' "$out" | grep -q "\"id\"" &&
			printf '%s' "$out" | grep -qF "$want_aip"
	fi
}

text_check() {
	local ns=$1 out
	out=$(ip netns exec "$ns" "$LTUNCTL" peer show lt0) || return 1
	printf '%s\n' "$out" | sed 's/^/#   /'
	printf '%s' "$out" | grep -qE '^peer [0-9]+' &&
		printf '%s' "$out" | grep -q 'remote:' &&
		printf '%s' "$out" | grep -q 'allowed ips:'
}

# ---- IPv4 underlay -----------------------------------------------------

log "setting up namespaces, lt0 and certificates"
check "underlay between two namespaces (v4+v6)" setup_underlay
check "lt0 created in both namespaces" setup_lt0
check "certificates generated" gen_certs
[ "$LT_FAILS" -eq 0 ] || lt_finish

tx0=$(tls_sum TlsTxSw)
rx0=$(tls_sum TlsRxSw)

log "tunnel over IPv4 underlay $UL4_SRV:$LT_PORT"
if ! check "client attached to server over IPv4, one peer each side" tunnel_up "$UL4_SRV"; then
	lt_finish
fi

check "ping v4 cli -> srv through lt0" ping_ok "$NS_CLI" "$IN4_SRV"
check "ping v4 srv -> cli through lt0" ping_ok "$NS_SRV" "$IN4_CLI"
check "ping v6 cli -> srv through lt0" ping_ok "$NS_CLI" "$IN6_SRV"
check "ping v6 srv -> cli through lt0" ping_ok "$NS_SRV" "$IN6_CLI"

log "transferring $XFER_BYTES bytes each way"
check "$XFER_BYTES bytes cli -> srv over inner v4, byte-exact" \
	xfer "$NS_SRV" "$NS_CLI" "$IN4_SRV" 5201 "$XFER_BYTES" 12345
check "$XFER_BYTES bytes srv -> cli over inner v6, byte-exact" \
	xfer "$NS_CLI" "$NS_SRV" "$IN6_CLI" 5202 "$XFER_BYTES" 54321 -6

# One kTLS socket per side: software TX and RX on each.
cur_tx=$(tls_sum TlsCurrTxSw)
cur_rx=$(tls_sum TlsCurrRxSw)
log "tls_stat: TlsCurrTxSw=$cur_tx TlsCurrRxSw=$cur_rx TlsTxSw $tx0->$(tls_sum TlsTxSw) TlsRxSw $rx0->$(tls_sum TlsRxSw)"
check "kTLS sockets in use: TlsCurrTxSw >= 2 and TlsCurrRxSw >= 2" \
	[ "$cur_tx" -ge 2 -a "$cur_rx" -ge 2 ]
check "kTLS setups counted: TlsTxSw and TlsRxSw increased" \
	[ "$(tls_sum TlsTxSw)" -gt "$tx0" -a "$(tls_sum TlsRxSw)" -gt "$rx0" ]
check "no kTLS decrypt errors" [ "$(tls_sum TlsDecryptError)" -eq 0 ]

capture_test

check "peer show (text) on server" text_check "$NS_SRV"
check "peer show (text) on client" text_check "$NS_CLI"
check "peer show -j on server parses, allows $IN4_CLI" json_check "$NS_SRV" "$IN4_CLI"
check "peer show -j on client parses, allows the server subnet" json_check "$NS_CLI" 10.9.0.0

# Far side goes away: deleting the client's peer closes its socket, and
# the server must notice and drop its peer.
cid=$(peer_ids "$NS_CLI" | head -n 1)
check "client peer del lt0 $cid" ip netns exec "$NS_CLI" "$LTUNCTL" peer del lt0 "$cid"
check "client has no peer after del" peer_count_is "$NS_CLI" 0
check "server's peer disappears within 5 s" wait_for 5 peer_count_is "$NS_SRV" 0
check "ping through the torn-down tunnel fails" \
	eval '! ip netns exec "$NS_CLI" ping -c 1 -W 1 -q "$IN4_SRV" >/dev/null 2>&1'

# ---- IPv6 underlay -----------------------------------------------------

bg_stop "$SRV_PID"
log "tunnel over IPv6 underlay [$UL6_SRV]:$LT_PORT"
if check "client attached to server over IPv6, one peer each side" tunnel_up "$UL6_SRV"; then
	check "ping v4 cli -> srv (v6 underlay)" ping_ok "$NS_CLI" "$IN4_SRV"
	check "ping v6 srv -> cli (v6 underlay)" ping_ok "$NS_SRV" "$IN6_CLI"
	check "5 MB cli -> srv over v6 underlay, byte-exact" \
		xfer "$NS_SRV" "$NS_CLI" "$IN4_SRV" 5203 $((5 * 1024 * 1024)) 777
	check "server peer's remote is the client's v6 underlay address" \
		eval 'ip netns exec "$NS_SRV" "$LTUNCTL" -j peer show lt0 | grep -qF "$UL6_CLI"'
fi

check "no kernel warnings" dmesg_clean
lt_finish
