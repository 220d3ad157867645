#!/usr/bin/env bash
# bench/sign.sh: offline signing speed of `dns-signer sign-zone` beside dnssec-signzone, ldns-signzone and
# kzonesign, on the same generated zone ($NAMES names, default 100k) with the same KSK + ZSK
# (ECDSAP256SHA256), for NSEC3 (SHA-1, 0 iterations, empty salt, no opt-out) and NSEC.
#
# Each signer runs once per mode under /usr/bin/time -v (wall, CPU, peak RSS). Peers run without a
# post-sign self-check (dnssec-signzone -P; the others have none). Ours always runs its own verifier
# before writing, so it is timed twice when it can: as shipped, and with --skip-verify (signing only).
# After all timing, every output is counted (RRSIGs, signed RRsets) and validated with dnssec-verify
# and ldns-verify-zone. Also reports `openssl speed ecdsap256`: that rate times the cores is the
# physical limit of signing on this machine.
#
# Knobs: MODES ["nsec3 nsec"]  PEERS ["bind ldns knot"]  VERIFY ["bind ldns" | none]  VERIFY_JOBS [2]
#        CRYPTO_SECONDS [2] (0 = skip openssl speed)  NAMES [100000]  BENCH_ROOT [/tmp/countersign-bench]
#        RESULTS [$BENCH_ROOT/results]  STEP_TIMEOUT [300]
# Output: markdown on stdout and in $RESULTS/sign.md (+ sign.tsv, crypto.md); logs and signed zones in
# $BENCH_ROOT/sign/.
set -u
source "$(dirname "$0")/common.sh"

: "${MODES:=nsec3 nsec}"
: "${PEERS=bind ldns knot}"
: "${VERIFY:=bind ldns}"
: "${VERIFY_JOBS:=2}"
: "${CRYPTO_SECONDS:=2}"

need python3 dnssec-keygen dnssec-signzone ldns-signzone kzonesign keymgr dnssec-verify ldns-verify-zone \
    ldns-read-zone openssl /usr/bin/time timeout
inputs
keys
signer_binary
SKIP_VERIFY=no
"$SIGNER" sign-zone --help 2>&1 | grep -q -- '--skip-verify' && SKIP_VERIFY=yes

W=$BENCH_ROOT/sign
rm -rf "$W"; mkdir -p "$W/out" "$W/logs"
ROWS=$W/rows.tsv; : >"$ROWS"
LOAD_START=$(loadavg)
log "signing $ZONE with KSK $(basename "$KSK"), ZSK $(basename "$ZSK"); modes: $MODES; load average $LOAD_START"

# ---- physical limit: raw ECDSA P-256 signing -----------------------------------------------------------
crypto() {
    local d=$W/crypto; mkdir -p "$d"
    timeout 60 openssl speed -seconds "$CRYPTO_SECONDS" ecdsap256 >"$d/single.txt" 2>&1
    timeout 60 openssl speed -multi "$NCPU" -seconds "$CRYPTO_SECONDS" ecdsap256 >"$d/multi.txt" 2>&1
    local one all
    one=$(awk '/ecdsa \(nistp256\)/ {printf "%.0f %.0f", $(NF-1), $NF; exit}' "$d/single.txt")
    all=$(awk '/ecdsa \(nistp256\)/ {printf "%.0f %.0f", $(NF-1), $NF; exit}' "$d/multi.txt")
    {
        echo "### openssl speed ecdsap256 ($(openssl version | cut -d' ' -f1-2), ${CRYPTO_SECONDS} s per test)"
        echo
        printf 'cores\tsign/s\tverify/s\n'
        printf '1\t%s\t%s\n' ${one:-- -}
        printf '%s (-multi)\t%s\t%s\n' "$NCPU" ${all:-- -}
    } | { read -r t; echo "$t"; read -r b; echo; tsv2md; } >"$RESULTS/crypto.md"
    CRYPTO_LIMIT=${all%% *}
}
CRYPTO_LIMIT=""
if [ "$CRYPTO_SECONDS" != 0 ]; then log "openssl speed ecdsap256 (1 core, $NCPU cores)"; crypto; fi

