#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: turn the samples guest.sh wrote into the benchmark table.

    report.py RAW.jsonl [--host K=V]... [--json-out FILE] [--json]
              [--markdown]

Prints the table (text, or Markdown with --markdown) on stdout, or the
JSON document with --json (the table then goes to stderr). --json-out
also writes the JSON to FILE. --host K=V adds facts known only to the
host (its CPU, the accelerator, the commit, QEMU processes running...).

Statistics: for each row, the median of its repetitions and the spread
(min..max). Ratios are ratios of medians. The acceptance targets of
issue 5 are evaluated for information only: nothing here exits non-zero
because of a number.
"""
import argparse
import json
import statistics
import sys

CIPHERS = [("aes128gcm", "AES-128-GCM"), ("aes256gcm", "AES-256-GCM"),
           ("chacha20", "ChaCha20-Poly1305")]

# (id, label) for the TCP throughput table, in display order.
TCP_ROWS = [("veth-tcp1", "1 veth, no tunnel, iperf3, 1 stream"),
            ("veth-tcp4", "1 veth, no tunnel, iperf3, 4 streams")]
for c, name in CIPHERS:
    TCP_ROWS += [(f"ktls-{c}-1", f"2 bare kTLS {name}, 1 stream"),
                 (f"ktls-{c}-4", f"2 bare kTLS {name}, 4 streams")]
TCP_ROWS += [("wg-tcp1", "3 WireGuard, iperf3, 1 stream"),
             ("wg-tcp4", "3 WireGuard, iperf3, 4 streams")]
for c, name in CIPHERS:
    TCP_ROWS += [(f"ltun-{c}-tcp1", f"4 ltun {name}, 1 stream"),
                 (f"ltun-{c}-tcp4", f"4 ltun {name}, 4 streams")]
TCP_ROWS += [("ltun-aes128gcm-nogso-tcp1", "4 ltun AES-128-GCM, GSO off, 1 stream"),
             ("ltun-aes128gcm-nogso-tcp4", "4 ltun AES-128-GCM, GSO off, 4 streams"),
             ("ltun-aes128gcm-native-tcp4",
              "4 ltun AES-128-GCM, 4 streams, packets sized for a native RTT")]

UDP_ROWS = [("wg-udp", "3 WireGuard"), ("ltun-aes128gcm-udp", "4 ltun AES-128-GCM")]

LAT_ROWS = [("lat-veth-idle", "6 veth, idle"), ("lat-veth-load", "6 veth, under load"),
            ("lat-wg-idle", "6 WireGuard, idle"), ("lat-wg-load", "6 WireGuard, under load"),
            ("lat-ltun-idle", "6 ltun AES-128-GCM, idle"),
            ("lat-ltun-load", "6 ltun AES-128-GCM, under load")]


def load(path):
    meta, end, samples = {}, None, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by a killed VM
            if "meta" in rec:
                meta = rec["meta"]
            elif "end" in rec:
                end = rec["end"]
            elif "row" in rec:
                samples.setdefault(rec["row"], []).append(rec)
    return meta, end, samples


def stat(samples, key):
    vals = [s[key] for s in samples if isinstance(s.get(key), (int, float))]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "n": len(vals), "values": vals}


def row_summary(samples, keys):
    out = {}
    for k in keys:
        st = stat(samples, k)
        if st:
            out[k] = st
    notes = sorted({s[k] for s in samples for k in ("error", "na") if k in s})
    if notes:
        out["notes"] = notes
    return out


def fmt(v, nd=1):
    if v is None:
        return "-"
    if abs(v) >= 100 or nd == 0:
        return f"{v:.0f}"
    return f"{v:.{nd}f}"


def cell(st, nd=1):
    """'median [min..max]' or '-'."""
    if not st:
        return "-"
    if st["n"] == 1:
        return fmt(st["median"], nd)
    return f"{fmt(st['median'], nd)} [{fmt(st['min'], nd)}..{fmt(st['max'], nd)}]"


def med(rows, rid, key="mbps"):
    st = rows.get(rid, {}).get(key)
    return st["median"] if st else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def build(meta, end, samples, host):
    rows = {}
    for rid, label in TCP_ROWS:
        rows[rid] = {"label": label, "unit": "Mbit/s",
                     **row_summary(samples.get(rid, []),
                                   ["mbps", "dev_mbps", "cpu", "retr", "tx_drops",
                                    "pkt_bytes", "ret_per_mb"])}
    for rid, label in UDP_ROWS:
        rows[rid] = {"label": label, "unit": "Mbit/s received",
                     **row_summary(samples.get(rid, []), ["mbps", "loss", "jitter"])}
    for rid, label in LAT_ROWS:
        rows[rid] = {"label": label, "unit": "ms",
                     **row_summary(samples.get(rid, []), ["p50", "p99", "mean", "loss"])}
    hub_sizes = [int(x) for x in str(meta.get("hub_sizes", "")).split()]
    # the same hub rows with the inner TCP's packets sized as over a
    # tunnel with a native RTT (tcp_tso_rtt_log raised: bench/README row 5)
    hub_native = [int(x) for x in str(meta.get("hub_native_sizes", "")).split()]
    hub_rows = [(f"hub-{n}", f"5 hub, {n} clients", n) for n in hub_sizes]
    hub_rows += [(f"hub-{n}-native", f"5 hub, {n} clients, packets sized for a native RTT", n)
                 for n in hub_native]
    for rid, label, n in hub_rows:
        rows[rid] = {"label": label, "unit": "Mbit/s total", "clients": n,
                     **row_summary(samples.get(rid, []),
                                   ["dev_mbps", "cpu", "ping_mean", "ping_p99",
                                    "ping_loss", "pkt_bytes", "ret_per_mb",
                                    "min_rtt_us"])}
    for rid, label in (("mem-idle", "7 per idle peer"), ("mem-loaded", "7 per loaded peer")):
        rows[rid] = {"label": label, "unit": "kB",
                     **row_summary(samples.get(rid, []),
                                   ["kernel_kb_per_peer", "avail_kb_per_peer", "peers"])}
    ciphers = {}
    for c, _ in CIPHERS:
        for s in samples.get(f"ltun-cipher-{c}", []):
            ciphers[c] = {"negotiated": s.get("cipher"), "note": s.get("note", "")}
    for c, _ in CIPHERS:
        for sfx in ("tcp1", "tcp4"):
            for s in samples.get(f"ltun-{c}-{sfx}", []):
                if "na" in s:
                    rows[f"ltun-{c}-{sfx}"]["na"] = s["na"]
            if c in ciphers and ciphers[c]["note"]:
                rows[f"ltun-{c}-{sfx}"]["cipher_note"] = ciphers[c]["note"]

    ratios = {}
    for sfx, ksfx in (("tcp1", "1"), ("tcp4", "4")):
        ratios[f"ltun/wireguard {sfx}"] = ratio(med(rows, f"ltun-aes128gcm-{sfx}"),
                                               med(rows, f"wg-{sfx}"))
        ratios[f"ltun/veth {sfx}"] = ratio(med(rows, f"ltun-aes128gcm-{sfx}"),
                                          med(rows, f"veth-{sfx}"))
        for c, _ in CIPHERS:
            ratios[f"ltun/bare-ktls {c} {sfx}"] = ratio(med(rows, f"ltun-{c}-{sfx}"),
                                                       med(rows, f"ktls-{c}-{ksfx}"))
        ratios[f"ltun GSO on/off {sfx}"] = ratio(med(rows, f"ltun-aes128gcm-{sfx}"),
                                                med(rows, f"ltun-aes128gcm-nogso-{sfx}"))
    ratios["ltun/bare-ktls aes128gcm tcp4, packets sized for a native RTT"] = ratio(
        med(rows, "ltun-aes128gcm-native-tcp4"), med(rows, "ktls-aes128gcm-4"))
    ratios["wireguard/veth tcp1"] = ratio(med(rows, "wg-tcp1"), med(rows, "veth-tcp1"))
    ratios["bare-ktls/veth aes128gcm 1"] = ratio(med(rows, "ktls-aes128gcm-1"),
                                                 med(rows, "veth-tcp1"))
    ratios["ping p99 under load ltun/wireguard"] = ratio(med(rows, "lat-ltun-load", "p99"),
                                                         med(rows, "lat-wg-load", "p99"))
    ratios["ping p99 under load ltun/veth"] = ratio(med(rows, "lat-ltun-load", "p99"),
                                                    med(rows, "lat-veth-load", "p99"))

    single = [(med(rows, f"ltun-{c}-{s}", "dev_mbps"), f"ltun-{c}-{s}")
              for c, _ in CIPHERS for s in ("tcp1", "tcp4")]
    # the hub with one client is a single peer too, and the only one that
    # shares the hub rows' load generator (ktls_stream, not iperf3)
    single.append((med(rows, "hub-1", "dev_mbps"), "hub-1"))
    single = [x for x in single if x[0] is not None]
    best = max(single) if single else (None, None)
    # rows sized for a native RTT against the best single peer sized so
    # too, where that is better
    best_native = max((x for x in (best[0], med(rows, "ltun-aes128gcm-native-tcp4", "dev_mbps"))
                       if x is not None), default=None)
    for rid, label, n in hub_rows:
        if n > 1:
            ratios[f"{label[2:]} / best single peer"] = ratio(
                med(rows, rid, "dev_mbps"), best_native if rid.endswith("-native") else best[0])

    def target(name, value, op, limit, detail):
        met = None
        if value is not None:
            met = value >= limit if op == ">=" else value <= limit
        return {"target": name, "value": value, "op": op, "limit": limit,
                "met": met, "detail": detail}

    acc = [
        target("ltun AES-128-GCM 4 streams / WireGuard 4 streams",
               ratios["ltun/wireguard tcp4"], ">=", 1.5, "ltun-aes128gcm-tcp4 / wg-tcp4"),
        target("ltun AES-128-GCM 4 streams / bare kTLS AES-128-GCM stream",
               ratio(med(rows, "ltun-aes128gcm-tcp4"), med(rows, "ktls-aes128gcm-1")),
               ">=", 0.7, "ltun-aes128gcm-tcp4 / ktls-aes128gcm-1 (the issue's reference: one stream)"),
        target("ltun AES-128-GCM 4 streams / bare kTLS AES-128-GCM 4 streams (stricter)",
               ratios["ltun/bare-ktls aes128gcm tcp4"], ">=", 0.7,
               "ltun-aes128gcm-tcp4 / ktls-aes128gcm-4"),
    ]
    for n in (10, 20):
        acc.append(target(f"hub {n} clients total / best single peer",
                          ratio(med(rows, f"hub-{n}", "dev_mbps"), best[0]), ">=", 0.9,
                          f"hub-{n} / {best[1]} (IP bytes through the device)"))
    acc.append(target("ping p99 under load, ltun / WireGuard",
                      ratios["ping p99 under load ltun/wireguard"], "<=", 2.0,
                      "lat-ltun-load p99 / lat-wg-load p99"))

    machine = {
        "host_cpu": host.get("host_cpu"),
        "accel": host.get("accel"),
        "vcpus": meta.get("vcpus"),
        "guest_cpu": meta.get("guest_cpu"),
        "guest_mem_kb": meta.get("mem_kb"),
        "kernel": meta.get("kernel"),
        "qemu_running_at_start": host.get("qemu_start"),
        "qemu_running_at_end": host.get("qemu_end"),
        "qemu_running_max": host.get("qemu_max"),
    }
    run = {k: meta.get(k) for k in ("seconds", "repeat", "warm", "udp_rate",
                                    "ping_interval", "hub_sizes", "rows", "iperf3",
                                    "wireguard", "ltun_cipher_option", "started")}
    reps = [s.get("rep", 0) for v in samples.values() for s in v]
    run["completed_repetitions"] = max([r for r in reps if isinstance(r, int)] + [0])
    run.update({"ended": end, "commit": host.get("commit"), "date": host.get("date"),
                "wall_seconds": host.get("wall")})
    return {"machine": machine, "run": run, "ltun_ciphers": ciphers, "rows": rows,
            "ratios": ratios, "best_single_peer": {"row": best[1], "mbps": best[0]},
            "acceptance": acc}


def render(doc, md=False):
    out = []
    m, r, rows = doc["machine"], doc["run"], doc["rows"]

    def table(title, header, lines):
        if md:
            out.append(f"\n### {title}\n")
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "|".join(" --- " for _ in header) + "|")
            for ln in lines:
                out.append("| " + " | ".join(ln) + " |")
        else:
            out.append(f"\n{title}")
            widths = [max(len(str(x[i])) for x in [header] + lines) for i in range(len(header))]
            fmt_line = lambda ln: "  " + "  ".join(
                str(v).ljust(widths[i]) if i == 0 else str(v).rjust(widths[i])
                for i, v in enumerate(ln))
            out.append(fmt_line(header))
            for ln in lines:
                out.append(fmt_line(ln))

    head = (f"ltun benchmark: kernel {m['kernel']}, {m['accel'] or '?'}, "
            f"{m['vcpus']} vCPUs, host CPU {m['host_cpu'] or '?'}")
    sub = (f"commit {r['commit'] or '?'}, {r['date'] or r['started']}; "
           f"{r['seconds']} s per sample, {r['repeat']} repetitions"
           + ("" if r["completed_repetitions"] >= (r["repeat"] or 0) else
              f" planned, {r['completed_repetitions']} done (the run was cut short)")
           + ": median [min..max]; "
           f"QEMU processes on the host: {m['qemu_running_at_start']} at start, "
           f"{m['qemu_running_at_end']} at end, {m['qemu_running_max']} at most "
           "(1 = this VM alone)")
    out.append(("## " if md else "") + head)
    out.append(("\n" if md else "") + sub)

    lines = []
    for rid, label in TCP_ROWS:
        row = rows[rid]
        if "na" in row:
            lines.append([label, f"n/a ({row['na']})", "", "", "", "", "", ""])
            continue
        extra = ""
        if "cipher_note" in row:
            extra = f" ({row['cipher_note']})"
        elif "notes" in row and "mbps" not in row:
            extra = f" ({'; '.join(row['notes'])})"
        lines.append([label + extra, cell(row.get("mbps")), cell(row.get("dev_mbps")),
                      cell(row.get("cpu"), 0), cell(row.get("retr"), 0),
                      cell(row.get("tx_drops"), 0), cell(row.get("pkt_bytes"), 0),
                      cell(row.get("ret_per_mb"), 0)])
    table("Throughput in Mbit/s: payload (the receiver's count) and IP bytes received by "
          "the device (veth, wg0, lt*); iperf3's retransmitted segments and the sending "
          "device's transmit drops, where the row has them; the mean size of the packets "
          "the receiving device saw (super-packets count whole) and the packets it sent "
          "back per MB received (mostly ACKs)",
          ["row", "payload", "device", "CPU %", "retransmits", "tx drops", "packet B",
           "back per MB"], lines)

    lines = []
    for rid, label in UDP_ROWS:
        row = rows[rid]
        lines.append([label, r.get("udp_rate") or "", cell(row.get("mbps")),
                      cell(row.get("loss"), 2), cell(row.get("jitter"), 3)])
    table("Inner UDP at a fixed rate (iperf3 -u, 1300-byte datagrams)",
          ["row", "rate", "received Mbit/s", "loss %", "jitter ms"], lines)

    lines = []
    for rid in sorted((k for k in rows if k.startswith("hub-")),
                      key=lambda k: (k.endswith("-native"), rows[k]["clients"])):
        row = rows[rid]
        if "dev_mbps" not in row and "notes" in row:
            lines.append([f"{row['label']} (n/a: {'; '.join(row['notes'])})",
                          "-", "-", "-", "-", "-", "-", "-"])
            continue
        lines.append([row["label"], cell(row.get("dev_mbps")), cell(row.get("cpu"), 0),
                      cell(row.get("ping_mean"), 2), cell(row.get("ping_p99"), 2),
                      cell(row.get("pkt_bytes"), 0), cell(row.get("ret_per_mb"), 0),
                      cell(row.get("min_rtt_us"), 0)])
    table("Hub: N clients send to the server at once, one stream each (total: IP bytes "
          "received by the server's device; packet sizes, packets back and inner min RTT "
          "as above)",
          ["row", "total Mbit/s", "CPU %", "ping mean ms", "ping p99 ms", "packet B",
           "back per MB", "inner min RTT us"], lines)

    lines = []
    for rid, label in LAT_ROWS:
        row = rows[rid]
        lines.append([label, cell(row.get("p50"), 3), cell(row.get("p99"), 3),
                      cell(row.get("loss"), 2)])
    table(f"Latency: ping RTT, every {r.get('ping_interval')} s for {r['seconds']} s "
          "(load: one iperf3 bulk stream on the same path)",
          ["row", "p50 ms", "p99 ms", "loss %"], lines)

    lines = []
    for rid in ("mem-idle", "mem-loaded"):
        row = rows[rid]
        peers = row.get("peers")
        lines.append([row["label"] + (f" ({fmt(peers['median'], 0)} peers)" if peers else ""),
                      cell(row.get("kernel_kb_per_peer")), cell(row.get("avail_kb_per_peer"))])
    table("Memory per client connection (both ends, inner sockets included)",
          ["row", "Slab+KernelStack+PageTables+VmallocUsed kB", "MemAvailable drop kB"], lines)

    lines = []
    for k, v in doc["ratios"].items():
        lines.append([k, "-" if v is None else f"{v:.2f}"])
    table("Ratios of medians", ["ratio", "value"], lines)

    lines = []
    for a in doc["acceptance"]:
        val = "-" if a["value"] is None else f"{a['value']:.2f}"
        met = "n/a" if a["met"] is None else ("met" if a["met"] else "not met")
        lines.append([a["target"], f"{val} {a['op']} {a['limit']}", met])
    table("Acceptance targets of issue 5 (information, not an exit status)",
          ["target", "value", "result"], lines)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--host", action="append", default=[])
    ap.add_argument("--json-out")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    host = dict(kv.split("=", 1) for kv in a.host)
    meta, end, samples = load(a.raw)
    if not meta:
        print(f"report: no samples in {a.raw}", file=sys.stderr)
        return 1
    doc = build(meta, end, samples, host)
    text = render(doc, a.markdown)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if a.json:
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
        sys.stderr.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
