#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cipher choice and feature negotiation between ltunctl server and client:
#  - each kTLS cipher (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) chosen
#    through "cipher LIST" on the server, on the client or both; both
#    sides agree, "peer show -j" reports it, kTLS carries it (tls_stat),
#    ping and a byte-exact TCP transfer work through lt0;
#  - the client's order decides among the ciphers both allow;
#  - a server restricted to aes-256-gcm refuses a client restricted to
#    aes-128-gcm with a clear line on both sides, and no peer is created;
#  - bad lists (unknown name, empty item, repeat) are refused at once;
#  - GSO (HELLO_FEAT_GSO / LTUN_PEER_F_GSO): both sides report the same
#    "gso" state, on iff the module accepts the flag; a module that does
#    not (built before GSO) still gets a working tunnel without it.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
command -v python3 >/dev/null || lt_skip "needs python3"

XFER_BYTES=${XFER_BYTES:-$(lt_bytes $((4 * 1024 * 1024)))}
HS_TIMEOUT=$(lt_secs 60)
[ "$HS_TIMEOUT" -le 300 ] || HS_TIMEOUT=300
dmesg_mark

ping_ok() {
	ip netns exec "$1" ping -c 2 -i 0.2 -W 2 -q "$2" >"$LTUN_TMP/ping.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/ping.log"; return 1; }
}

# xfer NS_RECV NS_SEND ADDR PORT BYTES SEED: byte-exact (tcp_xfer checks
# every byte against the seed's stream).
xfer() {
	local nsr=$1 nss=$2 addr=$3 port=$4 bytes=$5 seed=$6 rpid
	bg_run rpid ip netns exec "$nsr" "$TCP_XFER" recv "$port" "$bytes" "$seed" \
		--timeout "$(lt_secs 120)" >"$LTUN_TMP/xfer-recv.log" 2>&1
	wait_for 5 port_listening "$nsr" "$port" || { log "receiver not listening"; return 1; }
	ip netns exec "$nss" "$TCP_XFER" send "$addr" "$port" "$bytes" "$seed" \
		--timeout "$(lt_secs 120)" >"$LTUN_TMP/xfer-send.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/xfer-send.log"; bg_stop "$rpid"; return 1; }
	wait_pid "$rpid" 30 || { dump_file "$LTUN_TMP/xfer-recv.log"; return 1; }
}

# peer_summary NS: "CIPHER GSO" of the only peer of lt0 in NS, one
# "peer show -j" and one python3 for both (cheap under TCG).
peer_summary() {
	ip netns exec "$1" "$LTUNCTL" -j peer show lt0 | python3 -c '
import json, sys
p = json.load(sys.stdin)
assert len(p) == 1, p
print(p[0]["cipher"], json.dumps(p[0].get("gso")))'
}

# kTLS sockets in use in NS (TX and RX, software crypto).
ktls_in_use() {
	[ "$(tls_stat "$1" TlsCurrTxSw)" -ge 1 ] && [ "$(tls_stat "$1" TlsCurrRxSw)" -ge 1 ]
}

no_decrypt_errors() {
	[ "$(tls_stat "$NS_SRV" TlsDecryptError)" = 0 ] &&
		[ "$(tls_stat "$NS_CLI" TlsDecryptError)" = 0 ]
}

# Stop the server and start over with fresh devices (deleting lt0 ends
# its peers: the quickest teardown).
stop_all() {
	bg_stop "$SRV_PID"
	SRV_PID=
	ip -n "$NS_SRV" link del lt0 && ip -n "$NS_CLI" link del lt0 && setup_lt0
}

# The GSO state both sides must agree on: on iff the module accepts the
# flag (module_accepts_gso reads that from the header it was built from).
module_accepts_gso
case $? in
0) GSO_WANT=true ;;
1) GSO_WANT=false ;;
*) GSO_WANT= ;;
esac
log "module accepts LTUN_PEER_F_GSO: ${GSO_WANT:-unknown (no gcc)}"

# ---- option errors (no namespaces needed) ----------------------------------

# bad_option WHAT EXPECT CMD...: exit code 1 (like other option errors), an
# "ltunctl: ..." line naming the problem, nothing started.
bad_option() {
	local expect=$1 rc out
	shift
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/#   /' | head -n 3
	[ "$rc" -eq 1 ] && printf '%s\n' "$out" | head -n 1 | grep -q "^ltunctl: .*$expect"
}

check "server: unknown cipher name refused" bad_option "unknown cipher 'rot13'" \
	"$LTUNCTL" server lo listen 127.0.0.1:1 cert /nonexistent key /nonexistent \
	cipher aes-128-gcm,rot13
check "client: unknown cipher name refused" bad_option "unknown cipher 'aes-128'" \
	"$LTUNCTL" peer add lo server 127.0.0.1:1 ca /nonexistent cipher aes-128
check "client: empty cipher list refused" bad_option "empty name in the cipher list" \
	"$LTUNCTL" peer add lo server 127.0.0.1:1 ca /nonexistent cipher ,

# ---- each cipher -------------------------------------------------------------

log "setting up namespaces, lt0 and certificates"
check "underlay between two namespaces" setup_underlay
check "lt0 created in both namespaces" setup_lt0
check "certificates generated" gen_certs
[ "$LT_FAILS" -eq 0 ] || lt_finish

