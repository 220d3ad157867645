#!/usr/bin/env bash
# The seeds' two-tier topology on one Linux machine: two network namespaces joined by a veth pair,
#
#     cs-primary (10.53.0.1)  <---- veth ---->  cs-signer (10.53.0.2)
#     dns-primary :53                            dns-signer :53
#     nsd 127.0.0.1:5301 (the "load balancer"'s zone, the primary's ALIAS resolver)
#
# with TSIG on the transfer. It loads deploy/search.usa.gov.zone (apex ALIAS, *.sites.infr wildcard
# ALIAS) into the primary, adds the zone to the signer, waits (bounded) until the signer serves it
# signed, queries it with `dig +dnssec` from the primary's side of the veth, shows that the primary
# refuses a transfer without the key, and removes everything it made (trap on EXIT: daemons stopped by
# PID, namespaces deleted, scratch directory removed).
#
# Usage: deploy/two-hosts.sh [--dry-run] [--keep]
#   --dry-run   print every command instead of running it (no root needed); what the tests read.
#   --keep      keep the scratch directory (databases, logs) and print its path.
# Environment:
#   BIN_DIR       where dns-primary and dns-signer are (default: `swift build --show-bin-path`).
#   ZONE_FILE     the zone to load (default: deploy/search.usa.gov.zone); ZONE its origin.
#   NS_PRIMARY, NS_SIGNER   namespace names (default cs-primary, cs-signer).
#   NET           the /24 to use, first three octets (default 10.53.0).
#   WAIT_SECONDS  how long to wait for the signed answer (default 90).
#   POLL          the signer's poll interval for the zone (default 5s).
# Exit status: 0 the signed answer was served; 1 something failed (logs are printed); 77 this machine
# cannot create network namespaces (not root and no password-less sudo, or no `ip netns`).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../scripts/load-balancer.sh"
ROOT="$(cd "$HERE/.." && pwd)"

DRY_RUN=0
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY_RUN=1 ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "two-hosts: unknown argument $arg (try --help)" >&2; exit 1 ;;
    esac
done

NS_PRIMARY="${NS_PRIMARY:-cs-primary}"
NS_SIGNER="${NS_SIGNER:-cs-signer}"
NET="${NET:-10.53.0}"
PRIMARY_IP="$NET.1"
SIGNER_IP="$NET.2"
ZONE_FILE="${ZONE_FILE:-$ROOT/deploy/search.usa.gov.zone}"
ZONE="${ZONE:-search.usa.gov.}"
WAIT_SECONDS="${WAIT_SECONDS:-90}"
POLL="${POLL:-5s}"
KEY_NAME="transfer-key"
UPSTREAM_PORT=5301
METRICS_PORT=9153

log() { printf 'two-hosts: %s\n' "$*" >&2; }
die() { log "FAILED: $(printf '%b' "$*")"; exit 1; }

# Every command that changes something goes through `run`: printed with --dry-run, executed otherwise.
run() {
    if [ "$DRY_RUN" = 1 ]; then
        printf '+ %s\n' "$*"
    else
        "$@"
    fi
}
# `run`, with the command's standard output discarded (it would print the TSIG secret).
run_quiet() {
    if [ "$DRY_RUN" = 1 ]; then
        run "$@"
    else
        "$@" >/dev/null
    fi
}
# A command inside a namespace.
in_ns() {
    local ns="$1"
    shift
    run ip netns exec "$ns" "$@"
}

