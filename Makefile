# lockaudit - runtime lock auditor for the Linux kernel (libbpf, CO-RE)
#
#   make                  build/lockaudit (static, BPF object embedded)
#   make ARCH=arm64       build/arm64/lockaudit (cross-built)
#   make deps             install the Debian packages needed to build and test
#   make check            unit tests (plain and ASan/UBSan), CLI tests, fuzz test,
#                         VM tests, boot tests (Debian initramfs, install layout),
#                         the .deb (make deb-test, deb-guest-test)
#   make fuzz             fuzz the report reader/writers, FUZZ_TIME=600 s
#   make install          DESTDIR=, PREFIX=/usr: binary, systemd units,
#                         initramfs-tools hook, man page
#   make deb              build/deb/lockaudit_VERSION-1_ARCH.deb (DEB_ARCH=arm64)
#   make demo             boot a guest, run lockaudit while drivers load
#   make vmlinux BTF=FILE ARCH=...   regenerate vmlinux/<arch>/vmlinux.h

VERSION := 0.1.0
ARCH ?= x86_64

ifeq ($(ARCH),x86_64)
BPF_ARCH := x86
CROSS :=
OUT := build
else ifeq ($(ARCH),arm64)
BPF_ARCH := arm64
CROSS := aarch64-linux-gnu-
OUT := build/arm64
else
$(error ARCH must be x86_64 or arm64)
endif

CC := $(CROSS)gcc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
# libmicrohttpd (run --metrics): Debian's source built without HTTPS, which
# links statically (tools/mhd-build.sh says why not Debian's own .a)
MHD := $(OUT)/mhd
MHD_LIB := $(MHD)/lib/libmicrohttpd.a
ALL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DLA_VERSION=\"$(VERSION)\" \
	-Iinclude -I$(OUT) -I$(MHD)/include $(CFLAGS)
LDLIBS := -ljson-c -lbpf -lelf -lz $(MHD_LIB) -lpthread
# vmlinux.h from 7.x BTF has ms-extension anonymous members (testbed.md)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) \
	-fms-extensions -Wno-microsoft-anon-tag \
	-Ivmlinux/$(ARCH) -Iinclude -Wall -Werror

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUT)/main.o,$(USER_OBJS))

.PHONY: all deps check unit unit-asan cli-test vm-test boot-test demo \
	vmlinux format clean bench install kernels-doc stress stress-test \
	fuzz fuzz-test fuzz-cov rules-btf-test deb deb-test deb-guest-test
.DELETE_ON_ERROR:

all: $(OUT)/lockaudit

$(OUT):
	mkdir -p $@

