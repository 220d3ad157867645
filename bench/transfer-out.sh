#!/usr/bin/env bash
# bench/transfer-out.sh: what an outgoing AXFR of the signed 100k-name zone costs `dns-signer serve` —
# the transfer's wall time (kdig over TCP, output to a file) and the server's RSS before and after, three
# transfers in a row. A downstream secondary (NSD, Knot) pulls this on every new version.
#
# Knobs: SIGNERS (space-separated dns-signer binaries to compare, e.g. an older build; default: a release
#        build of this tree)  TRANSFERS [3]  BASE_PORT [15480]  BENCH_ROOT  RESULTS  NAMES
# Output: markdown on stdout and in $RESULTS/transfer-out.md; scratch in $BENCH_ROOT/transfer-out/.
set -u
source "$(dirname "$0")/common.sh"

: "${TRANSFERS:=3}"
: "${BASE_PORT:=15480}"
need kdig dig /usr/bin/time timeout
inputs
keys
if [ -z "${SIGNERS:-}" ]; then
    signer_binary
    SIGNERS=$SIGNER
fi

W=$BENCH_ROOT/transfer-out
rm -rf "$W"; mkdir -p "$W"
SIGNED=$W/zone-$NAMES.signed
first=${SIGNERS%% *}
log "signing $ZONE once (NSEC3) with $first"
timed S "$W/sign.log" "$first" sign-zone --origin "$ORIGIN" --in "$ZONE" --out "$SIGNED" --ksk "$KSK" --zsk "$ZSK" --nsec3 ||
    die "sign-zone failed: $(tail -3 "$W/sign.log")"

SERVER_PID=""
trap 'stop_pid "$SERVER_PID" dns-signer' EXIT
rss() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status" 2>/dev/null; }
OUT=$RESULTS/transfer-out.md
mkdir -p "$RESULTS"
{
    echo "### Outgoing AXFR of the signed $NAMES-name zone (load average $(loadavg))"
    echo
    echo "| dns-signer | RSS loaded MiB | AXFR s (each) | RSS after MiB (each) |"
    echo "|---|---:|---|---|"
} | tee "$OUT"
i=0
for binary in $SIGNERS; do
    i=$((i + 1)); port=$((BASE_PORT + i))
    "$binary" serve --zone-file "$ORIGIN=$SIGNED" --listen "127.0.0.1:$port" --threads 1 --db "$W/signer-$i.db" \
        >"$W/signer-$i.log" 2>&1 &
    SERVER_PID=$!
    wait_dns "$port" 180 || die "$binary did not serve the zone (see $W/signer-$i.log)"
    loaded=$(rss "$SERVER_PID")
    times="" after=""
    for n in $(seq 1 "$TRANSFERS"); do
        STEP_TIMEOUT=120 timed AX "$W/axfr-$i.txt" kdig +tcp +time=60 -p "$port" @127.0.0.1 AXFR "$ORIGIN" ||
            die "AXFR from $binary failed: $(tail -3 "$W/axfr-$i.txt")"
        grep -q "^;; Received" "$W/axfr-$i.txt" || die "AXFR from $binary incomplete: $(tail -3 "$W/axfr-$i.txt")"
        times+="${times:+ / }$AX_wall"
        after+="${after:+ / }$(rss "$SERVER_PID")"
    done
    stop_pid "$SERVER_PID" dns-signer; SERVER_PID=""
    echo "| $binary | $loaded | $times | $after |" | tee -a "$OUT"
done
