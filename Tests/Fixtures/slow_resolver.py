#!/usr/bin/env python3
"""A recursive resolver as `dns-primary` sees one across a network: every answer comes --delay-ms after
the query (Python 3 + dnspython). Used by Tests/CLITests/PrimaryAliasScaleTests.swift and by
bench/primary.sh's "upstream with latency" variant.

It answers UDP on 127.0.0.1 (RA set, as a recursor), for any zone:
  tNNNN.<anything>  A 198.18.(N div 250).(N mod 250 + 1) and AAAA 2001:db8:ffff::(N+1 in hex), TTL --ttl
                    (the addresses bench/primary.sh gives its targets in NSD, so both upstreams agree)
  a name listed in --fail-file (one per line; the file is re-read when it changes): SERVFAIL
  anything else: NXDOMAIN
  stats.slow-resolver. TXT (at once, not counted): "max-in-flight=M total=T in-flight=I"

In flight: queries received and not answered yet. Its maximum over the run is what a test compares
with the client's configured concurrency: a client that never has more than N queries outstanding can
never make it exceed N, since a query is answered (and so leaves) before the client hears of it.
Malformed datagrams are dropped and counted in the log. The process exits by itself after --lifetime
seconds; the test stops it by PID before that.
"""

import argparse
import asyncio
import ipaddress
import os
import re
import sys

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TARGET = re.compile(r"^t(\d{1,6})\.")
STATS = "stats.slow-resolver."


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="UDP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="milliseconds before each answer")
    parser.add_argument("--ttl", type=int, default=3600, help="TTL of the answers")
    parser.add_argument("--fail-file", help="names answered SERVFAIL, one per line, re-read when it changes")
    parser.add_argument("--ready-file", help="receives the port once the socket listens")
    parser.add_argument("--lifetime", type=float, default=600.0, help="seconds before the process exits")
    return parser.parse_args()


def addresses(number):
    v4 = "198.18.%d.%d" % (number // 250, number % 250 + 1)
    v6 = str(ipaddress.IPv6Address("2001:db8:ffff::%x" % (number + 1)))
    return v4, v6


class Resolver(asyncio.DatagramProtocol):
    def __init__(self, args):
        self.args = args
        self.in_flight = 0
        self.max_in_flight = 0
        self.total = 0
        self.dropped = 0
        self.failing = set()
        self.fail_stamp = None
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def failing_names(self):
        path = self.args.fail_file
        if not path:
            return self.failing
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            stamp = None
        if stamp != self.fail_stamp:
            self.fail_stamp = stamp
            try:
                with open(path) as f:
                    self.failing = {line.strip().lower().rstrip(".") + "." for line in f if line.strip()}
            except OSError:
                self.failing = set()
        return self.failing

    def answer(self, query):
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        question = query.question[0]
        name = question.name.to_text().lower()
        if name in self.failing_names():
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        match = TARGET.match(name)
        if not match:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        v4, v6 = addresses(int(match.group(1)))
        if question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(question.name, self.args.ttl, "IN", "A", v4))
        elif question.rdtype == dns.rdatatype.AAAA:
            response.answer.append(dns.rrset.from_text(question.name, self.args.ttl, "IN", "AAAA", v6))
        return response

    def datagram_received(self, data, addr):
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            self.dropped += 1
            print("dropped a malformed datagram from %s (%d so far)" % (addr, self.dropped), flush=True)
            return
        if len(query.question) != 1 or query.flags & dns.flags.QR:
            self.dropped += 1
            return
        question = query.question[0]
        if question.name.to_text().lower() == STATS and question.rdtype == dns.rdatatype.TXT:
            response = dns.message.make_response(query)
            text = '"max-in-flight=%d total=%d in-flight=%d"' % (self.max_in_flight, self.total, self.in_flight)
            response.answer.append(dns.rrset.from_text(question.name, 0, "IN", "TXT", text))
            self.transport.sendto(response.to_wire(), addr)
            return
        self.total += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        response = self.answer(query)
        asyncio.get_running_loop().call_later(self.args.delay_ms / 1000.0, self.send, response, addr)

    def send(self, response, addr):
        self.in_flight -= 1
        self.transport.sendto(response.to_wire(), addr)


async def main():
    args = parse_args()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: Resolver(args), local_addr=("127.0.0.1", args.port))
    port = transport.get_extra_info("sockname")[1]
    print("slow resolver on 127.0.0.1:%d, %.1f ms per answer" % (port, args.delay_ms), flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.ready_file)
    await asyncio.sleep(args.lifetime)
    transport.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
