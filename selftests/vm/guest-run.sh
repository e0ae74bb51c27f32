#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-run.sh [--first N] [--results FILE] [--timeout S] [--only TEST]
#              [--timeout-scale K] KVER
#
# Runs inside the test VM (see check.sh): loads tls and ltun.ko, runs every
# test of selftests/tests.list and prints one TAP line per test, numbered
# from N, then a final "dmesg" result (module unloads, kernel log clean).
# Result lines are also appended to FILE so that the host can count them
# without parsing the console.  Exit status: 0 if every result passed.
# --only TEST runs just that test (while developing it), with its tests.list
# timeout, or --timeout if it is not listed yet:
#   selftests/vm/run-vm.sh --kver K -- selftests/vm/guest-run.sh --only hub.sh K
#
# --timeout-scale K (or env LTUN_TIMEOUT_SCALE=K) multiplies every per-test
# timeout: the debug kernel (check-debug.sh) is several times slower.
#
# tests.list: one test per line, a path relative to selftests/ of an
# executable, optionally followed by "timeout=SECONDS"; '#' starts a
# comment.  Exit status 0 = pass, 4 (KSFT_SKIP) = skip, anything else fails.
# A test during which any program dumped core fails too (cores_check).
#
# Each test runs with cwd selftests/, stdin /dev/null, in its own process
# group (killed afterwards, so stray background jobs cannot leak into the
# next test) and with exactly this environment:
#   LTUN_SRC  repository root          LTUN_KO  abs path of ltun.ko
#   LTUNCTL   abs path of ltunctl      KVER     running kernel release
#   LTUN_TMP  fresh empty dir on tmpfs, removed after the test
#   PATH HOME=/root TERM=dumb LANG=C.UTF-8
#   LTUN_TIMEOUT_SCALE  the --timeout-scale factor (1 unless given): shell
#             tests stretch their own waits by it (lib.sh's LT_SLOW)
#   LTUN_DEBUG_KERNEL=1  only on a debug kernel (lockdep, KASAN, kmemleak:
#             everything is several times slower; a test may do less work)
#
# On a debug kernel the run also fails if lockdep turned itself off (after a
# first splat it stays quiet), and, when /sys/kernel/debug/kmemleak exists,
# kmemleak is cleared before the first test and scanned after each one and
# at the end: suspected leaks are printed under the test they showed up after
# (a leak is reported only once its object is 5 s old, so it may show up
# after the next test; the final scan waits for that) and fail the final
# "dmesg" result, as does a new bad taint flag (W, D, B, L).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

first=1
results=/dev/null
deftimeout=300
only=
scale=${LTUN_TIMEOUT_SCALE:-1}
while [ $# -gt 1 ]; do
	case $1 in
	--first) first=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--timeout) deftimeout=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--timeout-scale) scale=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--first N] [--results FILE] [--timeout S] [--only TEST] [--timeout-scale K] KVER" >&2; exit 2; }
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "timeout scale must be a positive integer" >&2; exit 2; }
kver=$1
[ "$kver" = "$(uname -r)" ] || echo "# warning: asked for $kver but running $(uname -r)"

ko=$src/build/$kver/kmod/ltun.ko
ltunctl=$src/userspace/ltunctl
list=$src/selftests/tests.list

# Kernel log lines that mean the kernel is unhappy, whichever test caused it.
bad_re='BUG:|WARNING:|Oops|general protection|kernel BUG|RCU stall|rcu.*detected stall'
bad_re+='|list_add corruption|list_del corruption|refcount_t:|UBSAN|KASAN'
bad_re+='|unreferenced object|blocked for more than'
# ... and what the debug kernel's checkers print (lockdep, DEBUG_OBJECTS,
# DEBUG_ATOMIC_SLEEP, kmemleak, KASAN).
bad_re+='|possible circular locking|possible recursive locking|inconsistent lock state'
bad_re+='|bad unlock balance|suspicious RCU usage|sleeping function called from invalid context'
bad_re+='|Invalid wait context|held lock freed|lock held when returning|possible irq lock inversion'
bad_re+='|DEBUG_LOCKS_WARN_ON|lockdep|ODEBUG|kmemleak|suspected memory leak|Kernel panic'

