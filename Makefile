# ecoledger: build, test and run. Every target that compiles depends on `deps` (what building
# and running need); the targets that run tests depend on `test-deps` (that, and what only the
# tests need).
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BUILD_PACKAGES := libsqlite3-dev libssl-dev libedit-dev pkg-config
TEST_PACKAGES := golang-go golang-golang-x-mod-dev python3 python3-cryptography python3-prometheus-client python3-pil chromium postgresql
DB ?= ecoledger.sqlite
EXAMPLE_DB ?= example.sqlite

BENCH_DIR ?= .bench
BENCH_ENTRIES ?= 1000000
BENCH_SECONDS ?= 10
PEERS ?= ../shared/peers

CRASH_CYCLES ?= 50
TAMPERINGS ?= 1000
FUZZ_RUNS ?= 10000000
FUZZ_BUILD ?= .build-fuzz

.PHONY: deps test-deps build test run example bench bench-postgres peers crash-test tamper-test fuzz storage-test hostile-test money-test failover-test clean

## deps: what building and running need: the system libraries (SQLite, OpenSSL, libedit) and
##       pkg-config, installed with apt-get when pkg-config cannot find them
deps:
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libcrypto sqlite3 libedit; then :; else \
		echo "installing $(BUILD_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BUILD_PACKAGES); \
	fi

## test-deps: deps, and what only the tests need, installed with apt-get when missing: Go with
##            golang.org/x/mod (the independent verifier the interoperability tests use), Python's
##            cryptography (docs/example_vectors.py, which recomputes LEDGER.md's vectors) and
##            prometheus_client (an independent parser of the metrics' exposition format), and
##            PIL with chromium (the HTML report rendered in a real browser), and PostgreSQL (the
##            PostgreSQL engine's tests start their own servers, as the postgres user)
test-deps: deps
	@if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ] \
		&& /usr/bin/python3 -c 'import cryptography, prometheus_client, PIL' >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 \
		&& ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; else \
		echo "installing $(TEST_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_PACKAGES); \
	fi

## build: compile everything (debug)
build: deps
	$(SWIFT) build

## test: the whole test suite (Swift Testing)
test: test-deps
	$(SWIFT) test

## run: build and start ecoledgerd on 127.0.0.1:7707 with the demo catalogue on $(DB)
##      (tokens, one per role, in $(DB).demo-tokens); Ctrl-C stops it cleanly
run: build
	$(SWIFT) run --skip-build ecoledgerd --db $(DB) --demo

## example: create the example ledger of docs/LEDGER.md if missing, and audit it
example: build
	@[ -f $(EXAMPLE_DB) ] || $(SWIFT) run --skip-build ecoledger init --db $(EXAMPLE_DB) --example
	$(SWIFT) run --skip-build ecoledger verify --db $(EXAMPLE_DB)

## bench: release build, then the standard scenario on a $(BENCH_ENTRIES)-entry ledger (kept in
##        $(BENCH_DIR)/), then the peers of $(PEERS) in the same run when they are there
bench: deps
	$(SWIFT) build -c release
	.build/release/ecoledger-bench suite --dir $(BENCH_DIR) --entries $(BENCH_ENTRIES) --duration $(BENCH_SECONDS)
	@if [ -d $(PEERS) ]; then $(MAKE) --no-print-directory peers; else echo "no peers at $(PEERS); skipped"; fi

## bench-postgres: ecoledger on PostgreSQL (alone and with a synchronous standby) at 1, 8 and 32
##                 connections beside pg_ledger.sh, and verify of one ledger as a file and on PostgreSQL
bench-postgres: test-deps
	$(SWIFT) build -c release
	PEERS=$(PEERS) DURATION=$(BENCH_SECONDS) ENTRIES=$(BENCH_ENTRIES) bash scripts/bench-postgres.sh

## peers: what ecoledger is compared with (PostgreSQL, SQLite and SHA-256 ceilings, Redis)
peers:
	bash $(PEERS)/sqlite_limits.sh
	bash $(PEERS)/redis_ping.sh
	DURATION=$(BENCH_SECONDS) bash $(PEERS)/pg_ledger.sh
	bash $(PEERS)/ping_pair.sh .build/release/ecoledgerd

## crash-test: kill -9 ecoledgerd under load $(CRASH_CYCLES) times; check every acknowledged entry
##             survives unchanged and in-doubt retries tell the truth (ECOLEDGER_CRASH_SEED replays)
crash-test: test-deps
	ECOLEDGER_CRASH_CYCLES=$(CRASH_CYCLES) $(SWIFT) test --filter CrashTests

## tamper-test: $(TAMPERINGS) random tamperings of copies of a realistic ledger; verify must name
##              the first bad seq of every one (ECOLEDGER_TAMPER_SEED replays)
tamper-test: test-deps
	ECOLEDGER_TAMPERINGS=$(TAMPERINGS) $(SWIFT) test --filter TamperCampaignTests

## storage-test: a real full disk (tmpfs, needs root) and injected I/O errors (LD_PRELOAD, needs cc)
storage-test: test-deps
	$(SWIFT) test --filter "StorageFaultTests|IOErrorTests"

## hostile-test: slow senders, connection floods, AUTH brute force, 100,000-deep pipelines, clients that
##               never read, revoked tokens, replayed redemptions, failed AUTHs, protocol edges, injection
##               through `ecoledger call`
hostile-test: test-deps
	$(SWIFT) test --filter "HostileClientTests|ConnectionTests|DeterministicRandomnessTests|StalledReaderTests|IdleTimeoutTests|HardeningTests|RequestLineTests|ClientTests"

## failover-test: a PostgreSQL primary with a synchronous standby, two ecoledgerd, kiosks and a
##                witness: kill -9 the primary and promote, then kill -9 the writing ecoledgerd
failover-test: test-deps
	$(SWIFT) test --filter PostgresFailoverTests

## money-test: Int64 limits, overflowing rates, rounding over thousands of tiny drop-offs
money-test: test-deps
	$(SWIFT) test --filter "MoneyEdgeTests|FixedPointTests|RandomizedLedgerTests"

## fuzz: libFuzzer over the line parser and command decoder, $(FUZZ_RUNS) inputs, starting from the
##       seed corpus in Tests/LedgerFuzzCorpus (new inputs go to $(FUZZ_BUILD)/corpus)
fuzz: deps
	$(SWIFT) build -c release --product ledger-fuzz --scratch-path $(FUZZ_BUILD) \
		-Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/release/ledger-fuzz -runs=$(FUZZ_RUNS) -max_len=4096 -rss_limit_mb=1024 -timeout=5 \
		-print_final_stats=1 $(FUZZ_BUILD)/corpus Tests/LedgerFuzzCorpus

clean:
	rm -rf .build $(FUZZ_BUILD)
