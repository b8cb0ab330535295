# ipcd: plain make + pkg-config.  `make help` lists the targets.

VERSION	= 0.1.0
PREFIX	?= /usr/local
# SANITIZE=1 builds into a directory of its own: objects never mix.
BUILD	?= $(if $(filter 1,$(SANITIZE)),build-san,build)

CC	?= cc
OBJCOPY	?= objcopy
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	  -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
ifeq ($(SANITIZE),1)
# ASan + UBSan; undefined behaviour stops the program (no recovery), and so
# does any error: the tests see a dead process, not a line in a log.
SAN	= -fsanitize=address,undefined,float-cast-overflow \
	  -fno-sanitize-recover=undefined,float-cast-overflow
CFLAGS	+= $(SAN) -fno-omit-frame-pointer
LDFLAGS	+= $(SAN)
SAN_FATAL = abort_on_error=1:halt_on_error=1:print_summary=1
export ASAN_OPTIONS ?= $(SAN_FATAL):detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS ?= $(SAN_FATAL):print_stacktrace=1
endif

# Deferred (=) so that `make check` can install the packages first.
PKGS		= libevent libsystemd inih
PKG_CFLAGS	= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	= $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DIPCD_VERSION='"$(VERSION)"' \
	     -Icommon -Idaemon -Iclient $(WARN) $(PKG_CFLAGS) $(CFLAGS)

COMMON	= common/accum.c common/conf.c common/conf_defaults.c common/log.c common/proto.c \
	  common/shm.c common/shm_bell.c common/shm_guard.c common/util.c \
	  common/crc32.c common/xmalloc.c common/linebuf.c common/rundir.c \
	  common/netaddr.c common/token.c common/sysvkey.c
DAEMON	= daemon/ipcd.c daemon/server.c daemon/intake.c daemon/transports.c daemon/store.c daemon/siphash.c \
	  daemon/stream.c daemon/ctl.c daemon/ctl_keys.c daemon/node.c daemon/systemd.c \
	  daemon/tr_unix.c daemon/tr_fifo.c daemon/tr_mq.c daemon/tr_shm.c \
	  daemon/tr_tcp.c daemon/tcp_auth.c daemon/listen.c daemon/tr_sysv.c daemon/sysv_recv.c \
	  daemon/shm_lease.c daemon/shm_file.c daemon/state.c daemon/state_file.c \
	  daemon/state_load.c daemon/statefmt.c daemon/spoolid.c \
	  daemon/tr_spool.c daemon/spool_file.c daemon/spool_reject.c \
	  daemon/metrics.c daemon/expire.c daemon/export.c daemon/http.c \
	  daemon/http_accept.c
# The senders, one file per transport (client/send.h).
CLIENT_TX = client/send.c client/tx_unix.c client/tx_fifo.c client/tx_mq.c \
	  client/tx_shm.c client/tx_tcp.c client/tx_sysv.c client/tx_spool.c
# libipcd (client/ipcd.h, libipcd(3)): the senders, the socket and the
# parts of common/ they need, built position-independent into $(PIC)/.
LIB	= client/lib.c client/lib_ask.c client/conn.c client/reply.c \
	  $(CLIENT_TX) common/conf.c common/conf_defaults.c common/proto.c \
	  common/shm.c common/shm_bell.c common/shm_guard.c common/util.c common/xmalloc.c \
	  common/linebuf.c common/rundir.c common/netaddr.c common/token.c \
	  common/sysvkey.c
LIB_SO	= libipcd.so.0.1.0
# ipcctl: its commands over the library's objects (all of their symbols,
# not only the exported ones).
CLIENT	= client/ipcctl.c client/submit.c client/cmds.c client/print.c client/pi.c \
	  client/run.c client/run_cmd.c
