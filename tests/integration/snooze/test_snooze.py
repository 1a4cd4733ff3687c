#!/usr/bin/env python3
"""Snooze against the real Dovecot (issue 17).

Starts its own Petrel + nginx (tests/harness/webstack.py, own port and
data) with PETREL_TEST_CLOCK_FILE: Petrel's timed work reads its clock as
the real time plus the seconds in that file, so the test moves time
forward instead of sleeping until a wake time. Checked at the IMAP server
(imaplib, as carol):

- MessageSnooze moves the message to Snoozed (made and subscribed), out of
  INBOX; Snoozed lists it with its wake time;
- not before its time; once the clock passes it, it is back in INBOX,
  unread, first in MessageList's default order, gone from Snoozed, and
  its row (with the sealed password) gone from the store;
- Petrel stopped while a snooze waits and started after its time: the
  new process wakes it;
- a message deleted from Snoozed meanwhile: the row is dropped, nothing
  comes back, no retry loop;
- MessageUnsnooze brings one back at once;
- a sealed password that no longer opens: one failed try, no loop, and
  the user's next Snoozed call seals it again and it wakes.

Env: PETREL_MAILSTACK_DIR, PETREL_BINARY, PETREL_SOURCE_DIR,
PETREL_SNOOZE_DIR (state), PETREL_SNOOZE_PORT.
"""
import http.cookiejar
import imaplib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

HARNESS = os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
DIR = os.environ.get("PETREL_SNOOZE_DIR", "/tmp/petrel-snooze")
PORT = int(os.environ.get("PETREL_SNOOZE_PORT", "0"))
BASE = "http://127.0.0.1:%d" % PORT
CLOCK = os.path.join(DIR, "clock")
DB = os.path.join(DIR, "data", "_data_", "_default_", "storage", "petrel.db")
USER = "carol@example.org"
RUN = "%d" % (time.time() * 1000)
offset = 0


def stack():
    with open(os.path.join(STACK, "mailstack.json")) as f:
        return json.load(f)


def password(email):
    for u in stack()["users"]:
        if u["email"] == email:
            return u["password"]
    raise KeyError(email)


def set_clock(seconds):
    """Petrel's timed work now sees real time + seconds."""
    global offset
    offset = seconds
    os.makedirs(DIR, exist_ok=True)
    tmp = CLOCK + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % seconds)
    os.replace(tmp, CLOCK)


def start(fresh):
    os.makedirs(DIR, exist_ok=True)
    env = dict(os.environ, PETREL_TEST_CLOCK_FILE=CLOCK)
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py"), "start",
                    "--dir", DIR, "--mailstack", STACK,
                    "--petrel", os.environ["PETREL_BINARY"],
                    "--share", os.environ["PETREL_SOURCE_DIR"],
                    "--port", str(PORT), "--threads", "2", "--restart",
                    "--no-admin-init"] + (["--fresh"] if fresh else []),
                   check=True, env=env)


def stop():
    # Fails (exit 1) on a sanitizer report in Petrel's output.
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py"), "stop",
                    "--dir", DIR], check=True)


