/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ltun: generic netlink API.
 *
 * Shared by the kernel module (kmod/) and every tool (userspace/, selftests/).
 * This header is append-only: never renumber or reuse a value, add new
 * commands and attributes before the __*_MAX sentinels.
 *
 * Conventions:
 *  - Every request names the device with LTUN_A_IFINDEX or LTUN_A_IFNAME,
 *    looked up in the network namespace of the requesting netlink socket.
 *  - Every command needs CAP_NET_ADMIN in the user namespace that owns that
 *    network namespace.
 *  - Refusals carry an extended-ack message (and the offending attribute
 *    where there is one).
 */
#ifndef _UAPI_LINUX_LTUN_H
#define _UAPI_LINUX_LTUN_H

#define LTUN_GENL_NAME		"ltun"
#define LTUN_GENL_VERSION	1
#define LTUN_MCGRP_PEERS	"peers"

/**
 * enum ltun_cmd - generic netlink commands
 * @LTUN_CMD_DEV_GET: device attributes and counters (do: one device, dump:
 *	every ltun device in the namespace)
 * @LTUN_CMD_DEV_SET: change device settings (%LTUN_A_MAX_PEERS,
 *	%LTUN_A_ISOLATE)
 * @LTUN_CMD_PEER_NEW: attach a connected TCP socket (%LTUN_PEER_A_SOCKET,
 *	an fd of the caller) as a new peer with its allowed inner prefixes;
 *	the reply carries the new peer's %LTUN_PEER_A_ID
 * @LTUN_CMD_PEER_DEL: remove the peer %LTUN_PEER_A_ID and close its socket
 * @LTUN_CMD_PEER_GET: peer attributes and statistics (do: by id, dump: all
 *	peers of the device). A dump ends with EMSGSIZE in one case: a peer's
 *	%LTUN_PEER_A_ALLOWED_IPS grew (or a big peer came) while it ran, past
 *	the message size the dump chose at its start; dump again.
 * @LTUN_CMD_PEER_DEL_NTF: multicast on %LTUN_MCGRP_PEERS when a peer is
 *	removed, with %LTUN_PEER_A_ID and %LTUN_PEER_A_DEL_REASON
 * @LTUN_CMD_PEER_SET: change a live peer without dropping it: replace its
 *	%LTUN_PEER_A_ALLOWED_IPS (the whole list), its keepalive
 *	(%LTUN_PEER_A_KEEPALIVE_MS, %LTUN_PEER_A_TIMEOUT_MS), its
 *	%LTUN_PEER_A_NAME, or renew it: %LTUN_PEER_A_SOCKET hands over a new
 *	connection to the same far end, which takes over sending at once while
 *	the old one is read until the far end closes it (make-before-break)
 * @LTUN_CMD_PEER_NEW_NTF: multicast when a peer is attached (attributes as
 *	in a PEER_GET reply)
 * @LTUN_CMD_PEER_SET_NTF: multicast when PEER_SET changed a peer; carries
 *	%LTUN_PEER_A_CHANGES
 */
enum ltun_cmd {
	LTUN_CMD_UNSPEC,
	LTUN_CMD_DEV_GET,
	LTUN_CMD_DEV_SET,
	LTUN_CMD_PEER_NEW,
	LTUN_CMD_PEER_DEL,
	LTUN_CMD_PEER_GET,
	LTUN_CMD_PEER_DEL_NTF,
	LTUN_CMD_PEER_SET,
	LTUN_CMD_PEER_NEW_NTF,
	LTUN_CMD_PEER_SET_NTF,

	__LTUN_CMD_MAX
};

#define LTUN_CMD_MAX (__LTUN_CMD_MAX - 1)

/**
 * enum ltun_a - top-level attributes
 * @LTUN_A_IFINDEX: u32, device index
 * @LTUN_A_IFNAME: string, device name (requests may use it instead of the
 *	index; replies carry both)
 * @LTUN_A_PEER: nest of &enum ltun_peer_a
 * @LTUN_A_MAX_PEERS: u32, most peers the device accepts (1..65535)
 * @LTUN_A_N_PEERS: u32, peers attached now (read only)
 * @LTUN_A_STATS: nest of &enum ltun_stats_a, device-wide counters (read only)
 * @LTUN_A_ISOLATE: u8, 0 or 1 (default 0). When 1, packets from one peer to
 *	another (unicast forwarded inside the module, or broadcast/multicast
 *	copies) are dropped and counted in %LTUN_STATS_A_ISOLATED; traffic
 *	between a peer and this host is unaffected
 */
