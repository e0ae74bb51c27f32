#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Policy refusals: ltunctl peer add must fail (exit 1, one-line reason on
# stderr) and leave no peer on either side when the server's certificate
# does not verify (unknown CA, wrong name), when the server requires a
# client certificate and gets none or one from another CA, when the
# client's tunnel address is outside the server's subnet, and when the
# address is already another peer's. The server keeps serving throughout:
# a good client works before and after the refusals.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
dmesg_mark

# A second, unrelated CA and a client certificate it signed, in $OTHER.
gen_other_ca() {
	OTHER=$LTUN_TMP/other
	mkdir -p "$OTHER"
	(
		set -e
		cd "$OTHER"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 2 \
			-subj /CN=ltun-other-ca -config "$CERTS/ext.cnf" -extensions ca
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout cli.key -out cli.csr -subj /CN=ltun-other-cli \
			-config "$CERTS/ext.cnf"
		openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key \
			-set_serial "0x$(openssl rand -hex 8)" -days 2 \
			-out cli.pem -extfile "$CERTS/ext.cnf" -extensions cli
	) >"$LTUN_TMP/openssl-other.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-other.log"; return 1; }
}

# A second client certificate from the same CA (another identity), in
# $CERTS/cli2.*: an address held by one identity is "in use" for another.
gen_second_client() {
	(
		set -e
		cd "$CERTS"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout cli2.key -out cli2.csr -subj /CN=ltun-cli2 \
			-config ext.cnf
		openssl x509 -req -in cli2.csr -CA ca.pem -CAkey ca.key \
			-set_serial "0x$(openssl rand -hex 8)" -days 2 \
			-out cli2.pem -extfile ext.cnf -extensions cli
	) >"$LTUN_TMP/openssl-cli2.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-cli2.log"; return 1; }
}

# try_add TAG DEV ARGS...: ltunctl peer add DEV remote SERVER ARGS... in
# NS_CLI; stdout/stderr in $LTUN_TMP/TAG.{out,err}, exit status in ADD_RC.
try_add() {
	local tag=$1 dev=$2
	shift 2
	lt_timeout 40 ip netns exec "$NS_CLI" "$LTUNCTL" peer add "$dev" \
		remote "$UL4_SRV:$LT_PORT" "$@" \
		>"$LTUN_TMP/$tag.out" 2>"$LTUN_TMP/$tag.err"
	ADD_RC=$?
	log "$tag: exit $ADD_RC, stderr: $(head -c 300 "$LTUN_TMP/$tag.err")"
}

# one_line_reason TAG STRING [-E]: stderr is exactly one line containing
# the fixed string (with -E: matching the extended regex) STRING.
one_line_reason() {
	local f=$LTUN_TMP/$1.err
	[ "$(wc -l <"$f")" -eq 1 ] && grep -q "${3:--F}" -- "$2" "$f" && return 0
	dump_file "$f"
	return 1
}

# peers_are NS DEV N: device DEV in NS has N peers (counted in peer show
# -j without python, which costs a second per start under TCG).
peers_are() {
	local out n
	out=$(ip netns exec "$1" "$LTUNCTL" -j peer show "$2") || return 1
	n=$(printf '%s' "$out" | grep -o '"id":' | wc -l)
	[ "$n" -eq "$3" ] && return 0
	log "$n peers on $2 in $1, expected $3: $out"
	return 1
}

# no peer on device $2 in namespace $1 (peer show -j prints an empty array)
no_peer_on() {
	local out
	out=$(ip netns exec "$1" "$LTUNCTL" -j peer show "$2") || return 1
	[ "$(printf '%s' "$out" | tr -d '[:space:]')" = "[]" ] && return 0
	log "peers on $2 in $1: $out"
	return 1
}

# no peer on the server's lt0 and none on client device $1
no_peers() {
	no_peer_on "$NS_SRV" lt0 && no_peer_on "$NS_CLI" "$1"
}

# expect_refusal TAG "what" REASON [-E] -- ARGS...: the three checks (-E:
# REASON is an extended regex, else a fixed string).
expect_refusal() {
	local tag=$1 what=$2 reason=$3 re=-F
	shift 3
	if [ "$1" = -E ]; then re=-E; shift; fi
	shift
	try_add "$tag" lt0 "$@"
	check "$what: peer add exits 1" [ "$ADD_RC" -eq 1 ]
	check "$what: one-line reason '$reason'" one_line_reason "$tag" "$reason" "$re"
	check "$what: no peer on either side" no_peers lt0
}

srv_log_has() {
	grep -qF -- "$1" "$LTUN_TMP/server.log"
}

# the server log has at least $2 lines containing $1
srv_log_count_ge() {
	[ "$(grep -cF -- "$1" "$LTUN_TMP/server.log")" -ge "$2" ]
}

ping_ok() {
	ip netns exec "$1" ping -c 2 -i 0.2 -W 2 -q "$2" >"$LTUN_TMP/ping.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/ping.log"; return 1; }
}

good_client() {
	client_connect "$UL4_SRV" ||
		{ dump_file "$LTUN_TMP/client.log"; dump_file "$LTUN_TMP/server.log"; return 1; }
	wait_for 5 peers_are "$NS_SRV" lt0 1 && peers_are "$NS_CLI" lt0 1
}

