#!/usr/bin/env python3
"""A Standard Webhooks receiver for the notification tests (Python 3, standard library only).

It verifies every POST the way the Standard Webhooks spec tells receivers to -- webhook-id,
webhook-timestamp and webhook-signature headers; HMAC-SHA256 over "id.timestamp.body" keyed with the
base64 key after "whsec_" (or the secret's own UTF-8 bytes); a constant-time comparison against each
"v1,<base64>" entry; the timestamp within --tolerance seconds of this machine's clock -- an
implementation independent of the Swift sender's. Requests that fail verification get 401.

The path chooses the answer, so one receiver serves every test:

  /ok                 204 No Content
  /gone               410 Gone
  /retry-after/N      503 with Retry-After: N
  /status/N           N
  /slow/N             sleeps N seconds, then 204

Every request is appended to --log as one JSON line: path, status, verified, id, timestamp, body (the
parsed JSON), written before the answer is sent. --ready-file receives the port once listening (use
--port 0 for a free one); the process exits by itself after --lifetime seconds.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def key_from_secret(secret):
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode("utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--tolerance", type=int, default=300)
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()
    key = key_from_secret(args.secret)
    log_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *values):
            sys.stderr.write("webhook_receiver: " + (fmt % values) + "\n")

        def verify(self, body):
            msg_id = self.headers.get("webhook-id")
            timestamp = self.headers.get("webhook-timestamp")
            signatures = self.headers.get("webhook-signature")
            if not msg_id or not timestamp or not signatures:
                return False, "missing webhook headers"
            try:
                sent = int(timestamp)
            except ValueError:
                return False, "bad timestamp"
            if abs(time.time() - sent) > args.tolerance:
                return False, "timestamp outside tolerance"
            content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
            expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
            for entry in signatures.split(" "):
                version, _, value = entry.partition(",")
                if version == "v1" and hmac.compare_digest(value, expected):
                    return True, ""
            return False, "no matching signature"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            verified, reason = self.verify(body)
            parts = self.path.strip("/").split("/")
            status, extra_headers, delay = 204, [], 0
            if not verified:
                status = 401
            elif parts[0] == "gone":
                status = 410
            elif parts[0] == "retry-after" and len(parts) > 1:
                status, extra_headers = 503, [("Retry-After", parts[1])]
            elif parts[0] == "status" and len(parts) > 1:
                status = int(parts[1])
            elif parts[0] == "slow" and len(parts) > 1:
                delay = float(parts[1])
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if delay:
                time.sleep(delay)
            entry = {
                "path": self.path, "status": status, "verified": verified, "reason": reason,
                "id": self.headers.get("webhook-id"), "timestamp": self.headers.get("webhook-timestamp"),
                "content_type": self.headers.get("Content-Type"), "body": parsed,
            }
            with log_lock:
                with open(args.log, "a") as log:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
            answer = reason.encode() if status == 401 else b""
            self.send_response(status)
            for name, value in extra_headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    temporary = args.ready_file + ".tmp"
    with open(temporary, "w") as ready:
        ready.write(str(port))
    os.rename(temporary, args.ready_file)
    print(f"webhook_receiver: listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
