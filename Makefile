# cloudtrail_fdw/Makefile

MODULE_big = cloudtrail_fdw
# Every file of src/ (the PostgreSQL side) and of src/aws/ (the client layer)
OBJS = $(WIN32RES) $(patsubst %.c,%.o,$(sort $(wildcard src/*.c))) $(AWS_OBJS)

EXTENSION = cloudtrail_fdw
DATA = cloudtrail_fdw--1.0.sql
PGFILEDESC = "cloudtrail_fdw - foreign data wrapper for AWS CloudTrail"

DEPS = libcurl json-c openssl zlib

# Inflate with Intel ISA-L when it is there (Debian: libisal-dev), else with
# zlib; WITH_ISAL=0 builds with zlib whatever is installed.  A change of
# choice rebuilds what it touches (the stamp file).
WITH_ISAL ?= $(shell pkg-config --exists libisal && echo 1 || echo 0)
ifeq ($(WITH_ISAL),1)
DEPS += libisal
INFLATE_CFLAGS = -DCT_WITH_ISAL=1
$(info cloudtrail_fdw: inflating with ISA-L (libisal $(shell pkg-config --modversion libisal)); make WITH_ISAL=0 for zlib)
else
INFLATE_CFLAGS = -DCT_WITH_ISAL=0
$(info cloudtrail_fdw: inflating with zlib (no libisal found, or WITH_ISAL=0))
endif
INFLATE_STAMP = src/aws/inflate.stamp
$(shell echo $(WITH_ISAL) | cmp -s - $(INFLATE_STAMP) || echo $(WITH_ISAL) >$(INFLATE_STAMP))

PG_CPPFLAGS = -Isrc -Isrc/aws $(shell pkg-config --cflags $(DEPS)) $(INFLATE_CFLAGS)
SHLIB_LINK = $(shell pkg-config --libs $(DEPS))

REGRESS = explain_filter options trail_scan event_history activity
REGRESS_OPTS = --outputdir=$(or $(REGRESS_OUTDIR),.)

# The AWS client layer builds on its own for the unit tests and fuzz targets.
AWS_OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/aws/*.c)))
UNIT_TESTS = test/unit/test_sigv4 test/unit/test_records test/unit/test_s3 test/unit/test_config \
	test/unit/test_http test/unit/test_digest

EXTRA_CLEAN = $(UNIT_TESTS) test/unit/*.o results regression.diffs regression.out \
	test/fuzz/replay_* test/fuzz/*.fuzzer $(INFLATE_STAMP)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

test/unit/%: test/unit/%.c test/unit/unit.h $(AWS_OBJS)
	$(CC) $(CFLAGS) -Isrc/aws $(shell pkg-config --cflags $(DEPS)) $(INFLATE_CFLAGS) -o $@ $< $(AWS_OBJS) \
		$(shell pkg-config --libs $(DEPS))

unit: $(UNIT_TESTS)

# Fuzz targets of the client layer (test/fuzz).  test/run replays their seeds
# through ordinary builds under AddressSanitizer and UBSan; test/fuzz/run
# fuzzes with libFuzzer builds (clang).
AWS_SRCS = $(AWS_OBJS:.o=.c)
FUZZ_TARGETS = fuzz_records fuzz_replies fuzz_digest
SANITIZE = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CC ?= $(shell command -v clang-14 || command -v clang)

test/fuzz/replay_%: test/fuzz/%.c test/fuzz/replay.c $(AWS_SRCS) $(HEADERS) $(INFLATE_STAMP)
	$(CC) $(SANITIZE) -Isrc/aws $(shell pkg-config --cflags $(DEPS)) $(INFLATE_CFLAGS) -o $@ $< test/fuzz/replay.c \
		$(AWS_SRCS) $(shell pkg-config --libs $(DEPS))

test/fuzz/%.fuzzer: test/fuzz/%.c $(AWS_SRCS) $(HEADERS) $(INFLATE_STAMP)
	$(FUZZ_CC) $(SANITIZE) -fsanitize=fuzzer -Isrc/aws $(shell pkg-config --cflags $(DEPS)) $(INFLATE_CFLAGS) -o $@ $< \
		$(AWS_SRCS) $(shell pkg-config --libs $(DEPS))

fuzz-replay: $(FUZZ_TARGETS:%=test/fuzz/replay_%)
fuzzers: $(FUZZ_TARGETS:%=test/fuzz/%.fuzzer)

.PHONY: unit fuzz-replay fuzzers

# PGXS does not track header dependencies: every object depends on every header
HEADERS = $(wildcard src/*.h src/aws/*.h)
$(OBJS) $(AWS_OBJS): $(HEADERS)
src/aws/records.o: $(INFLATE_STAMP)