class Client:
    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = None

    def call(self, action, body=None):
        req = urllib.request.Request(BASE + "/api/" + action,
                                     data=json.dumps(body or {}).encode(), method="POST")
        req.add_header("Content-Type", "application/json")
        if self.csrf:
            req.add_header("X-Petrel-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def ok(self, action, body=None):
        status, res = self.call(action, body)
        assert status == 200, (action, status, res)
        return res

    def login(self):
        self.csrf = None
        self.csrf = self.ok("Login", {"email": USER, "password": password(USER)})["csrf"]


def imap():
    m = imaplib.IMAP4("127.0.0.1", stack()["ports"]["imap"])
    m.login(USER, password(USER))
    return m


def append(tag):
    """A read message in INBOX dated 2020; its Message-ID and UID."""
    mid = "<snooze-%s-%s@example.org>" % (tag, RUN)
    raw = ("From: Dan <dan@example.org>\r\nTo: %s\r\nSubject: snooze %s %s\r\n"
           "Date: Wed, 01 Jan 2020 10:00:00 +0000\r\nMessage-ID: %s\r\n\r\n"
           "hello\r\n" % (USER, tag, RUN, mid)).encode()
    m = imap()
    try:
        assert m.append("INBOX", r"(\Seen)", None, raw)[0] == "OK"
    finally:
        m.logout()
    uid = find("INBOX", mid)
    assert uid, mid
    return mid, uid


def find(folder, mid):
    """(uid, flags) of the message with that Message-ID in folder, or None."""
    m = imap()
    try:
        if m.select('"%s"' % folder, readonly=True)[0] != "OK":
            return None
        typ, data = m.uid("SEARCH", "HEADER", "Message-ID", mid)
        uids = data[0].split()
        if not uids:
            return None
        typ, data = m.uid("FETCH", uids[-1], "(FLAGS)")
        return int(uids[-1]), data[0].decode()
    finally:
        m.logout()


def rows(mid):
    db = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    try:
        return db.execute("SELECT until, sealed IS NOT NULL AND length(sealed) > 0 "
                          "FROM snoozes WHERE message_id = ?", (mid,)).fetchall()
    finally:
        db.close()


def attempts(mid):
    db = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    try:
        r = db.execute("SELECT attempts FROM snoozes WHERE message_id = ?", (mid,)).fetchone()
        return r[0] if r else None
    finally:
        db.close()


def wait_for(pred, what, timeout=30):
    """The worker looks every second under the test clock: poll, bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def now():
    return int(time.time()) + offset


def snooze(c, uid, until):
    res = c.ok("MessageSnooze", {"folder": "INBOX", "uids": [uid], "until": until})
    assert res["snoozed"] == 1 and res["folder"] == "Snoozed", res
    return res


def test_snooze_wake_restart_delete_unsnooze():
    set_clock(0)
    start(fresh=True)
    try:
        c = Client()
        c.login()

        # Snooze: out of INBOX, into Snoozed (made and subscribed).
        mid_a, (uid_a, _) = append("a")
        until = now() + 3600
        snooze(c, uid_a, until)
        assert find("INBOX", mid_a) is None
        assert find("Snoozed", mid_a) is not None
        m = imap()
        try:
            assert any(b"Snoozed" in x for x in m.lsub()[1]), m.lsub()
        finally:
            m.logout()
        snoozed = c.ok("Snoozed")
        assert snoozed["folder"] == "Snoozed", snoozed
        mine = [s for s in snoozed["snoozes"] if s["uid"] == find("Snoozed", mid_a)[0]]
        assert mine and mine[0]["until"] == until and mine[0]["origin"] == "INBOX", snoozed
        assert rows(mid_a) == [(until, 1)], rows(mid_a)
        # Bad times are refused.
        mid_x, (uid_x, _) = append("x")
        st, res = c.call("MessageSnooze", {"folder": "INBOX", "uids": [uid_x], "until": now() - 5})
        assert st == 400, (st, res)

        # Not before its time (the worker looks every second).
        set_clock(3000)
        time.sleep(2.5)
        assert find("Snoozed", mid_a) is not None and find("INBOX", mid_a) is None

        # Its time: back in INBOX, unread, first in the list; row gone.
        set_clock(3601)
        got = wait_for(lambda: find("INBOX", mid_a), "the message back in INBOX")
        assert "\\Seen" not in got[1], got
        assert find("Snoozed", mid_a) is None
        assert rows(mid_a) == []
        page = c.ok("MessageList", {"folder": "INBOX", "limit": 5})
        first = page["messages"][0]
        assert first["subject"] == "snooze a %s" % RUN and not first["seen"], first

        # Petrel stopped while a snooze waits, started after its time.
        mid_b, (uid_b, _) = append("b")
        snooze(c, uid_b, now() + 600)
        stop()
        set_clock(offset + 601)
        start(fresh=False)
        wait_for(lambda: find("INBOX", mid_b), "the restarted Petrel waking it")
        assert find("Snoozed", mid_b) is None and rows(mid_b) == []

        # Deleted from Snoozed meanwhile: the row is dropped, nothing returns.
        c = Client()  # the session survived the restart; a new one is fine
        c.login()
        mid_c, (uid_c, _) = append("c")
        snooze(c, uid_c, now() + 600)
        m = imap()
        try:
            m.select("Snoozed")
            uid = find("Snoozed", mid_c)[0]
            m.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
            m.expunge()
        finally:
            m.logout()
        set_clock(offset + 601)
        wait_for(lambda: rows(mid_c) == [], "the row of a deleted message dropped")
        assert find("INBOX", mid_c) is None
        with open(os.path.join(DIR, "petrel.stderr"), errors="replace") as f:
            log = f.read()
        assert not re.search(r"waking %s's message %s failed" % (re.escape(USER), re.escape(mid_c)), log)

        # Unsnooze now, from the Snoozed view.
        mid_d, (uid_d, _) = append("d")
        snooze(c, uid_d, now() + 86400)
        uid = find("Snoozed", mid_d)[0]
        res = c.ok("MessageUnsnooze", {"uids": [uid]})
        assert res["unsnoozed"] == 1, res
        got = find("INBOX", mid_d)
        assert got and "\\Seen" not in got[1], got
        assert find("Snoozed", mid_d) is None and rows(mid_d) == []
        st, res = c.call("MessageUnsnooze", {"uids": [uid]})
        assert st == 404, (st, res)

        # A seal that no longer opens (as after a password change): the
        # try fails and waits a minute (no loop); the user's next visit
        # (the Snoozed call) seals the password again and it wakes.
        mid_e, (uid_e, _) = append("e")
        snooze(c, uid_e, now() + 600)
        db = sqlite3.connect(DB, timeout=10)
        try:
            db.execute("UPDATE snoozes SET sealed = X'00' WHERE message_id = ?", (mid_e,))
            db.commit()
        finally:
            db.close()
        set_clock(offset + 601)
        wait_for(lambda: (attempts(mid_e) or 0) >= 1, "a failed try recorded")
        time.sleep(2)
        assert attempts(mid_e) == 1, attempts(mid_e)
        assert find("Snoozed", mid_e) is not None and find("INBOX", mid_e) is None
        c.ok("Snoozed")
        wait_for(lambda: find("INBOX", mid_e), "the message woken with the new seal")
        assert rows(mid_e) == []
    finally:
        stop()


if __name__ == "__main__":
    run_tests(globals())