enum ltun_a {
	LTUN_A_UNSPEC,
	LTUN_A_IFINDEX,
	LTUN_A_IFNAME,
	LTUN_A_PEER,
	LTUN_A_MAX_PEERS,
	LTUN_A_N_PEERS,
	LTUN_A_STATS,
	LTUN_A_ISOLATE,

	__LTUN_A_MAX
};

#define LTUN_A_MAX (__LTUN_A_MAX - 1)

/**
 * enum ltun_peer_a - attributes inside %LTUN_A_PEER
 * @LTUN_PEER_A_ID: u32, peer id, unique per device, assigned by the kernel
 * @LTUN_PEER_A_SOCKET: u32, file descriptor of a connected TCP socket
 *	(write only, PEER_NEW); the kernel keeps its own reference, the caller
 *	should close its descriptor afterwards
 * @LTUN_PEER_A_ALLOWED_IPS: nest of %LTUN_AIP_A_ITEM nests (&enum ltun_aip_a):
 *	inner prefixes routed to this peer and accepted as inner source from it
 * @LTUN_PEER_A_FLAGS: u32, &enum ltun_peer_flags
 * @LTUN_PEER_A_REMOTE: binary, struct sockaddr_in or sockaddr_in6 of the
 *	transport peer (read only)
 * @LTUN_PEER_A_LOCAL: binary, local transport address, as above (read only)
 * @LTUN_PEER_A_DEL_REASON: u32, &enum ltun_del_reason (notifications)
 * @LTUN_PEER_A_STATS: nest of &enum ltun_stats_a (read only)
 * @LTUN_PEER_A_UPTIME_MS: u64, milliseconds since the peer was attached
 * @LTUN_PEER_A_TLS_CIPHER: u16, TLS_CIPHER_* of <linux/tls.h> in use by
 *	kTLS; absent on a plaintext peer (read only)
 * @LTUN_PEER_A_TLS_VERSION: u16, TLS_1_3_VERSION etc. (read only)
 * @LTUN_PEER_A_PAD: padding for 64-bit attributes
 * @LTUN_PEER_A_NAME: string (at most %LTUN_PEER_NAME_MAX bytes with the
 *	NUL), a label chosen by userspace, e.g. the identity of the client's
 *	certificate; the kernel only stores and reports it
 * @LTUN_PEER_A_KEEPALIVE_MS: u32, send a keepalive frame when nothing was
 *	sent for this long; 0 turns keepalives off. Default
 *	%LTUN_KEEPALIVE_DEFAULT_MS, otherwise %LTUN_KEEPALIVE_MIN_MS ..
 *	%LTUN_KEEPALIVE_MAX_MS
 * @LTUN_PEER_A_TIMEOUT_MS: u32, remove the peer (reason
 *	%LTUN_DEL_REASON_TIMEOUT) when nothing was received for this long; 0
 *	never. Default %LTUN_TIMEOUT_DEFAULT_MS; when both are set it must be
 *	more than the keepalive interval
 * @LTUN_PEER_A_CHANGES: u32, &enum ltun_peer_changes (PEER_SET_NTF)
 * @LTUN_PEER_A_RECORDS: u64, upper bound of the TLS records carried by the
 *	current connection in the busier direction (read only); userspace
 *	renews the connection before it reaches %LTUN_RECORDS_RENEW
 * @LTUN_PEER_A_RENEWALS: u32, connections handed over by PEER_SET so far
 *	(read only)
 * @LTUN_PEER_A_CONN_MS: u64, milliseconds since the current connection was
 *	attached (read only)
 */
enum ltun_peer_a {
	LTUN_PEER_A_UNSPEC,
	LTUN_PEER_A_ID,
	LTUN_PEER_A_SOCKET,
	LTUN_PEER_A_ALLOWED_IPS,
	LTUN_PEER_A_FLAGS,
	LTUN_PEER_A_REMOTE,
	LTUN_PEER_A_LOCAL,
	LTUN_PEER_A_DEL_REASON,
	LTUN_PEER_A_STATS,
	LTUN_PEER_A_UPTIME_MS,
	LTUN_PEER_A_TLS_CIPHER,
	LTUN_PEER_A_TLS_VERSION,
	LTUN_PEER_A_PAD,
	LTUN_PEER_A_NAME,
	LTUN_PEER_A_KEEPALIVE_MS,
	LTUN_PEER_A_TIMEOUT_MS,
	LTUN_PEER_A_CHANGES,
	LTUN_PEER_A_RECORDS,
	LTUN_PEER_A_RENEWALS,
	LTUN_PEER_A_CONN_MS,

	__LTUN_PEER_A_MAX
};

