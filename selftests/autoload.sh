#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# autoload.sh: the module loads itself on first use, through its aliases:
# `ip link add ... type ltun` (rtnl-link-ltun) and the first genl request
# for the family "ltun" (net-pf-16-proto-16-family-ltun).
#
# The VM's /lib/modules is the host's, read-only, so the kernel's modprobe
# helper is pointed at a wrapper that resolves aliases against a private
# module root holding only the freshly built ltun.ko (indexed by depmod,
# exactly as after `make install` or `dkms install`), and falls back to the
# system's modules for anything else.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" -eq 0 ] || lt_skip "needs root"
[ -r "$LTUN_KO" ] || lt_skip "no $LTUN_KO"
command -v depmod >/dev/null || lt_skip "needs depmod (kmod)"

helper_file=/proc/sys/kernel/modprobe
old_helper=$(cat "$helper_file")
root=$LTUN_TMP/modroot
wrapper=$LTUN_TMP/modprobe-wrapper
reqlog=$LTUN_TMP/requests.log

restore() {
	echo "$old_helper" >"$helper_file"
	ip link del lt-auto 2>/dev/null
	grep -qw '^ltun' /proc/modules || insmod "$LTUN_KO"
	lt_cleanup
}
trap restore EXIT

mkdir -p "$root/lib/modules/$KVER/extra"
cp "$LTUN_KO" "$root/lib/modules/$KVER/extra/"
cp /lib/modules/"$KVER"/modules.builtin* "$root/lib/modules/$KVER/" 2>/dev/null
echo extra/ltun.ko >"$root/lib/modules/$KVER/modules.order"
depmod -b "$root" "$KVER"
check "modinfo lists the rtnl link alias" \
	bash -c "modinfo -F alias '$LTUN_KO' | grep -qx rtnl-link-ltun"
check "modinfo lists the genl family alias" \
	bash -c "modinfo -F alias '$LTUN_KO' | grep -qx net-pf-16-proto-16-family-ltun"

cat >"$wrapper" <<WRAP
#!/bin/sh
echo "\$*" >>"$reqlog"
/sbin/modprobe -d "$root" "\$@" 2>/dev/null || exec /sbin/modprobe "\$@"
WRAP
chmod +x "$wrapper"
echo "$wrapper" >"$helper_file"

unloaded() { ! grep -qw '^ltun' /proc/modules; }

# 1. ip link add with the module not loaded.
ip link del lt-auto 2>/dev/null
rmmod ltun 2>/dev/null
check "module unloaded before the test" unloaded
check "ip link add lt-auto type ltun succeeds" ip link add lt-auto type ltun
check "... and loaded the module" grep -qw '^ltun' /proc/modules
check "... through the rtnl-link-ltun alias" grep -q 'rtnl-link-ltun' "$reqlog"
ip link del lt-auto

# 2. the first genl request for the family.
rmmod ltun
check "module unloaded again" unloaded
"$LTUNCTL" dev show >/dev/null 2>&1
check "a genl request for family ltun loaded the module" grep -qw '^ltun' /proc/modules
check "... through the genl family alias" \
	grep -q 'net-pf-16-proto-16-family-ltun' "$reqlog"
dump_file "$reqlog"

# The module loaded from the private root is the one under test: leave it.
lt_finish
