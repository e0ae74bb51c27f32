#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Handshake flood for flood.sh: open many TCP connections to a TLS server
that never finish a handshake, and measure how the server gets rid of them.

Each connection either sends nothing or the first bytes of a ClientHello
(a record that promises more than ever comes) and then stalls. Connections
are opened at a fixed rate from the given source addresses in turn, then
the tool waits until the server has closed all of them or --linger seconds
after the last one were opened. The summary is one JSON object on stdout:

  opened      connections established
  failed      connects that failed or did not complete within 5 s
  reset_fast  closed by the server within 1 s of being established
  closed      closed by the server in all (reset, FIN or error)
  still_open  connections the server had not closed at the end
  max_close_s longest time from established to closed by the server
  slow_closes closes that took longer than --slow s
  handled     closes after 1 s or more (connections given a handshake)
  min/median/p95_handled_close_s  their close times
  peak_open   most connections open at once (client side)
"""
import argparse
import errno
import json
import os
import resource
import selectors
import socket
import sys
import time

# TLS record header (handshake, length 512) and the start of a ClientHello
# (type 1, length 508, legacy version, some random bytes): then nothing.
PARTIAL_HELLO = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + \
    os.urandom(24)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="IPv4 address of the server")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sources", required=True, help="comma-separated local addresses")
    ap.add_argument("--count", type=int, required=True, help="connections to open")
    ap.add_argument("--rate", type=float, required=True, help="connections per second")
    ap.add_argument("--partial-every", type=int, default=2,
                    help="every Nth connection sends a partial ClientHello (0: none)")
    ap.add_argument("--timeout", type=float, required=True,
                    help="the server's handshake timeout")
    ap.add_argument("--slow", type=float, help="a close later than this is slow "
                    "(default: --timeout + 3)")
    ap.add_argument("--linger", type=float, required=True,
                    help="seconds to wait for closes after the last connection is opened")
    ap.add_argument("--progress", help="file to rewrite each second with open/closed counts")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, a.count + 64) if hard != resource.RLIM_INFINITY else a.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    sources = a.sources.split(",")
    slow = a.slow if a.slow is not None else a.timeout + 3
    sel = selectors.DefaultSelector()
    conns = {}      # socket -> dict(state, t0, t_est)
    st = dict(opened=0, failed=0, reset_fast=0, closed=0, still_open=0, max_close_s=0.0,
              slow_closes=0, peak_open=0)
    close_times = []
    start = time.monotonic()
    n_started = 0
    last_open = start
    next_progress = start + 1

    def finish(s, closed_by_server):
        info = conns.pop(s)
        sel.unregister(s)
        s.close()
        if not closed_by_server:
            st["failed"] += 1
            return
        dt = time.monotonic() - info["t_est"]
        st["closed"] += 1
        close_times.append(dt)
        st["max_close_s"] = max(st["max_close_s"], dt)
        if dt < 1.0:
            st["reset_fast"] += 1
        if dt > slow:
            st["slow_closes"] += 1

    while True:
        now = time.monotonic()
        # open the next connections that are due
        while n_started < a.count and now >= start + n_started / a.rate:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.bind((sources[n_started % len(sources)], 0))
                err = s.connect_ex((a.server, a.port))
            except OSError as e:
                err = e.errno
            n_started += 1
            last_open = now
            if err not in (0, errno.EINPROGRESS):
                s.close()
                st["failed"] += 1
                continue
            conns[s] = dict(state="connecting", t0=now, t_est=None,
                            partial=a.partial_every and n_started % a.partial_every == 0)
            sel.register(s, selectors.EVENT_WRITE)
        open_now = sum(1 for c in conns.values() if c["state"] == "open")
        st["peak_open"] = max(st["peak_open"], open_now)
        if n_started >= a.count and (not conns or now > last_open + a.linger):
            break
        if a.progress and now >= next_progress:
            next_progress = now + 1
            with open(a.progress + ".tmp", "w") as f:
                f.write("t=%.0f started=%d open=%d closed=%d failed=%d\n" %
                        (now - start, n_started, open_now, st["closed"], st["failed"]))
            os.replace(a.progress + ".tmp", a.progress)
        # connects that never complete (SYN dropped) count as failed
        for s, c in list(conns.items()):
            if c["state"] == "connecting" and now - c["t0"] > 5:
                finish(s, False)
        wait = 0.2
        if n_started < a.count:
            wait = max(0.0, min(wait, start + n_started / a.rate - now))
        for key, _ in sel.select(wait):
            s = key.fileobj
            c = conns[s]
            if c["state"] == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                c["t_est"] = time.monotonic()
                if err in (errno.ECONNRESET, errno.EPIPE):
                    # established, then reset before we looked
                    st["opened"] += 1
                    finish(s, True)
                    continue
                if err:
                    finish(s, False)
                    continue
                c["state"] = "open"
                st["opened"] += 1
                if c["partial"]:
                    try:
                        s.send(PARTIAL_HELLO)
                    except OSError:
                        finish(s, True)
                        continue
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                finish(s, True)     # reset
                continue
            if not data:
                finish(s, True)     # FIN
    st["still_open"] = sum(1 for c in conns.values() if c["state"] == "open")
    for s in list(conns):
        s.close()
    close_times.sort()
    st["median_close_s"] = close_times[len(close_times) // 2] if close_times else 0.0
    handled = [t for t in close_times if t >= 1.0]
    st["handled"] = len(handled)
    st["min_handled_close_s"] = handled[0] if handled else 0.0
    st["median_handled_close_s"] = handled[len(handled) // 2] if handled else 0.0
    st["p95_handled_close_s"] = handled[len(handled) * 95 // 100] if handled else 0.0
    st["elapsed_s"] = time.monotonic() - start
    for k in ("max_close_s", "median_close_s", "min_handled_close_s",
              "median_handled_close_s", "p95_handled_close_s", "elapsed_s"):
        st[k] = round(st[k], 2)
    json.dump(st, sys.stdout)
    print()


if __name__ == "__main__":
    main()
