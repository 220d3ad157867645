#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Fuzz/ (see Fuzz/README.md).
#
#   scripts/fuzz.sh [run]                  build, then run every target for $FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh build                  build only
#   scripts/fuzz.sh repro TARGET FILE...   run TARGET once on each FILE (a crash artifact, a corpus file)
#   scripts/fuzz.sh minimize TARGET FILE   shrink a crashing input; writes FILE.min
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (subset, e.g. "MessageDecoder"), FUZZ_TIMEOUT
# (seconds one input may take before it counts as a hang, default 10), FUZZ_FLAGS (extra libFuzzer flags),
# FUZZ_SCRATCH (build folder, default .build-fuzz), FUZZ_ARTIFACTS (default fuzz-artifacts).
#
# Exit status: 0 when every target ran its time without a crash, hang, leak or out-of-memory; 1 otherwise,
# with the reproducer's path and the stack printed.
#
# The targets are a separate SwiftPM package (Fuzz/Package.swift) that depends on the root package by path,
# built with `-sanitize=fuzzer,address`: libFuzzer provides `main` and calls `LLVMFuzzerTestOneInput`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
SCRATCH=${FUZZ_SCRATCH:-$ROOT/.build-fuzz}
ARTIFACTS=${FUZZ_ARTIFACTS:-$ROOT/fuzz-artifacts}
# target:corpus-folder-under-Fuzz/corpus
ALL_TARGETS=(MessageDecoder:message UpdateDecoder:update ZoneFileParser:zonefile)

# Swift's own crash reporter would take over the signal, spend seconds symbolicating, and can hang under
# libFuzzer; libFuzzer and ASan print the stack themselves.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-handle_abort=1:handle_sigill=1:detect_leaks=1}
if [[ -x /opt/swift/usr/bin/llvm-symbolizer ]]; then
    export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/opt/swift/usr/bin/llvm-symbolizer}
fi

log() { printf 'fuzz: %s\n' "$*" >&2; }

selected_targets() {
    local entry name
    for entry in "${ALL_TARGETS[@]}"; do
        name=${entry%%:*}
        if [[ -z "${FUZZ_TARGETS:-}" ]] || [[ " $FUZZ_TARGETS " == *" $name "* ]]; then
            printf '%s\n' "$entry"
        fi
    done
}

corpus_of() {
    local entry
    for entry in "${ALL_TARGETS[@]}"; do
        [[ ${entry%%:*} == "$1" ]] && { printf '%s\n' "${entry#*:}"; return 0; }
    done
    log "unknown target $1 (known: ${ALL_TARGETS[*]%%:*})"
    exit 2
}

build() {
    log "building fuzz targets (release, -sanitize=fuzzer,address) into ${SCRATCH#"$ROOT"/}"
    swift build -c release --package-path "$ROOT/Fuzz" --scratch-path "$SCRATCH" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -g
    BIN=$(swift build -c release --package-path "$ROOT/Fuzz" --scratch-path "$SCRATCH" --show-bin-path)
}

# Extra flags for one target: a dictionary when there is one.
target_flags() {
    local dict
    dict="$ROOT/Fuzz/$(corpus_of "$1").dict"
    [[ -f "$dict" ]] && printf '%s\n' "-dict=$dict"
    return 0
}

demangle() {
    if command -v swift-demangle >/dev/null 2>&1; then swift-demangle --simplified; else cat; fi
}

run_target() {
    local name=$1 corpus=$2
    local work="$SCRATCH/corpus/$corpus" logfile="$SCRATCH/logs/$name.log" rc=0
    mkdir -p "$work" "$SCRATCH/logs" "$ARTIFACTS"
    local flags=() extra=()
    mapfile -t flags < <(target_flags "$name")
    read -r -a extra <<<"${FUZZ_FLAGS:-}"
    log "running $name for ${FUZZ_SECONDS}s (seeds: Fuzz/corpus/$corpus, log: ${logfile#"$ROOT"/})"
    # The first corpus folder is where libFuzzer saves new inputs: a scratch copy, so the committed seeds
    # stay small. The outer timeout is a backstop in case the fuzzer itself wedges.
    local started=$SECONDS marker="$SCRATCH/logs/$name.started"
    touch "$marker"
    timeout --signal=TERM --kill-after=30 $((FUZZ_SECONDS + 300)) \
        "$BIN/$name" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$name-" "${flags[@]}" "${extra[@]}" \
        "$work" "$ROOT/Fuzz/corpus/$corpus" >"$logfile" 2>&1 || rc=$?
    local execs secs=$((SECONDS - started)) units
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logfile" | tail -1)
    # Fork mode (FUZZ_FLAGS="-fork=1 -ignore_crashes=1") prints no stat:: lines: take the last "#N" count.
    [[ -n "$execs" ]] || execs=$(sed -n 's/^#\([0-9][0-9]*\)[:[:space:]].*/\1/p' "$logfile" | tail -1)
    units=$(find "$work" -type f | wc -l)
    # With -ignore_crashes libFuzzer exits 0 after a crash; a new reproducer still means failure.
    local found
    found=$(find "$ARTIFACTS" -maxdepth 1 -name "$name-*" -newer "$marker" | head -1)
    if ((rc == 0)) && [[ -n "$found" ]]; then rc=1; fi
    if ((rc == 0)); then
        RESULTS+=("| $name | ${execs:-?} | $secs | $units | ok |")
    else
        local artifact
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$logfile" | tail -1)
        artifact=${artifact:-$found}
        RESULTS+=("| $name | ${execs:-?} | $secs | $units | FAILED (exit $rc) ${artifact:-} |")
        log "$name FAILED (exit $rc); the end of its log:"
        grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse|INITED)' "$logfile" | tail -60 | demangle >&2
        [[ -n "$artifact" ]] && log "reproduce: scripts/fuzz.sh repro $name $artifact"
        FAILED=1
    fi
}

cmd=${1:-run}
case "$cmd" in
    build)
        build
        ;;
    run)
        build
        FAILED=0
        RESULTS=()
        while IFS= read -r entry; do
            run_target "${entry%%:*}" "${entry#*:}"
        done < <(selected_targets)
        printf '\n| target | executions | seconds | corpus | result |\n|---|---:|---:|---:|---|\n'
        printf '%s\n' "${RESULTS[@]}"
        exit "$FAILED"
        ;;
    repro)
        (($# >= 3)) || { log "usage: $0 repro TARGET FILE..."; exit 2; }
        name=$2; shift 2
        corpus_of "$name" >/dev/null
        build
        "$BIN/$name" -runs=1 "$@" 2>&1 | demangle
        ;;
    minimize)
        (($# == 3)) || { log "usage: $0 minimize TARGET FILE"; exit 2; }
        corpus_of "$2" >/dev/null
        build
        "$BIN/$2" -minimize_crash=1 -max_total_time=120 -exact_artifact_path="$3.min" "$3" 2>&1 | tail -5
        log "minimised input: $3.min ($(wc -c <"$3.min") bytes)"
        ;;
    *)
        log "unknown command $cmd (build, run, repro, minimize)"
        exit 2
        ;;
esac
