#!/usr/bin/env python3
"""Fault injection: API requests whose request arena fails an allocation.

Starts a second Petrel + nginx (tests/harness/webstack.py, its own port and
data) with PETREL_FAULT_ARENA=request:PERIOD, the hook src/core/arena.c has
in sanitizer builds: each request's arena fails its allocation number
k % (PERIOD + 1) (k counts requests; 0: no failure). Each call below is sent
PERIOD + 1 times in a row, so it meets a failure at every one of its first
PERIOD allocations, and runs clean once.

Asserted for every answer: a 2xx, or a clear error: a 5xx (or the 413 an
arena that hit its limit means) with the JSON error object of docs/API.md
(or an HTML error page for the non-API pages); never nginx's 502 (a dead
Petrel), never a hang. At the end Petrel still answers, and stopping the
stack fails if the sanitizers reported anything.

Env: PETREL_MAILSTACK_DIR, PETREL_BINARY, PETREL_SOURCE_DIR,
PETREL_FAULT_DIR (state), PETREL_FAULT_PORT, PETREL_FAULT_PERIOD.
"""
import http.client
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

HARNESS = os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
DIR = os.environ.get("PETREL_FAULT_DIR", "")
PORT = int(os.environ.get("PETREL_FAULT_PORT", "0"))
PERIOD = int(os.environ.get("PETREL_FAULT_PERIOD", "120"))
USER = "alice@example.test"
# Answers that say "the server could not do it" clearly.
ERRORS = {413, 500, 503, 507}


def password(email):
    with open(os.path.join(STACK, "mailstack.json")) as f:
        for u in json.load(f)["users"]:
            if u["email"] == email:
                return u["password"]
    raise KeyError(email)


def request(method, path, body=None, cookie=None, csrf=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    h = {}
    if body is not None:
        h["Content-Type"] = "application/json"
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-Petrel-Token"] = csrf
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    cookies = [v.split(";", 1)[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
    ctype = r.getheader("Content-Type") or ""
    c.close()
    return r.status, data, ctype, "; ".join(cookies)


def until_ok(fn, what):
    """fn() until it answers 200: at most PERIOD + 1 tries, one runs clean."""
    for _ in range(PERIOD + 2):
        res = fn()
        if res[0] == 200:
            return res
    raise AssertionError("%s never succeeded: %r" % (what, res[:2]))


def start():
    env = dict(os.environ, PETREL_FAULT_ARENA="request:%d" % PERIOD)
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py"), "start",
                    "--dir", DIR, "--mailstack", STACK,
                    "--petrel", os.environ["PETREL_BINARY"],
                    "--share", os.environ["PETREL_SOURCE_DIR"],
                    "--port", str(PORT), "--threads", "2", "--restart", "--fresh",
                    "--no-admin-init"], check=True, env=env)


def stop():
    # Fails (exit 1) on a sanitizer report in Petrel's output.
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py"), "stop",
                    "--dir", DIR], check=True)


def sweep(name, method, path, body, cookie, csrf):
    """Send one call PERIOD + 1 times; return the problems and the statuses."""
    bad, seen = [], {}
    for _ in range(PERIOD + 1):
        try:
            status, data, ctype, _ = request(method, path, body, cookie, csrf)
        except (OSError, http.client.HTTPException) as e:
            bad.append("%s: no answer: %s" % (name, e))
            continue
        seen[status] = seen.get(status, 0) + 1
        if 200 <= status < 300:
            continue
        if status not in ERRORS:
            bad.append("%s: status %d: %r" % (name, status, data[:200]))
        elif "json" in ctype:
            try:
                err = json.loads(data)["error"]
                assert err["code"] and err["message"]
            except (ValueError, KeyError, TypeError, AssertionError):
                bad.append("%s: %d with a broken JSON error: %r" % (name, status, data[:200]))
        elif data and "text/html" not in ctype and "text/plain" not in ctype:
            # The error page, or the plain-text last resort; an empty 5xx
            # still says "server error".
            bad.append("%s: %d answered %r: %r" % (name, status, ctype, data[:100]))
    return bad, seen


def contacts_consistent(cookie, csrf):
    """ContactSave under failures: every 2xx is stored, nothing half-written."""
    tag = "fault%d" % int(time.time())
    saved, bad = set(), []
    for i in range(PERIOD + 1):
        name = "%s-%d" % (tag, i)
        status, data, _, _ = request("POST", "/api/ContactSave", json.dumps(
            {"name": name, "emails": ["%s@example.net" % name]}), cookie, csrf)
        if 200 <= status < 300:
            saved.add(name)
        elif status not in ERRORS:
            bad.append("ContactSave: status %d: %r" % (status, data[:200]))
    _, data, _, _ = until_ok(lambda: request(
        "POST", "/api/Contacts", json.dumps({"q": tag, "limit": 500}), cookie, csrf),
        "Contacts")
    contacts = json.loads(data)["contacts"]
    found = {c["name"] for c in contacts}
    late = sorted(found - saved)
    print("ContactSave     %d saved of %d; %d stored although the answer was an "
          "error (the reply failed after the commit)" % (len(saved), PERIOD + 1, len(late)),
          flush=True)
    if saved - found:
        bad.append("ContactSave: answered 2xx but not stored: %s" % sorted(saved - found))
    # Whatever was stored is whole: the name with its address.
    for c in contacts:
        if c.get("emails") != ["%s@example.net" % c["name"]]:
            bad.append("ContactSave: half-written contact %r" % (c,))
    return bad


def test_api_requests_under_allocation_failures():
    start()
    try:
        _, data, _, cookie = until_ok(lambda: request(
            "POST", "/api/Login", json.dumps({"email": USER, "password": password(USER)}),
        ), "Login")
        csrf = json.loads(data)["csrf"]
        _, data, _, _ = until_ok(lambda: request(
            "POST", "/api/MessageList", json.dumps({"folder": "INBOX", "limit": 5}),
            cookie, csrf), "MessageList")
        msgs = json.loads(data).get("messages") or []
        uid = msgs[0]["uid"] if msgs else 1
        calls = [
            ("Session", "POST", "/api/Session", "{}"),
            ("Folders", "POST", "/api/Folders", "{}"),
            ("MessageList", "POST", "/api/MessageList",
             json.dumps({"folder": "INBOX", "limit": 20})),
            ("Message", "POST", "/api/Message", json.dumps({"folder": "INBOX", "uid": uid})),
            ("Settings", "POST", "/api/Settings", "{}"),
            ("Contacts", "POST", "/api/Contacts", "{}"),
            ("Identities", "POST", "/api/Identities", "{}"),
            ("AddressSuggest", "POST", "/api/AddressSuggest", json.dumps({"q": "a"})),
            ("message/body", "GET", "/message/body?folder=INBOX&uid=%d" % uid, None),
            ("index", "GET", "/", None),
        ]
        t0 = time.monotonic()
        problems = []
        for name, method, path, body in calls:
            bad, seen = sweep(name, method, path, body, cookie, csrf)
            print("%-15s %s" % (name, " ".join("%d x%d" % kv for kv in sorted(seen.items()))),
                  flush=True)
            problems += bad
        print("%d calls in %.1f s" % ((PERIOD + 1) * len(calls), time.monotonic() - t0))
        problems += contacts_consistent(cookie, csrf)
        assert not problems, "\n".join(problems[:30])
        status, _, _, _ = until_ok(lambda: request("GET", "/healthz"), "healthz")
    finally:
        stop()


if __name__ == "__main__":
    run_tests(globals())
