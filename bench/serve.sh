#!/usr/bin/env bash
# bench/serve.sh: authoritative serving of one signed zone by `dns-signer serve`, NSD and Knot.
#
# The generated zone ($NAMES names, default 100k; the same bytes as ../shared/bench) is signed once
# with ours (NSEC3, ECDSAP256SHA256, the bench's KSK+ZSK); every server loads that same file on
# 127.0.0.1 (high ports, configs in scratch directories, foreground, stopped by PID). Per server:
#   - load time (start until the SOA is answered)
#   - 7 answers validated by `delv` against the KSK (positive, NXDOMAIN, NODATA, wildcard, CNAME,
#     DS at a secure delegation, DS absence proof at an insecure one)
#   - $ANSWER_SAMPLE queries of the query file (DO bit) compared with NSD's answers: rcode, AA, TC
#     and the answer and authority sections as (owner, type, count) sets
#   - full AXFR over TCP with kdig (time, records)
#   - dnsperf -D -c $CLIENTS -l $DURATION with the genzone.py query file: QPS, latency, lost queries,
#     server CPU (all its threads/processes), memory (PSS of the process tree, and peak RSS)
# in two layouts: shared (server with 2 workers, dnsperf free to run anywhere) and pinned (server on
# core 0 with `taskset -c 0` and 1 worker, dnsperf on core 1). Ours has no thread option yet: it runs
# its 2 event loops in both layouts, confined to core 0 when pinned.
#
# Knobs: SERVERS ["nsd knot ours"]  LAYOUTS ["shared pinned"]  DURATION [20]  CLIENTS [20]
#        ANSWER_SAMPLE [300]  BASE_PORT [15440]  LOAD_TIMEOUT [120]  NAMES [100000]
#        BENCH_ROOT [/tmp/countersign-bench]  RESULTS [$BENCH_ROOT/results]
# Output: markdown on stdout and in $RESULTS/serve.md (+ serve.tsv); logs in $BENCH_ROOT/serve/.
set -u
source "$(dirname "$0")/common.sh"

: "${SERVERS:=nsd knot ours}"
: "${LAYOUTS:=shared pinned}"
: "${DURATION:=20}"
: "${CLIENTS:=20}"
: "${ANSWER_SAMPLE:=300}"
: "${BASE_PORT:=15440}"
: "${LOAD_TIMEOUT:=120}"

need python3 dnssec-keygen nsd knotd dnsperf delv dig kdig ldns-read-zone taskset /usr/bin/time timeout
python3 -c 'import dns.message, dns.query' 2>/dev/null || die "python3-dnspython is missing (scripts/install-test-deps.sh)"
inputs
keys
signer_binary
OUR_THREADS_FLAG=no
"$SIGNER" serve --help 2>&1 | grep -q -- '--threads' && OUR_THREADS_FLAG=yes

W=$BENCH_ROOT/serve
rm -rf "$W"; mkdir -p "$W"
SIGNED=$W/zone-$NAMES.signed
log "signing $ZONE once with dns-signer (NSEC3) for all servers"
timed S "$W/sign.log" "$SIGNER" sign-zone --origin "$ORIGIN" --in "$ZONE" --out "$SIGNED" --ksk "$KSK" --zsk "$ZSK" --nsec3 ||
    die "dns-signer sign-zone failed: $(tail -3 "$W/sign.log")"
log "  signed in ${S_wall}s: $SIGNED ($(wc -l <"$SIGNED") lines)"
NQ=$(wc -l <"$QUERIES")

# Trust anchor for delv: the KSK every tool shares.
awk '!/^;/ && $0 ~ /DNSKEY/ { for (i = 1; i <= NF; i++) if ($i == "DNSKEY") break
        k = ""; for (j = i + 4; j <= NF; j++) k = k $j
        printf "trust-anchors {\n  \"%s\" static-key %s %s %s \"%s\";\n};\n", "'"$ORIGIN"'", $(i+1), $(i+2), $(i+3), k }' \
    "$KSK.key" >"$W/anchor.conf"
