#!/usr/bin/env bash
# Runs every test in passes (see the Makefile's `test` target for why) and ends with a summary of what
# failed, so the last lines of a CI log name the failing tests and their messages.
#
# A pass whose failures are few (at most RETRY_MAX tests) runs exactly those tests once more, alone. A test
# that then passes is reported as FLAKY in the summary (its first failure is printed in full) and does not
# fail the run; one that fails again does. Set RETRY_MAX=0 to turn retries off.
#
# Every retried test, flaky or failed twice, is also written to FLAKY_FILE with its first failure, and that
# file is printed as the very last thing of the run: a retry that saved the run stays visible in the CI
# output (and the file can be kept as an artifact), so a flaky test gets fixed instead of hidden.
#
# Environment: SWIFT, SWIFTPM_FLAGS, SWIFT_TEST_FLAGS (as in the Makefile), TEST_LOG_DIR (default: a fresh
# directory under /tmp), RETRY_MAX (default 3), FLAKY_FILE (default: $TEST_LOG_DIR/retried-tests.txt).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SWIFT=${SWIFT:-swift}
read -r -a pm_flags <<<"${SWIFTPM_FLAGS:-}"
read -r -a test_flags <<<"${SWIFT_TEST_FLAGS:-}"
RETRY_MAX=${RETRY_MAX:-3}
logs=${TEST_LOG_DIR:-$(mktemp -d /tmp/countersign-tests.XXXXXX)}
mkdir -p "$logs"
flaky_file=${FLAKY_FILE:-$logs/retried-tests.txt}
mkdir -p "$(dirname "$flaky_file")"
: >"$flaky_file"

# name | arguments for `swift test`. Swift Testing runs tests in parallel on a cooperative pool of one thread
# per core, and the unit and interop suites together need about a minute of CPU: run side by side on a
# 2-core machine, every test's bounded wait (a server answering within 20 s, a timeout firing within its
# bound) measured the whole pass's load instead, and failed now and then in CI. So the unit and interop
# suites run one test at a time (about a minute), the suites whose point is timing (notifications, metrics,
# the transfer client's and resolver's timeouts: mostly waiting, little CPU) in parallel, then the end-to-end
# suites (both daemons with NSD, Knot, BIND, PowerDNS, unbound, SMTP and webhook receivers) one at a time.
passes=(
    "unit and interop suites, one test at a time|--skip CLITests|DaemonKitTests|AXFRClientTests|UpstreamResolverTests --no-parallel"
    "timed suites (notifications, metrics, transfer and resolver timeouts)|--filter DaemonKitTests|AXFRClientTests|UpstreamResolverTests"
    "end-to-end suites, one test at a time|--filter CLITests --no-parallel"
)

summary=()
failed=0

# Failing test identifiers ("Module.Suite/test()") from a Swift Testing xUnit file.
failing_tests() {
    awk '
        /<testcase / {
            match($0, /classname="[^"]*"/); cls = substr($0, RSTART + 11, RLENGTH - 12)
            match($0, / name="[^"]*"/); name = substr($0, RSTART + 7, RLENGTH - 8)
            current = cls "/" name
        }
        /<failure/ && current != "" { print current; current = "" }
    ' "$1" 2>/dev/null | sort -u
}

# The failure lines a Swift Testing log printed: each failed test and suite, with its messages.
failure_lines() {
    grep -E '^(✘|↳)' "$1" | grep -vE '^✘ (Suite|Test run) ' | head -60
}

# A regular expression that matches one test identifier (they end in ")", so no "$" is needed; Swift
# Testing does not match one there).
exact() { printf '^%s' "$(printf '%s' "$1" | sed -E 's/[][(){}.*+?^$|\\]/\\&/g')"; }

echo "=== building (tests included)"
if ! "$SWIFT" build "${pm_flags[@]}" --build-tests; then
    echo "=== FAILED: the build"
    exit 1
fi

index=0
for pass in "${passes[@]}"; do
    index=$((index + 1))
    name=${pass%%|*}
    read -r option pattern rest <<<"${pass#*|}"
    log="$logs/pass$index.log"
    xml="$logs/pass$index.xml"
    echo "=== pass $index: $name"
    start=$SECONDS
    # shellcheck disable=SC2086
    "$SWIFT" test "${pm_flags[@]}" --skip-build "$option" "$pattern" $rest "${test_flags[@]}" \
        --xunit-output "$xml" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    took=$((SECONDS - start))
    if [ "$status" -eq 0 ]; then
        summary+=("pass $index ($name): passed in ${took}s")
        continue
    fi

    mapfile -t failures < <(failing_tests "${xml%.xml}-swift-testing.xml")
    first_failure=$(failure_lines "$log")
    # A crash leaves no failure lines (and no xUnit file): show how the log ended instead.
    [ -n "$first_failure" ] || first_failure=$(tail -30 "$log")
    if [ "${#failures[@]}" -eq 0 ] || [ "${#failures[@]}" -gt "$RETRY_MAX" ]; then
        failed=1
        summary+=("pass $index ($name): FAILED in ${took}s (exit $status, ${#failures[@]} failing tests)")
        summary+=("$first_failure")
        continue
    fi

    still=()
    flaky=()
    attempt=0
    for test in "${failures[@]}"; do
        attempt=$((attempt + 1))
        retry_log="$logs/pass$index-retry$attempt.log"
        echo "=== pass $index: running $test once more"
        # A filter that matched nothing would "pass": the retry must have run a test.
        if "$SWIFT" test "${pm_flags[@]}" --skip-build --filter "$(exact "$test")" "${test_flags[@]}" \
            >"$retry_log" 2>&1 && grep -qE 'Test run with [1-9][0-9]* tests? ' "$retry_log"; then
            flaky+=("$test")
            outcome="FLAKY (failed, then passed when run again alone)"
        else
            still+=("$test")
            failure_lines "$retry_log"
            outcome="FAILED TWICE"
        fi
        {
            echo "$test: $outcome; pass $index ($name); logs $log, $retry_log"
            failure_lines "$log" | grep -F -- "${test##*/}" | sed 's/^/    /' | head -20
        } >>"$flaky_file"
    done
    if [ "${#still[@]}" -gt 0 ]; then
        failed=1
        summary+=("pass $index ($name): FAILED in ${took}s; failed twice: ${still[*]}")
    else
        summary+=("pass $index ($name): passed in ${took}s after a retry; FLAKY: ${flaky[*]}")
    fi
    summary+=("$first_failure")
done

echo
echo "=== summary (logs in $logs)"
printf '%s\n' "${summary[@]}"
echo
if [ -s "$flaky_file" ]; then
    echo "=== retried tests ($(grep -c '^[^ ]' "$flaky_file")), from $flaky_file: fix them, a retry only hid them"
    cat "$flaky_file"
else
    echo "=== retried tests: none ($flaky_file is empty)"
fi
exit "$failed"
