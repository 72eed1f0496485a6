# snapbed — plain Makefile. `make run` and `make test` are the two commands a
# new user needs; both install missing Debian packages first (scripts/deps.sh).

PKGS     := rdkafka ck cunit libcurl libxml-2.0 yaml-0.1 jansson libgvc zlib
CC       ?= cc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -pthread \
            -Iruntime -Ifaultinject -Iverify -Icli -Iviz -Isim
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS   += $(PKG_LIBS) -pthread -lm

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

LIB_SRC  := $(sort $(wildcard runtime/*.c faultinject/*.c verify/*.c sim/*.c viz/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_NAMES := $(patsubst tests/test_%.c,%,$(TEST_SRC))

B  := build
BA := build-asan

LIB_OBJ      := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ      := $(CLI_SRC:%.c=$(B)/%.o)
TEST_OBJ     := $(TEST_SRC:%.c=$(B)/%.o) $(B)/tests/unit_main.o
LIB_OBJ_SAN  := $(LIB_SRC:%.c=$(BA)/%.o)
TEST_OBJ_SAN := $(TEST_SRC:%.c=$(BA)/%.o) $(BA)/tests/unit_main.o

SCENARIO ?= scenarios/quickstart.yaml

# Scenarios that also run with the sanitizer build (crash points, the keyed
# state and the fault timeline), to catch memory errors in the threads.
ASAN_SCENARIOS := scenarios/kill-during-final.yaml scenarios/keyed-count-kills.yaml \
                  scenarios/broker-faults.yaml scenarios/unaligned-timeout-kills.yaml

# Every crash-point and kill scenario again with unaligned checkpoints
# (--unaligned overrides the scenario), one seed each.
UNALIGNED_SCENARIOS := $(sort $(wildcard scenarios/crash-*.yaml scenarios/kill-*.yaml)) \
                       scenarios/keyed-count-kills.yaml scenarios/chaos-combined.yaml

.PHONY: all deps check-deps check-browser run test test-kafka test-real test-report unit unit-asan scenarios \
        scenarios-asan scenarios-unaligned test-suite-jobs test-viz test-sim test-bad-input layers bench \
        bench-flink clean help fuzz fuzz-regress fuzz-build

all: check-deps $(B)/snapbed $(B)/unit_tests

help:
	@echo "make run        build and run $(SCENARIO) on the embedded Kafka and file:// store"
	@echo "make test       unit tests and two scenarios under ASan+UBSan, then the scenario suite"
	@echo "                and the report in headless Chromium"
	@echo "make test-report a real run's report.html in headless Chromium (screenshot in out/)"
	@echo "make test-bad-input every command fed every kind of bad input (tests/bad-input.tsv):"
	@echo "                exit 2, one line on stderr, no sanitizer report, nothing left behind"
	@echo "make test-viz   real runs drawn by snapbed viz (quick start, mutant, teaching runs)"
	@echo "make test-sim   every scenarios/sim/ run simulated, checked and drawn; determinism;"
	@echo "                every kill and crash-point scenario over 100 seeds, every mutant caught"
	@echo "make soak       every fault scenario over SOAK_SEEDS seeds (20): false verdicts both ways"
	@echo "make test-kafka the scenario lane against a real Apache Kafka broker on 127.0.0.1"
	@echo "make test-real  real Kafka + real S3 (SeaweedFS): client tests, scenarios, cross-check"
	@echo "make test-flink scenarios/flink/ on a real Apache Flink cluster and a real Kafka"
	@echo "                (three brokers), started and stopped by snapbed run (docs/flink.md)"
	@echo "make test-flink-all the same and the scenarios CI has no room for (\"# ci: no\": a"
	@echo "                broker cut off the network, root; a JobManager pause; the commit-early control)"
	@echo "make layers     includes point down only: cli → viz → sim → verify, faultinject → runtime"
	@echo "                (scripts/layers.sh, after its own test tests/layers.sh; docs/design.md);"
	@echo "                and no pipe into grep -q under pipefail (scripts/pipes.sh)"
	@echo "make fuzz       each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS (default 30)"
	@echo "                over its corpus; fails on any crash, leak, timeout or OOM (clang)"
	@echo "make fuzz-regress every regression input and corpus file once through each harness"
	@echo "make bench      every benchmark of bench/ (figures, not tests; docs/performance.md)"
	@echo "make deps       install missing Debian packages"
	@echo "make clean      remove build folders"

deps:
	@bash scripts/deps.sh

check-deps:
	@pkg-config --exists $(PKGS) || bash scripts/deps.sh

# Only the browser test needs chromium; deps.sh installs it with the rest.
check-browser:
	@command -v chromium >/dev/null || bash scripts/deps.sh

run: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed
	./$(B)/snapbed run $(SCENARIO)

test: check-deps
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-asan
	@$(MAKE) --no-print-directory test-bad-input
	@$(MAKE) --no-print-directory fuzz-regress
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-20}
	@$(MAKE) --no-print-directory scenarios-asan
	@$(MAKE) --no-print-directory scenarios
	@$(MAKE) --no-print-directory scenarios-unaligned
	@$(MAKE) --no-print-directory test-suite-jobs
	@$(MAKE) --no-print-directory test-viz
	@$(MAKE) --no-print-directory test-sim
	@$(MAKE) --no-print-directory test-determinism
	@$(MAKE) --no-print-directory test-secrets
	@$(MAKE) --no-print-directory test-report
	@if [ "$${SNAPBED_REAL:-0}" = 1 ]; then $(MAKE) --no-print-directory test-real; fi
	@if [ "$${SNAPBED_REAL:-0}" = 1 ]; then $(MAKE) --no-print-directory test-flink; fi

unit: $(B)/unit_tests $(B)/snapbed
	./$(B)/unit_tests

unit-asan: $(BA)/unit_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./$(BA)/unit_tests

# The scenario library on the embedded default, every scenario under
# SEEDS seeds, with a JUnit report; mutants and negative controls must be
# reported as violations (their scenarios expect it). SUITE_JOBS cases run
# at once: most cases are paced by source.records_per_s and sleep, so two
# share the CI's two cores; SUITE_JOBS=1 runs them one after the other.
SEEDS ?= 3
SUITE_JOBS ?= 2
SUITE_DIR = out/suite-$(shell date +%Y%m%d-%H%M%S)-$$$$

scenarios: $(B)/snapbed
	@mkdir -p out; dir=$(SUITE_DIR); ./$(B)/snapbed run scenarios/ --seeds $(SEEDS) \
	    --jobs $(SUITE_JOBS) -q --junit $$dir.junit.xml -o $$dir && \
	    bash tests/check-negatives.sh $$dir

scenarios-unaligned: $(B)/snapbed
	@mkdir -p out; dir=$(SUITE_DIR)-unaligned; ./$(B)/snapbed run $(UNALIGNED_SCENARIOS) \
	    --unaligned --jobs $(SUITE_JOBS) -q --junit $$dir.junit.xml -o $$dir

# --jobs 2 reports the same cases, in the same order, as --jobs 1.
test-suite-jobs: $(B)/snapbed
	bash tests/suite-jobs.sh

# A real run's report.html opened in headless Chromium: no script error, no
# failed load, every section and picture in the DOM; the screenshot stays
# in out/report-browser-*/.
test-report: check-deps check-browser
	@$(MAKE) --no-print-directory $(B)/snapbed
	bash tests/report-browser.sh

# Bad input, as a table (tests/bad-input.tsv, docs/reliability.md): each row
# with the plain and the ASan+UBSan build; then the read-only and full
# locations (tmpfs, as root), the file-size limit and a killed supervisor.
test-bad-input: $(B)/snapbed $(BA)/snapbed
	bash tests/bad-input.sh

# Real runs drawn: every picture of the quick start, the snapshot-on-first-
# barrier mutant (record trace) and the teaching runs of docs/img/.
test-viz: $(B)/snapbed
	bash tests/viz.sh

# The real-Kafka lane: scenarios against a real broker (downloads its jars
# from Maven Central once).
test-kafka: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed
	bash tests/kafka-lane.sh

# The Flink lane: scenarios/flink/ on a real Apache Flink standalone
# cluster and a real Kafka (one broker or three), started and stopped by
# `snapbed run` itself; no JVM may be left behind (docs/flink.md).
# `make test` runs it too when SNAPBED_REAL=1 (CI sets it).
test-flink: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed
	bash tests/flink-lane.sh

# The standalone cluster and the three-broker Kafka on their own, through
# their scripts (minutes each; not part of `make test`: the Flink lane
# drives both through snapbed).
test-flink-cluster:
	bash tests/flink-cluster.sh

# The Flink lane with the scenarios CI has no room for ("# ci: no" in the
# file): the network partition (brokers in network namespaces; root) and
# a JobManager paused past the heartbeat timeout, and the commit-early
# negative control. Minutes each.
test-flink-all: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed
	FLINK_ALL=1 bash tests/flink-lane.sh

test-kafka-cluster:
	bash tests/kafka-cluster.sh

# The real lane: a real Kafka broker and a real S3 server (SeaweedFS), the
# S3 client's tests, the scenarios on them, and an independent cross-check.
# `make test` runs it too when SNAPBED_REAL=1 (CI sets it).
test-real: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed $(B)/unit_tests
	bash tests/real-lane.sh

# The simulator through the CLI: every scenarios/sim/ scenario (mutants must
# be reported violated), `snapbed check` and `snapbed viz` on each run
# folder, explore, shrink and step (byte-identical traces: test-determinism).
test-sim: $(B)/snapbed
	bash tests/sim.sh
	bash tests/sim-faults.sh

# Issue #15 parts 5 to 7 (docs/reliability.md). The determinism gate: a
# sample of simulator seeds run twice at once, the traces compared byte for
# byte, the first differing line printed; its controls show the comparison
# catches a difference. test-secrets: canary credentials never reach a run
# folder, the report, the trace or the console. test-services: SeaweedFS and
# Kafka started and stopped SERVICES_S3_CYCLES and SERVICES_KAFKA_CYCLES
# times (the real lane runs it). soak: every fault scenario over SOAK_SEEDS
# seeds, false verdicts counted both ways (long: not part of `make test`).
.PHONY: test-determinism test-secrets test-services soak test-flink-all
SOAK_SEEDS ?= 20

test-determinism: $(B)/snapbed
	bash tests/determinism.sh

test-secrets: $(B)/snapbed
	bash tests/secrets.sh

test-services:
	bash tests/services.sh

soak: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed
	SOAK_SEEDS=$(SOAK_SEEDS) bash tests/soak.sh

# The layer rule of docs/design.md, from the #include lines (no build
# needed): first tests/layers.sh shows on a planted tree that the check can
# fail, then scripts/layers.sh checks this tree and lists every violation.
layers:
	@bash tests/layers.sh
	@bash scripts/layers.sh
	@bash tests/pipes.sh
	@bash scripts/pipes.sh

scenarios-asan: $(BA)/snapbed
	ASAN_OPTIONS=detect_leaks=1 SNAPBED=$(BA)/snapbed bash tests/scenarios.sh $(ASAN_SCENARIOS)

# The benchmarks (docs/performance.md): each prints a table and writes
# bench/results/<name>.json. Figures, never pass/fail; not part of `make test`.
# RECORDS shrinks the Kafka, end-to-end and recovery runs (default 1 M); RUNS sets
# the repetitions of every benchmark. The Apache Flink baseline
# (bench-flink) is skipped with a message when Java or Maven is missing.
BENCH_BIN := $(B)/bench_channel $(B)/bench_kafka_limit

bench: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed $(BENCH_BIN)
	bash bench/channel.sh
	bash bench/kafka_limit.sh
	bash bench/e2e.sh
	bash bench/latency.sh
	bash bench/recovery.sh
	bash bench/sim.sh
	@$(MAKE) --no-print-directory bench-flink

$(B)/bench_channel: $(B)/bench/channel.o $(B)/runtime/channel.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_kafka_limit: $(B)/bench/kafka_limit.o $(B)/runtime/kafka.o $(B)/runtime/input.o \
                        $(B)/runtime/err.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# snapbed and Apache Flink (bench/flink/, a MiniCluster) on the same real
# broker and topic; skipped with a message when Java or Maven is missing.
bench-flink: check-deps
	@$(MAKE) --no-print-directory $(B)/snapbed
	bash bench/flink.sh

$(B)/snapbed: $(CLI_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit_tests: $(TEST_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

CLI_OBJ_SAN  := $(CLI_SRC:%.c=$(BA)/%.o)

$(BA)/snapbed: $(CLI_OBJ_SAN) $(LIB_OBJ_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(BA)/unit_tests: $(TEST_OBJ_SAN) $(LIB_OBJ_SAN)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

# The list of test suites is generated from the file names, so adding
# tests/test_foo.c (which defines test_foo_register) is all it takes.
$(B)/test_registry.h: $(TEST_SRC) Makefile
	@mkdir -p $(B)
	@{ for n in $(TEST_NAMES); do echo "void test_$${n}_register(void);"; done; \
	   echo "#define SB_TEST_REGISTER_ALL() do { \\"; \
	   for n in $(TEST_NAMES); do echo "    test_$${n}_register(); \\"; done; \
	   echo "} while (0)"; } > $@.tmp && mv $@.tmp $@

$(B)/tests/unit_main.o: tests/unit_main.c $(B)/test_registry.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(B) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BA)/tests/unit_main.o: tests/unit_main.c $(B)/test_registry.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -I$(B) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

# ---------------------------------------------------------------- fuzzing
# One libFuzzer harness per reader of outside bytes (tests/fuzz/fuzz_*.c),
# each linked with the whole library built by clang with coverage and
# ASan+UBSan into build-fuzz/. tests/fuzz/run.sh drives them: `make fuzz`
# fuzzes each for FUZZ_SECONDS over its committed corpus and regression
# inputs (new inputs go to build-fuzz/corpus-new/, never into the
# repository); `make fuzz-regress` replays the committed inputs once.
# Both say so and exit 2 when clang or its fuzzer runtime is missing.
FZ           := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS  := -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unknown-warning-option \
                -pthread -Iruntime -Ifaultinject -Iverify -Icli -Iviz -Isim \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FZ)/%)
LIB_OBJ_FUZZ := $(LIB_SRC:%.c=$(FZ)/%.o)

fuzz: check-deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh fuzz

fuzz-regress: check-deps
	@bash tests/fuzz/run.sh regress

fuzz-build: $(FUZZ_BIN)

$(FZ)/fuzz_%: $(FZ)/tests/fuzz/fuzz_%.o $(LIB_OBJ_FUZZ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

clean:
	rm -rf $(B) $(BA) $(FZ)

-include $(shell find $(B) $(BA) $(FZ) -name '*.d' 2>/dev/null)
