# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the ltun shell selftests (sourced, not run).
#
# Results: each check prints "# ok N - what" or "# not ok N - what" (TAP
# sub-lines as comments, the runner counts the script's exit code), and
# lt_finish exits non-zero if any check failed. Everything that waits is
# bounded; everything started in the background is recorded and killed (by
# pid) and every netns deleted by the EXIT trap.
#
# Environment (set by the VM runner; defaults let a developer run a script
# by hand from the repository): LTUN_SRC, LTUNCTL, LTUN_KO, LTUN_TMP, KVER,
# and on the debug kernel LTUN_DEBUG_KERNEL and LTUN_TIMEOUT_SCALE.

set -u

LTUN_SRC=${LTUN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KVER=${KVER:-$(uname -r)}
LTUNCTL=${LTUNCTL:-$LTUN_SRC/userspace/ltunctl}
LTUN_KO=${LTUN_KO:-$LTUN_SRC/build/$KVER/kmod/ltun.ko}
SELFTESTS=$LTUN_SRC/selftests
TCP_XFER=$SELFTESTS/tcp_xfer
if [ -z "${LTUN_TMP:-}" ]; then
	LTUN_TMP=$(mktemp -d /tmp/ltun-test.XXXXXX)
	LT_OWN_TMP=1
fi

# Underlay (veth) and inner (lt0) addressing. 192.0.2.0/24 is TEST-NET-1:
# only ever used inside namespaces made by the test.
UL4_SRV=192.0.2.1
UL4_CLI=192.0.2.2
UL6_SRV=fd00::1
UL6_CLI=fd00::2
IN4_SRV=10.9.0.1
IN4_CLI=10.9.0.2
IN6_SRV=fd09::1
IN6_CLI=fd09::2
LT_PORT=4433

# The debug kernel (make check-debug: KASAN, lockdep, kmemleak under TCG)
# moves bulk data some 50x slower and sets up connections ~10x slower. There
# every bound a test waits for is LT_SLOW times longer (wait_for, wait_pid,
# lt_timeout, lt_secs) and bulk transfers are a tenth the size (lt_bytes):
# what is checked stays the same, only how long it may take changes.
LT_SLOW=${LTUN_TIMEOUT_SCALE:-1}
case $LT_SLOW in '' | 0 | *[!0-9]*) LT_SLOW=1 ;; esac

# lt_secs S: a bound of S seconds, stretched on the debug kernel.
lt_secs() { echo $(($1 * LT_SLOW)); }

# lt_timeout S cmd...: timeout(1) with a stretched bound.
lt_timeout() {
	local t=$1
	shift
	timeout "$((t * LT_SLOW))" "$@"
}

# lt_bytes N: N bytes to transfer, a tenth of it on the debug kernel.
lt_bytes() {
	if [ -n "${LTUN_DEBUG_KERNEL:-}" ]; then echo $(($1 / 10)); else echo "$1"; fi
}

LT_N=0
LT_FAILS=0
LT_FAILED=()	# numbers of the failed checks, repeated in the summary
LT_BG_PIDS=()
LT_NETNS=()
LT_SUFFIX=$$

log() { echo "# $*"; }

ok() {
	LT_N=$((LT_N + 1))
	echo "# ok $LT_N - $* [${SECONDS}s]"
}

not_ok() {
	LT_N=$((LT_N + 1))
	LT_FAILS=$((LT_FAILS + 1))
	LT_FAILED+=("$LT_N")
	echo "# not ok $LT_N - $* [${SECONDS}s]"
}

# check "description" command...: one result from the command's status,
# which check also returns (so "check ... || give_up" works).
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; return 1; fi
}

# Print a file's content as comments (for failure diagnostics).
dump_file() {
	[ -s "$1" ] || return 0
	sed 's/^/#   /' "$1" | head -n "${2:-40}"
}

lt_skip() {
	echo "# SKIP $*"
	exit 4
}

# Exit with the overall status; the EXIT trap cleans up.  The failed
# checks are named again here because a CI excerpt often shows only the
# tail of a test's output.
lt_finish() {
	echo "# summary: $((LT_N - LT_FAILS)) checks ok, $LT_FAILS not ok${LT_FAILED:+ (failed: ${LT_FAILED[*]})}"
	[ "$LT_FAILS" -eq 0 ] && exit 0
	exit 1
}

# Run a command in the background, recording its pid for cleanup.
# Usage: bg_run VAR cmd... (pid stored in VAR)
bg_run() {
	local __var=$1
	shift
	"$@" &
	LT_BG_PIDS+=("$!")
	printf -v "$__var" '%s' "$!"
}

# Stop one background process (TERM, then KILL after 3 s), reap it.
bg_stop() {
	local pid=${1:-}
	# never let an empty or 0 pid turn into "kill the process group"
	case $pid in '' | 0 | *[!0-9]*) return 0 ;; esac
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; bg_forget "$pid"; return 0; }
	kill "$pid" 2>/dev/null
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bg_forget "$pid"
	return 0
}

