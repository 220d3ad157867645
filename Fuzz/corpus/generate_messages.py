#!/usr/bin/env python3
"""Writes the seed corpus for the MessageDecoder fuzz target: real DNS messages in wire format, made by
dnspython (an encoder nobody here wrote), so the fuzzer starts from well-formed queries and responses with
name compression, EDNS options, TSIG and most record types.

Deterministic (fixed IDs, no clock: the TSIG time is fixed). Rerun after changing it:
    python3 Fuzz/corpus/generate_messages.py Fuzz/corpus/message
"""
import os
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "message")


def write(name, wire):
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(wire)


def query(qname, qtype, msg_id, **kwargs):
    q = dns.message.make_query(qname, qtype, **kwargs)
    q.id = msg_id
    return q


def response_to(q, answers=(), authority=(), additional=(), rcode=dns.rcode.NOERROR, aa=True):
    r = dns.message.make_response(q)
    if aa:
        r.flags |= dns.flags.AA
    r.set_rcode(rcode)
    for text in answers:
        r.answer.append(dns.rrset.from_text(*text))
    for text in authority:
        r.authority.append(dns.rrset.from_text(*text))
    for text in additional:
        r.additional.append(dns.rrset.from_text(*text))
    return r


def main():
    os.makedirs(OUT, exist_ok=True)

    # Queries.
    write("query-a-edns-do", query("www.example.com.", "A", 0x1234, want_dnssec=True, use_edns=0, payload=1232).to_wire())
    write("query-aaaa-plain", query("host.example.", "AAAA", 0x0001, use_edns=False).to_wire())
    write("query-mx-rd", query("example.org.", "MX", 0xBEEF, use_edns=False, flags=dns.flags.RD).to_wire())
    write("query-axfr", query("example.", "AXFR", 0x4242, use_edns=False).to_wire())
    cookie = dns.edns.GenericOption(dns.edns.OptionType.COOKIE, bytes(range(8)))
    ecs = dns.edns.ECSOption("192.0.2.0", 24)
    write("query-edns-options", query("a.b.c.example.", "TXT", 7, use_edns=0, options=[cookie, ecs]).to_wire())
    write("query-unknown-type", query("x.example.", 65280, 9, use_edns=False).to_wire())

    # A typical answer: 6 records sharing suffixes, so the encoder compresses heavily.
    q = query("www.example.com.", "A", 0x2222, use_edns=0, payload=1232)
    r = response_to(
        q,
        answers=[("www.example.com.", 300, "IN", "CNAME", "web.example.com."),
                 ("web.example.com.", 300, "IN", "A", "192.0.2.10", "192.0.2.11")],
        authority=[("example.com.", 3600, "IN", "NS", "ns1.example.com.", "ns2.example.com.")],
        additional=[("ns1.example.com.", 3600, "IN", "A", "192.0.2.53"),
                    ("ns2.example.com.", 3600, "IN", "AAAA", "2001:db8::53")])
    write("response-compressed", r.to_wire())

    # NXDOMAIN with the SOA in the authority section.
    q = query("missing.example.", "A", 0x3333, use_edns=0)
    r = response_to(q, rcode=dns.rcode.NXDOMAIN, authority=[
        ("example.", 3600, "IN", "SOA", "ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 3600")])
    write("response-nxdomain", r.to_wire())

    # Many record types in one answer (RDATA decoders, names inside RDATA).
    q = query("t.example.", "ANY", 0x4444, use_edns=0, want_dnssec=True)
    records = [
        ("t.example.", 60, "IN", "MX", "10 mail.example."),
        ("t.example.", 60, "IN", "TXT", '"v=spf1 -all" "second \\"quoted\\" string"'),
        ("t.example.", 60, "IN", "SPF", '"v=spf1 -all"'),
        ("_sip._tcp.t.example.", 60, "IN", "SRV", "10 60 5060 sip.example."),
        ("t.example.", 60, "IN", "CAA", '0 issue "ca.example.net"'),
        ("t.example.", 60, "IN", "NAPTR", '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'),
        ("t.example.", 60, "IN", "SSHFP", "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789"),
        ("_443._tcp.t.example.", 60, "IN", "TLSA", "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
        ("t.example.", 60, "IN", "DS", "60485 13 2 d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a"),
        ("t.example.", 60, "IN", "DNSKEY",
         "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
        ("t.example.", 60, "IN", "RRSIG",
         "A 13 2 60 20250101000000 20240101000000 60485 example. "
         "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMQ=="),
        ("t.example.", 60, "IN", "NSEC", "u.example. A MX TXT RRSIG NSEC"),
        ("t.example.", 60, "IN", "NSEC3", "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"),
        ("t.example.", 60, "IN", "NSEC3PARAM", "1 0 0 -"),
        ("t.example.", 60, "IN", "SVCB", '1 svc.example. alpn="h2,h3" port=8443 ipv4hint=192.0.2.1'),
        ("t.example.", 60, "IN", "HTTPS", "1 . alpn=h3 no-default-alpn ipv6hint=2001:db8::1 mandatory=alpn"),
        ("t.example.", 60, "IN", "PTR", "ptr.example."),
        ("t.example.", 60, "IN", "DNAME", "elsewhere.example."),
        ("t.example.", 60, "IN", "TYPE65401", "\\# 14 0474617267076578616d706c6500"),  # ALIAS targ.example.
        ("t.example.", 60, "IN", "TYPE12345", "\\# 4 0a000001"),
    ]
    r = response_to(q, answers=records)
    write("response-many-types", r.to_wire())

    # Truncated UDP answer (TC set, empty answer).
    q = query("big.example.", "TXT", 0x5555, use_edns=False)
    r = response_to(q)
    r.flags |= dns.flags.TC
    write("response-truncated", r.to_wire())

    # Extended RCODE through EDNS (BADVERS = 16).
    q = query("example.", "SOA", 0x6666, use_edns=0)
    r = dns.message.make_response(q)
    r.set_rcode(dns.rcode.BADVERS)
    write("response-badvers", r.to_wire())

    # TSIG-signed query (fixed key; the signing time is pinned by the clock stub in __main__).
    keyring = dns.tsigkeyring.from_text({"tsig-key.": ("hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")})
    q = query("example.", "SOA", 0x7777, use_edns=False)
    q.use_tsig(keyring, keyname="tsig-key.", fudge=300)
    write("query-tsig", q.to_wire())

    # AXFR response stream message: SOA ... records ... SOA.
    q = query("example.", "AXFR", 0x8888, use_edns=False)
    soa = ("example.", 3600, "IN", "SOA", "ns1.example. hostmaster.example. 1 7200 3600 1209600 3600")
    r = response_to(q, answers=[
        soa,
        ("example.", 3600, "IN", "NS", "ns1.example."),
        ("ns1.example.", 3600, "IN", "A", "192.0.2.1"),
        ("*.wild.example.", 3600, "IN", "TXT", '"wildcard"'),
        ("sub.example.", 3600, "IN", "NS", "ns.sub.example."),
        ("ns.sub.example.", 3600, "IN", "A", "192.0.2.2"),
    ])
    r.answer.append(dns.rrset.from_text(*soa))
    write("response-axfr", r.to_wire())


if __name__ == "__main__":
    import time

    time.time = lambda: 1700000000.0  # dnspython reads the clock for the TSIG time; keep the bytes stable
    main()
