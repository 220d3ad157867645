#!/usr/bin/env python3
"""A hidden primary whose zone the test rewrites between steps (Python 3 + dnspython), for the signer's
guard tests (Tests/CLITests/SignerGuardTests.swift) and IXFR tests (Tests/CLITests/SignerIXFRTests.swift).

It answers SOA queries and AXFR over TCP on 127.0.0.1, the way a primary does for `dns-signer`'s
client (an SOA query, then the AXFR, on one connection), and SOA queries over UDP on the same port (a
signer polling by serial asks the SOA over UDP first; anything else over UDP gets REFUSED at once, so
a `version.bind` probe does not wait for a timeout). Every query re-reads --scenario, a JSON file
the test replaces atomically (write + rename) between steps:

  {
    "name": "missing-apex-ns",              label written to --served-file for each AXFR asked for
    "records": [[owner, ttl, type, rdata]], the zone, SOA first; any type dnspython parses, including
                                            RFC 3597 generic ones ("TYPE65401", "\\# 4 c0000201")
    "soaMiddle": "SOA rdata",               optional: a different SOA is put in the middle of the stream,
                                            with more records after it (a stream spliced from two versions)
    "perMessage": 100,                      optional: records per AXFR message
    "soa": "SOA rdata",                     optional: the SOA answered to SOA queries instead of the zone's
                                            (a primary whose IXFR is ahead of its AXFR)
    "ixfr": {                               optional: how IXFR is answered (without it: NOTIMP, a primary
                                            that has no IXFR)
      "stream": [[owner, ttl, type, rdata]], the whole answer as sent, first SOA to last: the test writes
                                            good and broken chains alike (RFC 1995 §4)
      "cutAfter": 5,                        optional: close the connection after this many records
      "rcode": "REFUSED"                    optional: answer with this RCODE instead
    }
  }

Each record goes out as its own RRset entry, so an RRset of thousands of records is split across
messages as real primaries do. The served file gets one line per AXFR query ("name"), so a test can
wait for "the signer has polled this version N times" instead of sleeping; an IXFR query writes
"ixfr:" and the name. The process exits by
itself after --lifetime seconds; the test stops it by PID before that.
"""

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--scenario", required=True, help="JSON file re-read on every query")
    parser.add_argument("--served-file", help="one line per AXFR query: the scenario's name")
    parser.add_argument("--ready-file", help="receives the port once the socket listens")
    parser.add_argument("--lifetime", type=float, default=120.0, help="seconds before the process exits")
    return parser.parse_args()


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def send_frame(conn, wire):
    conn.sendall(struct.pack("!H", len(wire)) + wire)


def to_rrset(record):
    owner, ttl, rtype, text = record
    return dns.rrset.from_text(owner, int(ttl), "IN", rtype, text)


def soa_rrset(scenario):
    owner, ttl, _, text = scenario["records"][0]
    return to_rrset((owner, ttl, "SOA", scenario.get("soa") or text))


class Primary:
    def __init__(self, args):
        self.args = args
        self.served_lock = threading.Lock()

    def scenario(self):
        with open(self.args.scenario) as source:
            return json.load(source)

    def serve(self, conn):
        conn.settimeout(30)
        try:
            while True:
                header = read_exact(conn, 2)
                if header is None:
                    return
                wire = read_exact(conn, struct.unpack("!H", header)[0])
                if wire is None:
                    return
                query = dns.message.from_wire(wire)
                scenario = self.scenario()
                qtype = query.question[0].rdtype
                if qtype == dns.rdatatype.SOA:
                    response = dns.message.make_response(query)
                    response.flags |= dns.flags.AA
                    response.answer.append(soa_rrset(scenario))
                    send_frame(conn, response.to_wire())
                elif qtype == dns.rdatatype.AXFR:
                    self.transfer(conn, query, scenario)
                elif qtype == dns.rdatatype.IXFR and scenario.get("ixfr"):
                    if not self.incremental(conn, query, scenario):
                        return
                else:
                    response = dns.message.make_response(query)
                    response.set_rcode(dns.rcode.NOTIMP)
                    send_frame(conn, response.to_wire())
        except (OSError, ValueError, dns.exception.DNSException) as error:
            print(f"scripted_primary: connection ended: {error}", file=sys.stderr, flush=True)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def serve_udp(self, sock):
        while True:
            try:
                wire, peer = sock.recvfrom(65535)
                query = dns.message.from_wire(wire)
                response = dns.message.make_response(query)
                if query.question and query.question[0].rdtype == dns.rdatatype.SOA:
                    response.flags |= dns.flags.AA
                    response.answer.append(soa_rrset(self.scenario()))
                else:
                    response.set_rcode(dns.rcode.REFUSED)
                sock.sendto(response.to_wire(), peer)
            except (OSError, ValueError, KeyError, dns.exception.DNSException) as error:
                print(f"scripted_primary: UDP query ignored: {error}", file=sys.stderr, flush=True)

    def incremental(self, conn, query, scenario):
        """Sends the scenario's IXFR answer; False when the connection was cut on purpose."""
        script = scenario["ixfr"]
        if self.args.served_file:
            with self.served_lock, open(self.args.served_file, "a") as out:
                out.write("ixfr:" + scenario.get("name", "?") + "\n")
        if script.get("rcode"):
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.from_text(script["rcode"]))
            send_frame(conn, response.to_wire())
            return True
        stream = [to_rrset(record) for record in script["stream"]]
        cut = script.get("cutAfter")
        if cut is not None:
            stream = stream[:int(cut)]
        per = int(script.get("perMessage", 100))
        for index in range(0, len(stream), per):
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            response.authority = []
            if index > 0:
                response.question = []
            response.answer = stream[index:index + per]
            send_frame(conn, response.to_wire())
        print(f"scripted_primary: IXFR {scenario.get('name', '?')} ({len(stream)} records)", file=sys.stderr, flush=True)
        if cut is not None:
            conn.close()
            return False
        return True

    def transfer(self, conn, query, scenario):
        # Counted when asked, before any byte goes out: a client that hangs up on a broken stream
        # still counts as a poll.
        if self.args.served_file:
            with self.served_lock, open(self.args.served_file, "a") as out:
                out.write(scenario.get("name", "?") + "\n")
        stream = [to_rrset(record) for record in scenario["records"]]
        soa = stream[0]
        if scenario.get("soaMiddle"):
            spliced = to_rrset((soa.name.to_text(), soa.ttl, "SOA", scenario["soaMiddle"]))
            stream.insert(max(1, len(stream) // 2), spliced)
        stream.append(soa)
        per = int(scenario.get("perMessage", 100))
        for index in range(0, len(stream), per):
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if index > 0:
                response.question = []
            response.answer = stream[index:index + per]
            send_frame(conn, response.to_wire())
        print(f"scripted_primary: served {scenario.get('name', '?')} ({len(stream)} records)",
              file=sys.stderr, flush=True)


def main():
    # A parent's worker thread may have signals blocked, and exec keeps the mask: unblock SIGTERM and
    # SIGINT so the test can stop this process by PID.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    args = parse_args()
    primary = Primary(args)
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    port = listener.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", port))
        threading.Thread(target=primary.serve_udp, args=(udp,), daemon=True).start()
    except OSError as error:
        # Without UDP a signer polling by serial falls back to transferring (after its SOA query times out).
        print(f"scripted_primary: no UDP on port {port}: {error}", file=sys.stderr, flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as out:
            out.write(f"{port}\n")
        os.rename(tmp, args.ready_file)
    print(f"scripted_primary: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=primary.serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
