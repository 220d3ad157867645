#!/usr/bin/env bash
# bench/cycle.sh: the signer's cycle on a 100k-name zone, as the seeds' operators live it. NSD plays the
# hidden primary (it serves the unsigned zone by AXFR; asked for IXFR it sends the whole zone), or Knot
# with PRIMARY=knot (it keeps the differences of each reload in its journal and answers IXFR with them);
# `dns-signer serve` (release build) polls it, with IXFR (the default) or TRANSFER=axfr.
#
#   first signing   zone added → first signed answer served (AXFR + full signing + full verification + store)
#   unchanged poll  `zone refresh` → the daemon's "poll finished" line (AXFR + compare, nothing published)
#   one change      one A record edited at the primary (serial + 1, SIGHUP to NSD), NOTIFY → the new
#                   address served with its RRSIG (AXFR + diff + incremental re-sign + verify of the changed
#                   part + commit + snapshot switch), measured from outside with dig, $CHANGES times in a row;
#                   the daemon's own split (transfer / sign / commit+switch), its CPU, and its RSS after each
#   seed design     `dnssec-signzone -n 2` re-signing the whole zone, what the seed's cron job does per change
#
# Knobs: CHANGES [10]  POLLS [5]  NAMES [100000]  MODE [nsec3|nsec]  PRIMARY [nsd|knot]  TRANSFER [ixfr|axfr]
#        BASE_PORT [15460]  BENCH_ROOT  RESULTS
# Output: markdown on stdout and in $RESULTS/cycle.md; scratch in $BENCH_ROOT/cycle/.
set -u
source "$(dirname "$0")/common.sh"

: "${CHANGES:=10}"
: "${POLLS:=5}"
: "${MODE:=nsec3}"
: "${PRIMARY:=nsd}"
: "${TRANSFER:=ixfr}"
: "${BASE_PORT:=15460}"
PRIMARY_PORT=$BASE_PORT
SIGNER_PORT=$((BASE_PORT + 1))

need python3 dig ldns-notify dnssec-signzone dnssec-keygen /usr/bin/time timeout
if [ "$PRIMARY" = knot ]; then need knotd knotc; else need nsd; fi
inputs
signer_binary

W=$BENCH_ROOT/cycle-$PRIMARY-$TRANSFER
rm -rf "$W"; mkdir -p "$W"
LOAD_START=$(loadavg)
NSD_PID=""; SIGNER_PID=""
cleanup() { stop_pid "$SIGNER_PID" dns-signer; stop_pid "$NSD_PID" nsd; }
trap cleanup EXIT

# The primary: NSD with a copy of the zone it re-reads on SIGHUP, or Knot, which re-reads it on
# `knotc zone-reload` and journals the difference (so it can answer IXFR).
cp "$ZONE" "$W/primary.zone"
if [ "$PRIMARY" = knot ]; then
cat >"$W/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$PRIMARY_PORT
    rundir: "$W"
    background-workers: 1
control:
    listen: "$W/knot.sock"
log:
  - target: stderr
    any: notice
database:
    storage: "$W"
acl:
  - id: local
    address: 127.0.0.1
    action: transfer
zone:
  - domain: $ORIGIN
    storage: "$W"
    file: "$W/primary.zone"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
    acl: local
CONF
knotd -c "$W/knot.conf" >"$W/knot.log" 2>&1 &
NSD_PID=$!
reload_primary() { knotc -s "$W/knot.sock" zone-reload "$ORIGIN" >/dev/null; }
else
cat >"$W/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1
    port: $PRIMARY_PORT
    zonesdir: "$W"
    xfrdfile: "$W/xfrd.state"
    pidfile: "$W/nsd.pid"
    database: ""
    zonelistfile: "$W/zone.list"
    username: ""
    chroot: ""
    server-count: 1
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "$ORIGIN"
    zonefile: "primary.zone"
    provide-xfr: 127.0.0.1 NOKEY
CONF
nsd -d -c "$W/nsd.conf" >"$W/nsd.log" 2>&1 &
NSD_PID=$!
reload_primary() { kill -HUP "$NSD_PID"; }
fi
wait_dns "$PRIMARY_PORT" 120 || die "$PRIMARY did not serve the zone (see $W/$PRIMARY.log)"

DB=$W/signer.db
flags=""; [ "$MODE" = nsec3 ] && flags="--nsec3"
"$SIGNER" zone add "$ORIGIN" --primary "127.0.0.1:$PRIMARY_PORT" --poll 3600s --transfer "$TRANSFER" $flags --db "$DB" >/dev/null || die "zone add failed"
t0=$(now)
"$SIGNER" serve --db "$DB" --listen "127.0.0.1:$SIGNER_PORT" >"$W/signer.log" 2>&1 &
SIGNER_PID=$!
signed() { dig +time=1 +tries=1 +norec +dnssec -p "$SIGNER_PORT" @127.0.0.1 "$1" "$2" 2>/dev/null | grep -q "RRSIG.*$3"; }
deadline=$(( $(date +%s) + STEP_TIMEOUT ))
until signed "$ORIGIN" SOA SOA; do
    (( $(date +%s) < deadline )) || die "no signed answer within $STEP_TIMEOUT s (see $W/signer.log)"
    sleep 0.1
done
FIRST=$(fsub "$(now)" "$t0")
FIRST_RSS=$(awk '/^VmRSS/{printf "%.0f", $2/1024}' "/proc/$SIGNER_PID/status")
log "first signing served after $FIRST s, RSS $FIRST_RSS MiB"

