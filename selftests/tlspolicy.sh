#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TLS policy of "ltunctl server ... ca FILE crl FILE": a client whose
# certificate is from another CA, expired, not yet valid or revoked, a
# client without a certificate and a TLS 1.2-only client are each refused
# during the handshake with a log line that says why, and no peer is
# created (none in peer show, no "up" event from the kernel in ltunctl
# monitor). OpenSSL's s_client and gnutls-cli stand in for clients that
# ltunctl would not be (a certificate from a CA the server did not ask
# for, TLS 1.2); ltunctl itself is the client for the expired and revoked
# certificates. A revocation added to the CRL later takes effect on
# SIGHUP, a broken CRL on SIGHUP keeps the old one, and a valid client
# connects afterwards. Client side: ltunctl peer add refuses a server
# whose certificate is expired or from an unknown CA, with the reason.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
command -v gnutls-cli >/dev/null || lt_skip "needs gnutls-cli (gnutls-bin)"
dmesg_mark

# must WHAT CMD...: a check whose status says whether it passed (check's
# own status does not)
must() {
	local f=$LT_FAILS
	check "$@"
	[ "$LT_FAILS" -eq "$f" ]
}

SLOG=$LTUN_TMP/server.log

# Another CA with a client and a server certificate, in $OTHER.
gen_other_ca() {
	OTHER=$LTUN_TMP/other
	mkdir -p "$OTHER"
	(
		set -e
		cd "$OTHER"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 2 \
			-subj /CN=ltun-other-ca -config "$CERTS/ext.cnf" -extensions ca
		for r in cli srv; do
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout $r.key -out $r.csr -subj /CN=ltun-other-$r \
				-config "$CERTS/ext.cnf"
			openssl x509 -req -in $r.csr -CA ca.pem -CAkey ca.key \
				-set_serial "0x$(openssl rand -hex 8)" -days 2 \
				-out $r.pem -extfile "$CERTS/ext.cnf" -extensions $r
		done
	) >"$LTUN_TMP/openssl-other.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-other.log"; return 1; }
}

gen_dated_certs() {
	gen_cert_dated expired cli "-10 days" "-1 day" &&
		gen_cert_dated future cli "+1 day" "+10 days" &&
		gen_cert_dated revoked cli "-1 hour" "+2 days" &&
		gen_cert_dated late cli "-1 hour" "+2 days" &&
		gen_cert_dated srvexpired srv "-10 days" "-1 day" &&
		gen_crl revoked
}

# server PORT CERT KEY [ARGS...]: a server on lt0 in NS_SRV (background,
# pid in SRV_PID), log appended to $SLOG.
server() {
	local port=$1 cert=$2 key=$3
	shift 3
	bg_run SRV_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lt0 \
		listen "$UL4_SRV:$port" cert "$cert" key "$key" "$@" >>"$SLOG" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$port"
}

# ssl TAG ARGS...: openssl s_client to the server from NS_CLI, holding the
# connection 2 s (long enough for the server to answer), output in TAG.out.
ssl() {
	local tag=$1
	shift
	sleep 2 | lt_timeout 20 ip netns exec "$NS_CLI" openssl s_client \
		-connect "$UL4_SRV:$LT_PORT" -CAfile "$CERTS/ca.pem" "$@" \
		>"$LTUN_TMP/$tag.out" 2>&1
	return 0
}

# gnutls TAG ARGS...: gnutls-cli to the server from NS_CLI.
gnutls() {
	local tag=$1
	shift
	lt_timeout 20 ip netns exec "$NS_CLI" gnutls-cli --x509cafile "$CERTS/ca.pem" \
		-p "$LT_PORT" "$@" "$UL4_SRV" </dev/null >"$LTUN_TMP/$tag.out" 2>&1
	return 0
}

# add TAG PORT ARGS...: ltunctl peer add lt0 from NS_CLI; status in ADD_RC,
# stderr in TAG.err.
add() {
	local tag=$1 port=$2
	shift 2
	lt_timeout 40 ip netns exec "$NS_CLI" "$LTUNCTL" peer add lt0 \
		server "$UL4_SRV:$port" "$@" >"$LTUN_TMP/$tag.out" 2>"$LTUN_TMP/$tag.err"
	ADD_RC=$?
	log "$tag: peer add exit $ADD_RC: $(head -c 300 "$LTUN_TMP/$tag.err")"
}

