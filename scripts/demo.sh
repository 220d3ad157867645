#!/usr/bin/env bash
# The README's first command (`make demo`): Countersign's two tiers on this machine, in about a minute.
#
#     nsd (the load balancer's zone, ec2.aws.com.)          127.0.0.1:<upstream port>
#       ^ ALIAS targets resolved here
#     dns-primary serve   search.usa.gov. with ALIAS        127.0.0.1:<primary port>
#       | AXFR signed with TSIG, NOTIFY on every change
#       v
#     dns-signer serve    search.usa.gov. signed (ECDSA)    127.0.0.1:<signer port>, /metrics on <metrics port>
#
# It builds the two daemons, loads deploy/search.usa.gov.zone (apex ALIAS, *.sites.infr wildcard ALIAS,
# ordinary records) into the primary, and shows what the seeds' operators checked: the DNSKEY records,
# the DS record for the registrar, answers that `delv` validates with only that DS as trust anchor, the
# load balancer moving and the signer serving the re-signed new address, `dns-signer zone status`, and the
# signer's /healthz and /metrics. Everything runs on loopback high ports with SQLite files in a scratch
# directory; on exit (success, failure or Ctrl-C) every process it started is stopped by PID and the
# directory is removed. Every wait is bounded; on failure it prints the daemons' last log lines and exits 1.
#
# Usage: scripts/demo.sh [--no-build] [--keep]
#   --no-build  do not build; use the binaries in $BIN_DIR, else in `swift build --show-bin-path`.
#   --keep      keep the scratch directory (databases, logs, zone files) and print its path.
# Environment: BIN_DIR (with --no-build), SWIFT and SWIFTPM_FLAGS (as in the Makefile), TMPDIR (scratch).
# Needs: swift, curl, and nsd, dig, delv: when one is missing the demo runs scripts/install-test-deps.sh
# (Debian packages, with sudo when not root) and says so first.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
source scripts/load-balancer.sh
ROOT="$PWD"

BUILD=1
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

ZONE=search.usa.gov.
ZONE_FILE="$ROOT/deploy/search.usa.gov.zone"
LB=usasearch-elb.ec2.aws.com.        # the load balancer both ALIAS records point at
WILDCARD_NAME=agency.sites.infr.$ZONE  # any name under *.sites.infr
KEY=transfer-key                      # the TSIG key on the primary -> signer transfer
STARTED_AT=$SECONDS

