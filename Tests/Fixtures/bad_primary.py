#!/usr/bin/env python3
"""A scripted, deliberately misbehaving AXFR primary for the AXFR client's tests (Python 3 + dnspython).

It serves one generated zone over TCP on 127.0.0.1, answering SOA queries normally (unless told to stay
silent) and breaking the AXFR stream the way --mode says:

  good             a correct transfer, several messages
  sparse-tsig      correct, but TSIG only on the first, every 4th and the last message (RFC 8945 allows it)
  big              a correct transfer of --records plus 3000 extra records (for the client's record limit)
  cut              two messages, then the connection is closed mid-stream
  mismatched-soa   the closing SOA has another serial
  soa-middle       a different SOA in the middle of the second message
  soa-middle-same  the opening SOA again in the middle of the second message, more records after it
  wrong-id         the second message carries another ID
  servfail         the AXFR is answered with SERVFAIL
  tc               the first AXFR message has the TC bit
  out-of-zone      the second message holds a record of another zone
  bad-mac          the second message's TSIG MAC has one byte flipped (needs --tsig)
  unsigned-tail    only the first message is signed; the rest, the last included, are not (needs --tsig)
  trickle          the first AXFR message is sent one byte every --trickle-delay seconds
  silent           accepts connections, reads queries, never answers
  silent-axfr      answers the SOA query, never the AXFR

With --tsig, queries must be signed with that key and responses are signed (dnspython's own TSIG code,
an implementation independent of ours). The process exits by itself after --lifetime seconds; the test
also stops it by PID. --ready-file receives the port once the socket listens (use --port 0 to let the
kernel pick one). --zone-file-out receives the zone as served, in master file format, for comparison.
"""

import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring

