#!/usr/bin/python3
"""Tiny FastCGI responder (stdlib only) that answers every request with a JSON dump of
its FastCGI params and body length.  Stand-in for Petrel when testing the nginx setup.

  fcgi_stub.py --listen unix:/path/sock | 127.0.0.1:PORT [--pidfile FILE]

Runs in the foreground; stop it with SIGTERM.
"""
import argparse
import json
import os
import signal
import socket
import socketserver
import struct
import sys

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6


def read_exact(f, n):
    b = f.read(n)
    if len(b) != n:
        raise EOFError
    return b


def parse_params(data):
    out, i = {}, 0
    while i < len(data):
        lens = []
        for _ in range(2):
            b = data[i]
            if b >> 7:
                lens.append(struct.unpack(">I", data[i:i + 4])[0] & 0x7fffffff)
                i += 4
            else:
                lens.append(b)
                i += 1
        k = data[i:i + lens[0]].decode("latin-1")
        i += lens[0]
        out[k] = data[i:i + lens[1]].decode("utf-8", "replace")
        i += lens[1]
    return out


def record(typ, rid, content):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, typ, rid, len(content), pad, 0) + content + b"\0" * pad


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            while self.serve_one():
                pass
        except (EOFError, ConnectionError):
            pass

    def serve_one(self):
        params, body, rid, keep = b"", b"", None, False
        while True:
            ver, typ, r, clen, plen, _ = struct.unpack(">BBHHBB", read_exact(self.rfile, 8))
            content = read_exact(self.rfile, clen)
            read_exact(self.rfile, plen)
            if typ == BEGIN:
                rid = r
                keep = bool(content[2] & 1)
            elif typ == PARAMS:
                params += content
            elif typ == STDIN:
                if not content:
                    break
                body += content
        env = parse_params(params)
        payload = json.dumps({"params": env, "body_length": len(body)}, indent=1).encode()
        resp = (b"Status: 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(payload)) + payload
        out = b""
        for i in range(0, len(resp), 65535):
            out += record(STDOUT, rid, resp[i:i + 65535])
        out += record(STDOUT, rid, b"") + record(END, rid, b"\0\0\0\0\0\0\0\0")
        self.wfile.write(out)
        self.wfile.flush()
        return keep


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listen", required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    if a.listen.startswith("unix:"):
        path = a.listen[5:]
        if os.path.exists(path):
            os.unlink(path)
        srv = UnixServer(path, Handler)
        os.chmod(path, 0o666)
    else:
        host, port = a.listen.rsplit(":", 1)
        srv = TCPServer((host, int(port)), Handler)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        if a.listen.startswith("unix:"):
            try:
                os.unlink(a.listen[5:])
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