# --- Preconditions ----------------------------------------------------------------------------------
preflight() {
    if [ "$DRY_RUN" = 1 ]; then
        BIN_DIR="${BIN_DIR:-<bin>}"
        return
    fi
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            log "re-running as root with sudo (network namespaces need it)"
            exec sudo -n --preserve-env=BIN_DIR,ZONE_FILE,ZONE,NS_PRIMARY,NS_SIGNER,NET,WAIT_SECONDS,POLL "$0" "$@"
        fi
        log "cannot create network namespaces: not root and no password-less sudo"
        exit 77
    fi
    command -v ip >/dev/null || { log "cannot create network namespaces: no \`ip\` (iproute2)"; exit 77; }
    local probe="cs-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        log "cannot create network namespaces here (ip netns add failed: a container without CAP_SYS_ADMIN?)"
        exit 77
    fi
    ip netns del "$probe"

    for tool in dig nsd base64; do
        command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-test-deps.sh installs it)"
    done
    if [ -z "${BIN_DIR:-}" ]; then
        BIN_DIR="$(cd "$ROOT" && swift build --show-bin-path)"
    fi
    for binary in dns-primary dns-signer; do
        [ -x "$BIN_DIR/$binary" ] || die "$BIN_DIR/$binary is missing: build first (swift build)"
    done
    # The signer's zone store and daemon: say plainly when this build does not have them yet.
    "$BIN_DIR/dns-signer" zone add --help >/dev/null 2>&1 \
        || die "this dns-signer has no \`zone add\` (the signer daemon is not in this build)"
    for ns in "$NS_PRIMARY" "$NS_SIGNER"; do
        if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
            die "namespace $ns already exists (another run, or a leftover: ip netns del $ns)"
        fi
    done
}

# Passes `--flag value` only when the daemon knows the flag (metrics arrive with the operations work).
optional_flag() {
    local binary="$1" flag="$2" value="$3"
    if [ "$DRY_RUN" = 1 ] || "$BIN_DIR/$binary" serve --help 2>/dev/null | grep -q -- "$flag"; then
        printf '%s\n%s\n' "$flag" "$value"
    fi
}