# ipcctl needs inih alone: no libevent, no libsystemd (tests/t_client.sh).
CLIENT_LIBS	= $(shell pkg-config --libs inih 2>/dev/null)
# ipcctl starts once per value in shell scripts, and every shared library
# it loads costs at each start: --as-needed drops libm (pi.c's sqrt is an
# instruction), so that ipcctl loads libc and inih alone.  inih stays
# shared, so that a fix to it reaches ipcctl without a rebuild.
IPCCTL_LIBS	= -Wl,--as-needed $(CLIENT_LIBS)
UNITS	= tests/unit/test_accum.c tests/unit/test_proto.c \
	  tests/unit/test_conf.c tests/unit/test_store.c tests/unit/test_crc32.c \
	  tests/unit/test_shm.c tests/unit/test_netaddr.c \
	  tests/unit/test_spoolid.c tests/unit/test_duration.c \
	  tests/unit/test_metrics.c

# The submitter's side of shared memory and what it needs, for the tools
# and tests that link it without the rest of common/.
SHM_SRC	= common/shm.c common/shm_bell.c common/shm_guard.c common/util.c \
	  common/xmalloc.c

obj	= $(patsubst %.c,$(BUILD)/%.o,$(1))
PIC	= $(BUILD)/pic
LIB_OBJS = $(patsubst %.c,$(PIC)/%.o,$(LIB))

# Debian 12 packages needed to build and to run every test.
DEB_PKGS = gcc make pkg-config libevent-dev libsystemd-dev libinih-dev \
	   mandoc procps psmisc strace valgrind clang libclang-rt-14-dev \
	   gnuplot-nox systemd-container iproute2 python3 prometheus \
	   prometheus-node-exporter curl $(DEB_BUILD_PKGS) $(BENCH_PKGS)
# For `make bench` alone: the one-shot row's redis-cli beside ipcctl
# (tests/bench/oneshot.sh; without them that row says so).
BENCH_PKGS = redis-server redis-tools

.PHONY: all lib check deps demo deb clean help test unit fuzz fuzz-build bench \
	install uninstall units FORCE

all: $(BUILD)/ipcd $(BUILD)/ipcctl units lib

lib: $(BUILD)/$(LIB_SO) $(BUILD)/libipcd.so.0 $(BUILD)/libipcd.so \
	$(BUILD)/libipcd.a $(BUILD)/ipcd.pc

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/ipcd: $(call obj,$(DAEMON) $(COMMON))
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(BUILD)/ipcctl: $(call obj,$(CLIENT)) $(PIC)/libipcd-all.a
	$(CC) $(LDFLAGS) -o $@ $^ $(IPCCTL_LIBS) -lm
# sqrt without errno: inline, no call into libm.
$(BUILD)/client/pi.o: CFLAGS += -fno-math-errno

# Hidden by default: only what lib.h marks IPCD_EXPORT leaves the library,
# and the version script says the same (nm -D shows ipcd_* alone).
$(PIC)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<
$(BUILD)/$(LIB_SO): $(LIB_OBJS) client/libipcd.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libipcd.so.0 \
	    -Wl,--version-script=client/libipcd.map -Wl,-z,defs \
	    -o $@ $(LIB_OBJS) $(CLIENT_LIBS) -lm
$(BUILD)/libipcd.so.0 $(BUILD)/libipcd.so: $(BUILD)/$(LIB_SO)
	ln -sf $(LIB_SO) $@
# The static library is one object whose internal symbols are made local,
# so that a program linking it cannot collide with (or call) them;
# ipcctl links every symbol of the same objects from libipcd-all.a.
$(BUILD)/libipcd.a: $(LIB_OBJS)
	$(LD) -r -o $(PIC)/libipcd.o $(LIB_OBJS)
	$(OBJCOPY) --localize-hidden $(PIC)/libipcd.o
	rm -f $@
	$(AR) rcs $@ $(PIC)/libipcd.o
$(PIC)/libipcd-all.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)
# The pkg-config file, with the installation paths filled in; remade when
# a path changes.
$(BUILD)/ipcd.pc: client/ipcd.pc.in $(BUILD)/pc.stamp
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    $< >$@
$(BUILD)/pc.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || \
	    echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' >$@

