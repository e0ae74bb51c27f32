#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Handshake flood: thousands of TCP connections to the server's port that
# never finish TLS (silent, or a partial ClientHello, then nothing) must
# not exhaust the server nor slow down an established peer.
#
# The server runs with handshake-timeout 4, max-handshakes 16,
# max-handshakes-per-source 4 (4 and 2 on the debug kernel, see below). An
# established peer carries iperf3.
#  A. Flood from 32 addresses (more than the global cap can take: 32 x 4):
#     the server never has more than 16 handshake children (sampled), every
#     stalled connection is closed within the timeout (+3 s) and none stays
#     open, the server's fds and memory stay flat, its log does not grow
#     with the flood, iperf3 through the established peer keeps at least
#     half its throughput (of the lower of the rates just before and just
#     after the flood), and a new client connects right afterwards.
#  B. Flood from one address: it never holds more than 4 handshakes, and a
#     new client from another address connects during the flood.
# Each check fails without the protection it is about (see the report in
# the commit that added this test).

# A_* and B_* are set by flood_vars (eval)
# shellcheck disable=SC2154
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
command -v python3 >/dev/null || lt_skip "needs python3"
command -v iperf3 >/dev/null || lt_skip "needs iperf3"
dmesg_mark

# must WHAT CMD...: a check whose status says whether it passed (check's
# own status does not)
must() {
	local f=$LT_FAILS
	check "$@"
	[ "$LT_FAILS" -eq "$f" ]
}

HS_TIMEOUT=4
MAX_HS=16
MAX_PER_SRC=4
FLOOD=$SELFTESTS/hsflood.py
FLOOD_SRCS=$(seq -s, -f "192.0.2.%g" 100 131)
# ~1 min of flood under TCG; a real machine takes far more.
A_COUNT=2400
A_RATE=40
B_COUNT=1200
B_RATE=40
# The debug kernel (KASAN, lockdep) under TCG costs the server's parent
# ~165 ms of CPU per accept+fork+reset: it serves ~6 connections a second,
# and at 20/s its listen backlog, not its limits, decided when a stalled
# connection closed (377 of 600 still open after 200 s). There the flood
# stays below that capacity and the caps shrink to match: at 3/s with a
# 4 s timeout, 12 connections arrive per timeout against a cap of 4, so
# every limit is still reached and checked.
if [ "$LT_SLOW" -gt 1 ]; then
	MAX_HS=4
	MAX_PER_SRC=2
	A_COUNT=120
	A_RATE=3
	B_COUNT=90
	B_RATE=3
fi
A_COUNT=${FLOOD_A_COUNT:-$A_COUNT}
A_RATE=${FLOOD_A_RATE:-$A_RATE}
B_COUNT=${FLOOD_B_COUNT:-$B_COUNT}
B_RATE=${FLOOD_B_RATE:-$B_RATE}
IPERF_S=8
# A stalled connection must be closed within HS_TIMEOUT + SLACK s, as the
# flood tool sees it: on a loaded TCG VM the tool (at nice 19) notices a
# close seconds late (p95 ~6.5 s, max ~11 s seen for a 4 s timeout).
# Without the timeout they are never closed. Stretched on the debug kernel.
SLACK=$(lt_secs 10)
SLOG=$LTUN_TMP/server.log

# Server with the limits above (like start_server, which takes no options).
start_flood_server() {
	bg_run SRV_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lt0 \
		listen "$UL4_SRV:$LT_PORT" cert "$CERTS/srv.pem" key "$CERTS/srv.key" \
		ca "$CERTS/ca.pem" handshake-timeout "$HS_TIMEOUT" \
		max-handshakes "$MAX_HS" max-handshakes-per-source "$MAX_PER_SRC" \
		>>"$SLOG" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$LT_PORT"
}

# new_client DEV N: a device DEV in NS_CLI with tunnel address 10.9.0.N,
# and ltunctl peer add on it with its own identity (certificate cliN).
new_client_dev() {
	ip -n "$NS_CLI" link add "$1" type ltun &&
		ip -n "$NS_CLI" addr add "10.9.0.$2/24" dev "$1" noprefixroute &&
		ip -n "$NS_CLI" link set "$1" up &&
		gen_cert_dated "cli$2" cli "-1 hour" "+2 days"
}

new_client() {
	lt_timeout 40 ip netns exec "$NS_CLI" "$LTUNCTL" peer add "$1" \
		server "$UL4_SRV:$LT_PORT" ca "$CERTS/ca.pem" \
		cert "$CERTS/cli$2.pem" key "$CERTS/cli$2.key" \
		>"$LTUN_TMP/new-$1.log" 2>&1 && return 0
	dump_file "$LTUN_TMP/new-$1.log"
	return 1
}

