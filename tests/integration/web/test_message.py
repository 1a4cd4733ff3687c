#!/usr/bin/python3
"""Reading a message: the Message API, /message/body, /message/part and
/message/raw through nginx -> petrel -> Dovecot, with the fixture corpus
(tests/harness/fixtures). Every test delivers its mail into a folder of its
own, so the order of tests does not matter.
"""
import base64
import html
import json
import re
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api import Client, HARNESS, STACK, BASE, ok  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

FIXTURES = os.path.join(HARNESS, "fixtures")
USER = "bob@example.test"
RUN = "%d" % (time.time() * 1000)
_client = None


def client():
    global _client
    if _client is None:
        _client = Client()
        _client.login(USER)
    return _client


def deliver(name, *files, raw=None):
    """Put the fixture files (or raw bytes) into a fresh folder; returns it."""
    folder = "Msg%s%s" % (RUN, name)
    paths = [os.path.join(FIXTURES, f) for f in files]
    if raw is not None:
        p = os.path.join(STACK, "tmp-%s-%s.eml" % (RUN, name))
        with open(p, "wb") as f:
            f.write(raw)
        paths.append(p)
    subprocess.run([sys.executable, os.path.join(HARNESS, "mailstack.py"),
                    "fill-maildir", "--dir", STACK, "--user", USER,
                    "--folder", folder] + paths, check=True,
                   stdout=subprocess.DEVNULL)
    return folder


def message(folder, uid=1, **extra):
    body = {"folder": folder, "uid": uid}
    body.update(extra)
    return ok(*client().call("Message", body)[:2])