POS=$(awk '$2=="A" && $1!~/^(nx|www\.)/ {print $1; exit}' "$QUERIES")
CNM=$(awk '$2=="CNAME" {print $1; exit}' "$QUERIES")
read -r DSEC DINS < <(ldns-read-zone -E NS -E DS "$SIGNED" 2>/dev/null | awk -v o="$ORIGIN" '
    $4=="DS" {ds[$1]=1} $4=="NS" && $1!=o {ns[$1]=1}
    END {for (n in ns) { if (n in ds) s=n; else i=n; if (s!="" && i!="") break }; print s, i}')
CHECKS="$POS/A nx-does-not-exist.$ORIGIN/A $POS/MX foo.wild.$ORIGIN/TXT ${CNM:-$POS}/CNAME ${DSEC:-$POS}/DS ${DINS:-$POS}/DS"
awk -v n="$NQ" -v k="$ANSWER_SAMPLE" 'BEGIN {s = int(n / k); if (s < 1) s = 1} (NR - 1) % s == 0 && c < k {print; c++}' \
    "$QUERIES" >"$W/sample.txt"

# Answer digests: one line per query, so two servers can be compared with diff.
cat >"$W/digest.py" <<'EOF'
import sys, dns.message, dns.query, dns.flags, dns.rcode
import dns.name
port, sample, apex = int(sys.argv[1]), sys.argv[2], dns.name.from_text(sys.argv[3])
def section(rrsets):
    return " ".join(sorted("%s/%s/%d" % (r.name.to_text().lower(), dns.rdatatype.to_text(r.rdtype)
                                           + ("(" + dns.rdatatype.to_text(r.covers) + ")" if r.covers else ""), len(r))
                           for r in rrsets))
import dns.rdatatype
for line in open(sample):
    name, qtype = line.split()[:2]
    q = dns.message.make_query(name, qtype, want_dnssec=True, payload=1232)
    q.flags &= ~dns.flags.RD
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
        flags = "".join(f for f, b in (("aa", dns.flags.AA), ("tc", dns.flags.TC)) if r.flags & b)
        # NSD also puts the apex NS RRset in the authority section of positive answers (Knot and ours
        # answer minimally); that optional extra is not a difference.
        auth = [x for x in r.authority if not (r.answer and x.name == apex
                                               and dns.rdatatype.NS in (x.rdtype, x.covers))]
        print("%s %s | %s %s | AN %s | NS %s" % (name.lower(), qtype, dns.rcode.to_text(r.rcode()), flags or "-",
                                                section(r.answer), section(auth)))
    except Exception as e:
        print("%s %s | ERROR %s" % (name.lower(), qtype, type(e).__name__))
EOF

SERVER_PID=""
trap 'stop_pid "$SERVER_PID" server' EXIT INT TERM

# ---- start commands: config into DIR, N workers, PORT; print the foreground command ---------------
cmd_nsd() {
    local d=$1 n=$2 port=$3
    cat >"$d/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    do-ip6: no
    server-count: $n
    reuseport: yes
    username: ""
    chroot: ""
    zonesdir: "$d"
    database: ""
    pidfile: "$d/nsd.pid"
    xfrdfile: "$d/xfrd.state"
    zonelistfile: "$d/zone.list"
    logfile: "$d/nsd.log"
    verbosity: 0
    tcp-count: 200
    # response rate limiting is on by default (200 qps per source): off for a load test from one address
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "$ORIGIN_NODOT"
    zonefile: "$SIGNED"
    provide-xfr: 127.0.0.1 NOKEY
EOF
    echo nsd -d -c "$d/nsd.conf"
}
cmd_knot() {
    local d=$1 n=$2 port=$3
    cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$port
    udp-workers: $n
    tcp-workers: $n
    background-workers: 1
database:
    storage: "$d"
log:
  - target: stderr
    any: warning
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $ORIGIN
    file: "$SIGNED"
    acl: xfr
EOF
    echo knotd -c "$d/knot.conf"
}
cmd_ours() {
    local d=$1 n=$2 port=$3 threads=""
    [ "$OUR_THREADS_FLAG" = yes ] && threads="--threads $n"
    echo "$SIGNER" serve --listen "127.0.0.1:$port" --zone-file "$ORIGIN=$SIGNED" $threads
}
label_of() { case $1 in nsd) echo NSD ;; knot) echo Knot ;; ours) echo dns-signer ;; *) echo "$1" ;; esac; }

# launch SERVER LAYOUT PORT: sets SERVER_PID and LOAD_S; 1 when it never answered.
launch() {
    local s=$1 layout=$2 port=$3 d=$W/$1-$2 n=2 pin=() cmd t0
    mkdir -p "$d"
    [ "$layout" = pinned ] && { n=1; pin=(taskset -c 0); }
    if wait_dns "$port" 1; then log "something already answers on 127.0.0.1:$port: not measuring $s"; return 1; fi
    cmd=$("cmd_$s" "$d" "$n" "$port")
    echo "$cmd" >"$d/command"
    t0=$(now)
    # shellcheck disable=SC2086
    "${pin[@]}" $cmd >"$d/server.log" 2>&1 &
    SERVER_PID=$!
    if ! wait_dns "$port" "$LOAD_TIMEOUT"; then
        log "$s did not answer within ${LOAD_TIMEOUT}s: $(tail -3 "$d/server.log" | tr '\n' ' ')"
        stop_pid "$SERVER_PID" "$s"; SERVER_PID=""
        return 1
    fi
    LOAD_S=$(fsub "$(now)" "$t0")
}

