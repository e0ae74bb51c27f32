#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ltunctl up/down: a server and a client, each from a config file in its
# own namespace. up creates the device and starts the daemon and returns
# once it is ready; traffic flows; down stops the daemon and removes the
# device and the pidfile. Also: a second up of the same file is refused,
# down twice is harmless, a config error is refused naming its line and
# leaves nothing behind, and a client that cannot connect makes up fail
# with the reason, again leaving nothing behind.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
dmesg_mark

export LTUN_RUN_DIR=$LTUN_TMP/run
CONF=$LTUN_TMP/conf
SRV_CONF=$CONF/lts.conf
CLI_CONF=$CONF/ltc.conf

# up starts daemons in their own session: the test's process group kill
# would miss them, so take them down here whatever happened.
updown_cleanup() {
	[ -f "$CLI_CONF" ] && ip netns exec "$NS_CLI" "$LTUNCTL" down "$CLI_CONF" >/dev/null 2>&1
	[ -f "$SRV_CONF" ] && ip netns exec "$NS_SRV" "$LTUNCTL" down "$SRV_CONF" >/dev/null 2>&1
	lt_cleanup
}
trap updown_cleanup EXIT

write_configs() {
	mkdir -p "$CONF" || return 1
	cat >"$SRV_CONF" <<-EOF
	# server of updown.sh
	[Interface]
	Address = $IN4_SRV/24
	Address = $IN6_SRV/64
	MTU = 1400

	[Server]
	Listen = $UL4_SRV:$LT_PORT
	Cert = $CERTS/srv.pem
	Key = $CERTS/srv.key
	CA = $CERTS/ca.pem
	Pool = 10.9.0.0/24
	MaxPeers = 10
	EOF
	cat >"$CLI_CONF" <<-EOF
	[Interface]
	Name = ltc

	[Client]
	Server = $UL4_SRV:$LT_PORT
	CA = $CERTS/ca.pem
	Cert = $CERTS/cli.pem
	Key = $CERTS/cli.key
	Keepalive = 2000
	Timeout = 10000
	EOF
}

# up NS FILE TAG: ltunctl up in NS; output in $LTUN_TMP/TAG.{out,err}, status in UP_RC
up() {
	lt_timeout 90 ip netns exec "$1" "$LTUNCTL" up "$2" >"$LTUN_TMP/$3.out" 2>"$LTUN_TMP/$3.err"
	UP_RC=$?
	log "up $3: exit $UP_RC; out: $(head -c 300 "$LTUN_TMP/$3.out" | tr '\n' ' ')"
	log "         err: $(head -c 300 "$LTUN_TMP/$3.err" | tr '\n' ' ')"
}

down() {
	lt_timeout 30 ip netns exec "$1" "$LTUNCTL" down "$2" >"$LTUN_TMP/$3.out" 2>"$LTUN_TMP/$3.err"
	DOWN_RC=$?
	log "down $3: exit $DOWN_RC; $(head -c 300 "$LTUN_TMP/$3.err" | tr '\n' ' ')"
}

dev_exists() {
	ip -n "$1" link show "$2" >/dev/null 2>&1
}

pid_of() {
	cat "$LTUN_RUN_DIR/$1.pid" 2>/dev/null
}

alive() {
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

ping_ok() {
	ip netns exec "$1" ping -c 2 -i 0.3 -W 2 -q "$2" >"$LTUN_TMP/ping.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/ping.log"; return 1; }
}

log "setting up namespaces and certificates"
check "underlay between two namespaces" setup_underlay
check "certificates generated" gen_certs
check "config files written" write_configs
[ "$LT_FAILS" -eq 0 ] || lt_finish

# --- a config error names its line and changes nothing -----------------
cat >"$CONF/bad.conf" <<EOF
[Interface]
Address = 10.9.0.1/24

[Server]
Listen = $UL4_SRV:$LT_PORT
Cert = x
Pol = 10.9.0.0/24
EOF
up "$NS_SRV" "$CONF/bad.conf" bad
check "config error: up exits 1" [ "$UP_RC" -eq 1 ]
check "config error: message names file, line 7 and the key" \
	grep -qF "bad.conf:7: unknown key 'Pol'" "$LTUN_TMP/bad.err"
check "config error: no device created" eval '! dev_exists "$NS_SRV" bad'

