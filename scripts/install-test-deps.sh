#!/usr/bin/env bash
# Installs the Debian packages the test suite uses as external judges (named-checkzone, kzonecheck,
# kdig/dig, ldns tools, nsd/knot/unbound as peers, dnsperf, dnspython) on a Debian 12 machine.
#
# Idempotent: when everything is installed it only runs dpkg-query and returns in well under a second.
# As root it installs what is missing; otherwise it prints the exact command and fails, unless
# COUNTERSIGN_ALLOW_MISSING_TOOLS=1 is set (then tests that need a missing tool skip instead of failing).
#
# Daemons that package scripts would start (nsd, knot, unbound, named) are kept from starting with a
# temporary policy-rc.d and are stopped and disabled afterwards: tests run their own servers on high ports
# and must not compete with system copies for port 53 or for CPU.
set -euo pipefail

PACKAGES=(
    ldnsutils
    bind9-dnsutils
    bind9-utils
    knot-dnsutils
    knot-dnssecutils
    knot
    nsd
    unbound
    dnsperf
    python3-dnspython
    libsqlite3-dev
    bind9
)
# Python modules the tests import from whichever python3 is first on PATH (a pyenv python does not see
# Debian's python3-dnspython): module name and PyPI package.
PYTHON_MODULES=("dns:dnspython")
# The notification tests: a real SMTP server (aiosmtpd) with STARTTLS on a certificate made by openssl.
PYTHON_MODULES+=("aiosmtpd:aiosmtpd")
# The metrics tests: /metrics read back by the Prometheus project's own text-format parser.
PYTHON_MODULES+=("prometheus_client:prometheus-client")
PACKAGES+=(openssl python3-aiosmtpd curl sqlite3)
# dns-primary's dynamic updates and HTTP API, driven by the real clients: certbot's RFC 2136 DNS-01
# authenticator (its own code path, no ACME server) and octoDNS with its PowerDNS API provider.
PYTHON_MODULES+=("certbot_dns_rfc2136:certbot-dns-rfc2136" "octodns_powerdns:octodns-powerdns")
# The primary's bench: PowerDNS expanding ALIAS on outgoing AXFR, beside dns-primary (bench/primary.sh).
PACKAGES+=(pdns-server pdns-backend-bind pdns-backend-sqlite3)
# Services a package's postinst may start or enable.
SERVICES=(nsd knot unbound unbound-resolvconf named named-resolvconf bind9 pdns)
# Commands the tests call; checked after installing so a broken install fails here, not in a test.
COMMANDS=(named-checkzone kzonecheck kdig dig delv ldns-read-zone ldns-verify-zone dnssec-signzone nsd knotd named unbound dnsperf pdns_server pdnsutil pdns_control curl sqlite3 openssl)

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

missing_packages() {
    local pkg status
    # One dpkg-query call for all packages; unknown packages are reported on stderr and not listed.
    declare -A installed=()
    while IFS=$'\t' read -r pkg status; do
        [[ "$status" == ii* ]] && installed["$pkg"]=1
    done < <(dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
    for pkg in "${PACKAGES[@]}"; do
        [[ -n "${installed[$pkg]:-}" ]] || printf '%s\n' "$pkg"
    done
}

service_manager() {
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        echo systemd
    elif command -v service >/dev/null 2>&1; then
        echo sysv
    else
        echo none
    fi
}

# Stops and disables the daemons the packages ship, whichever init system runs here. Best effort: a
# service that does not exist or is already stopped is fine.
stop_services() {
    local svc manager
    manager=$(service_manager)
    for svc in "${SERVICES[@]}"; do
        case "$manager" in
            systemd)
                if systemctl cat "$svc.service" >/dev/null 2>&1; then
                    if systemctl is-active --quiet "$svc" || systemctl is-enabled --quiet "$svc" 2>/dev/null; then
                        log "stopping and disabling $svc"
                        systemctl disable --now "$svc" >/dev/null 2>&1 || true
                    fi
                fi
                ;;
            sysv)
                if [[ -x "/etc/init.d/$svc" ]]; then
                    if service "$svc" status >/dev/null 2>&1; then
                        log "stopping $svc"
                        service "$svc" stop >/dev/null 2>&1 || true
                    fi
                    if command -v update-rc.d >/dev/null 2>&1; then
                        update-rc.d "$svc" disable >/dev/null 2>&1 || true
                    fi
                fi
                ;;
        esac
    done
}

check_commands() {
    local cmd absent=()
    for cmd in "${COMMANDS[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || [[ -x "/usr/sbin/$cmd" ]] || absent+=("$cmd")
    done
    if ((${#absent[@]})); then
        log "installed, but these commands are still not found: ${absent[*]}"
        return 1
    fi
}

# Installs the PyPI packages whose modules python3 cannot import; fails with the command when it cannot.
ensure_python_modules() {
    local entry module package missing=()
    for entry in "${PYTHON_MODULES[@]}"; do
        module=${entry%%:*} package=${entry#*:}
        python3 -c "import $module" 2>/dev/null || missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing Python packages: ${missing[*]}"
    # A Debian python3 is "externally managed" (PEP 668) and refuses pip; it has the modules from the
    # python3-dnspython and python3-aiosmtpd packages above, so this only runs for another python3
    # (pyenv), where pip installs into that interpreter's own site-packages.
    local flags=(--quiet --disable-pip-version-check)
    if python3 -c 'import sys, sysconfig, os; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
        flags+=(--break-system-packages --user)
    fi
    if ! python3 -m pip install "${flags[@]}" "${missing[@]}"; then
        log "could not install ${missing[*]}; run: python3 -m pip install ${missing[*]}"
        [[ "${COUNTERSIGN_ALLOW_MISSING_TOOLS:-}" == 1 ]] || return 1
    fi
}

mapfile -t MISSING < <(missing_packages)

if ((${#MISSING[@]} == 0)); then
    log "all ${#PACKAGES[@]} packages present"
    if [[ $(id -u) -eq 0 ]]; then
        stop_services
    fi
    ensure_python_modules
    exit 0
fi

INSTALL_CMD="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${MISSING[*]}"

if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages: ${MISSING[*]}"
    log "run as root:"
    printf '  sudo sh -c '\''%s'\''\n' "$INSTALL_CMD" >&2
    if [[ "${COUNTERSIGN_ALLOW_MISSING_TOOLS:-}" == 1 ]]; then
        log "COUNTERSIGN_ALLOW_MISSING_TOOLS=1: continuing; tests that need these tools will skip"
        exit 0
    fi
    exit 1
fi

log "installing: ${MISSING[*]}"

# Keep package scripts from starting daemons while installing (invoke-rc.d and deb-systemd-invoke both
# honour policy-rc.d exit code 101). Only a file we created is removed again.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\n# temporary, from countersign scripts/install-test-deps.sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    CREATED_POLICY=1
fi
cleanup() { if ((CREATED_POLICY)); then rm -f "$POLICY"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${MISSING[@]}"

cleanup
CREATED_POLICY=0
stop_services

mapfile -t STILL < <(missing_packages)
if ((${#STILL[@]})); then
    log "still missing after install: ${STILL[*]}"
    exit 1
fi
check_commands
ensure_python_modules
log "done"