# the server log has at least $2 lines containing $1
log_count_ge() {
	[ "$(grep -cF -- "$1" "$SLOG")" -ge "$2" ]
}

# server_logged WHAT N: wait (bounded) until the log has N such lines
server_logged() {
	wait_for 15 log_count_ge "$1" "$2" && return 0
	log "server log lacks $2 x '$1':"
	tail -n 8 "$SLOG" | sed 's/^/#   /'
	return 1
}

no_peer_on() {
	local out
	out=$(ip netns exec "$1" "$LTUNCTL" -j peer show lt0) || return 1
	[ "$(printf '%s' "$out" | tr -d '[:space:]')" = "[]" ] && return 0
	log "peers in $1: $out"
	return 1
}

# number of "up" events the kernel sent (PEER_NEW that succeeded)
ups() {
	grep -c ' up ' "$MON" 2>/dev/null
}

ups_is() {
	[ "$(ups)" -eq "$1" ]
}

# refused WHAT LOGTEXT N: the three checks after a refused attempt
refused() {
	check "$1: server logs '$2'" server_logged "handshake failed: $2" "$3"
	check "$1: no peer on the server" no_peer_on "$NS_SRV"
	check "$1: the kernel added no peer (no up event)" ups_is "$UPS"
}

log "setting up namespaces, lt0, certificates (expired, not yet valid, revoked), a CRL"
check "underlay between two namespaces" setup_underlay
check "lt0 created in both namespaces" setup_lt0
check "certificates generated" gen_certs
check "another CA with a client and a server certificate" gen_other_ca
check "dated certificates and a CRL revoking one" gen_dated_certs
[ "$LT_FAILS" -eq 0 ] || lt_finish

MON=$LTUN_TMP/monitor.log
bg_run MON_PID ip netns exec "$NS_SRV" "$LTUNCTL" monitor lt0 >"$MON" 2>&1
must "server with ca and crl listening" \
	server "$LT_PORT" "$CERTS/srv.pem" "$CERTS/srv.key" ca "$CERTS/ca.pem" \
	crl "$CERTS/crl.pem" || { dump_file "$SLOG"; lt_finish; }
check "server says it loaded the CRL" grep -q "client certificates required, CRL loaded" "$SLOG"
UPS=0

# 1. wrong CA: s_client sends its certificate although the server's
# CertificateRequest names only its own CA (GnuTLS would not).
ssl wrongca -cert "$OTHER/cli.pem" -key "$OTHER/cli.key"
refused "certificate from another CA" "client certificate verification failed: unknown CA" 1

# 2./3. outside the validity period (ltunctl as the client for the first)
add expired "$LT_PORT" ca "$CERTS/ca.pem" cert "$CERTS/expired.pem" key "$CERTS/expired.key"
check "expired certificate: peer add fails" [ "$ADD_RC" -eq 1 ]
refused "expired certificate" "client certificate verification failed: certificate expired" 1
check "expired certificate: no peer on the client" no_peer_on "$NS_CLI"
ssl future -cert "$CERTS/future.pem" -key "$CERTS/future.key"
refused "not yet valid certificate" \
	"client certificate verification failed: certificate not yet valid" 1

# 4. revoked in the CRL the server loaded
add revoked "$LT_PORT" ca "$CERTS/ca.pem" cert "$CERTS/revoked.pem" key "$CERTS/revoked.key"
check "revoked certificate: peer add fails" [ "$ADD_RC" -eq 1 ]
refused "revoked certificate" "client certificate verification failed: certificate revoked" 1

# 5. no certificate at all (ltunctl's own case is in policy.sh)
ssl nocert
refused "no client certificate" "Certificate is required: no client certificate" 1

