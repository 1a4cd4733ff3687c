#!/usr/bin/python3
"""Undo send and send later through nginx -> petrel -> Postfix -> Dovecot.

Runs its own Petrel + nginx (tests/harness/webstack.py, PETREL_OUTBOX_DIR,
PETREL_OUTBOX_PORT) with PETREL_TEST_CLOCK_FILE: the file holds seconds
added to Petrel's clock (a test build only), so a job due in an hour is
made due by writing a number, not by waiting. Every delivery is checked at
the recipient's IMAP, and counted: each message must arrive exactly once.
"""
import email
import email.policy
import email.utils
import imaplib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
from test_api import Client, ok, password, stack_info  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

HARNESS = os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
DIR = os.environ.get("PETREL_OUTBOX_DIR", "")
PORT = int(os.environ.get("PETREL_OUTBOX_PORT", "0"))
CLOCK = os.path.join(DIR, "clock")
RUN = uuid.uuid4().hex[:8]
ALICE, BOB = "alice@example.test", "bob@example.test"
offset = [0]


def move_clock(seconds):
    offset[0] += seconds
    with open(CLOCK + ".tmp", "w") as f:
        f.write("%d\n" % offset[0])
    os.replace(CLOCK + ".tmp", CLOCK)


def webstack(*args, fresh=False):
    env = dict(os.environ, PETREL_TEST_CLOCK_FILE=CLOCK)
    cmd = [sys.executable, os.path.join(HARNESS, "webstack.py")] + list(args)
    if args[0] == "start":
        cmd += ["--dir", DIR, "--mailstack", STACK,
                "--petrel", os.environ["PETREL_BINARY"],
                "--share", os.environ["PETREL_SOURCE_DIR"],
                "--port", str(PORT), "--threads", "2", "--restart",
                "--no-admin-init"] + (["--fresh"] if fresh else [])
    else:
        cmd += ["--dir", DIR]
    subprocess.run(cmd, check=True, env=env)


def token():
    return secrets.token_hex(16)


def login(user=ALICE):
    c = Client()
    c.login(user)
    return c


def count(user, subject, folder="INBOX"):
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login(user, password(user))
    try:
        m.select('"%s"' % folder)
        typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT",
                          ('"%s"' % subject).encode())
        out = []
        for u in data[0].split():
            typ, d = m.uid("FETCH", u, "(FLAGS BODY.PEEK[])")
            out.append((int(u), d[0][0].decode(), d[0][1]))
        return out
    finally:
        m.logout()


def wait_for(user, subject, want=1, folder="INBOX", timeout=30):
    deadline = time.time() + timeout
    while True:
        got = count(user, subject, folder)
        if len(got) >= want or time.time() > deadline:
            return got
        time.sleep(0.3)


def settle():
    """Long enough for a worker that looks every second to act twice."""
    time.sleep(3)


def scheduled(c):
    return ok(*c.call("Scheduled")[:2])


def job_of(c, job_id):
    for j in scheduled(c)["jobs"]:
        if j["id"] == job_id:
            return j
    return None


def send(c, fields, **extra):
    body = dict(fields, sendToken=token(), **extra)
    return c.call("Send", body)[:2]


# ---------------------------------------------------------------- tests

def test_held_send_is_delivered_once_after_the_clock_moves():
    c = login()
    tag = "held-%s" % RUN
    r = ok(*send(c, {"to": [BOB], "bcc": ["carol@example.org"], "subject": tag,
                     "text": "held body"}, undoSeconds=20))
    assert r["state"] == "held" and r["id"] > 0, r
    now = scheduled(c)["now"]
    assert now + 15 <= r["due"] <= now + 21, (r, now)
    j = job_of(c, r["id"])
    assert j and j["state"] == "held" and j["subject"] == tag, j
    assert BOB in j["recipients"] and "carol@example.org" in j["recipients"], j
    settle()
    assert count(BOB, tag) == [], "delivered before its time"
    move_clock(30)
    got = wait_for(BOB, tag)
    assert len(got) == 1, got
    settle()
    assert len(count(BOB, tag)) == 1, "delivered twice"
    assert len(wait_for("carol@example.org", tag)) == 1
    msg = email.message_from_bytes(got[0][2], policy=email.policy.default)
    assert msg["Bcc"] is None and "held body" in msg.get_body().get_content()
    # The same after-send steps as an immediate Send: a \Seen Sent copy
    # that keeps the Bcc.
    sent = wait_for(ALICE, tag, folder="Sent")
    assert len(sent) == 1 and "\\Seen" in sent[0][1], sent
    assert b"carol@example.org" in sent[0][2]
    assert job_of(c, r["id"]) is None
    # The send token replays the first answer: no second job.
    body = {"to": [BOB], "subject": tag + "-tok", "text": "x",
            "sendToken": token(), "undoSeconds": 5}
    a = ok(*c.call("Send", body)[:2])
    b = ok(*c.call("Send", body)[:2])
    assert a == b, (a, b)
    ok(*c.call("SendCancel", {"id": a["id"]})[:2])


