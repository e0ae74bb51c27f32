#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# canary/KIND.sh, a link to this file: load ltun_canary.ko (built by
# check-debug.sh for the debug kernel) with splat=KIND and unload it. The
# test itself passes; what it makes the kernel print must fail the run
# (selftests/vm/canary.sh checks that it does). Not in tests.list.
kind=$(basename "$0" .sh)
ko=$LTUN_SRC/build/$KVER/canary/ltun_canary.ko
[ -r "$ko" ] || { echo "# no $ko (check-debug.sh builds it)"; exit 1; }
insmod "$ko" splat="$kind" || exit 1
rmmod ltun_canary || exit 1
# kmemleak reports an object only once it is 5 s old.
[ "$kind" != kmemleak ] || sleep 6
exit 0
