#!/usr/bin/env bash
# bench/cycle.sh: the signer's cycle on a 100k-name zone, as the seeds' operators live it, with BIND 9.18
# `inline-signing` as a second secondary of the same primary in the same run. NSD plays the hidden primary
# (it serves the unsigned zone by AXFR; asked for IXFR it sends the whole zone), or Knot with PRIMARY=knot
# (it keeps the differences of each reload in its journal and answers IXFR with them); `dns-signer serve`
# (release build) and `named` (inline-signing, dnssec-policy ECDSAP256SHA256 KSK + ZSK, NSEC3 with 0
# iterations, no salt, no opt-out, or NSEC with MODE=nsec) both transfer from it, with IXFR (the default)
# or TRANSFER=axfr (ours `--transfer axfr`, BIND `request-ixfr no` for the primary's address).
#
#   first signing   zone added → first signed answer served (AXFR + full signing + full verification + store);
#                   then BIND started alone → its zone signed completely (signed NSEC3PARAM, or the NSEC
#                   chain, and every private signing record marked done)
#   unchanged poll  `zone refresh` → the daemon's "poll finished" line (AXFR + compare, nothing published)
#   changes         for each kind in $KINDS, $CHANGES changes in a row, each with the SOA serial + 1 and the
#                   primary reloaded, then one NOTIFY (ldns-notify) to each secondary at the same moment,
#                   and each timed from outside with dig until its signed answer is served:
#                     apex    the apex A record changed        → the new address served with its RRSIG
#                     add     a new name new<n> A 198.51.100.x → the same (the NSEC3/NSEC chain gains a link)
#                     remove  an existing leaf name deleted    → NXDOMAIN with a signed NSEC3/NSEC proof
#                   per change: our daemon's own split (transfer / diff+sign+verify / commit+switch), CPU of
#                   each secondary from the NOTIFY until it is idle again, RSS of each after the change, and
#                   how each transfer came (IXFR or AXFR). Both secondaries share the 2 cores while they work.
#   seed design     `dnssec-signzone -n 2` re-signing the whole zone, what the seed's cron job does per change
#
# Knobs: KINDS ["apex add remove"]  CHANGES [5] per kind  POLLS [5]  NAMES [100000]  MODE [nsec3|nsec]
#        PRIMARY [nsd|knot]  TRANSFER [ixfr|axfr]  CHANGE_TIMEOUT [120] s  BIND_FIRST_TIMEOUT [1800] s
#        BIND_SIGNING [1000|default]: BIND's sig-signing-nodes and sig-signing-signatures (first signing pace)
#        BASE_PORT [15460] (primary, ours +1, BIND +2)  BENCH_ROOT  RESULTS
# Output: markdown on stdout and in $RESULTS/cycle-PRIMARY-TRANSFER.md; scratch in $BENCH_ROOT/cycle-PRIMARY-TRANSFER/.
set -u
source "$(dirname "$0")/common.sh"

: "${KINDS:=apex add remove}"
: "${CHANGES:=5}"
: "${POLLS:=5}"
: "${MODE:=nsec3}"
: "${PRIMARY:=nsd}"
: "${TRANSFER:=ixfr}"
: "${CHANGE_TIMEOUT:=120}"
: "${BIND_SIGNING:=1000}"
: "${BIND_FIRST_TIMEOUT:=1800}"
: "${BASE_PORT:=15460}"
PRIMARY_PORT=$BASE_PORT
SIGNER_PORT=$((BASE_PORT + 1))
BIND_PORT=$((BASE_PORT + 2))
for k in $KINDS; do case $k in apex|add|remove) ;; *) die "unknown kind $k in KINDS (apex, add, remove)" ;; esac; done
case $MODE in nsec3|nsec) ;; *) die "MODE is nsec3 or nsec" ;; esac