# --- Output and failure ------------------------------------------------------------------------------
heading() { printf '\n== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
FAILURE=""
die() { FAILURE="$(printf '%b' "$*")"; printf '\ndemo: FAILED: %s\n' "$FAILURE" >&2; exit 1; }
# A command that fails where no check expected it: say which, then exit through the same path.
# (In a $(...) subshell it only exits: the line that ran the subshell is reported once, by the parent.)
on_error() {
    [ "$BASH_SUBSHELL" = 0 ] || exit "$3"
    [ "$3" != 130 ] || exit 130 # Ctrl-C killed the command we were running: not a failure to explain
    die "line $1: \`$2\` exited $3"
}

# --- Processes: started in the background, logged to files, stopped by PID ----------------------------
WORK=""
NAMES=()             # what was started, in order
declare -A PID_OF=() # name -> PID of what is running now

# start NAME COMMAND...: runs COMMAND in the background with its output in $WORK/NAME.log.
start() {
    local name="$1"
    shift
    "$@" >>"$WORK/$name.log" 2>&1 &
    PID_OF[$name]=$!
    NAMES+=("$name")
    note "started $name (pid $!), log $WORK/$name.log"
}

# stop NAME: SIGTERM to its PID, up to 5 s to exit, then SIGKILL.
stop() {
    local pid="${PID_OF[$1]:-}"
    [ -n "$pid" ] || return 0
    unset "PID_OF[$1]"
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    trap - EXIT ERR
    trap '' INT TERM # a second Ctrl-C must not leave daemons behind; this takes at most 5 s per process
    local i
    for ((i = ${#NAMES[@]} - 1; i >= 0; i--)); do stop "${NAMES[i]}"; done
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "$status" != 0 ]; then
            local f
            for f in "$WORK"/*.log; do
                [ -f "$f" ] || continue
                printf '\n--- last lines of %s ---\n' "$(basename "$f")" >&2
                tail -n 25 "$f" >&2 || true
            done
        fi
        if [ "$KEEP" = 1 ]; then echo "demo: kept $WORK"; else rm -rf "$WORK"; fi
    fi
    if [ "$status" = 0 ]; then
        printf '\ndemo: OK in %ss (after the build); everything it started is stopped.\n' "$((SECONDS - STARTED_AT))"
    elif [ "$status" = 130 ] || [ "$status" = 143 ]; then
        printf '\ndemo: interrupted; everything it started is stopped.\n' >&2
    else
        printf '\ndemo: FAILED (exit %s)%s\n' "$status" "${FAILURE:+: $FAILURE}" >&2
    fi
    exit "$status"
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; fails after SECONDS.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# --- DNS questions ------------------------------------------------------------------------------------
# ask PORT DIG-ARGS...: dig at 127.0.0.1:PORT, one try of one second.
ask() {
    local port="$1"
    shift
    dig @127.0.0.1 -p "$port" +norec +time=1 +tries=1 "$@" 2>&1 || true
}
# squeeze: runs of blanks made one space, so answers can be grepped for "IN A 192.0.2.10".
squeeze() { tr -s ' \t' ' '; }
# signed NAME TYPE DATA: the signer answers NAME TYPE with DATA and an RRSIG over it.
signed() {
    local answer
    answer="$(ask "$SIGNER_PORT" +dnssec +noall +answer "$1" "$2" | squeeze)"
    grep -qF "IN $2 $3" <<<"$answer" && grep -qF "IN RRSIG $2 " <<<"$answer"
}
# lb_answers ADDRESS: the upstream NSD answers the load balancer's A query with ADDRESS.
lb_answers() { ask "$UPSTREAM_PORT" +short "$LB" A | grep -qxF "$1"; }
# primary_answers ADDRESS: the primary answers the apex A query with ADDRESS (its ALIAS, expanded).
primary_answers() { ask "$PRIMARY_PORT" +short "$ZONE" A | grep -qxF "$1"; }
# validate NAME TYPE: delv at the signer, trusting only the DS record `dns-signer ds` printed.
validate() {
    timeout 30 delv @127.0.0.1 -p "$SIGNER_PORT" -a "$WORK/trust-anchor.conf" +root="$ZONE" "$1" "$2" 2>&1 || true
}

# A free port: random below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default),
# where the daemons' own outgoing sockets take theirs, and not bound over UDP or TCP (checked with ss when
# there is one). A port drawn inside that range could be taken by an outgoing socket between the check and
# the daemon's bind ("Address already in use"; seen once in CI).
free_port() {
    local port ephemeral low=10000 high=32767
    if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
        read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range
        if [ "$ephemeral" -gt $((low + 1000)) ]; then high=$((ephemeral - 1)); fi
    fi
    for _ in $(seq 100); do
        port=$((low + RANDOM % (high - low + 1)))
        if ! command -v ss >/dev/null || [ -z "$(ss -Hlntu "sport = :$port" 2>/dev/null)" ]; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

# --- 0. The daemons and the tools ---------------------------------------------------------------------
# True when every tool is on PATH (or in /usr/sbin, where Debian puts nsd).
have() { local t; for t in "$@"; do command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || return 1; done; }

tools() {
    local needed=(nsd dig delv) missing=() t
    for t in "${needed[@]}"; do have "$t" || missing+=("$t"); done
    # The build links the system SQLite (GRDB): its header comes with libsqlite3-dev.
    if [ "$BUILD" = 1 ] && [ ! -e /usr/include/sqlite3.h ]; then missing+=("sqlite3.h (libsqlite3-dev)"); fi
    if ((${#missing[@]})); then
        heading "installing what the demo needs (missing: ${missing[*]})"
        note "scripts/install-test-deps.sh installs it with apt-get (Debian packages nsd, bind9-dnsutils, ...)"
        # COUNTERSIGN_ALLOW_MISSING_TOOLS=1: what only the test suite uses (Python modules) must not stop
        # the demo; whether the demo's own tools arrived is checked below.
        local install=(env COUNTERSIGN_ALLOW_MISSING_TOOLS=1 scripts/install-test-deps.sh)
        if [ "$(id -u)" != 0 ]; then
            command -v sudo >/dev/null \
                || die "missing: ${missing[*]}; this is not root and there is no sudo: run scripts/install-test-deps.sh as root"
            note "it needs root: running it with sudo (you may be asked for your password)"
            install=(sudo "${install[@]}")
        fi
        "${install[@]}" || note "(${install[*]} exited $?; checking what the demo needs anyway)"
        missing=()
        for t in "${needed[@]}"; do have "$t" || missing+=("$t"); done
        if [ "$BUILD" = 1 ] && [ ! -e /usr/include/sqlite3.h ]; then missing+=("sqlite3.h (libsqlite3-dev)"); fi
        ((${#missing[@]} == 0)) || die "still missing after scripts/install-test-deps.sh: ${missing[*]}"
    fi
    have curl || die "curl is missing (apt-get install curl): the demo reads the signer's /healthz with it"
    if [ "$BUILD" = 1 ] || [ -z "${BIN_DIR:-}" ]; then
        have "${SWIFT:-swift}" || die "${SWIFT:-swift} is not installed: the demo builds with it (https://www.swift.org/install/)"
    fi
    export PATH="$PATH:/usr/sbin"
}

binaries() {
    # SWIFT and SWIFTPM_FLAGS as in the Makefile (e.g. SWIFTPM_FLAGS="--scratch-path .build-mine").
    local swift=(${SWIFT:-swift} build ${SWIFTPM_FLAGS:-})
    if [ "$BUILD" = 1 ]; then
        heading "building dns-primary and dns-signer (${swift[*]}; the first build takes several minutes)"
        "${swift[@]}" --product dns-primary || die "the build of dns-primary failed"
        "${swift[@]}" --product dns-signer || die "the build of dns-signer failed"
        STARTED_AT=$SECONDS
    fi
    BIN_DIR="${BIN_DIR:-$("${swift[@]}" --show-bin-path)}"
    PRIMARY="$BIN_DIR/dns-primary"
    SIGNER="$BIN_DIR/dns-signer"
    [ -x "$PRIMARY" ] && [ -x "$SIGNER" ] || die "no dns-primary/dns-signer in $BIN_DIR: build first (swift build)"
}

# --- 1. The load balancer: NSD serving its zone ---------------------------------------------------------
# upstream SERIAL IPV4 IPV6: (re)writes the ec2.aws.com. zone and (re)starts NSD with it.
upstream() {
    write_load_balancer "$WORK" "$UPSTREAM_PORT" "$1" "$2" "$3"
    stop nsd
    start nsd nsd -d -c "$WORK/nsd.conf"
    wait_until 10 lb_answers "$2" || die "nsd does not answer $LB A $2 on 127.0.0.1:$UPSTREAM_PORT"
}

main() {
    trap cleanup EXIT
    trap 'on_error "$LINENO" "$BASH_COMMAND" "$?"' ERR
    trap 'exit 130' INT
    trap 'exit 143' TERM
    tools
    binaries

    WORK="$(mktemp -d "${TMPDIR:-/tmp}/countersign-demo.XXXXXX")"
    UPSTREAM_PORT=$(free_port)
    PRIMARY_PORT=$(free_port)
    SIGNER_PORT=$(free_port)
    METRICS_PORT=$(free_port)
    local secret
    secret="$(head -c 32 /dev/urandom | base64)"

    heading "the load balancer: nsd serving $LB (192.0.2.10, 2001:db8::10)"
    note "scratch directory: $WORK"
    upstream 1 192.0.2.10 2001:db8::10

    # --- 2. The hidden primary ------------------------------------------------------------------------
    heading "dns-primary on 127.0.0.1:$PRIMARY_PORT: the zone, a TSIG key, transfers only with it, NOTIFY to the signer"
    local pdb="$WORK/primary.db"
    "$PRIMARY" tsig add "$KEY" --secret "$secret" --db "$pdb" >/dev/null
    "$PRIMARY" zone import "$ZONE" "$ZONE_FILE" --db "$pdb"
    "$PRIMARY" zone acl add "$ZONE" 127.0.0.1/32 --key "$KEY" --db "$pdb"
    "$PRIMARY" zone notify add "$ZONE" "127.0.0.1:$SIGNER_PORT" --key "$KEY" --db "$pdb"
    note "the ALIAS records it holds:"
    grep -E '^[^;]*[[:space:]]ALIAS[[:space:]]' "$ZONE_FILE" | sed 's/^/     /'
    # --refresh 1: look the load balancer up again every second, so the move below shows at once.
    start primary "$PRIMARY" serve --db "$pdb" --listen "127.0.0.1:$PRIMARY_PORT" \
        --resolver "127.0.0.1:$UPSTREAM_PORT" --refresh 1 --threads 1
    wait_until 30 primary_answers 192.0.2.10 || die "dns-primary does not answer $ZONE A with the expanded ALIAS (192.0.2.10)"
    note "dig $ZONE A at the primary: $(ask "$PRIMARY_PORT" +short "$ZONE" A | tr '\n' ' ')(the apex ALIAS, expanded)"
    local axfr
    axfr="$(ask "$PRIMARY_PORT" "$ZONE" AXFR | squeeze)"
    if grep -qF "IN SOA" <<<"$axfr"; then die "the primary gave the zone to a transfer without the TSIG key"; fi
    note "a zone transfer without the key: refused"

    # --- 3. The signer --------------------------------------------------------------------------------
    heading "dns-signer on 127.0.0.1:$SIGNER_PORT: transfers $ZONE with the key, signs it, serves it"
    local sdb="$WORK/signer.db"
    "$SIGNER" tsig add "$KEY" --secret "$secret" --db "$sdb" >/dev/null
    "$SIGNER" zone add "$ZONE" --primary "127.0.0.1:$PRIMARY_PORT" --key "$KEY" --poll 5s --db "$sdb"
    start signer "$SIGNER" serve --db "$sdb" --listen "127.0.0.1:$SIGNER_PORT" \
        --metrics-listen "127.0.0.1:$METRICS_PORT" --threads 1
    wait_until 60 signed "$ZONE" A 192.0.2.10 || die "the signer did not serve $ZONE A signed within 60 s"
    note "serving $ZONE signed, $((SECONDS - STARTED_AT))s after the demo started"

    # --- 4. What the operators checked ----------------------------------------------------------------
    heading "the DNSKEY records the signer serves: a KSK (flags 257) and a ZSK (256), algorithm 13 (ECDSA P-256)"
    local keys
    keys="$(ask "$SIGNER_PORT" +noall +answer +multiline "$ZONE" DNSKEY)"
    printf '%s\n' "$keys"
    grep -qF "DNSKEY 257 3 13" <<<"$(squeeze <<<"$keys")" || die "no KSK (257 3 13) in the DNSKEY answer"
    grep -qF "DNSKEY 256 3 13" <<<"$(squeeze <<<"$keys")" || die "no ZSK (256 3 13) in the DNSKEY answer"

    heading "the DS record to give the registrar (dns-signer ds $ZONE)"
    local ds
    ds="$("$SIGNER" ds "$ZONE" --db "$sdb")"
    printf '%s\n' "$ds"
    # delv's trust anchor: that DS and nothing else, as a resolver would get it from the parent.
    awk -v zone="$ZONE" '
        BEGIN { print "trust-anchors {" }
        { for (i = 1; i <= NF; i++) if ($i == "DS") { digest = ""; for (j = i + 4; j <= NF; j++) digest = digest $j
              printf "    \"%s\" static-ds %s %s %s \"%s\";\n", zone, $(i + 1), $(i + 2), $(i + 3), digest; found = 1 } }
        END { print "};"; if (!found) exit 1 }' <<<"$ds" >"$WORK/trust-anchor.conf" \
        || die "dns-signer ds printed no DS record"

    heading "validated answers (delv, trusting only that DS): the apex ALIAS and a wildcard ALIAS name"
    local name answer
    for name in "$ZONE" "$WILDCARD_NAME"; do
        printf -- '-- delv %s A\n' "$name"
        answer="$(validate "$name" A)"
        printf '%s\n' "$answer"
        grep -qF "; fully validated" <<<"$answer" || die "delv did not validate $name A"
        grep -qF "192.0.2.10" <<<"$answer" || die "$name A is not the load balancer's address 192.0.2.10"
    done

    # --- 5. The load balancer moves -------------------------------------------------------------------
    heading "the load balancer moves to 192.0.2.20, 2001:db8::20 (nsd restarted with the new zone)"
    local moved_at=$SECONDS
    upstream 2 192.0.2.20 2001:db8::20
    wait_until 30 signed "$ZONE" A 192.0.2.20 \
        || die "the signer did not serve the new address 192.0.2.20 for $ZONE within 30 s"
    wait_until 10 signed "$WILDCARD_NAME" AAAA 2001:db8::20 \
        || die "the signer did not serve the new address 2001:db8::20 for $WILDCARD_NAME within 10 s"
    note "primary re-resolved, raised its serial, sent NOTIFY; signer transferred and re-signed: $((SECONDS - moved_at))s"
    for name in "$ZONE" "$WILDCARD_NAME"; do
        printf -- '-- delv %s A\n' "$name"
        answer="$(validate "$name" A)"
        printf '%s\n' "$answer"
        grep -qF "; fully validated" <<<"$answer" || die "delv did not validate $name A after the move"
        grep -qF "192.0.2.20" <<<"$answer" || die "$name A is not the new address 192.0.2.20"
    done

    # --- 6. Operating it ------------------------------------------------------------------------------
    heading "dns-signer zone status $ZONE"
    "$SIGNER" zone status "$ZONE" --db "$sdb"

    heading "the signer's health check and metrics (--metrics-listen 127.0.0.1:$METRICS_PORT)"
    printf -- '-- curl http://127.0.0.1:%s/healthz\n' "$METRICS_PORT"
    curl -fsS --max-time 5 "http://127.0.0.1:$METRICS_PORT/healthz" || die "/healthz did not answer 200"
    echo
    printf -- '-- curl http://127.0.0.1:%s/metrics (a few lines)\n' "$METRICS_PORT"
    local metrics
    metrics="$(curl -fsS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics")" || die "/metrics did not answer 200"
    grep -E "^countersign_[a-z_]+\{[^}]*zone=\"$ZONE\"" <<<"$metrics" | head -n 8 || true
    grep -q "^countersign_" <<<"$metrics" || die "/metrics has no countersign_ series"
}

main
