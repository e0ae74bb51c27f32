#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvm-works.sh: exit 0 if QEMU can run a guest with KVM on this machine.
#
# /dev/kvm existing is not enough (nested setups may expose it but fail to
# run a guest), so run a few guest instructions: a 512-byte boot sector that
# writes one byte to the debug-exit port, which makes QEMU exit with status
# (byte << 1) | 1.  The answer is cached per boot in build/vm/.
set -euo pipefail

[ -w /dev/kvm ] || exit 1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$here/../../build/vm/kvm-works.$(cat /proc/sys/kernel/random/boot_id)
if [ -e "$cache" ]; then
	[ "$(cat "$cache")" = yes ]
	exit
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
# mov al,0x2a; out 0xf4,al; hlt  + padding + boot signature.
{
	printf '\xb0\x2a\xe6\xf4\xf4'
	head -c 505 /dev/zero
	printf '\x55\xaa'
} >"$tmp/boot.img"

# In a subshell with stderr discarded: QEMU aborts on some broken KVM
# setups, and bash would report the abort on our stderr.
rc=$(exec 2>/dev/null; timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 16 -nodefaults \
	-no-user-config -display none -serial none -monitor none \
	-device isa-debug-exit,iobase=0xf4,iosize=1 \
	-drive "file=$tmp/boot.img,format=raw,if=ide" >/dev/null
	echo $?)
mkdir -p "$(dirname "$cache")"
# 0x2a << 1 | 1 = 85
if [ "$rc" = 85 ]; then echo yes >"$cache"; exit 0; fi
echo no >"$cache"
exit 1
