#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# canary.sh KVER: inside the debug-kernel VM, prove that guest-run.sh's
# splat detection fires. For each kind of splat the debug kernel can
# report, guest-run.sh runs selftests/canary/KIND.sh, which loads
# ltun_canary.ko with that misdeed (selftests/canary/ltun_canary.c). Each
# run must end in failure, with the test itself passing, the final "dmesg"
# result failed, and the kernel's own words for that splat attributed to
# the test (below).
# Prints TAP; exit status non-zero if any splat went unnoticed.
#
# The kernel's own words must appear before guest-run's final "dmesg"
# section, i.e. among what its detectors attributed to the canary test:
# the final section prints every error line of the log whatever made it
# fail, so text there alone would not show the detector for this kind works.
#
# Order matters: lockdep reports only while debug_locks is on, and it goes
# off after lockdep's own report and after any taint that makes locking
# state unreliable (KASAN's B). So lockdep runs first and KASAN last; every
# run after lockdep's fails "lockdep active at start" as well, which is
# why each verdict rests on that kind's own text.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kver=${1:?usage: canary.sh KVER}
kinds=(lockdep kmemleak atomic-sleep warn kasan)
declare -A expect=(
	[kmemleak]='unreferenced object'
	[kasan]='BUG: KASAN: slab-out-of-bounds.*ltun_canary'
	[atomic-sleep]='sleeping function called from invalid context'
	[warn]='WARNING: CPU: [0-9]+ PID: [0-9]+ at .*ltun_canary'
	[lockdep]='possible circular locking dependency'
)

n=0
fail=0
echo "1..${#kinds[@]}"
for k in "${kinds[@]}"; do
	n=$((n + 1))
	out=$("$here/guest-run.sh" --only "canary/$k.sh" "$kver" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	why=
	if [ "$rc" = 0 ]; then
		why="guest-run passed"
	elif ! grep -qE "^ok [0-9]+ - .*canary/$k\.sh$" <<<"$out"; then
		why="the canary test itself did not pass"
	elif ! grep -qE "^not ok [0-9]+ - .* dmesg" <<<"$out"; then
		why="the dmesg result did not fail"
	elif ! sed '/^# === dmesg$/,$d' <<<"$out" | grep -qE "${expect[$k]}"; then
		why="no '${expect[$k]}' attributed to the test"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $kver canary: a $k splat fails the run"
	else
		echo "not ok $n - $kver canary: a $k splat fails the run # $why"
		fail=$((fail + 1))
	fi
done
echo "# canary: $((n - fail)) of $n splat kinds caught"
[ "$fail" = 0 ]
