# cloudtrail_fdw/Makefile

MODULE_big = cloudtrail_fdw
OBJS = \
	$(WIN32RES) \
	src/cloudtrail_fdw.o \
	src/source.o \
	src/option.o \
	src/prune.o \
	src/session.o \
	src/trail.o \
	src/fetch.o \
	src/parallel.o \
	src/store_s3.o \
	src/store_dir.o \
	src/tuple.o \
	src/aws/buf.o \
	src/aws/sigv4.o \
	src/aws/http.o \
	src/aws/s3.o \
	src/aws/trail_key.o \
	src/aws/records.o \
	src/aws/json.o \
	src/aws/rec.o \
	src/aws/sts.o \
	src/aws/config.o \
	src/credentials.o \
	src/aws/cloudtrail.o \
	src/aws/digest.o \
	src/lookup.o \
	src/vstore.o \
	src/validate.o

EXTENSION = cloudtrail_fdw
DATA = cloudtrail_fdw--1.0.sql
PGFILEDESC = "cloudtrail_fdw - foreign data wrapper for AWS CloudTrail"

DEPS = libcurl json-c openssl zlib
PG_CPPFLAGS = -Isrc -Isrc/aws $(shell pkg-config --cflags $(DEPS))
SHLIB_LINK = $(shell pkg-config --libs $(DEPS))

REGRESS = options trail_scan event_history
REGRESS_OPTS = --inputdir=sql --outputdir=$(or $(REGRESS_OUTDIR),.)

# The AWS client layer builds on its own for the unit tests and fuzz targets.
AWS_OBJS = src/aws/buf.o src/aws/sigv4.o src/aws/http.o src/aws/s3.o \
	src/aws/trail_key.o src/aws/records.o src/aws/json.o src/aws/cloudtrail.o \
	src/aws/rec.o src/aws/sts.o src/aws/config.o src/aws/digest.o
UNIT_TESTS = test/unit/test_sigv4 test/unit/test_records test/unit/test_s3 test/unit/test_config \
	test/unit/test_http test/unit/test_digest

EXTRA_CLEAN = $(UNIT_TESTS) test/unit/*.o results regression.diffs regression.out \
	test/fuzz/replay_* test/fuzz/*.fuzzer

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

test/unit/%: test/unit/%.c test/unit/unit.h $(AWS_OBJS)
	$(CC) $(CFLAGS) -Isrc/aws $(shell pkg-config --cflags $(DEPS)) -o $@ $< $(AWS_OBJS) \
		$(shell pkg-config --libs $(DEPS))

unit: $(UNIT_TESTS)

# Fuzz targets of the client layer (test/fuzz).  test/run replays their seeds
# through ordinary builds under AddressSanitizer and UBSan; test/fuzz/run
# fuzzes with libFuzzer builds (clang).
AWS_SRCS = $(AWS_OBJS:.o=.c)
FUZZ_TARGETS = fuzz_records fuzz_replies fuzz_digest
SANITIZE = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CC ?= $(shell command -v clang-14 || command -v clang)

test/fuzz/replay_%: test/fuzz/%.c test/fuzz/replay.c $(AWS_SRCS) $(HEADERS)
	$(CC) $(SANITIZE) -Isrc/aws $(shell pkg-config --cflags $(DEPS)) -o $@ $< test/fuzz/replay.c \
		$(AWS_SRCS) $(shell pkg-config --libs $(DEPS))

test/fuzz/%.fuzzer: test/fuzz/%.c $(AWS_SRCS) $(HEADERS)
	$(FUZZ_CC) $(SANITIZE) -fsanitize=fuzzer -Isrc/aws $(shell pkg-config --cflags $(DEPS)) -o $@ $< \
		$(AWS_SRCS) $(shell pkg-config --libs $(DEPS))

fuzz-replay: $(FUZZ_TARGETS:%=test/fuzz/replay_%)
fuzzers: $(FUZZ_TARGETS:%=test/fuzz/%.fuzzer)

.PHONY: unit fuzz-replay fuzzers

# PGXS does not track header dependencies: every object depends on every header
HEADERS = $(wildcard src/*.h src/aws/*.h)
$(OBJS) $(AWS_OBJS): $(HEADERS)