# record TOOL MODE OUT VAR KIND
record() {
    local w=${4}_wall c=${4}_cpu r=${4}_rss rc=${4}_rc
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${!w}" "${!c}" "${!r}" "${!rc}" "$5" >>"$ROWS"
    log "  $1 [$2]: wall ${!w}s cpu ${!c}s peak RSS ${!r} MiB rc ${!rc}"
}

sign_bind() { # mode
    local mode=$1 out=$W/out/bind-$1.signed n3=()
    [ "$mode" = nsec3 ] && n3=(-3 - -H 0)
    # -S -K: the two keys of $KEYDIR (DNSKEYs added to the apex); -x: DNSKEY signed by the KSK only;
    # -P: no post-sign self-check; -d: the dsset file goes to scratch, not the working directory.
    timed T "$W/logs/bind-$mode.log" dnssec-signzone -S -K "$KEYDIR" -x -P -O full -n "$NCPU" "${n3[@]}" \
        -d "$W/out" -o "$ORIGIN_NODOT" -f "$out" "$ZONE"
    record "dnssec-signzone -n $NCPU" "$mode" "$out" T peer
}

sign_ldns() { # mode
    local mode=$1 out=$W/out/ldns-$1.signed n3=()
    [ "$mode" = nsec3 ] && n3=(-n -a 1 -t 0)
    timed T "$W/logs/ldns-$mode.log" ldns-signzone "${n3[@]}" -o "$ORIGIN_NODOT" -f "$out" "$ZONE" "$KSK" "$ZSK"
    record "ldns-signzone" "$mode" "$out" T peer
}

sign_knot() { # mode: a throwaway KASP database with our two keys imported, manual key management
    local mode=$1 d=$W/knot-$1 out=$W/out/knot-$1.signed n3=off
    [ "$mode" = nsec3 ] && n3=on
    mkdir -p "$d/out"
    cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
database:
    storage: "$d"
    kasp-db: "$d/kasp"
log:
  - target: stderr
    any: warning
policy:
  - id: bench
    algorithm: ecdsap256sha256
    manual: on
    nsec3: $n3
    nsec3-iterations: 0
    nsec3-salt-length: 0
    nsec3-opt-out: off
    signing-threads: $NCPU
    cds-cdnskey-publish: none
zone:
  - domain: $ORIGIN
    file: "$ZONE"
    dnssec-signing: on
    dnssec-policy: bench
EOF
    if ! { keymgr -c "$d/knot.conf" "$ORIGIN" import-bind "$KSK.private" &&
           keymgr -c "$d/knot.conf" "$ORIGIN" import-bind "$ZSK.private"; } >"$d/keymgr.log" 2>&1; then
        log "  keymgr import-bind failed: $(tail -2 "$d/keymgr.log" | tr '\n' ' ')"; return
    fi
    timed T "$W/logs/knot-$mode.log" kzonesign -c "$d/knot.conf" -o "$d/out" "$ORIGIN"
    mv "$d/out/$(basename "$ZONE")" "$out" 2>/dev/null
    record "kzonesign threads=$NCPU" "$mode" "$out" T peer
}

sign_ours() { # mode [--skip-verify]
    local mode=$1 extra=${2:-} tag=ours n3=()
    [ "$mode" = nsec3 ] && n3=(--nsec3)
    [ -n "$extra" ] && tag=ours-noverify
    local out=$W/out/$tag-$mode.signed name="dns-signer (with self-verify)"
    [ -n "$extra" ] && name="dns-signer --skip-verify"
    timed T "$W/logs/$tag-$mode.log" "$SIGNER" sign-zone --origin "$ORIGIN" --in "$ZONE" --out "$out" \
        --ksk "$KSK" --zsk "$ZSK" "${n3[@]}" $extra
    record "$name" "$mode" "$out" T ours
}

for mode in $MODES; do
    for p in $PEERS; do "sign_$p" "$mode"; done
    sign_ours "$mode"
    [ "$SKIP_VERIFY" = yes ] && sign_ours "$mode" --skip-verify
done
LOAD_END=$(loadavg)

