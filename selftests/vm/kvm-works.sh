#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvm-works.sh KERNEL: exit 0 if QEMU can boot the bzImage KERNEL with KVM
# on this machine.
#
# /dev/kvm existing is not enough, and neither is running a few real-mode
# instructions: on some nested hosts a boot sector runs fine under KVM
# while a stock kernel hangs in its decompressor or stops with "KVM
# internal error ... emulation failure" (seen with Debian's 6.1 and 6.12).
# So boot KERNEL itself, without an initramfs, to its "Unable to mount
# root" panic (about a second with working KVM, 3-4 s under TCG); panic=-1
# and -no-reboot make QEMU exit there. The answer is cached per host boot
# and kernel image in build/vm/.
set -euo pipefail

kernel=${1:?usage: kvm-works.sh KERNEL}
[ -w /dev/kvm ] || exit 1
[ -r "$kernel" ] || exit 1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
key=$(cat /proc/sys/kernel/random/boot_id)-$(stat -L -c '%s-%Y' -- "$kernel")-$(basename -- "$kernel")
cache=$here/../../build/vm/kvm-works.$key
if [ -e "$cache" ]; then
	[ "$(cat "$cache")" = yes ]
	exit
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
# In a subshell with stderr discarded: QEMU aborts on some broken KVM
# setups, and bash would report the abort on our stderr. A wedged guest
# does not exit by itself: the timeout ends it.
(exec 2>/dev/null; timeout -k 5 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
	-nodefaults -no-user-config -display none -no-reboot -monitor none \
	-serial "file:$tmp/console" -kernel "$kernel" \
	-append "console=ttyS0 panic=-1 quiet" >/dev/null) || true
mkdir -p "$(dirname "$cache")"
if grep -q 'Kernel panic - not syncing: VFS' "$tmp/console" 2>/dev/null; then
	echo yes >"$cache"
	exit 0
fi
echo no >"$cache"
exit 1
