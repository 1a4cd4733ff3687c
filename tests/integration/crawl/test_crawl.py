#!/usr/bin/env python3
"""The route crawler: every route in Petrel's route table, four ways.

The table comes from the route_table program (src/web/router.c's own
array), so a route added later is crawled without touching this file. Each
route is called
  1. without a session (and without a CSRF token);
  2. with a user session (and an admin session for admin routes) but
     without the CSRF token;
  3. with a method it does not take;
  4. with a body over [limits] max_request_body (straight over FastCGI to
     Petrel's socket: nginx would first buffer the whole body);
and the answer class is asserted (docs/API.md): 401 without a user session,
404 on admin routes without an admin session, 403 without the CSRF token,
405 (with an Allow header) for a wrong method, 413 for the oversized body.
Whatever the route, never a 5xx, never a hang (a 30 s timeout per call),
and Petrel is still alive at the end.

Runs against the ctest fixtures (PETREL_BASE_URL, PETREL_WEBSTACK_DIR,
PETREL_MAILSTACK_DIR, PETREL_ROUTE_TABLE).
"""
import http.client
import json
import os
import re
import socket
import struct
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

BASE = urllib.parse.urlparse(os.environ.get("PETREL_BASE_URL", "http://127.0.0.1:8080"))
WEB = os.environ.get("PETREL_WEBSTACK_DIR", "")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
TABLE = os.environ.get("PETREL_ROUTE_TABLE", "")
TIMEOUT = 30
USER = "alice@example.test"
# Bigger than any max_request_body the tests configure (default 30 MB) and
# than nginx's client_max_body_size in the harness (64m).
OVERSIZE = 100 * 1024 * 1024
KNOWN_FLAGS = {"session", "csrf", "admin", "ratelimit", "api",
               "session_optional", "prefix", "upload"}


def routes():
    out = subprocess.run([TABLE], check=True, capture_output=True, text=True).stdout
    table = []
    for line in out.splitlines():
        method, path, flags = line.split("\t")
        flags = set() if flags == "-" else set(flags.split(","))
        unknown = flags - KNOWN_FLAGS
        assert not unknown, "route %s has flags the crawler does not know: %s" % (path, unknown)
        table.append({"method": method, "path": path, "flags": flags,
                      # A prefix route is called with something after it.
                      "url": path + "crawl" if "prefix" in flags else path})
    assert len(table) >= 20, "implausibly small route table: %r" % out
    return table


def password(email):
    with open(os.path.join(STACK, "mailstack.json")) as f:
        for u in json.load(f)["users"]:
            if u["email"] == email:
                return u["password"]
    raise KeyError(email)