# Unchanged polls: the daemon logs each poll's split.
for i in $(seq 1 "$POLLS"); do
    before=$(grep -c "poll finished" "$W/signer.log")
    "$SIGNER" zone refresh "$ORIGIN" --db "$DB" >/dev/null
    deadline=$(( $(date +%s) + 60 ))
    while [ "$(grep -c "poll finished" "$W/signer.log")" -le "$before" ] && (( $(date +%s) < deadline )); do sleep 0.05; done
done
UNCHANGED=$(grep "poll finished" "$W/signer.log" | grep "unchanged" | sed -E 's/.*total_s=([0-9.]+).*/\1/' | sort -n)
UNCHANGED_MEDIAN=$(echo "$UNCHANGED" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

# One-record changes.
ROWS=$W/changes.tsv; : >"$ROWS"
for i in $(seq 1 "$CHANGES"); do
    address="203.0.113.$((i % 250 + 1))"
    python3 - "$W/primary.zone" "$address" <<'PY'
import re, sys
path, address = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"(IN\tSOA\tns1 hostmaster )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), text, count=1)
text = re.sub(r"(?m)^(mail\t\tIN\tA\t).*$", lambda m: m.group(1) + address, text, count=1)
open(path, "w").write(text)
PY
    touch -d "+$i seconds" "$W/primary.zone"
    reload_primary
    deadline=$(( $(date +%s) + 60 ))
    until dig +time=1 +tries=1 +short -p "$PRIMARY_PORT" @127.0.0.1 "mail.$ORIGIN" A | grep -qx "$address"; do
        (( $(date +%s) < deadline )) || die "$PRIMARY did not reload"
        sleep 0.02
    done
    cpu0=$(cpu_tree "$SIGNER_PID")
    before=$(grep -c "poll finished" "$W/signer.log")
    t0=$(now)
    # What the primary does on a change: NOTIFY (ldns-notify sends one, unsigned, from 127.0.0.1).
    ldns-notify -z "$ORIGIN" -p "$SIGNER_PORT" 127.0.0.1 >/dev/null 2>&1
    deadline=$(( $(date +%s) + 60 ))
    until dig +time=1 +tries=1 +norec +dnssec -p "$SIGNER_PORT" @127.0.0.1 "mail.$ORIGIN" A 2>/dev/null | grep -q "$address"; do
        (( $(date +%s) < deadline )) || die "change $i not served within 60 s"
        sleep 0.01
    done
    wall=$(fsub "$(now)" "$t0")
    while [ "$(grep -c "poll finished" "$W/signer.log")" -le "$before" ]; do sleep 0.01; done
    cpu=$(fsub "$(cpu_tree "$SIGNER_PID")" "$cpu0")
    line=$(grep "poll finished" "$W/signer.log" | tail -1)
    field() { echo "$line" | sed -E "s/.*[ \[]$1=([0-9.]+).*/\\1/"; }
    split=$(printf '%s\t%s\t%s\t%s' "$(field transfer_s)" "$(field sign_s)" "$(field commit_s)" "$(field total_s)")
    rss=$(awk '/^VmRSS/{printf "%.0f", $2/1024}' "/proc/$SIGNER_PID/status")
    kind=$(echo "$line" | sed -E 's/.*[ \[]transfer=([a-z]+).*/\1/')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$wall" "$split" "$cpu" "$rss" "$kind" >>"$ROWS"
done

# The seed's design: the whole zone re-signed on every change.
mkdir -p "$W/keys"
dnssec-keygen -q -K "$W/keys" -a ECDSAP256SHA256 -f KSK "$ORIGIN" >/dev/null
dnssec-keygen -q -K "$W/keys" -a ECDSAP256SHA256 "$ORIGIN" >/dev/null
n3=""; [ "$MODE" = nsec3 ] && n3="-3 - -H 0"
/usr/bin/time -f "%e %U %S %M" -o "$W/signzone.time" timeout "$STEP_TIMEOUT" \
    dnssec-signzone -S -K "$W/keys" -x -P -O full -n 2 $n3 -o "$ORIGIN" -f "$W/signed.zone" "$W/primary.zone" >"$W/signzone.log" 2>&1
read -r SZ_WALL SZ_USER SZ_SYS SZ_RSS <"$W/signzone.time"

{
    echo "### Signer cycle, $NAMES names, $MODE, primary $PRIMARY, --transfer $TRANSFER ($(date -u +%Y-%m-%d), load average at start $LOAD_START, at end $(loadavg))"
    echo
    echo "First signing (AXFR + full sign + full verify + store + serve): **$FIRST s**, RSS $FIRST_RSS MiB."
    # `zone refresh` asks for a transfer: over IXFR the primary answers "up to date" with its SOA alone.
    how="AXFR + compare"; [ "$TRANSFER" = ixfr ] && how="IXFR answered with the current SOA"
    echo "Unchanged poll ($how), daemon's own timing, median of $POLLS: **$UNCHANGED_MEDIAN s**."
    echo
    echo "| change | NOTIFY → signed answer served (s) | transfer s | diff+sign+verify s | commit+switch s | daemon total s | CPU s | RSS MiB | came as |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}' "$ROWS"
    echo
    med=$(cut -f2 "$ROWS" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "Median one-record change, end to end: **$med s**."
    echo "Seed design (dnssec-signzone -n 2, whole zone): $SZ_WALL s wall, $(fsub "$SZ_USER" "-$SZ_SYS") s CPU, $((SZ_RSS / 1024)) MiB peak."
} | tee "$RESULTS/cycle-$PRIMARY-$TRANSFER.md"