$(OUT)/lockaudit.bpf.o: bpf/lockaudit.bpf.c $(wildcard bpf/*.bpf.h) \
		include/lockaudit.h vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/lockaudit.skel.h: $(OUT)/lockaudit.bpf.o
	$(BPFTOOL) gen skeleton $< name lockaudit_bpf > $@

# each object depends on the headers it includes (-MMD: build/*.d); only
# hooks.c and pin.c include the skeleton, so only they need the BPF toolchain
DEPFLAGS := -MMD -MP
SKEL_USERS := hooks attach pin

# (and on the Makefile: its flags, and objects built before there were .d
# files)
$(OUT)/%.o: user/%.c Makefile | $(OUT)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(patsubst %,$(OUT)/%.o,$(SKEL_USERS)): $(OUT)/lockaudit.skel.h

$(MHD_LIB): tools/mhd-build.sh
	bash tools/mhd-build.sh $(ARCH) $(MHD)
$(OUT)/metrics_http.o: $(MHD_LIB)

# the built-in rule file as C bytes (user/rules_builtin.c includes it)
$(OUT)/iommu.rules.inc: rules/iommu.rules | $(OUT)
	od -An -v -tx1 $< | sed -E 's/ ?([0-9a-f]{2})/0x\1,/g' > $@
$(OUT)/rules_builtin.o: $(OUT)/iommu.rules.inc

$(OUT)/lockaudit: $(USER_OBJS) $(MHD_LIB)
	$(CC) -static $(ALL_CFLAGS) $(USER_OBJS) $(LDLIBS) -o $@

# a test build (never installed): LA_TEST_FILL=map,... fills kernel maps
# before attaching, to force their drop counters (tests/e2e/guest.sh)
$(OUT)/lockaudit-test: $(USER_SRCS) $(wildcard user/*.h) include/lockaudit.h \
		$(OUT)/lockaudit.skel.h $(OUT)/iommu.rules.inc $(MHD_LIB) | $(OUT)
	$(CC) -static $(ALL_CFLAGS) -DLA_TESTING $(USER_SRCS) $(LDLIBS) -o $@

deps:
	@bash tests/deps.sh

# ---- tests --------------------------------------------------------------
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_LIBS := -lcmocka -ljson-c -lbpf -lelf -lz
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# Each unit test links only the files it tests (and what they call): testing
# attribute, ksyms or report needs no BPF toolchain. Objects are built once
# per flavour under build/unit/obj and build/unit-asan/obj.
ATTR_MODS := attribute rules_parse rules_expr rules_builtin xalloc
UNIT_test_attribute := $(ATTR_MODS)
UNIT_test_classify := $(ATTR_MODS)
UNIT_test_ksyms := ksyms
UNIT_test_ksyms_records := ksyms
REPORT_MODS := report report_index report_sort report_fold report_text \
	report_json report_jget report_read report_scan report_merge \
	report_fleet atomic \
	json esc \
	$(ATTR_MODS)
UNIT_test_report := $(REPORT_MODS) live
UNIT_test_fleet := $(REPORT_MODS)
UNIT_test_metrics := $(REPORT_MODS) report_metrics metrics_file procfacts
UNIT_test_collect := $(REPORT_MODS) collect callers symfresh ksyms env \
	hooks attach watch maps pin pincheck clone misses
UNIT_test_clone := clone xalloc
UNIT_test_misses := misses pin pincheck hooks attach watch maps ksyms env clone \
	$(REPORT_MODS) live report_metrics metrics_file procfacts
RULES_MODS := rules_parse rules_expr rules_kernel rules_eval rules_resolve \
	xalloc
UNIT_test_rules_parse := $(RULES_MODS) rules_builtin watch

build/unit/obj/%.o: user/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/unit-asan/obj/%.o: user/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) $(DEPFLAGS) -c $< -o $@

$(patsubst %,build/unit/obj/%.o,$(SKEL_USERS)) \
$(patsubst %,build/unit-asan/obj/%.o,$(SKEL_USERS)): $(OUT)/lockaudit.skel.h
build/unit/test_clone build/unit-asan/test_clone: $(OUT)/lockaudit.skel.h
build/unit/obj/rules_builtin.o build/unit-asan/obj/rules_builtin.o: \
	$(OUT)/iommu.rules.inc

# the objects of unit test $(2) in flavour $(1) (unit, unit-asan)
unit_objs = $(patsubst %,build/$(1)/obj/%.o,$(UNIT_$(2)))

.SECONDEXPANSION:
build/unit/%: tests/unit/%.c $$(call unit_objs,unit,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Iuser $< $(filter %.o,$^) \
		$(TEST_LIBS) -o $@

build/unit-asan/%: tests/unit/%.c $$(call unit_objs,unit-asan,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) $(DEPFLAGS) -Iuser $< $(filter %.o,$^) \
		$(TEST_LIBS) -o $@

UNIT_BINS := $(patsubst tests/unit/%.c,build/unit/%,$(TEST_SRCS))
ASAN_BINS := $(patsubst tests/unit/%.c,build/unit-asan/%,$(TEST_SRCS))

unit: $(UNIT_BINS)
	@set -e; for t in $^; do echo "== $$t"; \
		LA_TESTDATA=tests/unit/data $$t; done
	/usr/bin/python3 tests/unit/validate.py docs/report.schema.json \
		tests/unit/data/report*.golden*.json
	/usr/bin/python3 tests/unit/validate.py docs/probes.schema.json \
		tests/unit/data/probes.sample.json

unit-asan: $(ASAN_BINS)
	@set -e; for t in $^; do echo "== $$t (ASan/UBSan)"; \
		LA_TESTDATA=tests/unit/data $$t; done

# rule resolution against the Debian kernels' BTF: tests/rules/run.sh
# fetches the headers (vmlinux) through tests/vm/lib.sh
build/rules-btf/test_rules_btf: tests/rules/test_rules_btf.c \
		$(patsubst %,build/unit/obj/%.o,$(RULES_MODS))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Iuser $< $(filter %.o,$^) \
		$(TEST_LIBS) -o $@

rules-btf-test: build/rules-btf/test_rules_btf $(OUT)/lockaudit
	bash tests/rules/run.sh build/rules-btf/test_rules_btf $(OUT)/lockaudit

# BPF map syscalls in a loop, in a guest (tests/stress/misses.sh)
$(OUT)/hammer: tests/stress/hammer.c
	$(CC) -static $(ALL_CFLAGS) $< -lbpf -lelf -lz -o $@

# pinned state made of maps alone, for the CLI tests of --pin-dir
$(OUT)/pinfake: tests/cli/pinfake.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -Iuser $^ $(LDLIBS) -o $@

# run --metrics' HTTP server on its own (run needs BPF; this serves texts the
# test publishes through the same code: tests/cli/cases/metrics.sh)
$(OUT)/metricsserve: tests/cli/metricsserve.c $(OUT)/metrics_http.o $(MHD_LIB)
	$(CC) $(ALL_CFLAGS) -Iuser $< $(OUT)/metrics_http.o $(MHD_LIB) \
		-lpthread -o $@

cli-test: $(OUT)/lockaudit $(OUT)/pinfake $(OUT)/metricsserve
	PINFAKE=$(OUT)/pinfake METRICSSERVE=$(OUT)/metricsserve \
		bash tests/cli/run.sh $(OUT)/lockaudit

vm-test: $(OUT)/lockaudit $(OUT)/lockaudit-test
	$(MAKE) ARCH=arm64 build/arm64/lockaudit build/arm64/lockaudit-test
	bash tests/e2e/run.sh
	/usr/bin/python3 tests/e2e/kernels_md.py build/e2e build/kernels.md
	@diff -u docs/kernels.md build/kernels.md || \
		{ echo "docs/kernels.md is out of date: make kernels-doc"; exit 1; }

# docs/kernels.md from the probes of the last full vm-test run
kernels-doc:
	/usr/bin/python3 tests/e2e/kernels_md.py build/e2e docs/kernels.md

# the real Debian initramfs and the install layout (systemd units, man page)
boot-test: $(OUT)/lockaudit
	bash tests/boot/static.sh $(OUT)/lockaudit
	bash tests/boot/run.sh

# exact counts under load: 300 QMP hotplug cycles, 100 remove/rescan + 100
# rebinds, 1M calls from 4 threads, two tasks racing on one device, SIGKILL
# during --interval snapshots (~5 min under TCG)
stress-test: $(OUT)/lockaudit $(OUT)/hammer
	bash tests/stress/run.sh hotplug loops flood race sigkill misses

# ---- fuzzing (docs/fuzzing.md) ------------------------------------------
# libFuzzer on the report reader, merge and both writers, with a round-trip
# oracle. Found inputs go to build/fuzz/corpus (not in git); crashes to
# build/fuzz/crashes/. Seeds: tests/unit/data/report.golden.json,
# tests/fuzz/seeds and tests/fuzz/regressions (past crashes, which
# fuzz-test also runs one by one first). FUZZ_FLAGS: more libFuzzer flags,
# e.g. "-fork=1 -ignore_crashes=1" to go on past a crash.
FUZZ_CC ?= clang
FUZZ_TIME ?= 600
FUZZ_TEST_TIME ?= 60
FUZZ_FLAGS ?=
LLVM_PROFDATA ?= llvm-profdata
LLVM_COV ?= llvm-cov
# the report's files only: no BPF toolchain needed
FUZZ_SRCS := tests/fuzz/fuzz_report.c $(patsubst %,user/%.c,$(REPORT_MODS) live)
FUZZ_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DLA_VERSION=\"$(VERSION)\" \
	-Iinclude -Iuser -Ibuild -g -O1 -fno-omit-frame-pointer
FUZZ_OPTS := -dict=tests/fuzz/report.dict -max_len=16384 -timeout=10 \
	-artifact_prefix=build/fuzz/crashes/ -print_final_stats=1 $(FUZZ_FLAGS)
FUZZ_DIRS := build/fuzz/corpus tests/fuzz/seeds tests/fuzz/regressions
# what make fuzz-cov reports on: the report's files and the JSON values and
# escaping they use (all of it was user/report.c before the split)
FUZZ_COV_SRCS := $(wildcard user/report*.c) user/json.c user/esc.c

build/fuzz/fuzz_report: $(FUZZ_SRCS) $(wildcard user/*.h) $(OUT)/iommu.rules.inc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(FUZZ_SRCS) -ljson-c -lbpf -lelf -lz \
		-o $@

# no sanitizers: line coverage of the corpus and seeds (make fuzz-cov; not
# of tests/fuzz/regressions, whose oracle aborts would lose the profile)
build/fuzz/fuzz_report_cov: $(FUZZ_SRCS) $(wildcard user/*.h) $(OUT)/iommu.rules.inc
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -fprofile-instr-generate \
		-fcoverage-mapping $(FUZZ_SRCS) -ljson-c -lbpf -lelf -lz -o $@

FUZZ_CORPUS := mkdir -p build/fuzz/corpus build/fuzz/crashes && \
	cp tests/unit/data/report.golden.json build/fuzz/corpus/

fuzz: build/fuzz/fuzz_report
	@$(FUZZ_CORPUS)
	build/fuzz/fuzz_report $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) \
		$(FUZZ_DIRS)

# make check: each past crash and seed on its own (all of them, saying which
# fail and why), then 60 s of fuzzing
fuzz-test: build/fuzz/fuzz_report
	@$(FUZZ_CORPUS)
	@fail=0; for f in tests/fuzz/regressions/* tests/fuzz/seeds/* \
			tests/unit/data/report.golden.json; do \
		if build/fuzz/fuzz_report $$f >build/fuzz/one.log 2>&1; then \
			echo "ok   $$f"; \
		else \
			fail=1; echo "FAIL $$f: $$(grep -m1 -E \
				'^fuzz_report:|runtime error|ERROR: (Addr|Leak)' \
				build/fuzz/one.log)"; \
		fi; \
	done; exit $$fail
	build/fuzz/fuzz_report $(FUZZ_OPTS) -max_total_time=$(FUZZ_TEST_TIME) \
		$(FUZZ_DIRS)

fuzz-cov: build/fuzz/fuzz_report_cov
	@$(FUZZ_CORPUS)
	rm -f build/fuzz/cov.profraw
	LLVM_PROFILE_FILE=build/fuzz/cov.profraw build/fuzz/fuzz_report_cov \
		-runs=0 build/fuzz/corpus tests/fuzz/seeds
	$(LLVM_PROFDATA) merge -sparse build/fuzz/cov.profraw \
		-o build/fuzz/cov.profdata
	$(LLVM_COV) report build/fuzz/fuzz_report_cov \
		-instr-profile=build/fuzz/cov.profdata $(FUZZ_COV_SRCS)

CHECK_SUITES := unit unit-asan cli-test fuzz-test rules-btf-test vm-test \
	boot-test stress-test deb-test deb-guest-test
check:
	@MAKE="$(MAKE)" bash tests/check.sh $(CHECK_SUITES)

# the same stress tests on their own (make check runs them too)
stress: $(OUT)/lockaudit $(OUT)/hammer
	bash tests/stress/run.sh

# per-call cost, start-up and hotplug throughput with and without lockaudit,
# on 6.12 and 7.3 (docs/benchmarks.md); BENCH_ARGS: bench/run.sh's options,
# e.g. BENCH_ARGS='--kernel 7.3 --reps 3 --configs none,empty-fentry,lockaudit-fentry'
bench:
	bash bench/run.sh $(BENCH_ARGS)

# `lockaudit report` over generated reports of 8k-200k sites: time and RSS
# (docs/report-scale.md; not part of make check)
.PHONY: bench-report
bench-report: $(OUT)/lockaudit
	bash bench/report-scale.sh --bin $(OUT)/lockaudit

# `lockaudit report` over 10,000 generated machine reports: time and RSS
# (docs/benchmarks.md, "Fleet merging"; not part of make check)
.PHONY: bench-fleet
bench-fleet: $(OUT)/lockaudit
	bash bench/fleet.sh --bin $(OUT)/lockaudit

# Debian packages (debian/, dist/deb.sh): build/deb/lockaudit_VERSION-1_ARCH.deb
# for each DEB_ARCH (amd64 arm64; default: this machine's)
DEB_ARCH ?=
deb:
	bash dist/deb.sh $(DEB_ARCH)

# the amd64 .deb: lintian, its exact contents and maintainer scripts, and
# install/remove/purge in a throwaway bookworm root (tests/deb/README.md)
deb-test:
	bash tests/deb/run.sh

# the .deb on a booted Debian system: installed into the bookworm root of
# deb-test, systemd as PID 1, Debian's 6.1 kernel and initramfs (qemu, two
# boots, ~7 min; tests/deb/README.md)
deb-guest-test:
	bash tests/deb/guest.sh

PREFIX ?= /usr
install: $(OUT)/lockaudit
	bash dist/install.sh "$(DESTDIR)" "$(PREFIX)" $(OUT)/lockaudit

demo: deps $(OUT)/lockaudit
	bash tests/e2e/demo.sh

vmlinux:
	@test -n "$(BTF)" || { echo "usage: make vmlinux BTF=/path/to/vmlinux-or-btf ARCH=$(ARCH)"; exit 2; }
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file $(BTF) format c > vmlinux/$(ARCH)/vmlinux.h.tmp
	mv vmlinux/$(ARCH)/vmlinux.h.tmp vmlinux/$(ARCH)/vmlinux.h

format:
	clang-format -i user/*.c user/*.h include/*.h bpf/*.c bpf/*.h \
		tests/unit/*.c

clean:
	rm -rf build

-include $(wildcard $(OUT)/*.d build/unit/*.d build/unit/obj/*.d \
	build/unit-asan/*.d build/unit-asan/obj/*.d build/rules-btf/*.d)