need python3 dig ldns-notify dnssec-signzone dnssec-keygen named named-checkconf /usr/bin/time timeout
if [ "$PRIMARY" = knot ]; then need knotd knotc; else need nsd; fi
inputs
signer_binary
NAMED=$(command -v named || echo /usr/sbin/named)

W=$BENCH_ROOT/cycle-$PRIMARY-$TRANSFER
rm -rf "$W"; mkdir -p "$W"
LOAD_START=$(loadavg)
NSD_PID=""; SIGNER_PID=""; BIND_PID=""
cleanup() { stop_pid "$SIGNER_PID" dns-signer; stop_pid "$BIND_PID" named; stop_pid "$NSD_PID" "$PRIMARY"; }
trap cleanup EXIT

rss_of() { awk '/^VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "-"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

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
primary_serial() { dig +time=1 +tries=1 +norec +short -p "$PRIMARY_PORT" @127.0.0.1 "$ORIGIN" SOA 2>/dev/null | awk '{print $3}'; }
SERIAL=$(primary_serial)
[ -n "$SERIAL" ] || die "no SOA serial from $PRIMARY"

# The names `remove` deletes: existing leaf owners (one label, nothing below them, only A/AAAA/TXT, not the
# target of any record), spread evenly over the zone file; and a check that no new<n> name exists.
python3 - "$W/primary.zone" "$CHANGES" >"$W/remove.list" <<'PY' || die "picking the names to remove failed"
import sys
path, count = sys.argv[1], int(sys.argv[2])
owners, order, tokens = {}, [], set()
for line in open(path):
    if not line.strip() or line[0] in ";$" or line[0].isspace():
        continue
    f = line.split()
    i = f.index("IN") if "IN" in f[1:3] else 1
    owner, rtype = f[0], f[i + 1]
    if owner not in owners:
        owners[owner] = set(); order.append(owner)
    owners[owner].add(rtype)
    tokens.update(t.rstrip(".") for t in f[i + 2:])
if any(o.startswith("new") and o[3:].isdigit() for o in owners):
    sys.exit("the zone already has new<n> names")
parents = {".".join(o.split(".")[k:]) for o in owners for k in range(1, len(o.split(".")))}
keep = {"@", "ns1", "ns2", "mail", "mail2"}
cands = [o for o in order if o not in keep and "." not in o and not o.startswith(("*", "_"))
         and o not in parents and o not in tokens and owners[o] <= {"A", "AAAA", "TXT"}]
if len(cands) < count:
    sys.exit("not enough leaf names to remove")
for k in range(count):
    print(cands[(k * 2 + 1) * len(cands) // (2 * count)])
PY
ZONE_RRS=$(grep -cvE '^[[:space:]]*($|;|\$)' "$W/primary.zone")

# The zone edits, each with the SOA serial + 1: apex ADDRESS | add NAME ADDRESS | remove NAME.
edit_zone() {
    python3 - "$W/primary.zone" "$@" <<'PY'
import re, sys
path, kind, args = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(path).read()
text, n = re.subn(r"(IN\tSOA\tns1 hostmaster )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), text, count=1)
if n != 1: sys.exit("no SOA to bump")
if kind == "apex":
    text, n = re.subn(r"(?m)^(@\s+IN\tA\t).*$", lambda m: m.group(1) + args[0], text, count=1)
elif kind == "add":
    text += "%s\t\tIN\tA\t%s\n" % (args[0], args[1]); n = 1
elif kind == "remove":
    text, n = re.subn(r"(?m)^%s\s.*\n" % re.escape(args[0]), "", text)
if n < 1: sys.exit("edit %s %s changed nothing" % (kind, args))
open(path, "w").write(text)
PY
}

# served PORT KIND NAME [ADDRESS]: the change is answered, signed. apex/add: the A record with ADDRESS and
# an RRSIG over A; remove: NXDOMAIN with NSEC3 (or NSEC) and an RRSIG over it in the authority section.
served() {
    local port=$1 kind=$2 name=$3 address=${4:-}
    if [ "$kind" = remove ]; then
        dig +time=1 +tries=1 +norec +dnssec +noall +comments +authority -p "$port" @127.0.0.1 "$name" A 2>/dev/null |
            awk '/status: NXDOMAIN/ {nx=1} $4 ~ /^NSEC3?$/ {p=1} $4 == "RRSIG" && $5 ~ /^NSEC3?$/ {s=1} END {exit !(nx && p && s)}'
    else
        dig +time=1 +tries=1 +norec +dnssec +noall +answer -p "$port" @127.0.0.1 "$name" A 2>/dev/null |
            awk -v a="$address" '$4 == "A" && $5 == a {x=1} $4 == "RRSIG" && $5 == "A" {s=1} END {exit !(x && s)}'
    fi
}

# watch PORT KIND NAME ADDRESS OUT: dig in a loop until the change is served there (or CHANGE_TIMEOUT); writes
# the seconds since $t0 (or ">CHANGE_TIMEOUT") to OUT. One watcher per secondary runs at the same time, so
# that neither waits on the other's dig (a dig costs tens of ms here).
watch() {
    local limit=$(( ${t0%.*} + CHANGE_TIMEOUT ))
    until served "$1" "$2" "$3" "$4"; do
        (( ${EPOCHREALTIME%.*} < limit )) || { echo ">$CHANGE_TIMEOUT" >"$5"; return; }
        sleep 0.005
    done
    fsub "$EPOCHREALTIME" "$t0" >"$5"
}

# cpu_settle PID: CPU seconds of the process once it has been idle for half a second (bounded, 15 s).
cpu_settle() {
    local pid=$1 a b i
    a=$(cpu_tree "$pid")
    for i in $(seq 1 30); do
        sleep 0.5; b=$(cpu_tree "$pid")
        [ "$a" = "$b" ] && break
        a=$b
    done
    echo "$b"
}

# Ours: first signing, alone on the machine.
DB=$W/signer.db
flags=""; [ "$MODE" = nsec3 ] && flags="--nsec3"
"$SIGNER" zone add "$ORIGIN" --primary "127.0.0.1:$PRIMARY_PORT" --poll 3600s --transfer "$TRANSFER" $flags --db "$DB" >/dev/null || die "zone add failed"
t0=$(now)
"$SIGNER" serve --db "$DB" --listen "127.0.0.1:$SIGNER_PORT" >"$W/signer.log" 2>&1 &
SIGNER_PID=$!
signed() { dig +time=1 +tries=1 +norec +dnssec -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null | grep -q "RRSIG.*$4"; }
# first_signing PID LIMIT LOG COMMAND...: waits (bounded, while PID lives) until COMMAND succeeds.
first_signing() {
    local pid=$1 limit=$2 logfile=$3; shift 3
    local deadline=$(( $(date +%s) + limit ))
    until "$@"; do
        kill -0 "$pid" 2>/dev/null || die "the server exited (see $logfile)"
        (( $(date +%s) < deadline )) || die "not signed within $limit s (see $logfile)"
        sleep 0.1
    done
}
first_signing "$SIGNER_PID" "$STEP_TIMEOUT" "$W/signer.log" signed "$SIGNER_PORT" "$ORIGIN" SOA SOA
FIRST=$(fsub "$(now)" "$t0")
FIRST_RSS=$(rss_of "$SIGNER_PID")
log "first signing served after $FIRST s, RSS $FIRST_RSS MiB"

# BIND: inline-signing secondary of the same primary, started alone once ours is idle. Its keys are its
# own (dnssec-policy makes them); the zone counts as signed when the NSEC3PARAM (or the apex NSEC) is
# served signed and every private signing record (TYPE65534, flag byte 01) says the signing is done.
B=$W/bind; mkdir -p "$B/keys"
n3param=""; [ "$MODE" = nsec3 ] && n3param="nsec3param iterations 0 optout no salt-length 0;"
ixfr="yes"; [ "$TRANSFER" = axfr ] && ixfr="no"
# BIND signs a new zone in the background, sig-signing-nodes names and sig-signing-signatures RRSIGs per
# round, one journal transaction each; with its defaults (100 and 10) a 100k-name NSEC3 zone was not
# signed after 16 minutes here, so the bench raises both (BIND_SIGNING=default keeps BIND's own).
tuning=""; [ "$BIND_SIGNING" != default ] && tuning="sig-signing-nodes $BIND_SIGNING; sig-signing-signatures $BIND_SIGNING;"
cat >"$B/named.conf" <<CONF
options {
    directory "$B";
    pid-file "$B/named.pid";
    session-keyfile "$B/session.key";
    managed-keys-directory "$B";
    key-directory "$B/keys";
    listen-on port $BIND_PORT { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer { 127.0.0.0/8; };
};
controls { };
server 127.0.0.1 { request-ixfr $ixfr; };
dnssec-policy "bench" {
    keys {
        ksk key-directory lifetime unlimited algorithm ecdsap256sha256;
        zsk key-directory lifetime unlimited algorithm ecdsap256sha256;
    };
    $n3param
};
zone "$ORIGIN_NODOT" {
    type secondary;
    primaries { 127.0.0.1 port $PRIMARY_PORT; };
    file "$ORIGIN_NODOT.db";
    key-directory "$B/keys";
    inline-signing yes;
    dnssec-policy "bench";
    allow-notify { 127.0.0.0/8; };
    $tuning
};
CONF
named-checkconf "$B/named.conf" || die "named-checkconf failed on $B/named.conf"
bind_done() {
    local chain=NSEC3PARAM; [ "$MODE" = nsec ] && chain=NSEC
    signed "$BIND_PORT" "$ORIGIN" "$chain" "$chain" || return 1
    dig +time=1 +tries=1 +norec +noall +answer -p "$BIND_PORT" @127.0.0.1 "$ORIGIN" TYPE65534 2>/dev/null |
        awk '$4 == "TYPE65534" {n++; if ($7 !~ /01$/ || $6 != 5) busy=1} END {exit !(n > 0 && !busy)}'
}
t0=$(now)
"$NAMED" -g -c "$B/named.conf" >"$B/named.log" 2>&1 &
BIND_PID=$!
first_signing "$BIND_PID" "$BIND_FIRST_TIMEOUT" "$B/named.log" bind_done
BIND_FIRST=$(fsub "$(now)" "$t0")
BIND_FIRST_RSS=$(rss_of "$BIND_PID")
log "BIND signed the zone after $BIND_FIRST s, RSS $BIND_FIRST_RSS MiB"
cpu_settle "$BIND_PID" >/dev/null

# Unchanged polls: the daemon logs each poll's split.
for i in $(seq 1 "$POLLS"); do
    before=$(grep -c "poll finished" "$W/signer.log")
    "$SIGNER" zone refresh "$ORIGIN" --db "$DB" >/dev/null
    deadline=$(( $(date +%s) + 60 ))
    while [ "$(grep -c "poll finished" "$W/signer.log")" -le "$before" ] && (( $(date +%s) < deadline )); do sleep 0.05; done
done
UNCHANGED_MEDIAN=$(grep "poll finished" "$W/signer.log" | grep "unchanged" | sed -E 's/.*total_s=([0-9.]+).*/\1/' | median)

# The changes: per kind, $CHANGES in a row; one NOTIFY to each secondary at the same moment.
ROWS=$W/changes.tsv; : >"$ROWS"
n=0
for kind in $KINDS; do
    for j in $(seq 1 "$CHANGES"); do
        n=$((n + 1))
        case $kind in
            apex) name=$ORIGIN; address="203.0.113.$((n % 250 + 1))"; edit_zone apex "$address" ;;
            add) name="new$n.$ORIGIN"; address="198.51.100.$((n % 250 + 1))"; edit_zone add "new$n" "$address" ;;
            remove) owner=$(sed -n "${j}p" "$W/remove.list"); name="$owner.$ORIGIN"; address=""; edit_zone remove "$owner" ;;
        esac || die "editing the zone ($kind $n) failed"
        SERIAL=$((SERIAL + 1))
        touch -d "+$n seconds" "$W/primary.zone"
        reload_primary
        deadline=$(( $(date +%s) + 60 ))
        until [ "$(primary_serial)" = "$SERIAL" ]; do
            (( $(date +%s) < deadline )) || die "$PRIMARY did not reload to serial $SERIAL"
            sleep 0.02
        done
        ! served "$SIGNER_PORT" "$kind" "$name" "$address" || die "change $n ($kind $name) already served by ours before the NOTIFY"
        ! served "$BIND_PORT" "$kind" "$name" "$address" || die "change $n ($kind $name) already served by BIND before the NOTIFY"
        cpu0=$(cpu_tree "$SIGNER_PID"); bcpu0=$(cpu_tree "$BIND_PID")
        before=$(grep -c "poll finished" "$W/signer.log")
        bbefore=$(grep -c "Transfer completed" "$B/named.log")
        rm -f "$W/served.ours" "$W/served.bind"
        t0=$EPOCHREALTIME
        # What the primary does on a change: NOTIFY (ldns-notify sends one, unsigned, from 127.0.0.1), here
        # to both secondaries at once; then one watcher each.
        ldns-notify -z "$ORIGIN" -p "$SIGNER_PORT" 127.0.0.1 >/dev/null 2>&1 &
        n1=$!
        ldns-notify -z "$ORIGIN" -p "$BIND_PORT" 127.0.0.1 >/dev/null 2>&1 &
        n2=$!
        watch "$SIGNER_PORT" "$kind" "$name" "$address" "$W/served.ours" &
        w1=$!
        watch "$BIND_PORT" "$kind" "$name" "$address" "$W/served.bind" &
        w2=$!
        wait "$w1" "$w2" "$n1" "$n2" 2>/dev/null
        ours=$(cat "$W/served.ours" 2>/dev/null); theirs=$(cat "$W/served.bind" 2>/dev/null)
        case $ours in ""|">"*) die "change $n ($kind) not served by ours within $CHANGE_TIMEOUT s (see $W/signer.log)" ;; esac
        case $theirs in ""|">"*) log "change $n ($kind) not served by BIND within $CHANGE_TIMEOUT s"; theirs=">$CHANGE_TIMEOUT" ;; esac
        deadline=$(( $(date +%s) + 60 ))
        while [ "$(grep -c "poll finished" "$W/signer.log")" -le "$before" ]; do
            (( $(date +%s) < deadline )) || die "no \"poll finished\" line for change $n"
            sleep 0.01
        done
        cpu=$(fsub "$(cpu_settle "$SIGNER_PID")" "$cpu0")
        bcpu=$(fsub "$(cpu_settle "$BIND_PID")" "$bcpu0")
        line=$(grep "poll finished" "$W/signer.log" | tail -1)
        field() { echo "$line" | sed -E "s/.*[ \[]$1=([0-9.]+).*/\\1/"; }
        # commit_s is the SQLite transaction (store_s) plus the served snapshot's switch (switch_s).
        commit="$(field commit_s)"
        if echo "$line" | grep -q "store_s="; then commit="$commit ($(field store_s) / $(field switch_s))"; fi
        split=$(printf '%s\t%s\t%s\t%s' "$(field transfer_s)" "$(field sign_s)" "$commit" "$(field total_s)")
        came=$(echo "$line" | sed -E 's/.*[ \[]transfer=([a-z]+).*/\1/')
        # BIND logs no transfer type at its default level: an IXFR carries a few records, an AXFR all.
        bcame="-"
        if [ "$(grep -c "Transfer completed" "$B/named.log")" -gt "$bbefore" ]; then
            rrs=$(grep "Transfer completed" "$B/named.log" | tail -1 | sed -E 's/.* ([0-9]+) records.*/\1/')
            if (( rrs * 2 < ZONE_RRS )); then bcame=ixfr; else bcame=axfr; fi
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$kind" "$ours" "$split" "$cpu" "$(rss_of "$SIGNER_PID")" \
            "$came" "$theirs" "$bcpu" "$(rss_of "$BIND_PID")" "$bcame" >>"$ROWS"
        log "change $n ($kind): ours $ours s ($came), BIND $theirs s ($bcame)"
    done
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
    echo "### Signer cycle, $NAMES names, $MODE, primary $PRIMARY, --transfer $TRANSFER, beside BIND $("$NAMED" -v | awk '{print $2}') inline-signing ($(date -u +%Y-%m-%d), load average at start $LOAD_START, at end $(loadavg))"
    echo
    echo "First signing (AXFR + full sign + full verify + store + serve): **$FIRST s**, RSS $FIRST_RSS MiB."
    echo "BIND's first signing, alone (start + AXFR + sign until every signing record is done, sig-signing-nodes/-signatures $BIND_SIGNING): **$BIND_FIRST s**, RSS $BIND_FIRST_RSS MiB."
    # `zone refresh` asks for a transfer: over IXFR the primary answers "up to date" with its SOA alone.
    how="AXFR + compare"; [ "$TRANSFER" = ixfr ] && how="IXFR answered with the current SOA"
    echo "Unchanged poll ($how), daemon's own timing, median of $POLLS: **$UNCHANGED_MEDIAN s**."
    echo
    echo "Each change: NOTIFY to both at once, then each timed until the signed answer is served (apex, add: the new A with its RRSIG; remove: NXDOMAIN with a signed NSEC3/NSEC proof). CPU from the NOTIFY until the process is idle; RSS after the change."
    echo
    echo "| # | kind | ours NOTIFY → served s | transfer s | diff+sign+verify s | commit+switch s (store / switch) | daemon total s | ours CPU s | ours RSS MiB | ours came as | BIND NOTIFY → served s | BIND CPU s | BIND RSS MiB | BIND came as |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|"
    awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14}' "$ROWS"
    echo
    echo "| kind | changes | ours median s | BIND median s | BIND ÷ ours | ours median CPU s | BIND median CPU s |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for kind in $KINDS; do
        mo=$(awk -F'\t' -v k="$kind" '$2 == k {print $3}' "$ROWS" | median)
        mb=$(awk -F'\t' -v k="$kind" '$2 == k {print $11}' "$ROWS" | sed 's/^>//' | median)
        co=$(awk -F'\t' -v k="$kind" '$2 == k {print $8}' "$ROWS" | median)
        cb=$(awk -F'\t' -v k="$kind" '$2 == k {print $12}' "$ROWS" | median)
        ratio=$(awk -v a="$mb" -v b="$mo" 'BEGIN { if (b + 0 > 0 && a != "-") printf "%.2f", a / b; else print "-" }')
        nk=$(awk -F'\t' -v k="$kind" '$2 == k' "$ROWS" | wc -l)
        echo "| $kind | $nk | $mo | $mb | $ratio | $co | $cb |"
    done
    grep -q '>' <(cut -f11 "$ROWS") && echo && echo "(>$CHANGE_TIMEOUT: BIND had not served the change by the deadline; counted as $CHANGE_TIMEOUT in its median.)"
    echo
    echo "Seed design (dnssec-signzone -n 2, whole zone): $SZ_WALL s wall, $(fsub "$SZ_USER" "-$SZ_SYS") s CPU, $((SZ_RSS / 1024)) MiB peak."
} | tee "$RESULTS/cycle-$PRIMARY-$TRANSFER.md"
