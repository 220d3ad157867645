# Helpers shared by bench/sign.sh, bench/serve.sh and bench/run.sh. Source it; do not run it.
# Every wait and every timed step is bounded; only processes started here are stopped, by PID.
# Nothing is written into the repository: scratch and results go under $BENCH_ROOT.

BENCH_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_HOME/.." && pwd)
: "${SWIFT:=swift}"
: "${SWIFTPM_FLAGS:=}"
: "${BENCH_ROOT:=/tmp/countersign-bench}"   # scratch: zone, keys, signed outputs, logs
: "${RESULTS:=$BENCH_ROOT/results}"         # markdown + TSV tables
: "${ORIGIN:=example.test.}"
: "${NAMES:=100000}"                        # owner names in the generated zone
: "${STEP_TIMEOUT:=300}"                    # cap for any single timed step (s)
# The peer harness beside the project; only its zone generator is used, so that our figures are
# measured on the same bytes as ../shared/bench/RESULTS.md.
: "${SHARED_BENCH:=$REPO/../shared/bench}"
ORIGIN_NODOT=${ORIGIN%.}
NCPU=$(nproc)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
fdiv() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 > 0) printf "%.0f", a/b; else print "-" }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
mkdir -p "$BENCH_ROOT" "$RESULTS"

# need CMD...: fail with the install hint when a tool is missing.
need() {
    local c missing=()
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$c"); done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (as root: scripts/install-test-deps.sh)"
}

# inputs: the deterministic zone and dnsperf query file from the shared generator (seed 42).
# Sets ZONE and QUERIES.
inputs() {
    local gen=$SHARED_BENCH/genzone.py
    [ -x "$gen" ] || [ -r "$gen" ] || die "$gen not found: the bench needs the shared peer harness beside the repository (../shared/bench/genzone.py; or set SHARED_BENCH)"
    ZONE=$BENCH_ROOT/zone-$NAMES.db
    QUERIES=$BENCH_ROOT/queries-$NAMES.txt
    if [ ! -s "$ZONE" ] || [ ! -s "$QUERIES" ]; then
        log "generating $NAMES-name zone and query file with $gen"
        python3 "$gen" "$NAMES" "$ZONE" --origin "$ORIGIN" --queries "$QUERIES" >&2 || die "genzone.py failed"
    fi
}

# keys: one KSK + one ZSK (ECDSAP256SHA256, BIND format) used by every tool. Sets KEYDIR, KSK, ZSK
# (paths without .key/.private).
keys() {
    KEYDIR=$BENCH_ROOT/keys
    if ! ls "$KEYDIR"/K"$ORIGIN_NODOT".+013+*.private >/dev/null 2>&1; then
        mkdir -p "$KEYDIR"
        dnssec-keygen -q -K "$KEYDIR" -a ECDSAP256SHA256 -f KSK "$ORIGIN_NODOT" >/dev/null || die "dnssec-keygen failed"
        dnssec-keygen -q -K "$KEYDIR" -a ECDSAP256SHA256 "$ORIGIN_NODOT" >/dev/null || die "dnssec-keygen failed"
    fi
    KSK="" ZSK=""
    local k
    for k in "$KEYDIR"/K"$ORIGIN_NODOT".+013+*.key; do
        if grep -Eq 'DNSKEY[[:space:]]+257[[:space:]]' "$k"; then KSK=${k%.key}; else ZSK=${k%.key}; fi
    done
    [ -n "$KSK" ] && [ -n "$ZSK" ] || die "need exactly one KSK and one ZSK in $KEYDIR"
}

# signer_binary: release build of dns-signer. Sets SIGNER.
signer_binary() {
    log "release build of dns-signer"
    (cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --product dns-signer >&2) || die "swift build of dns-signer failed"
    SIGNER=$(cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --show-bin-path)/dns-signer
    [ -x "$SIGNER" ] || die "no $SIGNER after the build"
}

# timed VAR LOGFILE cmd...: runs cmd under `timeout $STEP_TIMEOUT /usr/bin/time -v`; sets VAR_wall (s),
# VAR_cpu (user+sys s), VAR_rss (peak RSS MiB), VAR_rc.
timed() {
    local var=$1 logf=$2; shift 2
    local tf t0 t1 rc
    tf=$(mktemp "$BENCH_ROOT/time.XXXXXX")
    t0=$(now)
    timeout "$STEP_TIMEOUT" /usr/bin/time -v -o "$tf" "$@" >"$logf" 2>&1
    rc=$?
    t1=$(now)
    printf -v "${var}_wall" '%s' "$(fsub "$t1" "$t0")"
    printf -v "${var}_rc" '%s' "$rc"
    printf -v "${var}_cpu" '%s' "$(awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u+s}' "$tf")"
    printf -v "${var}_rss" '%s' "$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$tf")"
    rm -f "$tf"
    return "$rc"
}

# tree_pids PID: PID, its children and grandchildren (NSD forks its workers).
tree_pids() {
    local k g
    echo "$1"
    for k in $(pgrep -P "$1" 2>/dev/null); do
        echo "$k"
        for g in $(pgrep -P "$k" 2>/dev/null); do echo "$g"; done
    done
}
# cpu_tree PID: user+sys seconds used so far by the process tree.
cpu_tree() {
    local hz p; hz=$(getconf CLK_TCK)
    for p in $(tree_pids "$1"); do cat "/proc/$p/stat" 2>/dev/null; echo; done |
        awk -v hz="$hz" 'NF { sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%.2f", t/hz }'
}
# pss_tree PID: proportional set size of the tree, MiB (forked workers sharing pages are not counted twice).
pss_tree() {
    local p v tot=0
    for p in $(tree_pids "$1"); do
        v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        tot=$((tot + ${v:-0}))
    done
    echo $((tot / 1024))
}
# hwm_tree PID: the largest peak RSS (VmHWM) of any process in the tree, MiB.
hwm_tree() {
    local p
    for p in $(tree_pids "$1"); do awk '/^VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null; done |
        awk '$1 > m {m = $1} END {printf "%.0f", m/1024}'
}

# wait_dns PORT [SECONDS]: bounded wait until 127.0.0.1:PORT answers the apex SOA with an SOA record.
wait_dns() {
    local port=$1 limit=${2:-60} t0; t0=$(date +%s)
    while (( $(date +%s) - t0 < limit )); do
        if dig +time=1 +tries=1 +norec +noall +answer -p "$port" @127.0.0.1 "$ORIGIN" SOA 2>/dev/null |
            awk '$1 !~ /^;/ && $4 == "SOA" {f=1} END {exit !f}'; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# stop_pid PID [NAME]: TERM, up to 10 s, then KILL. Only ever a PID started by these scripts.
stop_pid() {
    local pid=$1 name=${2:-pid} i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.2; done
    log "$name ($pid) did not stop on TERM within 10 s: KILL"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# count_sigs ZONEFILE: "RRSIGs RRsets-signed" (RRsets = distinct owner + covered type).
count_sigs() {
    ldns-read-zone "$1" 2>/dev/null |
        awk '$4=="RRSIG" {n++; k=tolower($1)" "$5; if (!(k in s)) {s[k]=1; m++}} END {printf "%d %d\n", n, m}'
}

# tsv2md < TSV: markdown table (first line is the header).
tsv2md() {
    awk -F'\t' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; print "";
                  if (NR == 1) { printf "|"; for (i = 1; i <= NF; i++) printf "---|"; print "" } }'
}
