#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh OUT: the ltun benchmark, run as root inside the test VM by
# bench.sh (`make bench`); can also be run by hand on a scratch machine
# with the module built (it creates and deletes its own namespaces).
#
# Writes one JSON object per line to OUT: a "meta" record (guest machine),
# then one record per sample (row id, repetition, numbers); report.py
# turns them into the table. Nothing here judges a number: it only
# measures.
#
# Every row runs over the same underlay: namespaces srv and cli joined by
# one veth pair (192.0.2.1 - 192.0.2.2). The hub rows add client
# namespaces, each joined to srv by a veth pair of its own, so a hub
# client's packets cross exactly what a single peer's do: one veth.
#
# Throughput of TCP rows is measured in a window: the load starts, runs
# for BENCH_WARM seconds, then the receiving device's counters in srv's
# /proc/net/dev and /proc/stat are read (bash builtins only) at the start
# and end of exactly BENCH_SECONDS. The load generators' own payload
# counts (iperf3, ktls_stream) are recorded beside it. So every TCP row,
# one stream or 20 clients, counts the same thing: IP bytes delivered per
# second while all streams run.
#
# Environment: BENCH_SECONDS (10), BENCH_REPEAT (3), BENCH_WARM (2),
# BENCH_HUB ("1 5 10 20"), BENCH_HUB_NATIVE ("10 20": hub sizes that run
# again with the inner TCP's packets sized for a native RTT, row 5 of
# bench/README; "" for none), BENCH_UDP_RATE (100M), BENCH_PING_INTERVAL
# (0.01), BENCH_ROWS (all of: veth ktls wg ltun lat hub mem), BENCH_CIPHERS
# (aes128gcm aes256gcm chacha20: the ciphers of the ktls and ltun rows).

# shellcheck source=../selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib.sh"

OUT=${1:?usage: guest.sh OUT}
SEC=${BENCH_SECONDS:-10}
REPEAT=${BENCH_REPEAT:-3}
WARM=${BENCH_WARM:-2}
HUB_SIZES=${BENCH_HUB:-1 5 10 20}
HUB_NATIVE=${BENCH_HUB_NATIVE-10 20}
UDP_RATE=${BENCH_UDP_RATE:-100M}
PING_INT=${BENCH_PING_INTERVAL:-0.01}
ROWS=${BENCH_ROWS:-veth ktls wg ltun lat hub mem}
BENCH=$LTUN_SRC/bench
KTLS=$BENCH/ktls_stream

for v in SEC REPEAT WARM; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer" >&2; exit 2; }
done
for v in $HUB_SIZES $HUB_NATIVE; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_HUB and BENCH_HUB_NATIVE list client counts" >&2; exit 2; }
done

# Ciphers: our name, ktls_stream's name, spellings ltunctl might accept.
read -ra CIPHERS <<<"${BENCH_CIPHERS:-aes128gcm aes256gcm chacha20}"
for c in "${CIPHERS[@]}"; do
	case $c in aes128gcm | aes256gcm | chacha20) ;;
	*) echo "bench: BENCH_CIPHERS: unknown cipher '$c' (aes128gcm aes256gcm chacha20)" >&2; exit 2 ;;
	esac
done
declare -A LTUN_CIPHER_NAMES=(
	[aes128gcm]="aes-128-gcm AES-128-GCM aes128gcm aes128"
	[aes256gcm]="aes-256-gcm AES-256-GCM aes256gcm aes256"
	[chacha20]="chacha20-poly1305 CHACHA20-POLY1305 chacha20 chacha20poly1305"
)
# what ltunctl peer show reports for each
declare -A SHOW_NAME=([aes128gcm]=AES-128-GCM [aes256gcm]=AES-256-GCM [chacha20]=CHACHA20-POLY1305)

json_bool() { if [ -n "$1" ]; then echo true; else echo false; fi; }
want() { [[ " $ROWS " == *" $1 "* ]]; }
say() { echo "bench: [$(date -u +%T)] $*"; }

# ---- output ------------------------------------------------------------