# Drop a reaped pid from the cleanup list (bash complains about waiting
# twice, and the number could be reused).
bg_forget() {
	local p keep=()
	for p in "${LT_BG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	LT_BG_PIDS=("${keep[@]}")
}

lt_cleanup() {
	local pid ns
	for pid in "${LT_BG_PIDS[@]}"; do
		bg_stop "$pid"
	done
	for ns in "${LT_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "${LT_OWN_TMP:-}" ]; then
		rm -rf -- "$LTUN_TMP"
	fi
}
trap lt_cleanup EXIT
trap 'exit 130' INT TERM

# wait_for TIMEOUT_S cmd...: poll every 0.1 s until cmd succeeds (the
# bound is stretched by LT_SLOW).
wait_for() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) / 1000000 + t * LT_SLOW * 1000))
	while ! "$@" 2>/dev/null; do
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.1
	done
	return 0
}

# Wait (bounded) for a background pid to exit; returns its exit status,
# or 124 (and kills it) on timeout (stretched by LT_SLOW).
wait_pid() {
	local pid=${1:-} t=$2 end
	case $pid in '' | 0 | *[!0-9]*) return 1 ;; esac
	end=$(($(date +%s) + t * LT_SLOW))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$end" ]; then
			bg_stop "$pid"
			return 124
		fi
		sleep 0.1
	done
	wait "$pid"
	local rc=$?
	bg_forget "$pid"
	return $rc
}

require_root_env() {
	[ "$(id -u)" -eq 0 ] || lt_skip "needs root"
	[ -x "$LTUNCTL" ] || lt_skip "no ltunctl at $LTUNCTL (make userspace)"
	[ -x "$TCP_XFER" ] || lt_skip "no $TCP_XFER (make -C selftests)"
	command -v ping >/dev/null || lt_skip "needs ping (iputils-ping)"
	command -v openssl >/dev/null || lt_skip "needs openssl"
	# The module under test is the one just built, never an installed copy.
	grep -qw '^ltun' /proc/modules ||
		{ [ -r "$LTUN_KO" ] && insmod "$LTUN_KO"; } ||
		lt_skip "ltun module not loaded and $LTUN_KO not loadable"
}

# ---- namespaces -----------------------------------------------------

ns_add() {
	local ns=$1
	ip netns add "$ns" || return 1
	LT_NETNS+=("$ns")
	ip -n "$ns" link set lo up
}

# Two namespaces srv/cli on a veth pair with v4 and v6 underlay addresses.
# Sets NS_SRV / NS_CLI; the optional argument tells several pairs apart.
setup_underlay() {
	NS_SRV=ltsrv-$LT_SUFFIX${1:+-$1}
	NS_CLI=ltcli-$LT_SUFFIX${1:+-$1}
	ns_add "$NS_SRV" && ns_add "$NS_CLI" || return 1
	ip link add ve-srv netns "$NS_SRV" type veth peer name ve-cli netns "$NS_CLI" ||
		return 1
	ip -n "$NS_SRV" addr add "$UL4_SRV/24" dev ve-srv
	ip -n "$NS_CLI" addr add "$UL4_CLI/24" dev ve-cli
	# nodad: usable at once instead of after duplicate detection
	ip -n "$NS_SRV" addr add "$UL6_SRV/64" dev ve-srv nodad
	ip -n "$NS_CLI" addr add "$UL6_CLI/64" dev ve-cli nodad
	ip -n "$NS_SRV" link set ve-srv up
	ip -n "$NS_CLI" link set ve-cli up
	wait_for 5 ip netns exec "$NS_CLI" ping -c1 -W1 -q "$UL4_SRV" >/dev/null &&
		wait_for 5 ip netns exec "$NS_CLI" ping -c1 -W1 -q "$UL6_SRV" >/dev/null
}

# lt0 in both namespaces with the inner addresses, up.
setup_lt0() {
	local ns
	for ns in "$NS_SRV" "$NS_CLI"; do
		ip -n "$ns" link add lt0 type ltun || return 1
	done
	ip -n "$NS_SRV" addr add "$IN4_SRV/24" dev lt0 &&
		ip -n "$NS_SRV" addr add "$IN6_SRV/64" dev lt0 nodad &&
		ip -n "$NS_CLI" addr add "$IN4_CLI/24" dev lt0 &&
		ip -n "$NS_CLI" addr add "$IN6_CLI/64" dev lt0 nodad &&
		ip -n "$NS_SRV" link set lt0 up &&
		ip -n "$NS_CLI" link set lt0 up
}

# ---- certificates ---------------------------------------------------