def request(method, url, body=None, headers=None, cookie=None):
    c = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=TIMEOUT)
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    if body is not None:
        h.setdefault("Content-Type", "application/json" if url.startswith("/api/")
                     else "application/x-www-form-urlencoded")
    c.request(method, url, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, r


def call(route, method=None, cookie=None, headers=None):
    method = method or route["method"]
    body = None
    if method not in ("GET", "HEAD"):
        body = b"{}" if route["url"].startswith("/api/") else b"crawl=1"
    return request(method, route["url"], body=body, headers=headers, cookie=cookie)


def cookie_of(r):
    jar = []
    for k, v in r.getheaders():
        if k.lower() == "set-cookie":
            jar.append(v.split(";", 1)[0])
    return "; ".join(jar)


def user_session():
    status, data, r = request("POST", "/api/Login", json.dumps(
        {"email": USER, "password": password(USER)}).encode())
    assert status == 200, (status, data[:300])
    return cookie_of(r), json.loads(data)["csrf"]


# Admin sign-ins fail per client address and other tests (admin_integration)
# use up 127.0.0.1's allowance on purpose: the crawler's admin calls go
# straight over FastCGI from an address of their own.
ADMIN_ADDR = "127.0.0.77"


def admin_session():
    with open(os.path.join(WEB, "admin.credentials")) as f:
        text = f.read()
    u = re.search(r"Username: (\S+)", text).group(1)
    p = re.search(r"Password: (\S+)", text).group(1)
    k = re.search(r"Secret key: (\S+)", text).group(1)
    form = urllib.parse.urlencode({"key": k, "login": u, "password": p}).encode()
    status, hdrs, data = fcgi_call("POST", "/admin/login", form, addr=ADMIN_ADDR)
    assert status == 303, (status, data[:300])
    return "; ".join(v.split(";", 1)[0] for k, v in hdrs if k.lower() == "set-cookie")


def admin_call(route, cookie, forged=False):
    """An admin form post; forged: with a wrong token (field and header)."""
    body = b"" if route["method"] in ("GET", "HEAD") else b"crawl=1"
    headers = None
    if forged:
        body += b"&csrf=" + b"0" * 64
        headers = {"X-Petrel-Token": "0" * 64}
    return fcgi_call(route["method"], route["url"], body, cookie, headers,
                     addr=ADMIN_ADDR)[0]


def check(results, route, probe, status, want, extra=""):
    ok = status < 500 and (want is None or status in want)
    results.append((ok, "%-4s %-32s %-10s -> %s%s" % (
        route["method"], route["url"], probe, status,
        "" if ok else " (want %s)%s" % ("not 5xx" if want is None else want, extra))))


def report(results):
    for ok, line in results:
        print(("ok   " if ok else "FAIL ") + line, flush=True)
    bad = [line for ok, line in results if not ok]
    assert not bad, "%d of %d probes answered wrong:\n%s" % (
        len(bad), len(results), "\n".join(bad))


# ---------------------------------------------------------------- tests

def test_without_session():
    results = []
    for rt in routes():
        status, _, _ = call(rt)
        if "admin" in rt["flags"]:
            want = {404}          # the panel does not show itself
        elif "session" in rt["flags"]:
            want = {401}
        elif "csrf" in rt["flags"]:
            want = {401, 403}
        else:
            want = None           # public: anything but a server error
        check(results, rt, "nosession", status, want)
    report(results)


def test_without_csrf_token():
    cookie, _ = user_session()
    admin = admin_session()
    results = []
    for rt in routes():
        if "admin" in rt["flags"]:
            # A user session is no admin session...
            status, _, _ = call(rt, cookie=cookie)
            check(results, rt, "usersess", status, {404})
            if "csrf" not in rt["flags"]:
                continue
            # ...and an admin session still needs the admin's token.
            status = admin_call(rt, admin)
            check(results, rt, "nocsrf", status, {403})
            # A forged token is no better than none.
            status = admin_call(rt, admin, forged=True)
            check(results, rt, "forged", status, {403})
            continue
        if "csrf" in rt["flags"]:
            status, _, _ = call(rt, cookie=cookie)
            check(results, rt, "nocsrf", status, {403})
            status, _, _ = call(rt, cookie=cookie, headers={"X-Petrel-Token": "0" * 64})
            check(results, rt, "forged", status, {403})
        else:
            # Needs no token: the session must be enough (no 401/403).
            status, _, _ = call(rt, cookie=cookie)
            check(results, rt, "session", status, None)
            if status in (401, 403):
                results[-1] = (False, results[-1][1] + " (refused with a session)")
    # The session survived (Logout without its token must not log out).
    status, _, _ = request("POST", "/api/Session", b"{}", cookie=cookie)
    assert status == 200, status
    report(results)


def test_wrong_method():
    table = routes()
    by_path = {}
    for rt in table:
        by_path.setdefault(rt["url"], set()).add(rt["method"])
    results = []
    for rt in table:
        have = by_path[rt["url"]]
        if "GET" in have:
            have = have | {"HEAD"}
        method = next(m for m in ("POST", "GET", "PUT", "DELETE") if m not in have)
        status, _, r = call(rt, method=method)
        allow = r.getheader("Allow") or ""
        check(results, rt, method, status, {405}, " Allow: %r" % allow)
        if status == 405 and rt["method"] not in [a.strip() for a in allow.split(",")]:
            results[-1] = (False, results[-1][1] + " (Allow %r lacks %s)" % (allow, rt["method"]))
    report(results)


# A FastCGI client, just enough to send a request head with no body.
FCGI_BEGIN, FCGI_END, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def fcgi_record(kind, content, req_id=1):
    return struct.pack(">BBHHBB", 1, kind, req_id, len(content), 0, 0) + content


def fcgi_pair(name, value):
    def ln(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return ln(len(name)) + ln(len(value)) + name + value


def fcgi_call(method, url, body=b"", cookie="", headers=None, addr="127.0.0.1",
              declared=None):
    """method url straight to Petrel's FastCGI socket: (status, headers, body).

    declared: a CONTENT_LENGTH to announce instead of len(body) (the body
    then never comes in full)."""
    path, _, query = url.partition("?")
    params = {
        "REQUEST_METHOD": method, "REQUEST_URI": url, "DOCUMENT_URI": path,
        "SCRIPT_NAME": path, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1", "REMOTE_ADDR": addr,
        "REMOTE_PORT": "40000", "SERVER_ADDR": "127.0.0.1",
        "SERVER_PORT": str(BASE.port), "SERVER_NAME": "localhost",
        "HTTP_HOST": "%s:%d" % (BASE.hostname, BASE.port),
        "CONTENT_TYPE": "application/json" if path.startswith("/api/")
        else "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(declared if declared is not None else len(body)),
    }
    if cookie:
        params["HTTP_COOKIE"] = cookie
    for k, v in (headers or {}).items():
        params["HTTP_" + k.upper().replace("-", "_")] = v
    blob = b"".join(fcgi_pair(k, v) for k, v in params.items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(os.path.join(WEB, "petrel.sock"))
    stdin = fcgi_record(FCGI_STDIN, body) if body else b""
    if declared is None:
        stdin += fcgi_record(FCGI_STDIN, b"")
    s.sendall(fcgi_record(FCGI_BEGIN, struct.pack(">HB5x", 1, 0))
              + fcgi_record(FCGI_PARAMS, blob) + fcgi_record(FCGI_PARAMS, b"")
              + stdin)
    out, buf = b"", b""
    while True:
        while len(buf) < 8:
            chunk = s.recv(65536)
            if not chunk:
                s.close()
                raise AssertionError("%s %s: connection closed without an answer" % (method, url))
            buf += chunk
        _, kind, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
        while len(buf) < 8 + clen + plen:
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("%s %s: cut-off record" % (method, url))
            buf += chunk
        content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
        if kind == FCGI_STDOUT:
            out += content
        elif kind == FCGI_END:
            break
    s.close()
    head, _, payload = out.partition(b"\r\n\r\n")
    hdrs = [tuple(x.strip() for x in line.split(":", 1))
            for line in head.decode(errors="replace").split("\r\n") if ":" in line]
    status = 200
    for k, v in hdrs:
        if k.lower() == "status":
            status = int(v[:3])
    return status, hdrs, payload


def fcgi_oversize(method, url, cookie=""):
    """Status of method url declaring an OVERSIZE body that never comes."""
    return fcgi_call(method, url, b"{", cookie, declared=OVERSIZE)[0]


def test_oversized_body():
    cookie, _ = user_session()
    results = []
    for rt in routes():
        # Without and with a session: the size is refused before either.
        for probe, ck in (("big", ""), ("big+sess", cookie)):
            status = fcgi_oversize(rt["method"], rt["url"], ck)
            check(results, rt, probe, status, {413})
    report(results)


def test_petrel_alive_afterwards():
    status, data, _ = request("GET", "/healthz")
    assert status == 200, (status, data)


if __name__ == "__main__":
    run_tests(globals(), last=["test_petrel_alive_afterwards"])