# A debug kernel: lockdep (PROVE_LOCKING) or kmemleak present.
debug_kernel=
if [ -e /proc/lockdep ] || [ -e /sys/kernel/debug/kmemleak ] || [ -n "${LTUN_DEBUG_KERNEL:-}" ]; then
	debug_kernel=1
fi
kml=/sys/kernel/debug/kmemleak
[ -e "$kml" ] || kml=
# Taint flags that mean something went wrong: B bad page, D oops, W warning,
# L soft lockup (the module itself taints O and E).
bad_taint=$(((1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)))

n=$((first - 1))
nfail=0

# tap OK|FAIL|SKIP NAME [REASON]
tap() {
	local line
	n=$((n + 1))
	case $1 in
	OK) line="ok $n - $kver $2" ;;
	SKIP) line="ok $n - $kver $2 # SKIP${3:+ $3}" ;;
	*) line="not ok $n - $kver $2${3:+ # $3}"; nfail=$((nfail + 1)) ;;
	esac
	echo "$line"
	echo "$line" >>"$results"
}

# Under TCG every exec of a dynamically linked program costs ~0.1-0.3 s, so
# the per-test bookkeeping below uses bash builtins wherever it can.

# Copy stdin to stdout as TAP comments.
comment() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do printf '# %s\n' "$l"; done
}

# The kernel log is drained after each test into kmsg.log, so each chunk
# belongs to one test; the final check greps the whole file.
kmsg=/run/ltun-vm/kmsg.log
# drain_kmsg NAME: append new kernel messages, print the bad ones as
# comments attributed to NAME.
drain_kmsg() {
	local chunk
	chunk=$(dmesg -c)
	[ -n "$chunk" ] || return 0
	printf '%s\n' "$chunk" >>"$kmsg"
	if [[ $chunk =~ $bad_re ]]; then
		echo "# kernel complained during $1:"
		printf '%s\n' "$chunk" | grep -E "$bad_re" | comment
	fi
}

# A program that crashes during a test (SIGSEGV, SIGABRT, ...) fails the
# test even when the test itself did not notice, e.g. a forked server child
# whose client only saw its connection reset. The kernel logs a "traps:" or
# "segfault at" line for some of these, rate-limited, and only an address;
# the core says where. cores_check prints each new core's registers and
# backtrace (gdb, when installed) and keeps the first four of this run
# under build/vm/cores/ on the host, named by kernel (pids repeat from one
# fresh VM to the next); the run starts by removing its kernel's old ones.
# %E names the program by its path, so gdb finds its symbols while the
# test's own copy (in LTUN_TMP) still exists.
cores=/run/ltun-vm/cores
keep_cores=$src/build/vm/cores

