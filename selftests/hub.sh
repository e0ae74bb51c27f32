#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hub: one server and three clients, each in its own namespace, on one
# bridge. The server hands out addresses from pool 10.77.0.0/24 and
# fd77::/64 and has IP forwarding off, so client-to-client traffic can only
# go through the module. Checks, each able to fail on its own:
#  a. every pair pings over IPv4 and IPv6
#  b. isolate on: client<->client fails and is counted, client<->server works
#  c. pool: distinct addresses, the same one after a reconnect, and a client
#     asking for a taken address is refused with the address named
#  d. max-peers: a fourth client is told the server is full
#  e. a spoofed inner source is dropped and counted
#  f. a subnet behind one client is reachable from another
#  g. broadcast reaches the server and the other clients (only the server
#     with isolate on)
#  h. auth-hook: its non-zero exit refuses the client

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root_env
dmesg_mark

SRV_UL=192.0.2.1
SRV4=10.77.0.1
SRV6=fd77::1
SUBNET=192.168.77
NCLI=4			# c1..c3 stay attached; c4 is for refusals

ns_of() { echo "lthub-$LT_SUFFIX-$1"; }

# Server namespace with bridge br0; each client namespace is joined to it
# by a veth pair (192.0.2.1X).
setup_star() {
	local i ns
	NS_SRV=$(ns_of srv)
	ns_add "$NS_SRV" || return 1
	ip -n "$NS_SRV" link add br0 type bridge || return 1
	ip -n "$NS_SRV" addr add "$SRV_UL/24" dev br0
	ip -n "$NS_SRV" link set br0 up
	for i in $(seq "$NCLI"); do
		ns=$(ns_of "c$i")
		ns_add "$ns" || return 1
		ip link add "vh$i" netns "$NS_SRV" type veth peer name ve0 netns "$ns" || return 1
		ip -n "$NS_SRV" link set "vh$i" master br0 up
		ip -n "$ns" addr add "192.0.2.1$i/24" dev ve0
		ip -n "$ns" link set ve0 up
	done
	for i in $(seq "$NCLI"); do
		wait_for 5 ip netns exec "$(ns_of "c$i")" ping -c1 -W1 -q "$SRV_UL" >/dev/null ||
			return 1
	done
}

# lt0 everywhere: the server's with the tunnel subnets, the clients' bare
# (no address: they ask the pool). Forwarding off on the server; every
# namespace answers broadcast pings.
setup_devices() {
	local ns
	for ns in "$NS_SRV" $(for i in $(seq "$NCLI"); do ns_of "c$i"; done); do
		ip -n "$ns" link add lt0 type ltun || return 1
		ip -n "$ns" link set lt0 up || return 1
		ip netns exec "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0 || return 1
	done
	ip -n "$NS_SRV" addr add "$SRV4/24" dev lt0 &&
		ip -n "$NS_SRV" addr add "$SRV6/64" dev lt0 nodad &&
		ip netns exec "$NS_SRV" sysctl -qw net.ipv4.ip_forward=0 &&
		ip netns exec "$NS_SRV" sysctl -qw net.ipv6.conf.all.forwarding=0
}

# Client certificates with CN c1..c4 and "blocked" (refused by the hook).
gen_client_certs() {
	local n
	(
		set -e
		cd "$CERTS"
		for n in c1 c2 c3 c4 blocked; do
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
				-nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$n" -config ext.cnf
			openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key \
				-set_serial "0x$(openssl rand -hex 8)" -days 2 \
				-out "$n.pem" -extfile ext.cnf -extensions cli
		done
	) >"$LTUN_TMP/openssl-hub.log" 2>&1 || { dump_file "$LTUN_TMP/openssl-hub.log"; return 1; }
}

start_hub() {
	cat >"$LTUN_TMP/policy" <<-EOF
	# c1 routes the LAN behind it
	c1 prefix $SUBNET.0/24
	*
	EOF
	cat >"$LTUN_TMP/hook.sh" <<-'EOF'
	echo "hook: identity=$LTUN_IDENTITY remote=$LTUN_REMOTE addresses=$LTUN_ADDRESSES prefixes=$LTUN_PREFIXES renew=$LTUN_RENEW dev=$LTUN_DEVICE" >&2
	[ "$LTUN_IDENTITY" != blocked ]
	EOF
	bg_run SRV_PID ip netns exec "$NS_SRV" "$LTUNCTL" server lt0 listen "$SRV_UL:$LT_PORT" \
		cert "$CERTS/srv.pem" key "$CERTS/srv.key" ca "$CERTS/ca.pem" \
		pool 10.77.0.0/24 pool6 fd77::/64 policy "$LTUN_TMP/policy" \
		auth-hook "sh $LTUN_TMP/hook.sh" push-route "$SUBNET.0/24" \
		>>"$LTUN_TMP/server.log" 2>&1
	wait_for 10 port_listening "$NS_SRV" "$LT_PORT"
}

