#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh --kver KVER [--kernel IMAGE] [--modules DIR] [--memory SIZE]
#           [--timeout S] [--verbose] [--append ARGS] -- CMD [ARGS...]
#
# Boot /boot/vmlinuz-KVER (or IMAGE, a bzImage of release KVER; --kver may
# then be left out) in QEMU with the host root (read-only) as the
# guest's root and this repository (writable) mounted at the same path, run
# CMD there as root (cwd = repository, env: PATH HOME=/root TERM=dumb LANG),
# stream the guest console to stdout, and exit with CMD's status.
#
# Exit status: CMD's status; 124 if the VM did not finish within the timeout
# (default 1500 s); 125 if the guest died before reporting one (panic, crash,
# broken init).  The console of the last run of each kernel is kept in
# build/vm/console-KVER.log.
#
# --modules DIR: a directory holding KVER/ (modules_install's lib/modules of a
# kernel built here) that the guest bind-mounts over /lib/modules, so that
# modprobe works for a kernel whose modules are not installed on the host.
# --memory SIZE: guest RAM (QEMU -m, default 2G).  --append: extra kernel
# command line words.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vmdir=$repo/build/vm

die() { echo "run-vm: $*" >&2; exit 125; }
usage() { die "usage: $0 --kver KVER [--kernel IMAGE] [--modules DIR] [--memory SIZE] [--timeout S] [--verbose] [--append ARGS] -- CMD [ARGS...]"; }

kver=
kernel=
modules=
memory=2G
extra_append=
timeout=1500
verbose=0
while [ $# -gt 0 ]; do
	case $1 in
	--kver) [ $# -ge 2 ] || usage; kver=$2; shift 2 ;;
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--modules) [ $# -ge 2 ] || usage; modules=$2; shift 2 ;;
	--memory) [ $# -ge 2 ] || usage; memory=$2; shift 2 ;;
	--append) [ $# -ge 2 ] || usage; extra_append=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || usage
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
if [ -n "$kernel" ]; then
	[ -r "$kernel" ] || die "cannot read $kernel"
	kernel=$(realpath -- "$kernel")
	# file(1) reads the release from the bzImage header.
	[ -n "$kver" ] || kver=$(LC_ALL=C file -b -- "$kernel" |
		sed -nE 's/.*[Vv]ersion ([^ ,]+).*/\1/p')
	[ -n "$kver" ] || die "cannot tell the release of $kernel: give --kver"
else
	[ -n "$kver" ] || usage
	kernel=/boot/vmlinuz-$kver
	[ -r "$kernel" ] || die "no $kernel (install linux-image-$kver)"
fi
if [ -n "$modules" ]; then
	modules=$(realpath -- "$modules")
	[ -d "$modules/$kver" ] || die "no $modules/$kver (modules_install into it)"
	[[ $modules != *[[:space:]]* ]] || die "--modules path must not contain blanks"
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (install qemu-system-x86)"
# The path goes on the kernel command line, which splits on blanks.
[[ $repo != *[[:space:]]* ]] || die "repository path must not contain blanks: $repo"

mkdir -p "$vmdir"

# The initramfs depends only on the kernel's modules and our two scripts:
# key the cache on both so editing either rebuilds it.
# With --modules, the modules come from there: its index is part of the key.
key=$({
	cat "$here/mkinitramfs.sh" "$here/init.sh"
	[ -z "$modules" ] || cat "$modules/$kver/modules.dep" "$modules/$kver/modules.builtin"
} | sha256sum | cut -c1-12)
initrd=$vmdir/initramfs-$kver-$key.cpio.gz
if [ ! -s "$initrd" ]; then
	rm -f -- "$vmdir/initramfs-$kver-"*.cpio.gz
	"$here/mkinitramfs.sh" ${modules:+--modules "$modules"} "$kver" "$initrd"
fi

run=$(mktemp -d "$vmdir/run.XXXXXX")
log=$run/console.log
# Keep the console of the last run per kernel for post-mortems; each run
# logs into its own dir first so that parallel runs do not mix.
trap 'mv -f -- "$log" "$vmdir/console-$kver.log" 2>/dev/null; rm -rf -- "$run"' EXIT
# The command travels as a script on the repository share: no quoting or
# length limits of the kernel command line apply to it.
{
	printf 'cd %q || exit 125\nexec' "$repo"
	printf ' %q' "$@"
	printf '\n'
} >"$run/cmd"

# KVM is used only if it can actually boot this kernel here (on the dev
# machines /dev/kvm exists but cannot boot a stock kernel); TCG otherwise.
accel=(-accel tcg,thread=multi -cpu max)
if [ "${LTUN_VM_KVM:-auto}" != 0 ] && "$here/kvm-works.sh" "$kernel"; then
	accel=(-accel kvm -cpu host)
fi

# qboot skips SeaBIOS's device scan: about half a second less per boot
# under TCG.  It is part of qemu-system-data, but keep SeaBIOS as fallback.
bios=()
[ -r /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)

tty=0
[ -t 0 ] && tty=1
append="console=ttyS0 panic=-1 rdinit=/init mitigations=off no_timer_check"
append+=" ltun.repo=$repo ltun.run=${run#"$repo/"} ltun.tty=$tty"
[ -z "$modules" ] || append+=" ltun.modules=$modules"
[ -z "$extra_append" ] || append+=" $extra_append"
[ "$verbose" = 1 ] || append+=" quiet"

# -no-reboot + panic=-1: a guest panic ends QEMU at once instead of hanging
# or rebooting; the missing rc file then tells us the run failed.
# The console is a stdio chardev that also logs to a file; ^A x quits.
qemu=(qemu-system-x86_64 "${accel[@]}" -smp 2 -m "$memory"
	-nodefaults -no-user-config -display none -no-reboot
	"${bios[@]}" -kernel "$kernel" -initrd "$initrd" -append "$append"
	-chardev "stdio,id=con,mux=on,signal=off,logfile=$log"
	-serial chardev:con -mon chardev=con,mode=readline
	-device virtio-rng-pci
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$repo,mount_tag=repo,security_model=none,multidevs=remap")

set +e
# --foreground: QEMU may need to read a terminal (interactive use); it has
# no children, so killing only it on timeout is enough.
timeout --foreground -k 10 "$timeout" "${qemu[@]}"
qrc=$?
set -e

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-vm: $kver: VM timed out after ${timeout}s" >&2
	exit 124
fi
if [ ! -s "$run/rc" ]; then
	if grep -aq 'Kernel panic' "$log"; then
		echo "run-vm: $kver: guest kernel panicked" >&2
	else
		echo "run-vm: $kver: guest died without an exit status (qemu exit $qrc)" >&2
	fi
	exit 125
fi
rc=$(cat "$run/rc")
[[ $rc =~ ^[0-9]+$ ]] || die "$kver: garbled exit status '$rc'"
exit "$rc"