# iperf3 through the established peer for IPERF_S seconds: bits/s on stdout.
iperf_bps() {
	lt_timeout $((IPERF_S + 20)) ip netns exec "$NS_CLI" iperf3 -c "$IN4_SRV" -p 5201 \
		-t "$IPERF_S" -J >"$LTUN_TMP/iperf-$1.json" 2>&1 || return 1
	python3 -c '
import json, sys
print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
		"$LTUN_TMP/iperf-$1.json"
}

# Sample the server every 0.1 s into $1 until $2 exists: "children fds
# rss_kB" (python: a shell loop forks per sample, too slow under load).
# The children come from /proc/PID/task/PID/children, or, on a kernel
# without CONFIG_PROC_CHILDREN (the debug kernel), from the parent pid of
# every process. The sampler stops when the server is gone.
sampler() {
	nice -n 19 python3 -c '
import os, sys, time
pid, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]

def children():
    try:
        with open("/proc/%s/task/%s/children" % (pid, pid)) as c:
            return len(c.read().split())
    except FileNotFoundError:
        pass
    n = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as st:
                s = st.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parens
        if s[s.rindex(")") + 2:].split()[1] == pid:
            n += 1
    return n

with open(out, "a") as f:
    while True:
        try:
            kids = children()
            fds = len(os.listdir("/proc/%s/fd" % pid))
            with open("/proc/%s/status" % pid) as st:
                rss = [l.split()[1] for l in st if l.startswith("VmRSS:")][0]
        except OSError:
            break
        f.write("%d %d %s\n" % (kids, fds, rss))
        f.flush()
        if os.path.exists(stop):
            break
        time.sleep(0.1)' "$SRV_PID" "$1" "$2"
}

# CPU time of the server and of its reaped children, in clock ticks
server_ticks() {
	awk '{ print $14 + $15, $16 + $17 }' "/proc/$SRV_PID/stat"
}

# column_max FILE COL
column_max() {
	awk -v c="$2" 'BEGIN { m = 0 } $c > m { m = $c } END { print m }' "$1"
}

# flood_vars FILE PREFIX: the flood tool's summary as shell variables
# PREFIX_key (one python start: they cost seconds on a loaded TCG VM)
flood_vars() {
	eval "$(python3 -c '
import json, sys
for k, v in json.load(open(sys.argv[1])).items():
    print("%s_%s=%s" % (sys.argv[2], k, v))' "$1" "$2")"
}

# flood TAG SOURCES COUNT RATE: run the flood tool in NS_CLI (background,
# pid in FLOOD_PID), summary in $LTUN_TMP/TAG.json. It stands in for other
# machines, so it runs at the lowest CPU priority: in the VM it shares the
# CPUs with iperf3 (and costs several times the server's CPU time).
flood() {
	bg_run FLOOD_PID ip netns exec "$NS_CLI" nice -n 19 python3 "$FLOOD" --server "$UL4_SRV" \
		--port "$LT_PORT" --sources "$2" --count "$3" --rate "$4" \
		--timeout "$HS_TIMEOUT" --slow $((HS_TIMEOUT + SLACK)) \
		--linger $((HS_TIMEOUT + SLACK + 2)) \
		--progress "$LTUN_TMP/$1.progress" >"$LTUN_TMP/$1.json" 2>"$LTUN_TMP/$1.err"
}

log "setting up namespaces, lt0, certificates, flood source addresses"
check "underlay between two namespaces" setup_underlay
check "lt0 created in both namespaces" setup_lt0
check "certificates generated" gen_certs
check "32 flood source addresses on the client's veth" \
	ip -n "$NS_CLI" -batch <(for i in $(seq 100 131); do echo "addr add 192.0.2.$i/24 dev ve-cli"; done)
[ "$LT_FAILS" -eq 0 ] || lt_finish
# thousands of sockets in TIME_WAIT or closing: room for them
ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
ulimit -n 65536 2>/dev/null || ulimit -n 8192

must "server listening (handshake-timeout $HS_TIMEOUT, max-handshakes $MAX_HS, per source $MAX_PER_SRC)" \
	start_flood_server || { dump_file "$SLOG"; lt_finish; }
if ! must "established peer up" client_connect "$UL4_SRV" ||
	! must "one peer on each side" wait_for 5 peer_count_is "$NS_SRV" 1; then
	dump_file "$LTUN_TMP/client.log"
	dump_file "$SLOG"
	lt_finish
fi
bg_run IPERF_SRV ip netns exec "$NS_SRV" iperf3 -s -B "$IN4_SRV" -p 5201 \
	>"$LTUN_TMP/iperf-server.log" 2>&1