def get(path):
    """GET with the session cookie: (status, headers, body bytes)."""
    req = urllib.request.Request(BASE + path)
    try:
        with client().opener.open(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def html_unescape(s):
    return html.unescape(s)


def open_fixture(fixture):
    folder = deliver(fixture[:-4].replace("-", ""), fixture)
    return folder, message(folder)


# ---------------------------------------------------------------- tests

CHARSET_CASES = [
    ("01-plain-utf8.eml", "Grüße aus München", "Grüße aus München! Ünïcödé"),
    ("06-charset-koi8-r.eml", "Отчёт за квартал", "Здравствуйте!"),
    ("07-charset-windows-1251.eml", "Счёт на оплату", "Добрый день!"),
    ("08-charset-iso-2022-jp.eml", "会議の議事録", "田中様"),
    ("09-charset-gb2312.eml", "季度报告", "你好！"),
    ("10-charset-iso-8859-1.eml", "Réunion à côté", "la réunion est déplacée à 15h"),
]


def test_charsets_come_back_as_utf8():
    for fixture, subject, text in CHARSET_CASES:
        _, m = open_fixture(fixture)
        assert m["subject"] == subject, (fixture, m["subject"])
        assert text in m["text"], (fixture, m["text"])
        assert m["html"] is None, fixture
        assert "\ufffd" not in m["text"], (fixture, m["text"])


def test_badly_folded_rfc2047():
    _, m = open_fixture("11-rfc2047-bad-fold.eml")
    assert "See subject." in m["text"], m
    # The "ч" cut between two B-words is joined before conversion (text.c).
    assert m["subject"] == "Отчёт о работе", m["subject"]


def test_rfc2047_split_multibyte_characters():
    folder, m = open_fixture("21-rfc2047-split-multibyte.eml")
    assert m["subject"] == "テスト", m["subject"]
    assert m["from"]["name"] == "季度报告", m["from"]
    assert [c["name"] for c in m["cc"]] == ["Party \U0001f389"], m["cc"]
    assert "Split characters in the headers." in m["text"], m
    # The list rows decode the same envelope the same way.
    rows = ok(*client().call("MessageList", {"folder": folder})[:2])["messages"]
    assert rows[0]["subject"] == "テスト", rows[0]


def test_names_are_decoded():
    _, m = open_fixture("06-charset-koi8-r.eml")
    assert m["from"]["name"] == "Иван Петров", m["from"]
    _, m = open_fixture("11-rfc2047-bad-fold.eml")
    assert m["from"]["name"] == "Alice Mártin", m["from"]


def test_lying_and_unknown_charsets_degrade():
    _, m = open_fixture("14-malformed-lying-charset.eml")
    assert "Это windows-1251" in m["text"], m["text"]
    names = [a["part"] for a in m["attachments"]]
    assert "2" in names, m["attachments"]


def test_bad_base64_and_missing_boundary_still_show():
    _, m = open_fixture("13-malformed-bad-base64.eml")
    assert "Hello" in m["text"] and "world" in m["text"], m["text"]
    _, m = open_fixture("12-malformed-no-closing-boundary.eml")
    assert "closing boundary is missing" in m["text"], m["text"]
    assert any(a["name"] == "cut.pdf" for a in m["attachments"]), m


def test_alternative_prefers_html():
    _, m = open_fixture("02-alternative.eml")
    assert m["html"] is not None and "<b>ship</b>" in m["html"], m["html"]
    assert 'href="https://example.test/wiki"' in m["html"]
    assert 'rel="noopener noreferrer"' in m["html"]
    assert m["attachments"] == [], m["attachments"]


def test_hostile_html_is_neutralised():
    folder, m = open_fixture("15-hostile-html-xss.eml")
    h = m["html"].lower()
    assert "account notice" in h
    for bad in ("<script", "javascript:", " onerror", " onload", "<svg",
                "<math", "<iframe", "<object", "<embed", "<form", "<base",
                "<meta", "<link", "data:text/html"):
        assert bad not in h, (bad, h[:2000])
    status, headers, body = get(m["bodyUrl"])
    assert status == 200
    b = body.decode().lower()
    assert "<script" not in b and "javascript:" not in b
    assert "account notice" in b


def test_remote_images_blocked_and_reported():
    folder, m = open_fixture("16-hostile-remote-tracking.eml")
    assert m["remoteBlocked"] is True, m
    assert "tracker.example/open.gif" not in m["html"]
    for attr in (' src="https://', " src='https://", "url(https", "@import"):
        assert attr not in m["html"], (attr, m["html"])
    assert "Spring deals!" in m["html"]
    status, headers, body = get(m["bodyUrl"])
    assert headers.get("X-Petrel-Remote-Blocked") == "1", headers
    status, headers, body = get(m["bodyUrl"] + "&images=1")
    assert "https:" in headers["Content-Security-Policy"]
    assert b"cdn.newsletter.example/header.jpg" in body
    assert b"tracker.example/open.gif" not in body


def test_body_route_has_its_own_csp():
    folder, m = open_fixture("02-alternative.eml")
    assert m["bodyUrl"].startswith("/message/body?"), m["bodyUrl"]
    status, headers, body = get(m["bodyUrl"])
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; img-src 'self' data:;"), csp
    for part in ("style-src 'unsafe-inline'", "frame-ancestors 'self'",
                 "base-uri 'none'", "form-action 'none'",
                 # The Print link opens this document top-level: the
                 # header alone must keep it out of the app's origin.
                 "sandbox allow-popups allow-popups-to-escape-sandbox"):
        assert part in csp, csp
    assert "allow-same-origin" not in csp and "allow-scripts" not in csp
    assert "script-src" not in csp and "http:" not in csp
    assert headers.get("X-Frame-Options") == "SAMEORIGIN"
    assert body.startswith(b"<!doctype html>")
    assert b"<b>ship</b>" in body
    # Plain text bodies: escaped, linkified, in the same document.
    folder, m = open_fixture("05-thread-2-reply.eml")
    status, headers, body = get(m["bodyUrl"])
    assert status == 200 and b"<blockquote" in body, body
    # Without a session: no body.
    req = urllib.request.Request(BASE + m["bodyUrl"])
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    assert status in (401, 403, 302, 303), status


def test_related_cid_images_point_to_part_route():
    folder, m = open_fixture("04-related-cid.eml")
    html = m["html"]
    assert html.count("/message/part?") >= 2, html
    assert "cid:" not in html.replace("data-petrel-cid", ""), html
    cids = {a["cid"]: a for a in m["attachments"] if a["cid"]}
    assert "logo-04@example.test" in cids, m["attachments"]
    url = cids["logo-04@example.test"]["url"]
    assert url.replace("&", "&amp;") in html or url in html, (url, html)
    status, headers, body = get(url)
    assert status == 200, status
    assert headers["Content-Type"] == "image/png", headers
    assert body.startswith(b"\x89PNG"), body[:8]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "plugin-types application/pdf" in headers["Content-Security-Policy"]
    assert headers["Content-Disposition"].startswith("inline;"), headers


def test_attachments_have_decoded_names_and_safe_downloads():
    folder, m = open_fixture("03-attachments-rfc2231.eml")
    names = [a["name"] for a in m["attachments"]]
    assert "Отчёт за 2024 год (финальная версия).pdf" in names, names
    assert "Präsentation.pdf" in names, names
    assert "report.pdf" in names, names
    assert "写真.png" in names, names
    att = [a for a in m["attachments"] if a["name"].startswith("Отчёт")][0]
    assert att["type"] == "application/pdf" and att["size"] > 0, att
    status, headers, body = get(att["url"] + "&download=1")
    assert status == 200
    assert body.startswith(b"%PDF"), body[:10]
    cd = headers["Content-Disposition"]
    assert cd.startswith("attachment; filename=\""), cd
    assert "filename*=UTF-8''" + urllib.parse.quote(att["name"], safe="") in cd, cd
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Shown inline, a PDF is sandboxed too (finding 8 of issue 14).
    status, headers, body = get(att["url"])
    assert status == 200 and body.startswith(b"%PDF"), body[:10]
    assert headers["Content-Disposition"].startswith("inline;"), headers
    csp = headers["Content-Security-Policy"]
    assert csp.split("; ")[-1] == "sandbox" or "; sandbox;" in csp, csp


def test_html_svg_and_unknown_parts_never_inline():
    raw = (b"From: a@example.test\r\nTo: bob@example.test\r\nSubject: parts\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nsee parts\r\n"
           b"--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"x.html\"\r\n\r\n"
           b"<script>alert(1)</script>\r\n"
           b"--b\r\nContent-Type: image/svg+xml; name=\"../../etc/x\r.svg\"\r\n\r\n"
           b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>\r\n"
           b"--b\r\nContent-Type: application/x-whatever\r\n\r\nzzz\r\n"
           b"--b\r\nContent-Type: text/xml\r\n\r\n<a/>\r\n--b--\r\n")
    folder = deliver("inline", raw=raw)
    m = message(folder)
    assert len(m["attachments"]) == 4, m["attachments"]
    for a in m["attachments"]:
        assert "/" not in a["name"] and "\r" not in a["name"], a
        status, headers, body = get(a["url"])
        assert status == 200, a
        assert headers["Content-Type"] == "application/octet-stream", (a, headers)
        assert headers["Content-Disposition"].startswith("attachment;"), headers
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_forwarded_message_is_an_attachment_and_viewable():
    folder, m = open_fixture("17-forwarded-rfc822.eml")
    assert "Forwarding this." in m["text"]
    fwd = [a for a in m["attachments"] if a["type"] == "message/rfc822"]
    assert len(fwd) == 1 and fwd[0]["name"] == "Invoice 4711.eml", m["attachments"]
    inner = message(folder, part=fwd[0]["part"])
    assert inner["subject"] == "Invoice 4711", inner
    assert "Your invoice." in inner["text"]
    assert any(a["name"] == "invoice-4711.pdf" for a in inner["attachments"])
    status, headers, body = get(fwd[0]["url"])
    assert status == 200 and b"Subject: Invoice 4711" in body
    assert headers["Content-Disposition"].startswith("attachment;")
    # The attached message's own header, source and attachments.
    q = "folder=%s&uid=1&part=%s" % (urllib.parse.quote(folder), fwd[0]["part"])
    hdrs = ok(*client().call("MessageHeaders", {"folder": folder, "uid": 1,
                                                "part": fwd[0]["part"]})[:2])
    subj = [h["value"] for h in hdrs["headers"] if h["name"] == "Subject"]
    assert subj == ["Invoice 4711"], hdrs
    status, headers, body = get("/message/raw?" + q)
    assert status == 200 and body.startswith(b"From: Online Shop"), body[:80]
    assert b"Forwarding this." not in body
    status, headers, body = get("/message/raw?" + q + "&download=1")
    assert status == 200 and "message-1-2.eml" in headers["Content-Disposition"]
    status, headers, body = get("/message/zip?" + q)
    assert status == 200 and headers["Content-Type"] == "application/zip"
    assert b"invoice-4711.pdf" in body and b"Invoice 4711.eml" not in body
    # A part that is no attached message is refused.
    status, _, _ = get("/message/raw?folder=%s&uid=1&part=1" % urllib.parse.quote(folder))
    assert status == 404, status
    status, body = client().call("MessageHeaders", {"folder": folder, "uid": 1, "part": "1"})[:2]
    assert status == 404, (status, body)


QUOTED_REPLY = (
    "From: Carol Dubois <carol@example.org>\r\n"
    "To: Bob Schneider <bob@example.test>\r\n"
    "Subject: Re: long quote\r\n"
    "Date: Mon, 13 Oct 2025 08:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Short answer first.\r\n"
    "> one short quote\r\n"
    "\r\n"
    "On Sunday Bob wrote:\r\n"
    + "".join("> quoted line %d <b>\r\n" % i for i in range(1, 8))
    + ">> older line\r\n"
    "\r\n"
    "Regards\r\n").encode()


def test_long_plain_quotes_are_folded():
    folder = deliver("quotes", raw=QUOTED_REPLY)
    m = message(folder)
    # The API's text stays the text; the fold is markup of the body page.
    assert "> quoted line 7 <b>" in m["text"], m["text"]
    status, headers, body = get(m["bodyUrl"])
    assert status == 200, status
    html = body.decode()
    # The short quote stays open, the long one (8 lines) is folded.
    assert html.count("<details") == 1, html
    assert ('<blockquote type="cite">one short quote</blockquote>') in html, html
    assert ('On Sunday Bob wrote:<details class="petrel-quote"><summary>'
            'Show quoted text (8 lines)</summary><blockquote type="cite">'
            'quoted line 1 &lt;b&gt;<br>') in html, html
    assert 'older line</blockquote></blockquote></details><br>\nRegards' in html, html
    # <details> opens without script: the page has none and may run none.
    assert "<script" not in html
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_calendar_summary():
    folder, m = open_fixture("19-calendar-invite.eml")
    cal = m["calendar"]
    assert cal is not None, m
    assert "Event: Design review" in cal["summary"], cal
    assert "Start: 2025-10-20 14:00 UTC" in cal["summary"], cal
    assert "Carol Dubois <carol@example.org>" in cal["summary"], cal


def test_minimal_message_and_headers():
    folder, m = open_fixture("18-minimal-headers.eml")
    assert m["subject"] == "" and "Just a body." in m["text"], m
    folder, m = open_fixture("05-thread-3-reply.eml")
    assert m["messageId"] == "<fx-thread-r2@example.org>", m
    assert "<fx-thread-root@example.test>" in m["references"], m


def test_opening_marks_seen():
    folder = deliver("seen", "01-plain-utf8.eml")
    lst = ok(*client().call("MessageList", {"folder": folder})[:2])
    assert "\\Seen" not in json.dumps(lst) or lst["messages"][0].get("seen") is False
    m = message(folder)
    assert "\\Seen" in m["flags"], m["flags"]
    lst = ok(*client().call("MessageList", {"folder": folder})[:2])
    row = lst["messages"][0]
    assert row.get("seen") is True or "\\Seen" in json.dumps(row), row


def test_raw_source():
    folder = deliver("raw", "10-charset-iso-8859-1.eml")
    status, headers, body = get("/message/raw?folder=%s&uid=1" % urllib.parse.quote(folder))
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8", headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"Message-ID: <fx-iso-8859-1@example.org>" in body
    status, headers, body = get("/message/raw?folder=%s&uid=1&download=1" % urllib.parse.quote(folder))
    assert headers["Content-Disposition"].startswith("attachment;"), headers
    assert ".eml" in headers["Content-Disposition"]


def test_one_view_sanitizes_once():
    """Issue 14 finding 14: the frame's /message/body takes the document the
    Message call rendered; only a second load (Print, reload) renders."""
    folder, m = open_fixture("02-alternative.eml")
    status, headers, first = get(m["bodyUrl"])
    assert status == 200 and headers.get("X-Petrel-Body") == "reused", headers
    status, headers, again = get(m["bodyUrl"])
    assert status == 200 and headers.get("X-Petrel-Body") == "rendered", headers
    assert first == again and b"<b>ship</b>" in first
    # Another session never gets this session's document.
    message(folder)
    other = Client()
    other.login(USER)
    req = urllib.request.Request(BASE + m["bodyUrl"])
    with other.opener.open(req, timeout=60) as r:
        assert r.headers.get("X-Petrel-Body") == "rendered"


def huge_html_message(with_plain):
    html = (b"<html><body><p>HUGE-HTML-START</p>" +
            b"<div><span style=\"color:red\">x</span></div>\r\n" * 60000 +
            b"</body></html>\r\n")
    assert len(html) > 2 * 1024 * 1024
    parts = b""
    if with_plain:
        parts += (b"--aa\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                  b"The plain version.\r\n")
    parts += (b"--aa\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html +
              b"--aa--\r\n")
    return (b"From: a@example.test\r\nTo: bob@example.test\r\nSubject: huge html\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=aa\r\n"
            b"\r\n" + parts)


def test_huge_html_is_not_sanitized_and_offers_the_original():
    """Issue 14 finding 14: an HTML part over [limits] max_html_size (2 MiB
    by default) is neither fetched nor sanitized: the plain alternative is
    shown with a notice and a link to download the original."""
    folder = deliver("hugehtml", raw=huge_html_message(True))
    m = message(folder)
    assert m["htmlSkipped"] and m["htmlSkipped"] > 2 * 1024 * 1024, m["htmlSkipped"]
    assert m["html"] is None
    assert "The plain version." in m["text"], m["text"]
    status, headers, body = get(m["bodyUrl"])
    assert status == 200
    assert b'class="petrel-too-big"' in body and b"too large" in body, body[:600]
    assert b"The plain version." in body
    assert b"HUGE-HTML-START" not in body
    link = re.search(rb'href="(/message/raw\?[^"]+download=1)"', body)
    assert link, body[:600]
    status, headers, raw = get(html_unescape(link.group(1).decode()))
    assert status == 200 and b"HUGE-HTML-START" in raw
    assert headers["Content-Disposition"].startswith("attachment;"), headers
    # HTML only: the notice alone.
    folder = deliver("hugehtmlonly", raw=huge_html_message(False))
    m = message(folder)
    assert m["htmlSkipped"] and m["text"] == "", m
    status, headers, body = get(m["bodyUrl"])
    assert b"petrel-too-big" in body and b"HUGE-HTML-START" not in body
    # A small HTML message is unaffected.
    folder, m = open_fixture("02-alternative.eml")
    assert m["htmlSkipped"] is None and "<b>ship</b>" in m["html"]


def test_big_message_shows_text_without_the_attachment():
    blob = base64.encodebytes(os.urandom(15 * 1024 * 1024))
    raw = (b"From: a@example.test\r\nTo: bob@example.test\r\nSubject: big\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=bb\r\n\r\n"
           b"--bb\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe big one.\r\n"
           b"--bb\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + blob.replace(b"\n", b"\r\n") +
           b"--bb--\r\n")
    assert len(raw) > 20 * 1000 * 1000
    folder = deliver("big", raw=raw)
    message(folder)  # warm the connection and the folder
    t0 = time.time()
    m = message(folder)
    took = time.time() - t0
    assert "The big one." in m["text"], m["text"]
    assert m["attachments"][0]["size"] > 15 * 1000 * 1000
    # Fetching 20 MB through IMAP + petrel takes far longer than this.
    t0 = time.time()
    status, headers, body = get("/message/raw?folder=%s&uid=1" % urllib.parse.quote(folder))
    raw_took = time.time() - t0
    assert len(body) > 20 * 1000 * 1000
    assert took < 1.5 and took < raw_took, (took, raw_took)


def test_big_parts_stream_byte_identical():
    """/message/part and /message/raw send what IMAP hands over in 1 MB
    pieces, decoded on the way: a 20 MB base64 part and a quoted-printable
    part with long lines and soft breaks come out byte for byte."""
    import hashlib
    import quopri
    blob = os.urandom(20 * 1024 * 1024 + 12345)
    b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    text = ("Grüße, Ünïcödé = 100%, tab\there  \n" * 40000
            + "x" * 3000 + " end =\n").encode()
    qp = quopri.encodestring(text).replace(b"\n", b"\r\n")
    raw = (b"From: a@example.test\r\nTo: bob@example.test\r\nSubject: stream\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=ss\r\n\r\n"
           b"--ss\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTwo parts.\r\n"
           b"--ss\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
           b"--ss\r\nContent-Type: text/plain; charset=utf-8; name=notes.txt\r\n"
           b"Content-Disposition: attachment; filename=notes.txt\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp +
           b"\r\n--ss--\r\n")
    folder = deliver("stream", raw=raw)
    m = message(folder)
    by_name = {a["name"]: a for a in m["attachments"]}
    status, headers, body = get(by_name["big.bin"]["downloadUrl"])
    assert status == 200, (status, body[:200])
    assert len(body) == len(blob), (len(body), len(blob))
    assert hashlib.sha256(body).digest() == hashlib.sha256(blob).digest()
    assert headers["Content-Disposition"].startswith("attachment;"), headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = get(by_name["notes.txt"]["downloadUrl"])
    assert status == 200, status
    # quoted-printable ends lines with CRLF on the wire; the last soft
    # break joins " end =" to the closing CRLF.
    assert body == quopri.decodestring(qp), (len(body), len(text))
    status, headers, body = get("/message/raw?folder=%s&uid=1&download=1"
                                % urllib.parse.quote(folder))
    assert status == 200, status
    assert body == raw, (len(body), len(raw))
    # A UID that is gone still gets an error, not an empty download (the
    # headers go out with the first piece only).
    for url in ("/message/part?folder=%s&uid=99&part=2&download=1",
                "/message/raw?folder=%s&uid=99&download=1"):
        status, headers, body = get(url % urllib.parse.quote(folder))
        assert status == 404, (url, status)
        assert "Content-Disposition" not in headers, (url, headers)


def test_errors():
    status, body, _ = client().call("Message", {"folder": "INBOX", "uid": 999999})
    assert status == 404, (status, body)
    status, body, _ = client().call("Message", {"folder": "INBOX"})
    assert status == 400, (status, body)
    status, headers, body = get("/message/part?folder=INBOX&uid=1&part=1;x")
    assert status == 400, status


def test_always_show_images_from_sender():
    folder, m = open_fixture("16-hostile-remote-tracking.eml")
    assert m["remoteBlocked"] is True and m["imagesAllowedForSender"] is False, m
    assert "&images=1" not in m["bodyUrl"], m["bodyUrl"]
    c = client()
    try:
        # Stored normalised: trimmed and lower-cased.
        ok(*c.call("ImagesAllow", {"sender": " News@Newsletter.EXAMPLE "})[:2])
        ok(*c.call("ImagesAllow", {"sender": "news@newsletter.example"})[:2])
        lst = ok(*c.call("ImagesAllowed", {})[:2])
        assert lst["senders"].count("news@newsletter.example") == 1, lst
        m = message(folder)
        assert m["remoteBlocked"] is False, m
        assert m["imagesAllowedForSender"] is True, m
        assert "cdn.newsletter.example/header.jpg" in m["html"], m["html"]
        # Tracking pixels stay hidden even for an allowed sender.
        assert "tracker.example/open.gif" not in m["html"], m["html"]
        assert m["bodyUrl"].endswith("&images=1"), m["bodyUrl"]
        status, headers, body = get(m["bodyUrl"])
        assert status == 200 and b"cdn.newsletter.example/header.jpg" in body
        assert b"tracker.example/open.gif" not in body
        # Without images=: the body route looks the sender up itself.
        plain = m["bodyUrl"][:-len("&images=1")]
        status, headers, body = get(plain)
        assert "https:" in headers["Content-Security-Policy"], headers
        assert headers.get("X-Petrel-Remote-Blocked") == "0", headers
        assert b"cdn.newsletter.example/header.jpg" in body
        # images=0: the user's choice for this message wins.
        status, headers, body = get(plain + "&images=0")
        assert "https:" not in headers["Content-Security-Policy"], headers
        assert b' src="https://cdn.newsletter.example/header.jpg' not in body
        assert headers.get("X-Petrel-Remote-Blocked") == "1", headers
        # Another sender's mail is unaffected.
        _, other = open_fixture("02-alternative.eml")
        assert other["imagesAllowedForSender"] is False, other
    finally:
        ok(*c.call("ImagesDisallow", {"sender": "NEWS@newsletter.example"})[:2])
    lst = ok(*c.call("ImagesAllowed", {})[:2])
    assert "news@newsletter.example" not in lst["senders"], lst
    m = message(folder)
    assert m["remoteBlocked"] is True and m["imagesAllowedForSender"] is False
    status, headers, body = get(m["bodyUrl"])
    assert "https:" not in headers["Content-Security-Policy"], headers
    assert headers.get("X-Petrel-Remote-Blocked") == "1", headers


def test_images_allow_validates_and_needs_csrf():
    c = client()
    for bad in ("", "no-at-sign", "a\u0001b@example.test", "a\nb@example.test",
                "x" * 250 + "@a.test", 42, None):
        status, body, _ = c.call("ImagesAllow", {"sender": bad})
        assert status == 400, (bad, status, body)
    status, body, _ = c.call("ImagesAllow", {})
    assert status == 400, (status, body)
    status, body, _ = c.call("ImagesAllow", {"sender": "x@csrf.test"}, token=False)
    assert status == 403, (status, body)
    status, body, _ = c.call("ImagesDisallow", {"sender": "x@csrf.test"}, token=False)
    assert status == 403, (status, body)
    status, body, _ = c.call("ImagesAllowed", {}, token=False)
    assert status == 403, (status, body)
    lst = ok(*c.call("ImagesAllowed", {})[:2])
    assert "x@csrf.test" not in lst["senders"], lst
    # Exactly 254 bytes is accepted; removing an unknown sender is fine.
    edge = "y" * 240 + "@edge.example"
    assert len(edge) == 253
    ok(*c.call("ImagesAllow", {"sender": edge + "e"})[:2])
    ok(*c.call("ImagesDisallow", {"sender": edge + "e"})[:2])
    ok(*c.call("ImagesDisallow", {"sender": "never@listed.test"})[:2])
    # Without a session: 401.
    anon = Client()
    status, body, _ = anon.call("ImagesAllowed", {})
    assert status in (401, 403), (status, body)


def test_message_headers_all_in_order_unfolded_decoded():
    raw = (b"Received: from a.example by b.example;\r\n"
           b"\tFri, 1 Nov 2024 10:00:00 +0000\r\n"
           b"Received: from c.example by a.example; Fri, 1 Nov 2024 09:59:00 +0000\r\n"
           b"From: =?UTF-8?B?QWxpY2UgTcOhcnRpbg==?= <alice@example.test>\r\n"
           b"To: bob@example.test\r\n"
           b"Subject: =?ISO-8859-1?Q?R=E9union?=\r\n"
           b"  =?ISO-8859-1?Q?_=E0_c=F4t=E9?=\r\n"
           b"X-Long: one\r\n two\r\n\tthree\r\n"
           b"X-Empty:\r\n"
           b"X-Ctl: a\x01b\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Subject: not a header, the body\r\n")
    folder = deliver("hdrs", raw=raw)
    r = ok(*client().call("MessageHeaders", {"folder": folder, "uid": 1})[:2])
    h = r["headers"]
    assert all(set(x) == {"name", "value"} for x in h), h
    names = [x["name"] for x in h]
    # Every field, in order (the delivery agent may prepend its own).
    want = ["Received", "Received", "From", "To", "Subject", "X-Long",
            "X-Empty", "X-Ctl", "MIME-Version", "Content-Type"]
    assert names[-len(want):] == want, names
    v = {x["name"]: x["value"] for x in h}
    recv = [x["value"] for x in h if x["name"] == "Received"][-2:]
    # Unfolded: the line break goes, the white space stays (a tab is shown
    # as a space, like every control character).
    assert recv[0] == "from a.example by b.example; Fri, 1 Nov 2024 10:00:00 +0000", recv
    assert recv[1].startswith("from c.example"), recv
    assert v["From"] == "Alice Mártin <alice@example.test>", v["From"]
    assert v["Subject"] == "Réunion à côté", v["Subject"]
    assert v["X-Long"] == "one two three", v["X-Long"]
    assert v["X-Empty"] == "", v
    assert "\x01" not in v["X-Ctl"] and v["X-Ctl"].startswith("a"), v["X-Ctl"]
    assert "not a header" not in json.dumps(h, ensure_ascii=False)
    status, body, _ = client().call("MessageHeaders", {"folder": folder, "uid": 99})
    assert status == 404, (status, body)
    status, body, _ = client().call("MessageHeaders", {"folder": folder})
    assert status == 400, (status, body)
    status, body, _ = client().call("MessageHeaders", {"folder": folder, "uid": 1},
                                    token=False)
    assert status == 403, (status, body)


def test_zip_of_all_attachments():
    import io
    import zipfile
    raw = (b"From: a@example.test\r\nTo: bob@example.test\r\n"
           b"Subject: =?UTF-8?Q?Zip_f=C3=BCr/alle?=\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
           b"--zz\r\nContent-Type: text/plain\r\n\r\nthe body, not zipped\r\n"
           b"--zz\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" +
           base64.encodebytes(b"%PDF-1.4 one" * 100).replace(b"\n", b"\r\n") +
           b"--zz\r\nContent-Type: application/pdf; name=\"REPORT.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" +
           base64.encodebytes(b"%PDF-1.4 two").replace(b"\n", b"\r\n") +
           b"--zz\r\nContent-Type: text/plain; name=\"../../etc/passwd\"\r\n"
           b"Content-Disposition: attachment; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt\r\n\r\n"
           b"hello\r\n"
           b"--zz\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n\r\n"
           b"three\r\n--zz--\r\n")
    folder = deliver("zip", raw=raw)
    m = message(folder)
    assert len(m["attachments"]) == 4, m["attachments"]
    url = "/message/zip?folder=%s&uid=1" % urllib.parse.quote(folder)
    status, headers, body = get(url)
    assert status == 200, (status, body[:300])
    assert headers["Content-Type"] == "application/zip", headers
    cd = headers["Content-Disposition"]
    assert cd.startswith("attachment; filename=\""), cd
    assert "filename*=UTF-8''" + urllib.parse.quote("Zip für_alle.zip", safe="") in cd, cd
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert int(headers["Content-Length"]) == len(body)
    z = zipfile.ZipFile(io.BytesIO(body))
    assert z.testzip() is None
    infos = {i.filename: i.file_size for i in z.infolist()}
    assert list(infos) == ["report.pdf", "REPORT (2).pdf", "отчёт.txt",
                           "report (3).pdf"], infos
    assert infos["report.pdf"] == 1200 and z.read("report.pdf") == b"%PDF-1.4 one" * 100
    assert z.read("REPORT (2).pdf") == b"%PDF-1.4 two"
    assert z.read("отчёт.txt") == b"hello"
    assert z.read("report (3).pdf") == b"three"
    if shutil.which("unzip"):
        # Info-ZIP reads it too (names as UTF-8, sizes as stored).
        p = os.path.join(STACK, "tmp-%s-all.zip" % RUN)
        with open(p, "wb") as f:
            f.write(body)
        out = subprocess.run(["unzip", "-l", p], capture_output=True,
                             check=True).stdout.decode("utf-8", "replace")
        os.unlink(p)
        for name, size in infos.items():
            assert any(ln.split()[:1] == [str(size)] and ln.endswith(name)
                       for ln in out.splitlines()), (name, size, out)
    # No attachments: 404; bad input: 400; no session: refused.
    folder2 = deliver("zipnone", "01-plain-utf8.eml")
    status, _, _ = get("/message/zip?folder=%s&uid=1" % urllib.parse.quote(folder2))
    assert status == 404, status
    status, _, _ = get("/message/zip?folder=%s" % urllib.parse.quote(folder))
    assert status == 400, status
    try:
        with urllib.request.urlopen(urllib.request.Request(BASE + url), timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    assert status in (401, 403, 302, 303), status


if __name__ == "__main__":
    run_tests(globals())
