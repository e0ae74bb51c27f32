#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh [--build-only] [--only TEST]
#
# `make check-debug`: build (once, cached) a small debug kernel from Debian's
# linux-source (KASAN, lockdep, kmemleak, DEBUG_OBJECTS... see debug.config),
# build ltun.ko against it and run the whole selftest suite on it in the test
# VM (check.sh), where any splat fails the run.  Prints check.sh's TAP and its
# "N passed, N failed" line; exit status non-zero on any failure.
#
#   --build-only   build kernel and module, do not boot
#   --only TEST    run one test (listed or not) instead of the whole suite
#   --canary       run only the canary boot (below)
#
# After the suite, a second boot proves that the splat detection works:
# selftests/vm/canary.sh loads selftests/canary/ltun_canary.ko once per kind
# of splat (kmemleak, KASAN, sleep in atomic context, WARN, lockdep) and
# each must make guest-run.sh fail. A detector never seen to fire proves
# nothing when it stays quiet. --only skips it.
#
# The kernel is built in build/debug-kernel/ and rebuilt only when the key
# (sha256 of debug.config, of the linux-source tarball and of the compiler's
# version) changes: build/debug-kernel/key holds the key of the tree there.
# Layout: src/ (kernel tree, also the KDIR of the module build),
# modroot/lib/modules/RELEASE (modules_install), release, build.log.
#
# Env: LTUN_LINUX_SOURCE (tarball, default the newest
# /usr/src/linux-source-*.tar.xz), LTUN_TIMEOUT_SCALE (per-test timeouts of
# tests.list are multiplied by it on this kernel, default 4),
# LTUN_DEBUG_VM_MEM (guest RAM, default 4G: KASAN's shadow and kmemleak's
# metadata need it), LTUN_VM_TIMEOUT (whole VM; default: the sum of the
# scaled test timeouts plus 10 min), JOBS (make -j, default nproc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dk=$repo/build/debug-kernel
fragment=$here/debug.config

die() { echo "check-debug: $*" >&2; exit 1; }
log() { echo "# check-debug: $*"; }

build_only=0
only=
canary_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--build-only) build_only=1; shift ;;
	--only) [ $# -ge 2 ] || die "--only wants a test"; only=$2; shift 2 ;;
	--canary) canary_only=1; shift ;;
	*) die "usage: $0 [--build-only] [--only TEST | --canary]" ;;
	esac
done

