#!/usr/bin/env bash
# bench/primary.sh: outgoing AXFR of a zone with ALIAS records, expanded into A/AAAA, from
# `dns-primary serve` (release build) and from PowerDNS (`outgoing-axfr-expand-alias=yes`), in one run.
#
# The zone: the generated one ($NAMES names, default 100k; the same bytes as ../shared/bench) in which
# $ALIASES (default 1,000) owner names that held only A/AAAA records get one ALIAS each instead, every
# one to its own target `tNNNN.lb.bench.`. The targets (an A and an AAAA each, TTL 3600) are served by a
# local NSD, which both primaries use as their resolver: answers come from memory at once, as from a warm
# recursor cache. Ours also holds them in its own cache ("targets cached": it resolved them when the zone
# was published, and re-resolves only before their TTL runs out); PowerDNS looks every target up again
# during each transfer (two queries per ALIAS), which is how it works.
#
# Per server: time until it serves the zone; then $REPEAT full AXFRs over TCP (`dig +onesoa`, output to
# a file), wall time of each, median and best; server CPU and the upstream NSD's CPU during those
# transfers; the records received; and a check that the transfer is right: no ALIAS left, every ALIAS
# owner has its target's A and AAAA, and the same records as the other server (TTLs aside: PowerDNS gives
# the synthesised records the ALIAS TTL, ours the smaller of the ALIAS TTL and the target's).
#
# Knobs: REPEAT [5]  ALIASES [1000]  NAMES [100000]  BASE_PORT [15450] (upstream, +1 ours, +2 PowerDNS)
#        SERVERS ["ours pdns"]  LOAD_TIMEOUT [300]  BENCH_ROOT [/tmp/countersign-bench]  RESULTS
# Output: markdown on stdout and in $RESULTS/primary.md (+ primary.tsv); scratch in $BENCH_ROOT/primary/.
set -u
source "$(dirname "$0")/common.sh"

: "${REPEAT:=5}"
: "${ALIASES:=1000}"
: "${BASE_PORT:=15450}"
: "${SERVERS:=ours pdns}"
: "${LOAD_TIMEOUT:=300}"
UP_PORT=$BASE_PORT
OURS_PORT=$((BASE_PORT + 1))
PDNS_PORT=$((BASE_PORT + 2))
LB=lb.bench.

need python3 nsd dig pdns_server pdnsutil /usr/bin/time timeout
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

# ---- the upstream: NSD authoritative for the targets ---------------------------------------------
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
if wait_dns "$UP_PORT" 1; then die "something already answers on 127.0.0.1:$UP_PORT"; fi
nsd -d -c "$W/nsd/nsd.conf" >"$W/nsd/server.log" 2>&1 &
UP_PID=$!
up=no
for _ in $(seq 1 100); do
    dig +time=1 +tries=1 +short -p "$UP_PORT" @127.0.0.1 "t0000.$LB" A 2>/dev/null | grep -q . && { up=yes; break; }
    sleep 0.1
done
[ $up = yes ] || die "the upstream NSD did not answer: $(tail -3 "$W/nsd/server.log")"

# ---- the servers ---------------------------------------------------------------------------------
start_ours() {
    log "release build of dns-primary"
    (cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --product dns-primary >&2) || die "swift build of dns-primary failed"
    PRIMARY=$(cd "$REPO" && $SWIFT build $SWIFTPM_FLAGS -c release --show-bin-path)/dns-primary
    local d=$W/ours; mkdir -p "$d"
    timed IMPORT "$d/import.log" "$PRIMARY" zone import "$ORIGIN" "$AZONE" --db "$d/primary.db" ||
        die "dns-primary zone import failed: $(tail -3 "$d/import.log")"
    log "  zone import into SQLite: ${IMPORT_wall}s (not part of the transfer times)"
    echo "dns-primary: \`zone import\` of the zone into SQLite ${IMPORT_wall} s (once, before serving)." >>"$W/notes"
    "$PRIMARY" serve --db "$d/primary.db" --listen "127.0.0.1:$OURS_PORT" --resolver "127.0.0.1:$UP_PORT" \
        --refresh 3600 --threads 2 >"$d/server.log" 2>&1 &
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

label_of() { case $1 in ours) echo "dns-primary serve" ;; pdns) echo "PowerDNS $(dpkg-query -W -f='${Version}' pdns-server 2>/dev/null)" ;; esac; }
port_of() { case $1 in ours) echo "$OURS_PORT" ;; pdns) echo "$PDNS_PORT" ;; esac; }
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# transfer SERVER PORT N: one AXFR into $W/SERVER.axfr.N; sets AX_wall, AX_rc.
transfer() {
    STEP_TIMEOUT=300 timed AX "$W/$1.axfr.$3" dig +onesoa +nocmd +nostats +nocomments +time=120 +tries=1 -p "$2" @127.0.0.1 "$ORIGIN" AXFR
}

# normalise FILE: "owner type rdata" per record, sorted, TTL and case of owners aside.
normalise() { awk '!/^;/ && NF >= 5 { o = tolower($1); $1 = $2 = $3 = ""; sub(/^ +/, ""); print o, $0 }' "$1" | LC_ALL=C sort; }

