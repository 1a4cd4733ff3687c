#!/usr/bin/env python3
"""A hostile IMAP / SMTP / ManageSieve server for the bad-TLS matrix.

    badtls_server.py certs DIR
        Make the test certificates in DIR with the openssl CLI (once; kept
        while they are valid). Nothing here is committed: the keys are made
        at test time in the build tree.

    badtls_server.py serve DIR PROTO MODE CASE
        PROTO: imap | smtp | sieve
        MODE:  ssl (TLS from the first byte) | starttls
        CASE:  good | selfsigned | wronghost | expired | unknownca
               (the certificate the server shows), nostarttls (the server
               does not offer STARTTLS), inject (plaintext pipelined after
               the positive STARTTLS answer, in the same write),
               injectlate (the same plaintext 50 ms after the answer)
        Listens on 127.0.0.1 on a free port, prints "PORT n", serves one
        client, then prints "CRED n": how many bytes of credentials arrived
        (every byte from the first LOGIN / AUTHENTICATE / AUTH command on,
        plus any occurrence of the test password or its base64 forms),
        then "DONE".

The client is expected to give up before authenticating in every bad case;
the "good" case shows that the counter does see a real login.
"""

import base64
import os
import select
import socket
import ssl
import subprocess
import sys
import time

USER = "tlsuser@example.test"
PASSWORD = "Zq7-badtls-secret-Pw"
SECRETS = [
    PASSWORD.encode(),
    base64.b64encode(PASSWORD.encode()),
    base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode()),
    base64.b64encode(USER.encode() + b"\0" + USER.encode() + b"\0" + PASSWORD.encode()),
]
TIMEOUT = 15.0

CA_CNF = """[ca]
default_ca = ca_default
[ca_default]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/newcerts
serial = {dir}/serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[policy_any]
commonName = supplied
"""


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_key_csr(d, name, cn, san):
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{d}/{name}.key",
        "-out", f"{d}/{name}.csr", "-subj", f"/CN={cn}",
        "-addext", f"subjectAltName={san}")


def sign(d, name, ca, days=30):
    run("openssl", "x509", "-req", "-in", f"{d}/{name}.csr", "-CA",
        f"{d}/{ca}.pem", "-CAkey", f"{d}/{ca}.key", "-CAcreateserial",
        "-days", str(days), "-copy_extensions", "copy",
        "-out", f"{d}/{name}.pem")


