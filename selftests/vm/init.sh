#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest /init of the test VM (busybox sh, PID 1).  Two stages in one file:
#
#   stage 1 (no argument, in the initramfs): load the 9p modules, mount the
#     host root read-only, put tmpfs on the paths programs write to, mount the
#     writable repository share at its host path, then switch_root into the
#     host root, re-executing this script from /run/ltun-vm as stage 2.
#   stage 2 ("stage2", in the host root): finish the environment (devpts,
#     loopback, ...), run the command the host left in the run directory,
#     write its exit status to RUN/rc on the repository share, power off.
#
# Kernel command line (set by run-vm.sh):
#   ltun.repo=ABS   repository path (host and guest)
#   ltun.run=REL    run directory, relative to the repository
#   ltun.tty=1      host stdin is a terminal: give the command a ctty
#   ltun.modules=ABS  host directory bind-mounted over /lib/modules (the
#                   modules of a kernel built in the repository)
#
# Whatever fails, we power off: the host notices the missing rc file, so a
# broken guest can never look like a passing run.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

bb=/bin/busybox
[ "$1" = stage2 ] && bb=/run/ltun-vm/busybox

fail() {
	echo "ltun-vm init: $*" >/dev/console
	$bb sync
	$bb poweroff -f
}

cmdline_get() {
	for w in $($bb cat /proc/cmdline); do
		case $w in "$1="*) echo "${w#*=}"; return ;; esac
	done
}

# Options for both 9p mounts: a large msize makes exec/read of host binaries
# several times faster than the default.
p9opts=trans=virtio,version=9p2000.L,msize=262144

stage1() {
	$bb --install -s /bin 2>/dev/null
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	for m in /modules/*.ko; do
		[ -e "$m" ] || continue
		insmod "$m" || fail "insmod $m failed"
	done

	repo=$(cmdline_get ltun.repo)
	[ -n "$repo" ] || fail "no ltun.repo= on the kernel command line"

	# The host root never changes under a test run, so cache it hard:
	# exec of host binaries is then served from the guest page cache.
	mount -t 9p -o "$p9opts,ro,cache=loose" hostroot /newroot ||
		fail "cannot mount the host root over 9p"
	# Writable scratch space; /var/run is a symlink to /run on Debian,
	# so this also makes /var/run/netns (ip netns add) writable.
	for d in tmp:1777 var/tmp:1777 run:0755 root:0700; do
		dir=/newroot/${d%:*}
		[ -d "$dir" ] || continue
		mount -t tmpfs -o "mode=${d#*:}" tmpfs "$dir" ||
			fail "cannot mount tmpfs on $dir"
	done
	# The repo may live under one of the tmpfs paths above (CI clones
	# into /tmp), so create its mount point only now.  The share is not
	# cached: the guest writes results the host reads after power-off.
	mkdir -p "/newroot$repo" || fail "cannot create mount point $repo"
	mount -t 9p -o "$p9opts" repo "/newroot$repo" ||
		fail "cannot mount the repository share on $repo"

	# A kernel built here has its modules outside the host's /lib/modules
	# (which is read-only anyway): show them there, so modprobe works.
	mods=$(cmdline_get ltun.modules)
	if [ -n "$mods" ]; then
		mount --bind "/newroot$mods" /newroot/lib/modules ||
			fail "cannot bind-mount $mods over /lib/modules"
	fi

	mkdir -p /newroot/run/ltun-vm
	cp $bb /init /newroot/run/ltun-vm/ || fail "cannot copy stage 2"
	for d in dev proc sys; do
		mount --move "/$d" "/newroot/$d" || fail "cannot move /$d"
	done
	exec switch_root /newroot /run/ltun-vm/busybox sh /run/ltun-vm/init stage2
	fail "switch_root failed"
}

stage2() {
	# devtmpfs lacks the fd links udev would make; bash's <(...) and
	# many scripts need /dev/fd.
	$bb ln -sf /proc/self/fd /dev/fd
	$bb ln -sf /proc/self/fd/0 /dev/stdin
	$bb ln -sf /proc/self/fd/1 /dev/stdout
	$bb ln -sf /proc/self/fd/2 /dev/stderr
	mkdir -p /dev/pts /dev/shm
	$bb mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
	$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	$bb mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	$bb hostname ltun-vm
	$bb ip link set lo up || fail "cannot bring up loopback"
	# What udev does at boot on a real machine: load the modules that
	# match this CPU (aesni_intel, ghash_clmulni_intel, ...). Without them
	# kTLS falls back to table-driven C AES, far slower than in production.
	/sbin/modprobe -qa $($bb cat /sys/devices/system/cpu/modalias) 2>/dev/null

	repo=$(cmdline_get ltun.repo)
	run=$repo/$(cmdline_get ltun.run)
	[ -r "$run/cmd" ] || fail "no command file $run/cmd"
	cd "$repo" || fail "cannot cd to $repo"
	echo "ltun-vm: $($bb uname -r) up after $($bb cut -d' ' -f1 /proc/uptime)s, running command"

	set -- env -i PATH="$PATH" HOME=/root TERM=dumb LANG=C.UTF-8 \
		USER=root LOGNAME=root SHELL=/bin/bash /bin/bash "$run/cmd"
	if [ "$(cmdline_get ltun.tty)" = 1 ]; then
		# setsid -c makes the console the controlling tty, so an
		# interactive shell gets job control and ^C.
		$bb setsid -c "$@" <>/dev/ttyS0 >&0 2>&1
	else
		"$@" </dev/null
	fi
	rc=$?
	echo "$rc" >"$run/rc.tmp" && $bb mv "$run/rc.tmp" "$run/rc" ||
		echo "ltun-vm: cannot write $run/rc"
	$bb sync
	$bb poweroff -f
}

case $1 in
stage2) stage2 ;;
*) stage1 ;;
esac
