#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# persist: a client started with "peer add ... persist renew 15" keeps a
# 100 MB inner TCP transfer (10 MB on the debug kernel; the underlay
# shaped so that it lasts at least 40 s) alive, byte-exact, across
#  a. a session renewal (make-before-break: PEER_SET with a new
#     connection), seen as a "renewed" event on both sides and as
#     renewals >= 1 in peer show, and
#  b. a killed TCP connection (ss -K in the client's namespace), after
#     which the client reconnects by itself: a new peer id, an "up" event,
#     and the same pool address as before.
# ltunctl monitor -j is the witness for both (up/renewed/down events), and
# SIGTERM ends the client cleanly: exit 0, its peer deleted (reason admin).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
command -v ss >/dev/null || lt_skip "needs ss (iproute2)"
dmesg_mark

XFER_BYTES=$(lt_bytes $((100 * 1024 * 1024)))
XFER_PORT=5301
# The renewal and the kill must both land inside the transfer, however
# fast this machine moves it: while it runs, the client's underlay is
# shaped so that it cannot take less than this (a debug kernel finished
# its 10 MB before the renewal, and so could a fast host its 100 MB).
XFER_MIN_S=40
XFER_RATE=$((XFER_BYTES * 8 / XFER_MIN_S))	# bit/s
RENEW_S=15
POOL=10.9.0.0/24
CLOG=$LTUN_TMP/persist-client.log
MON_C=$LTUN_TMP/monitor-cli.jsonl
MON_S=$LTUN_TMP/monitor-srv.jsonl
MON_T=$LTUN_TMP/monitor-cli.txt

# Server lt0 with the tunnel subnet; client lt0 bare: it asks the pool.
setup_devices() {
	ip -n "$NS_SRV" link add lt0 type ltun &&
		ip -n "$NS_CLI" link add lt0 type ltun &&
		ip -n "$NS_SRV" addr add "$IN4_SRV/24" dev lt0 &&
		ip -n "$NS_SRV" addr add "$IN6_SRV/64" dev lt0 nodad &&
		ip -n "$NS_SRV" link set lt0 up &&
		ip -n "$NS_CLI" link set lt0 up
}

start_pool_server() {
	bg_run SRV_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lt0 \
		listen "$UL4_SRV:$LT_PORT" cert "$CERTS/srv.pem" key "$CERTS/srv.key" \
		ca "$CERTS/ca.pem" pool "$POOL" >>"$LTUN_TMP/server.log" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$LT_PORT"
}

# monitor -j in namespace $1 into file $2 (pid in $3)
start_monitor() {
	bg_run "$3" ip netns exec "$1" "$LTUNCTL" -j monitor lt0 >"$2" 2>&1
}

# the text monitor's line for an event: text_event REGEX
text_event() {
	grep -qE "$1" "$MON_T"
}

# events NAME FILE: the JSON lines of event NAME
events() {
	grep -F "\"event\":\"$1\"" "$2" 2>/dev/null
}

n_events() {
	events "$1" "$2" | grep -c .
}

# id of the last event NAME in FILE
last_id() {
	events "$1" "$2" | tail -n 1 | grep -o '"id":[0-9]*' | grep -o '[0-9]*$'
}

client_addr() {
	ip -n "$NS_CLI" -4 -o addr show dev lt0 | awk '{ print $4 }' | head -n 1
}

# "renewals" of the one peer of lt0 in namespace $1
renewals() {
	ip netns exec "$1" "$LTUNCTL" -j peer show lt0 |
		grep -o '"renewals":[0-9]*' | grep -o '[0-9]*$' | head -n 1
}

renewed_on() {
	local r
	r=$(renewals "$1")
	[ -n "$r" ] && [ "$r" -ge 1 ]
}

xfer_running() {
	kill -0 "$RPID" 2>/dev/null
}

log "setting up namespaces, devices and certificates"
check "underlay between two namespaces" setup_underlay
check "lt0 in both namespaces (client without address)" setup_devices
check "certificates generated" gen_certs
[ "$LT_FAILS" -eq 0 ] || lt_finish
check "server with pool $POOL listening" start_pool_server
start_monitor "$NS_CLI" "$MON_C" MON_C_PID
start_monitor "$NS_SRV" "$MON_S" MON_S_PID
bg_run MON_T_PID ip netns exec "$NS_CLI" "$LTUNCTL" monitor >"$MON_T" 2>&1
sleep 1		# both monitors subscribed before the first event

# No session may end on its own here (only ss -K ends one): the receive
# timeout is stretched on the debug kernel, where a starved guest once went
# 10 s without a whole frame in the middle of the transfer.
bg_run CLI_PID ip netns exec "$NS_CLI" "$LTUNCTL" peer add lt0 server "$UL4_SRV:$LT_PORT" \
	ca "$CERTS/ca.pem" cert "$CERTS/cli.pem" key "$CERTS/cli.key" \
	keepalive 1000 timeout $((10000 * LT_SLOW)) persist renew "$RENEW_S" >"$CLOG" 2>&1
T0=$SECONDS
if ! check "persist client: first session up" wait_for 30 grep -q "^peer [0-9]* up" "$CLOG"; then
	dump_file "$CLOG"
	dump_file "$LTUN_TMP/server.log"
	lt_finish
