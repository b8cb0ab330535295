# ipcd: plain make + pkg-config.  `make help` lists the targets.

VERSION	= 0.1.0
PREFIX	?= /usr/local
BUILD	?= build

CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	  -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=address,undefined
endif

# Deferred (=) so that `make check` can install the packages first.
PKGS		= libevent libsystemd inih
PKG_CFLAGS	= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	= $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DIPCD_VERSION='"$(VERSION)"' \
	     -Icommon -Idaemon -Iclient $(WARN) $(PKG_CFLAGS) $(CFLAGS)

COMMON	= common/accum.c common/conf.c common/log.c common/proto.c \
	  common/shm.c common/systemd.c common/util.c common/crc32.c
DAEMON	= daemon/ipcd.c daemon/server.c daemon/store.c daemon/linebuf.c \
	  daemon/node.c daemon/tr_unix.c daemon/tr_fifo.c daemon/tr_mq.c \
	  daemon/tr_shm.c daemon/state.c
CLIENT	= client/ipcctl.c client/conn.c client/send.c client/pi.c
UNITS	= tests/unit/test_accum.c tests/unit/test_proto.c \
	  tests/unit/test_conf.c tests/unit/test_store.c

obj	= $(patsubst %.c,$(BUILD)/%.o,$(1))

# Debian 12 packages needed to build and to run every test.
DEB_PKGS = gcc make pkg-config libevent-dev libsystemd-dev libinih-dev \
	   mandoc procps psmisc strace

.PHONY: all check deps demo clean help test unit

all: $(BUILD)/ipcd $(BUILD)/ipcctl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/ipcd: $(call obj,$(DAEMON) $(COMMON))
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

$(BUILD)/ipcctl: $(call obj,$(CLIENT) $(COMMON))
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Unit tests link the pure parts they test.
$(BUILD)/tests/test_accum: $(call obj,tests/unit/test_accum.c) $(BUILD)/tests/accum_n7.o
$(BUILD)/tests/accum_n7.o: common/accum.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DACCUM_NORMALIZE_EVERY=7 -c -o $@ $<
$(BUILD)/tests/test_proto: $(call obj,tests/unit/test_proto.c common/proto.c common/shm.c)
$(BUILD)/tests/test_conf: $(call obj,tests/unit/test_conf.c common/conf.c common/util.c)
$(BUILD)/tests/test_store: $(call obj,tests/unit/test_store.c daemon/store.c common/accum.c common/proto.c)
$(BUILD)/tests/test_%:
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/rawipc: $(call obj,tests/tools/rawipc.c common/shm.c common/proto.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/holdconns: $(call obj,tests/tools/holdconns.c)
	$(CC) $(LDFLAGS) -o $@ $^

TEST_BINS = $(BUILD)/tests/holdconns \
	    $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNITS)) \
	    $(BUILD)/tests/rawipc

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

clean:
	rm -rf $(BUILD)

help:
	@echo "make          build $(BUILD)/ipcd and $(BUILD)/ipcctl"
	@echo "make check    install missing packages, build, run every test"
	@echo "make demo     run ipcd on its defaults and the pi job over each transport"
	@echo "make deps     install the Debian packages needed (apt-get, sudo if not root)"
	@echo "make clean    remove $(BUILD)/"
	@echo "options: WERROR=1 (warnings are errors), SANITIZE=1 (ASan+UBSan)"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
