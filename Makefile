# s3json -- top-level Makefile
#
#   make            build build/s3json
#   make run        local demo: moto on 127.0.0.1 + s3json, sample documents
#   make test       the whole suite (tests/run; what .ci/run runs)
#   make help       every target
#   make lint       clang-format check + clang-tidy (.clang-tidy)
#   make soak       5 minutes of mixed load: errors, RSS growth, freshness
#   make cross ARCH=arm64       build/arm64/s3json, cross-compiled (Debian multiarch)
#   make cross-unit ARCH=arm64  its unit tests, run under qemu-user
#   make bench      wrk at 16/64/256 connections vs nginx, Flask (docs/benchmarks.md)
#
# Respects CC, CFLAGS, LDFLAGS. Dependencies are Debian packages
# (scripts/deps.sh lists and installs them).

CC      ?= cc
CFLAGS  ?= -O2 -g
# Output directory: build for the host, build/<arch> for `make cross`.
B       ?= build
PKG_CONFIG ?= pkg-config
PKGS    := libmicrohttpd libcurl libcrypto jansson expat zlib
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# The one place the Python import path is set (tests/run sets the same when
# run by hand): tests/ holds the packages `emulator` (the strict AWS
# emulator) and `lib` (the test support library). No module edits sys.path.
export PYTHONPATH := $(CURDIR)/tests

WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla \
           -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE -DS3JSON_VERSION='"$(VERSION)"' \
           -DS3JSON_GIT_REV='"$(GIT_REV)"'
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# cjose (JWT verification): Debian 12's libcjose-dev is not multi-arch, so
# installing the arm64 one would remove the host's. A cross build uses the
# host's headers (/usr/include/cjose, the same on every architecture) and
# links the target's runtime library (libcjose0:arm64) by its file name.
CJOSE_LIBS := $(shell $(PKG_CONFIG) --libs cjose 2>/dev/null || echo -l:libcjose.so.0)
PKG_LIBS   := $(CJOSE_LIBS) $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) \
              -lpthread -lm
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined

