# Sourced by scripts/demo.sh and deploy/two-hosts.sh (not run on its own).
#
# write_load_balancer DIR PORT SERIAL IPV4 IPV6: writes DIR/ec2.zone — the zone of the seed's load balancer,
# usasearch-elb.ec2.aws.com., the target of search.usa.gov.'s ALIAS records — and DIR/nsd.conf, an NSD on
# 127.0.0.1:PORT serving it, every file under DIR. Starting (and stopping) NSD is the caller's business.
write_load_balancer() {
    local dir=$1 port=$2 serial=$3 ipv4=$4 ipv6=$5
    cat >"$dir/ec2.zone" <<ZONE
\$ORIGIN ec2.aws.com.
\$TTL 30
@ SOA ns hostmaster $serial 3600 600 86400 30
@ NS ns
ns A 127.0.0.1
usasearch-elb 30 A $ipv4
usasearch-elb 30 AAAA $ipv6
ZONE
    cat >"$dir/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1
    port: $port
    zonesdir: "$dir"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    database: ""
    zonelistfile: "$dir/zone.list"
    username: ""
    chroot: ""
    server-count: 1
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "ec2.aws.com"
    zonefile: "ec2.zone"
CONF
}