# 6. TLS 1.2 only, with a valid certificate: OpenSSL and GnuTLS
TLS12="TLS handshake failed: TLS version not supported: the client offers TLS1.2 at most, TLS 1.3 is required"
ssl tls12 -tls1_2 -cert "$CERTS/late.pem" -key "$CERTS/late.key"
refused "TLS 1.2-only client (openssl)" "$TLS12" 1
gnutls tls12g --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2" \
	--x509certfile "$CERTS/late.pem" --x509keyfile "$CERTS/late.key"
refused "TLS 1.2-only client (gnutls-cli)" "$TLS12" 2

# 7. a valid client ("late") gets in; then it is revoked: SIGHUP
add late "$LT_PORT" ca "$CERTS/ca.pem" cert "$CERTS/late.pem" key "$CERTS/late.key"
check "valid client connects after the refusals" [ "$ADD_RC" -eq 0 ]
check "valid client: one peer on the server" wait_for 5 peer_count_is "$NS_SRV" 1
check "valid client: the kernel sent one up event" wait_for 5 ups_is 1
UPS=1
for id in $(peer_ids "$NS_CLI"); do
	ip netns exec "$NS_CLI" "$LTUNCTL" peer del lt0 "$id"
done
check "valid client's peer removed" wait_for 40 no_peer_on "$NS_SRV"
check "late certificate revoked into a new CRL" gen_crl late
kill -HUP "$SRV_PID"
check "SIGHUP: server reloaded the TLS files" \
	server_logged "TLS files reloaded: cert, key, ca, crl" 1
add late2 "$LT_PORT" ca "$CERTS/ca.pem" cert "$CERTS/late.pem" key "$CERTS/late.key"
check "revoked after SIGHUP: peer add fails" [ "$ADD_RC" -eq 1 ]
refused "revoked after SIGHUP" "client certificate verification failed: certificate revoked" 2

# 8. a broken CRL on SIGHUP: the old one stays in force
cp "$CERTS/crl.pem" "$CERTS/crl.good"
echo "not a CRL" >"$CERTS/crl.pem"
kill -HUP "$SRV_PID"
check "SIGHUP with a broken CRL: server keeps the old files" \
	server_logged "TLS files not reloaded, keeping the old ones: loading crl" 1
add late3 "$LT_PORT" ca "$CERTS/ca.pem" cert "$CERTS/late.pem" key "$CERTS/late.key"
refused "revoked, old CRL kept" "client certificate verification failed: certificate revoked" 3

# 9. positive control: the original client certificate works
must "a valid client connects at the end" client_connect "$UL4_SRV" ||
	{ dump_file "$LTUN_TMP/client.log"; tail -n 5 "$SLOG" | sed 's/^/#   /'; }
check "one peer on the server" wait_for 5 peer_count_is "$NS_SRV" 1
check "exactly two up events in all" wait_for 5 ups_is 2
check "server still alive" kill -0 "$SRV_PID"
bg_stop "$SRV_PID"

# 10. client side: the server's certificate is expired / from another CA
ip netns exec "$NS_CLI" "$LTUNCTL" peer del lt0 "$(peer_ids "$NS_CLI" | head -n 1)" >/dev/null
check "server with an expired certificate listening" \
	server 4434 "$CERTS/srvexpired.pem" "$CERTS/srvexpired.key"
add srvexp 4434 ca "$CERTS/ca.pem"
check "expired server certificate: peer add fails" [ "$ADD_RC" -eq 1 ]
check "expired server certificate: one-line reason" \
	grep -qF "server certificate verification failed: certificate expired" "$LTUN_TMP/srvexp.err"
bg_stop "$SRV_PID"
check "server with a certificate from another CA listening" \
	server 4435 "$OTHER/srv.pem" "$OTHER/srv.key"
add srvca 4435 ca "$CERTS/ca.pem"
check "server certificate from another CA: peer add fails" [ "$ADD_RC" -eq 1 ]
check "server certificate from another CA: says unknown CA" \
	grep -qF "server certificate verification failed: unknown CA" "$LTUN_TMP/srvca.err"
check "no peer on the client" no_peer_on "$NS_CLI"
bg_stop "$SRV_PID"

check "no kernel warnings" dmesg_clean
lt_finish
