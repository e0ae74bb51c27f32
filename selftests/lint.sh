#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh [KVER]
#
# Static checks of the kernel module, failing on any finding in our files:
#   1. checkpatch.pl --strict over kmod/*.[ch], uapi/linux/*.h and the canary module
#   2. a full module build with W=1 (extra compiler warnings) and C=1
#      (sparse), in a separate shadow tree so `make check` builds are untouched
#
# checkpatch.pl is not packaged on its own: it is extracted once from
# Debian's linux-source-6.1 tarball into build/linux-source/ (cache).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kver=${1:-$(uname -r)}
tarball=${LTUN_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
lsdir=$src/build/linux-source
checkpatch=$lsdir/scripts/checkpatch.pl

die() { echo "lint: $*" >&2; exit 2; }

cd "$src"

extract_checkpatch() {
	local top members tmp
	[ -x "$checkpatch" ] && return 0
	[ -r "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
	echo "lint: extracting checkpatch.pl from $tarball (once)"
	top=$(basename "$tarball" .tar.xz)
	# checkpatch reads spelling.txt and const_structs.checkpatch from its
	# own directory; nothing else of the tree is needed with --no-tree.
	members=("$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt"
		"$top/scripts/const_structs.checkpatch")
	mkdir -p "$src/build"
	tmp=$(mktemp -d "$src/build/linux-source.XXXXXX")
	# --occurrence: stop reading the (large) archive once all are found.
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 --occurrence=1 \
		"${members[@]}" || { rm -rf -- "$tmp"; die "cannot extract checkpatch.pl"; }
	rm -rf -- "$lsdir"
	mv -- "$tmp" "$lsdir"
}

shopt -s nullglob
files=(kmod/*.[ch] uapi/linux/*.h selftests/canary/*.c)
shopt -u nullglob
[ -n "$(compgen -G 'kmod/*.c' || true)" ] || die "no kmod/*.c to check"

extract_checkpatch

fail=0
log=$(mktemp)
trap 'rm -f -- "$log"' EXIT

echo "lint: checkpatch --strict on ${#files[@]} files"
# --no-tree: we are not inside a kernel tree.  -q: only findings.
if perl "$checkpatch" --strict --no-tree --quiet --show-types --terse -f \
	"${files[@]}" >"$log" 2>&1; then
	cp_count=0
else
	cp_count=$(grep -cE '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK):' "$log" || true)
	# A crash of checkpatch itself must not pass as "no findings".
	[ "$cp_count" -gt 0 ] || { cat "$log"; die "checkpatch failed"; }
	cat "$log"
	fail=1
fi

# W=1/C=1 in their own shadow tree (BUILD=), rebuilt from scratch each time:
# kbuild only warns (and runs sparse) on files it recompiles.
lintbuild=$src/build/lint
rm -rf -- "$lintbuild/$kver"
echo "lint: make module W=1 C=1 KVER=$kver (sparse $(sparse --version 2>/dev/null || echo missing))"
command -v sparse >/dev/null || die "sparse missing (apt-get install sparse)"
set +e
make --no-print-directory module W=1 C=1 KVER="$kver" KDIR="/lib/modules/$kver/build" BUILD="$lintbuild" >"$log" 2>&1
mrc=$?
set -e
# Findings in our sources (the shadow tree links kmod/ and uapi/); the
# kernel's own headers are not ours to fix.
ours='(^|/)(kmod|uapi)/[^: ]+:[0-9]+(:[0-9]+)?: (warning|error)|WARNING: modpost: .*(kmod|ltun)'
build_count=$(grep -cE "$ours" "$log" || true)
if [ "$mrc" != 0 ]; then
	cat "$log"
	echo "lint: module build failed (exit $mrc)"
	fail=1
elif [ "$build_count" -gt 0 ]; then
	grep -E -A3 "$ours" "$log" | sed "s|$lintbuild/$kver/||"
	fail=1
fi

echo "lint: checkpatch: $cp_count findings; W=1/sparse ($kver): $build_count findings"
if [ "$fail" = 0 ]; then
	echo "lint: OK"
else
	echo "lint: FAILED"
fi
exit "$fail"
