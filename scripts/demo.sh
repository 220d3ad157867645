#!/usr/bin/env bash
# The README's first command (`make demo`). Today: the zone-file round trip of DNSCore on the seed's zone —
# parse the example zone (apex ALIAS, *.sites.infr wildcard ALIAS), check it, print it in canonical order,
# and have BIND's and Knot's checkers (named-checkzone, kzonecheck) accept what we printed. Later issues
# replace this with both daemons on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

ZONE=deploy/search.usa.gov.zone
ORIGIN=search.usa.gov.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== building"
swift build --product dns-primary 2>&1 | tail -n 1
bin=$(swift build --show-bin-path)/dns-primary

echo
echo "== checking $ZONE"
"$bin" zonefile check --origin "$ORIGIN" "$ZONE"

echo
echo "== the zone in canonical order (ALIAS in RFC 3597 form so other servers can read it)"
"$bin" zonefile format --portable --origin "$ORIGIN" "$ZONE" | tee "$scratch/zone.db"

echo
echo "== judges nobody here wrote"
if command -v named-checkzone >/dev/null; then
    named-checkzone -k fail -i full "$ORIGIN" "$scratch/zone.db"
else
    echo "named-checkzone not installed (scripts/install-test-deps.sh installs it)"
fi
if command -v kzonecheck >/dev/null; then
    kzonecheck -o "$ORIGIN" "$scratch/zone.db" && echo "kzonecheck: OK"
else
    echo "kzonecheck not installed (scripts/install-test-deps.sh installs it)"
fi

echo
echo "== a broken zone is refused with file:line:column"
printf '$ORIGIN %s\n@ 300 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n@ 300 IN NS ns1\n@ 60 IN ALIAS lb.example.net.\n@ 60 IN CNAME other.example.net.\n' "$ORIGIN" > "$scratch/broken.db"
"$bin" zonefile check --origin "$ORIGIN" "$scratch/broken.db" || echo "(exit status $?: refused, as it should be)"