def test_cancel_within_the_window_delivers_nothing_and_gives_the_form_back():
    c = login()
    tag = "undo-%s" % RUN
    data = os.urandom(5000)
    up = upload(c, "notes.bin", data)
    orig = ok(*send(c, {"to": [BOB], "subject": tag, "text": "line 1\nline 2",
                        "html": "<p>line <b>1</b></p>", "replyTo": ALICE,
                        "attachments": [up["id"]], "readReceipt": True},
                    undoSeconds=30))
    # Another user's id is not found; a bad id neither.
    other = login(BOB)
    assert other.call("SendCancel", {"id": orig["id"]})[0] == 404
    assert other.call("SendCancel", {"id": 0})[0] in (400, 404)
    r = ok(*c.call("SendCancel", {"id": orig["id"]})[:2])
    f = r["compose"]
    assert f["to"] == [BOB] and f["subject"] == tag, f
    assert f["text"] == "line 1\nline 2" and "line" in f["html"], f
    assert f["replyTo"] == ALICE and f["readReceipt"] is True, f
    assert len(f["attachments"]) == 1 and f["attachments"][0]["name"] == "notes.bin", f
    assert f["attachments"][0]["id"] != up["id"] and f["attachments"][0]["size"] == 5000
    assert f["missingAttachments"] == []
    # Cancelled once: a second cancel is a conflict, the job is gone.
    assert c.call("SendCancel", {"id": orig["id"]})[0] == 409
    assert job_of(c, orig["id"]) is None
    move_clock(60)
    settle()
    assert count(BOB, tag) == [], "a cancelled message was delivered"
    # The restored upload is a real one: sending the form now carries it.
    ok(*send(c, {"to": f["to"], "subject": tag + "-again", "text": f["text"],
                 "attachments": [a["id"] for a in f["attachments"]]}))
    got = wait_for(BOB, tag + "-again")
    msg = email.message_from_bytes(got[0][2], policy=email.policy.default)
    parts = [p for p in msg.iter_attachments()]
    assert len(parts) == 1 and parts[0].get_content() == data


def upload(c, name, data):
    import urllib.request
    boundary = "----petrel" + secrets.token_hex(8)
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            % (boundary, name)).encode() + data + ("\r\n--%s--\r\n" % boundary).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/Upload" % PORT, data=body,
                                 method="POST")
    req.add_header("Content-Type", "multipart/form-data; boundary=" + boundary)
    req.add_header("X-Petrel-Token", c.csrf)
    with c.opener.open(req, timeout=60) as r:
        return json.loads(r.read())


def flags_of(user, folder, uid):
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login(user, password(user))
    try:
        m.select('"%s"' % folder)
        typ, d = m.uid("FETCH", str(uid), "(FLAGS)")
        return (d[0] or b"").decode()
    finally:
        m.logout()


def test_held_reply_flags_the_original_and_deletes_its_draft():
    bob, alice = login(BOB), login()
    tag = "orig-%s" % RUN
    ok(*send(bob, {"to": [ALICE], "subject": tag, "text": "question?"}))
    uid = wait_for(ALICE, tag)[0][0]
    r = ok(*alice.call("ComposeFrom", {"mode": "reply", "folder": "INBOX", "uid": uid})[:2])
    form = {"to": r["to"], "subject": r["subject"], "text": "answer\n" + r["text"],
            "inReplyTo": r["inReplyTo"]}
    draft = ok(*alice.call("SaveDraft", form)[:2])["draftUid"]
    job = ok(*send(alice, dict(form, draftUid=draft), undoSeconds=10))
    # Taken back: the links come back with the form.
    back = ok(*alice.call("SendCancel", {"id": job["id"]})[:2])["compose"]
    assert back["inReplyTo"] == {"folder": "INBOX", "uid": uid}, back
    assert back["draftUid"] == draft and back["identityId"] is None, back
    assert "\\Answered" not in flags_of(ALICE, "INBOX", uid)
    # Sent again with a hold: the worker's after-send steps are Send's.
    job = ok(*send(alice, dict(form, draftUid=draft), undoSeconds=10))
    move_clock(20)
    got = wait_for(BOB, "Re: " + tag)
    assert len(got) == 1, got
    deadline = time.time() + 20
    while "\\Answered" not in flags_of(ALICE, "INBOX", uid) and time.time() < deadline:
        time.sleep(0.3)
    assert "\\Answered" in flags_of(ALICE, "INBOX", uid)
    assert count(ALICE, "Re: " + tag, folder="Drafts") == [], "the draft is still there"
    assert len(count(ALICE, "Re: " + tag, folder="Sent")) == 1


