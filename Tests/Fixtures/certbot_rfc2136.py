#!/usr/bin/env python3
"""Drives certbot-dns-rfc2136's own authenticator against a DNS server, with no ACME server.

    certbot_rfc2136.py perform STATE_DIR SERVER PORT KEY_NAME SECRET DOMAIN
    certbot_rfc2136.py cleanup STATE_DIR SERVER PORT KEY_NAME SECRET DOMAIN

`perform` builds a real dns-01 challenge (a fresh account key and token, kept in STATE_DIR so `cleanup`
can rebuild the same challenge) and calls the plugin's Authenticator.perform, which finds the zone by
its SOA and adds the `_acme-challenge` TXT record with an RFC 2136 update over TCP, TSIG-signed with
HMAC-SHA256. `cleanup` calls Authenticator.cleanup, which deletes that record. Both print one JSON line
{"validation_name": ..., "validation": ...}; a plugin error exits 1 with the plugin's message.
"""
import json
import os
import sys
import types

import josepy as jose
from acme import challenges, messages
from certbot import achallenges, errors
from certbot.display import util as display_util
from certbot_dns_rfc2136._internal.dns_rfc2136 import Authenticator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def main():
    mode, state, server, port, key_name, secret, domain = sys.argv[1:8]
    key_file = os.path.join(state, "account.pem")
    token_file = os.path.join(state, "token")
    if mode == "perform":
        private = ec.generate_private_key(ec.SECP256R1())
        with open(key_file, "wb") as out:
            out.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        token = os.urandom(32)
        with open(token_file, "wb") as out:
            out.write(token)
    else:
        with open(key_file, "rb") as source:
            private = serialization.load_pem_private_key(source.read(), password=None)
        with open(token_file, "rb") as source:
            token = source.read()

    credentials = os.path.join(state, "rfc2136.ini")
    with open(credentials, "w") as out:
        out.write(f"dns_rfc2136_server = {server}\ndns_rfc2136_port = {port}\n"
                  f"dns_rfc2136_name = {key_name}\ndns_rfc2136_secret = {secret}\n"
                  "dns_rfc2136_algorithm = HMAC-SHA256\n")
    os.chmod(credentials, 0o600)

    # certbot's plugin prints "Waiting N seconds" through the display certbot's CLI sets up.
    display_util.notify = lambda message: print(message, file=sys.stderr)
    config = types.SimpleNamespace(dns_rfc2136_credentials=credentials, dns_rfc2136_propagation_seconds=0)
    auth = Authenticator(config, "dns-rfc2136")
    achall = achallenges.KeyAuthorizationAnnotatedChallenge(
        challb=messages.ChallengeBody(chall=challenges.DNS01(token=token), uri="https://acme.invalid/chall/1",
                                      status=messages.STATUS_PENDING),
        identifier=messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=domain),
        account_key=jose.JWKEC(key=private))
    try:
        if mode == "perform":
            auth.perform([achall])
        else:
            auth._setup_credentials()
            auth._attempt_cleanup = True
            auth.cleanup([achall])
    except errors.PluginError as error:
        print(f"plugin error: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"validation_name": achall.validation_domain_name(domain),
                      "validation": achall.validation(achall.account_key)}))


if __name__ == "__main__":
    main()