check "iperf3 server listening" wait_for 10 port_listening "$NS_SRV" 5201

# Baseline: the idle server, and the throughput with the sampler running
# (it costs CPU during the flood too).
SAMPLES=$LTUN_TMP/samples-a
: >"$LTUN_TMP/base"
sampler "$LTUN_TMP/base" "$LTUN_TMP/base.stop" &
SAMPLER_PID=$!
BASE_BPS=$(iperf_bps base) || BASE_BPS=0
touch "$LTUN_TMP/base.stop"
wait "$SAMPLER_PID"
check "baseline throughput measured ($((BASE_BPS / 1000000)) Mbit/s)" [ "$BASE_BPS" -gt 0 ]
# Without samples every bound below would hold vacuously.
check "sampler read the idle server ($(wc -l <"$LTUN_TMP/base") samples)" \
	[ "$(wc -l <"$LTUN_TMP/base")" -ge 3 ]
BASE_FDS=$(column_max "$LTUN_TMP/base" 2)
BASE_RSS=$(column_max "$LTUN_TMP/base" 3)
LOG_LINES0=$(wc -l <"$SLOG")
log "idle server: $BASE_FDS fds, $BASE_RSS kB RSS"

# ---- A: flood from 32 addresses ------------------------------------------
log "A: $A_COUNT stalled connections at $A_RATE/s from 32 addresses"
: >"$SAMPLES"
sampler "$SAMPLES" "$LTUN_TMP/a.stop" &
SAMPLER_PID=$!
read -r PTICKS0 CTICKS0 <<<"$(server_ticks)"
flood a "$FLOOD_SRCS" "$A_COUNT" "$A_RATE"
sleep 5
FLOOD_BPS=$(iperf_bps flood) || FLOOD_BPS=0
log "A: throughput before $((BASE_BPS / 1000000)) Mbit/s, during the flood $((FLOOD_BPS / 1000000)) Mbit/s"
log "A: flood progress when iperf3 ended: $(cat "$LTUN_TMP/a.progress" 2>/dev/null)"
wait_pid "$FLOOD_PID" $((A_COUNT * 3 / A_RATE + 60))
A_RC=$?
touch "$LTUN_TMP/a.stop"
# The reference is the lower of the rates measured just before and just
# after the flood: on a shared CI host other load comes and goes, and only
# a drop that the flood itself causes may fail the check.
AFTER_BPS=$(iperf_bps after) || AFTER_BPS=0
REF_BPS=$BASE_BPS
[ "$AFTER_BPS" -ge "$REF_BPS" ] || REF_BPS=$AFTER_BPS
log "A: throughput after the flood $((AFTER_BPS / 1000000)) Mbit/s"
wait "$SAMPLER_PID"
A=$LTUN_TMP/a.json
log "A: flood summary: $(cat "$A")"
read -r PTICKS CTICKS <<<"$(server_ticks)"
HZ=$(getconf CLK_TCK)
log "A: server CPU time during the flood: parent $(((PTICKS - PTICKS0) * 1000 / HZ)) ms, handshake children $(((CTICKS - CTICKS0) * 1000 / HZ)) ms"
flood_vars "$A" A
check "A: flood tool finished" [ "$A_RC" -eq 0 ]
[ "$A_RC" -eq 0 ] || { dump_file "$LTUN_TMP/a.err"; lt_finish; }
PEAK=$(column_max "$SAMPLES" 1)
PEAK_FDS=$(column_max "$SAMPLES" 2)
PEAK_RSS=$(column_max "$SAMPLES" 3)
log "A: server peak: $PEAK handshake children, $PEAK_FDS fds, $PEAK_RSS kB RSS ($(wc -l <"$SAMPLES") samples)"
check "A: sampler read the server during the flood ($(wc -l <"$SAMPLES") samples)" \
	[ "$(wc -l <"$SAMPLES")" -ge 10 ]
check "A: nearly all $A_COUNT connections established ($A_opened)" \
	[ "$A_opened" -ge $((A_COUNT * 9 / 10)) ]
check "A: handshake children never above max-handshakes $MAX_HS (peak $PEAK)" \
	[ "$PEAK" -le "$MAX_HS" ]
check "A: the cap was reached (peak $PEAK)" [ "$PEAK" -ge $((MAX_HS - 2)) ]
check "A: connections over the cap reset at once ($A_reset_fast)" \
	[ "$A_reset_fast" -ge $((A_COUNT / 2)) ]
check "A: stalled handshakes ended by the timeout ($A_handled, closed after $A_min_handled_close_s..$A_max_close_s s)" \
	[ "$A_handled" -ge "$MAX_HS" ]