def test_ended_jobs_keep_no_password_and_the_key_is_private():
    import sqlite3
    storage = os.path.join(DIR, "data", "_data_", "_default_", "storage")
    st = os.stat(os.path.join(storage, "job.key"))
    assert st.st_mode & 0o777 == 0o600 and st.st_size == 32, oct(st.st_mode)
    c = login()
    job = ok(*send(c, {"to": [BOB], "subject": "pw-%s" % RUN, "text": "x"}, undoSeconds=30))
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(storage, "petrel.db"), uri=True)
    try:
        rows = db.execute("SELECT id, state, length(secret), instr(secret, ?) "
                          "FROM outbox", (password(ALICE).encode(),)).fetchall()
    finally:
        db.close()
    held = [r for r in rows if r[0] == job["id"]]
    assert held and held[0][2] > 0 and held[0][3] == 0, held  # sealed, not plain
    ended = [r for r in rows if r[1] in ("done", "cancelled", "failed")]
    assert ended and all(r[2] == 0 for r in ended), ended
    ok(*c.call("SendCancel", {"id": job["id"]})[:2])


def test_scheduled_send_survives_a_restart_and_arrives_once():
    c = login()
    tag = "later-%s" % RUN
    now = scheduled(c)["now"]
    at = now + 3600
    r = ok(*send(c, {"to": [BOB], "subject": tag, "text": "see you later"}, sendAt=at))
    assert r == {"id": r["id"], "state": "scheduled", "due": at}, r
    assert job_of(c, r["id"])["state"] == "scheduled"
    webstack("start")  # --restart, same store: the job must survive
    c = login()
    assert job_of(c, r["id"])["due"] == at
    move_clock(1800)
    settle()
    assert count(BOB, tag) == [], "sent before its time"
    move_clock(1900)
    got = wait_for(BOB, tag)
    assert len(got) == 1, got
    msg = email.message_from_bytes(got[0][2], policy=email.policy.default)
    # The Date is the time it was meant to go.
    assert int(email.utils.parsedate_to_datetime(msg["Date"]).timestamp()) == at
    webstack("start")
    settle()
    assert len(count(BOB, tag)) == 1, "sent again after a restart"


def test_two_workers_on_one_store_deliver_each_job_once():
    c = login()
    now = scheduled(c)["now"]
    # Distinct under IMAP SUBJECT search (a substring match): the run id last.
    tags = ["race-%d-%s" % (i, RUN) for i in range(12)]
    for t in tags:
        ok(*send(c, {"to": [BOB], "subject": t, "text": t}, sendAt=now + 100))
    env = dict(os.environ, PETREL_TEST_CLOCK_FILE=CLOCK, PETREL_LOG_STDERR="1")
    log = open(os.path.join(DIR, "second.log"), "ab")
    second = subprocess.Popen(
        [os.environ["PETREL_BINARY"], "serve", "--listen",
         "unix:" + os.path.join(DIR, "second.sock"), "--threads", "1",
         "--data", os.path.join(DIR, "data"), "--share",
         os.environ["PETREL_SOURCE_DIR"]],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        time.sleep(1)
        assert second.poll() is None, "the second petrel did not start"
        move_clock(200)
        for t in tags:
            assert len(wait_for(BOB, t)) == 1, t
        settle()
        for t in tags:
            assert len(count(BOB, t)) == 1, "%s delivered twice" % t
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        log.close()
    with open(os.path.join(DIR, "second.log"), "rb") as f:
        text = f.read().decode(errors="replace")
    assert "ERROR: AddressSanitizer" not in text and "runtime error" not in text, text[-2000:]


def test_smtp_refusal_is_recorded_and_the_form_kept():
    c = login()
    tag = "refused-%s" % RUN
    r = ok(*send(c, {"to": ["nobody@example.test"], "subject": tag, "text": "x"},
                 undoSeconds=5))
    move_clock(10)
    deadline = time.time() + 30
    while True:
        j = job_of(c, r["id"])
        if (j and j["state"] == "failed") or time.time() > deadline:
            break
        time.sleep(0.3)
    assert j and j["state"] == "failed", j
    assert "User unknown" in j["error"] and "RCPT TO" in j["error"], j
    back = ok(*c.call("SendCancel", {"id": r["id"]})[:2])
    assert back["compose"]["to"] == ["nobody@example.test"], back
    assert job_of(c, r["id"]) is None


def test_bad_times_are_refused():
    c = login()
    now = scheduled(c)["now"]
    base = {"to": [BOB], "subject": "bad-%s" % RUN, "text": "x"}
    for extra in ({"sendAt": now - 10}, {"sendAt": now + 400 * 86400},
                  {"undoSeconds": 31}, {"undoSeconds": -1}, {"sendAt": "soon"}):
        st, body = send(c, base, **extra)
        assert st == 400, (extra, st, body)
    # Without either, Send is the immediate one of before.
    r = ok(*send(c, base, undoSeconds=0))
    assert "messageId" in r and "id" not in r, r


if __name__ == "__main__":
    os.makedirs(DIR, exist_ok=True)
    move_clock(0)
    webstack("start", fresh=True)
    rc = 1
    try:
        rc = run_tests(globals(), last=("test_scheduled_send_survives_a_restart_and_arrives_once",))
    finally:
        webstack("stop")
    sys.exit(rc)
