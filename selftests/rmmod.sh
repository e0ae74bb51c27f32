#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teardown under load: deleting a netns that holds a live lt0, deleting lt0
# while traffic flows, and rmmod while a tunnel carries traffic. The module
# is loaded again at the end (the runner expects it loaded), and a fresh
# device must work after that.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
[ -r "$LTUN_KO" ] || lt_skip "no $LTUN_KO to reload after rmmod"
command -v iperf3 >/dev/null || lt_skip "needs iperf3"
# Whatever happens, leave the module loaded for the tests after us.
trap 'lt_cleanup; grep -qw "^ltun" /proc/modules || insmod "$LTUN_KO"' EXIT
dmesg_mark
check "certificates generated" gen_certs

# Traffic through the tunnel for up to 60 s, in the background.
start_traffic() {
	bg_run IPERF_S ip netns exec "$NS_SRV" iperf3 -s -1 -B "$IN4_SRV" -p 5301 \
		>"$LTUN_TMP/iperf-s.log" 2>&1
	wait_for 5 port_listening "$NS_SRV" 5301 || return 1
	bg_run IPERF_C ip netns exec "$NS_CLI" iperf3 -c "$IN4_SRV" -p 5301 -t 60 \
		>"$LTUN_TMP/iperf-c.log" 2>&1
	bg_run PINGF ip netns exec "$NS_CLI" ping -f -w 60 -q "$IN6_SRV" \
		>"$LTUN_TMP/ping-f.log" 2>&1
	# traffic flows: lt0 RX packets on the server climb
	local before
	# shellcheck disable=SC2034 # used inside the eval below
	before=$(lt0_rx_packets "$NS_SRV")
	wait_for 10 eval '[ "$(lt0_rx_packets "$NS_SRV")" -gt $((before + 100)) ]'
}

stop_traffic() {
	bg_stop "$PINGF"
	bg_stop "$IPERF_C"
	bg_stop "$IPERF_S"
}

# ip netns exec mounts the namespace's own sysfs
lt0_rx_packets() {
	ip netns exec "$1" cat /sys/class/net/lt0/statistics/rx_packets 2>/dev/null || echo 0
}

# A fresh tunnel in a new namespace pair named after $1.
fresh_tunnel() {
	setup_underlay "$1" && setup_lt0 && tunnel_up "$UL4_SRV"
}

# ---- 1. delete the netns of a live peer ---------------------------------

log "1: delete a netns holding lt0 with a live peer"
if check "tunnel up (set 1)" fresh_tunnel a; then
	check "ip netns del of the client namespace" \
		lt_timeout 20 ip netns del "$NS_CLI"
	# The client's lt0 is gone with its netns; the server side must not
	# keep a peer forever either, but the veth went too, so a FIN may never
	# arrive: only check the server stays usable.
	check "server lt0 still answers peer show" \
		ip netns exec "$NS_SRV" "$LTUNCTL" peer show lt0
fi
bg_stop "${SRV_PID:-}"
check "server namespace deleted" lt_timeout 20 ip netns del "$NS_SRV"

# ---- 2. ip link del while traffic flows -----------------------------------

log "2: ip link del lt0 while traffic flows"
if check "tunnel up (set 2)" fresh_tunnel b; then
	check "traffic flowing through the tunnel" start_traffic
	check "ip link del lt0 on the server under load" \
		lt_timeout 20 ip -n "$NS_SRV" link del lt0
	check "server lt0 gone" eval '! ip -n "$NS_SRV" link show lt0 >/dev/null 2>&1'
	# The server closed the socket with the device: the client sees it.
	check "client's peer removed within 5 s" wait_for 5 peer_count_is "$NS_CLI" 0
	stop_traffic
fi
bg_stop "${SRV_PID:-}"

# ---- 3. rmmod with a tunnel carrying traffic --------------------------------

log "3: rmmod ltun while a tunnel carries traffic"
if check "tunnel up (set 3)" fresh_tunnel c; then
	check "traffic flowing through the tunnel" start_traffic
	check "rmmod ltun under load" lt_timeout 60 rmmod ltun
	check "module gone" eval '! grep -qw "^ltun" /proc/modules'
	check "no ltun device left in any namespace" eval '[ -z "$(ltun_devices)" ]'
	check "client lt0 gone" eval '! ip -n "$NS_CLI" link show lt0 >/dev/null 2>&1'
	stop_traffic
fi
bg_stop "${SRV_PID:-}"

# ---- 4. load again, a device works ------------------------------------------

log "4: insmod again"
if ! grep -qw '^ltun' /proc/modules; then
	check "insmod $LTUN_KO" insmod "$LTUN_KO"
fi
check "module loaded" grep -qw '^ltun' /proc/modules
check "create lt-rm0 after reload" ip link add lt-rm0 type ltun
check "ltunctl sees lt-rm0" "$LTUNCTL" peer show lt-rm0
check "delete lt-rm0" ip link del lt-rm0

check "no kernel warnings" dmesg_clean
lt_finish
