#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run libFuzzer targets one after the other, each for a fixed time on a
# fresh copy of its committed seed corpus, and summarise.
#
#   run.sh --bin DIR --out DIR --seconds N TARGET:MAXLEN...
#
# Per target: OUT/work/TARGET/ (the corpus it grew), OUT/logs/TARGET.log
# (libFuzzer's output), OUT/artifacts/TARGET/ (crash-*, leak-*, timeout-*,
# oom-* inputs). Results: one line per target as it finishes, a table at
# the end, OUT/results.txt (the table) and OUT/results.json. Exit status 1
# if any target failed. The committed corpus (corpus/) is only read.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin= out= seconds=60
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bin=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ -z "$bin" ] || [ -z "$out" ] || [ $# -eq 0 ]; then
	echo "usage: run.sh --bin DIR --out DIR --seconds N TARGET:MAXLEN..." >&2
	exit 2
fi
case $seconds in
''|*[!0-9]*|0) echo "fuzz: FUZZ_SECONDS must be a positive number of seconds" >&2; exit 2 ;;
esac

mkdir -p "$out/logs" "$out/work" "$out/artifacts"
# Scratch files of the file targets (common.c: fuzz_file), on tmpfs when
# there is one; removed even when a target dies without cleaning up.
scratch_base=/dev/shm
[ -d "$scratch_base" ] && [ -w "$scratch_base" ] || scratch_base=${TMPDIR:-/tmp}
scratch=$(mktemp -d "$scratch_base/ltun-fuzz-run.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
results_txt=$out/results.txt
results_json=$out/results.json
rows=()
json=()
failed=0

# The value after "key:" on libFuzzer's last status line ("#N DONE cov: ...").
status_field() {
	grep -E '^#[0-9]+[[:space:]]' "$1" | tail -n 1 |
		sed -n "s/.*[[:space:]]$2:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p"
}

final_stat() {
	sed -n "s/^stat::$2:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p" "$1" | tail -n 1
}

for spec in "$@"; do
	t=${spec%%:*}
	maxlen=${spec#*:}
	prog=$bin/fuzz-$t
	seeds=$here/corpus/$t
	work=$out/work/$t
	art=$out/artifacts/$t
	log=$out/logs/$t.log
	dict=$here/dict/$t.dict

	if [ ! -x "$prog" ] || [ ! -d "$seeds" ]; then
		echo "fuzz: $t: missing $prog or $seeds" >&2
		failed=1
		continue
	fi
	rm -rf "$work" "$art"
	mkdir -p "$work" "$art"
	cp "$seeds"/* "$work"/
	n_seeds=$(find "$work" -type f | wc -l)

	opts=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
	      -rss_limit_mb=2048 -max_len="$maxlen" -artifact_prefix="$art/")
	[ -f "$dict" ] && opts+=(-dict="$dict")
	start=$(date +%s)
	FUZZ_TMPDIR=$scratch "$prog" "${opts[@]}" "$work" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))

	execs=$(final_stat "$log" number_of_executed_units)
	rate=$(final_stat "$log" average_exec_per_sec)
	cov=$(status_field "$log" cov)
	ft=$(status_field "$log" ft)
	corpus=$(find "$work" -type f | wc -l)
	arts=$(find "$art" -type f | sort)
	if [ $rc -eq 0 ] && [ -z "$arts" ]; then
		verdict=ok
	else
		verdict=FAIL
		failed=1
		for a in $arts; do
			kind=$(basename "$a"); kind=${kind%%-*}
			verdict="FAIL($kind)"
			break
		done
	fi
	line=$(printf '%-7s %-13s execs=%-9s exec/s=%-7s cov=%-5s ft=%-6s corpus=%s (%s seeds) %ss' \
		"$t" "$verdict" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
		"$corpus" "$n_seeds" "$secs")
	echo "fuzz: $line"
	if [ "$verdict" != ok ]; then
		# the sanitizer's or the invariant's own words, then how to replay
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: .*invariant|.*runtime error)' "$log" |
			head -n 5 | sed 's/^/fuzz:   /'
		for a in $arts; do
			echo "fuzz:   reproduce: $prog $a"
		done
		echo "fuzz:   log: $log"
	fi
	rows+=("$(printf '%-8s %-14s %10s %8s %6s %7s %7s %6s' "$t" "$verdict" \
		"${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$secs")")
	json+=("$(printf '{"target":"%s","result":"%s","seconds":%s,"execs":%s,"exec_per_sec":%s,"cov":%s,"ft":%s,"corpus":%s,"seeds":%s,"artifacts":[%s]}' \
		"$t" "$verdict" "$secs" "${execs:-null}" "${rate:-null}" "${cov:-null}" \
		"${ft:-null}" "$corpus" "$n_seeds" \
		"$(for a in $arts; do printf '"%s",' "$a"; done | sed 's/,$//')")")
done

{
	printf '%-8s %-14s %10s %8s %6s %7s %7s %6s\n' target result execs exec/s cov ft corpus time
	for r in "${rows[@]}"; do
		echo "$r"
	done
} >"$results_txt"
{
	echo "{\"seconds_per_target\":$seconds,\"targets\":["
	for i in "${!json[@]}"; do
		[ "$i" -gt 0 ] && echo ","
		printf '  %s' "${json[$i]}"
	done
	echo
	echo "]}"
} >"$results_json"

echo
cat "$results_txt"
echo
if [ $failed -ne 0 ]; then
	echo "fuzz: FAILED (inputs under $out/artifacts, logs under $out/logs)"
	exit 1
fi
echo "fuzz: all targets ok ($results_txt, $results_json)"
exit 0