spot_check() { # PORT -> "ok/total"; failures kept in $W/delv.PORT.N
    local port=$1 ok=0 tot=0 c name type f
    for c in $CHECKS; do
        name=${c%/*} type=${c#*/}; tot=$((tot + 1)); f=$W/delv.$port.$tot
        if timeout 10 delv -a "$W/anchor.conf" +root="$ORIGIN_NODOT" -p "$port" @127.0.0.1 "$name" "$type" >"$f" 2>&1 &&
            grep -q '^; fully validated\|^; negative response, fully validated' "$f"; then
            ok=$((ok + 1))
        else
            log "  delv $name $type: not validated (see $f)"
        fi
    done
    echo "$ok/$tot"
}

axfr() { # PORT -> AX_S (kdig's transfer time), AX_RRS
    local port=$1 f=$W/axfr.$port.txt
    STEP_TIMEOUT=120 timed AX "$f" kdig +tcp +time=60 -p "$port" @127.0.0.1 AXFR "$ORIGIN"
    AX_RRS=$(tail -4 "$f" | grep -Eo '[0-9]+ records' | cut -d' ' -f1)
    AX_S=$(tail -4 "$f" | awk '/^;; From/ {printf "%.3f", $(NF-1)/1000}')
    tail -4 "$f" >"$f.tail"; rm -f "$f"
    [ -n "$AX_RRS" ] || { AX_RRS=FAILED; AX_S=-; }
}

perf() { # PORT LAYOUT LOG -> PQ PLAT PSD PLOST PRUN PRC SRV_CPU; dnsperf CPU in PF_cpu
    local port=$1 layout=$2 logf=$3 pin=() c0 c1
    [ "$layout" = pinned ] && pin=(taskset -c 1)
    c0=$(cpu_tree "$SERVER_PID")
    STEP_TIMEOUT=$((DURATION + 30)) timed PF "$logf" "${pin[@]}" dnsperf -s 127.0.0.1 -p "$port" -d "$QUERIES" -D \
        -c "$CLIENTS" -l "$DURATION" -t 5
    c1=$(cpu_tree "$SERVER_PID")
    SRV_CPU=$(fsub "$c1" "$c0")
    PQ=$(awk '/Queries per second/ {printf "%.0f", $4}' "$logf")
    PLAT=$(awk '/Average Latency/ {printf "%.3f", $4 * 1000}' "$logf")
    PSD=$(awk '/Latency StdDev/ {printf "%.3f", $4 * 1000}' "$logf")
    PLOST=$(awk '/Queries lost/ {gsub(/[()]/, "", $4); print $4}' "$logf")
    PRUN=$(awk '/Run time \(s\)/ {print $4}' "$logf")
    PRC=$(awk '/Response codes/ {sub(/.*Response codes: */, ""); print}' "$logf")
    : "${PQ:=0}" "${PLAT:=-}" "${PSD:=-}" "${PLOST:=-}" "${PRUN:=$DURATION}" "${PRC:=-}"
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }

# ---- main loop --------------------------------------------------------------------------------------
ROWS=$W/rows.tsv; : >"$ROWS"
FIRST_LAYOUT=${LAYOUTS%% *}
LOAD_START=$(loadavg)
log "serving $SIGNED; query file $QUERIES ($NQ lines); load average $LOAD_START"
i=0
for s in $SERVERS; do
    i=$((i + 1)); port=$((BASE_PORT + i))
    for layout in $LAYOUTS; do
        la=$(cut -d' ' -f1 /proc/loadavg)
        log "$(label_of "$s") [$layout] on 127.0.0.1:$port (load average $la)"
        if ! launch "$s" "$layout" "$port"; then
            printf '%s\t%s\tFAILED%s\t%s\n' "$s" "$layout" "$(printf '\t-%.0s' $(seq 13))" "$la" >>"$ROWS"; continue
        fi
        SC=- AX_S=- AX_RRS=- ANS=-
        if [ "$layout" = "$FIRST_LAYOUT" ]; then
            SC=$(spot_check "$port")
            timeout 120 python3 "$W/digest.py" "$port" "$W/sample.txt" "$ORIGIN" >"$W/answers.$s.txt" 2>"$W/answers.$s.err"
            axfr "$port"
        fi
        perf "$port" "$layout" "$W/dnsperf.$s.$layout.log"
        PSS=$(pss_tree "$SERVER_PID"); HWM=$(hwm_tree "$SERVER_PID")
        stop_pid "$SERVER_PID" "$s"; SERVER_PID=""
        QPC=$(awk -v q="$PQ" -v c="$SRV_CPU" -v t="$PRUN" 'BEGIN { if (c > 0) printf "%.0f", q * t / c; else print "-" }')
        log "  load ${LOAD_S}s, delv $SC, AXFR ${AX_S}s ($AX_RRS RRs), $PQ qps, ${PLAT} ms, lost $PLOST, server CPU ${SRV_CPU}s, dnsperf CPU ${PF_cpu}s, PSS $PSS MiB, peak RSS $HWM MiB"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$layout" "$LOAD_S" "$PSS" "$HWM" \
            "$SC" "$AX_S" "$AX_RRS" "$PQ" "$PLAT" "$PSD" "$PLOST" "$(pct "$SRV_CPU" "$PRUN")" "$(pct "$PF_cpu" "$PRUN")" \
            "$QPC" "$PRC" "$la" >>"$ROWS"
    done