# --- Teardown -----------------------------------------------------------------------------------------
PIDS=()
WORK=""
CREATED_NS=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ "$DRY_RUN" != 1 ]; then
        # Daemons by PID: SIGTERM, up to 5 s, then SIGKILL.
        for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        for pid in "${PIDS[@]}"; do
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        done
        if [ "$status" != 0 ] && [ -n "$WORK" ]; then
            for f in "$WORK"/*.log; do
                [ -f "$f" ] || continue
                log "--- last lines of $(basename "$f") ---"
                tail -n 25 "$f" >&2 || true
            done
        fi
    fi
    # Deleting a namespace deletes its end of the veth, and with it the other end.
    for ns in "${CREATED_NS[@]}"; do run ip netns del "$ns" 2>/dev/null || true; done
    if [ -n "$WORK" ] && [ "$DRY_RUN" != 1 ]; then
        if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$status"
}

# --- The two hosts ------------------------------------------------------------------------------------
make_hosts() {
    log "creating namespaces $NS_PRIMARY ($PRIMARY_IP) and $NS_SIGNER ($SIGNER_IP) joined by a veth"
    run ip netns add "$NS_PRIMARY"
    CREATED_NS+=("$NS_PRIMARY")
    run ip netns add "$NS_SIGNER"
    CREATED_NS+=("$NS_SIGNER")
    # Made inside the namespaces, so no interface name is ever taken on the host.
    run ip -n "$NS_PRIMARY" link add veth0 type veth peer name veth0 netns "$NS_SIGNER"
    run ip -n "$NS_PRIMARY" addr add "$PRIMARY_IP/24" dev veth0
    run ip -n "$NS_SIGNER" addr add "$SIGNER_IP/24" dev veth0
    for ns in "$NS_PRIMARY" "$NS_SIGNER"; do
        run ip -n "$ns" link set lo up
        run ip -n "$ns" link set veth0 up
    done
}

# A background daemon inside a namespace; its PID (that of the daemon: `ip netns exec` execs it) kept.
start() {
    local ns="$1" logfile="$2"
    shift 2
    if [ "$DRY_RUN" = 1 ]; then
        printf '+ ip netns exec %s %s > %s 2>&1 &\n' "$ns" "$*" "$logfile"
        return
    fi
    ip netns exec "$ns" "$@" >"$logfile" 2>&1 &
    PIDS+=("$!")
}

# Runs `dig ARGS` in a namespace until its output matches REGEX or SECONDS pass; prints the last output.
wait_for() {
    local seconds="$1" regex="$2" ns="$3"
    shift 3
    if [ "$DRY_RUN" = 1 ]; then
        printf '+ (up to %ss, until /%s/) ip netns exec %s dig %s\n' "$seconds" "$regex" "$ns" "$*" >&2
        return 0
    fi
    local deadline=$((SECONDS + seconds)) output=""
    while [ "$SECONDS" -lt "$deadline" ]; do
        output="$(ip netns exec "$ns" dig +time=1 +tries=1 "$@" 2>&1 || true)"
        if printf '%s\n' "$output" | grep -Eq "$regex"; then
            printf '%s\n' "$output"
            return 0
        fi
        sleep 0.5
    done
    printf '%s\n' "$output"
    return 1
}

upstream() {
    log "starting nsd in $NS_PRIMARY on 127.0.0.1:$UPSTREAM_PORT: the load balancer's zone, the primary's ALIAS resolver"
    if [ "$DRY_RUN" != 1 ]; then
        write_load_balancer "$WORK" "$UPSTREAM_PORT" 1 192.0.2.10 2001:db8::10
    fi
    start "$NS_PRIMARY" "$WORK/nsd.log" nsd -d -c "$WORK/nsd.conf"
}

primary() {
    local db="$WORK/primary.db"
    log "primary: TSIG key $KEY_NAME, zone $ZONE from $(basename "$ZONE_FILE"), transfer only to $SIGNER_IP with the key"
    run_quiet "$BIN_DIR/dns-primary" tsig add "$KEY_NAME" --algorithm hmac-sha256 --secret "$SECRET" --db "$db"
    run "$BIN_DIR/dns-primary" zone import "$ZONE" "$ZONE_FILE" --db "$db"
    run "$BIN_DIR/dns-primary" zone acl add "$ZONE" "$SIGNER_IP/32" --key "$KEY_NAME" --db "$db"
    run "$BIN_DIR/dns-primary" zone notify add "$ZONE" "$SIGNER_IP:53" --key "$KEY_NAME" --db "$db"
    local extra=()
    mapfile -t extra < <(optional_flag dns-primary --metrics-listen "$PRIMARY_IP:$METRICS_PORT")
    start "$NS_PRIMARY" "$WORK/primary.log" "$BIN_DIR/dns-primary" serve --db "$db" --listen "$PRIMARY_IP:53" \
        --resolver "127.0.0.1:$UPSTREAM_PORT" "${extra[@]}"
}

signer() {
    local db="$WORK/signer.db"
    log "signer: the same TSIG key, zone $ZONE from primary $PRIMARY_IP:53, polled every $POLL"
    run_quiet "$BIN_DIR/dns-signer" tsig add "$KEY_NAME" --algorithm hmac-sha256 --secret "$SECRET" --db "$db"
    run "$BIN_DIR/dns-signer" zone add "$ZONE" --primary "$PRIMARY_IP:53" --key "$KEY_NAME" --poll "$POLL" --db "$db"
    local extra=()
    mapfile -t extra < <(optional_flag dns-signer --metrics-listen "$SIGNER_IP:$METRICS_PORT")
    start "$NS_SIGNER" "$WORK/signer.log" "$BIN_DIR/dns-signer" serve --db "$db" --listen "$SIGNER_IP:53" "${extra[@]}"
}

check() {
    log "waiting for the primary to serve $ZONE (ALIAS expanded)"
    wait_for 30 "status: NOERROR" "$NS_PRIMARY" "@$PRIMARY_IP" "$ZONE" SOA +norec \
        >/dev/null || die "the primary does not answer for $ZONE"

    log "the primary refuses a transfer without the key and allows it with the key (asked from the signer's host)"
    if [ "$DRY_RUN" = 1 ]; then
        in_ns "$NS_SIGNER" dig "@$PRIMARY_IP" "$ZONE" AXFR
        in_ns "$NS_SIGNER" dig -y "hmac-sha256:$KEY_NAME:<secret>" "@$PRIMARY_IP" "$ZONE" AXFR
    else
        local unsigned signed
        unsigned="$(ip netns exec "$NS_SIGNER" dig +time=2 +tries=1 "@$PRIMARY_IP" "$ZONE" AXFR 2>&1 || true)"
        if printf '%s\n' "$unsigned" | grep -q "IN[[:space:]]*SOA"; then
            die "the primary gave the zone to a transfer without TSIG:\n$unsigned"
        fi
        signed="$(ip netns exec "$NS_SIGNER" dig +time=2 +tries=1 -y "hmac-sha256:$KEY_NAME:$SECRET" "@$PRIMARY_IP" "$ZONE" AXFR 2>&1 || true)"
        printf '%s\n' "$signed" | grep -q "IN[[:space:]]*SOA" \
            || die "the primary refused a transfer signed with $KEY_NAME:\n$signed"
        printf '%s\n' "$signed" | grep -Eq "^${ZONE}[[:space:]].*IN[[:space:]]+A[[:space:]]+192\.0\.2\.10" \
            || die "the primary's AXFR does not carry the expanded apex ALIAS (A 192.0.2.10):\n$signed"
    fi

    log "waiting up to ${WAIT_SECONDS}s for the signer to serve $ZONE signed"
    local answer
    answer="$(wait_for "$WAIT_SECONDS" "RRSIG[[:space:]]+A[[:space:]]" "$NS_PRIMARY" "@$SIGNER_IP" "$ZONE" A +dnssec +norec)" \
        || die "no signed answer for $ZONE A from the signer at $SIGNER_IP within ${WAIT_SECONDS}s:\n$answer"
    printf '%s\n' "$answer"
    if [ "$DRY_RUN" != 1 ]; then
        printf '%s\n' "$answer" | grep -Eq "IN[[:space:]]+A[[:space:]]+192\.0\.2\.10" \
            || die "the signed apex does not carry the load balancer's address 192.0.2.10"
    fi

    log "the wildcard ALIAS, signed, from the other host"
    wait_for 10 "RRSIG[[:space:]]+AAAA[[:space:]]" "$NS_PRIMARY" "@$SIGNER_IP" "customer.sites.infr.$ZONE" AAAA +dnssec +norec \
        || die "no signed AAAA for the wildcard name"

    log "the signer's keys"
    wait_for 10 "DNSKEY[[:space:]]+257 3 13" "$NS_PRIMARY" "@$SIGNER_IP" "$ZONE" DNSKEY +dnssec +norec +multiline \
        || die "no KSK (257, algorithm 13) in the signer's DNSKEY RRset"
    run "$BIN_DIR/dns-signer" zone status "$ZONE" --db "$WORK/signer.db" || true
    if [ "$DRY_RUN" = 1 ] || "$BIN_DIR/dns-signer" serve --help 2>/dev/null | grep -q -- --metrics-listen; then
        log "the signer's health check and metrics, from the primary's host"
        in_ns "$NS_PRIMARY" curl -fsS --max-time 5 "http://$SIGNER_IP:$METRICS_PORT/healthz" \
            || die "the signer's /healthz is not 200"
        if [ "$DRY_RUN" != 1 ]; then
            ip netns exec "$NS_PRIMARY" curl -fsS --max-time 5 "http://$SIGNER_IP:$METRICS_PORT/metrics" | grep '^countersign_zone' || true
        fi
    fi
    log "OK: $ZONE transferred with TSIG from $PRIMARY_IP, signed and served by $SIGNER_IP"
}

main() {
    preflight "$@"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    if [ "$DRY_RUN" = 1 ]; then
        WORK="<work>"
        SECRET="<base64-secret>"
    else
        WORK="$(mktemp -d "${TMPDIR:-/tmp}/countersign-two-hosts.XXXXXX")"
        SECRET="$(head -c 32 /dev/urandom | base64)"
    fi
    make_hosts
    upstream
    primary
    signer
    check
}

main "$@"