fi
ADDR0=$(client_addr)
log "client address from the pool: $ADDR0"
check "client got a pool address on lt0" eval '[[ "$ADDR0" == 10.9.0.*/24 ]]'
check "client monitor: up event" wait_for 5 events up "$MON_C"
check "server monitor: up event" wait_for 5 events up "$MON_S"
ID0=$(last_id up "$MON_C")
check "ping through the tunnel" ip netns exec "$NS_CLI" ping -c 2 -W 2 -q "$IN4_SRV"

# Start the transfer shortly before the first renewal is due, so that
# both the renewal and the kill land inside it.
wait_s=$((RENEW_S - 3 - (SECONDS - T0)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
check "underlay shaped to $XFER_RATE bit/s for the transfer" \
	ip netns exec "$NS_CLI" tc qdisc replace dev ve-cli root tbf \
	rate "${XFER_RATE}bit" burst 32kb latency 200ms
bg_run RPID ip netns exec "$NS_SRV" "$TCP_XFER" recv "$XFER_PORT" "$XFER_BYTES" 4242 \
	--timeout "$(lt_secs 240)" >"$LTUN_TMP/xfer-recv.log" 2>&1
wait_for 5 port_listening "$NS_SRV" "$XFER_PORT" || log "receiver not listening"
bg_run SPID ip netns exec "$NS_CLI" "$TCP_XFER" send "$IN4_SRV" "$XFER_PORT" "$XFER_BYTES" 4242 \
	--timeout "$(lt_secs 240)" >"$LTUN_TMP/xfer-send.log" 2>&1
X0=$SECONDS
log "transfer of $XFER_BYTES bytes started"

# a. renewal
check "client monitor: renewed event (renew $RENEW_S)" wait_for 30 events renewed "$MON_C"
check "server monitor: renewed event" wait_for 10 events renewed "$MON_S"
check "renewal happened during the transfer" xfer_running
check "client peer show: renewals >= 1" renewed_on "$NS_CLI"
check "server peer show: renewals >= 1" renewed_on "$NS_SRV"
check "renewal kept the client's peer id" eval '[ "$(last_id up "$MON_C")" = "$ID0" ]'
grep -a "renew" "$CLOG" | sed 's/^/#   /'

# b. kill the connection under the tunnel
ss_out=$(ip netns exec "$NS_CLI" ss -K -tn dst "$UL4_SRV" dport = :"$LT_PORT" 2>&1)
log "ss -K: $(printf '%s' "$ss_out" | tr '\n' ' ' | head -c 300)"
check "killed the tunnel's TCP connection during the transfer" xfer_running
check "client monitor: down event for peer $ID0" \
	wait_for 10 eval 'events down "$MON_C" | grep -q "\"id\":$ID0,"'
check "client reconnected by itself: a second up event" \
	wait_for 30 eval '[ "$(n_events up "$MON_C")" -ge 2 ]'
ID1=$(last_id up "$MON_C")
check "new session has a new peer id ($ID0 -> $ID1)" eval '[ -n "$ID1" ] && [ "$ID1" != "$ID0" ]'
check "reconnect logged by the client" grep -q "reconnecting in" "$CLOG"
check "same address after the reconnect ($ADDR0)" eval '[ "$(client_addr)" = "$ADDR0" ]'
check "server has exactly one peer again" wait_for 10 peer_count_is "$NS_SRV" 1
check "text monitor: 'lt0 peer $ID0 up REMOTE name NAME'" \
	text_event "^lt0 peer $ID0 up $UL4_SRV:$LT_PORT name $UL4_SRV:$LT_PORT\$"
check "text monitor: 'lt0 peer $ID0 renewed'" text_event "^lt0 peer $ID0 renewed\$"
check "text monitor: 'lt0 peer $ID0 down reason error'" \
	text_event "^lt0 peer $ID0 down reason error\$"
check "text monitor: 'lt0 peer $ID1 up ...'" text_event "^lt0 peer $ID1 up "

# the transfer, across both events
check "$XFER_BYTES bytes across renewal and reconnect, byte-exact" wait_pid "$RPID" 240
ip netns exec "$NS_CLI" tc qdisc del dev ve-cli root 2>/dev/null
wait_pid "$SPID" 30 || log "sender exit status $?"
log "transfer took $((SECONDS - X0)) s"
dump_file "$LTUN_TMP/xfer-recv.log" 5

# Every renewal (one per RENEW_S: more after the reconnect) must keep its
# session: the only loss before SIGTERM is the one ss -K caused.
check "no session lost except to ss -K (renewals never drop one)" \
	eval '[ "$(events down "$MON_C" | grep -vc "\"reason\":\"admin\"")" -eq 1 ]'

# SIGTERM: the client deletes its peer and exits 0
kill -TERM "$CLI_PID"
check "persist client exits 0 on SIGTERM" wait_pid "$CLI_PID" 15
check "client peer deleted" wait_for 5 peer_count_is "$NS_CLI" 0
check "server notices: no peer" wait_for 10 peer_count_is "$NS_SRV" 0
check "client monitor: down reason admin" \
	wait_for 5 eval 'events down "$MON_C" | grep -q "\"reason\":\"admin\""'

log "client log:"
dump_file "$CLOG" 30
log "client monitor:"
dump_file "$MON_C" 20
log "server monitor:"
dump_file "$MON_S" 20
log "client text monitor:"
dump_file "$MON_T" 20
bg_stop "$MON_C_PID"
bg_stop "$MON_S_PID"
bg_stop "$MON_T_PID"
check "no kernel warnings" dmesg_clean
lt_finish