done
LOAD_END=$(loadavg)

# ---- answers compared with NSD's ------------------------------------------------------------------------
ref=$W/answers.nsd.txt
for s in $SERVERS; do
    f=$W/answers.$s.txt
    if [ "$s" = nsd ] || [ ! -s "$ref" ] || [ ! -s "$f" ]; then echo "-" >"$W/answers.$s.verdict"; continue; fi
    same=$(paste -d'\n' "$ref" "$f" | awk 'NR % 2 {a = $0; next} $0 == a {n++} END {print n + 0}')
    total=$(wc -l <"$ref")
    echo "$same/$total" >"$W/answers.$s.verdict"
    diff "$ref" "$f" >"$W/answers.$s.diff"
    [ "$same" = "$total" ] || log "$(label_of "$s"): $((total - same)) of $total sampled answers differ from NSD's (diff in $W/answers.$s.diff)"
done
if [ -s "$ref" ]; then
    errs=$(grep -c '| ERROR' "$W"/answers.*.txt | awk -F: '$2 > 0 {printf "%s ", $0}')
    [ -z "$errs" ] || log "timeouts/errors in the sampled answers: $errs"
fi

# ---- table --------------------------------------------------------------------------------------------------
TSV=$RESULTS/serve.tsv
{
    printf 'server\tlayout\tload s\tPSS MiB\tpeak RSS MiB\tdelv ok\tanswers = NSD\tAXFR s\tAXFR RRs\tQPS\tQPS / best peer\tavg lat ms\tlat sd ms\tlost\tserver CPU\tdnsperf CPU\tQPS per server core\tresponse codes\tload avg\n'
    while IFS=$'\t' read -r s layout load pss hwm sc ax axr q lat sd lost scpu pcpu qpc rc la; do
        if [ "$load" = FAILED ]; then
            printf '%s\t%s\tFAILED%s\t%s\n' "$(label_of "$s")" "$layout" "$(printf '\t-%.0s' $(seq 15))" "$la"; continue
        fi
        best=$(awk -F'\t' -v l="$layout" '$2 == l && $1 != "ours" && $3 != "FAILED" && $9 + 0 > b {b = $9 + 0} END {print b + 0}' "$ROWS")
        ratio=$(awk -v q="$q" -v b="$best" 'BEGIN { if (b > 0) printf "%.2f", q / b; else print "-" }')
        ans=-; [ "$layout" = "$FIRST_LAYOUT" ] && ans=$(cat "$W/answers.$s.verdict" 2>/dev/null || echo -)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(label_of "$s")" "$layout" \
            "$load" "$pss" "$hwm" "$sc" "$ans" "$ax" "$axr" "$q" "$ratio" "$lat" "$sd" "$lost" "$scpu" "$pcpu" "$qpc" "$rc" "$la"
    done <"$ROWS"
} >"$TSV"
{
    echo "### Serving $(basename "$SIGNED") ($(wc -l <"$SIGNED") lines, signed by dns-signer, NSEC3), dnsperf -D -c $CLIENTS -l $DURATION, $NQ-line query file, $(date -u +%Y-%m-%dT%H:%MZ), $NCPU cores"
    echo
    echo "Load average before: $LOAD_START; after: $LOAD_END (the 'load avg' column is the 1-minute figure as each server started)."
    echo
    tsv2md <"$TSV"
    echo
    echo "- shared: server with 2 workers, dnsperf unpinned; pinned: server on core 0 (taskset -c 0, 1 worker), dnsperf on core 1."
    [ "$OUR_THREADS_FLAG" = yes ] ||
        echo "- dns-signer serve has no thread option: it runs 2 event loops in both layouts (confined to core 0 when pinned)."
    echo "- 'answers = NSD': of $(wc -l <"$W/sample.txt") sampled queries (DO bit, UDP, 1232-byte payload), how many got the same rcode, AA/TC flags and the same (owner, type, count) sets in the answer and authority sections as from NSD."
} | tee "$RESULTS/serve.md"