# ---- after all timing: count and validate (VERIFY_JOBS at a time, longest first) ----------------------
log "counting and validating $(wc -l <"$ROWS") outputs ($VERIFY)"
JOBS=$W/verify.jobs; : >"$JOBS"
while IFS=$'\t' read -r _ _ out _; do
    b=$(basename "$out" .signed)
    echo "count $out $W/logs/$b.count" >>"$JOBS"
    for v in $VERIFY; do [ "$v" = none ] || echo "$v $out $W/logs/$b.verify-$v" >>"$JOBS"; done
done <"$ROWS"
export BENCH_ROOT RESULTS ORIGIN STEP_TIMEOUT BENCH_HOME
sort -r -k1,1 "$JOBS" | xargs -P "$VERIFY_JOBS" -L 1 bash -c '
    source "$BENCH_HOME/common.sh"
    kind=$0 f=$1 res=$2
    [ -s "$f" ] || { echo MISSING >"$res"; exit 0; }
    case $kind in
        count) count_sigs "$f" >"$res" ;;
        bind) if timeout "$STEP_TIMEOUT" dnssec-verify -q -o "$ORIGIN_NODOT" "$f" >"$res.log" 2>&1; then echo OK; else echo FAIL; fi >"$res" ;;
        ldns) if timeout "$STEP_TIMEOUT" ldns-verify-zone "$f" >"$res.log" 2>&1; then echo OK; else echo FAIL; fi >"$res" ;;
    esac'

# ---- table ------------------------------------------------------------------------------------------------
TSV=$RESULTS/sign.tsv
{
    printf 'signer\tmode\tRRsets signed\tRRSIGs\twall s\tCPU s\tRRSIGs/s\tpeak RSS MiB\twall / fastest peer\tdnssec-verify\tldns-verify-zone\n'
    while IFS=$'\t' read -r tool mode out wall cpu rss rc kind; do
        b=$(basename "$out" .signed)
        nsig=0 nset=0
        read -r nsig nset 2>/dev/null <"$W/logs/$b.count"
        [ "$nsig" = MISSING ] && nsig=0 nset=0
        best=$(awk -F'\t' -v m="$mode" '$2 == m && $8 == "peer" && $7 == 0 && (b == "" || $4 + 0 < b + 0) {b = $4} END {print b}' "$ROWS")
        ratio=$(awk -v w="$wall" -v b="$best" 'BEGIN { if (b > 0) printf "%.2f", w / b; else print "-" }')
        vb=$(cat "$W/logs/$b.verify-bind" 2>/dev/null || echo -)
        vl=$(cat "$W/logs/$b.verify-ldns" 2>/dev/null || echo -)
        shown=$wall; [ "$rc" = 0 ] || shown="$wall (exit $rc)"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$mode" "$nset" "$nsig" "$shown" "$cpu" \
            "$(fdiv "$nsig" "$wall")" "$rss" "$ratio" "$vb" "$vl"
    done <"$ROWS"
} >"$TSV"
{
    echo "### Signing $(basename "$ZONE") ($NAMES names, ECDSAP256SHA256 KSK+ZSK), $(date -u +%Y-%m-%dT%H:%MZ), $NCPU cores"
    echo
    echo "Load average before: $LOAD_START; after the timed runs: $LOAD_END."
    echo
    tsv2md <"$TSV"
    echo
    [ "$SKIP_VERIFY" = yes ] || echo "- dns-signer has no --skip-verify yet: its only row includes the self-check of the signed zone."
    [ "$SKIP_VERIFY" = yes ] && echo "- 'dns-signer (with self-verify)' is the shipped behaviour (our verifier rebuilds the signed data of every signature and checks it, our fresh signatures by their receipts after one full verification per key, and the chain, before writing); '--skip-verify' is signing only, comparable with the peers (dnssec-signzone runs with -P)."
    echo "- dns-signer publishes CDS and CDNSKEY at the apex (2 more RRSIGs than the peers, which run with CDS/CDNSKEY off)."
    if [ -n "$CRYPTO_LIMIT" ]; then
        echo "- Physical limit: openssl signs $CRYPTO_LIMIT ECDSA P-256 signatures/s on $NCPU cores (table below)."
        echo
        cat "$RESULTS/crypto.md"
    fi
} | tee "$RESULTS/sign.md"