log "setting up namespaces, lt0, certificates and a second CA"
check "underlay between two namespaces" setup_underlay
check "lt0 created in both namespaces" setup_lt0
check "certificates generated" gen_certs
check "second CA and a client certificate it signed" gen_other_ca
check "a second client identity from the same CA" gen_second_client
[ "$LT_FAILS" -eq 0 ] || lt_finish
# start_server passes "ca": client certificates are required.
check "server (client certificates required) listening" start_server "$UL4_SRV" ||
	{ dump_file "$LTUN_TMP/server.log"; lt_finish; }

GOOD_CERT=(cert "$CERTS/cli.pem" key "$CERTS/cli.key")

# 1. The server's certificate does not chain to the CA we trust.
expect_refusal ca "untrusted server CA" "certificate verification failed" -- \
	ca "$OTHER/ca.pem" "${GOOD_CERT[@]}"
check "untrusted server CA: says the issuer is unknown" \
	one_line_reason ca "issuer is unknown"

# 2. Right CA, but the certificate is not for the name we ask for.
expect_refusal name "wrong server-name" "certificate verification failed" -- \
	ca "$CERTS/ca.pem" "${GOOD_CERT[@]}" server-name not-the-server.example
check "wrong server-name: says the name does not match" \
	one_line_reason name "does not match"

# 3./4. The server rejects the client certificate only after the client's
# side of the TLS 1.3 handshake is done, so depending on timing the client
# reads the alert (before or after enabling kTLS) or finds the connection
# reset or closed (ltunctl.8 says so); the server's log line is exact. With
# a certificate from another CA the server also sees none: GnuTLS does not
# send a certificate whose issuer is not among the CAs the server's
# CertificateRequest names.
CERT_REFUSED='TLS alert: Certificate is required|Connection reset by peer|closed the connection after the handshake|connection closed by peer'
expect_refusal nocert "no client certificate" "$CERT_REFUSED" -E -- \
	ca "$CERTS/ca.pem"
check "no client certificate: server logged the failed handshake" \
	wait_for 5 srv_log_count_ge "handshake failed: TLS handshake failed: Certificate is required" 1
expect_refusal othercert "client certificate from another CA" "$CERT_REFUSED" -E -- \
	ca "$CERTS/ca.pem" cert "$OTHER/cli.pem" key "$OTHER/cli.key"
check "client certificate from another CA: server logged the failed handshake" \
	wait_for 5 srv_log_count_ge "handshake failed: TLS handshake failed: Certificate is required" 2

# 5. Tunnel address outside the server's subnet (and nothing else announced:
# a second acceptable address would make the server take the client).
ip -n "$NS_CLI" addr flush dev lt0
ip -n "$NS_CLI" addr add 10.8.0.2/24 dev lt0
expect_refusal subnet "address outside the server subnet" \
	"refused by server: 10.8.0.2 is not in a server subnet" -- \
	ca "$CERTS/ca.pem" "${GOOD_CERT[@]}"
check "server logged the subnet refusal" \
	wait_for 5 srv_log_has "refused: 10.8.0.2 is not in a server subnet"
ip -n "$NS_CLI" addr flush dev lt0
ip -n "$NS_CLI" addr add "$IN4_CLI/24" dev lt0
ip -n "$NS_CLI" addr add "$IN6_CLI/64" dev lt0 nodad

# 6. Address in use: a good client first, then a second device announcing
# the same inner address with another identity. noprefixroute: lt1 must
# not take lt0's route.
if check "first client attached (one peer each side)" good_client; then
	check "ping through the first client's tunnel" ping_ok "$NS_CLI" "$IN4_SRV"
	ip -n "$NS_CLI" link add lt1 type ltun &&
		ip -n "$NS_CLI" addr add "$IN4_CLI/24" dev lt1 noprefixroute &&
		ip -n "$NS_CLI" link set lt1 up
	try_add inuse lt1 ca "$CERTS/ca.pem" cert "$CERTS/cli2.pem" key "$CERTS/cli2.key"
	check "address in use: peer add exits 1" [ "$ADD_RC" -eq 1 ]
	check "address in use: one-line reason 'address $IN4_CLI in use'" \
		one_line_reason inuse "refused by server: address $IN4_CLI in use"
	check "address in use: no peer on the client's lt1" no_peer_on "$NS_CLI" lt1
	check "address in use: server still has exactly the first peer" peers_are "$NS_SRV" lt0 1
	check "address in use: client's lt0 still has its peer" peers_are "$NS_CLI" lt0 1
	check "ping through the first client's tunnel still works" ping_ok "$NS_CLI" "$IN4_SRV"

	# 7. The same identity again, as a client whose connection died
	# unnoticed would: it takes its address over, its old peer goes.
	try_add takeover lt1 ca "$CERTS/ca.pem" "${GOOD_CERT[@]}"
	check "same identity, same address: taken over (exit 0)" [ "$ADD_RC" -eq 0 ]
	check "takeover: server has exactly one peer" wait_for 5 peers_are "$NS_SRV" lt0 1
	check "takeover: the old peer (client's lt0) was closed" wait_for 5 no_peer_on "$NS_CLI" lt0
	check "takeover: the new peer is on the client's lt1" peers_are "$NS_CLI" lt1 1

	# 8. Positive control: drop that client, connect on lt0 again.
	check "client's lt1 deleted" ip -n "$NS_CLI" link del lt1
	check "server's peer gone" wait_for 5 no_peer_on "$NS_SRV" lt0
fi
check "a correct client connects after the refusals" good_client &&
	check "ping through the new tunnel" ping_ok "$NS_CLI" "$IN4_SRV"
check "server process still alive" kill -0 "$SRV_PID"

check "no kernel warnings" dmesg_clean
lt_finish