# join N [ARGS...]: ltunctl peer add in client N with certificate cN (or
# CERT=name); output in $LTUN_TMP/join-N.{out,err}, status in JOIN_RC.
join() {
	local i=$1 cert=${CERT:-c$1}
	shift
	lt_timeout 40 ip netns exec "$(ns_of "c$i")" "$LTUNCTL" peer add lt0 \
		server "$SRV_UL:$LT_PORT" ca "$CERTS/ca.pem" \
		cert "$CERTS/$cert.pem" key "$CERTS/$cert.key" "$@" \
		>"$LTUN_TMP/join-$i.out" 2>"$LTUN_TMP/join-$i.err"
	JOIN_RC=$?
	log "join c$i ($cert): exit $JOIN_RC: $(head -c 300 "$LTUN_TMP/join-$i.err")"
	return $JOIN_RC
}

# addr_of N 4|6: client N's tunnel address
addr_of() {
	ip -n "$(ns_of "c$1")" -"$2" -o addr show dev lt0 scope global |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

n_srv_peers() {
	ip netns exec "$NS_SRV" "$LTUNCTL" -j peer show lt0 | grep -o '"id":' | wc -l
}

srv_peers_are() { [ "$(n_srv_peers)" -eq "$1" ]; }

# ping_from NS ADDR [extra ping args]
ping_from() {
	local ns=$1 a=$2
	shift 2
	ip netns exec "$ns" ping -c 2 -i 0.2 -W 2 -q "$@" "$a" >"$LTUN_TMP/ping.log" 2>&1 ||
		{ dump_file "$LTUN_TMP/ping.log"; return 1; }
}

ping_fails() {
	local ns=$1 a=$2
	shift 2
	! ip netns exec "$ns" ping -c 2 -i 0.2 -W 1 -q "$@" "$a" >/dev/null 2>&1
}

# dev_stat KEY: the server lt0's device counter KEY (JSON)
dev_stat() {
	local v
	v=$(ip netns exec "$NS_SRV" "$LTUNCTL" -j dev show lt0 |
		grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$' | head -n 1)
	echo "${v:--1}"	# absent (older module): -1, so "rose" checks fail
}

# broadcast_responders N: distinct sources other than client N itself (its
# own stack answers its broadcast too) answering ping -b to the tunnel
# subnet's broadcast address from client N; the list goes to the log.
broadcast_responders() {
	local self
	self=$(addr_of "$1" 4)
	ip netns exec "$(ns_of "c$1")" ping -b -c 3 -i 0.3 -W 2 10.77.0.255 2>/dev/null |
		grep -o 'from [0-9.]*' | sort -u | grep -vxF "from $self" >"$LTUN_TMP/bcast.log"
	log "broadcast from c$1 ($self) answered $(tr '\n' ' ' <"$LTUN_TMP/bcast.log")" >&2
	grep -c . "$LTUN_TMP/bcast.log"
}

all_pairs_ping() {
	local fam=$1 i j a rc=0
	for i in 1 2 3; do
		a=$(addr_of "$i" "$fam")
		ping_from "$NS_SRV" "$a" || { log "server -> c$i ($a) failed"; rc=1; }
		ping_from "$(ns_of "c$i")" "$([ "$fam" = 4 ] && echo $SRV4 || echo $SRV6)" ||
			{ log "c$i -> server failed"; rc=1; }
		for j in 1 2 3; do
			[ "$i" = "$j" ] && continue
			a=$(addr_of "$j" "$fam")
			ping_from "$(ns_of "c$i")" "$a" || { log "c$i -> c$j ($a) failed"; rc=1; }
		done
	done
	return $rc
}

clients_ping() {
	ping_from "$(ns_of c1)" "$(addr_of 2 4)" && ping_from "$(ns_of c2)" "$(addr_of 3 6)"
}

log "setting up a server and $NCLI client namespaces on a bridge"
check "star underlay" setup_star
check "lt0 in every namespace, forwarding off on the server" setup_devices
check "certificates" gen_certs && check "client certificates c1..c4, blocked" gen_client_certs
[ "$LT_FAILS" -eq 0 ] || lt_finish
check "server with pools, policy, auth-hook and push-route listening" start_hub ||
	{ dump_file "$LTUN_TMP/server.log"; lt_finish; }

ip -n "$(ns_of c1)" link add lan0 type dummy
ip -n "$(ns_of c1)" addr add "$SUBNET.1/24" dev lan0
ip -n "$(ns_of c1)" link set lan0 up

check "c1 joins, announcing $SUBNET.0/24" join 1 prefix "$SUBNET.0/24"
check "c2 joins" join 2
check "c3 joins" join 3
check "server has 3 peers" wait_for 5 srv_peers_are 3 ||
	{ dump_file "$LTUN_TMP/server.log"; lt_finish; }
for i in 1 2 3; do log "c$i: $(addr_of "$i" 4) $(addr_of "$i" 6)"; done

# c. the pool
distinct() {
	local fam=$1 list
	list=$(for i in 1 2 3; do addr_of "$i" "$fam"; done)
	[ "$(printf '%s\n' "$list" | grep -c .)" -eq 3 ] &&
		[ "$(printf '%s\n' "$list" | sort -u | wc -l)" -eq 3 ] &&
		! printf '%s\n' "$list" | grep -qxF -e "$SRV4" -e "$SRV6" -e 10.77.0.0 -e 10.77.0.255
}
check "c. pool: three distinct IPv4 addresses in 10.77.0.0/24" distinct 4
check "c. pool: three distinct IPv6 addresses in fd77::/64" distinct 6
check "c. server log names each identity" \
	grep -q "client .* (c1), address 10.77.0" "$LTUN_TMP/server.log"

# a. every pair, both families
check "a. every pair pings over IPv4 (server forwarding off)" all_pairs_ping 4
check "a. every pair pings over IPv6 (server forwarding off)" all_pairs_ping 6
check "a. client-to-client went through the module (forwarded counter)" \
	[ "$(dev_stat forwarded)" -gt 0 ]

# f. the subnet behind c1, from c2 (its route was pushed by the server)
has_route() { ip -n "$1" route show "$2" dev lt0 | grep -q .; }
check "f. c2 has the pushed route $SUBNET.0/24 on lt0" has_route "$(ns_of c2)" "$SUBNET.0/24"
check "f. server routes $SUBNET.0/24 to lt0" has_route "$NS_SRV" "$SUBNET.0/24"
check "f. c2 reaches $SUBNET.1 behind c1" ping_from "$(ns_of c2)" "$SUBNET.1"

# e. a spoofed inner source from c1
spoofed0=$(dev_stat rx_spoofed)
ip -n "$(ns_of c1)" addr add 10.77.0.200/32 dev lt0
check "e. ping from a spoofed source fails" ping_fails "$(ns_of c1)" "$SRV4" -I 10.77.0.200
check "e. server's rx_spoofed rose" [ "$(dev_stat rx_spoofed)" -gt "${spoofed0:-0}" ]
ip -n "$(ns_of c1)" addr del 10.77.0.200/32 dev lt0

# g. broadcast, then b. isolation
n=$(broadcast_responders 1)
check "g. broadcast from c1 answered by the server and both other clients ($n)" \
	[ "$n" -eq 3 ]

iso0=$(dev_stat isolated)
check "b. dev set lt0 isolate on" ip netns exec "$NS_SRV" "$LTUNCTL" dev set lt0 isolate on
isolate_shown() {
	ip netns exec "$NS_SRV" "$LTUNCTL" -j dev show lt0 | grep -q '"isolate": *true'
}
check "b. dev show reports isolate on" isolate_shown
check "b. isolated: c1 -> c2 fails" ping_fails "$(ns_of c1)" "$(addr_of 2 4)"
check "b. isolated: c2 -> c3 over IPv6 fails" ping_fails "$(ns_of c2)" "$(addr_of 3 6)"
check "b. isolated: c1 -> server works" ping_from "$(ns_of c1)" "$SRV4"
check "b. isolated: server -> c3 works" ping_from "$NS_SRV" "$(addr_of 3 6)"
check "b. isolated counter rose" [ "$(dev_stat isolated)" -gt "${iso0:-0}" ]
n=$(broadcast_responders 1)
check "g. isolated: broadcast answered by the server only ($n)" [ "$n" -eq 1 ] &&
	check "g. isolated: and that one is the server" grep -qxF "from $SRV4" "$LTUN_TMP/bcast.log"
check "b. dev set lt0 isolate off" ip netns exec "$NS_SRV" "$LTUNCTL" dev set lt0 isolate off
check "b. not isolated: client-to-client works again" clients_ping

# c. stickiness: c2 leaves, forgets its addresses, comes back
old4=$(addr_of 2 4)
old6=$(addr_of 2 6)
cid=$(ip netns exec "$(ns_of c2)" "$LTUNCTL" -j peer show lt0 | grep -o '"id": *[0-9]*' |
	grep -o '[0-9]*$' | head -n 1)
ip netns exec "$(ns_of c2)" "$LTUNCTL" peer del lt0 "$cid"
ip -n "$(ns_of c2)" addr flush dev lt0 scope global
check "c. c2 gone from the server" wait_for 5 srv_peers_are 2
check "c. c2 joins again" join 2
same_addrs() { [ "$(addr_of 2 4)" = "$old4" ] && [ "$(addr_of 2 6)" = "$old6" ]; }
check "c. c2 got the same addresses back ($old4, $old6)" same_addrs

# c. a requested address that is taken; h. the auth hook
taken=$(addr_of 1 4)
join 4 address "$taken/24"
check "c. c4 asking for c1's $taken is refused" [ "$JOIN_RC" -ne 0 ]
check "c. the reason names the address" \
	grep -q "address $taken in use by another client" "$LTUN_TMP/join-4.err"
check "c. no peer was created for c4" srv_peers_are 3
CERT=blocked join 4
check "h. the auth hook refuses identity 'blocked'" [ "$JOIN_RC" -ne 0 ]
check "h. the reason names the auth-hook" grep -q "auth-hook" "$LTUN_TMP/join-4.err"
check "h. the hook saw the request" grep -q "hook: identity=blocked .*addresses=10.77.0" \
	"$LTUN_TMP/server.log"

# d. max-peers
check "d. dev set lt0 max-peers 3" ip netns exec "$NS_SRV" "$LTUNCTL" dev set lt0 max-peers 3
ip -n "$(ns_of c4)" addr flush dev lt0 scope global
join 4
check "d. a fourth client is refused" [ "$JOIN_RC" -ne 0 ]
check "d. it is told the server is full" grep -q "server is full (max-peers 3)" \
	"$LTUN_TMP/join-4.err"
check "d. still 3 peers" srv_peers_are 3
check "d. the others keep working" clients_ping

# i. peer set: a live peer's prefixes change, its connection stays
# srv_peer_with ADDR: id of the server peer whose allowed ips hold ADDR/
srv_peer_with() {
	ip netns exec "$NS_SRV" "$LTUNCTL" -j peer show lt0 | tr -d ' \n' |
		sed 's/},{/}\n{/g' | grep "\"$1/" | grep -o '"id":[0-9]*' | grep -o '[0-9]*$'
}
c3v4=$(addr_of 3 4) c3v6=$(addr_of 3 6)
pid3=$(srv_peer_with "$c3v4")
log "c3 ($c3v4, $c3v6) is server peer ${pid3:-?}"
peer_set() { ip netns exec "$NS_SRV" "$LTUNCTL" peer set lt0 "$pid3" "$@"; }
check "i. peer set: c3 loses its IPv6 address, gains 192.168.79.0/24" \
	peer_set allowed-ips "$c3v4/32,192.168.79.0/24" keepalive 4000
check "i. peer show lists the new prefix on the same peer" \
	[ "$(srv_peer_with 192.168.79.0)" = "$pid3" ]
check "i. c3 -> server over IPv4 still works (same connection)" ping_from "$(ns_of c3)" "$SRV4"
check "i. c3 -> server over IPv6 now fails (source no longer c3's)" \
	ping_fails "$(ns_of c3)" "$SRV6"
check "i. a prefix of another peer is refused" \
	eval "! peer_set allowed-ips $(addr_of 1 4)/32"
check "i. peer set back: IPv6 works again" \
	peer_set allowed-ips "$c3v4/32,$c3v6/128" && ping_from "$(ns_of c3)" "$SRV6"
check "i. still the same peer" [ "$(srv_peer_with "$c3v6")" = "$pid3" ]

check "server process still alive" kill -0 "$SRV_PID"
check "no kernel warnings" dmesg_clean
[ "$LT_FAILS" -eq 0 ] || dump_file "$LTUN_TMP/server.log" 80
lt_finish
