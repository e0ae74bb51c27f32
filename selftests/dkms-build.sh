#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-build.sh KVER...: prove that `dkms add` + `dkms build` work from this
# source tree for each kernel, using throw-away dkms and source trees so the
# machine's own /var/lib/dkms and /lib/modules are left alone.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$repo/dkms.conf")
command -v dkms >/dev/null || { echo "dkms-build: dkms is not installed" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: $0 KVER..." >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/ltun-$ver" "$tmp/dkms"
# What dkms would copy from a release: the sources, not local build output.
git -C "$repo" ls-files -z kmod uapi Kbuild dkms.conf |
	(cd "$repo" && xargs -0 cp --parents -t "$tmp/src/ltun-$ver")

fail=0
dkms add "ltun/$ver" --sourcetree "$tmp/src" --dkmstree "$tmp/dkms" >"$tmp/add.log" 2>&1 ||
	{ echo "not ok - dkms add ltun/$ver"; sed 's/^/# /' "$tmp/add.log"; exit 1; }
for k in "$@"; do
	if dkms build "ltun/$ver" -k "$k" --sourcetree "$tmp/src" \
		--dkmstree "$tmp/dkms" >"$tmp/log" 2>&1 &&
	   ls "$tmp/dkms/ltun/$ver/$k/x86_64/module/"ltun.ko* >/dev/null 2>&1; then
		echo "ok - dkms build ltun/$ver for $k"
	else
		echo "not ok - dkms build ltun/$ver for $k"
		sed 's/^/# /' "$tmp/log"
		find "$tmp/dkms" -name make.log -exec sed 's/^/# /' {} \;
		fail=1
	fi
done
exit $fail
