#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: show an ltun TLS tunnel working, for `make demo` (runs inside the
# test VM: selftests/vm/run-vm.sh --kver KVER -- selftests/demo.sh).
#
# Two namespaces on a veth pair, certificates made on the fly, server and
# client up, ping and a 5 s iperf3 through the tunnel, then the peers as
# ltunctl shows them. Exits non-zero if ping or iperf3 fails.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

heading() {
	printf '\n=== %s ===\n' "$*"
}

die() {
	echo "demo: $*" >&2
	for f in server.log client.log; do
		[ -s "$LTUN_TMP/$f" ] && { echo "--- $f"; cat "$LTUN_TMP/$f"; }
	done
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (inside the VM)"
[ -x "$LTUNCTL" ] || die "no ltunctl at $LTUNCTL (make userspace)"
command -v iperf3 >/dev/null || die "iperf3 is not installed"

heading "Kernel modules"
modprobe tls 2>/dev/null || echo "(modprobe tls failed; kTLS may be built in)"
if ! grep -qw '^ltun' /proc/modules; then
	insmod "$LTUN_KO" || die "cannot insmod $LTUN_KO (make module KVER=$KVER)"
fi
grep -E '^(ltun|tls) ' /proc/modules | awk '{ print "  " $1 " loaded" }'

heading "Network: namespaces srv and cli on a veth pair"
setup_underlay || die "cannot set up the namespaces"
setup_lt0 || die "cannot create lt0 (is the ltun module loaded?)"
echo "  srv: ve-srv $UL4_SRV/24 $UL6_SRV/64, lt0 $IN4_SRV/24 $IN6_SRV/64"
echo "  cli: ve-cli $UL4_CLI/24 $UL6_CLI/64, lt0 $IN4_CLI/24 $IN6_CLI/64"

heading "Certificates (throw-away CA, server and client)"
gen_certs || die "openssl failed"
ls "$CERTS"/*.pem | sed 's/^/  /'

heading "Tunnel: server listens on $UL4_SRV:$LT_PORT, client connects"
tunnel_up "$UL4_SRV" || die "tunnel did not come up"
echo "  up: one peer on each side"

heading "Ping through the tunnel"
ip netns exec "$NS_CLI" ping -c 3 -i 0.3 -W 2 "$IN4_SRV" || die "ping $IN4_SRV failed"
ip netns exec "$NS_CLI" ping -c 3 -i 0.3 -W 2 "$IN6_SRV" || die "ping $IN6_SRV failed"

heading "iperf3 through the tunnel (5 s, client -> server)"
bg_run iperf_pid ip netns exec "$NS_SRV" iperf3 -s -1 -B "$IN4_SRV" -p 5201 \
	>"$LTUN_TMP/iperf-s.log" 2>&1
wait_for 5 port_listening "$NS_SRV" 5201 || die "iperf3 server did not start"
ip netns exec "$NS_CLI" timeout 30 iperf3 -c "$IN4_SRV" -p 5201 -t 5 -f m ||
	die "iperf3 failed"
# shellcheck disable=SC2154 # set by bg_run
wait_pid "$iperf_pid" 10 || true

heading "kTLS counters (/proc/net/tls_stat, server namespace)"
ip netns exec "$NS_SRV" grep -E 'TlsCurr(Tx|Rx)Sw|Tls(Tx|Rx)Sw' /proc/net/tls_stat | sed 's/^/  /'

heading "ltunctl peer show lt0 (server)"
ip netns exec "$NS_SRV" "$LTUNCTL" peer show lt0 || die "peer show failed on the server"
heading "ltunctl peer show lt0 (client)"
ip netns exec "$NS_CLI" "$LTUNCTL" peer show lt0 || die "peer show failed on the client"

heading "Done: the tunnel works"
exit 0
