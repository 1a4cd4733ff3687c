#!/usr/bin/env python3
"""A stand-in for Hestia's web/reset/mail/index.php, for change-password.

Behaves as the real endpoint does (see ../shared/HESTIA.md):
- serves only callers from 127.0.0.1 (the server's own address), and
  answers nothing at all to a request carrying X-Real-IP or
  X-Forwarded-For;
- POST /reset/mail/ with form fields email, password, new: when all three
  are present and password is the account's current one, the password
  changes and the body is "==ok==", otherwise "error".
HTTPS with a self-signed certificate made at start, as Hestia's panel
often has. Prints its port on the first line of stdout, then serves until
killed. Every request is appended to LOG (JSON lines: headers and form
minus the passwords' values), and the accounts are written to STATE after
each change, so a test can check both.

usage: fake_hestia.py DIR email=password...
"""
import http.server
import json
import os
import ssl
import subprocess
import sys
import urllib.parse


def main():
    work = sys.argv[1]
    accounts = dict(a.split("=", 1) for a in sys.argv[2:])
    cert, key = os.path.join(work, "hestia.crt"), os.path.join(work, "hestia.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=hestia.test", "-days", "2", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    log_path = os.path.join(work, "requests.jsonl")
    state_path = os.path.join(work, "accounts.json")

    def save():
        with open(state_path + ".tmp", "w") as f:
            json.dump(accounts, f)
        os.replace(state_path + ".tmp", state_path)

    save()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, body):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode(),
                                         keep_blank_values=True)
            with open(log_path, "a") as f:
                f.write(json.dumps({
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "fields": sorted(form),
                    "email": (form.get("email") or [""])[0],
                }) + "\n")
            if self.client_address[0] != "127.0.0.1":
                return self.answer("")
            if "X-Real-IP" in self.headers or "X-Forwarded-For" in self.headers:
                return self.answer("")
            if self.path != "/reset/mail/":
                return self.answer("error")
            email = (form.get("email") or [""])[0]
            current = (form.get("password") or [""])[0]
            new = (form.get("new") or [""])[0]
            if email and current and new and accounts.get(email) == current:
                accounts[email] = new
                save()
                return self.answer("==ok==")
            return self.answer("error")

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