# CA, server cert (SAN = both underlay IPs), client cert in $CERTS.
gen_certs() {
	CERTS=$LTUN_TMP/certs
	mkdir -p "$CERTS"
	cat >"$CERTS/ext.cnf" <<-EOF
	[ca]
	basicConstraints=critical,CA:TRUE
	keyUsage=critical,keyCertSign,cRLSign
	subjectKeyIdentifier=hash
	[srv]
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature
	extendedKeyUsage=serverAuth
	subjectAltName=IP:$UL4_SRV,IP:$UL6_SRV
	[cli]
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature
	extendedKeyUsage=clientAuth
	EOF
	(
		set -e
		cd "$CERTS"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.pem -days 2 \
			-subj /CN=ltun-test-ca -config ext.cnf -extensions ca
		for r in srv cli; do
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout $r.key -out $r.csr -subj /CN=ltun-$r \
				-config ext.cnf
			openssl x509 -req -in $r.csr -CA ca.pem -CAkey ca.key \
				-set_serial "0x$(openssl rand -hex 8)" -days 2 \
				-out $r.pem -extfile ext.cnf -extensions $r
		done
		openssl verify -CAfile ca.pem srv.pem cli.pem
	) >"$LTUN_TMP/openssl.log" 2>&1 || { dump_file "$LTUN_TMP/openssl.log"; return 1; }
}

# ---- ltunctl --------------------------------------------------------
# All ltunctl command lines live here, so a syntax change is one edit.

# start_server ADDR (v6 without brackets): background server in NS_SRV.
# Sets SRV_PID, log in $LTUN_TMP/server.log.
start_server() {
	local addr=$1 ep
	case $addr in *:*) ep="[$addr]:$LT_PORT" ;; *) ep="$addr:$LT_PORT" ;; esac
	bg_run SRV_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lt0 listen "$ep" \
		cert "$CERTS/srv.pem" key "$CERTS/srv.key" ca "$CERTS/ca.pem" \
		>>"$LTUN_TMP/server.log" 2>&1
	# ready once the port is listening
	wait_for 10 port_listening "$NS_SRV" "$LT_PORT"
}

port_listening() {
	ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .
}

# client_connect ADDR: ltunctl peer add in NS_CLI (returns when attached).
client_connect() {
	local addr=$1 ep
	case $addr in *:*) ep="[$addr]:$LT_PORT" ;; *) ep="$addr:$LT_PORT" ;; esac
	lt_timeout 30 ip netns exec "$NS_CLI" "$LTUNCTL" peer add lt0 remote "$ep" \
		ca "$CERTS/ca.pem" cert "$CERTS/cli.pem" key "$CERTS/cli.key" \
		>>"$LTUN_TMP/client.log" 2>&1
}

# Peer ids of lt0 in namespace $1, one per line (from JSON output).
peer_ids() {
	local out
	out=$(ip netns exec "$1" "$LTUNCTL" -j peer show lt0) || return 1
	if command -v python3 >/dev/null; then
		printf '%s' "$out" | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    print(p["id"])'
	else
		printf '%s' "$out" | grep -o '"id": *[0-9]*' | grep -o '[0-9]*$'
	fi
}

n_peers() {
	local ids
	ids=$(peer_ids "$1") || { echo -1; return 1; }
	printf '%s' "$ids" | grep -c .
}

# peer_count_is NS N
peer_count_is() {
	[ "$(n_peers "$1")" = "$2" ]
}

# Tunnel between the namespaces over underlay address $1 (server side).
tunnel_up() {
	local addr=$1
	start_server "$addr" || { log "server did not start listening"; dump_file "$LTUN_TMP/server.log"; return 1; }
	client_connect "$addr" || { log "client failed"; dump_file "$LTUN_TMP/client.log"; dump_file "$LTUN_TMP/server.log"; return 1; }
	wait_for 5 peer_count_is "$NS_SRV" 1 && wait_for 5 peer_count_is "$NS_CLI" 1
}

# Read a /proc/net/tls_stat counter (netns-local, so pass the namespace).
tls_stat() {
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/tls_stat
}

ltun_devices() {
	ip -o link show type ltun 2>/dev/null
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		ip -n "$ns" -o link show type ltun 2>/dev/null
	done
}

# Kernel log watch: remember where dmesg is, later report new splats.
dmesg_mark() {
	LT_DMESG_MARK=$(dmesg 2>/dev/null | wc -l)
}

# Fails (and prints them) if BUG/WARNING/Oops lines appeared since the mark.
dmesg_clean() {
	local new
	new=$(dmesg 2>/dev/null | tail -n +"$((${LT_DMESG_MARK:-0} + 1))" |
		grep -E 'BUG:|WARNING:|Oops|general protection|refcount_t:|unregister_netdevice: waiting|KASAN|UBSAN|list_(add|del) corruption|ltun.*leak')
	[ -z "$new" ] && return 0
	printf '%s\n' "$new" | sed 's/^/#   dmesg: /' | head -n 40
	return 1
}

