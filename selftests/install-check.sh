#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-check.sh KVER...: `make install DESTDIR=...` puts the module (with
# its autoload aliases indexed by depmod), ltunctl and its man page where a
# package needs them, for each kernel. Staged, so the machine is untouched.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 KVER..." >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

fail=0
for k in "$@"; do
	d=$stage/$k
	if ! make -C "$repo" -s install KVER="$k" DESTDIR="$d" PREFIX=/usr \
		>"$stage/log" 2>&1; then
		echo "not ok - make install for $k"
		sed 's/^/# /' "$stage/log"
		fail=1
		continue
	fi
	bad=0
	# 6.12 installs modules compressed (ltun.ko.xz).
	ls "$d/lib/modules/$k/extra/kmod/"ltun.ko* >/dev/null 2>&1 ||
		{ echo "# missing lib/modules/$k/extra/kmod/ltun.ko*"; bad=1; }
	for f in usr/sbin/ltunctl usr/share/man/man8/ltunctl.8; do
		[ -e "$d/$f" ] || { echo "# missing $f"; bad=1; }
	done
	for a in rtnl-link-ltun net-pf-16-proto-16-family-ltun; do
		grep -q "^alias $a ltun$" "$d/lib/modules/$k/modules.alias" ||
			{ echo "# alias $a not indexed"; bad=1; }
	done
	if [ $bad = 0 ]; then
		echo "ok - make install for $k (module, aliases, ltunctl, man page)"
	else
		echo "not ok - make install for $k"
		fail=1
	fi
done
exit $fail