printf 'server\tready s\tAXFR median s\tAXFR best s\truns\tserver CPU s/AXFR\tupstream CPU s/AXFR\trecords\tALIAS left\tsample A/AAAA\tsame records as the other\n' >"$W/table.tsv"
for s in $SERVERS; do
    port=$(port_of "$s")
    if wait_dns "$port" 1; then log "something already answers on 127.0.0.1:$port: not measuring $s"; continue; fi
    "start_$s"
    t0=$(now)
    # Ready: the zone is served with its ALIAS records expanded (ours publishes a zone only once every
    # target resolved; PowerDNS expands at transfer time, so its SOA suffices).
    ready=no
    while (( $(awk -v a="$(now)" -v b="$t0" 'BEGIN{print int(a-b)}') < LOAD_TIMEOUT )); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        if wait_dns "$port" 1 && dig +time=2 +tries=1 +short -p "$port" @127.0.0.1 "$SAMPLE.$ORIGIN" A 2>/dev/null | grep -q '^198\.18\.'; then
            ready=yes; break
        fi
        sleep 0.2
    done
    if [ $ready != yes ]; then
        log "$s did not serve the expanded zone within ${LOAD_TIMEOUT}s: $(tail -3 "$W/$s/server.log" | tr '\n' ' ')"
        stop_pid "$SERVER_PID" "$s"; SERVER_PID=""; continue
    fi
    ready_s=$(fsub "$(now)" "$t0")
    log "$(label_of "$s") serves the zone after ${ready_s}s; warm-up AXFR, then $REPEAT timed"
    transfer "$s" "$port" 0 || log "  warm-up AXFR failed (rc $AX_rc)"
    : >"$W/$s.walls"
    c0=$(cpu_tree "$SERVER_PID"); u0=$(cpu_tree "$UP_PID")
    for i in $(seq 1 "$REPEAT"); do
        if transfer "$s" "$port" "$i" && grep -q 'SOA' "$W/$s.axfr.$i"; then
            echo "$AX_wall" >>"$W/$s.walls"
            log "  AXFR $i: ${AX_wall}s, $(grep -vc '^;' "$W/$s.axfr.$i") records"
        else
            log "  AXFR $i failed (rc $AX_rc): $(tail -2 "$W/$s.axfr.$i" | tr '\n' ' ')"
        fi
    done
    c1=$(cpu_tree "$SERVER_PID"); u1=$(cpu_tree "$UP_PID")
    stop_pid "$SERVER_PID" "$s"; SERVER_PID=""
    runs=$(wc -l <"$W/$s.walls")
    if [ "$runs" -eq 0 ]; then log "$s: no AXFR completed"; continue; fi
    last=$W/$s.axfr.$REPEAT
    [ -s "$last" ] || last=$(ls "$W/$s".axfr.* | tail -1)
    normalise "$last" >"$W/$s.records"
    records=$(wc -l <"$W/$s.records")
    left=$(awk '$2 == "ALIAS" || $2 == "TYPE65401"' "$W/$s.records" | wc -l)
    sample=$(awk -v n="$(echo "$SAMPLE.$ORIGIN" | tr 'A-Z' 'a-z')" '$1 == n && ($2 == "A" || $2 == "AAAA") {c++} END {print c + 0}' "$W/$s.records")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(label_of "$s")" "$ready_s" "$(median <"$W/$s.walls")" \
        "$(sort -n "$W/$s.walls" | head -1)" "$runs" "$(awk -v a="$c1" -v b="$c0" -v n="$runs" 'BEGIN{printf "%.2f", (a-b)/n}')" \
        "$(awk -v a="$u1" -v b="$u0" -v n="$runs" 'BEGIN{printf "%.2f", (a-b)/n}')" "$records" "$left" "$sample" "@$s" >>"$W/table.tsv"
done

# Same records? Compare each server's last transfer with the other's.
if [ -s "$W/ours.records" ] && [ -s "$W/pdns.records" ]; then
    if diff -q "$W/ours.records" "$W/pdns.records" >/dev/null; then verdict=yes
    else verdict="no ($(diff "$W/ours.records" "$W/pdns.records" | grep -c '^[<>]') lines differ: $W/records.diff)"
        diff "$W/ours.records" "$W/pdns.records" >"$W/records.diff"
    fi
else
    verdict="-"
fi
sed -i "s|@ours\$|$verdict|; s|@pdns\$|$verdict|" "$W/table.tsv"
cp "$W/table.tsv" "$RESULTS/primary.tsv"

{
    echo "### Primary: AXFR with $ALIASES ALIAS records expanded ($NAMES names, $(date -u +%Y-%m-%dT%H:%MZ), load $(loadavg))"
    echo
    tsv2md <"$W/table.tsv"
    echo
    echo "The zone: ../shared/bench/genzone.py $NAMES (seed 42) with $ALIASES names turned into ALIAS records (TTL 300), one target each,"
    echo "served by NSD on 127.0.0.1:$UP_PORT (A + AAAA per target, TTL 3600), the resolver of both primaries."
    echo "AXFR: \`dig +onesoa\` over TCP from 127.0.0.1, output to a file; $REPEAT timed transfers after one warm-up; wall time per transfer."
    echo "*ready s*: from start until the zone is served with an ALIAS owner answering its target's address (ours loads"
    echo "the zone from SQLite and resolves every target first; PowerDNS resolves during each transfer)."
    echo "*upstream CPU*: the NSD answering the ALIAS lookups, per transfer. *records*: in the last transfer (one SOA)."
    echo "*sample A/AAAA*: records at \`$SAMPLE\` (an ALIAS owner): 2 when both families were expanded."
    echo "*same records*: the two transfers hold the same (owner, type, RDATA) set, TTLs aside."
    [ -s "$W/notes" ] && { echo; cat "$W/notes"; }
} | tee "$RESULTS/primary.md"
