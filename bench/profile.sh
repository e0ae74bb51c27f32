#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# profile.sh OUTDIR: where the CPU goes while one ltun tunnel carries bulk
# TCP, run as root inside the test VM (bench/README, "Profiling"):
#
#   selftests/vm/run-vm.sh --kver KVER -- bench/profile.sh build/bench/profile-KVER
#
# One tunnel on lt0 between the selftests' two namespaces (lib.sh), iperf3
# with PROFILE_STREAMS streams (1) from cli to srv, and a system-wide
# perf record (cpu-clock: TCG has no PMU) over PROFILE_SECONDS (10) of
# the steady part, once with GSO on lt0 and once with it off. For each:
# OUTDIR/gso-on.txt and gso-off.txt, the symbols by share of samples,
# and the iperf3 rate over the same run, so a profile can be tied to a
# throughput.

# shellcheck source=../selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib.sh"

OUTDIR=${1:?usage: profile.sh OUTDIR}
SEC=${PROFILE_SECONDS:-10}
STREAMS=${PROFILE_STREAMS:-1}
require_root_env
command -v perf >/dev/null || lt_skip "needs perf (linux-perf)"
command -v iperf3 >/dev/null || lt_skip "needs iperf3"
mkdir -p "$OUTDIR" || exit 1

gso() {
	ip netns exec "$NS_SRV" ethtool -K lt0 tso "$1" gso "$1" >/dev/null &&
		ip netns exec "$NS_CLI" ethtool -K lt0 tso "$1" gso "$1" >/dev/null
}

# profile NAME: iperf3 for WARM + SEC + 2 s, perf over SEC of it.
profile() {
	local name=$1 ipid data=$LTUN_TMP/perf-$1.data out=$OUTDIR/$1.txt
	bg_run ipid ip netns exec "$NS_CLI" iperf3 -c "$IN4_SRV" -p 5201 -P "$STREAMS" \
		-t $((SEC + 5)) -f m >"$LTUN_TMP/iperf-$name.log" 2>&1
	sleep 3
	perf record -q -a -g -e cpu-clock -F 499 -o "$data" -- sleep "$SEC" \
		>"$LTUN_TMP/perf-$name.log" 2>&1
	wait_pid "$ipid" $((SEC + 60))
	{
		echo "# $name: iperf3 -P $STREAMS through lt0, $(uname -r)"
		grep -E 'receiver' "$LTUN_TMP/iperf-$name.log" | tail -n 1
		echo
		perf report -q -i "$data" --no-children --sort sym --stdio -g none \
			--percent-limit 0.5 2>/dev/null
	} >"$out"
	log "$name: $(grep -E 'receiver' "$LTUN_TMP/iperf-$name.log" | tail -n 1)"
	head -n 25 "$out" | sed 's/^/#   /'
}

check "underlay between two namespaces" setup_underlay
check "lt0 created in both namespaces" setup_lt0
check "certificates generated" gen_certs
check "tunnel up" tunnel_up "$UL4_SRV" || lt_finish
bg_run ISRV ip netns exec "$NS_SRV" iperf3 -s -B "$IN4_SRV" -p 5201 \
	>"$LTUN_TMP/iperf-server.log" 2>&1
check "iperf3 server listening" wait_for 10 port_listening "$NS_SRV" 5201

profile gso-on
check "GSO off on lt0" gso off && profile gso-off
lt_finish
