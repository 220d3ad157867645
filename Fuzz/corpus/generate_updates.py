#!/usr/bin/env python3
"""Writes seed UPDATE messages (RFC 2136) for the UpdateDecoder fuzz target, made by dnspython as
nsupdate-like clients make them: prerequisites of every kind, adds, the three deletes, an ALIAS in RFC 3597
form, EDNS, TSIG.   python3 Fuzz/corpus/generate_updates.py Fuzz/corpus/update"""
import os
import sys

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsigkeyring
import dns.update

out = sys.argv[1]
keyring = dns.tsigkeyring.from_text({"upd.": "dXBkYXRlLWtleS1zZWNyZXQtZm9yLXRoZS10ZXN0cw=="})


def write(name, update):
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(update.to_wire())


u = dns.update.UpdateMessage("example.com.")
u.add("www", 300, "A", "192.0.2.1")
u.add("www", 300, "TXT", '"hello world"')
write("add", u)

u = dns.update.UpdateMessage("example.com.")
u.present("www", "A")
u.absent("new")
u.present("www")
u.absent("www", "AAAA")
u.present("www", dns.rdata.from_text("IN", "A", "192.0.2.1"))
u.replace("www", 60, "A", "192.0.2.9")
u.delete("old")
u.delete("www", "TXT")
u.delete("www", "A", "192.0.2.1")
write("prerequisites-and-deletes", u)

u = dns.update.UpdateMessage("example.com.", keyring=keyring, keyalgorithm="hmac-sha256.")
u.add("@", 60, dns.rdata.from_text("IN", 65401, r"\# 16 026c62076578616d706c65036e657400"))
u.use_edns(0, payload=1232)
write("alias-signed-edns", u)
