# lockaudit - runtime lock auditor for the Linux kernel (libbpf, CO-RE)
#
#   make                  build/lockaudit (static, BPF object embedded)
#   make ARCH=arm64       build/arm64/lockaudit (cross-built)
#   make deps             install the Debian packages needed to build and test
#   make check            unit tests (plain and ASan/UBSan), CLI tests, VM tests,
#                         boot tests (Debian initramfs, install layout)
#   make install          DESTDIR=, PREFIX=/usr: binary, systemd units,
#                         initramfs-tools hook, man page
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
ALL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DLA_VERSION=\"$(VERSION)\" \
	-Iinclude -I$(OUT) $(CFLAGS)
LDLIBS := -ljson-c -lbpf -lelf -lz
# vmlinux.h from 7.x BTF has ms-extension anonymous members (testbed.md)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) \
	-fms-extensions -Wno-microsoft-anon-tag \
	-Ivmlinux/$(ARCH) -Iinclude -Wall -Werror

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUT)/main.o,$(USER_OBJS))

.PHONY: all deps check unit unit-asan cli-test vm-test boot-test demo \
	vmlinux format clean bench install kernels-doc stress stress-test
.DELETE_ON_ERROR:

all: $(OUT)/lockaudit

$(OUT):
	mkdir -p $@

$(OUT)/lockaudit.bpf.o: bpf/lockaudit.bpf.c include/lockaudit.h \
		vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/lockaudit.skel.h: $(OUT)/lockaudit.bpf.o
	$(BPFTOOL) gen skeleton $< name lockaudit_bpf > $@

$(OUT)/%.o: user/%.c $(wildcard user/*.h) include/lockaudit.h \
		$(OUT)/lockaudit.skel.h | $(OUT)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/lockaudit: $(USER_OBJS)
	$(CC) -static $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

deps:
	@bash tests/deps.sh

# ---- tests --------------------------------------------------------------
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_LIBS := -lcmocka -ljson-c -lbpf -lelf -lz
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

build/unit/%: tests/unit/%.c $(USER_SRCS) $(wildcard user/*.h) \
		$(OUT)/lockaudit.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iuser $< $(filter-out user/main.c,$(USER_SRCS)) \
		$(TEST_LIBS) -o $@

build/unit-asan/%: tests/unit/%.c $(USER_SRCS) $(wildcard user/*.h) \
		$(OUT)/lockaudit.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -Iuser $< \
		$(filter-out user/main.c,$(USER_SRCS)) $(TEST_LIBS) -o $@

UNIT_BINS := $(patsubst tests/unit/%.c,build/unit/%,$(TEST_SRCS))
ASAN_BINS := $(patsubst tests/unit/%.c,build/unit-asan/%,$(TEST_SRCS))

unit: $(UNIT_BINS)
	@set -e; for t in $^; do echo "== $$t"; \
		LA_TESTDATA=tests/unit/data $$t; done
	/usr/bin/python3 tests/unit/validate.py docs/report.schema.json \
		tests/unit/data/report.golden.json
	/usr/bin/python3 tests/unit/validate.py docs/probes.schema.json \
		tests/unit/data/probes.sample.json

unit-asan: $(ASAN_BINS)
	@set -e; for t in $^; do echo "== $$t (ASan/UBSan)"; \
		LA_TESTDATA=tests/unit/data $$t; done

cli-test: $(OUT)/lockaudit
	bash tests/cli/run.sh $(OUT)/lockaudit

vm-test: $(OUT)/lockaudit
	$(MAKE) ARCH=arm64
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
stress-test: $(OUT)/lockaudit
	bash tests/stress/run.sh hotplug loops flood race sigkill

check: unit unit-asan cli-test vm-test boot-test stress-test
	@echo "make check: unit, unit-asan, cli-test, vm-test, boot-test and stress-test suites all passed"
	@echo "check: 6 passed, 0 failed"

# the same stress tests on their own (make check runs them too)
stress: $(OUT)/lockaudit
	bash tests/stress/run.sh

# per-call cost and hotplug throughput with and without lockaudit (docs/benchmarks.md)
bench:
	bash bench/run.sh

# `lockaudit report` over generated reports of 8k-200k sites: time and RSS
# (docs/report-scale.md; not part of make check)
.PHONY: bench-report
bench-report: $(OUT)/lockaudit
	bash bench/report-scale.sh --bin $(OUT)/lockaudit

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
	clang-format -i user/*.c user/*.h include/*.h bpf/*.c tests/unit/*.c

clean:
	rm -rf build
