#!/usr/bin/env python3
"""Concurrency: many requests at once through nginx to Petrel (and Dovecot).

  - 20 requests in parallel on ONE session (a browser's tabs and its
    parallel fetches share a session row, an IMAP pool slot, the CSRF
    token and the last-seen update);
  - 200 requests across 20 sessions of 4 users, 20 at a time.
Each mix reads (Session, Folders, MessageList, Settings, Contacts,
Identities, ImagesAllowed) and writes to the store (ContactSave then
ContactDelete, ImagesAllow then ImagesDisallow, each undone). Every answer
must be a 2xx, and Petrel's log must not mention SQLITE_BUSY / a locked
database while the test ran.

Runs against the ctest fixtures (PETREL_BASE_URL, PETREL_WEBSTACK_DIR,
PETREL_MAILSTACK_DIR).
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

BASE = urllib.parse.urlparse(os.environ.get("PETREL_BASE_URL", "http://127.0.0.1:8080"))
WEB = os.environ.get("PETREL_WEBSTACK_DIR", "")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
USERS = ["alice@example.test", "bob@example.test", "carol@example.org",
         "sink@example.test"]
LOG = os.path.join(WEB, "petrel.stderr")
BUSY_MARKERS = ("SQLITE_BUSY", "database is locked", "database table is locked")


def password(email):
    with open(os.path.join(STACK, "mailstack.json")) as f:
        for u in json.load(f)["users"]:
            if u["email"] == email:
                return u["password"]
    raise KeyError(email)


def post(action, body, cookie=None, csrf=None):
    c = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=60)
    h = {"Content-Type": "application/json"}
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-Petrel-Token"] = csrf
    c.request("POST", "/api/" + action, body=json.dumps(body).encode(), headers=h)
    r = c.getresponse()
    data = r.read()
    cookies = [v.split(";", 1)[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
    c.close()
    try:
        payload = json.loads(data or b"{}")
    except ValueError:
        payload = {"raw": data[:200].decode(errors="replace")}
    return r.status, payload, "; ".join(cookies)


class Session:
    def __init__(self, email):
        status, body, cookie = post("Login", {"email": email, "password": password(email)})
        assert status == 200, (email, status, body)
        self.email, self.cookie, self.csrf = email, cookie, body["csrf"]

    def call(self, action, body=None):
        return post(action, body or {}, self.cookie, self.csrf)


def job(sess, n):
    """One unit of work; returns a list of (what, status, body)."""
    kind = n % 8
    if kind == 0:
        return [("Session",) + sess.call("Session")[:2]]
    if kind == 1:
        return [("Folders",) + sess.call("Folders")[:2]]
    if kind == 2:
        return [("MessageList",) + sess.call("MessageList", {"folder": "INBOX", "limit": 20})[:2]]
    if kind == 3:
        return [("Settings",) + sess.call("Settings")[:2]]
    if kind == 4:
        return [("Contacts",) + sess.call("Contacts", {"limit": 10})[:2],
                ("Identities",) + sess.call("Identities")[:2]]
    if kind == 5:
        out = []
        st, body = sess.call("ContactSave", {"name": "Concurrency %d %f" % (n, time.time()),
                                             "emails": ["cc%d@example.net" % n]})[:2]
        out.append(("ContactSave", st, body))
        if st == 200:
            out.append(("ContactDelete",) + sess.call("ContactDelete", {"ids": [body["id"]]})[:2])
        return out
    if kind == 6:
        sender = "cc-%d-%d@example.net" % (n, threading.get_ident())
        return [("ImagesAllow",) + sess.call("ImagesAllow", {"sender": sender})[:2],
                ("ImagesDisallow",) + sess.call("ImagesDisallow", {"sender": sender})[:2]]
    return [("ImagesAllowed",) + sess.call("ImagesAllowed")[:2]]


def log_offset():
    try:
        return os.path.getsize(LOG)
    except OSError:
        return 0


def log_since(offset):
    try:
        with open(LOG, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def run_batch(pairs, parallel):
    """pairs: [(session, n)]; run them parallel at a time, all started together."""
    barrier = threading.Barrier(min(parallel, len(pairs)))
    first = set(range(min(parallel, len(pairs))))

    def one(i):
        sess, n = pairs[i]
        if i in first:
            barrier.wait(timeout=60)
        return job(sess, n)

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as ex:
        results = [r for rs in ex.map(one, range(len(pairs))) for r in rs]
    return results, time.monotonic() - t0


def check(results, offset, what):
    bad = [(w, st, body) for w, st, body in results if not 200 <= st < 300]
    for w, st, body in bad[:20]:
        print("FAIL %s %s: %s" % (w, st, json.dumps(body)[:300]), flush=True)
    assert not bad, "%s: %d of %d calls failed" % (what, len(bad), len(results))
    log = log_since(offset)
    busy = [line for line in log.splitlines() if any(m in line for m in BUSY_MARKERS)]
    assert not busy, "%s: the store was busy:\n%s" % (what, "\n".join(busy[:10]))


def test_20_parallel_on_one_session():
    sess = Session(USERS[0])
    offset = log_offset()
    results, secs = run_batch([(sess, n) for n in range(20)], 20)
    print("20 requests on one session: %d calls in %.2f s" % (len(results), secs), flush=True)
    check(results, offset, "one session")
    # The session is still good afterwards.
    assert sess.call("Session")[0] == 200


def test_200_across_20_sessions():
    sessions = [Session(USERS[i % len(USERS)]) for i in range(20)]
    offset = log_offset()
    # Request n of session s: the 20 sessions interleave.
    pairs = [(sessions[i % 20], i // 20 + i) for i in range(200)]
    results, secs = run_batch(pairs, 20)
    print("200 requests across 20 sessions: %d calls in %.2f s" % (len(results), secs), flush=True)
    check(results, offset, "20 sessions")
    for s in sessions:
        assert s.call("Session")[0] == 200, s.email


if __name__ == "__main__":
    run_tests(globals())
