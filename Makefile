# SPDX-License-Identifier: GPL-2.0
#
# aiodev: build the module (against KDIR), the userspace tools and the
# selftests; run the tests in test VMs.  See README.md.

# The kernel tree to build the module against: the newest installed Debian
# 6.12 headers unless given, e.g. KDIR=/lib/modules/$(uname -r)/build.
KDIR ?= $(shell ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sort -V | tail -n 1)
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
# The module is built out of tree in build/KREL, one directory per kernel.
MODDIR = $(CURDIR)/build/$(KREL)

# make install: aiobench and the man pages under PREFIX, the module under
# /lib/modules; all of it below DESTDIR if given (a staging tree).
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
INSTALL_MOD_PATH ?= $(DESTDIR)

.PHONY: all module userspace selftests check soak demo bench install modules_install \
	man_install clean

all: module userspace selftests

module:
	@test -n "$(KREL)" || { echo "KDIR=$(KDIR): no kernel tree there" >&2; exit 1; }
	@mkdir -p $(MODDIR)/module
	@ln -sfn $(CURDIR)/Kbuild $(MODDIR)/Kbuild
	@ln -sfn $(CURDIR)/include $(MODDIR)/include
	@ln -sf $(addprefix $(CURDIR)/,$(wildcard module/*.[ch])) $(MODDIR)/module/
	@$(MAKE) -s $(MODDIR)/module/aiodev_probed.h
	@sed -n 's|^/\* \(aiodev compat .*\) \*/$$|\1|p' $(MODDIR)/module/aiodev_probed.h
	$(MAKE) -C $(KDIR) M=$(MODDIR) modules

# Which form of each kernel API KDIR has, from compile tests (the module
# target prints them); again when KDIR changes.
$(MODDIR)/module/aiodev_probed.h: scripts/compat-probe $(KDIR)/include/generated/autoconf.h
	scripts/compat-probe $(KDIR) $@

userspace:
	$(MAKE) -C userspace

selftests:
	$(MAKE) -C selftests

# Runs the whole suite: host-side tests, then the selftests in a VM on each
# test kernel (Debian 6.1 and 6.12, Linux 7.x and the debug kernel).
check:
	@scripts/install-deps
	@scripts/check

# The long torture run (build/soak/), on the debug kernel unless KERNEL=
# says otherwise: make soak DURATION=30m [KERNEL=6.12] [SEED=N].
DURATION ?= 30m
KERNEL ?= debug
soak:
	@scripts/install-deps
	@SEED=$(SEED) scripts/soak $(DURATION) $(KERNEL)

# The main job: async vs blocking on aiodev in the test VM (build/demo/).
demo:
	@scripts/demo

# aiodev side by side with fio, /dev/zero, /dev/null and null_blk (build/bench/).
bench:
	@scripts/bench

# Debian's headers have no System.map, so kbuild skips depmod: run it here.
modules_install: module
	$(MAKE) -C $(KDIR) M=$(MODDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)

install: modules_install man_install
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# aiobench(1) and aiodev(4).
man_install:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man4
	install -m 644 man/aiobench.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/aiodev.4 $(DESTDIR)$(MANDIR)/man4

clean:
	rm -rf build
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