def certs(d):
    os.makedirs(d, exist_ok=True)
    stamp = os.path.join(d, "made")
    # Kept for a day: well inside the 30 days the good ones are valid.
    if os.path.exists(stamp) and time.time() - os.path.getmtime(stamp) < 86400:
        return
    for ca in ("ca", "otherca"):
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{d}/{ca}.key",
            "-out", f"{d}/{ca}.pem", "-days", "30", "-subj",
            f"/CN=Petrel badtls {ca}", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign")
    san = "IP:127.0.0.1,DNS:localhost"
    make_key_csr(d, "good", "localhost", san)
    sign(d, "good", "ca")
    make_key_csr(d, "wronghost", "wrong.invalid", "DNS:wrong.invalid")
    sign(d, "wronghost", "ca")
    make_key_csr(d, "unknownca", "localhost", san)
    sign(d, "unknownca", "otherca")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{d}/selfsigned.key",
        "-out", f"{d}/selfsigned.pem", "-days", "30", "-subj", "/CN=localhost",
        "-addext", f"subjectAltName={san}")
    # An expired certificate needs explicit dates: `openssl ca` has them.
    cadir = os.path.join(d, "cadb")
    os.makedirs(os.path.join(cadir, "newcerts"), exist_ok=True)
    open(os.path.join(cadir, "index.txt"), "w").close()
    with open(os.path.join(cadir, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(cadir, "ca.cnf"), "w") as f:
        f.write(CA_CNF.format(dir=cadir))
    make_key_csr(d, "expired", "localhost", san)
    run("openssl", "ca", "-batch", "-config", f"{cadir}/ca.cnf", "-cert",
        f"{d}/ca.pem", "-keyfile", f"{d}/ca.key", "-startdate",
        "20200101000000Z", "-enddate", "20200102000000Z", "-in",
        f"{d}/expired.csr", "-out", f"{d}/expired.pem", "-notext")
    with open(stamp, "w") as f:
        f.write("ok\n")


class Session:
    """One client connection: reads lines, counts credential bytes."""

    def __init__(self, sock, ctx, proto, mode, case):
        self.sock = sock
        self.ctx = ctx
        self.proto = proto
        self.mode = mode
        self.case = case
        self.buf = b""
        self.seen = b""
        self.cred = 0
        self.authing = False
        self.tls = False

    def send(self, data):
        self.sock.sendall(data)

    def recv_more(self):
        deadline = time.monotonic() + TIMEOUT
        while True:
            if not (self.tls and self.sock.pending()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise EOFError("timeout")
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    raise EOFError("timeout")
            try:
                data = self.sock.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not data:
                raise EOFError("eof")
            self.seen += data
            if self.authing:
                self.cred += len(data)
            self.buf += data
            return

    def line(self):
        while b"\n" not in self.buf:
            self.recv_more()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def take(self, n):
        while len(self.buf) < n:
            self.recv_more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def start_auth(self, line):
        # Count this line and everything after it.
        if not self.authing:
            self.authing = True
            self.cred += len(line) + 2 + len(self.buf)

    def starttls(self, answer, then=b""):
        if self.case == "inject":
            self.send(answer + then)
        elif self.case == "injectlate":
            # The same, in a second segment that arrives once the client
            # has read the answer and started its handshake.
            self.send(answer)
            time.sleep(0.05)
            self.send(then)
        else:
            self.send(answer)
        self.handshake()

    def handshake(self):
        self.sock.settimeout(TIMEOUT)
        self.sock = self.ctx.wrap_socket(self.sock, server_side=True)
        self.sock.setblocking(False)
        self.tls = True
        self.buf = b""

    def literal(self, line):
        """IMAP: read a {n} / {n+} literal announced at the end of line."""
        while line.endswith(b"}") and b"{" in line:
            head, n = line.rsplit(b"{", 1)
            n = n[:-1]
            sync = not n.endswith(b"+")
            count = int(n.rstrip(b"+"))
            if sync:
                self.send(b"+ go\r\n")
            line = head + self.take(count) + self.line()
        return line

    # IMAP ------------------------------------------------------------

    def imap_caps(self):
        caps = b"IMAP4rev1 LITERAL+"
        if self.tls:
            caps += b" AUTH=PLAIN"
        elif self.case != "nostarttls":
            caps += b" STARTTLS LOGINDISABLED"
        else:
            caps += b" AUTH=PLAIN"
        return caps

    def imap(self):
        self.send(b"* OK [CAPABILITY " + self.imap_caps() + b"] badtls ready\r\n")
        while True:
            line = self.line()
            parts = line.split(b" ", 2)
            if len(parts) < 2:
                self.send(b"* BAD what\r\n")
                continue
            tag, cmd = parts[0], parts[1].upper()
            if cmd in (b"LOGIN", b"AUTHENTICATE"):
                self.start_auth(line)
                line = self.literal(line)
                if cmd == b"AUTHENTICATE" and len(parts) == 3 and b" " not in parts[2]:
                    self.send(b"+ \r\n")
                    self.line()
                self.send(tag + b" OK [CAPABILITY " + self.imap_caps() + b"] in\r\n")
            elif cmd == b"CAPABILITY":
                self.send(b"* CAPABILITY " + self.imap_caps() + b"\r\n" + tag + b" OK done\r\n")
            elif cmd == b"STARTTLS" and not self.tls and self.case != "nostarttls":
                self.starttls(tag + b" OK begin TLS\r\n",
                              b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
            elif cmd == b"LOGOUT":
                self.send(b"* BYE bye\r\n" + tag + b" OK bye\r\n")
                return
            else:
                self.literal(line)
                self.send(tag + b" OK fine\r\n")

    # SMTP ------------------------------------------------------------

    def smtp(self):
        self.send(b"220 badtls ESMTP ready\r\n")
        while True:
            line = self.line()
            cmd = line.split(b" ", 1)[0].upper()
            if cmd in (b"EHLO", b"HELO"):
                ext = [b"250-badtls", b"250-PIPELINING", b"250-8BITMIME"]
                if not self.tls and self.case != "nostarttls":
                    ext.append(b"250-STARTTLS")
                ext.append(b"250 AUTH PLAIN LOGIN")
                self.send(b"\r\n".join(ext) + b"\r\n")
            elif cmd == b"STARTTLS" and not self.tls and self.case != "nostarttls":
                self.starttls(b"220 go ahead\r\n",
                              b"250-badtls\r\n250 AUTH PLAIN LOGIN\r\n")
            elif cmd == b"AUTH":
                self.start_auth(line)
                words = line.split()
                if len(words) == 2:
                    self.send(b"334 \r\n")
                    self.line()
                    if words[1].upper() == b"LOGIN":
                        self.send(b"334 UGFzc3dvcmQ6\r\n")
                        self.line()
                elif words[1].upper() == b"LOGIN":
                    self.send(b"334 UGFzc3dvcmQ6\r\n")
                    self.line()
                self.send(b"235 2.7.0 ok\r\n")
            elif cmd == b"DATA":
                self.send(b"354 go\r\n")
                while self.line() != b".":
                    pass
                self.send(b"250 2.0.0 queued\r\n")
            elif cmd == b"QUIT":
                self.send(b"221 bye\r\n")
                return
            else:
                self.send(b"250 ok\r\n")

    # ManageSieve -----------------------------------------------------

    def sieve_caps(self):
        caps = [b'"IMPLEMENTATION" "badtls"', b'"SASL" "PLAIN"',
                b'"SIEVE" "fileinto"', b'"VERSION" "1.0"']
        if not self.tls and self.case != "nostarttls":
            caps.append(b'"STARTTLS"')
        return b"\r\n".join(caps) + b"\r\nOK \"ready\"\r\n"

    def sieve(self):
        self.send(self.sieve_caps())
        while True:
            line = self.line()
            cmd = line.split(b" ", 1)[0].upper()
            if cmd == b"STARTTLS" and not self.tls and self.case != "nostarttls":
                self.starttls(b'OK "begin TLS"\r\n', b'"SASL" "PLAIN"\r\nOK "ready"\r\n')
                self.send(self.sieve_caps())
            elif cmd == b"AUTHENTICATE":
                self.start_auth(line)
                self.literal(line)
                self.send(b'OK "in"\r\n')
            elif cmd == b"CAPABILITY":
                self.send(self.sieve_caps())
            elif cmd == b"LOGOUT":
                self.send(b'OK "bye"\r\n')
                return
            else:
                self.literal(line)
                self.send(b'OK "fine"\r\n')

    def run(self):
        try:
            if self.mode == "ssl":
                self.handshake()
            getattr(self, self.proto)()
        except (EOFError, OSError, ssl.SSLError, ValueError):
            pass
        # A client that sends more after its last command still counts.
        try:
            while True:
                self.buf = b""
                self.recv_more()
        except (EOFError, OSError, ssl.SSLError, ValueError):
            pass
        for secret in SECRETS:
            if secret in self.seen and not self.authing:
                self.cred += len(secret)
        return self.cred


def serve(d, proto, mode, case):
    cert = {"good": "good", "nostarttls": "good", "inject": "good",
            "injectlate": "good"}.get(case, case)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{d}/{cert}.pem", f"{d}/{cert}.key")
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    lst.settimeout(TIMEOUT)
    print(f"PORT {lst.getsockname()[1]}", flush=True)
    try:
        sock, _ = lst.accept()
    except socket.timeout:
        print("CRED 0\nNOCLIENT\nDONE", flush=True)
        return
    lst.close()
    sock.setblocking(False)
    n = Session(sock, ctx, proto, mode, case).run()
    print(f"CRED {n}\nDONE", flush=True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "certs":
        certs(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == "serve":
        serve(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