tarball=${LTUN_LINUX_SOURCE:-$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
[ -r "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz (apt-get install linux-source)"
jobs=${JOBS:-$(nproc)}

# Every option of the fragment, as "CONFIG_X=v" (or "CONFIG_X=n" for
# "# CONFIG_X is not set"), one a line.
fragment_options() {
	sed -nE -e 's/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1=n/p' \
		-e '/^CONFIG_[A-Za-z0-9_]+=/p' "$fragment"
}

# kconfig drops an option whose dependencies are unmet without a word (and
# merge_config.sh only warns): compare every option with the final .config.
verify_config() {
	local cfg=$1 opt key want have bad=0
	while IFS= read -r opt; do
		key=${opt%%=*} want=${opt#*=}
		have=$(sed -nE "s/^$key=(.*)$/\1/p" "$cfg")
		[ -n "$have" ] || have=n
		if [ "$have" != "$want" ]; then
			echo "check-debug: $key: wanted $want, .config has $have" >&2
			bad=1
		fi
	done < <(fragment_options)
	[ "$bad" = 0 ] || die "debug.config options lost by kconfig (unmet dependencies?)"
}

build_kernel() {
	local t0=$SECONDS src=$dk/src release
	log "building the debug kernel in $dk (log: $dk/build.log)"
	rm -rf -- "$dk"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	(
		cd "$src"
		make -s allnoconfig
		scripts/kconfig/merge_config.sh -m .config "$fragment"
		make -s olddefconfig
	) >"$dk/build.log" 2>&1 || { tail -n 30 "$dk/build.log" >&2; die "configuring failed"; }
	verify_config "$src/.config"
	log "configured in $((SECONDS - t0))s; make -j$jobs"
	if ! make -C "$src" -j"$jobs" >>"$dk/build.log" 2>&1; then
		grep -E -m 20 'error|Error' "$dk/build.log" >&2 || tail -n 30 "$dk/build.log" >&2
		die "kernel build failed (see $dk/build.log)"
	fi
	release=$(make -s -C "$src" kernelrelease)
	make -C "$src" modules_install INSTALL_MOD_PATH="$dk/modroot" >>"$dk/build.log" 2>&1 ||
		die "modules_install failed"
	depmod -b "$dk/modroot" "$release"
	echo "$release" >"$dk/release"
	log "kernel $release built in $((SECONDS - t0))s ($jobs jobs)"
	echo "$((SECONDS - t0))" >"$dk/build-seconds"
}

t_start=$SECONDS
key=$({
	sha256sum <"$fragment"
	sha256sum <"$tarball"
	gcc --version | head -n 1
} | sha256sum | cut -c1-16)
if [ "$(cat "$dk/key" 2>/dev/null)" = "$key" ] && [ -s "$dk/release" ] &&
	[ -s "$dk/src/arch/x86/boot/bzImage" ]; then
	log "using the cached kernel $(cat "$dk/release") (key $key)"
else
	build_kernel
	echo "$key" >"$dk/key"
fi
release=$(cat "$dk/release")
image=$dk/src/arch/x86/boot/bzImage
moddir=$dk/modroot/lib/modules

# The module is rebuilt every time (make only redoes what changed).
make --no-print-directory -C "$repo" module KVER="$release" KDIR="$dk/src" \
	>"$dk/module.log" 2>&1 || { cat "$dk/module.log" >&2; die "ltun.ko does not build for $release"; }
log "ltun.ko built for $release ($((SECONDS - t_start))s so far)"
# The canary module; kbuild writes next to the sources, so from a copy.
cdir=$repo/build/$release/canary
mkdir -p "$cdir"
cp "$repo/selftests/canary/ltun_canary.c" "$repo/selftests/canary/Kbuild" "$cdir/"
make -C "$dk/src" M="$cdir" modules >"$dk/canary.log" 2>&1 ||
	{ cat "$dk/canary.log" >&2; die "ltun_canary.ko does not build for $release"; }
[ "$build_only" = 0 ] || exit 0

# Scale the tests' timeouts: the debug kernel under TCG is several times
# slower than a stock one.
scale=${LTUN_TIMEOUT_SCALE:-4}
[[ $scale =~ ^[1-9][0-9]*$ ]] || die "LTUN_TIMEOUT_SCALE wants a positive integer"
sum=$(sed -e 's/#.*//' "$repo/selftests/tests.list" |
	awk -v d=300 '/[^ \t]/ { t = d; for (i = 2; i <= NF; i++)
		if ($i ~ /^timeout=[0-9]+$/) t = substr($i, 9); s += t } END { print s + 0 }')
[ -z "$only" ] || sum=300
export LTUN_TIMEOUT_SCALE=$scale
export LTUN_VM_TIMEOUT=${LTUN_VM_TIMEOUT:-$((sum * scale + 600))}
# kasan_multi_shot: report every KASAN bug, not only the first one.
args=(--kernel "$image" --modules "$moddir" --memory "${LTUN_DEBUG_VM_MEM:-4G}"
	--append kasan_multi_shot)
rc=0
if [ "$canary_only" = 0 ]; then
	if [ -n "$only" ]; then
		"$here/check.sh" "${args[@]}" --only "$only" "$release" || rc=$?
	else
		"$here/check.sh" "${args[@]}" "$release" || rc=$?
	fi
fi
if [ -z "$only" ]; then
	log "canary boot: every kind of splat must fail the harness"
	crc=0
	# Its TAP goes out as comments: the suite's TAP above is the result.
	"$here/run-vm.sh" --kver "$release" "${args[@]}" --timeout 1800 -- \
		selftests/vm/canary.sh "$release" </dev/null | sed 's/^/# /' || crc=$?
	if [ "$crc" = 0 ]; then
		log "canary: every splat was caught"
	else
		log "canary: FAILED (exit $crc): a splat went unnoticed, or the boot failed"
		rc=1
	fi
fi
log "total $((SECONDS - t_start))s"
exit "$rc"
