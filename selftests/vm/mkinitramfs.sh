#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh [--modules DIR] KVER OUT
#
# Build the tiny initramfs the test VMs boot: busybox-static, the guest init
# (init.sh next to this script) and just the modules needed to mount the
# host's root over virtio 9p.  Everything else (ip, iperf3, modprobe, our
# builds) comes from the host root once the guest has switched into it, so
# the image stays ~1 MiB and is built in well under a second.
#
# --modules DIR: take the modules of KVER from DIR/KVER (a kernel built here,
# see run-vm.sh --modules) instead of /lib/modules/KVER.  A kernel with
# virtio-pci and 9p built in needs no module at all: the image then holds
# only busybox and the init.
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }

moddir=/lib/modules
if [ "${1:-}" = --modules ]; then
	[ $# -ge 2 ] || die "--modules wants a directory"
	moddir=$(realpath -- "$2")
	shift 2
fi
[ $# -eq 2 ] || die "usage: $0 [--modules DIR] KVER OUT"
kver=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
busybox=/bin/busybox

[ -d "$moddir/$kver" ] || die "no $moddir/$kver (install linux-image-$kver)"
[ -x "$busybox" ] && "$busybox" --list | grep -qx switch_root ||
	die "$busybox is missing or not a full busybox (install busybox-static)"
# A dynamically linked busybox would need the host's libc in the initramfs.
if LC_ALL=C file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
	die "$busybox is dynamically linked (install busybox-static)"
fi

stage=$(mktemp -d)
trap 'rm -rf -- "$stage"' EXIT
# modprobe -d wants a root holding lib/modules: fake one for --modules.
mpargs=()
if [ "$moddir" != /lib/modules ]; then
	mkdir -p "$stage.root/lib"
	ln -s "$moddir" "$stage.root/lib/modules"
	mpargs=(-d "$stage.root")
	trap 'rm -rf -- "$stage" "$stage.root"' EXIT
fi
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/init.sh" "$stage/init"

# modprobe prints the dependency closure in load order; a module shared by
# several roots appears more than once, and built-in ones print "builtin X".
# Keep the first occurrence of each file: that order satisfies every dep.
deps=$(for m in virtio_pci 9pnet_virtio 9p; do
	modprobe "${mpargs[@]}" -S "$kver" --show-depends "$m" ||
		die "modprobe cannot resolve $m for $kver"
done)
n=0
declare -A seen=()
while read -r verb path _; do
	[ "$verb" = insmod ] || continue
	[ -z "${seen[$path]:-}" ] || continue
	seen[$path]=1
	n=$((n + 1))
	name=$(basename "$path")
	dst=$stage/modules/$(printf '%02d' "$n")-${name%%.ko*}.ko
	# busybox insmod cannot decompress: store every module as a plain .ko.
	case $path in
	*.ko.xz) xz -dc -- "$path" >"$dst" ;;
	*.ko.zst) zstd -qdc -- "$path" >"$dst" ;;
	*.ko.gz) gzip -dc -- "$path" >"$dst" ;;
	*.ko) cp -- "$path" "$dst" ;;
	*) die "unexpected module file $path" ;;
	esac
done <<<"$deps"

tmp=$out.tmp.$$
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 | gzip -1 >"$tmp")
mv -f -- "$tmp" "$out"
