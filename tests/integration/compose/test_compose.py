#!/usr/bin/python3
"""Compose and send through nginx -> petrel -> Postfix -> LMTP -> Dovecot.

Every message is found again over IMAP (imaplib) in the recipients'
mailboxes and parsed with Python's email package, so the assertions are on
what a real client would see. Subjects carry a per-run tag.
"""
import email
import html as htmllib
import email.policy
import imaplib
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from test_api import BASE, Client, ok, password, stack_info  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

RUN = uuid.uuid4().hex[:8]
_clients = {}


def client(user):
    if user not in _clients:
        c = Client()
        c.login(user)
        _clients[user] = c
    return _clients[user]


def token():
    return secrets.token_hex(16)


def imap(user):
    port = stack_info()["ports"]["imap"]
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(user, password(user))
    return m


def find(user, subject, folder="INBOX", want=1, timeout=20):
    """Raw messages whose Subject contains subject (waits for delivery)."""
    deadline = time.time() + timeout
    while True:
        m = imap(user)
        try:
            m.select('"%s"' % folder)
            typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT",
                              ('"%s"' % subject).encode())
            uids = data[0].split()
            out = []
            for u in uids:
                typ, d = m.uid("FETCH", u, "(FLAGS BODY.PEEK[])")
                flags = d[0][0].decode()
                out.append((int(u), flags, d[0][1]))
        finally:
            m.logout()
        if len(out) >= want or time.time() > deadline:
            return out
        time.sleep(0.3)


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def upload(c, name, data, ctype="application/octet-stream"):
    boundary = "----petrel" + secrets.token_hex(8)
    body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n")
            % (boundary, name, ctype)).encode() + data + \
        ("\r\n--%s--\r\n" % boundary).encode()
    req = urllib.request.Request(BASE + "/api/Upload", data=body, method="POST")
    req.add_header("Content-Type", "multipart/form-data; boundary=" + boundary)
    req.add_header("X-Petrel-Token", c.csrf)
    try:
        with c.opener.open(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


BINARY = bytes(range(256)) * 40 + b"\x00\r\n.\r\nend"
UTF8_TEXT = "Grüße, naïve café — 日本語\n".encode()
PDF = b"%PDF-1.4\n" + os.urandom(3000)


def test_send_with_cc_bcc_attachments_html():
    c = client("alice@example.test")
    subject = "Отчёт за квартал %s" % RUN
    ids = []
    for name, data, ctype in (("blob.bin", BINARY, "application/octet-stream"),
                              ("notes-ü.txt", UTF8_TEXT, "text/plain"),
                              ("Отчёт за квартал.pdf", PDF, "application/pdf")):
        status, up = upload(c, name, data, ctype)
        assert status == 200, up
        assert up["name"] == name and up["size"] == len(data), up
        ids.append(up["id"])
    body = ok(*c.call("Send", {
        "to": ["Bob Example <bob@example.test>"],
        "cc": ["carol@example.org"],
        "bcc": ["sink@example.test"],
        "subject": subject,
        "html": "<p>Hello <b>Bob</b>,</p><script>alert(1)</script>"
                "<p>see the <a href=\"https://example.test/x\">report</a>.</p>",
        "attachments": ids,
        "sendToken": token()})[:2])
    assert body["messageId"].startswith("<") and body["messageId"].endswith("@example.test>")
    assert isinstance(body["sentUid"], int) and body["sentUid"] > 0, body

    for user in ("bob@example.test", "carol@example.org", "sink@example.test"):
        got = find(user, RUN + "")
        got = [g for g in got if parse(g[2])["Subject"] == subject]
        assert len(got) == 1, (user, len(got))
        raw = got[0][2]
        # Nobody who received it can see the Bcc.
        assert b"\nBcc:" not in raw and not raw.startswith(b"Bcc:"), user
        assert b"sink@example.test" not in raw.split(b"\r\n\r\n")[0] or user == "sink@example.test" and \
            b"Bcc" not in raw, user
        msg = parse(raw)
        assert msg["Subject"] == subject
        assert msg["Message-ID"] == body["messageId"]
        assert msg["From"].addresses[0].addr_spec == "alice@example.test"
        assert msg["To"].addresses[0].display_name == "Bob Example"
        assert msg["Cc"].addresses[0].addr_spec == "carol@example.org"
        assert msg.get_content_type() == "multipart/mixed"
        for line in raw.split(b"\r\n"):
            assert len(line) <= 998
        alt = msg.get_payload()[0]
        assert alt.get_content_type() == "multipart/alternative"
        plain, html = alt.get_payload()
        assert plain.get_content_type() == "text/plain"
        assert "Hello Bob," in plain.get_content()
        assert "report <https://example.test/x>" in plain.get_content()
        assert html.get_content_type() == "text/html"
        assert "<b>Bob</b>" in html.get_content()
        assert "script" not in html.get_content()
        atts = {p.get_filename(): p for p in msg.iter_attachments()}
        assert set(atts) == {"blob.bin", "notes-ü.txt", "Отчёт за квартал.pdf"}, set(atts)
        assert atts["blob.bin"].get_content() == BINARY
        assert atts["notes-ü.txt"].get_payload(decode=True) == UTF8_TEXT
        assert atts["Отчёт за квартал.pdf"].get_content_type() == "application/pdf"
        assert atts["Отчёт за квартал.pdf"].get_payload(decode=True) == PDF

    # The Sent copy keeps the Bcc and is \Seen.
    sent = find("alice@example.test", RUN, folder="Sent")
    sent = [s for s in sent if s[0] == body["sentUid"]]
    assert len(sent) == 1
    assert "\\Seen" in sent[0][1]
    assert parse(sent[0][2])["Bcc"].addresses[0].addr_spec == "sink@example.test"
    # What bob got is the Sent copy from Date on, byte for byte (no Bcc
    # line, nothing added at the end by the submission).
    bob_raw = [g for g in find("bob@example.test", RUN)
               if parse(g[2])["Subject"] == subject][0][2]
    sent_raw = sent[0][2]
    assert sent_raw.startswith(b"Bcc: sink@example.test\r\nDate: ")
    assert bob_raw.endswith(sent_raw[sent_raw.index(b"Date: "):])
    # The uploads were used up by the send.
    status, err, _ = c.call("UploadDelete", {"id": ids[0]})
    assert status == 404, (status, err)


def drafts_with(user, tag):
    return find(user, tag, folder="Drafts", want=0, timeout=0)


def test_draft_lifecycle_and_send_deletes_it():
    c = client("alice@example.test")
    tag = "draft-%s" % RUN
    fields = {"to": ["bob@example.test"], "subject": tag, "text": "first"}
    d1 = ok(*c.call("SaveDraft", fields)[:2])["draftUid"]
    d2 = ok(*c.call("SaveDraft", dict(fields, text="second", draftUid=d1))[:2])["draftUid"]
    assert d1 != d2
    drafts = drafts_with("alice@example.test", tag)
    assert [d[0] for d in drafts] == [d2], drafts
    assert "\\Draft" in drafts[0][1]
    assert "second" in parse(drafts[0][2]).get_content()
    # Reopening the draft gives everything back and says it is a draft.
    again = ok(*c.call("ComposeFrom", {"mode": "editAsNew", "folder": "Drafts",
                                       "uid": d2})[:2])
    assert again["draftUid"] == d2 and again["subject"] == tag
    assert again["to"] == ["bob@example.test"] and again["text"].strip() == "second"
    # A half-typed recipient does not stop the autosave and comes back.
    d3 = ok(*c.call("SaveDraft", dict(fields, cc=["carol@", "Dan <dan@example.test>"],
                                      draftUid=d2))[:2])["draftUid"]
    again = ok(*c.call("ComposeFrom", {"mode": "editAsNew", "folder": "Drafts",
                                       "uid": d3})[:2])
    assert again["cc"] == ["Dan <dan@example.test>", "carol@"], again["cc"]
    status, body, _ = c.call("SaveDraft", dict(fields, cc=["x\r\nBcc: y@z"]))
    assert status == 400 and body["error"]["code"] == "header_injection", body
    ok(*c.call("Send", dict(fields, text="final", draftUid=d3, sendToken=token()))[:2])
    assert drafts_with("alice@example.test", tag) == []
    assert len(find("bob@example.test", tag)) == 1


def test_double_submit_sends_once():
    c = client("alice@example.test")
    tag = "twice-%s" % RUN
    t = token()
    req = {"to": ["bob@example.test"], "subject": tag, "text": "once", "sendToken": t}
    first = ok(*c.call("Send", req)[:2])
    second = ok(*c.call("Send", req)[:2])
    assert first == second, (first, second)
    time.sleep(2)
    assert len(find("bob@example.test", tag, want=2, timeout=3)) == 1


def test_rejected_recipient_shows_postfix_reason_and_keeps_draft():
    c = client("alice@example.test")
    tag = "reject-%s" % RUN
    fields = {"to": ["bob@example.test", "nobody@example.test"], "subject": tag,
              "text": "x"}
    d = ok(*c.call("SaveDraft", fields)[:2])["draftUid"]
    status, body, _ = c.call("Send", dict(fields, draftUid=d, sendToken=token()))
    assert status == 502, (status, body)
    e = body["error"]
    assert e["code"] == "smtp_rejected", e
    assert e["message"].startswith("550 5.1.1 <nobody@example.test>: Recipient address rejected"), e
    assert "User unknown" in e["message"], e
    assert e["detail"] == "RCPT TO <nobody@example.test>", e
    assert [x[0] for x in drafts_with("alice@example.test", tag)] == [d]
    # Nothing was delivered to the good recipient either.
    assert find("bob@example.test", tag, want=1, timeout=2) == []


def test_header_injection_and_bad_addresses_refused():
    c = client("alice@example.test")
    cases = [
        ({"subject": "hi\r\nBcc: eve@example.test"}, "header_injection"),
        ({"to": ["bob@example.test\r\nBcc: eve@example.test"]}, "header_injection"),
        ({"to": ["Bob\n <bob@example.test>"]}, "header_injection"),
        ({"to": ["not an address"]}, "invalid_address"),
        ({"to": ["a@b..c"]}, "invalid_address"),
        ({"from": "boss@example.test"}, "invalid_address"),
    ]
    for extra, code in cases:
        req = {"to": ["bob@example.test"], "subject": "inj", "text": "x",
               "sendToken": token()}
        req.update(extra)
        status, body, _ = c.call("Send", req)
        assert status == 400 and body["error"]["code"] == code, (extra, status, body)
    status, body, _ = c.call("Send", {"to": ["not valid"], "subject": "x", "sendToken": token()})
    assert "not valid" in body["error"]["detail"], body
    # A NUL never gets past the JSON parser (jansson refuses \u0000).
    status, body, _ = c.call("Send", {"to": ["bob@example.test"], "subject": "nul\u0000byte",
                                      "text": "x", "sendToken": token()})
    assert status == 400 and "\\u0000" in body["error"]["detail"], body


def message_uid(user, tag, folder="INBOX"):
    got = find(user, tag, folder=folder)
    assert len(got) == 1, (user, tag, len(got))
    return got[0][0], parse(got[0][2])


def flags(user, folder, uid):
    m = imap(user)
    try:
        m.select('"%s"' % folder)
        typ, d = m.uid("FETCH", str(uid), "(FLAGS)")
        return d[0].decode()
    finally:
        m.logout()


def test_reply_threads_and_sets_answered():
    bob, alice = client("bob@example.test"), client("alice@example.test")
    tag = "thread-%s" % RUN
    ok(*bob.call("Send", {"to": ["Alice <alice@example.test>"], "cc": ["carol@example.org"],
                          "subject": tag, "text": "line one\nline two",
                          "sendToken": token()})[:2])
    uid, orig = message_uid("alice@example.test", tag)
    r = ok(*alice.call("ComposeFrom", {"mode": "replyAll", "folder": "INBOX", "uid": uid})[:2])
    assert r["subject"] == "Re: " + tag
    assert r["to"] == ["bob@example.test"], r["to"]
    assert r["cc"] == ["carol@example.org"], r["cc"]  # alice herself dropped
    assert r["inReplyTo"] == {"folder": "INBOX", "uid": uid}
    assert "> line one\n> line two" in r["text"] and "wrote:" in r["text"]
    # Saved as a draft and reopened, the reply still knows its original.
    fields = {"to": r["to"], "subject": r["subject"], "text": "ok!\n" + r["text"],
              "inReplyTo": r["inReplyTo"]}
    d = ok(*alice.call("SaveDraft", fields)[:2])["draftUid"]
    draft_raw = drafts_with("alice@example.test", "Re: " + tag)[0][2]
    assert b"In-Reply-To: " + orig["Message-ID"].encode() in draft_raw
    back = ok(*alice.call("ComposeFrom", {"mode": "editAsNew", "folder": "Drafts",
                                          "uid": d})[:2])
    assert back["inReplyTo"] == {"folder": "INBOX", "uid": uid}, back
    assert back["draftUid"] == d and back["forwardOf"] is None
    assert back["text"] == fields["text"].rstrip("\n"), (back["text"], fields["text"])
    ok(*alice.call("Send", dict(fields, inReplyTo=back["inReplyTo"], draftUid=d,
                                sendToken=token()))[:2])
    assert drafts_with("alice@example.test", "Re: " + tag) == []
    _, reply = message_uid("bob@example.test", "Re: " + tag)
    assert reply["In-Reply-To"] == orig["Message-ID"]
    assert orig["Message-ID"] in reply["References"]
    assert "\\Answered" in flags("alice@example.test", "INBOX", uid)


def append_raw(user, raw, folder="INBOX"):
    m = imap(user)
    try:
        typ, _ = m.append(folder, None, None, raw)
        assert typ == "OK", typ
    finally:
        m.logout()


def reply_to_raw(raw, tag):
    """Put raw into alice's INBOX, reply to it to bob: what bob gets."""
    append_raw("alice@example.test", raw)
    uid, _ = message_uid("alice@example.test", tag)
    ok(*client("alice@example.test").call(
        "Send", {"to": ["bob@example.test"], "subject": "Re: " + tag, "text": "ok",
                 "inReplyTo": {"folder": "INBOX", "uid": uid}, "sendToken": token()})[:2])
    return message_uid("bob@example.test", "Re: " + tag)[1]


def test_reply_to_hostile_original_is_bounded_and_clean():
    """In-Reply-To/References come from whoever sent the original."""
    tag = "hostile-refs-%s" % RUN
    refs = " ".join("<r%05d@spam.example>" % i for i in range(1200))  # ~26 KB
    raw = ("From: Mallory <mallory@example.org>\r\nTo: alice@example.test\r\n"
           "Subject: %s\r\nMessage-ID: <orig-%s@example.org>\r\n"
           "References: <first@example.org> junk Bcc: eve@example.test\r\n %s\r\n"
           "\r\nhi\r\n" % (tag, RUN, refs)).encode()
    # Before: "message ids too long", the reply could not be sent at all.
    reply = reply_to_raw(raw, tag)
    assert reply["In-Reply-To"] == "<orig-%s@example.org>" % RUN
    got = str(reply["References"]).split()
    assert len(" ".join(got)) <= 8000, len(" ".join(got))
    assert got[0] == "<first@example.org>" and got[-1] == "<orig-%s@example.org>" % RUN, got[:2]
    assert got[-2] == "<r01199@spam.example>", got[-2]
    assert all(re.fullmatch(r"<[!-;=?-~]+>", x) for x in got), got
    assert "eve@" not in reply.as_string() and reply["Bcc"] is None

    # A Message-ID that is not one (8-bit, spaces): no thread headers at all.
    tag2 = "hostile-id-%s" % RUN
    raw = ("From: mallory@example.org\r\nTo: alice@example.test\r\nSubject: %s\r\n"
           "Message-ID: <\u00fc b@example.org> Bcc: eve@example.test\r\n\r\nhi\r\n"
           % tag2).encode()
    reply = reply_to_raw(raw, tag2)
    assert reply["In-Reply-To"] is None and reply["References"] is None, reply
    assert "eve@" not in reply.as_string()


def test_forward_carries_attachments_and_sets_forwarded():
    alice, bob = client("alice@example.test"), client("bob@example.test")
    tag = "fwd-%s" % RUN
    status, up = upload(alice, "данные.bin", BINARY)
    assert status == 200, up
    ok(*alice.call("Send", {"to": ["bob@example.test"], "subject": tag, "text": "see attached",
                            "attachments": [up["id"]], "sendToken": token()})[:2])
    uid, _ = message_uid("bob@example.test", tag)
    f = ok(*bob.call("ComposeFrom", {"mode": "forward", "folder": "INBOX", "uid": uid})[:2])
    assert f["subject"] == "Fwd: " + tag and f["forwardOf"] == {"folder": "INBOX", "uid": uid}
    assert [(a["name"], a["size"]) for a in f["attachments"]] == [("данные.bin", len(BINARY))]
    assert "see attached" in f["text"]
    ok(*bob.call("Send", {"to": ["carol@example.org"], "subject": f["subject"], "text": f["text"],
                          "attachments": [a["id"] for a in f["attachments"]],
                          "forwardOf": f["forwardOf"], "sendToken": token()})[:2])
    _, got = message_uid("carol@example.org", "Fwd: " + tag)
    atts = list(got.iter_attachments())
    assert [a.get_filename() for a in atts] == ["данные.bin"]
    assert atts[0].get_content() == BINARY
    assert "$Forwarded" in flags("bob@example.test", "INBOX", uid)
    # As an attachment: the original message, whole.
    fa = ok(*bob.call("ComposeFrom", {"mode": "forwardAttachment", "folder": "INBOX",
                                      "uid": uid})[:2])
    assert fa["attachments"][0]["type"] == "message/rfc822"
    assert fa["attachments"][0]["name"] == tag + ".eml"


def test_forwarding_a_sent_copy_as_attachment_keeps_bcc_hidden():
    alice = client("alice@example.test")
    tag = "bccfwd-%s" % RUN
    ok(*alice.call("Send", {"to": ["bob@example.test"], "bcc": ["sink@example.test"],
                            "subject": tag, "text": "secret list", "sendToken": token()})[:2])
    got = find("alice@example.test", tag, folder="Sent")
    assert len(got) == 1 and b"Bcc: sink@example.test" in got[0][2], got
    fa = ok(*alice.call("ComposeFrom", {"mode": "forwardAttachment", "folder": "Sent",
                                        "uid": got[0][0]})[:2])
    ok(*alice.call("Send", {"to": ["carol@example.org"], "subject": fa["subject"],
                            "text": "fyi", "attachments": [a["id"] for a in fa["attachments"]],
                            "sendToken": token()})[:2])
    _, msg = message_uid("carol@example.org", "Fwd: " + tag)
    inner = [p for p in msg.walk() if p.get_content_type() == "message/rfc822"]
    assert len(inner) == 1, [p.get_content_type() for p in msg.walk()]
    raw = msg.as_bytes()
    assert b"secret list" in raw  # the original is there ...
    assert b"sink@example.test" not in raw, raw  # ... but not who was in Bcc


def test_identities_and_suggestions():
    c = client("carol@example.org")
    ids = ok(*c.call("Identities")[:2])["identities"]
    assert ids == [{"id": "default", "name": "", "email": "carol@example.org", "replyTo": "",
                    "signature": "", "signatureHtml": False, "signatureAbove": False,
                    "sentFolder": "", "isDefault": True, "verified": True}], ids
    new = ok(*c.call("IdentitySave", {"name": "Carol Ö", "email": "carol@example.org",
                                      "replyTo": "help@example.org", "signature": "-- C",
                                      "isDefault": True})[:2])["id"]
    ids = ok(*c.call("Identities")[:2])["identities"]
    assert [i["id"] for i in ids] == [new] and ids[0]["name"] == "Carol Ö"
    status, body, _ = c.call("IdentitySave", {"email": "x\r\n@y"})
    assert status == 400 and body["error"]["code"] == "header_injection", body
    tag = "ident-%s" % RUN
    ok(*c.call("Send", {"identityId": new, "to": ["Bobby Tables <bob@example.test>"],
                        "subject": tag, "text": "hi", "sendToken": token()})[:2])
    _, got = message_uid("bob@example.test", tag)
    assert str(got["From"]) == "Carol Ö <carol@example.org>"
    assert got["Reply-To"].addresses[0].addr_spec == "help@example.org"
    # The login address stays usable next to stored identities.
    ok(*c.call("Send", {"identityId": "default", "to": ["bob@example.test"],
                        "subject": tag + "-login", "text": "hi", "sendToken": token()})[:2])
    _, got = message_uid("bob@example.test", tag + "-login")
    assert str(got["From"]) == "carol@example.org" and got["Reply-To"] is None
    s = ok(*c.call("AddressSuggest", {"q": "tables"})[:2])
    assert s == {"addresses": [{"name": "Bobby Tables", "email": "bob@example.test"}]}, s
    ok(*c.call("IdentityDelete", {"id": new})[:2])
    assert ok(*c.call("Identities")[:2])["identities"][0]["id"] == "default"


def test_identity_must_be_verified_to_send():
    """#14 finding 2: an identity is no licence to forge a sender."""
    c = Client()
    c.login("carol@example.org")
    made = []
    try:
        # An address of someone else: saved, shown unverified, not usable.
        bob_id = ok(*c.call("IdentitySave", {"name": "Not Bob", "email": "bob@example.test"})[:2])["id"]
        made.append(bob_id)
        ids = {i["id"]: i for i in ok(*c.call("Identities")[:2])["identities"]}
        assert ids[bob_id]["verified"] is False, ids
        tag = "forge-%s" % RUN
        status, body, _ = c.call("Send", {"identityId": bob_id, "to": ["alice@example.test"],
                                          "subject": tag, "text": "hi", "sendToken": token()})
        assert status == 403 and body["error"]["code"] == "identity_unverified", (status, body)
        status, body, _ = c.call("Send", {"identityId": "default", "from": "bob@example.test",
                                          "to": ["alice@example.test"],
                                          "subject": tag, "text": "hi", "sendToken": token()})
        assert status == 400 and body["error"]["code"] == "invalid_address", (status, body)
        assert find("alice@example.test", tag, timeout=2) == []

        # The domain's identity_allow pattern: usable at once.
        sales = ok(*c.call("IdentitySave", {"email": "carol.sales@example.org"})[:2])["id"]
        made.append(sales)
        ids = {i["id"]: i for i in ok(*c.call("Identities")[:2])["identities"]}
        assert ids[sales]["verified"] is True, ids
        ok(*c.call("Send", {"identityId": sales, "to": ["alice@example.test"],
                            "subject": tag + "-pattern", "text": "hi", "sendToken": token()})[:2])

        # The link mailed to the address (through Postfix) confirms it.
        sent = ok(*c.call("IdentityConfirm", {"id": bob_id})[:2])
        assert sent == {"sent": True, "email": "bob@example.test"}, sent
        status, body, _ = c.call("IdentityConfirm", {"id": bob_id})
        assert status == 429, (status, body)  # one mail per 5 minutes
        mails = find("bob@example.test", "Confirm this address for sending", want=1)
        text = parse(sorted(mails)[-1][2]).get_body(("plain",)).get_content()
        m = re.search(r"(https?://[^\s]+/identity/confirm\?token=([0-9a-f]{64}))", text)
        assert m, text
        page = urllib.request.urlopen(BASE + "/identity/confirm?token=" + m.group(2), timeout=30)
        html = page.read().decode()
        assert "carol@example.org may send mail from bob@example.test" in html, html
        # Looking did not confirm (a mail scanner fetching the link).
        ids = {i["id"]: i for i in ok(*c.call("Identities")[:2])["identities"]}
        assert ids[bob_id]["verified"] is False, ids
        form = urllib.parse.urlencode({"token": m.group(2)}).encode()
        page = urllib.request.urlopen(urllib.request.Request(
            BASE + "/identity/confirm", data=form, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"}), timeout=30)
        assert "Confirmed" in page.read().decode()
        ids = {i["id"]: i for i in ok(*c.call("Identities")[:2])["identities"]}
        assert ids[bob_id]["verified"] is True, ids
        # A used link is worthless.
        try:
            urllib.request.urlopen(urllib.request.Request(
                BASE + "/identity/confirm", data=form, method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"}), timeout=30)
            assert False, "a used link worked again"
        except urllib.error.HTTPError as e:
            assert e.code == 404
        ok(*c.call("Send", {"identityId": bob_id, "to": ["alice@example.test"],
                            "subject": tag + "-confirmed", "text": "hi", "sendToken": token()})[:2])
        _, got = message_uid("alice@example.test", tag + "-confirmed")
        assert got["From"].addresses[0].addr_spec == "bob@example.test"
        # A changed address must be confirmed again.
        ok(*c.call("IdentitySave", {"id": bob_id, "email": "alice@example.test"})[:2])
        ids = {i["id"]: i for i in ok(*c.call("Identities")[:2])["identities"]}
        assert ids[bob_id]["verified"] is False, ids
    finally:
        for i in made:
            c.call("IdentityDelete", {"id": i})
        c.call("Logout")


def test_identities_are_capped():
    """Each one may carry 64 KB of signature: a user cannot fill the store."""
    c = Client()
    c.login("sink@example.test")
    made = []
    try:
        have = [i for i in ok(*c.call("Identities")[:2])["identities"] if i["id"] != "default"]
        for n in range(100 - len(have)):
            made.append(ok(*c.call("IdentitySave", {"name": "Id %d" % n,
                                                    "email": "sink@example.test"})[:2])["id"])
        status, body, _ = c.call("IdentitySave", {"name": "one too many",
                                                  "email": "sink@example.test"})
        assert status == 413 and body["error"]["code"] == "TooLarge", (status, body)
        assert "100" in body["error"]["detail"], body
        # Changing one of them is still fine.
        ok(*c.call("IdentitySave", {"id": made[0], "name": "renamed",
                                    "email": "sink@example.test"})[:2])
    finally:
        for i in made:
            ok(*c.call("IdentityDelete", {"id": i})[:2])


def test_upload_limits_answer_413():
    c = client("carol@example.org")
    status, body = upload(c, "big.bin", b"\0" * (26 * 1024 * 1024))
    assert status == 413 and body["error"]["code"] == "too_large", (status, body)
    assert "25 MB" in body["error"]["message"], body
    ids = []
    for i in range(2):
        status, up = upload(c, "part%d.bin" % i, b"\1" * (20 * 1024 * 1024))
        assert status == 200, up
        ids.append(up["id"])
    status, body = upload(c, "third.bin", b"\2" * (20 * 1024 * 1024))
    assert status == 413 and body["error"]["code"] == "too_large", (status, body)
    assert "50 MB" in body["error"]["message"], body
    for i in ids:
        ok(*c.call("UploadDelete", {"id": i})[:2])
    status, up = upload(c, "third.bin", b"\2" * 1024)
    assert status == 200, up


def test_upload_quota_is_the_users_not_the_sessions():
    """#14 finding 10: a second sign-in does not bring a second quota."""
    a, b = Client(), Client()
    a.login("carol@example.org")
    b.login("carol@example.org")
    ids = []
    try:
        for i in range(2):
            status, up = upload(a, "q%d.bin" % i, b"\1" * (20 * 1024 * 1024))
            assert status == 200, up
            ids.append(up["id"])
        status, body = upload(b, "other.bin", b"\2" * (20 * 1024 * 1024))
        assert status == 413 and body["error"]["code"] == "too_large", (status, body)
        assert "50 MB" in body["error"]["message"], body
        # What is left of the quota is still there for either session.
        status, up = upload(b, "small.bin", b"\2" * 1024)
        assert status == 200, up
    finally:
        for i in ids:
            ok(*a.call("UploadDelete", {"id": i})[:2])
        ok(*a.call("Logout")[:2])
        ok(*b.call("Logout")[:2])


def test_upload_without_session_is_refused_unread():
    """An upload from nobody is 401 before its body is spooled."""
    c = Client()
    c.csrf = "x"
    status, body = upload(c, "anon.bin", b"\3" * (5 * 1024 * 1024))
    assert status == 401 and body["error"]["code"] == "AuthRequired", (status, body)


def test_boot_json_has_compose_limits():
    c = client("carol@example.org")
    status, page = c.get("/")
    assert status == 200
    m = re.search(r'<body class="page-mail" data-petrel="([^"]*)"', page)
    assert m, page[:500]
    boot = json.loads(htmllib.unescape(m.group(1)))
    assert boot["compose"] == {"autosaveSeconds": 60,
                               "attachmentLimit": 25 * 1024 * 1024,
                               "uploadTotalLimit": 50 * 1024 * 1024}, boot["compose"]


def test_logout_removes_the_sessions_uploads():
    c = Client()
    c.login("carol@example.org")
    status, up = upload(c, "temp.bin", b"x" * 1000)
    assert status == 200, up
    path = os.path.join(os.environ["PETREL_WEBSTACK_DIR"], "data", "_data_", "_default_",
                        "storage", "uploads", up["id"])
    assert os.path.getsize(path) == 1000
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    # Another session cannot use or delete it.
    other = Client()
    other.login("carol@example.org")
    status, body, _ = other.call("UploadDelete", {"id": up["id"]})
    assert status == 404, body
    ok(*c.call("Logout")[:2])
    assert not os.path.exists(path)


if __name__ == "__main__":
    run_tests(globals())
