# SPDX-License-Identifier: GPL-2.0
#
# ltun top-level build.
#
#   make                 module (for KVER/KDIR), ltunctl, selftests
#   make check           build, then run the selftests in a VM for every kernel
#                        that has both an image in /boot and headers (KVERS=...)
#   make demo            a TLS tunnel between two namespaces, in a VM
#   make install         module (to /lib/modules/KVER/extra) and ltunctl
#                        (DESTDIR=dir stages them for packaging)
#   make lint            checkpatch --strict, sparse, W=1 on the module, for
#                        every kernel in KVERS
#   make dkms-check      dkms add + build for every kernel (KVERS=...)
#   make install-check   make install into a staging dir, for every kernel
#   make check-debug     build (once, cached in build/debug-kernel) a small
#                        debug kernel (KASAN, lockdep, kmemleak...) from
#                        Debian's linux-source and run the selftests on it
#   make fuzz            run every libFuzzer target for FUZZ_SECONDS each
#   make bench           the benchmark (bench/README) in a VM, newest kernel
#                        by default (KVERS=... to choose); not part of check

# Kernel selection: the running kernel if it has a build dir, else the newest
# installed headers.
newest_kver = $(shell ls -d /lib/modules/*/build 2>/dev/null | \
		sed 's|/lib/modules/||;s|/build||' | sort -V | tail -n 1)
ifeq ($(KDIR),)
  ifeq ($(KVER),)
    KVER := $(shell uname -r)
    ifeq ($(wildcard /lib/modules/$(KVER)/build),)
      KVER := $(newest_kver)
      $(info ltun: running kernel has no headers, building for $(KVER))
    endif
  endif
  KDIR := /lib/modules/$(KVER)/build
else
  ifeq ($(KVER),)
    KVER := $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null)
  endif
endif

# Every kernel we can both build for and boot (make check runs them all).
KVERS ?= $(shell for d in /lib/modules/*/build; do \
		v=$$(basename $$(dirname $$d)); \
		[ -e /boot/vmlinuz-$$v ] && echo $$v; done | sort -V)

BUILD    := $(CURDIR)/build
MODBUILD := $(BUILD)/$(KVER)
PREFIX   ?= /usr/local

.PHONY: all module userspace selftests check check-debug fuzz demo install clean lint bench dkms-check install-check

all: module userspace selftests

# kbuild writes objects next to the sources, so each kernel gets a shadow tree
# of symlinks under build/KVER and several kernels can be built side by side.
module:
	@test -d $(KDIR) || { echo "ltun: no kernel build dir $(KDIR) (install linux-headers-$(KVER))" >&2; exit 1; }
	@mkdir -p $(MODBUILD)/kmod $(MODBUILD)/uapi/linux
	@for f in $(CURDIR)/kmod/* $(CURDIR)/uapi/linux/* $(CURDIR)/Kbuild; do \
		rel=$${f#$(CURDIR)/}; ln -sfn $$f $(MODBUILD)/$$rel; done
	$(MAKE) -C $(KDIR) M=$(MODBUILD) $(if $(W),W=$(W)) $(if $(C),C=$(C)) modules
	@echo "ltun: built $(MODBUILD)/kmod/ltun.ko for $(KVER)"

userspace:
	$(MAKE) -C userspace

selftests:
	$(MAKE) -C selftests

check: userspace selftests
	$(MAKE) -C userspace test
	@test -n "$(KVERS)" || { echo "ltun: no kernel with both /boot/vmlinuz-* and headers" >&2; exit 1; }
	@for v in $(KVERS); do $(MAKE) --no-print-directory module KVER=$$v KDIR=/lib/modules/$$v/build || exit 1; done
	selftests/vm/check.sh $(KVERS)

# The debug kernel is built once and cached; the script rebuilds it when its
# config fragment or the linux-source package changes.
check-debug: userspace selftests
	selftests/vm/check-debug.sh

FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) -C selftests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# One VM per kernel; by default only the newest one (a full run takes
# ~40-45 min). KVERS="A B" on the command line picks kernels; BENCH_SECONDS,
# BENCH_REPEAT... (bench/README) go through the environment, BENCH_ARGS=--json
# prints JSON instead of the table.
BENCH_KVERS := $(if $(filter file,$(origin KVERS)),$(lastword $(KVERS)),$(KVERS))
bench: userspace selftests
	@test -n "$(BENCH_KVERS)" || { echo "ltun: no kernel with both /boot/vmlinuz-* and headers" >&2; exit 1; }
	@for v in $(BENCH_KVERS); do $(MAKE) --no-print-directory module KVER=$$v KDIR=/lib/modules/$$v/build || exit 1; done
	$(MAKE) -C bench
	bench/bench.sh $(BENCH_ARGS) $(BENCH_KVERS)

demo: userspace selftests module
	selftests/vm/run-vm.sh --kver $(KVER) -- $(CURDIR)/selftests/demo.sh

# DESTDIR stages everything under a directory (for packaging).
install: module userspace
	$(MAKE) -C $(KDIR) M=$(MODBUILD) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)
	$(MAKE) -C userspace install PREFIX=$(PREFIX) $(if $(DESTDIR),DESTDIR=$(DESTDIR))

lint:
	@for v in $(KVERS); do selftests/lint.sh $$v || exit 1; done

# dkms add + build from this tree for every kernel, in throw-away dkms trees.
dkms-check:
	selftests/dkms-build.sh $(KVERS)

# make install into a staging directory, for every kernel.
install-check:
	selftests/install-check.sh $(KVERS)

clean:
	rm -rf $(BUILD)
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	$(MAKE) -C bench clean