# cores_check NAME: report and clear the cores of test NAME; 0 if it had any.
cores_check() {
	local c exe none=1
	for c in "$cores"/core.*; do
		[ -e "$c" ] || continue
		none=0
		exe=${c#"$cores"/core.*.}
		exe=${exe//!//}
		echo "# a program dumped core during $1: $exe (${c##*/})"
		if command -v gdb >/dev/null; then
			# shellcheck disable=SC2016 # $pc is gdb's, not ours
			gdb -q -batch -nx -ex 'info registers rip rsp rax rbx rcx rdx rsi rdi' \
				-ex 'x/4i $pc' -ex 'bt 24' \
				"$exe" "$c" 2>&1 |
				grep -v '^\[New LWP\|^warning: Can.t open file' | head -n 60 | comment
		else
			echo "# (no gdb in the guest: install it for a backtrace)"
		fi
		if [ "$(find "$keep_cores" -name "$kver.core.*" | wc -l)" -lt 4 ]; then
			mv -- "$c" "$keep_cores/$kver.${c##*/}" &&
				echo "# kept as build/vm/cores/$kver.${c##*/}"
		fi
		rm -f -- "$c"
	done
	return "$none"
}

# kmemleak_scan NAME: scan (twice: an object is reported only when two
# scans in a row found it unreferenced), print every suspected leak as
# comments attributed to NAME, clear the list.  Any leak, or kmemleak
# having stopped working, sets kml_bad: the final result fails.
kml_bad=
kmemleak_scan() {
	local leaks
	[ -n "$kml" ] || return 0
	if ! { echo scan >"$kml" && echo scan >"$kml"; } 2>/dev/null; then
		echo "# kmemleak cannot scan any more (disabled itself?) after $1"
		kml_bad=1 kml=
		return 0
	fi
	leaks=$(cat "$kml")
	echo clear >"$kml"
	[ -n "$leaks" ] || return 0
	echo "# kmemleak: suspected leaks after $1:"
	printf '%s\n' "$leaks" | comment
	kml_bad=1
}

module_loaded() {
	local name _
	while read -r name _; do
		[ "$name" = ltun ] && return 0
	done </proc/modules
	return 1
}

load_module() {
	[ -r "$ko" ] || { echo "ltun.ko not found at $ko (run: make module KVER=$kver)"; return 1; }
	module_loaded || insmod "$ko"
}

# Leftovers of one test must not make the next one fail: remove network
# namespaces and ltun devices it left behind (and say so).
cleanup_after_test() {
	local ns dev devs=() nss=()
	for ns in /run/netns/*; do
		if [ -e "$ns" ]; then nss+=("${ns##*/}"); fi
	done
	for ns in "${nss[@]}"; do
		echo "# cleanup: deleting leftover netns $ns"
		ip netns delete "$ns" || true
	done
	for dev in /sys/class/net/*; do
		if [ "${dev##*/}" != lo ]; then devs+=("${dev##*/}"); fi
	done
	[ ${#devs[@]} -gt 0 ] || return 0
	for dev in $(ip -o link show type ltun | awk -F': ' '{print $2}'); do
		echo "# cleanup: deleting leftover device ${dev%@*}"
		ip link delete "${dev%@*}" || true
	done
}

# run_test PATH TIMEOUT: run one test, print its TAP line.
run_test() {
	local path=$1 tmo=$2 exe=$src/selftests/$1 tmpd out tpid rc=0 crashed=
	local t0=$SECONDS
	if [ ! -x "$exe" ] || [ -d "$exe" ]; then
		echo "# $exe is missing or not executable (make selftests?)"
		tap FAIL "$path" "not executable"
		return
	fi
	tmpd=/tmp/ltun-test.$n
	out=/run/ltun-vm/out.$n
	rm -rf -- "$tmpd"
	mkdir -m 0700 -- "$tmpd"
	# Made here, not only by the test's redirection below: that runs in
	# the background child, and a tail that looked first found no file,
	# failed, and (set -e, pipefail) ended the whole run.
	: >"$out"
	echo "# === $path (timeout ${tmo}s)"

	# timeout makes itself a process group leader, so the whole group
	# (the test and anything it forked) can be killed afterwards.
	(cd "$src/selftests" && exec env -i PATH="$PATH" HOME=/root TERM=dumb \
		LANG=C.UTF-8 LTUN_SRC="$src" LTUN_KO="$ko" LTUNCTL="$ltunctl" \
		LTUN_TMP="$tmpd" KVER="$kver" LTUN_TIMEOUT_SCALE="$scale" \
		${debug_kernel:+LTUN_DEBUG_KERNEL=1} \
		timeout -k 10 "$tmo" "$exe") </dev/null >"$out" 2>&1 &
	tpid=$!
	# Stream the output as it comes (a hung VM still shows how far the
	# test got); tail exits once the test has.
	tail --pid="$tpid" -s 0.2 -n +1 -f "$out" | comment
	wait "$tpid" || rc=$?
	kill -KILL -- "-$tpid" 2>/dev/null || true

	drain_kmsg "$path"
	if cores_check "$path"; then
		crashed=1
	fi
	cleanup_after_test
	kmemleak_scan "$path"
	if ! module_loaded; then
		load_module 2>&1 | comment || echo "# could not reload ltun.ko"
	fi
	# A test may have mounted something in its dir (rare): unmount first.
	if grep -q " $tmpd" /proc/mounts; then umount -R -l "$tmpd"; fi
	rm -rf -- "$tmpd" "$out"
	echo "# --- $path: exit $rc after $((SECONDS - t0))s"

	# A crash fails a test that passed or skipped; a failure says its own why.
	if [ -n "$crashed" ] && { [ "$rc" = 0 ] || [ "$rc" = 4 ]; }; then
		rc=core
	fi
	case $rc in
	0) tap OK "$path" ;;
	4) tap SKIP "$path" ;;
	core) tap FAIL "$path" "a program dumped core" ;;
	124 | 137) tap FAIL "$path" "timed out after ${tmo}s" ;;
	*) tap FAIL "$path" "exit status $rc" ;;
	esac
}

