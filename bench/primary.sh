#!/usr/bin/env bash
# bench/primary.sh: outgoing AXFR of a zone with ALIAS records, expanded into A/AAAA, from
# `dns-primary serve` (release build) and from PowerDNS (`outgoing-axfr-expand-alias=yes`), in one run,
# behind two upstreams in turn.
#
# The zone: the generated one ($NAMES names, default 100k; the same bytes as ../shared/bench) in which
# $ALIASES (default 1,000) owner names that held only A/AAAA records get one ALIAS each instead, every
# one to its own target `tNNNN.lb.bench.` (an A and an AAAA each, TTL 3600). Upstreams ($UPSTREAMS):
#   nsd   a local NSD authoritative for the targets: answers from memory at once, as from a warm
#         recursor cache on the host;
#   slow  Tests/Fixtures/slow_resolver.py answering the same addresses $DELAY_MS ms (default 20) after each
#         query, as a recursor across a network does: here the number of lookups in flight is what counts.
# Ours also holds the answers in its own cache ("targets cached": it resolved them when the zone was
# published, and re-resolves only before their TTL runs out); PowerDNS looks every target up again during
# each transfer (two queries per ALIAS), which is how it works.
#
# Per upstream and server (ours once per --alias-concurrency in $CONCURRENCY, default "8 64", each from a
# fresh copy of the imported database, so no saved answer helps): *first answer*, the time from start until
# an ALIAS owner answers with its target's address; *ready*, from start until the first full AXFR has been
# received with every ALIAS owner holding its target's A and AAAA ("1,000 ALIAS: ready", the issue's
# figure: ours must load, resolve every target and publish; PowerDNS resolves during that transfer); then
# $REPEAT more AXFRs over TCP (`dig +onesoa`, output to a file; $SLOW_REPEAT, default 1, behind the slow
# upstream, where a PowerDNS transfer takes thousands of round trips), wall time of each, median and best;
# server CPU and the upstream's CPU during those transfers; the records received; and a check that the
# transfer is right: no ALIAS left, every ALIAS owner has its target's A and AAAA, and the same records as
# PowerDNS's (TTLs aside: PowerDNS gives the synthesised records the ALIAS TTL, ours the smaller of the
# ALIAS TTL and the target's).
#
# Knobs: REPEAT [5]  SLOW_REPEAT [1]  ALIASES [1000]  NAMES [100000]  UPSTREAMS ["nsd slow"]  DELAY_MS [20]
#        CONCURRENCY ["8 64"]  BASE_PORT [15450] (upstream, +1 ours, +2 PowerDNS)  SERVERS ["ours pdns"]
#        LOAD_TIMEOUT [300]  BENCH_ROOT [/tmp/countersign-bench]  RESULTS
# Output: markdown on stdout and in $RESULTS/primary.md (+ primary.tsv); scratch in $BENCH_ROOT/primary/.
set -u
source "$(dirname "$0")/common.sh"

: "${REPEAT:=5}"
: "${SLOW_REPEAT:=1}"
: "${UPSTREAMS:=nsd slow}"
: "${DELAY_MS:=20}"
: "${CONCURRENCY:=8 64}"
: "${ALIASES:=1000}"
: "${BASE_PORT:=15450}"
: "${SERVERS:=ours pdns}"
: "${LOAD_TIMEOUT:=300}"
UP_PORT=$BASE_PORT
OURS_PORT=$((BASE_PORT + 1))
PDNS_PORT=$((BASE_PORT + 2))
LB=lb.bench.