# Unit tests link the pure parts they test.
$(BUILD)/tests/test_accum: $(call obj,tests/unit/test_accum.c common/xmalloc.c) $(BUILD)/tests/accum_n7.o
$(BUILD)/tests/accum_n7.o: common/accum.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DACCUM_NORMALIZE_EVERY=7 -c -o $@ $<
$(BUILD)/tests/test_proto: $(call obj,tests/unit/test_proto.c common/proto.c $(SHM_SRC))
$(BUILD)/tests/test_conf: $(call obj,tests/unit/test_conf.c common/conf.c common/conf_defaults.c common/netaddr.c common/sysvkey.c common/util.c common/xmalloc.c)
$(BUILD)/tests/test_netaddr: $(call obj,tests/unit/test_netaddr.c common/netaddr.c common/token.c common/util.c common/xmalloc.c)
$(BUILD)/tests/test_store: $(call obj,tests/unit/test_store.c daemon/store.c \
	daemon/siphash.c common/accum.c common/proto.c common/xmalloc.c \
	common/log.c)
$(BUILD)/tests/test_metrics: $(call obj,tests/unit/test_metrics.c \
	daemon/metrics.c daemon/store.c daemon/siphash.c common/accum.c \
	common/proto.c common/xmalloc.c common/log.c)
$(BUILD)/tests/test_spoolid: $(call obj,tests/unit/test_spoolid.c daemon/spoolid.c common/xmalloc.c)
$(BUILD)/tests/test_crc32: $(call obj,tests/unit/test_crc32.c common/crc32.c)
$(BUILD)/tests/test_duration: $(call obj,tests/unit/test_duration.c common/util.c common/xmalloc.c)
$(BUILD)/tests/test_shm: $(call obj,tests/unit/test_shm.c $(SHM_SRC) common/proto.c)
$(BUILD)/tests/test_%:
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(BUILD)/tests/rawipc: $(call obj,tests/tools/rawipc.c $(SHM_SRC) common/proto.c common/sysvkey.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/holdconns: $(call obj,tests/tools/holdconns.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/pingmax: $(call obj,tests/tools/pingmax.c)
	$(CC) $(LDFLAGS) -o $@ $^

# LD_PRELOAD shims (tests/t_state.sh, tests/t_oom.sh); no sanitizer: they
# load into ipcd, whose own sanitizer runtime must come first.
$(BUILD)/tests/%.so: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

# The side-by-side benchmark (tests/bench/README.md): ipcd against bare
# consumers of the same load.  `make bench` takes a few minutes.
$(BUILD)/bench/bench: $(call obj,tests/bench/bench.c $(CLIENT_TX) client/conn.c \
	    client/reply.c $(COMMON))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CLIENT_LIBS) -lpthread -lm

# Its side programs (tests/bench/side.h): Redis beside ipcd, and how
# ipcd's costs grow with keys and clients.
BENCH_SIDE = tests/bench/side.c $(CLIENT_TX) client/conn.c client/reply.c \
	     $(COMMON)
$(BUILD)/bench/redis: $(call obj,tests/bench/redis.c $(BENCH_SIDE))
	$(CC) $(LDFLAGS) -o $@ $^ $(CLIENT_LIBS) -lpthread -lm
$(BUILD)/bench/curves: $(call obj,tests/bench/curves.c $(BENCH_SIDE))
	$(CC) $(LDFLAGS) -o $@ $^ $(CLIENT_LIBS) -lpthread -lm

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/bench \
	    $(BUILD)/bench/redis $(BUILD)/bench/curves $(BUILD)/tests/rawipc
	@sh tests/bench/run.sh $(BUILD)

TEST_BINS = $(BUILD)/bench/bench $(BUILD)/bench/redis $(BUILD)/bench/curves \
	    $(BUILD)/tests/holdconns \
	    $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNITS)) \
	    $(BUILD)/tests/rawipc $(BUILD)/tests/pingmax $(BUILD)/tests/failread.so \
	    $(BUILD)/tests/failalloc.so

ifeq ($(SANITIZE),1)
# LeakSanitizer checks ipcd, ipcctl and the unit tests at exit.  Not the
# test tools, which exit without freeing by design (and 60 of them doing
# a leak check at once outlast the timing of t_limits.sh): no check at
# their exit.
NOLSAN	= $(BUILD)/tests/nolsan.o
$(BUILD)/tests/rawipc $(BUILD)/tests/holdconns $(BUILD)/tests/pingmax: $(NOLSAN)
$(NOLSAN):
	@mkdir -p $(dir $@)
	echo 'int __lsan_is_turned_off(void); int __lsan_is_turned_off(void) { return 1; }' | \
	    $(CC) -x c -c -o $@ -
