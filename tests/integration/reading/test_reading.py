#!/usr/bin/python3
"""Issue 17's reading features against the real stack.

List-Unsubscribe: messages are appended to bob's INBOX over IMAP with the
header fields a list would send; the RFC 8058 one-click POST must reach a
local https server (the mail stack's certificate; the test stack sets
[unsubscribe] allow_private = On) exactly once, with the RFC body and
nothing else of the user's. Read receipts: alice sends with readReceipt
through Petrel -> Postfix -> Dovecot, bob answers, and the MDN is read
back from alice's IMAP; $MDNSent is checked on bob's copy.
"""
import email
import email.policy
import http.client
import http.server
import imaplib
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from test_api import BASE, Client, ok, password, stack_info  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

RUN = uuid.uuid4().hex[:8]
ALICE = "alice@example.test"
BOB = "bob@example.test"
HITS = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        HITS.append({"path": self.path, "body": body,
                     "headers": {k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/big"):
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 1024 * 1024))
            self.end_headers()
            try:
                for _ in range(160):
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass
            return
        data = b"unsubscribed"
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def https_server():
    info = stack_info()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    key = info.get("key_file") or info["cert_file"].replace("server.pem", "server.key")
    ctx.load_cert_chain(info["cert_file"], key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


SERVER, PORT = https_server()
_clients = {}


def client(user):
    if user not in _clients:
        c = Client()
        c.login(user)
        _clients[user] = c
    return _clients[user]


def imap(user):
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login(user, password(user))
    return m


def append(user, headers, body="Hello.\r\n", folder="INBOX"):
    """Append a message with extra header lines; returns its UID."""
    subject = "reading %s %s" % (RUN, uuid.uuid4().hex[:6])
    raw = ("From: List <list@lists.example.test>\r\nTo: %s\r\nSubject: %s\r\n"
           "Message-ID: <%s@lists.example.test>\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\n"
           "%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s"
           % (user, subject, uuid.uuid4().hex, "".join(h + "\r\n" for h in headers), body))
    m = imap(user)
    try:
        typ, data = m.append(folder, None, None, raw.encode())
        assert typ == "OK", data
        m.select(folder)
        typ, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
        return int(data[0].split()[-1]), subject
    finally:
        m.logout()


def flags(user, uid, folder="INBOX"):
    m = imap(user)
    try:
        m.select(folder)
        typ, data = m.uid("FETCH", str(uid), "(FLAGS)")
        return data[0].decode()
    finally:
        m.logout()


def hits(tag):
    return [h for h in HITS if tag in h["path"]]


def one_click(path):
    return ["List-Unsubscribe: <mailto:leave@lists.example.test>, <https://localhost:%d%s>" % (PORT, path),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]


def test_one_click_post_reaches_the_list_exactly_once():
    c = client(BOB)
    tag = "/unsub/" + uuid.uuid4().hex
    uid, _ = append(BOB, one_click(tag))
    st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid})
    ok(st, info)
    assert info["unsubscribe"] == {"method": "post", "host": "localhost:%d" % PORT}, info
    assert hits(tag) == [], "ReadingInfo must not contact the list"
    st, r, _ = c.call("Unsubscribe", {"folder": "INBOX", "uid": uid})
    ok(st, r)
    assert r["method"] == "post" and r["done"] is True and r["status"] == 200, r
    got = hits(tag)
    assert len(got) == 1, got
    h = got[0]
    assert h["body"] == b"List-Unsubscribe=One-Click", h
    assert h["headers"]["content-type"] == "application/x-www-form-urlencoded", h
    assert "cookie" not in h["headers"] and "authorization" not in h["headers"], h
    assert h["headers"]["host"] == "localhost:%d" % PORT, h


def test_redirect_is_not_followed():
    c = client(BOB)
    tag = "/redirect/" + uuid.uuid4().hex
    uid, _ = append(BOB, one_click(tag))
    st, r, _ = c.call("Unsubscribe", {"folder": "INBOX", "uid": uid})
    assert st == 502, (st, r)
    assert "redirect" in r["error"]["detail"], r
    assert len(hits(tag)) == 1


def test_large_answer_is_bounded():
    c = client(BOB)
    tag = "/big/" + uuid.uuid4().hex
    uid, _ = append(BOB, one_click(tag))
    t0 = time.time()
    st, r, _ = c.call("Unsubscribe", {"folder": "INBOX", "uid": uid})
    ok(st, r)
    assert r["status"] == 200, r
    assert time.time() - t0 < 10


def test_http_url_is_never_posted_to():
    c = client(BOB)
    tag = "/plain/" + uuid.uuid4().hex
    uid, _ = append(BOB, ["List-Unsubscribe: <http://localhost:%d%s>" % (PORT, tag),
                          "List-Unsubscribe-Post: List-Unsubscribe=One-Click"])
    st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid})
    ok(st, info)
    assert info["unsubscribe"]["method"] == "link", info
    st, r, _ = c.call("Unsubscribe", {"folder": "INBOX", "uid": uid})
    ok(st, r)
    assert r == {"method": "link", "url": "http://localhost:%d%s" % (PORT, tag), "done": False}, r
    assert hits(tag) == []