# --- server and client up ----------------------------------------------
up "$NS_SRV" "$SRV_CONF" srv-up
check "server: up exits 0" [ "$UP_RC" -eq 0 ]
check "server: up printed the daemon's 'listening on'" grep -q "listening on" "$LTUN_TMP/srv-up.out"
SPID=$(pid_of lts)
check "server: pidfile names a live process" alive "$SPID"
check "server: device lts exists with MTU 1400" \
	eval 'ip -n "$NS_SRV" link show lts | grep -q "mtu 1400"'
check "server: listening on $LT_PORT" port_listening "$NS_SRV" "$LT_PORT"

up "$NS_SRV" "$SRV_CONF" srv-again
check "second up of the same file is refused" \
	eval '[ "$UP_RC" -eq 1 ] && grep -q "up already" "$LTUN_TMP/srv-again.err"'

up "$NS_CLI" "$CLI_CONF" cli-up
check "client: up exits 0 once connected" [ "$UP_RC" -eq 0 ]
check "client: up printed 'peer N up'" grep -q "^peer [0-9]* up" "$LTUN_TMP/cli-up.out"
CPID=$(pid_of ltc)
check "client: pidfile names a live process" alive "$CPID"
check "client: pool address on ltc" \
	eval 'ip -n "$NS_CLI" -4 -o addr show dev ltc | grep -q "10\.9\.0\.[0-9]*/24"'
# The server hands the socket to its kernel only after it sent WELCOME
# (server_client.c says why); the client's "up" returns once that kernel
# has shown it has the peer (its first keepalive), so no waiting here.
check "server's kernel has the peer as soon as the client's up returns" \
	eval '[ "$(ip netns exec "$NS_SRV" "$LTUNCTL" peer show lts | grep -c "^peer ")" -eq 1 ]'
check "ping client -> server through the tunnel" ping_ok "$NS_CLI" "$IN4_SRV"
CADDR=$(ip -n "$NS_CLI" -4 -o addr show dev ltc | awk '{ print $4 }' | cut -d/ -f1 | head -n 1)
check "ping server -> client ($CADDR)" ping_ok "$NS_SRV" "$CADDR"

# --- down ---------------------------------------------------------------
down "$NS_CLI" "$CLI_CONF" cli-down
check "client: down exits 0" [ "$DOWN_RC" -eq 0 ]
check "client: process gone" eval '! alive "$CPID"'
check "client: device gone" eval '! dev_exists "$NS_CLI" ltc'
check "client: pidfile gone" eval '[ ! -e "$LTUN_RUN_DIR/ltc.pid" ]'
check "server: client's peer gone" wait_for 10 eval '[ "$(ip netns exec "$NS_SRV" "$LTUNCTL" -j peer show lts | tr -d "[:space:]")" = "[]" ]'

down "$NS_SRV" "$SRV_CONF" srv-down
check "server: down exits 0" [ "$DOWN_RC" -eq 0 ]
check "server: process gone" eval '! alive "$SPID"'
check "server: device gone" eval '! dev_exists "$NS_SRV" lts'
check "server: pidfile gone" eval '[ ! -e "$LTUN_RUN_DIR/lts.pid" ]'
check "server: port closed" eval '! port_listening "$NS_SRV" "$LT_PORT"'

down "$NS_SRV" "$SRV_CONF" srv-down2
check "down of what is down: exit 0, says so" \
	eval '[ "$DOWN_RC" -eq 0 ] && grep -q "was not up" "$LTUN_TMP/srv-down2.err"'

# --- a client that cannot connect: up fails with the reason ------------
up "$NS_CLI" "$CLI_CONF" cli-fail
check "client without server: up exits 1" [ "$UP_RC" -eq 1 ]
check "client without server: the reason is printed" \
	grep -qE "connect to .*(refused|timed out|unreachable)" "$LTUN_TMP/cli-fail.err"
check "client without server: no device left" eval '! dev_exists "$NS_CLI" ltc'
check "client without server: no pidfile left" eval '[ ! -e "$LTUN_RUN_DIR/ltc.pid" ]'
check "client without server: no daemon left" \
	eval '! pgrep -f "ltunctl up $CLI_CONF" >/dev/null'

check "no kernel warnings" dmesg_clean
lt_finish