endif

# libFuzzer targets (tests/fuzz/), built with clang into $(FUZZ)/, apart
# from the gcc objects.  `make fuzz` runs each for FUZZ_SECONDS on the seeds
# of tests/fuzz/corpus/ (what it finds new is kept in $(FUZZ)/corpus/);
# `make check` runs each for 10 s (tests/t_fuzz.sh).
FUZZ_CC		= clang
FUZZ_SECONDS	= 60
FUZZ		= $(BUILD)/fuzz
FUZZ_TARGETS	= fuzz_record fuzz_conf fuzz_state fuzz_format
FUZZ_SAN	= -fsanitize=fuzzer,address,undefined,float-cast-overflow \
		  -fno-sanitize-recover=undefined,float-cast-overflow
FUZZ_CFLAGS	= -std=c11 -D_GNU_SOURCE -Icommon -Idaemon $(WARN) $(PKG_CFLAGS) \
		  -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
fobj	= $(patsubst %.c,$(FUZZ)/%.o,$(1))

$(FUZZ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ)/fuzz_record: $(call fobj,tests/fuzz/fuzz_record.c common/proto.c $(SHM_SRC))
$(FUZZ)/fuzz_format: $(call fobj,tests/fuzz/fuzz_format.c common/proto.c)
$(FUZZ)/fuzz_conf: $(call fobj,tests/fuzz/fuzz_conf.c common/conf.c common/conf_defaults.c common/netaddr.c common/sysvkey.c common/util.c common/xmalloc.c)
$(FUZZ)/fuzz_state: $(call fobj,tests/fuzz/fuzz_state.c daemon/state_load.c \
	daemon/statefmt.c daemon/spoolid.c daemon/store.c daemon/siphash.c common/accum.c \
	common/proto.c common/crc32.c common/util.c common/xmalloc.c \
	common/log.c)
$(FUZZ)/fuzz_%:
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(PKG_LIBS) -lm

fuzz-build: $(addprefix $(FUZZ)/,$(FUZZ_TARGETS))

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_DIR=$(FUZZ) \
	    sh tests/t_fuzz.sh

# The README's test command: install what is missing, build, run all.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory test

test: all $(TEST_BINS)
	@sh tests/run.sh $(BUILD)

deps:
	@sh tests/deps.sh $(DEB_PKGS)

# The product on its embedded defaults, and the reference job over every
# transport.
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)

