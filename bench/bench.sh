#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--json] KVER...: `make bench`. For each kernel, boot one VM
# (selftests/vm/run-vm.sh), run bench/guest.sh in it, then print the
# table (bench/report.py) and write bench/results-KVER.json.
#
# --json: print the JSON document on stdout instead of the table (the
# table and the VM's progress go to stderr).
# Environment: BENCH_SECONDS, BENCH_REPEAT, BENCH_WARM, BENCH_HUB,
# BENCH_HUB_NATIVE, BENCH_UDP_RATE, BENCH_PING_INTERVAL, BENCH_ROWS, BENCH_CIPHERS (see guest.sh),
# BENCH_MEMORY (guest RAM, default 2G).
#
# Expects the module built for each KVER, ltunctl, the selftests and
# bench/ktls_stream: the Makefile's bench target builds them first.
# Never fails because of a number: the exit status only says whether
# every VM ran the benchmark to its end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
out=$src/build/bench

json=0
if [ "${1:-}" = --json ]; then
	json=1
	shift
fi
[ $# -gt 0 ] || { echo "usage: $0 [--json] KVER..." >&2; exit 2; }

sec=${BENCH_SECONDS:-10}
rep=${BENCH_REPEAT:-3}
warm=${BENCH_WARM:-2}
hub=${BENCH_HUB:-1 5 10 20}
hub_native=${BENCH_HUB_NATIVE-10 20}
for v in "$sec" "$rep" "$warm"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SECONDS/REPEAT/WARM must be positive integers" >&2; exit 2; }
done
for v in $hub $hub_native; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_HUB and BENCH_HUB_NATIVE must list positive integers (client counts)" >&2; exit 2; }
done
genv=(env)
for v in BENCH_SECONDS BENCH_REPEAT BENCH_WARM BENCH_HUB BENCH_UDP_RATE \
	BENCH_PING_INTERVAL BENCH_ROWS BENCH_CIPHERS; do
	[ -z "${!v:-}" ] || genv+=("$v=${!v}")
done
# set but empty means "no such rows", not the default
[ -z "${BENCH_HUB_NATIVE+x}" ] || genv+=("BENCH_HUB_NATIVE=$BENCH_HUB_NATIVE")

# Rough wall time of one kernel's run: 27 windows per repetition (each
# WARM + SEC + ~3 s of starting and stopping), the hub sizes, ~2 s to
# connect each hub client (on an idle VM, before any sends), ~3 min of setup
# (certificates, 20 handshakes under TCG). Only for the VM's timeout and
# to tell the user.
nhub=$(wc -w <<<"$hub $hub_native")
hub_clients=0
for n in $hub $hub_native; do hub_clients=$((hub_clients + n)); done
est=$(((27 + nhub) * rep * (sec + warm + 4) + hub_clients * rep * 2 + 180))
vm_timeout=$((est * 3 + 600))

# QEMU processes on the host (ours included) while the VM runs, sampled
# every 5 s: numbers measured while other VMs share the CPUs are only
# comparable within this run, and readers should know.
qemu_count() { pgrep -c qemu-system || true; }
sampler=
stop_sampler() {
	[ -z "$sampler" ] || { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; }
	sampler=
}
trap stop_sampler EXIT

host_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit+="+dirty"
fi

mkdir -p "$out"
rc=0
for kver in "$@"; do
	[ -r "$src/build/$kver/kmod/ltun.ko" ] ||
		{ echo "bench: no build/$kver/kmod/ltun.ko (make module KVER=$kver)" >&2; rc=1; continue; }
	raw=$out/raw-$kver.jsonl
	# the same choice run-vm.sh makes for this kernel
	accel="QEMU TCG"
	if [ "${LTUN_VM_KVM:-auto}" != 0 ] && "$src/selftests/vm/kvm-works.sh" "/boot/vmlinuz-$kver"; then
		accel="QEMU KVM"
	fi
	log=$out/console-$kver.log
	rm -f -- "$raw"
	qlog=$out/qemu-count-$kver.txt
	: >"$qlog"
	(while sleep 5; do qemu_count >>"$qlog"; done) &
	sampler=$!
	t0=$(date +%s)
	echo "bench: $kver: $accel, ${sec}s per sample x $rep, about $((est / 60)) min (console: $log)" >&2
	q0=$(qemu_count)
	[ "$q0" = 0 ] || echo "bench: note: $q0 QEMU process(es) already running on this host" >&2
	vrc=0
	# stdin /dev/null: never interactive, and ^C stops QEMU.
	"$src/selftests/vm/run-vm.sh" --kver "$kver" --memory "${BENCH_MEMORY:-2G}" \
		--timeout "$vm_timeout" -- "${genv[@]}" bench/guest.sh "$raw" </dev/null 2>&1 |
		tee "$log" | grep --line-buffered -E '^(bench|#)' >&2 || vrc=${PIPESTATUS[0]}
	stop_sampler
	# the first and last samples taken while our VM ran (it counts itself)
	qs=$(head -n 1 "$qlog")
	q1=$(tail -n 1 "$qlog")
	qmax=$(sort -n "$qlog" | tail -n 1)
	wall=$(($(date +%s) - t0))
	if [ "$vrc" != 0 ] || ! grep -q '"end"' "$raw" 2>/dev/null; then
		echo "bench: $kver: the VM did not finish the benchmark (run-vm exit $vrc); partial results follow" >&2
		rc=1
	fi
	[ -s "$raw" ] || continue
	args=("$raw" --json-out "$here/results-$kver.json"
		--host "host_cpu=$host_cpu" --host "accel=$accel" --host "commit=$commit"
		--host "date=$(date -u '+%Y-%m-%d %H:%M UTC')" --host "qemu_start=${qs:-?}"
		--host "qemu_end=${q1:-?}" --host "qemu_max=${qmax:-?}" --host "wall=$wall")
	if [ "$json" = 1 ]; then
		"$here/report.py" "${args[@]}" --json
	else
		"$here/report.py" "${args[@]}"
	fi
	"$here/report.py" "${args[@]}" --markdown >"$out/results-$kver.md"
	echo "bench: $kver: done in $((wall / 60)) min $((wall % 60)) s; $here/results-$kver.json, $out/results-$kver.md" >&2
done
exit "$rc"