SRC      := $(sort $(wildcard app/src/*.c app/src/*/*.c))
LIB_SRC  := $(filter-out app/src/main.c,$(SRC))
HDR      := $(wildcard app/src/*.h app/src/*/*.h)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HDR := $(wildcard tests/unit/*.h)

OBJ       := $(patsubst app/src/%.c,$(B)/obj/%.o,$(SRC))
LIB_OBJ   := $(patsubst app/src/%.c,$(B)/obj/%.o,$(LIB_SRC))
SAN_OBJ   := $(patsubst app/src/%.c,$(B)/asan/obj/%.o,$(SRC))
SAN_LIB   := $(patsubst app/src/%.c,$(B)/asan/obj/%.o,$(LIB_SRC))
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_SAN  := $(patsubst tests/unit/%.c,$(B)/asan/tests/%,$(UNIT_SRC))
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN  := $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOL_SRC))
SHIM_SRC  := $(sort $(wildcard tests/shims/*.c))
SHIM_SO   := $(patsubst tests/shims/%.c,build/shims/%.so,$(SHIM_SRC))

.PHONY: all asan unit-build tools help run test unit unit-asan integration lint \
        format tidy tf-check infra-e2e ci-role-e2e clean deps

all: $(B)/s3json

$(B)/obj/%.o: app/src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(HARDEN) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(B)/asan/obj/%.o: app/src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O1 -g $(SAN) $(PKG_CFLAGS) -c -o $@ $<

# Tests and tools link against archives, so each pulls in only the modules
# it uses.
$(B)/libs3json.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(B)/asan/libs3json.a: $(SAN_LIB)
	$(AR) rcs $@ $^

$(B)/s3json: $(OBJ)
	$(CC) $(CFLAGS) $(HARDEN_LD) $(LDFLAGS) -o $@ $(OBJ) $(PKG_LIBS)

$(B)/asan/s3json: $(SAN_OBJ)
	$(CC) -g $(SAN) $(LDFLAGS) -o $@ $(SAN_OBJ) $(PKG_LIBS)

# Unit tests (cmocka): one binary per tests/unit/test_*.c, linked with
# every module but main.c.
$(B)/tests/%: tests/unit/%.c $(B)/libs3json.a $(HDR) $(UNIT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O1 -g $(PKG_CFLAGS) -Iapp/src -o $@ $< \
	  $(B)/libs3json.a $(PKG_LIBS) -lcmocka $(TEST_LDFLAGS)

$(B)/asan/tests/%: tests/unit/%.c $(B)/asan/libs3json.a $(HDR) $(UNIT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O1 -g $(SAN) $(PKG_CFLAGS) -Iapp/src -o $@ $< \
	  $(B)/asan/libs3json.a $(PKG_LIBS) -lcmocka $(TEST_LDFLAGS)

# test_wipe sees every free() of our modules, to find secrets left in
# freed memory.
$(B)/tests/test_wipe $(B)/asan/tests/test_wipe: TEST_LDFLAGS = -Wl,--wrap=free

# Test tools: small programs that drive one module from a test script
# (e.g. the SigV4 differential test against botocore).
$(B)/tools/%: tests/tools/%.c $(B)/libs3json.a $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O1 -g $(PKG_CFLAGS) -Iapp/src -o $@ $< \
	  $(B)/libs3json.a $(PKG_LIBS)

$(B)/asan/tools/%: tests/tools/%.c $(B)/asan/libs3json.a $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O1 -g $(SAN) $(PKG_CFLAGS) -Iapp/src -o $@ $< \
	  $(B)/asan/libs3json.a $(PKG_LIBS)

# LD_PRELOAD shims that widen race windows in integration tests (never
# linked into s3json).
build/shims/%.so: tests/shims/%.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g -shared -fPIC -o $@ $< -ldl -lpthread

asan: $(B)/asan/s3json
unit-build: $(UNIT_BIN) $(UNIT_SAN)
tools: $(TOOL_BIN) $(SHIM_SO)

unit: $(UNIT_BIN)
	@tests/unit/run-unit.sh $(UNIT_BIN)

unit-asan: $(UNIT_SAN)
	@tests/unit/run-unit.sh $(UNIT_SAN)

# Integration tests: the real binary against the S3 emulator with auth on.
integration: build/s3json build/asan/s3json $(TOOL_BIN) $(SHIM_SO)
	python3 -m unittest discover -s tests/integration -p 'test_*.py' -v

run: deps build/s3json
	python3 scripts/run-local.py

deps:
	@scripts/deps.sh

test:
	@tests/run

lint: format-check tidy

FMT_SRC := $(SRC) $(HDR) $(UNIT_SRC) $(UNIT_HDR) $(TOOL_SRC) $(SHIM_SRC) \
           $(wildcard tests/bench/engines/*.c)

format-check:
	clang-format --dry-run -Werror $(FMT_SRC)

format:
	clang-format -i $(FMT_SRC)

# Checks and their reasons: .clang-tidy. Warnings are errors.
tidy:
	clang-tidy --quiet $(SRC) -- -std=c11 $(DEFS) $(PKG_CFLAGS)

tf-check:
	scripts/tf-check.sh

infra-e2e:
	tests/e2e/infra-e2e.sh

ci-role-e2e:
	tests/e2e/ci-role-e2e.sh

clean:
	rm -rf build

help:
	@sed -n 's/^#   //p' Makefile
	@grep -E '^[a-z][a-z0-9-]*:' Makefile | cut -d: -f1 | sort -u | tr '\n' ' '; echo

# Cross build for another CPU (the image's linux/arm64 build stage uses it):
# Debian's cross compiler and the target's -dev packages installed next to
# the host's (multiarch: apt-get install gcc-aarch64-linux-gnu
# libcurl4-openssl-dev:arm64 ..., scripts/deps.sh --cross arm64). pkg-config
# reads only the target's .pc files; objects go to build/<arch>/ so host and
# target builds never mix. cross-unit runs the unit tests under qemu-user
# (binfmt is not needed: the emulator runs each binary explicitly).
ARCH ?= arm64
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
CROSS_TRIPLET_amd64 := x86_64-linux-gnu
CROSS_QEMU_arm64    := qemu-aarch64-static
CROSS_QEMU_amd64    := qemu-x86_64-static
CROSS_TRIPLET := $(CROSS_TRIPLET_$(ARCH))
CROSS_MAKE = PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS_TRIPLET)/pkgconfig:/usr/share/pkgconfig \
  $(MAKE) --no-print-directory B=build/$(ARCH) CC=$(CROSS_TRIPLET)-gcc \
  AR=$(CROSS_TRIPLET)-ar PKG_CONFIG=pkg-config

.PHONY: cross cross-check cross-unit
cross-check:
	@test -n "$(CROSS_TRIPLET)" || \
	  { echo "make cross: ARCH must be arm64 or amd64, got '$(ARCH)'" >&2; exit 2; }
	@command -v $(CROSS_TRIPLET)-gcc >/dev/null || \
	  { echo "make cross: $(CROSS_TRIPLET)-gcc is missing (scripts/deps.sh --cross $(ARCH))" >&2; exit 2; }

cross: cross-check
	+@$(CROSS_MAKE) build/$(ARCH)/s3json

cross-unit: cross-check
	+@S3JSON_UNIT_WRAPPER=$(CROSS_QEMU_$(ARCH)) $(CROSS_MAKE) unit

# Container image and deployment (docs/deploy.md):
#   make image              build s3json:<commit> (docker, else podman)
#   make image-test         build it and run it read-only against the emulator
#   make deploy ENV=staging build, push and run this commit there, smoke-test it
#   make plan ENV=staging   what deploy would change (nothing is applied)
#   make destroy ENV=staging delete that environment (asks; CONFIRM=staging)
.PHONY: image image-test deploy plan destroy
image:
	@scripts/image/build.sh

image-test:
	@bash tests/steps/70-image.sh

deploy:
	@scripts/deploy/deploy.sh $(ENV)

plan:
	@scripts/deploy/plan.sh $(ENV)

destroy:
	@scripts/deploy/destroy.sh $(ENV)

# Benchmark (tests/bench/bench.py, docs/benchmarks.md): s3json against
# nginx static, nginx proxy_cache, Flask + boto3, on 127.0.0.1, bounded in
# time. Quick run: BENCH_DURATION=3 make bench.
.PHONY: bench
bench: build/s3json bench-engines
	python3 tests/bench/bench.py

# Fuzzing (libFuzzer + ASan/UBSan, clang): see tests/fuzz/fuzz.sh.
#   make fuzz       every target for FUZZ_SECONDS (default 300) each
FUZZ_SECONDS ?= 300

.PHONY: fuzz
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/fuzz.sh run

# Long mixed load (5 minutes by default): errors, RSS growth, freshness.
soak: build/s3json
	python3 tests/soak/soak.py

# The bench's other HTTP engine (issue 11): s3json's cached GET and access
# line on h2o's library (tests/bench/engines/h2o_cached.c), linked with
# build/libs3json.a for the access log code. Debian's libh2o-evloop-dev;
# never part of the product build or of CI. Without it, `make bench` runs
# and the h2o contenders say they are skipped.
H2O_PC := libh2o-evloop
H2O_OK := $(shell $(PKG_CONFIG) --exists $(H2O_PC) 2>/dev/null && echo 1)

build/bench/h2o_cached: tests/bench/engines/h2o_cached.c build/libs3json.a $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -DH2O_USE_EPOLL=1 $(HARDEN) $(CFLAGS) $(PKG_CFLAGS) \
	  $(shell $(PKG_CONFIG) --cflags $(H2O_PC)) -Iapp/src -o $@ $< \
	  build/libs3json.a $(shell $(PKG_CONFIG) --libs $(H2O_PC)) \
	  $(PKG_LIBS) $(HARDEN_LD)

.PHONY: bench-engines
bench-engines:
ifeq ($(H2O_OK),1)
	+@$(MAKE) --no-print-directory build/bench/h2o_cached
else
	@echo "bench: build/bench/h2o_cached skipped: $(H2O_PC) is missing (apt-get install libh2o-evloop-dev)"
endif