: >"$OUT" || exit 1
# emit ROW REP key=value...: one JSON line; values that look like numbers
# stay numbers, everything else becomes a string.
emit() {
	local row=$1 rep=$2 kv k v line
	shift 2
	line="{\"row\": \"$row\", \"rep\": $rep"
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
			line+=", \"$k\": $v"
		else
			v=${v//\\/\\\\} v=${v//\"/\\\"}
			line+=", \"$k\": \"$v\""
		fi
	done
	echo "$line}" >>"$OUT"
}

# ---- measurements ------------------------------------------------------

# read_dev PID DEV: sets DEV_RX to the bytes DEV received, DEV_RXP to the
# packets it received, DEV_TXP to the packets it sent and DEV_TXDROP to
# those it dropped on transmit (ltun: the peer queue was full), as seen
# from the namespace of process PID. Bash builtins only: under TCG a busy data
# path can starve a new process (fork + exec) for many seconds, so nothing
# that samples a window may exec anything.
read_dev() {
	local l rest
	DEV_RX='' DEV_RXP='' DEV_TXP='' DEV_TXDROP=''
	while read -r l; do
		[ "${l%%:*}" = "$2" ] || continue
		rest=${l#*:}
		# rx: bytes packets errs drop fifo frame compressed multicast;
		# tx: bytes packets errs drop ...
		read -r DEV_RX DEV_RXP _ _ _ _ _ _ _ DEV_TXP _ DEV_TXDROP _ <<<"$rest"
		return 0
	done <"/proc/$1/net/dev"
	return 1
}

# bsleep S: sleep without exec (bash's loadable sleep if installed, else
# a read that times out): /bin/sleep can start seconds late.
if enable -f /usr/lib/bash/sleep sleep 2>/dev/null; then
	bsleep() { sleep "$1"; }
else
	bsleep() { read -rt "$1" <> <(:) || :; }
fi

# read_cpu: sets CPU_S to "busy total" jiffies over all CPUs (busy = all
# but idle and iowait).
read_cpu() {
	local _c u n s i w q sq st
	read -r _c u n s i w q sq st _ </proc/stat
	CPU_S="$((u + n + s + q + sq + st)) $((u + n + s + i + w + q + sq + st))"
}

# dev_window DEV PIDS...: WARM seconds from now, count what DEV (in srv)
# receives for SEC seconds. Sets W_DEV (Mbit/s of IP packets through
# DEV; empty if any of PIDS, the load, ended before the window did) and
# W_CPU (percent of all CPUs busy), W_TXDROP (packets the sending
# side's DEV, in cli, dropped in the window; empty if it has none),
# W_PKT (mean size in bytes of the packets DEV received: how whole the
# super-packets arrive) and W_RET (packets DEV sent back per MB it
# received: mostly the inner receivers' ACKs, each a frame of its own).
dev_window() {
	local dev=$1 d0 d1 t0 t1 c0 c1 x0 x1 p0 p1 r0 r1 p
	shift
	W_DEV='' W_CPU='' W_ERR='' W_TXDROP='' W_PKT='' W_RET=''
	bsleep "$WARM"
	read_cpu; c0=$CPU_S; t0=${EPOCHREALTIME/./}; read_dev "$SRV_HOLDER" "$dev" || return 1
	d0=$DEV_RX p0=$DEV_RXP r0=$DEV_TXP
	read_dev "$CLI_HOLDER" "$dev"; x0=$DEV_TXDROP
	bsleep "$SEC"
	read_cpu; c1=$CPU_S; t1=${EPOCHREALTIME/./}; read_dev "$SRV_HOLDER" "$dev"
	d1=$DEV_RX p1=$DEV_RXP r1=$DEV_TXP
	read_dev "$CLI_HOLDER" "$dev"; x1=$DEV_TXDROP
	[ -z "$x0" ] || [ -z "$x1" ] || W_TXDROP=$((x1 - x0))
	if [ $((p1 - p0)) -gt 0 ]; then
		W_PKT=$(((d1 - d0) / (p1 - p0)))
		W_RET=$(awk -v r="$((r1 - r0))" -v b="$((d1 - d0))" 'BEGIN { printf "%.1f", r * 1e6 / b }')
	fi
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null || { W_ERR="the load ended before the window"; break; }
	done
	W_CPU=$(cpu_pct "$c0" "$c1")
	[ -z "$W_ERR" ] || return 1
	# t in microseconds
	W_DEV=$(awk -v b="$((d1 - d0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.1f", b * 8 / t }')
}

# cpu_pct "B0 T0" "B1 T1": busy share of all CPUs in between, percent.
cpu_pct() {
	local b0 t0 b1 t1
	read -r b0 t0 <<<"$1"
	read -r b1 t1 <<<"$2"
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", (t > 0) ? 100 * b / t : 0 }'
}

# iperf_started LOG N: iperf3 (text output) has N streams connected
iperf_started() { [ "$(grep -c ' connected to ' "$1" 2>/dev/null)" -ge "$2" ]; }

# iperf_rx LOG: the receiver's total Mbit/s from iperf3's summary (-f m)
iperf_rx() {
	awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") v = $i } END { print v }' "$1"
}

# iperf_retr LOG: the sender's retransmitted segments (all streams), from
# iperf3's summary: the column before "sender" (the SUM line if any).
iperf_retr() {
	awk '$NF == "sender" && $(NF - 1) ~ /^[0-9]+$/ { v = $(NF - 1); if ($1 == "[SUM]") s = v } END { print (s != "" ? s : v) }' "$1"
}

# Receivers that outlive one row (iperf3 servers, the hub's ktls_stream),
# stopped together by receivers_stop.
RECEIVER_PIDS=()
receivers_stop() {
	local p
	for p in "${RECEIVER_PIDS[@]}"; do bg_stop "$p"; done
	RECEIVER_PIDS=()
}

# iperf_server NS ADDR PORT: a persistent iperf3 server in NS bound to ADDR.
iperf_server() {
	local ns=$1 addr=$2 port=$3 pid
	bg_run pid ip netns exec "$ns" iperf3 -s -B "$addr" -p "$port" \
		>>"$LTUN_TMP/iperf-s.log" 2>&1
	RECEIVER_PIDS+=("$pid")
	wait_for 10 port_listening "$ns" "$port"
}

# Rows "sized for a native RTT": the bonus TCP adds to a GSO packet's
# size halves for every 2^tcp_tso_rtt_log us of the connection's lowest
# RTT (default 9: 512 us). Under TCG the idle tunnel's RTT is 1.5-2.5 ms
# (on hardware: tens of us), so flows that share the rate get 4-30 KB
# packets where hardware would give them 64 KB, and every byte costs
# several times the packets, frames and wake-ups. Raising the log to 12
# (4 ms) in the sending namespace takes only TCG's RTT out of that
# sizing; the rows with the default stay the reference.
NATIVE_TSO_LOG=12
tso_log_get() { ip netns exec "$1" sysctl -n net.ipv4.tcp_tso_rtt_log 2>/dev/null; }
tso_log_set() { ip netns exec "$1" sysctl -qw net.ipv4.tcp_tso_rtt_log="$2"; }

# tcp_row ROW REP NS_C DST PORT STREAMS DEV: iperf3 from NS_C to DST:PORT
# (server already listening in srv), STREAMS streams, the first WARM
# seconds omitted, then SEC + 5 s measured by iperf3 (payload, the
# receiver's count); meanwhile a SEC window on DEV in srv (IP bytes),
# which has 5 s to spare for a late start.
tcp_row() {
	local row=$1 rep=$2 ns=$3 dst=$4 port=$5 p=$6 dev=$7 pid mbps retr log=$LTUN_TMP/iperf-c.log
	W_DEV='' W_CPU='' W_ERR=''
	bg_run pid ip netns exec "$ns" iperf3 -c "$dst" -p "$port" -P "$p" -O "$WARM" \
		-t $((SEC + 5)) -f m --forceflush >"$log" 2>&1
	if wait_for 30 iperf_started "$log" "$p"; then
		dev_window "$dev" "$pid"
	else
		W_ERR="iperf3 did not connect"
	fi
	wait_pid "$pid" $((SEC + WARM + 60))
	mbps=$(iperf_rx "$log")
	if [ -n "$mbps" ]; then
		retr=$(iperf_retr "$log")
		emit "$row" "$rep" mbps="$mbps" dev_mbps="$W_DEV" cpu="$W_CPU" \
			${retr:+retr="$retr"} ${W_TXDROP:+tx_drops="$W_TXDROP"} \
			${W_PKT:+pkt_bytes="$W_PKT"} ${W_RET:+ret_per_mb="$W_RET"} ${W_ERR:+dev_error="$W_ERR"}
		say "$row #$rep: $mbps Mbit/s (dev ${W_DEV:-?}), cpu ${W_CPU:-?}%, retransmits ${retr:-?}, tx drops ${W_TXDROP:-?}, packets ${W_PKT:-?} B, ${W_RET:-?} back per MB"
	else
		emit "$row" "$rep" error="${W_ERR:-iperf3 failed}"
		say "$row #$rep: FAILED: ${W_ERR:-iperf3 failed}"
		dump_file "$log" 30
	fi
	sleep 1
}

# udp_row ROW REP NS_C DST PORT: iperf3 UDP at UDP_RATE for SEC seconds;
# the receiver's rate, loss and jitter.
udp_row() {
	local row=$1 rep=$2 ns=$3 dst=$4 port=$5 vals
	# 1300-byte datagrams fit every tunnel's MTU (WireGuard's is 1420)
	if ip netns exec "$ns" timeout $((SEC + 30)) iperf3 -c "$dst" -p "$port" -u \
		-b "$UDP_RATE" -l 1300 -t "$SEC" -J >"$LTUN_TMP/iperf-u.json" 2>&1 &&
		vals=$(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
s = e["sum"]
print("mbps=%.1f loss=%.3f jitter=%.3f" % (e["sum_received"]["bits_per_second"] / 1e6,
      s.get("lost_percent", 0), s.get("jitter_ms", 0)))' "$LTUN_TMP/iperf-u.json"); then
		# shellcheck disable=SC2086 # key=value words
		emit "$row" "$rep" $vals rate="$UDP_RATE"
		say "$row #$rep: $vals"
	else
		emit "$row" "$rep" error="iperf3 udp failed"
		say "$row #$rep: FAILED"
		dump_file "$LTUN_TMP/iperf-u.json" 10
	fi
}

# ktls_row ROW REP CIPHER STREAMS: ktls_stream from cli to srv; each
# receiving connection measures its own SEC window after WARM seconds.
KTLS_PORT=6000
ktls_row() {
	local row=$1 rep=$2 c=$3 p=$4 rpid spid port=$KTLS_PORT mbps n
	local rlog=$LTUN_TMP/ktls-r.log slog=$LTUN_TMP/ktls-s.log
	W_DEV='' W_CPU='' W_ERR=''
	bg_run rpid ip netns exec "$NS_SRV" "$KTLS" recv -c "$c" -O "$WARM" -w "$SEC" \
		-t $((SEC + WARM + 120)) "$port" >"$rlog" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$port"
	bg_run spid ip netns exec "$NS_CLI" "$KTLS" send -c "$c" -P "$p" -t $((SEC + WARM + 6)) \
		"$UL4_SRV" "$port" >"$slog" 2>&1
	sleep 1
	dev_window ve-srv "$spid"
	wait_pid "$spid" $((SEC + WARM + 60))
	sleep 1
	bg_stop "$rpid"
	n=$(grep -c '^ktls_stream: window' "$rlog")
	mbps=$(awk '/^ktls_stream: window/ { s += $(NF - 1) } END { printf "%.1f", s }' "$rlog")
	if [ "$n" = "$p" ]; then
		emit "$row" "$rep" mbps="$mbps" dev_mbps="$W_DEV" cpu="$W_CPU" ${W_ERR:+dev_error="$W_ERR"}
		say "$row #$rep: $mbps Mbit/s (dev ${W_DEV:-?}), cpu ${W_CPU:-?}%"
	else
		emit "$row" "$rep" error="$n of $p streams completed their window"
		say "$row #$rep: FAILED: $n of $p streams completed their window"
		dump_file "$slog" 5
		dump_file "$rlog" 5
	fi
}

# ping_stats FILE: "p50 p99 mean loss%" from ping output (nearest rank).
ping_stats() {
	local sent got
	sent=$(grep -oE '^[0-9]+ packets transmitted' "$1" | grep -oE '^[0-9]+')
	grep -oE 'time=[0-9.]+' "$1" | cut -d= -f2 | sort -g |
		awk -v sent="${sent:-0}" '{ v[NR] = $1; s += $1 }
			END { if (!NR) { print "0 0 0 100"; exit }
			      i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
			      printf "%.3f %.3f %.3f %.2f\n", v[i50], v[i99], s / NR,
				     (sent > 0) ? 100 * (sent - NR) / sent : 0 }'
}

# lat_row ROW REP DST LOADDST PORT: ping from cli to DST for SEC seconds,
# idle (LOADDST empty) or while iperf3 sends one bulk stream to
# LOADDST:PORT over the same path.
lat_row() {
	local row=$1 rep=$2 dst=$3 ldst=$4 port=$5 pid='' count p50 p99 mean loss
	local log=$LTUN_TMP/iperf-c.log
	count=$(awk -v s="$SEC" -v i="$PING_INT" 'BEGIN { printf "%d", s / i }')
	if [ -n "$ldst" ]; then
		bg_run pid ip netns exec "$NS_CLI" iperf3 -c "$ldst" -p "$port" \
			-t $((SEC + WARM + 60)) -f m --forceflush >"$log" 2>&1
		wait_for 30 iperf_started "$log" 1
		sleep "$WARM"
	fi
	ip netns exec "$NS_CLI" ping -n -i "$PING_INT" -c "$count" -W 2 -s 56 "$dst" \
		>"$LTUN_TMP/ping.log" 2>&1
	if [ -n "$pid" ]; then
		kill -0 "$pid" 2>/dev/null || log "$row: the load ended before the pings"
		bg_stop "$pid"
		sleep 1
	fi
	read -r p50 p99 mean loss <<<"$(ping_stats "$LTUN_TMP/ping.log")"
	emit "$row" "$rep" p50="$p50" p99="$p99" mean="$mean" loss="$loss" count="$count"
	say "$row #$rep: p50 $p50 ms, p99 $p99 ms, mean $mean ms, loss $loss%"
}

# ---- setup -------------------------------------------------------------

modprobe tls 2>/dev/null
grep -qw '^ltun' /proc/modules || insmod "$LTUN_KO" ||
	{ echo "bench: cannot load $LTUN_KO (make module KVER=$KVER)" >&2; exit 1; }
for t in iperf3 ping ss python3; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing" >&2; exit 1; }
done
[ -x "$KTLS" ] || { echo "bench: no $KTLS (make -C bench)" >&2; exit 1; }

# Under TCG a CPU can run into a stale int3 left by static-key patching
# when pings toggle the timestamping key on and off (guest-run.sh has the
# same keeper): one slow ping for the whole run keeps the key on.
bg_run KEEPER ping -q -i 30 127.0.0.1 >/dev/null 2>&1
# The same for the keys the first TCP connection of the boot flips
# (net_get_random_once): flip them now, while nothing else runs.
bg_run warm_pid "$KTLS" recv -c none -t 20 5999 >/dev/null 2>&1
sleep 1
"$KTLS" send -c none -t 1 127.0.0.1 5999 >/dev/null 2>&1
# shellcheck disable=SC2154 # set by bg_run
bg_stop "$warm_pid"
sleep 2

HAVE_WG=1
modprobe wireguard 2>/dev/null || HAVE_WG=
command -v wg >/dev/null || HAVE_WG=

# Does this ltunctl take "cipher X"? (another branch adds it)
HAVE_CIPHER=
if "$LTUNCTL" --help 2>&1 | grep -qE '(^|[[:space:][])cipher +[A-Z<]'; then
	HAVE_CIPHER=1
fi

{
	model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf '{"meta": {"kernel": "%s", "vcpus": %d, "guest_cpu": "%s", "mem_kb": %d, ' \
		"$(uname -r)" "$(nproc)" "${model//\"/}" \
		"$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	printf '"seconds": %d, "repeat": %d, "warm": %d, "udp_rate": "%s", "ping_interval": "%s", ' \
		"$SEC" "$REPEAT" "$WARM" "$UDP_RATE" "$PING_INT"
	printf '"hub_sizes": "%s", "hub_native_sizes": "%s", "rows": "%s", "wireguard": %s, "ltun_cipher_option": %s, ' \
		"$HUB_SIZES" "$HUB_NATIVE" "$ROWS" "$(json_bool "$HAVE_WG")" "$(json_bool "$HAVE_CIPHER")"
	printf '"iperf3": "%s", "started": "%s"}}\n' \
		"$(iperf3 --version | head -n 1)" "$(date -u +%FT%TZ)"
} >>"$OUT"

say "kernel $(uname -r), $(nproc) vCPUs, ${SEC}s x $REPEAT per row, rows: $ROWS"
setup_underlay || { echo "bench: underlay setup failed" >&2; exit 1; }
# Processes living in srv and cli: the window reads each namespace's
# /proc/net/dev through them.
bg_run SRV_HOLDER ip netns exec "$NS_SRV" sleep 1000000
bg_run CLI_HOLDER ip netns exec "$NS_CLI" sleep 1000000
in_ns() { [ "$(stat -L -c %i "/proc/$1/ns/net")" = "$(stat -L -c %i "/run/netns/$2")" ]; }
wait_for 10 in_ns "$SRV_HOLDER" "$NS_SRV" && wait_for 10 in_ns "$CLI_HOLDER" "$NS_CLI" ||
	{ echo "bench: cannot watch the namespaces' devices" >&2; exit 1; }
gen_certs || { echo "bench: certificates failed" >&2; exit 1; }

# WireGuard between the same namespaces: 10.8.0.1 (srv) - 10.8.0.2 (cli).
WG_SRV=10.8.0.1
WG_CLI=10.8.0.2
wg_up() {
	local ns
	for ns in "$NS_SRV" "$NS_CLI"; do
		wg genkey >"$LTUN_TMP/wg-$ns.key" &&
			wg pubkey <"$LTUN_TMP/wg-$ns.key" >"$LTUN_TMP/wg-$ns.pub" &&
			ip -n "$ns" link add wg0 type wireguard || return 1
	done
	ip netns exec "$NS_SRV" wg set wg0 listen-port 51820 \
		private-key "$LTUN_TMP/wg-$NS_SRV.key" \
		peer "$(cat "$LTUN_TMP/wg-$NS_CLI.pub")" allowed-ips "$WG_CLI/32" &&
		ip netns exec "$NS_CLI" wg set wg0 listen-port 51821 \
			private-key "$LTUN_TMP/wg-$NS_CLI.key" \
			peer "$(cat "$LTUN_TMP/wg-$NS_SRV.pub")" allowed-ips "$WG_SRV/32" \
			endpoint "$UL4_SRV:51820" &&
		ip -n "$NS_SRV" addr add "$WG_SRV/24" dev wg0 &&
		ip -n "$NS_CLI" addr add "$WG_CLI/24" dev wg0 &&
		ip -n "$NS_SRV" link set wg0 up && ip -n "$NS_CLI" link set wg0 up &&
		wait_for 10 ip netns exec "$NS_CLI" ping -c1 -W1 -q "$WG_SRV" >/dev/null
}

# One ltun tunnel per cipher, all up at once: device ltK in both
# namespaces, inner 10.(10+K).0.1/24 (srv) and .2 (cli), server port 4433+K.
# LT_ADDR[cipher] = the server's inner address, LT_GOT[cipher] = the
# cipher the peer reports, or empty when the tunnel could not be made.
declare -A LT_ADDR LT_GOT LT_NOTE LT_DEV
ltun_up() {
	local k=$1 c=$2 dev=lt$1 sa=10.$((10 + $1)).0.1 ca=10.$((10 + $1)).0.2
	local port=$((LT_PORT + $1)) name spid got='' copt=()
	ip -n "$NS_SRV" link add "$dev" type ltun && ip -n "$NS_CLI" link add "$dev" type ltun &&
		ip -n "$NS_SRV" addr add "$sa/24" dev "$dev" &&
		ip -n "$NS_CLI" addr add "$ca/24" dev "$dev" &&
		ip -n "$NS_SRV" link set "$dev" up && ip -n "$NS_CLI" link set "$dev" up || return 1
	for name in ${HAVE_CIPHER:+${LTUN_CIPHER_NAMES[$c]}} default; do
		copt=()
		[ "$name" = default ] || copt=(cipher "$name")
		bg_run spid ip netns exec "$NS_SRV" "$LTUNCTL" server "$dev" \
			listen "$UL4_SRV:$port" cert "$CERTS/srv.pem" key "$CERTS/srv.key" \
			ca "$CERTS/ca.pem" "${copt[@]}" >>"$LTUN_TMP/server-$dev.log" 2>&1
		if wait_for 10 port_listening "$NS_SRV" "$port"; then
			if lt_timeout 60 ip netns exec "$NS_CLI" "$LTUNCTL" peer add "$dev" \
				server "$UL4_SRV:$port" ca "$CERTS/ca.pem" cert "$CERTS/cli.pem" \
				key "$CERTS/cli.key" "${copt[@]}" >>"$LTUN_TMP/client-$dev.log" 2>&1 &&
				wait_for 10 ip netns exec "$NS_CLI" ping -c1 -W1 -q "$sa" >/dev/null; then
				got=$(ip netns exec "$NS_CLI" "$LTUNCTL" -j peer show "$dev" |
					grep -oE '"cipher": *"[^"]*"' | head -n 1 | cut -d'"' -f4)
				break
			fi
		fi
		bg_stop "$spid"
	done
	if [ -z "$got" ]; then
		log "ltun tunnel $dev ($c) did not come up"
		dump_file "$LTUN_TMP/server-$dev.log" 10
		dump_file "$LTUN_TMP/client-$dev.log" 10
		return 1
	fi
	LT_ADDR[$c]=$sa
	LT_DEV[$c]=$dev
	LT_GOT[$c]=$got
	if [ "$got" != "${SHOW_NAME[$c]}" ]; then
		LT_NOTE[$c]="negotiated $got"
	fi
	[ "$name" != default ] || [ -z "$HAVE_CIPHER" ] ||
		LT_NOTE[$c]="ltunctl refused every spelling of the cipher; ${LT_NOTE[$c]:-default}"
	say "ltun $dev: cipher $got (asked ${name})"
}

# gso_set DEV on|off: TSO and GSO of DEV in both namespaces.
gso_set() {
	command -v ethtool >/dev/null || return 1
	ip netns exec "$NS_SRV" ethtool -K "$1" tso "$2" gso "$2" >/dev/null 2>&1 &&
		ip netns exec "$NS_CLI" ethtool -K "$1" tso "$2" gso "$2" >/dev/null 2>&1
}

if want wg && [ -z "$HAVE_WG" ]; then
	say "WireGuard rows skipped: no wireguard module or no wg tool"
	emit wg-tcp1 0 error="no wireguard"
fi
if [ -n "$HAVE_WG" ] && { want wg || want lat; }; then
	wg_up || { say "WireGuard setup failed"; HAVE_WG=; emit wg-tcp1 0 error="wireguard setup failed"; }
fi

if want ltun || want lat; then
	k=0
	for c in "${CIPHERS[@]}"; do
		# without the cipher option only one tunnel makes sense: what
		# ltunctl negotiates by default
		if [ -z "$HAVE_CIPHER" ] && [ "$c" != aes128gcm ]; then
			emit "ltun-$c-tcp1" 0 na="ltunctl has no cipher option"
			emit "ltun-$c-tcp4" 0 na="ltunctl has no cipher option"
			continue
		fi
		ltun_up "$k" "$c" || emit "ltun-$c-tcp1" 0 error="tunnel setup failed"
		k=$((k + 1))
	done
	for c in "${!LT_GOT[@]}"; do
		emit "ltun-cipher-$c" 0 cipher="${LT_GOT[$c]}" note="${LT_NOTE[$c]:-}"
	done
fi

# ---- rows 5 and 7: hub and memory ----------------------------------------
# The hub is set up first and stays up: its rows run in every repetition
# next to the single-peer rows they are compared with (below), so a slow
# phase of the host cannot land on the hub rows alone, and every row runs
# in the same VM, with the hub's clients connected and idle.

# meminfo_kb: "kernel avail" in kB: Slab + KernelStack + PageTables +
# VmallocUsed (ltun's receive buffers are vmalloc'd), and MemAvailable.
meminfo_kb() {
	awk '/^(Slab|KernelStack|PageTables|VmallocUsed):/ { k += $2 } /^MemAvailable:/ { a = $2 }
	     END { print k, a }' /proc/meminfo
}

HUB_PORT=4440
HUB_SRV=10.20.0.1
HUB_DATA=5300
# bytes per read and write of the hub's load: iperf3's default for TCP,
# as in the single-peer rows the hub is compared with
HUB_IO=131072
hub_ns() { echo "ltbh-$LT_SUFFIX-$1"; }

# Client namespaces hub-1..N (192.0.2.100+i), each with its own
# certificate, its own lt0 (not yet connected) and its own veth pair to
# srv. srv answers for 192.0.2.1 on every pair and routes each client's
# /32 back through it. A bridge would add a second veth and a bridge hop
# to every packet, which the single-peer rows do not pay.
hub_setup() {
	local n=$1 i ns
	(
		set -e
		cd "$CERTS"
		for i in $(seq "$n"); do
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout "h$i.key" -out "h$i.csr" -subj "/CN=h$i" -config ext.cnf
			openssl x509 -req -in "h$i.csr" -CA ca.pem -CAkey ca.key \
				-set_serial "0x$(openssl rand -hex 8)" -days 2 \
				-out "h$i.pem" -extfile ext.cnf -extensions cli
		done
	) >"$LTUN_TMP/openssl-hub.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-hub.log"; return 1; }
	for i in $(seq "$n"); do
		ns=$(hub_ns "$i")
		ns_add "$ns" &&
			ip link add "bh$i" netns "$NS_SRV" type veth peer name ve0 netns "$ns" &&
			ip -n "$NS_SRV" link set "bh$i" up &&
			ip -n "$NS_SRV" route add "192.0.2.$((100 + i))/32" dev "bh$i" src "$UL4_SRV" &&
			ip -n "$ns" addr add "192.0.2.$((100 + i))/24" dev ve0 &&
			ip -n "$ns" link set ve0 up &&
			ip -n "$ns" link add lt0 type ltun && ip -n "$ns" link set lt0 up || return 1
	done
	for i in $(seq "$n"); do
		wait_for 10 ip netns exec "$(hub_ns "$i")" ping -c1 -W1 -q "$UL4_SRV" >/dev/null || return 1
	done
	ip -n "$NS_SRV" link add lth type ltun &&
		ip -n "$NS_SRV" addr add "$HUB_SRV/24" dev lth &&
		ip -n "$NS_SRV" link set lth up || return 1
	local copt=()
	[ -z "$HAVE_CIPHER" ] || [ -z "${LT_GOT[aes128gcm]:-}" ] ||
		copt=(cipher "$(echo "${LTUN_CIPHER_NAMES[aes128gcm]}" | cut -d' ' -f1)")
	HUB_COPT=("${copt[@]}")
	bg_run HUB_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lth \
		listen "$UL4_SRV:$HUB_PORT" cert "$CERTS/srv.pem" key "$CERTS/srv.key" \
		ca "$CERTS/ca.pem" pool 10.20.0.0/24 "${copt[@]}" >>"$LTUN_TMP/hub-server.log" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$HUB_PORT" || return 1
	# the clients' receiver now, so that its memory is in the baseline
	# (one process; it forks one child per connection)
	local rpid
	bg_run rpid ip netns exec "$NS_SRV" "$KTLS" recv -c none -l "$HUB_IO" "$HUB_DATA" \
		>"$LTUN_TMP/hub-recv.log" 2>&1
	RECEIVER_PIDS+=("$rpid")
	wait_for 10 port_listening "$NS_SRV" "$HUB_DATA"
}

hub_join() {
	local i=$1
	lt_timeout 60 ip netns exec "$(hub_ns "$i")" "$LTUNCTL" peer add lt0 \
		server "$UL4_SRV:$HUB_PORT" ca "$CERTS/ca.pem" cert "$CERTS/h$i.pem" \
		key "$CERTS/h$i.key" "${HUB_COPT[@]}" >>"$LTUN_TMP/hub-client-$i.log" 2>&1 &&
		wait_for 10 ip netns exec "$(hub_ns "$i")" ping -c1 -W1 -q "$HUB_SRV" >/dev/null
}

# hub_row N REP: N clients send to the server at once (one plain TCP
# stream each, ktls_stream -c none); the total is what the server's lth
# receives over the window. The clients connect one after another on an
# idle machine and start sending together (ktls_stream -g), as a single
# peer's streams do: a connection opened while others already load the VM
# records a higher minimum RTT, and TCP then sizes its GSO packets smaller
# for the connection's whole life (bench/README, row 5).
#
# hub_row N REP native: the same with the clients' inner TCP sizing its
# packets as it would over a tunnel with a native RTT (NATIVE_TSO_LOG).
hub_tso_log() {
	local n=$1 v=$2 i
	for i in $(seq "$n"); do
		tso_log_set "$(hub_ns "$i")" "$v" || return 1
	done
}
hub_connected() { [[ $(<"$1") == *'ktls_stream: connected'* ]]; }
# hub_minrtt N: the median, over the first N clients' inner data
# connections, of the lowest RTT each has seen (us, from ss): what TCP
# sizes their super-packets by (bench/README, row 5). Empty if none.
hub_minrtt() {
	local i v all=()
	for i in $(seq "$1"); do
		v=$(ip netns exec "$(hub_ns "$i")" ss -tinH state established "( dport = :$HUB_DATA )" 2>/dev/null |
			grep -o 'minrtt:[0-9.]*' | head -n1)
		[ -z "$v" ] || all+=("${v#minrtt:}")
	done
	[ ${#all[@]} -gt 0 ] || return 0
	printf '%s\n' "${all[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] * 1000 }'
}
hub_row() {
	local n=$1 rep=$2 native=${3:-} i pids=() pid ppid ok=1 p50 p99 mean loss m1 mk ma minrtt=
	local go=$LTUN_TMP/hub-go id=hub-$1 tag="hub $1" def
	W_DEV='' W_CPU='' W_ERR=''
	rm -f -- "$go"
	if [ -n "$native" ]; then
		id=hub-$n-native tag="hub $n native"
		def=$(tso_log_get "$(hub_ns 1)") || {
			emit "$id" "$rep" na="no net.ipv4.tcp_tso_rtt_log"
			return
		}
		hub_tso_log "$n" "$NATIVE_TSO_LOG" || { ok='' W_ERR="cannot set tcp_tso_rtt_log"; }
	fi
	for i in $(seq "$n"); do
		[ -n "$ok" ] || break
		bg_run pid ip netns exec "$(hub_ns "$i")" "$KTLS" send -c none -l "$HUB_IO" -g "$go" \
			-t $((SEC + WARM + 30)) "$HUB_SRV" "$HUB_DATA" \
			>"$LTUN_TMP/hub-send-$i.log" 2>&1
		pids+=("$pid")
		wait_for 30 hub_connected "$LTUN_TMP/hub-send-$i.log" ||
			{ ok='' W_ERR="client $i did not connect"; break; }
	done
	if [ -n "$ok" ]; then
		: >"$go"
		# latency seen by client 1 while everyone sends, over the window
		bg_run ppid ip netns exec "$(hub_ns 1)" ping -n -i 0.05 -w $((WARM + SEC)) \
			"$HUB_SRV" >"$LTUN_TMP/hub-ping.log" 2>&1
		dev_window lth "${pids[@]}" || ok=
		m1=$(meminfo_kb)
		minrtt=$(hub_minrtt "$n")
		wait_pid "$ppid" $((WARM + SEC + 30))
	fi
	for pid in "${pids[@]}"; do bg_stop "$pid"; done
	sleep 1
	if [ -n "$native" ] && ! hub_tso_log "$n" "$def"; then
		ok='' W_ERR="cannot restore tcp_tso_rtt_log to $def"
	fi
	if [ -z "$ok" ] || [ -z "$W_DEV" ]; then
		emit "$id" "$rep" error="${W_ERR:-no window}"
		say "$tag #$rep: FAILED: ${W_ERR:-no window}"
		return
	fi
	read -r p50 p99 mean loss <<<"$(ping_stats "$LTUN_TMP/hub-ping.log")"
	emit "$id" "$rep" dev_mbps="$W_DEV" cpu="$W_CPU" ping_mean="$mean" ping_p99="$p99" ping_loss="$loss" \
		${W_PKT:+pkt_bytes="$W_PKT"} ${W_RET:+ret_per_mb="$W_RET"} ${minrtt:+min_rtt_us="$minrtt"}
	say "$tag #$rep: $W_DEV Mbit/s total (lth rx), cpu $W_CPU%, ping mean $mean ms p99 $p99 ms, packets ${W_PKT:-?} B, ${W_RET:-?} back per MB, inner min RTT ${minrtt:-?} us"
	[ -z "$native" ] || return 0
	# kernel memory per loaded peer: what an idle one costs (measured
	# once, against the baseline before any client) plus what the load
	# adds, against the same clients idle just before this repetition's
	# hub rows (the single-peer rows ran since the baseline, and the
	# caches they grew are not the hub's)
	if [ "$n" = "$HUB_MAX" ] && want mem && [ -n "$MEM_IDLE_K" ]; then
		read -r mk ma <<<"$m1"
		emit mem-loaded "$rep" peers="$n" \
			kernel_kb_per_peer="$(awk -v i="$MEM_IDLE_K" -v a="$mk" -v b="$HUB_REF_K" -v n="$n" 'BEGIN { printf "%.1f", i + (a - b) / n }')" \
			avail_kb_per_peer="$(awk -v i="$MEM_IDLE_A" -v a="$ma" -v b="$HUB_REF_A" -v n="$n" 'BEGIN { printf "%.1f", i + (b - a) / n }')"
	fi
}

HUB_MAX=0
HUB_READY=
MEM_IDLE_K=''
MEM_IDLE_A=''
for n in $HUB_SIZES $HUB_NATIVE; do [ "$n" -gt "$HUB_MAX" ] && HUB_MAX=$n; done
if { want hub || want mem; } && [ "$HUB_MAX" -gt 0 ]; then
	say "hub: setting up $HUB_MAX client namespaces"
	if hub_setup "$HUB_MAX"; then
		sleep 2
		read -r MEM_BASE MEM_AVAIL_BASE <<<"$(meminfo_kb)"
		joined=0
		for i in $(seq "$HUB_MAX"); do
			hub_join "$i" || { say "hub client $i could not join"; dump_file "$LTUN_TMP/hub-client-$i.log" 5; break; }
			joined=$i
		done
		say "hub: $joined clients joined"
		if [ "$joined" = "$HUB_MAX" ] && want mem; then
			sleep 3
			read -r mk ma <<<"$(meminfo_kb)"
			MEM_IDLE_K=$(awk -v a="$mk" -v b="$MEM_BASE" -v n="$joined" 'BEGIN { printf "%.1f", (a - b) / n }')
			MEM_IDLE_A=$(awk -v a="$ma" -v b="$MEM_AVAIL_BASE" -v n="$joined" 'BEGIN { printf "%.1f", (b - a) / n }')
			emit mem-idle 1 peers="$joined" kernel_kb_per_peer="$MEM_IDLE_K" avail_kb_per_peer="$MEM_IDLE_A"
		fi
		if want hub && [ "$joined" = "$HUB_MAX" ]; then
			HUB_READY=1
		elif want hub; then
			emit hub-1 0 error="only $joined of $HUB_MAX clients joined"
		fi
	else
		say "hub setup failed"
		emit hub-1 0 error="hub setup failed"
	fi
fi

# ---- rows 1-6, repetitions interleaved ---------------------------------
# Interleaving (all rows, then all rows again) spreads slow phases of the
# host evenly over the rows, which matters more for ratios than order.

P_VETH=5201
P_WG=5202
declare -A P_LT=([aes128gcm]=5210 [aes256gcm]=5211 [chacha20]=5212)
if want veth || want lat; then iperf_server "$NS_SRV" "$UL4_SRV" "$P_VETH"; fi
if [ -n "$HAVE_WG" ] && { want wg || want lat; }; then iperf_server "$NS_SRV" "$WG_SRV" "$P_WG"; fi
for c in "${!LT_ADDR[@]}"; do iperf_server "$NS_SRV" "${LT_ADDR[$c]}" "${P_LT[$c]}"; done

for rep in $(seq "$REPEAT"); do
	say "---- repetition $rep of $REPEAT"
	if want veth; then
		tcp_row veth-tcp1 "$rep" "$NS_CLI" "$UL4_SRV" "$P_VETH" 1 ve-srv
		tcp_row veth-tcp4 "$rep" "$NS_CLI" "$UL4_SRV" "$P_VETH" 4 ve-srv
	fi
	if want ktls; then
		for c in "${CIPHERS[@]}"; do
			ktls_row "ktls-$c-1" "$rep" "$c" 1
			ktls_row "ktls-$c-4" "$rep" "$c" 4
		done
	fi
	if want wg && [ -n "$HAVE_WG" ]; then
		tcp_row wg-tcp1 "$rep" "$NS_CLI" "$WG_SRV" "$P_WG" 1 wg0
		tcp_row wg-tcp4 "$rep" "$NS_CLI" "$WG_SRV" "$P_WG" 4 wg0
		udp_row wg-udp "$rep" "$NS_CLI" "$WG_SRV" "$P_WG"
	fi
	if want ltun; then
		for c in "${CIPHERS[@]}"; do
			[ -n "${LT_ADDR[$c]:-}" ] || continue
			tcp_row "ltun-$c-tcp1" "$rep" "$NS_CLI" "${LT_ADDR[$c]}" "${P_LT[$c]}" 1 "${LT_DEV[$c]}"
			tcp_row "ltun-$c-tcp4" "$rep" "$NS_CLI" "${LT_ADDR[$c]}" "${P_LT[$c]}" 4 "${LT_DEV[$c]}"
		done
		# The same tunnel with GSO off on lt0 (both ends): every
		# inner TCP segment becomes its own frame, as before GSO.
		if [ -n "${LT_ADDR[aes128gcm]:-}" ] && gso_set "${LT_DEV[aes128gcm]}" off; then
			tcp_row ltun-aes128gcm-nogso-tcp1 "$rep" "$NS_CLI" "${LT_ADDR[aes128gcm]}" \
				"${P_LT[aes128gcm]}" 1 "${LT_DEV[aes128gcm]}"
			tcp_row ltun-aes128gcm-nogso-tcp4 "$rep" "$NS_CLI" "${LT_ADDR[aes128gcm]}" \
				"${P_LT[aes128gcm]}" 4 "${LT_DEV[aes128gcm]}"
			gso_set "${LT_DEV[aes128gcm]}" on
		elif [ -n "${LT_ADDR[aes128gcm]:-}" ]; then
			emit ltun-aes128gcm-nogso-tcp1 "$rep" na="ethtool could not turn GSO off"
		fi
		# 4 streams with the sender's packets sized for a native RTT
		if [ -n "${LT_ADDR[aes128gcm]:-}" ] && def=$(tso_log_get "$NS_CLI"); then
			if tso_log_set "$NS_CLI" "$NATIVE_TSO_LOG"; then
				tcp_row ltun-aes128gcm-native-tcp4 "$rep" "$NS_CLI" "${LT_ADDR[aes128gcm]}" \
					"${P_LT[aes128gcm]}" 4 "${LT_DEV[aes128gcm]}"
			else
				emit ltun-aes128gcm-native-tcp4 "$rep" error="cannot set tcp_tso_rtt_log"
			fi
			tso_log_set "$NS_CLI" "$def" || { say "cannot restore tcp_tso_rtt_log in $NS_CLI"; exit 1; }
		elif [ -n "${LT_ADDR[aes128gcm]:-}" ]; then
			emit ltun-aes128gcm-native-tcp4 "$rep" na="no net.ipv4.tcp_tso_rtt_log"
		fi
		if [ -n "${LT_ADDR[aes128gcm]:-}" ]; then
			udp_row ltun-aes128gcm-udp "$rep" "$NS_CLI" "${LT_ADDR[aes128gcm]}" "${P_LT[aes128gcm]}"
		fi
	fi
	if want lat; then
		lat_row lat-veth-idle "$rep" "$UL4_SRV" "" "$P_VETH"
		lat_row lat-veth-load "$rep" "$UL4_SRV" "$UL4_SRV" "$P_VETH"
		if [ -n "$HAVE_WG" ]; then
			lat_row lat-wg-idle "$rep" "$WG_SRV" "" "$P_WG"
			lat_row lat-wg-load "$rep" "$WG_SRV" "$WG_SRV" "$P_WG"
		fi
		if [ -n "${LT_ADDR[aes128gcm]:-}" ]; then
			a=${LT_ADDR[aes128gcm]}
			lat_row lat-ltun-idle "$rep" "$a" "" "${P_LT[aes128gcm]}"
			lat_row lat-ltun-load "$rep" "$a" "$a" "${P_LT[aes128gcm]}"
		fi
	fi
	if [ -n "$HUB_READY" ]; then
		read -r HUB_REF_K HUB_REF_A <<<"$(meminfo_kb)"
		for n in $HUB_SIZES; do hub_row "$n" "$rep"; done
		for n in $HUB_NATIVE; do hub_row "$n" "$rep" native; done
	fi
done
receivers_stop

say "done"
echo '{"end": "'"$(date -u +%FT%TZ)"'"}' >>"$OUT"
exit 0