#define LTUN_PEER_A_MAX (__LTUN_PEER_A_MAX - 1)

/**
 * enum ltun_peer_flags - values of %LTUN_PEER_A_FLAGS
 * @LTUN_PEER_F_PLAINTEXT: accept a TCP socket without kTLS. Traffic then
 *	crosses the underlay unencrypted: for tests and benchmarks only.
 * @LTUN_PEER_F_GSO: the far end accepts %LTUN_WIRE_F_GSO frames (TCP
 *	super-packets of up to 64 KiB). The only flag PEER_SET may change (a
 *	renewal re-negotiates it).
 */
enum ltun_peer_flags {
	LTUN_PEER_F_PLAINTEXT = 1U << 0,
	LTUN_PEER_F_GSO = 1U << 1,
};

#define LTUN_PEER_F_ALL (LTUN_PEER_F_PLAINTEXT | LTUN_PEER_F_GSO)

#define LTUN_PEER_NAME_MAX		256
#define LTUN_KEEPALIVE_DEFAULT_MS	10000
#define LTUN_KEEPALIVE_MIN_MS		100
#define LTUN_KEEPALIVE_MAX_MS		3600000
#define LTUN_TIMEOUT_DEFAULT_MS		35000

/*
 * TLS 1.3 AES-GCM keys must not protect more than 2^24.5 full-size records
 * (RFC 8446, section 5.5). Userspace renews a connection once
 * %LTUN_PEER_A_RECORDS passes %LTUN_RECORDS_RENEW; a connection that
 * reaches %LTUN_RECORDS_LIMIT all the same is closed by the kernel
 * (%LTUN_DEL_REASON_EXPIRED) rather than let the keys wear out.
 */
#define LTUN_RECORDS_RENEW		0x800000U	/* 2^23 */
#define LTUN_RECORDS_LIMIT		0x1000000U	/* 2^24 */

/**
 * enum ltun_peer_changes - bits of %LTUN_PEER_A_CHANGES
 * @LTUN_PEER_CHANGE_SOCKET: the connection was renewed
 * @LTUN_PEER_CHANGE_ALLOWED_IPS: the allowed prefixes were replaced
 * @LTUN_PEER_CHANGE_KEEPALIVE: keepalive interval or timeout changed
 * @LTUN_PEER_CHANGE_NAME: the name changed
 * @LTUN_PEER_CHANGE_FLAGS: the flags changed (%LTUN_PEER_F_GSO)
 */
enum ltun_peer_changes {
	LTUN_PEER_CHANGE_SOCKET		= 1U << 0,
	LTUN_PEER_CHANGE_ALLOWED_IPS	= 1U << 1,
	LTUN_PEER_CHANGE_KEEPALIVE	= 1U << 2,
	LTUN_PEER_CHANGE_NAME		= 1U << 3,
	LTUN_PEER_CHANGE_FLAGS		= 1U << 4,
};

/**
 * enum ltun_aip_a - one allowed inner prefix
 * @LTUN_AIP_A_ITEM: nest type of each entry in %LTUN_PEER_A_ALLOWED_IPS
 * @LTUN_AIP_A_FAMILY: u16, AF_INET or AF_INET6
 * @LTUN_AIP_A_ADDR: binary, 4 or 16 bytes in network order; host bits
 *	beyond the prefix length must be zero
 * @LTUN_AIP_A_PREFIXLEN: u8, 0..32 or 0..128
 */
enum ltun_aip_a {
	LTUN_AIP_A_UNSPEC,
	LTUN_AIP_A_ITEM,
	LTUN_AIP_A_FAMILY,
	LTUN_AIP_A_ADDR,
	LTUN_AIP_A_PREFIXLEN,

	__LTUN_AIP_A_MAX
};

#define LTUN_AIP_A_MAX (__LTUN_AIP_A_MAX - 1)