# Installation.  DESTDIR is prepended to every path; the units and the
# man pages name the installed paths, without it.
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
# Read-only data: the Prometheus rules (conf/prometheus/), which a
# prometheus.yml names where they are installed.
DATADIR		?= $(PREFIX)/share
SYSCONFDIR	?= /etc
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR	?= $(PREFIX)/lib/tmpfiles.d
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
# The Python module's package directory: where Debian's python3 looks for
# what is installed under PREFIX (/usr/local/lib/python3.X/dist-packages;
# the Debian package sets /usr/lib/python3/dist-packages).
PYTHON		?= python3
PYTHONDIR	?= $(PREFIX)/lib/python$(shell $(PYTHON) -c \
		   'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages
PYTHON_MODULE	= $(wildcard client/python/ipcd/*.py)
INSTALL		?= install
SYSTEMD_UNITS	= ipcd.service ipcd.socket ipcd-fifo.socket ipcd-mq.socket \
		  ipcd-tcp.socket ipcd-http.socket
MANPAGES	= man/ipcd.8 man/ipcctl.1 man/ipcd.conf.5
PROM_RULES	= conf/prometheus/ipcd.rules.yml conf/prometheus/ipcd.alerts.yml

# systemd/*.in with the installation paths filled in; remade when a path
# changes (the stamp is rewritten only then).
units: $(addprefix $(BUILD)/systemd/,$(SYSTEMD_UNITS))
$(BUILD)/systemd/%: systemd/%.in $(BUILD)/systemd/paths.stamp
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@
$(BUILD)/systemd/paths.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BINDIR) $(SBINDIR) $(SYSCONFDIR)' | cmp -s - $@ || \
	    echo '$(BINDIR) $(SBINDIR) $(SYSCONFDIR)' >$@
FORCE:

# An existing configuration file is never overwritten.
install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/ipcd $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(BUILD)/ipcd $(DESTDIR)$(SBINDIR)/ipcd
	$(INSTALL) -m 755 $(BUILD)/ipcctl $(DESTDIR)$(BINDIR)/ipcctl
	$(INSTALL) -m 644 man/ipcd.8 $(DESTDIR)$(MANDIR)/man8/ipcd.8
	$(INSTALL) -m 644 man/ipcctl.1 $(DESTDIR)$(MANDIR)/man1/ipcctl.1
	$(INSTALL) -m 644 man/ipcd.conf.5 $(DESTDIR)$(MANDIR)/man5/ipcd.conf.5
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)/ipcd/prometheus
	$(INSTALL) -m 644 man/ipcd-prometheus.7 $(DESTDIR)$(MANDIR)/man7/ipcd-prometheus.7
	$(INSTALL) -m 644 $(PROM_RULES) $(DESTDIR)$(DATADIR)/ipcd/prometheus/
	$(INSTALL) -m 644 $(addprefix $(BUILD)/systemd/,$(SYSTEMD_UNITS)) \
	    $(DESTDIR)$(UNITDIR)/
	$(INSTALL) -m 644 systemd/ipcd.sysusers $(DESTDIR)$(SYSUSERSDIR)/ipcd.conf
	$(INSTALL) -m 644 systemd/ipcd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/ipcd.conf
	$(INSTALL) -m 644 client/ipcctl.bash $(DESTDIR)$(BASHCOMPDIR)/ipcctl
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 644 $(BUILD)/$(LIB_SO) $(DESTDIR)$(LIBDIR)/$(LIB_SO)
	ln -sf $(LIB_SO) $(DESTDIR)$(LIBDIR)/libipcd.so.0
	ln -sf $(LIB_SO) $(DESTDIR)$(LIBDIR)/libipcd.so
	$(INSTALL) -m 644 $(BUILD)/libipcd.a $(DESTDIR)$(LIBDIR)/libipcd.a
	$(INSTALL) -m 644 client/ipcd.h $(DESTDIR)$(INCLUDEDIR)/ipcd.h
	$(INSTALL) -m 644 $(BUILD)/ipcd.pc $(DESTDIR)$(PKGCONFIGDIR)/ipcd.pc
	$(INSTALL) -m 644 man/libipcd.3 $(DESTDIR)$(MANDIR)/man3/libipcd.3
	$(INSTALL) -d $(DESTDIR)$(PYTHONDIR)/ipcd
	$(INSTALL) -m 644 $(PYTHON_MODULE) $(DESTDIR)$(PYTHONDIR)/ipcd/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf ]; then \
	    echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf"; \
	else \
	    echo "$(INSTALL) -m 644 conf/ipcd.conf $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf"; \
	    $(INSTALL) -m 644 conf/ipcd.conf $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf; \
	fi
	@[ -n "$(DESTDIR)" ] || echo "next: systemd-sysusers; systemd-tmpfiles --create;" \
	    "systemctl daemon-reload;" \
	    "systemctl enable --now ipcd.socket"

# The configuration file goes only if it is still the example.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ipcd $(DESTDIR)$(BINDIR)/ipcctl \
	    $(DESTDIR)$(MANDIR)/man8/ipcd.8 $(DESTDIR)$(MANDIR)/man1/ipcctl.1 \
	    $(DESTDIR)$(MANDIR)/man5/ipcd.conf.5 \
	    $(DESTDIR)$(MANDIR)/man7/ipcd-prometheus.7 \
	    $(addprefix $(DESTDIR)$(DATADIR)/ipcd/prometheus/,$(notdir $(PROM_RULES))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(SYSTEMD_UNITS)) \
	    $(DESTDIR)$(SYSUSERSDIR)/ipcd.conf $(DESTDIR)$(TMPFILESDIR)/ipcd.conf \
	    $(DESTDIR)$(BASHCOMPDIR)/ipcctl \
	    $(addprefix $(DESTDIR)$(LIBDIR)/,$(LIB_SO) libipcd.so.0 \
	    libipcd.so libipcd.a) $(DESTDIR)$(INCLUDEDIR)/ipcd.h \
	    $(DESTDIR)$(PKGCONFIGDIR)/ipcd.pc $(DESTDIR)$(MANDIR)/man3/libipcd.3 \
	    $(addprefix $(DESTDIR)$(PYTHONDIR)/ipcd/,$(notdir $(PYTHON_MODULE)))
	rm -rf $(DESTDIR)$(PYTHONDIR)/ipcd/__pycache__
	rmdir $(DESTDIR)$(PYTHONDIR)/ipcd 2>/dev/null || :
	rmdir $(DESTDIR)$(DATADIR)/ipcd/prometheus $(DESTDIR)$(DATADIR)/ipcd \
	    2>/dev/null || :
	@if cmp -s conf/ipcd.conf $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf; then \
	    echo "rm -f $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf"; \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf; \
	    rmdir $(DESTDIR)$(SYSCONFDIR)/ipcd 2>/dev/null || :; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf ]; then \
	    echo "keeping the changed $(DESTDIR)$(SYSCONFDIR)/ipcd/ipcd.conf"; \
	fi

# Debian packages (debian/): dpkg-buildpackage in a copy of the tree,
# without build/, build-san/ and .git, in $(DEB_DIR)/ipcd-$(VERSION)/; the
# .deb, .buildinfo and .changes files are left in $(DEB_DIR)/ and checked
# by lintian (an error or a warning fails; debian/ipcd.lintian-overrides
# says why the information tags shown are left).
DEB_DIR		= build/deb
DEB_BUILD_PKGS	= dpkg-dev debhelper dh-python fakeroot lintian pkg-config \
		  libevent-dev libsystemd-dev libinih-dev python3
deb:
	@sh tests/deps.sh $(DEB_BUILD_PKGS)
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/ipcd-$(VERSION)
	tar -c --exclude=./build --exclude=./build-san --exclude=./.git . | \
	    tar -x -C $(DEB_DIR)/ipcd-$(VERSION)
	cd $(DEB_DIR)/ipcd-$(VERSION) && dpkg-buildpackage -us -uc -b -j2
	rm -rf $(DEB_DIR)/ipcd-$(VERSION)
	lintian --display-info --pedantic --fail-on error,warning \
	    $(DEB_DIR)/*.changes
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf $(BUILD)

help:
	@echo "make          build $(BUILD)/ipcd, $(BUILD)/ipcctl and libipcd"
	@echo "make lib      build libipcd ($(BUILD)/$(LIB_SO), .a, ipcd.pc; libipcd(3))"
	@echo "make check    install missing packages, build, run every test"
	@echo "make demo     run ipcd on its defaults and the pi job over every mechanism, timed"
	@echo "make deps     install the Debian packages needed (apt-get, sudo if not root)"
	@echo "make clean    remove $(BUILD)/"
	@echo "make install  PREFIX=$(PREFIX) (and DESTDIR, SYSCONFDIR=$(SYSCONFDIR), UNITDIR,"
	@echo "              SYSUSERSDIR, TMPFILESDIR, LIBDIR, INCLUDEDIR, PKGCONFIGDIR, DATADIR,"
	@echo "              PYTHONDIR, BASHCOMPDIR); make uninstall reverses it"
	@echo "make deb      the Debian packages, into $(DEB_DIR)/ (apt install ./$(DEB_DIR)/ipcd_*.deb)"
	@echo "make bench    ipcd against bare consumers and Redis; its curves (build/bench/)"
	@echo "make fuzz     build the libFuzzer targets (clang) and run each FUZZ_SECONDS"
	@echo "options: WERROR=1 (warnings are errors), SANITIZE=1 (ASan+UBSan,"
	@echo "         into build-san/), FUZZ_SECONDS=60"

# (not in the copy of the tree that make deb builds)
-include $(shell find $(BUILD) -path $(DEB_DIR) -prune -o -name '*.d' -type f -print \
    2>/dev/null)
