# shrinktrace - plain Makefile.  `make` builds build/shrinktrace, `make check`
# runs every test, `make install` puts the binary in $(PREFIX)/sbin and the man page,
# systemd unit and docs beside it, `make deb` builds the Debian package.
# Build dependencies (Debian 12): clang libbpf-dev bpftool libelf-dev zlib1g-dev
# libjson-c-dev pkg-config libmicrohttpd-dev; tests also need libcmocka-dev, the package
# debhelper and lintian.  `make deps` (tools/install-deps.sh) installs them all.

PREFIX   ?= /usr/local
BUILD    ?= build
# make's built-in default CC is "cc": `CC ?= gcc` would never apply.
ifeq ($(origin CC),default)
CC       := gcc
endif
CLANG    ?= clang
BPFTOOL  ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
# The kernel types of bpf/shrinker_types.h (struct pt_regs, LIST_POISON2) are
# x86-64's: other architectures are refused here rather than traced wrongly.
UNAME_M  := $(shell uname -m)
ifneq ($(UNAME_M),x86_64)
$(error shrinktrace supports x86_64 only (this is $(UNAME_M)): bpf/shrinker_types.h declares x86-64's struct pt_regs)
endif
ARCH     := x86

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	    -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Ibpf -Iuser -I$(BUILD) -MMD -MP
# WERROR=1 (CI): every warning is an error.
ifneq ($(WERROR),)
CFLAGS   += -Werror
BPF_WERROR := -Werror
endif
LDLIBS   += -lbpf -lelf -lz -ljson-c -lmicrohttpd -lpthread -lm
# The sanitizer build of `make check` (BUILD=$(BUILD)/asan ST_SAN=1, same rules):
# -O1 and no FORTIFY (its __*_chk wrappers hide accesses from ASan).
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifneq ($(ST_SAN),)
CFLAGS   += -O1 -U_FORTIFY_SOURCE $(SAN_FLAGS)
endif
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wno-unused-function $(BPF_WERROR) \
	      -I/usr/include/$(shell uname -m)-linux-gnu -Ibpf

# user/: front (CLI, subcommands), kernel (loader), engine (correlator, statistics),
# log (record, reader, writer, redaction, output files), sinks (outputs), lib.
USER_SRCS := $(sort $(wildcard user/*/*.c))
USER_HDRS := $(sort $(wildcard user/*/*.h))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/user/front/main.o,$(USER_OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPF_OBJ   := $(BUILD)/shrinktrace.bpf.o
SKEL      := $(BUILD)/shrinktrace.skel.h
FUZZ_SECONDS ?= 60
# the replay path's code: everything but the CLI entry, the tracer and the BPF loader
# (libbpf); built with ST_NO_HTTP, as `make static` is, so that every sink of the table
# (sinks/registry.c) links without libmicrohttpd
FUZZ_SRCS := $(filter-out user/front/main.c user/front/trace.c user/kernel/loader.c,$(USER_SRCS))
# fuzz_replay: reader -> correlator -> writer, stats, CSV/Perfetto sinks;
# fuzz_convert: `shrinktrace redact` and the CSV conversion (issue 15.7)
FUZZ_BIN  := $(BUILD)/fuzz/fuzz_replay
FUZZ_BINS := $(FUZZ_BIN) $(BUILD)/fuzz/fuzz_convert

.PHONY: all clean install uninstall check unit-test replay-test live-test deps static bench demo lab-test
.PHONY: asan fuzz
.DELETE_ON_ERROR:

all: $(BUILD)/shrinktrace $(BUILD)/shrinkstress

$(BPF_OBJ): bpf/shrinktrace.bpf.c $(wildcard bpf/*.h) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name shrinktrace_bpf > $@

# Header dependencies come from -MMD (the .d files); the skeleton is generated
# before any object so that the first build finds it.
$(BUILD)/user/%.o: user/%.c $(SKEL) | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

-include $(USER_OBJS:.o=.d) $(UNIT_BINS:=.d)

$(BUILD)/shrinktrace: $(USER_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A statically linked binary for the QEMU lab's initramfs: built apart
# ($(BUILD)/static) without the HTTP server of --metrics (ST_NO_HTTP: Debian's
# static libmicrohttpd wants gnutls and all of its own), then copied to
# $(BUILD)/shrinktrace.static.
ifneq ($(ST_STATIC),)
CFLAGS   += -DST_NO_HTTP
endif
static:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/static ST_STATIC=1 $(BUILD)/static/shrinktrace.static
	cp $(BUILD)/static/shrinktrace.static $(BUILD)/shrinktrace.static
$(BUILD)/shrinktrace.static: $(USER_OBJS)
	$(CC) $(CFLAGS) -static -o $@ $^ -lbpf -lelf -ljson-c -lpthread -lz -lzstd -lm

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(BUILD):
	@mkdir -p $(BUILD)/user $(BUILD)/tests

unit-test: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

replay-test: $(BUILD)/shrinktrace
	tests/replay/run.sh $(BUILD)/shrinktrace

live-test: $(BUILD)/shrinktrace
	tests/live/run.sh $(BUILD)/shrinktrace

# Everything: unit tests, replay corpus and scenarios (also under ASan+UBSan),
# fuzz regressions and a FUZZ_SECONDS fuzz session (ST_SKIP_FUZZ=1 skips it),
# live tracing (root).
check: $(BUILD)/shrinktrace $(BUILD)/shrinkstress $(BUILD)/genlog $(BUILD)/relog $(UNIT_BINS) asan $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-all.sh $(BUILD)

# The binary and unit tests built with ASan+UBSan into $(BUILD)/asan.
asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan ST_SAN=1 $(BUILD)/asan/shrinktrace \
		$(patsubst $(BUILD)/%,$(BUILD)/asan/%,$(UNIT_BINS))

# libFuzzer targets (tests/fuzz/fuzz_*.c) over the replay path and over redact and the
# conversions.  `make fuzz FUZZ_SECONDS=600`; a crash stops it with the input in
# $(BUILD)/fuzz/NAME.artifacts.
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(USER_HDRS) bpf/shrinktrace.h
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Ibpf -Iuser \
		-DST_NO_HTTP -o $@ $< $(FUZZ_SRCS) -ljson-c -lm

# every target for FUZZ_SECONDS each
fuzz: $(FUZZ_BINS)
	@set -e; for b in $(FUZZ_BINS); do tests/fuzz/run.sh fuzz $$b $(FUZZ_SECONDS); done

# What tracing costs (root): the overhead table of tools/bench/overhead.sh, the fixed
# costs (idle CPU of each mode next to bpftrace's, ns added to each kmalloc()/kfree():
# tools/bench/kcost.py), the fentry pair against a reference pair in the 6.12 lab guest
# (tools/bench/fcost.sh; LAB_CACHE=... reuses downloads), then the replay throughput.
# Then crafted hash keys against ordinary ones (tools/bench/hash_bench.py; HASH_BENCH_OLD=
# another build's binary to compare with).  None is a test: they print numbers.
bench: $(BUILD)/shrinktrace $(BUILD)/shrinkstress $(BUILD)/genlog $(BUILD)/kfreebench $(BUILD)/allocbench
	tools/bench/overhead.sh $(BUILD)
	python3 tools/bench/kcost.py $(BUILD)
	tools/bench/fcost.sh
	tools/bench/replay_bench.sh $(BUILD)/shrinktrace
	tools/bench/metrics_bench.sh $(BUILD)
	tools/bench/hash_bench.py $(BUILD)/shrinktrace $(HASH_BENCH_OLD)

# tests/package/fields.sh: the log writer's output on the replay corpus (not installed).
$(BUILD)/relog: tests/package/relog.c $(LIB_OBJS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# What the kmem:kfree/kmalloc programs add to each call, A/B in one process (bench only).
KFREEBENCH_SRCS := tools/bench/kfreebench.c user/kernel/ksyms.c
$(BUILD)/kfreebench: $(KFREEBENCH_SRCS) $(SKEL) | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $(KFREEBENCH_SRCS) -lbpf -lelf -lz

$(BUILD)/allocbench: tools/bench/allocbench.c | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $<

# The reference fentry/fexit pair of the fentry cost benchmark, for the 6.12 lab guest
# (tools/lab/guest/case-fcost.sh; `make bench` runs it through tools/lab/run 6.12 fcost).
$(BUILD)/fentry_ref.bpf.o: tools/bench/fentry_ref.bpf.c bpf/shrinktrace.h bpf/shrinker_types.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/fentry_ref.skel.h: $(BUILD)/fentry_ref.bpf.o
	$(BPFTOOL) gen skeleton $< name fentry_ref_bpf > $@
.PHONY: fentryref-static
fentryref-static: $(BUILD)/fentryref.static
$(BUILD)/fentryref.static: tools/bench/fentryref.c $(BUILD)/fentry_ref.skel.h
	$(CC) $(CFLAGS) -static -o $@ $< -lbpf -lelf -lz -lzstd

# The benchmark's log generator (not part of the tool).
GENLOG_SRCS := tools/bench/genlog.c user/log/writer.c user/lib/jsonw.c user/log/event.c
$(BUILD)/genlog: $(GENLOG_SRCS) | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $(GENLOG_SRCS)

deps:
	tools/install-deps.sh

# The stress generator: tmpfs/ramfs churn, disk + drop_caches, memcg reclaim (libc only).
$(BUILD)/shrinkstress: tools/shrinkstress/shrinkstress.c | $(BUILD)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<
# Static builds for the QEMU lab's initramfs (tools/lab/race-wild): the stress generator
# and the clock-pair helper.
$(BUILD)/shrinkstress.static: tools/shrinkstress/shrinkstress.c | $(BUILD)
	$(CC) $(CFLAGS) -static -o $@ $<
$(BUILD)/stclock.static: tools/lab/stclock.c | $(BUILD)
	$(CC) $(CFLAGS) -static -o $@ $<

.PHONY: stress-test soak
stress-test: $(BUILD)/shrinktrace $(BUILD)/shrinkstress
	tests/stress/run.sh $(BUILD)

# Not part of `make check`: every workload for 10 minutes under the tracer (SOAK_ARGS=--minutes 2).
soak: $(BUILD)/shrinktrace $(BUILD)/shrinkstress
	tools/soak --build $(BUILD) $(SOAK_ARGS)

# `make install` (PREFIX=/usr/local, DESTDIR for staging): the binary, the man page,
# the systemd unit, the Prometheus rules and Grafana dashboard, and the docs.  The unit
# goes where systemd looks for it: /lib/systemd/system for PREFIX=/usr (Debian 12),
# else $(PREFIX)/lib/systemd/system; it is written from dist/shrinktrace.service.in
# with @SBINDIR@ and @DOCDIR@ replaced.  The docs keep their layout (README.md,
# docs/*.md) so that their links work where they are installed.  Nothing is stripped
# (the Debian package strips into a -dbgsym package).  Enable the service with
# `systemctl daemon-reload && systemctl enable --now shrinktrace` (docs/metrics.md).
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/shrinktrace
DATADIR  ?= $(PREFIX)/share/shrinktrace
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DOCS     := $(sort $(wildcard docs/*.md))

install: $(BUILD)/shrinktrace
	install -D -m 0755 $(BUILD)/shrinktrace $(DESTDIR)$(SBINDIR)/shrinktrace
	install -D -m 0644 man/shrinktrace.8 $(DESTDIR)$(MANDIR)/man8/shrinktrace.8
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DATADIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' dist/shrinktrace.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/shrinktrace.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/shrinktrace.service
	install -m 0644 dist/shrinktrace-rules.yml dist/grafana-shrinktrace.json $(DESTDIR)$(DATADIR)/
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/docs/

# The same variables as `make install` (PREFIX, DESTDIR, ...) remove the same files.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/shrinktrace $(DESTDIR)$(MANDIR)/man8/shrinktrace.8 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/shrinktrace.service
	rm -f $(DESTDIR)$(DATADIR)/shrinktrace-rules.yml $(DESTDIR)$(DATADIR)/grafana-shrinktrace.json
	rm -f $(DESTDIR)$(DOCDIR)/README.md $(addprefix $(DESTDIR)$(DOCDIR)/docs/,$(notdir $(DOCS)))
	-rmdir $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR) 2>/dev/null

# The Debian package (debian/, debhelper): $(BUILD)/deb/shrinktrace_VERSION_amd64.deb and
# the -dbgsym package, from `dpkg-buildpackage -us -uc -b` in a clean copy of the tree
# (tools/build-deb), so that nothing is written beside the repository.
# tests/package/run.sh builds it the same way and checks it.
.PHONY: deb
deb:
	tools/build-deb $(BUILD)/deb

clean:
	rm -rf $(BUILD)

# Real-kernel lab: shrinktrace inside QEMU (TCG) on Debian's 6.12 and 6.1 kernels, every case.
.PHONY: lab-test
lab-test:
	tools/lab/run 6.12 6.1

# The real race: our own 6.12 kernel, stock and with shrinker_free() unlinking before it waits,
# KASAN as the referee (tools/lab/race; LAB_RACE_N iterations per image, default 20).
.PHONY: lab-race
lab-race:
	tools/lab/race

# The race in the wild: the same two images, no lab module, real stress for RACE_WILD_SECONDS
# (default 300) of guest time per image and tracer mode (tools/lab/race-wild).
.PHONY: lab-race-wild
lab-race-wild:
	tools/lab/race-wild

# The quick-start demo: trace the built-in workload (tmpfs churn + drop_caches).
demo: $(BUILD)/shrinktrace
	$(BUILD)/shrinktrace -o $(BUILD)/demo.jsonl -- tools/workload/tmpfs-churn 20