# one_cipher WANT-NAME PORT "SERVER-OPTIONS" "CLIENT-OPTIONS"
one_cipher() {
	local want=$1 port=$2 sopt=$3 copt=$4 seed=$2
	: >"$LTUN_TMP/server.log"
	: >"$LTUN_TMP/client.log"
	log "server ${sopt:-(default)}, client ${copt:-(default)}: expect $want"
	# The first connection with a cipher may load its crypto modules
	# (chacha20poly1305 and friends) during kTLS setup, which takes TCG
	# longer than the default 10 s handshake-timeout when the host is busy.
	# shellcheck disable=SC2086 # the options are words
	if ! check "[$want] server listening" start_server_with "$UL4_SRV" $sopt \
		handshake-timeout "$HS_TIMEOUT"; then
		dump_file "$LTUN_TMP/server.log"
		return
	fi
	# shellcheck disable=SC2086
	if ! check "[$want] client attached" client_connect_with "$UL4_SRV" $copt; then
		dump_file "$LTUN_TMP/client.log"
		dump_file "$LTUN_TMP/server.log"
		stop_all
		return
	fi
	local srv cli
	srv=$(peer_summary "$NS_SRV")
	cli=$(peer_summary "$NS_CLI")
	log "  server peer: $srv; client peer: $cli"
	check "[$want] peer show -j on both sides: one peer, cipher $want" \
		eval '[ "${srv%% *}" = "$want" ] && [ "${cli%% *}" = "$want" ]'
	check "[$want] server log and client output: peer up with $want" \
		eval 'grep -qE "^peer [0-9]+ up: .*, $want\$" "$LTUN_TMP/server.log" &&
		      grep -qE "^peer [0-9]+ up: .*, $want\$" "$LTUN_TMP/client.log"'
	check "[$want] kTLS TX and RX in use on both sides" \
		eval 'ktls_in_use "$NS_SRV" && ktls_in_use "$NS_CLI"'
	check "[$want] ping v4 cli -> srv" ping_ok "$NS_CLI" "$IN4_SRV"
	check "[$want] ping v6 srv -> cli" ping_ok "$NS_SRV" "$IN6_CLI"
	check "[$want] $XFER_BYTES bytes cli -> srv, byte-exact" \
		xfer "$NS_SRV" "$NS_CLI" "$IN4_SRV" "$port" "$XFER_BYTES" "$seed"
	check "[$want] $XFER_BYTES bytes srv -> cli, byte-exact" \
		xfer "$NS_CLI" "$NS_SRV" "$IN4_CLI" "$((port + 1))" "$XFER_BYTES" "$((seed + 1))"
	check "[$want] no kTLS decrypt errors" no_decrypt_errors
	# GSO: the same on both ends (each side sets the flag from WELCOME)
	check "[$want] both sides report the same gso state" \
		eval '[ "${srv#* }" = "${cli#* }" ] && [ "${srv#* }" != null ]'
	if [ -n "$GSO_WANT" ]; then
		check "[$want] gso is $GSO_WANT on both sides (the module decides)" \
			eval '[ "${srv#* }" = "$GSO_WANT" ]'
	fi
	check "[$want] peer show text has the cipher and a gso line" \
		eval 'ip netns exec "$NS_CLI" "$LTUNCTL" peer show lt0 >"$LTUN_TMP/show.txt" &&
		      grep -q "cipher: TLS1.3 $want" "$LTUN_TMP/show.txt" &&
		      grep -qE "^  gso: (on|off)$" "$LTUN_TMP/show.txt"'
	check "[$want] tunnel torn down" stop_all
}

# The server's list alone decides (client offers all three) ...
one_cipher AES-128-GCM 5401 "cipher aes-128-gcm" ""
# ... the client's list alone decides (server accepts all three) ...
one_cipher AES-256-GCM 5411 "" "cipher aes-256-gcm"
# ... and among several both allow, the client's order wins (ChaCha20 for
# a client without AES instructions, say). The intersection alone decides
# in the refusal case below.
one_cipher CHACHA20-POLY1305 5421 "cipher aes-256-gcm,chacha20-poly1305" \
	"cipher chacha20-poly1305,aes-256-gcm"

# ---- no cipher in common -------------------------------------------------

log "server cipher aes-256-gcm, client cipher aes-128-gcm: refused"
: >"$LTUN_TMP/server.log"
: >"$LTUN_TMP/client.log"
if check "[refuse] server listening" start_server_with "$UL4_SRV" cipher aes-256-gcm \
	handshake-timeout "$HS_TIMEOUT"; then
	check "[refuse] client fails" eval '! client_connect_with "$UL4_SRV" cipher aes-128-gcm'
	dump_file "$LTUN_TMP/client.log" 5
	check "[refuse] server log: no cipher in common" \
		wait_for 5 grep -q "handshake failed: TLS handshake failed: no cipher in common: the client offers none of aes-256-gcm" \
		"$LTUN_TMP/server.log"
	check "[refuse] client error: handshake failure, names its offer" \
		grep -q "^ltunctl: peer add: .*Handshake failed (no cipher in common? this client offers aes-128-gcm)" \
		"$LTUN_TMP/client.log"
	check "[refuse] no peer on either side" \
		eval 'peer_count_is "$NS_SRV" 0 && peer_count_is "$NS_CLI" 0'
	check "[refuse] no \"up\" line in the server log" \
		eval '! grep -q " up: " "$LTUN_TMP/server.log"'
	dump_file "$LTUN_TMP/server.log" 8
	# the same server still takes a client that offers its cipher
	check "[refuse] same server admits an aes-256-gcm client" \
		client_connect_with "$UL4_SRV" cipher aes-128-gcm,aes-256-gcm
	check "[refuse] ... with AES-256-GCM, the only cipher both allow" \
		eval '[ "$(peer_summary "$NS_CLI" | cut -d" " -f1)" = AES-256-GCM ]'
	bg_stop "$SRV_PID"
fi

check "no kernel warnings" dmesg_clean
lt_finish