mkdir -p /run/ltun-vm "$cores" "$keep_cores"
rm -f -- "$keep_cores/$kver".core.*
# Every test and what it starts inherits this limit.
ulimit -c unlimited
echo "$cores/core.%p.%E" >/proc/sys/kernel/core_pattern

# Under TCG, a CPU can execute a stale int3 that the kernel's live code
# patching (static keys) left behind, and oops: seen once, in
# netif_receive_skb_list_internal(), while test pings toggled the
# timestamping static key on and off. One idle ping for the whole run
# keeps that key on, so the tests' pings no longer patch code.
ping -q -i 30 127.0.0.1 >/dev/null 2>&1 &
keeper=$!

# Boot-time messages are not ours to judge; start the log from here.
dmesg -C
: >"$kmsg"
taint0=$(cat /proc/sys/kernel/tainted)
if [ -n "$debug_kernel" ]; then
	echo "# debug kernel $(uname -r): timeouts x$scale${kml:+, kmemleak scans after each test}"
fi
if [ -r /proc/lockdep_stats ] && grep -qE '^ *debug_locks: *0$' /proc/lockdep_stats; then
	echo "# lockdep is already off at boot (a boot-time splat?):"
	tap FAIL "lockdep active at start"
fi
# Leaks of the boot are not ours either: report them, then forget them.
if [ -n "$kml" ]; then
	if { echo scan >"$kml" && echo scan >"$kml"; } 2>/dev/null; then
		if [ -s "$kml" ]; then
			echo "# kmemleak: $(grep -c '^unreferenced object' "$kml") boot-time leak(s), cleared"
		fi
		echo clear >"$kml"
	else
		echo "# kmemleak is present but disabled (it turns itself off on errors)"
		tap FAIL "kmemleak active at start"
		kml=
	fi
	dmesg -C
fi

if ! modprobe tls; then
	tap FAIL "modprobe tls"
	echo "# complete" >>"$results"
	exit 1
fi
if ! load_module 2>&1 | comment || ! module_loaded; then
	tap FAIL "insmod ltun.ko"
	echo "# complete" >>"$results"
	exit 1
fi

if [ ! -r "$list" ]; then
	echo "# $list is missing"
	tap FAIL "tests.list"
else
	ran=0
	while read -r path opts; do
		[ -z "$only" ] || [ "$path" = "$only" ] || continue
		tmo=$deftimeout
		for o in $opts; do
			case $o in timeout=[0-9]*) tmo=${o#timeout=} ;; esac
		done
		run_test "$path" "$((tmo * scale))"
		ran=1
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
	# A test being written is not listed yet: run it with --timeout.
	if [ -n "$only" ] && [ "$ran" = 0 ]; then
		run_test "$only" "$((deftimeout * scale))"
	fi
fi

kill "$keeper" 2>/dev/null || true

# Unloading must work and leave nothing behind, then the log must be clean.
echo "# === dmesg"
dmesg_ok=1
if module_loaded && ! rmmod ltun 2>&1 | comment; then
	echo "# rmmod ltun failed"
	dmesg_ok=0
fi
# Let the leaks of the last test age past kmemleak's 5 s minimum first.
if [ -n "$kml" ]; then
	sleep 6
	kmemleak_scan "end of run"
fi
[ -z "$kml_bad" ] || dmesg_ok=0
drain_kmsg "rmmod ltun"
if [ -r /proc/lockdep_stats ] && ! grep -qE '^ *debug_locks: *1$' /proc/lockdep_stats; then
	echo "# lockdep turned itself off during the run (after a splat, see above)"
	dmesg_ok=0
fi
taint=$(cat /proc/sys/kernel/tainted)
if [ $(((taint & ~taint0) & bad_taint)) != 0 ]; then
	echo "# the kernel got tainted during the run: $taint0 -> $taint"
	dmesg_ok=0
fi
if grep -qE "$bad_re" "$kmsg"; then
	echo "# kernel log has errors:"
	grep -E -B2 -A20 "$bad_re" "$kmsg" | head -n 200 | comment
	dmesg_ok=0
fi
if [ "$dmesg_ok" = 1 ]; then tap OK dmesg; else tap FAIL dmesg; fi

echo "# complete" >>"$results"
[ "$nfail" = 0 ]