/**
 * enum ltun_stats_a - counters (all u64)
 * @LTUN_STATS_A_RX_BYTES: inner bytes received and delivered
 * @LTUN_STATS_A_RX_PACKETS: inner packets received and delivered
 * @LTUN_STATS_A_TX_BYTES: inner bytes handed to the socket
 * @LTUN_STATS_A_TX_PACKETS: inner packets handed to the socket
 * @LTUN_STATS_A_RX_DROPS: received packets dropped, every reason
 * @LTUN_STATS_A_TX_DROPS: packets to send dropped, every reason
 * @LTUN_STATS_A_RX_INVALID: malformed frames or inner packets
 * @LTUN_STATS_A_RX_SPOOFED: inner source not allowed for the sending peer
 * @LTUN_STATS_A_TX_QUEUE_FULL: dropped because the peer's queue was full
 * @LTUN_STATS_A_TX_NO_PEER: no peer's allowed prefixes cover the
 *	destination (device counter)
 * @LTUN_STATS_A_RX_KEEPALIVES: keepalive frames received
 * @LTUN_STATS_A_PAD: padding
 * @LTUN_STATS_A_FORWARDED: packets received from one peer and sent on to
 *	another inside the module (counted on the receiving peer)
 * @LTUN_STATS_A_ISOLATED: peer-to-peer packets dropped because the device
 *	isolates its peers (counted on the receiving peer)
 * @LTUN_STATS_A_TX_KEEPALIVES: keepalive frames sent
 * @LTUN_STATS_A_RX_TOO_BIG: received inner packets longer than the
 *	device MTU, dropped (also counted in %LTUN_STATS_A_RX_DROPS): a peer
 *	must not send what the tunnel would not carry the other way
 * @LTUN_STATS_A_PROTO_ERRORS: connections ended because the far end broke
 *	the protocol (%LTUN_DEL_REASON_PROTOCOL): a stream that cannot be
 *	framed, a TLS record other than application data, a fatal TLS alert.
 *	The device counter outlives the peers it counts
 */
enum ltun_stats_a {
	LTUN_STATS_A_UNSPEC,
	LTUN_STATS_A_RX_BYTES,
	LTUN_STATS_A_RX_PACKETS,
	LTUN_STATS_A_TX_BYTES,
	LTUN_STATS_A_TX_PACKETS,
	LTUN_STATS_A_RX_DROPS,
	LTUN_STATS_A_TX_DROPS,
	LTUN_STATS_A_RX_INVALID,
	LTUN_STATS_A_RX_SPOOFED,
	LTUN_STATS_A_TX_QUEUE_FULL,
	LTUN_STATS_A_TX_NO_PEER,
	LTUN_STATS_A_RX_KEEPALIVES,
	LTUN_STATS_A_PAD,
	LTUN_STATS_A_FORWARDED,
	LTUN_STATS_A_ISOLATED,
	LTUN_STATS_A_TX_KEEPALIVES,
	LTUN_STATS_A_RX_TOO_BIG,
	LTUN_STATS_A_PROTO_ERRORS,

	__LTUN_STATS_A_MAX
};

#define LTUN_STATS_A_MAX (__LTUN_STATS_A_MAX - 1)

/**
 * enum ltun_del_reason - why a peer was removed (%LTUN_PEER_A_DEL_REASON)
 * @LTUN_DEL_REASON_PEER_CLOSED: the far side closed the connection
 *	(TCP FIN, or a TLS close_notify alert)
 * @LTUN_DEL_REASON_ERROR: transport error (reset, a socket error, a
 *	record that fails decryption); before %LTUN_DEL_REASON_PROTOCOL
 *	existed, also protocol violations
 * @LTUN_DEL_REASON_TIMEOUT: nothing received within the keepalive timeout
 * @LTUN_DEL_REASON_ADMIN: removed by %LTUN_CMD_PEER_DEL
 * @LTUN_DEL_REASON_DEVICE_GONE: the device was deleted (also its netns or
 *	the module)
 * @LTUN_DEL_REASON_EXPIRED: the connection reached %LTUN_RECORDS_LIMIT
 *	without being renewed
 * @LTUN_DEL_REASON_PROTOCOL: the far end broke the protocol after a correct
 *	TLS handshake: a frame header that cannot be valid (length over
 *	%LTUN_WIRE_MAX_DATA, reserved bits or flags set), a TLS record that is
 *	not application data (a KeyUpdate or other post-handshake message,
 *	which the supported kernels cannot process), or a fatal TLS alert.
 *	Tells a hostile or broken peer from a network failure; counted in
 *	%LTUN_STATS_A_PROTO_ERRORS
 */
enum ltun_del_reason {
	LTUN_DEL_REASON_UNSPEC,
	LTUN_DEL_REASON_PEER_CLOSED,
	LTUN_DEL_REASON_ERROR,
	LTUN_DEL_REASON_TIMEOUT,
	LTUN_DEL_REASON_ADMIN,
	LTUN_DEL_REASON_DEVICE_GONE,
	LTUN_DEL_REASON_EXPIRED,
	LTUN_DEL_REASON_PROTOCOL,

	__LTUN_DEL_REASON_MAX
};

#define LTUN_DEL_REASON_MAX (__LTUN_DEL_REASON_MAX - 1)

#endif /* _UAPI_LINUX_LTUN_H */