check "A: none took longer than handshake-timeout + $SLACK s (max $A_max_close_s s, 95% within $A_p95_handled_close_s s)" \
	[ "$A_slow_closes" -eq 0 ]
check "A: no connection left open at the end ($A_still_open)" \
	[ "$A_still_open" -eq 0 ]
check "A: server fds bounded ($BASE_FDS idle, $PEAK_FDS peak)" \
	[ "$PEAK_FDS" -le $((BASE_FDS + 2)) ]
check "A: server memory bounded ($BASE_RSS kB idle, $PEAK_RSS kB peak)" \
	[ "$PEAK_RSS" -le $((BASE_RSS + 4096)) ]
# at most 30 lines about handshakes and a few summaries per 10 s (the
# server's log window), where one line per connection would be thousands
LOG_LINES=$(($(wc -l <"$SLOG") - LOG_LINES0))
A_SECS=${A_elapsed_s%.*}
check "A: server log not flooded ($LOG_LINES lines in $A_SECS s for $A_COUNT connections)" \
	[ "$LOG_LINES" -le $(((A_SECS / 10 + 2) * 34)) ]
check "A: log sums up the resets" \
	grep -q "reset at max-handshakes $MAX_HS" "$SLOG"
check "A: log has a handshake timeout line" \
	grep -q "handshake failed: timed out: TLS handshake and HELLO not done within $HS_TIMEOUT s" "$SLOG"
check "A: established peer kept >= 50% throughput ($((FLOOD_BPS / 1000000)) of $((REF_BPS / 1000000)) Mbit/s, before $((BASE_BPS / 1000000)), after $((AFTER_BPS / 1000000)))" \
	[ "$AFTER_BPS" -gt 0 ] && [ "$((FLOOD_BPS * 2))" -ge "$REF_BPS" ]
check "A: established peer still up" peer_count_is "$NS_SRV" 1
check "A: a second client device" new_client_dev lt1 3
check "A: a new client connects right after the flood" new_client lt1 3
check "A: two peers on the server" wait_for 5 peer_count_is "$NS_SRV" 2

# ---- B: flood from one address -----------------------------------------
log "B: $B_COUNT stalled connections at $B_RATE/s from 192.0.2.100"
: >"$LTUN_TMP/samples-b"
sampler "$LTUN_TMP/samples-b" "$LTUN_TMP/b.stop" &
SAMPLER_PID=$!
flood b 192.0.2.100 "$B_COUNT" "$B_RATE"
sleep 3
check "B: a third client device" new_client_dev lt2 4
T0=$SECONDS
check "B: a new client from another address connects during the flood" new_client lt2 4
B_RUNNING=0
kill -0 "$FLOOD_PID" 2>/dev/null && B_RUNNING=1
log "B: it took $((SECONDS - T0)) s; flood progress then: $(cat "$LTUN_TMP/b.progress" 2>/dev/null)"
check "B: the flood was still running then" [ "$B_RUNNING" -eq 1 ]
check "B: three peers on the server" wait_for 5 peer_count_is "$NS_SRV" 3
wait_pid "$FLOOD_PID" $((B_COUNT * 3 / B_RATE + 60))
B_RC=$?
touch "$LTUN_TMP/b.stop"
wait "$SAMPLER_PID"
B=$LTUN_TMP/b.json
log "B: flood summary: $(cat "$B")"
flood_vars "$B" B
check "B: flood tool finished" [ "$B_RC" -eq 0 ]
[ "$B_RC" -eq 0 ] || { dump_file "$LTUN_TMP/b.err"; lt_finish; }
PEAK_B=$(column_max "$LTUN_TMP/samples-b" 1)
check "B: sampler read the server during the flood ($(wc -l <"$LTUN_TMP/samples-b") samples)" \
	[ "$(wc -l <"$LTUN_TMP/samples-b")" -ge 10 ]
# the flood's own handshakes plus the new client's
check "B: at most max-handshakes-per-source + 1 handshakes (peak $PEAK_B)" \
	[ "$PEAK_B" -le $((MAX_PER_SRC + 1)) ]
check "B: over the per-source limit reset at once ($B_reset_fast)" \
	[ "$B_reset_fast" -ge $((B_COUNT / 2)) ]
check "B: no connection left open at the end" [ "$B_still_open" -eq 0 ]
check "B: log sums up the per-source resets" \
	wait_for $((2 * 10)) grep -q "reset over max-handshakes-per-source $MAX_PER_SRC" "$SLOG"

check "server still alive" kill -0 "$SRV_PID"
check "no kernel warnings" dmesg_clean
[ "$LT_FAILS" -eq 0 ] || { log "server log (tail):"; tail -n 30 "$SLOG" | sed 's/^/#   /'; }
lt_finish