def test_hostile_and_mailto_values():
    c = client(BOB)
    uid, _ = append(BOB, ["List-Unsubscribe: <javascript:alert(1)>, <data:text/html,x>",
                          "List-Unsubscribe-Post: List-Unsubscribe=One-Click"])
    st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid})
    ok(st, info)
    assert info["unsubscribe"] is None, info
    st, r, _ = c.call("Unsubscribe", {"folder": "INBOX", "uid": uid})
    assert st == 404, (st, r)
    uid, _ = append(BOB, ["List-Unsubscribe: <mailto:leave@lists.example.test?subject=unsub%20me&body=bye>"])
    st, r, _ = c.call("Unsubscribe", {"folder": "INBOX", "uid": uid})
    ok(st, r)
    assert r["method"] == "mailto" and r["to"] == "leave@lists.example.test", r
    assert r["subject"] == "unsub me" and r["body"] == "bye", r


def send_with_receipt(subject):
    c = client(ALICE)
    st, r, _ = c.call("Send", {"to": [BOB], "subject": subject, "text": "Please confirm.",
                               "sendToken": uuid.uuid4().hex, "readReceipt": True})
    ok(st, r)


def find_uid(user, subject, folder="INBOX", timeout=20):
    deadline = time.time() + timeout
    while True:
        m = imap(user)
        try:
            m.select(folder)
            typ, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
            uids = data[0].split()
            if uids:
                typ, d = m.uid("FETCH", uids[-1], "(BODY.PEEK[])")
                return int(uids[-1]), d[0][1]
        finally:
            m.logout()
        assert time.time() < deadline, "no message %r in %s's %s" % (subject, user, folder)
        time.sleep(0.3)


def test_read_receipt_round_trip():
    subject = "receipt %s" % RUN
    send_with_receipt(subject)
    uid, raw = find_uid(BOB, subject)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Disposition-Notification-To"] == "<%s>" % ALICE, msg["Disposition-Notification-To"]
    c = client(BOB)
    st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid})
    ok(st, info)
    rr = info["readReceipt"]
    assert rr["to"] == ALICE and rr["action"] == "ask", info
    # "auto" is refused while the setting is "ask": never silently.
    st, r, _ = c.call("ReadReceiptSend", {"folder": "INBOX", "uid": uid, "auto": True})
    assert st == 403, (st, r)
    st, r, _ = c.call("ReadReceiptSend", {"folder": "INBOX", "uid": uid})
    ok(st, r)
    assert r["sent"] is True and r["to"] == ALICE, r
    assert "$MDNSent" in flags(BOB, uid), flags(BOB, uid)
    st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid})
    ok(st, info)
    assert info["readReceipt"] is None and info["receiptAnswered"] is True, info
    st, r, _ = c.call("ReadReceiptSend", {"folder": "INBOX", "uid": uid})
    assert st == 409, (st, r)

    _, mdn_raw = find_uid(ALICE, "Read: " + subject)
    mdn = email.message_from_bytes(mdn_raw, policy=email.policy.default)
    assert mdn.get_content_type() == "multipart/report", mdn.get_content_type()
    assert mdn.get_param("report-type") == "disposition-notification"
    parts = list(mdn.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "message/disposition-notification"], parts
    fields = parts[1].get_payload()
    text = fields if isinstance(fields, str) else b"".join(
        p.as_bytes() for p in fields).decode()
    assert "Reporting-UA: example.test; Petrel" in text, text
    assert "Final-Recipient: rfc822;%s" % BOB in text, text
    assert "Original-Message-ID: %s" % msg["Message-ID"] in text, text
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in text, text
    # RFC 8098 3: the envelope sender was null.
    assert mdn["Return-Path"] in ("<>", None), mdn["Return-Path"]


def test_ignore_sets_mdnsent_and_never_setting_hides_the_bar():
    subject = "ignore %s" % RUN
    send_with_receipt(subject)
    uid, _ = find_uid(BOB, subject)
    c = client(BOB)
    st, r, _ = c.call("ReadReceiptIgnore", {"folder": "INBOX", "uid": uid})
    ok(st, r)
    assert "$MDNSent" in flags(BOB, uid)
    subject2 = "never %s" % RUN
    send_with_receipt(subject2)
    uid2, _ = find_uid(BOB, subject2)
    ok(*c.call("SettingsSave", {"readReceipts": "never"})[:2])
    try:
        st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid2})
        ok(st, info)
        assert info["readReceipt"] is None, info
        st, r, _ = c.call("SettingsSave", {"readReceipts": "sometimes"})
        assert st == 400, (st, r)
    finally:
        ok(*c.call("SettingsSave", {"readReceipts": "ask"})[:2])