need python3 nsd dig pdns_server pdnsutil /usr/bin/time timeout
SLOW=$REPO/Tests/Fixtures/slow_resolver.py
python3 -c 'import dns.message' 2>/dev/null || die "python3 cannot import dnspython (as root: scripts/install-test-deps.sh)"
ls /usr/lib/*/pdns/libbindbackend.so >/dev/null 2>&1 ||
    die "PowerDNS's bind backend is missing (pdns-backend-bind; as root: scripts/install-test-deps.sh)"
inputs

W=$BENCH_ROOT/primary
rm -rf "$W"; mkdir -p "$W"
UP_PID="" SERVER_PID=""
trap 'stop_pid "$SERVER_PID" server; stop_pid "$UP_PID" nsd-upstream' EXIT INT TERM

# ---- inputs: the zone with ALIAS records, and the targets' zone ----------------------------------
AZONE=$W/zone-$NAMES-alias.db
log "making $AZONE: $ALIASES names of $ZONE get an ALIAS instead of their A/AAAA"
python3 - "$ZONE" "$AZONE" "$W/lb.zone" "$ALIASES" "$LB" <<'EOF' || die "could not derive the ALIAS zone"
import sys
src, out, lbout, count, lb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
lines = open(src).read().split("\n")
types = {}
for line in lines:
    f = line.split()
    if len(f) >= 4 and not line.startswith((";", "$", " ", "\t")) and f[1] == "IN":
        types.setdefault(f[0], set()).add(f[2])
# Single-label owners holding only A/AAAA: never glue below a delegation, never beside a CNAME.
eligible = [n for n, t in types.items() if t <= {"A", "AAAA"} and "." not in n and n not in ("@", "ns1", "ns2", "mail", "mail2")]
if len(eligible) < count:
    sys.exit("only %d eligible names for %d ALIAS records" % (len(eligible), count))
step = len(eligible) // count
chosen = {n: i for i, n in enumerate(eligible[::step][:count])}
written = set()
with open(out, "w") as o:
    for line in lines:
        f = line.split()
        if len(f) >= 4 and f[0] in chosen and f[1] == "IN":
            if f[0] not in written:
                written.add(f[0])
                o.write("%s\t300\tIN\tALIAS\tt%04d.%s\n" % (f[0], chosen[f[0]], lb))
            continue
        o.write(line + "\n")
with open(lbout, "w") as o:
    o.write("$ORIGIN %s\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\n" % lb)
    for i in range(count):
        o.write("t%04d IN A 198.18.%d.%d\nt%04d IN AAAA 2001:db8:ffff::%x\n" % (i, i // 250, i % 250 + 1, i, i + 1))
EOF
SAMPLE=$(awk '$4 == "ALIAS" {print $1; exit}' "$AZONE")
[ "$(grep -c $'\tALIAS\t' "$AZONE")" = "$ALIASES" ] || die "expected $ALIASES ALIAS records in $AZONE"

# ---- the upstreams: NSD authoritative for the targets, or the delaying resolver ------------------
mkdir -p "$W/nsd"
cat >"$W/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$UP_PORT
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$W/nsd"
    database: ""
    pidfile: "$W/nsd/nsd.pid"
    xfrdfile: "$W/nsd/xfrd.state"
    zonelistfile: "$W/nsd/zone.list"
    logfile: "$W/nsd/nsd.log"
    verbosity: 0
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "${LB%.}"
    zonefile: "$W/lb.zone"
EOF

# start_upstream nsd|slow: sets UP_PID once the first target answers.
start_upstream() {
    if wait_dns "$UP_PORT" 1; then die "something already answers on 127.0.0.1:$UP_PORT"; fi
    case $1 in
        nsd) nsd -d -c "$W/nsd/nsd.conf" >"$W/nsd/server.log" 2>&1 & ;;
        slow) python3 "$SLOW" --port "$UP_PORT" --delay-ms "$DELAY_MS" --ttl 3600 --lifetime 7200 >"$W/slow.log" 2>&1 & ;;
    esac
    UP_PID=$!
    local up=no
    for _ in $(seq 1 100); do
        dig +time=1 +tries=1 +short -p "$UP_PORT" @127.0.0.1 "t0000.$LB" A 2>/dev/null | grep -q . && { up=yes; break; }
        sleep 0.1
    done
    [ $up = yes ] || die "the upstream ($1) did not answer: $(tail -3 "$W/nsd/server.log" "$W/slow.log" 2>/dev/null)"
}
upstream_label() { case $1 in nsd) echo "NSD, at once" ;; slow) echo "resolver +${DELAY_MS} ms" ;; esac; }

# ---- the servers ---------------------------------------------------------------------------------
# The import happens once; every run of ours starts from a fresh copy, without saved answers.
prepare_ours() {
    log "release build of dns-primary"
    (cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --product dns-primary >&2) || die "swift build of dns-primary failed"
    PRIMARY=$(cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --show-bin-path)/dns-primary
    local d=$W/ours; mkdir -p "$d"
    timed IMPORT "$d/import.log" "$PRIMARY" zone import "$ORIGIN" "$AZONE" --db "$d/template.db" ||
        die "dns-primary zone import failed: $(tail -3 "$d/import.log")"
    log "  zone import into SQLite: ${IMPORT_wall}s (not part of the transfer times)"
    echo "dns-primary: \`zone import\` of the zone into SQLite ${IMPORT_wall} s (once, before serving; each run starts from a copy)." >>"$W/notes"
}

# start_ours CONCURRENCY
start_ours() {
    local d=$W/ours
    rm -f "$d"/primary.db*
    cp "$d/template.db" "$d/primary.db"
    "$PRIMARY" serve --db "$d/primary.db" --listen "127.0.0.1:$OURS_PORT" --resolver "127.0.0.1:$UP_PORT" \
        --refresh 3600 --threads 2 --alias-concurrency "$1" >"$d/server.log" 2>&1 &
    SERVER_PID=$!
}

start_pdns() {
    local d=$W/pdns; mkdir -p "$d"
    echo "zone \"${ORIGIN%.}\" { type master; file \"$AZONE\"; };" >"$d/named.conf"
    cat >"$d/pdns.conf" <<EOF
launch=bind
bind-config=$d/named.conf
local-address=127.0.0.1
local-port=$PDNS_PORT
socket-dir=$d
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
allow-axfr-ips=127.0.0.0/8
disable-axfr=no
security-poll-suffix=
outgoing-axfr-expand-alias=yes
expand-alias=yes
resolver=127.0.0.1:$UP_PORT
receiver-threads=2
webserver=no
api=no
EOF
    pdns_server --config-dir="$d" >"$d/server.log" 2>&1 &
    SERVER_PID=$!
}

median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# transfer RUN PORT N: one AXFR into $W/RUN.axfr.N; sets AX_wall, AX_rc.
transfer() {
    STEP_TIMEOUT=300 timed AX "$W/$1.axfr.$3" dig +onesoa +nocmd +nostats +nocomments +time=120 +tries=1 -p "$2" @127.0.0.1 "$ORIGIN" AXFR
}

# normalise FILE: "owner type rdata" per record, sorted, TTL and case of owners aside.
normalise() { awk '!/^;/ && NF >= 5 { o = tolower($1); $1 = $2 = $3 = ""; sub(/^ +/, ""); print o, $0 }' "$1" | LC_ALL=C sort; }

# expanded FILE: how many ALIAS owners hold exactly their target's A and AAAA in the AXFR in FILE.
expanded() {
    normalise "$1" | awk -v origin="$(echo "$ORIGIN" | tr 'A-Z' 'a-z')" '
        FILENAME == ARGV[1] { want[tolower($1) "." origin " a " $2] = 1; want[tolower($1) "." origin " aaaa " $3] = 1; owners[tolower($1) "." origin] = 1; next }
        ($2 == "A" || $2 == "AAAA") && ($1 in owners) { k = $1 " " tolower($2) " " $3; if (k in want) good[$1]++; else bad[$1] = 1 }
        END { n = 0; for (o in owners) if (good[o] == 2 && !(o in bad)) n++; print n }' "$W/expect" -
}

printf 'upstream\tserver\tfirst answer s\tready s\tAXFR median s\tAXFR best s\truns\tserver CPU s/AXFR\tupstream CPU s/AXFR\trecords\tALIAS left\tALIAS expanded\tsame records as PowerDNS\n' >"$W/table.tsv"
# The ALIAS owners and the addresses their targets have (the same in NSD's zone and the slow resolver).
python3 - "$AZONE" "$W/expect" <<'EOF' || die "could not list the expected addresses"
import ipaddress, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) == 5 and f[3] == "ALIAS":
            n = int(f[4][1:5])
            out.write("%s 198.18.%d.%d %s\n" % (f[0], n // 250, n % 250 + 1, ipaddress.IPv6Address("2001:db8:ffff::%x" % (n + 1))))
EOF
case " $SERVERS " in *" ours "*) prepare_ours ;; esac

# measure UPSTREAM SERVER [CONCURRENCY]: one row of the table.
measure() {
    local up=$1 s=$2 c=${3:-} port label run repeat
    case $s in
        ours) port=$OURS_PORT; label="dns-primary serve --alias-concurrency $c"; run=$up.ours$c ;;
        pdns) port=$PDNS_PORT; label="PowerDNS $(dpkg-query -W -f='${Version}' pdns-server 2>/dev/null)"; run=$up.pdns ;;
    esac
    repeat=$REPEAT; [ "$up" = slow ] && repeat=$SLOW_REPEAT
    if wait_dns "$port" 1; then log "something already answers on 127.0.0.1:$port: not measuring $label"; return; fi
    "start_$s" $c
    local t0 ready=no first_s ready_s
    t0=$(now)
    while (( $(awk -v a="$(now)" -v b="$t0" 'BEGIN{print int(a-b)}') < LOAD_TIMEOUT )); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        if dig +time=2 +tries=1 +short -p "$port" @127.0.0.1 "$SAMPLE.$ORIGIN" A 2>/dev/null | grep -q '^198\.18\.'; then
            ready=yes; break
        fi
        sleep 0.05
    done
    if [ $ready != yes ]; then
        log "$label did not serve the expanded zone within ${LOAD_TIMEOUT}s: $(tail -3 "$W/$s/server.log" | tr '\n' ' ')"
        stop_pid "$SERVER_PID" "$s"; SERVER_PID=""; return
    fi
    first_s=$(fsub "$(now)" "$t0")
    # Ready: the first AXFR, right away, holds every ALIAS expanded (ours publishes a zone only once
    # every target resolved, so this is the zone's first full transfer).
    transfer "$run" "$port" 0 || log "  first AXFR failed (rc $AX_rc)"
    ready_s=$(fsub "$(now)" "$t0")
    local firstgood; firstgood=$(expanded "$W/$run.axfr.0")
    log "$label behind $(upstream_label "$up"): first answer ${first_s}s, first AXFR done ${ready_s}s ($firstgood of $ALIASES ALIAS expanded); $repeat timed AXFRs"
    [ "$firstgood" = "$ALIASES" ] || ready_s="$ready_s (only $firstgood expanded)"
    : >"$W/$run.walls"
    local c0 c1 u0 u1 i
    c0=$(cpu_tree "$SERVER_PID"); u0=$(cpu_tree "$UP_PID")
    for i in $(seq 1 "$repeat"); do
        if transfer "$run" "$port" "$i" && grep -q 'SOA' "$W/$run.axfr.$i"; then
            echo "$AX_wall" >>"$W/$run.walls"
            log "  AXFR $i: ${AX_wall}s, $(grep -vc '^;' "$W/$run.axfr.$i") records"
        else
            log "  AXFR $i failed (rc $AX_rc): $(tail -2 "$W/$run.axfr.$i" | tr '\n' ' ')"
        fi
    done
    c1=$(cpu_tree "$SERVER_PID"); u1=$(cpu_tree "$UP_PID")
    stop_pid "$SERVER_PID" "$s"; SERVER_PID=""
    local runs last records left good
    runs=$(wc -l <"$W/$run.walls")
    if [ "$runs" -eq 0 ]; then log "$label: no timed AXFR completed"; return; fi
    last=$W/$run.axfr.$repeat
    [ -s "$last" ] || last=$(ls "$W/$run".axfr.* | tail -1)
    normalise "$last" >"$W/$run.records"
    records=$(wc -l <"$W/$run.records")
    left=$(awk '$2 == "ALIAS" || $2 == "TYPE65401"' "$W/$run.records" | wc -l)
    good=$(expanded "$last")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t@%s\n' "$(upstream_label "$up")" "$label" "$first_s" "$ready_s" \
        "$(median <"$W/$run.walls")" "$(sort -n "$W/$run.walls" | head -1)" "$runs" \
        "$(awk -v a="$c1" -v b="$c0" -v n="$runs" 'BEGIN{printf "%.2f", (a-b)/n}')" \
        "$(awk -v a="$u1" -v b="$u0" -v n="$runs" 'BEGIN{printf "%.2f", (a-b)/n}')" "$records" "$left" "$good" "$run" >>"$W/table.tsv"
}

for up in $UPSTREAMS; do
    start_upstream "$up"
    for s in $SERVERS; do
        case $s in
            ours) for c in $CONCURRENCY; do measure "$up" ours "$c"; done ;;
            pdns) measure "$up" pdns ;;
        esac
    done
    stop_pid "$UP_PID" "upstream $up"; UP_PID=""
done

# Same records? Each run's last transfer against PowerDNS's behind the same upstream.
while IFS=$'\t' read -r -a row; do
    run=${row[12]#@}
    [ "${row[12]:0:1}" = "@" ] || continue
    pdns=$W/${run%%.*}.pdns.records
    if [ "$run" = "${run%%.*}.pdns" ]; then verdict="-"
    elif [ ! -s "$W/$run.records" ] || [ ! -s "$pdns" ]; then verdict="-"
    elif diff -q "$W/$run.records" "$pdns" >/dev/null; then verdict=yes
    else
        diff "$W/$run.records" "$pdns" >"$W/$run.diff"
        verdict="no ($(grep -c '^[<>]' "$W/$run.diff") lines differ: $W/$run.diff)"
    fi
    sed -i "s|@$run\$|$verdict|" "$W/table.tsv"
done < <(tail -n +2 "$W/table.tsv")
cp "$W/table.tsv" "$RESULTS/primary.tsv"

{
    echo "### Primary: AXFR with $ALIASES ALIAS records expanded ($NAMES names, $(date -u +%Y-%m-%dT%H:%MZ), load $(loadavg))"
    echo
    tsv2md <"$W/table.tsv"
    echo
    echo "The zone: ../shared/bench/genzone.py $NAMES (seed 42) with $ALIASES names turned into ALIAS records (TTL 300), one target each"
    echo "(A + AAAA per target, TTL 3600), the resolver of both primaries on 127.0.0.1:$UP_PORT: *NSD, at once* (authoritative, from memory)"
    echo "or *resolver +$DELAY_MS ms* (Tests/Fixtures/slow_resolver.py: the same addresses, each answer $DELAY_MS ms after its query)."
    echo "*first answer s*: from start until an ALIAS owner answers its target's address. *ready s*: from start until the first"
    echo "AXFR has been received in full with every ALIAS expanded (ours loads the zone from SQLite, resolves every target and"
    echo "publishes; PowerDNS resolves during that transfer)."
    echo "AXFR: \`dig +onesoa\` over TCP from 127.0.0.1, output to a file; $REPEAT timed transfers after the first ($SLOW_REPEAT behind the"
    echo "slow resolver); wall time per transfer. *upstream CPU*: the upstream answering the ALIAS lookups, per transfer."
    echo "*records*: in the last transfer (one SOA). *ALIAS expanded*: owners holding exactly their target's A and AAAA."
    echo "*same records*: the transfer holds the same (owner, type, RDATA) set as PowerDNS's behind the same upstream, TTLs aside."
    [ -s "$W/notes" ] && { echo; cat "$W/notes"; }
} | tee "$RESULTS/primary.md"