MODES = [
    "good", "sparse-tsig", "big", "cut", "mismatched-soa", "soa-middle", "soa-middle-same", "wrong-id",
    "servfail", "tc", "out-of-zone", "bad-mac", "unsigned-tail", "trickle", "silent", "silent-axfr",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--zone", default="example.test.")
    parser.add_argument("--records", type=int, default=120, help="A records besides SOA, NS and glue")
    parser.add_argument("--per-message", type=int, default=25, help="records per AXFR message")
    parser.add_argument("--tsig", help="[algorithm:]name:base64secret, as dig -y takes it")
    parser.add_argument("--lifetime", type=float, default=30.0, help="seconds before the process exits")
    parser.add_argument("--trickle-delay", type=float, default=0.25)
    parser.add_argument("--ready-file")
    parser.add_argument("--zone-file-out")
    return parser.parse_args()


def build_zone(origin, count):
    """The zone as (name, ttl, type, text) tuples, SOA first."""
    records = [
        (origin, 3600, "SOA", f"ns1.{origin} hostmaster.{origin} 2024010101 3600 900 1209600 300"),
        (origin, 3600, "NS", f"ns1.{origin}"),
        (origin, 3600, "MX", f"10 mail.{origin}"),
        (origin, 300, "TXT", '"v=spf1 -all"'),
        (f"ns1.{origin}", 3600, "A", "192.0.2.53"),
        (f"mail.{origin}", 300, "AAAA", "2001:db8::25"),
        (f"www.{origin}", 300, "CNAME", f"host0.{origin}"),
        (f"pool.{origin}", 60, "A", "192.0.2.10"),
        (f"pool.{origin}", 60, "A", "192.0.2.11"),
        (f"pool.{origin}", 60, "A", "192.0.2.12"),
    ]
    for i in range(count):
        records.append((f"host{i}.{origin}", 300, "A", f"198.51.{(i // 250) % 256}.{i % 250 + 1}"))
    return records


def to_rrset(record):
    name, ttl, rtype, text = record
    return dns.rrset.from_text(name, ttl, "IN", rtype, text)


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


class Primary:
    def __init__(self, args):
        self.args = args
        self.origin = dns.name.from_text(args.zone).to_text()
        count = args.records + (3000 if args.mode == "big" else 0)
        self.records = build_zone(self.origin, count)
        self.keyring = None
        if args.tsig:
            parts = args.tsig.split(":")
            algorithm, name, secret = parts if len(parts) == 3 else ("hmac-sha256", parts[0], parts[1])
            self.keyring = {dns.name.from_text(name): dns.tsig.Key(name, secret, algorithm)}

    def serve(self, conn):
        conn.settimeout(self.args.lifetime)
        try:
            while True:
                header = read_exact(conn, 2)
                if header is None:
                    return
                wire = read_exact(conn, struct.unpack("!H", header)[0])
                if wire is None:
                    return
                query = dns.message.from_wire(wire, keyring=self.keyring)
                if self.keyring and not query.had_tsig:
                    refused = dns.message.make_response(query)
                    refused.set_rcode(dns.rcode.REFUSED)
                    send_frame(conn, refused.to_wire())
                    continue
                if self.args.mode == "silent":
                    continue
                qtype = query.question[0].rdtype
                if qtype == dns.rdatatype.SOA:
                    response = dns.message.make_response(query)
                    response.flags |= dns.flags.AA
                    response.answer.append(to_rrset(self.records[0]))
                    send_frame(conn, response.to_wire())
                elif qtype == dns.rdatatype.AXFR:
                    if self.args.mode == "silent-axfr":
                        continue
                    self.transfer(conn, query)
                    if self.args.mode == "cut":
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                else:
                    response = dns.message.make_response(query)
                    response.set_rcode(dns.rcode.NOTIMP)
                    send_frame(conn, response.to_wire())
        except (OSError, dns.exception.DNSException) as error:
            print(f"bad_primary: connection ended: {error}", file=sys.stderr)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def chunks(self):
        """The answer sections of the AXFR messages, after the mode's damage."""
        mode = self.args.mode
        stream = [to_rrset(r) for r in self.records]
        soa = stream[0]
        closing = soa
        if mode == "mismatched-soa":
            closing = to_rrset((self.origin, 3600, "SOA",
                                f"ns1.{self.origin} hostmaster.{self.origin} 2024010102 3600 900 1209600 300"))
        stream.append(closing)
        per = self.args.per_message
        chunks = [stream[i:i + per] for i in range(0, len(stream), per)]
        if mode == "soa-middle":
            chunks[1].insert(per // 2, to_rrset((self.origin, 3600, "SOA",
                                                 f"ns1.{self.origin} hostmaster.{self.origin} 2024010199 3600 900 1209600 300")))
        elif mode == "soa-middle-same":
            chunks[1].insert(per // 2, soa)
        elif mode == "out-of-zone":
            chunks[1].insert(3, to_rrset(("www.elsewhere.test.", 300, "A", "203.0.113.7")))
        if mode == "cut":
            chunks = chunks[:2]
        return chunks

    def transfer(self, conn, query):
        mode = self.args.mode
        chunks = self.chunks()
        ctx = None
        for index, answers in enumerate(chunks):
            last = index == len(chunks) - 1 and mode != "cut"
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if index > 0:
                response.question = []
            if mode == "servfail":
                response.set_rcode(dns.rcode.SERVFAIL)
                answers = []
            if mode == "tc" and index == 0:
                response.flags |= dns.flags.TC
            if mode == "wrong-id" and index == 1:
                response.id = query.id ^ 0x5555
            response.answer = list(answers)

            signed = self.keyring is not None
            if signed and index > 0:
                if mode == "unsigned-tail":
                    signed = False
                elif mode == "sparse-tsig":
                    signed = last or index % 4 == 0
            if signed:
                wire = response.to_wire(multi=True, tsig_ctx=ctx)
                ctx = response.tsig_ctx
            else:
                response.keyring = None
                response.tsig = None
                wire = response.to_wire()
                if ctx is not None:
                    ctx.update(wire)
            if mode == "bad-mac" and index == 1:
                # The MAC ends 6 bytes before the end (Original ID, Error, Other Len follow it).
                wire = wire[:-7] + bytes([wire[-7] ^ 0xFF]) + wire[-6:]
            if mode == "trickle" and index == 0:
                framed = struct.pack("!H", len(wire)) + wire
                for i in range(len(framed)):
                    conn.sendall(framed[i:i + 1])
                    time.sleep(self.args.trickle_delay)
            else:
                send_frame(conn, wire)
            if mode == "servfail":
                return

    def write_zone_file(self, path):
        with open(path, "w") as out:
            out.write(f"$ORIGIN {self.origin}\n")
            for name, ttl, rtype, text in self.records:
                out.write(f"{name} {ttl} IN {rtype} {text}\n")


def main():
    # A parent's worker thread may have signals blocked, and exec keeps the mask: unblock SIGTERM and
    # SIGINT so the test can stop this process by PID, and exit at once on them.
    blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    if signal.SIGTERM in blocked:
        print("bad_primary: SIGTERM was blocked by the parent; unblocked", file=sys.stderr)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    args = parse_args()
    if args.mode in ("bad-mac", "unsigned-tail", "sparse-tsig") and not args.tsig:
        sys.exit(f"--mode {args.mode} needs --tsig")
    primary = Primary(args)
    if args.zone_file_out:
        primary.write_zone_file(args.zone_file_out)

    # Bounded lifetime: whatever the test does, this process goes away by itself.
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    port = listener.getsockname()[1]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as out:
            out.write(f"{port}\n")
        os.rename(tmp, args.ready_file)
    print(f"bad_primary: mode {args.mode} listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=primary.serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