def test_always_sends_by_itself_only_when_the_request_is_safe():
    c = client(BOB)
    ok(*c.call("SettingsSave", {"readReceipts": "always"})[:2])
    try:
        subject = "always %s" % RUN
        send_with_receipt(subject)
        uid, _ = find_uid(BOB, subject)
        st, info, _ = c.call("ReadingInfo", {"folder": "INBOX", "uid": uid})
        ok(st, info)
        assert info["readReceipt"]["action"] == "auto" and info["readReceipt"]["reason"] is None, info
        st, r, _ = c.call("ReadReceiptSend", {"folder": "INBOX", "uid": uid, "auto": True})
        ok(st, r)
        _, mdn_raw = find_uid(ALICE, "Read: " + subject)
        assert b"Disposition: automatic-action/MDN-sent-automatically; displayed" in mdn_raw
        # RFC 8098 2.1: another Return-Path, none, or Junk: the user is asked.
        for headers, folder, reason in (
                (["Return-Path: <bounce@lists.example.test>",
                  "Disposition-Notification-To: <%s>" % ALICE], "INBOX", "returnPathDiffers"),
                (["Disposition-Notification-To: <%s>" % ALICE], "INBOX", "noReturnPath"),
                (["Return-Path: <%s>" % ALICE,
                  "Disposition-Notification-To: <%s>" % ALICE], "Junk", "junk")):
            uid2, _ = append(BOB, headers, folder=folder)
            st, info, _ = c.call("ReadingInfo", {"folder": folder, "uid": uid2})
            ok(st, info)
            assert info["readReceipt"] == {"to": ALICE, "action": "ask", "reason": reason}, info
            st, r, _ = c.call("ReadReceiptSend", {"folder": folder, "uid": uid2, "auto": True})
            assert st == 403, (st, r)
            assert "$MDNSent" not in flags(BOB, uid2, folder)
    finally:
        ok(*c.call("SettingsSave", {"readReceipts": "ask"})[:2])


def test_draft_keeps_the_read_receipt_request():
    c = client(ALICE)
    for asked in (True, False):
        subject = "draft receipt %s %s" % (asked, RUN)
        st, r, _ = c.call("SaveDraft", {"to": [BOB], "subject": subject, "text": "Later.",
                                        "readReceipt": asked})
        ok(st, r)
        uid, raw = find_uid(ALICE, subject, folder="Drafts")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if asked:
            assert msg["Disposition-Notification-To"] == "<%s>" % ALICE, raw[:600]
        else:
            assert msg["Disposition-Notification-To"] is None, raw[:600]
        st, form, _ = c.call("ComposeFrom", {"mode": "editAsNew", "folder": "Drafts", "uid": uid})
        ok(st, form)
        assert form["draftUid"] == uid and form["readReceipt"] is asked, form
        ok(*c.call("MessageDelete", {"folder": "Drafts", "uids": [uid]})[:2])
    # Edit as new of a received message that asks for a receipt: the
    # request was its sender's, not ours.
    uid, _ = append(ALICE, ["Disposition-Notification-To: <%s>" % BOB])
    st, form, _ = c.call("ComposeFrom", {"mode": "editAsNew", "folder": "INBOX", "uid": uid})
    ok(st, form)
    assert form["readReceipt"] is False, form


def raw_get(c, path):
    conn = http.client.HTTPConnection(urllib.parse.urlparse(BASE).netloc, timeout=30)
    cookie = "; ".join("%s=%s" % (k.name, k.value) for k in c.jar)
    conn.request("GET", path, headers={"Cookie": cookie})
    r = conn.getresponse()
    return r.status, dict(r.getheaders()), r.read().decode(errors="replace")


def test_print_view_and_mailto_route():
    c = client(BOB)
    uid, subject = append(BOB, ["Cc: <carol@example.test>"],
                          body="<script>alert(1)</script> body text\r\n")
    st, h, text = raw_get(c, "/message/print?folder=INBOX&uid=%d" % uid)
    assert st == 200, (st, text[:300])
    csp = h.get("Content-Security-Policy", "")
    assert "sandbox allow-scripts allow-modals" in csp and "script-src 'nonce-" in csp, csp
    assert "allow-same-origin" not in csp, csp
    assert subject in text and "carol@example.test" in text and "list@lists.example.test" in text
    assert "<script>alert" not in text and "body text" in text
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert 'nonce="%s"' % nonce in text
    st, h, text = raw_get(Client(), "/message/print?folder=INBOX&uid=%d" % uid)
    assert st in (302, 303, 401), st
    st, h, text = raw_get(Client(), "/mailto?uri=mailto:dave@example.test?subject=Hi%20there&body=x")
    assert st == 200, st
    assert 'href="/#/compose?to=dave%40example.test&amp;cc=&amp;bcc=&amp;subject=Hi%20there&amp;body=x"' in text, text
    assert "/js/mailto.js" in text, text
    st, h, text = raw_get(Client(), "/mailto?uri=mailto%3Adave%40example.test%3Fsubject%3DA%22%3E")
    assert st == 200 and "subject=A%22%3E" in text and 'A">' not in text, text
    st, h, _ = raw_get(Client(), "/mailto?uri=mailto:a@x?subject=%0D%0ABcc:%20e@x")
    assert st == 400, st


if __name__ == "__main__":
    try:
        sys.exit(run_tests(globals()))
    finally:
        SERVER.shutdown()
