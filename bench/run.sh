#!/usr/bin/env bash
# bench/run.sh: the whole `make bench`, in order: CoreBench (DNSCore's own rates), bench/sign.sh (offline
# signing beside dnssec-signzone, ldns-signzone, kzonesign), bench/serve.sh (serving beside NSD and
# Knot), bench/transfer-out.sh (an outgoing AXFR's time and memory), bench/primary.sh (AXFR with ALIAS
# expanded, beside PowerDNS), bench/cycle.sh (the signer's poll and its apex/add/remove changes on 100k
# names, beside BIND inline-signing and dnssec-signzone -n 2) and bench/many.sh (10,000 small zones on one signer beside Knot). About 18
# minutes on 2 cores with the defaults, plus about 20 for the many-zones stage.
#
# Knobs: DURATION [20] seconds of dnsperf per server and layout; STAGES ["core sign serve transfer primary cycle many"];
#        BENCH_ROOT [/tmp/countersign-bench]; RESULTS [$BENCH_ROOT/results]; the knobs of sign.sh and
#        serve.sh pass through. Tables go to stdout and to $RESULTS/bench.md.
set -u
source "$(dirname "$0")/common.sh"
: "${DURATION:=20}"
: "${STAGES:=core sign serve transfer primary cycle many}"
export DURATION SWIFT SWIFTPM_FLAGS BENCH_ROOT RESULTS ORIGIN NAMES STEP_TIMEOUT SHARED_BENCH

# Fail early, before any build, when the shared generator is not there.
[ -r "$SHARED_BENCH/genzone.py" ] || die "$SHARED_BENCH/genzone.py not found: the bench needs the shared peer harness beside the repository (../shared/bench; or set SHARED_BENCH)"

T0=$(date +%s)
OUT=$RESULTS/bench.md
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
{
    echo "## Countersign bench, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "- Machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $NCPU cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
    echo "- Load average at start: $(loadavg) (the machine may be shared; compare rows of one run)"
    echo "- Countersign $(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo '?'), $($SWIFT --version 2>/dev/null | head -1)"
    echo "- Peers: bind9-utils $(pkgver bind9-utils), ldnsutils $(pkgver ldnsutils), knot $(pkgver knot), knot-dnssecutils $(pkgver knot-dnssecutils), nsd $(pkgver nsd), dnsperf $(pkgver dnsperf), pdns-server $(pkgver pdns-server)"
    echo
} | tee "$OUT"

for stage in $STAGES; do
    case $stage in
        core)
            log "CoreBench (release build)"
            (cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --product CoreBench >&2) || die "CoreBench build failed"
            bin=$(cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --show-bin-path)/CoreBench
            { echo "### CoreBench (DNSCore, one thread)"; echo; timeout 300 "$bin"; } | tee "$RESULTS/corebench.md" ||
                die "CoreBench failed"
            ;;
        sign) "$BENCH_HOME/sign.sh" || die "bench/sign.sh failed" ;;
        serve) "$BENCH_HOME/serve.sh" || die "bench/serve.sh failed" ;;
        transfer) "$BENCH_HOME/transfer-out.sh" || die "bench/transfer-out.sh failed" ;;
        primary) "$BENCH_HOME/primary.sh" || die "bench/primary.sh failed" ;;
        cycle) "$BENCH_HOME/cycle.sh" || die "bench/cycle.sh failed" ;;
        many) "$BENCH_HOME/many.sh" || die "bench/many.sh failed" ;;
        *) die "unknown stage $stage (core, sign, serve, transfer, primary, cycle, many)" ;;
    esac
    echo
done

for f in corebench sign serve transfer-out primary cycle many; do
    stage=${f/corebench/core}
    [ "$f" = cycle ] && f="cycle-${PRIMARY:-nsd}-${TRANSFER:-ixfr}"   # cycle.sh names its table by primary and transfer
    case " $STAGES " in *" ${stage/transfer-out/transfer} "*) { cat "$RESULTS/$f.md"; echo; } >>"$OUT" ;; esac
done
echo "- Load average at the end: $(loadavg); whole run $(( $(date +%s) - T0 )) s." | tee -a "$OUT"
log "tables in $RESULTS (bench.md = everything)"
