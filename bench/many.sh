#!/usr/bin/env bash
# bench/many.sh: one signer holding many small zones, beside Knot as the signing secondary, in one run,
# with the shared harness ../shared/bench/many_zones.py (its docstring says what it measures: an NSD
# primary with $ZONES zones of 65 records, the secondary polling every 60 s; the time until every zone
# answers a signed SOA, RSS, CPU over $STEADY s at rest, a NOTIFY'd change served). Our rows:
#
#   ours (serial)   dns-signer with every zone in its default poll mode (SOA query, transfer when the
#                   serial moves); the zones are added in one transaction when the daemon starts (see
#                   `wrapper` below), and that time is part of "start → every zone served signed"
#   ours (content)  the same with `--poll-mode content --content-check 60s`: each zone transferred and
#                   compared every minute (the seeds' PowerDNS case)
#   knot            knotd 3.x, dnssec-signing on, the zones in its config file
#   bulk add        `dns-signer zone add --from FILE` of all the zone names in one transaction
#
# Knobs: ZONES [10000]  STEADY [60]  SERVERS ["ours knot ours-content"]  BENCH_ROOT  RESULTS
# Output: markdown on stdout and in $RESULTS/many.md (+ many.jsonl); scratch under /tmp/manyzones (the
# harness's own place) and $BENCH_ROOT/many.
set -u
source "$(dirname "$0")/common.sh"

: "${ZONES:=10000}"
: "${STEADY:=60}"
: "${SERVERS:=ours knot ours-content}"
export STEADY

need python3 nsd nsd-control knotd
python3 -c 'import dns.message' 2>/dev/null || die "dnspython missing (as root: scripts/install-test-deps.sh)"
HARNESS=$SHARED_BENCH/many_zones.py
[ -r "$HARNESS" ] || die "$HARNESS not found: the bench needs the shared peer harness beside the repository"
signer_binary

W=$BENCH_ROOT/many
rm -rf "$W"; mkdir -p "$W"
JSON=$RESULTS/many.jsonl
: >"$JSON"
LOAD_START=$(loadavg)

# The harness adds zones one process at a time (`zone add NAME …` 10,000 times takes minutes before
# anything starts). Our wrapper remembers each name instead and, at `serve`, adds them all in one
# transaction (`zone add --from`) before starting the daemon, so that time counts in "start → every zone
# served signed". MODE_FLAGS go on that `zone add` (the content-mode row).
wrapper() {  # wrapper FILE MODE_FLAGS
    cat >"$1" <<WRAP
#!/usr/bin/env bash
if [ "\${1:-}" = zone ] && [ "\${2:-}" = add ]; then
    shift 2; printf '%s\\n' "\$1" >>"$1.zones"; shift; printf '%s\\n' "\$* $2" >"$1.args"; exit 0
fi
if [ "\${1:-}" = serve ] && [ -s "$1.zones" ]; then
    "$SIGNER" zone add --from "$1.zones" \$(cat "$1.args") >/dev/null || exit 1
    rm -f "$1.zones"
fi
exec "$SIGNER" "\$@"
WRAP
    chmod +x "$1"
}
wrapper "$W/signer-serial" ""
wrapper "$W/signer-content" "--poll-mode content --content-check 60s"

run() {  # run LABEL SERVER [CS_SIGNER]
    local label=$1 server=$2 bin=${3:-}
    log "many zones: $label, $ZONES zones (STEADY=$STEADY s)"
    local out
    out=$(CS_SIGNER=$bin timeout $((ZONES / 5 + 2400)) python3 "$HARNESS" "$server" "$ZONES" 2>"$W/$label.err" | tail -1)
    [ -n "$out" ] || { log "$label: no result (see $W/$label.err)"; out="{\"server\": \"$server\", \"zones\": $ZONES}"; }
    # Ours: the signer's own part of the change, from its log (millisecond timestamps): the NOTIFY for the
    # changed zone accepted → that zone's poll finished with the change served. Knot logs whole seconds only.
    python3 - "$out" "$label" "/tmp/manyzones/$server/signer.log" "$(printf 'z%05d.many.test.' $((ZONES / 2)))" >>"$JSON" <<'PY'
import json, sys, datetime
out, label, logpath, zone = sys.argv[1:]
d = json.loads(out); d['label'] = label
def at(line):
    return datetime.datetime.fromisoformat(line.split(' ', 1)[0].replace('Z', '+00:00')).timestamp()
try:
    notified = None
    for line in open(logpath, errors='replace'):
        if f'zone={zone} ' not in line: continue
        if 'notify accepted' in line and 'serial 2;' in line: notified = at(line)
        elif notified is not None and 'poll finished' in line and 'fresh.' in line:
            d['notify_to_served_s'] = round(at(line) - notified, 3); break
except OSError:
    pass
print(json.dumps(d))
PY
}
for s in $SERVERS; do
    case $s in
        ours) run "ours (serial)" countersign "$W/signer-serial" ;;
        ours-content) run "ours (content)" countersign "$W/signer-content" ;;
        knot) run knot knot ;;
        *) die "unknown server $s (ours, ours-content, knot)" ;;
    esac
done

# Bulk add: every name in one `zone add --from` (one transaction), on a fresh database.
seq -f 'z%05g.many.test.' 0 $((ZONES - 1)) >"$W/names.txt"
t0=$(now)
"$SIGNER" zone add --from "$W/names.txt" --primary 127.0.0.1:15601 --db "$W/bulk.sqlite" >/dev/null 2>"$W/bulk.err" || die "bulk zone add failed (see $W/bulk.err)"
BULK_S=$(fsub "$(now)" "$t0")
t0=$(now)
"$SIGNER" zone list --db "$W/bulk.sqlite" >/dev/null 2>>"$W/bulk.err" || die "zone list failed (see $W/bulk.err)"
LIST_S=$(fsub "$(now)" "$t0")

python3 - "$JSON" "$ZONES" "$STEADY" "$BULK_S" "$LIST_S" "$LOAD_START" "$(loadavg)" <<'PY' | tee "$RESULTS/many.md"
import json, sys
path, zones, steady, bulk, listing, load0, load1 = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
def v(d, k, unit=''):
    x = d.get(k)
    return '-' if x is None else f'{x}{unit}'
print(f'### Many zones: {int(zones):,} zones of 65 records, one NSD primary, poll 60 s (load {load0} → {load1})')
print()
print('| | ' + ' | '.join(r['label'] for r in rows) + ' |')
print('|---|' + '---:|' * len(rows))
for title, key, unit in [
    ('configuration before start (ours: names noted; Knot: config file)', 'configure_s', ' s'),
    ('start → every zone served signed', 'all_signed_s', ' s'),
    ('zones never signed', 'unsigned_left', ''),
    ('peak RSS', 'peak_rss_mib', ' MiB'),
    (f'RSS after {steady} s at rest', 'rss_after_steady_mib', ' MiB'),
    ('PSS after rest', 'pss_after_steady_mib', ' MiB'),
    (f'CPU at rest ({steady} s)', 'steady_cpu_pct', ' % of a core'),
    ("one NOTIFY'd change → served signed (from `nsd-control reload`)", 'change_served_s', ' s'),
    ('the same change, from the NOTIFY received to served (signer log)', 'notify_to_served_s', ' s'),
]:
    print(f'| {title} | ' + ' | '.join(v(r, key, unit) for r in rows) + ' |')
print()
print(f'Ours only: `zone add --from FILE` of all {int(zones):,} names in one transaction: {float(bulk):.1f} s; '
      f'`zone list` of them: {float(listing):.2f} s.')
PY
