# Countersign: the commands a person runs. Each target says what it does; `make help` lists them.
SWIFT ?= swift
# Seconds each fuzz target runs under `make fuzz`.
FUZZ_SECONDS ?= 60
# Extra arguments for every `swift build`/`swift test`, e.g. SWIFTPM_FLAGS="--scratch-path .build-mine".
SWIFTPM_FLAGS ?=
# Extra arguments for `swift test`, e.g. SWIFT_TEST_FLAGS="--filter ZoneFileParserTests".
SWIFT_TEST_FLAGS ?=

.DEFAULT_GOAL := build
.PHONY: help deps build test demo bench fuzz fuzz-build clean

help:
	@echo "make test    install the test tools (Debian, as root) and run every test"
	@echo "make demo    both tiers on loopback with the example zone: DNSKEY, DS, validated answers, a moved load balancer"
	@echo "make bench   CoreBench, signing, serving, the primary's AXFR vs PowerDNS, the signer cycle (bench/README.md)"
	@echo "make fuzz    run each libFuzzer target for FUZZ_SECONDS (default 60); crashes go to fuzz-artifacts/"
	@echo "make build   debug build of every target"
	@echo "make clean   remove build outputs and fuzz artifacts"

deps:
	scripts/install-test-deps.sh

build:
	$(SWIFT) build $(SWIFTPM_FLAGS)

# Every test, in three passes (scripts/run-tests.sh says why and lists them), ending with a summary of
# what failed, so the last lines of a CI log name the failing tests.
test: deps
	SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" SWIFT_TEST_FLAGS="$(SWIFT_TEST_FLAGS)" scripts/run-tests.sh

demo:
	SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" scripts/demo.sh

bench:
	SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" bench/run.sh

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh run

fuzz-build:
	scripts/fuzz.sh build

clean:
	$(SWIFT) package clean
	rm -rf .build-fuzz fuzz-artifacts
