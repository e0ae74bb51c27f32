#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [--kernel IMAGE] [--modules DIR] [--memory SIZE] [--append ARGS]
#          [--only TEST] KVER...
#
# Run the selftests (selftests/tests.list) in one VM per kernel and print a
# single TAP stream numbered across all kernels, then the plan and the line
# "N passed, N failed" (", N skipped" appended when tests skipped).  Exit
# non-zero if any result failed or any VM did not complete its run (a boot
# failure, panic or hang counts as one failed result of that kernel).
#
# Expects the module built for each KVER (build/KVER/kmod/ltun.ko) and the
# userspace/selftests builds: `make check` does all of that first.
# Env: LTUN_VM_TIMEOUT (whole VM, default: the sum of the tests.list
# timeouts times LTUN_TIMEOUT_SCALE, plus 600 s), LTUN_TEST_TIMEOUT (per
# test unless tests.list says timeout=S, default 300 s), LTUN_TIMEOUT_SCALE
# (multiplies every per-test timeout, passed to guest-run.sh).
# --kernel/--modules/--memory/--append go to run-vm.sh (one KVER only: the
# release of IMAGE; check-debug.sh uses them), --only to guest-run.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
vmdir=$src/build/vm

usage() {
	echo "usage: $0 [--kernel IMAGE] [--modules DIR] [--memory SIZE] [--append ARGS] [--only TEST] KVER..." >&2
	exit 2
}
vmargs=()
gargs=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel | --modules | --memory | --append)
		[ $# -ge 2 ] || usage; vmargs+=("$1" "$2"); shift 2 ;;
	--only) [ $# -ge 2 ] || usage; gargs+=(--only "$2"); shift 2 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
[ ${#vmargs[@]} = 0 ] || [ $# = 1 ] || usage
# The guest starts with an empty environment: hand the scale over explicitly.
genv=()
[ -z "${LTUN_TIMEOUT_SCALE:-}" ] || genv=(env "LTUN_TIMEOUT_SCALE=$LTUN_TIMEOUT_SCALE")
mkdir -p "$vmdir"

# A hung VM must not outlive its tests' own timeouts by much, and a slow
# but healthy run must not be cut short as the suite grows.
if [ -z "${LTUN_VM_TIMEOUT:-}" ]; then
	vm_tmo=$(sed -e 's/#.*//' "$src/selftests/tests.list" |
		awk -v d="${LTUN_TEST_TIMEOUT:-300}" '/[^ \t]/ { t = d
			for (i = 2; i <= NF; i++)
				if ($i ~ /^timeout=[0-9]+$/) t = substr($i, 9)
			s += t } END { print s + 0 }')
	LTUN_VM_TIMEOUT=$((vm_tmo * ${LTUN_TIMEOUT_SCALE:-1} + 600))
fi

total=0 pass=0 fail=0 skip=0
start=$(date +%s)
for kver in "$@"; do
	results=$vmdir/results-$kver.tap
	rm -f -- "$results"
	kstart=$(date +%s)
	echo "# ==== $kver: booting VM"
	rc=0
	# stdin /dev/null: a check run is never interactive, and ^C on the
	# host then stops QEMU instead of going to the guest.
	"$here/run-vm.sh" --kver "$kver" "${vmargs[@]}" \
		--timeout "$LTUN_VM_TIMEOUT" -- "${genv[@]}" \
		selftests/vm/guest-run.sh --first "$((total + 1))" \
		--results "$results" --timeout "${LTUN_TEST_TIMEOUT:-300}" \
		"${gargs[@]}" "$kver" </dev/null || rc=$?

	# Count from the results file, not the console: kernel messages may
	# interleave with the console output.
	touch "$results"
	k_ok=$(grep -c '^ok ' "$results" || true)
	k_skip=$(grep -c '^ok .* # SKIP' "$results" || true)
	k_fail=$(grep -c '^not ok ' "$results" || true)
	total=$((total + k_ok + k_fail))
	pass=$((pass + k_ok - k_skip))
	skip=$((skip + k_skip))
	fail=$((fail + k_fail))
	if ! grep -qx '# complete' "$results"; then
		total=$((total + 1)) fail=$((fail + 1))
		echo "not ok $total - $kver VM run did not complete (run-vm exit $rc, console: build/vm/console-$kver.log)"
	elif [ "$rc" != 0 ] && [ "$k_fail" = 0 ]; then
		total=$((total + 1)) fail=$((fail + 1))
		echo "not ok $total - $kver guest-run exited $rc"
	fi
	echo "# ==== $kver: $((k_ok - k_skip)) passed, $k_fail failed, $k_skip skipped in $(($(date +%s) - kstart))s"
done

echo "1..$total"
echo "# total time $(($(date +%s) - start))s"
line="$pass passed, $fail failed"
[ "$skip" = 0 ] || line+=", $skip skipped"
echo "$line"
[ "$fail" = 0 ] && [ "$total" -gt 0 ]