# ---- certificates with any validity, revocation -------------------------
# An "openssl ca" database for the CA of gen_certs (call that first), so
# that certificates can be given any validity period and be revoked into
# a CRL: $CERTS/ca.cnf and $CERTS/ca-db/.
ca_db_init() {
	local db=$CERTS/ca-db
	mkdir -p "$db/new" && : >"$db/index.txt" && echo 1000 >"$db/serial" &&
		echo 1000 >"$db/crlnumber" || return 1
	cat >"$CERTS/ca.cnf" <<-EOF
	[ca]
	default_ca = testca
	[testca]
	database = $db/index.txt
	new_certs_dir = $db/new
	serial = $db/serial
	crlnumber = $db/crlnumber
	certificate = $CERTS/ca.pem
	private_key = $CERTS/ca.key
	default_md = sha256
	default_crl_days = 30
	policy = anyname
	unique_subject = no
	[anyname]
	commonName = supplied
	EOF
}

# utc_date OFFSET: a date for openssl ca -startdate/-enddate, OFFSET as
# date -d takes it ("-3 days", "+1 day", "now").
utc_date() {
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

# gen_cert_dated NAME EXT START END: $CERTS/NAME.{pem,key}, CN ltun-NAME,
# signed by the CA of gen_certs with the ext.cnf extensions EXT (cli or
# srv), valid from START to END (utc_date offsets).
gen_cert_dated() {
	local name=$1 ext=$2 start end
	start=$(utc_date "$3") && end=$(utc_date "$4") || return 1
	[ -f "$CERTS/ca.cnf" ] || ca_db_init || return 1
	(
		set -e
		cd "$CERTS"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=ltun-$name" \
			-config ext.cnf
		openssl ca -batch -notext -config ca.cnf -in "$name.csr" -out "$name.pem" \
			-startdate "$start" -enddate "$end" -extfile ext.cnf -extensions "$ext"
	) >>"$LTUN_TMP/openssl-ca.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-ca.log"; return 1; }
}

# gen_crl [NAME...]: revoke $CERTS/NAME.pem (certificates made by
# gen_cert_dated), then write the CA's current CRL to $CERTS/crl.pem.
gen_crl() {
	local name
	[ -f "$CERTS/ca.cnf" ] || ca_db_init || return 1
	(
		set -e
		cd "$CERTS"
		for name in "$@"; do
			openssl ca -batch -config ca.cnf -revoke "$name.pem"
		done
		openssl ca -batch -config ca.cnf -gencrl -out crl.pem.new
		mv crl.pem.new crl.pem
	) >>"$LTUN_TMP/openssl-ca.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-ca.log"; return 1; }
}

# ---- ltunctl with extra options ---------------------------------------

# start_server_with ADDR OPTION...: start_server with more "ltunctl server"
# options (e.g. cipher LIST). Sets SRV_PID, log in $LTUN_TMP/server.log.
start_server_with() {
	local addr=$1 ep
	shift
	case $addr in *:*) ep="[$addr]:$LT_PORT" ;; *) ep="$addr:$LT_PORT" ;; esac
	bg_run SRV_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lt0 listen "$ep" \
		cert "$CERTS/srv.pem" key "$CERTS/srv.key" ca "$CERTS/ca.pem" "$@" \
		>>"$LTUN_TMP/server.log" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$LT_PORT"
}

# client_connect_with ADDR OPTION...: client_connect with more "peer add"
# options. Output appended to $LTUN_TMP/client.log.
client_connect_with() {
	local addr=$1 ep
	shift
	case $addr in *:*) ep="[$addr]:$LT_PORT" ;; *) ep="$addr:$LT_PORT" ;; esac
	lt_timeout 30 ip netns exec "$NS_CLI" "$LTUNCTL" peer add lt0 remote "$ep" \
		ca "$CERTS/ca.pem" cert "$CERTS/cli.pem" key "$CERTS/cli.key" "$@" \
		>>"$LTUN_TMP/client.log" 2>&1
}

# module_accepts_gso: the module under test was built from a uapi header
# whose LTUN_PEER_F_ALL (the flags PEER_NEW accepts) includes
# LTUN_PEER_F_GSO. Independent of ltunctl's own probe. Exit 2: unknown.
module_accepts_gso() {
	command -v gcc >/dev/null || return 2
	grep -q LTUN_PEER_F_GSO "$LTUN_SRC/uapi/linux/ltun.h" || return 1
	printf '#include <linux/ltun.h>\n_Static_assert(LTUN_PEER_F_ALL & LTUN_PEER_F_GSO, "");\n' |
		gcc -fsyntax-only -I"$LTUN_SRC/uapi" -x c - 2>/dev/null
}
