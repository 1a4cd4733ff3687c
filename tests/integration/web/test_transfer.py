#!/usr/bin/python3
"""Folder export (issue 17): GET /message/export through nginx -> petrel ->
Dovecot. Every message of the mbox, unquoted by mboxrd rules, must be the
message's BODY[] as IMAP returns it after the documented transforms (CRLF
to LF, a final newline added when missing), and the response must be
streamed (chunked), not assembled with a Content-Length.
"""
import imaplib
import io
import json
import secrets
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api import Client, BASE, ok, stack_info, password  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

USER = "bob@example.test"
RUN = "%d" % (time.time() * 1000)
_client = None

MESSAGES = [
    b"From: Ann <ann@example.test>\r\nTo: bob@example.test\r\nSubject: one\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nFrom the start\r\n>From quoted\r\n"
    b">>From twice\r\nFromage is no From line\r\n",
    b"From: =?utf-8?q?B=C3=A9a?= <bea@example.test>\r\nSubject: two\r\n\r\n"
    b"no final newline",
    b"Subject: three\r\n\r\nline\r\n\r\nFrom \r\n\r\n",
]


def client():
    global _client
    if _client is None:
        _client = Client()
        _client.login(USER)
    return _client


def imap():
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login(USER, password(USER))
    return m


def filled_folder(name):
    folder = "Export%s%s" % (RUN, name)
    m = imap()
    try:
        assert m.create('"%s"' % folder)[0] == "OK"
        for raw in MESSAGES:
            assert m.append('"%s"' % folder, None, None, raw)[0] == "OK"
    finally:
        m.logout()
    return folder


def imap_bodies(folder):
    m = imap()
    try:
        m.select('"%s"' % folder, readonly=True)
        typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
        assert typ == "OK"
        return [d[1] for d in data if isinstance(d, tuple)]
    finally:
        m.logout()


def get(path):
    req = urllib.request.Request(BASE + path)
    try:
        with client().opener.open(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def mboxrd_split(data):
    """The reader side of mboxrd, written independently of Petrel's."""
    assert data.endswith(b"\n\n"), data[-20:]
    msgs = []
    for line in data.split(b"\n")[:-1]:
        if line.startswith(b"From "):
            msgs.append([])
            continue
        msgs[-1].append(line[1:] if re.match(rb"^>+From ", line) else line)
    # Each message ends with the empty line that separates it.
    for m in msgs:
        assert m[-1] == b"", m
    return [b"".join(ln + b"\n" for ln in m[:-1]) for m in msgs]


def transformed(raw):
    out = raw.replace(b"\r\n", b"\n")
    return out if out.endswith(b"\n") else out + b"\n"


def test_export_mbox_matches_imap_byte_for_byte():
    folder = filled_folder("all")
    status, headers, body = get("/message/export?folder=%s&format=mbox"
                                % urllib.parse.quote(folder))
    assert status == 200, (status, body[:200])
    assert headers["Content-Type"] == "application/mbox", headers
    assert headers["Content-Disposition"].startswith("attachment;"), headers
    assert "filename*=UTF-8''" in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Streamed: nginx passes the FastCGI stream on in chunks.
    assert headers.get("Transfer-Encoding") == "chunked", headers
    assert "Content-Length" not in headers, headers
    assert body.startswith(b"From ann@example.test Mon Mar  2 10:00:00 2026\n"), body[:80]
    # The body's "From " lines are quoted: no line but separators starts so.
    separators = [ln for ln in body.split(b"\n") if ln.startswith(b"From ")]
    assert len(separators) == 3, separators
    assert b"\n>From the start\n>>From quoted\n>>>From twice\n" in body
    assert b"\r" not in body
    got = mboxrd_split(body)
    want = [transformed(r) for r in imap_bodies(folder)]
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert g == w, (g, w)


def test_export_a_selection_and_bad_arguments():
    folder = filled_folder("some")
    status, _, body = get("/message/export?folder=%s&uids=3,1"
                          % urllib.parse.quote(folder))
    assert status == 200
    got = mboxrd_split(body)
    want = [transformed(r) for r in imap_bodies(folder)]
    assert got == [want[2], want[0]], (got, want)
    for q, code in (("uids=1,x", 400), ("format=tar", 400), ("", 400)):
        path = "/message/export?" + (
            "folder=%s&%s" % (urllib.parse.quote(folder), q) if q else "")
        status, _, body = get(path)
        assert status == code, (q, status, body[:200])
    # A folder that does not exist is an error before any byte is sent.
    status, _, _ = get("/message/export?folder=NoSuch%s" % RUN)
    assert status in (404, 502), status


def test_export_zip_holds_each_message_byte_for_byte():
    folder = filled_folder("zip")
    want = imap_bodies(folder)
    status, headers, body = get("/message/export?folder=%s&format=zip"
                                % urllib.parse.quote(folder))
    assert status == 200, (status, body[:200])
    assert headers["Content-Type"] == "application/zip", headers
    assert headers["Content-Disposition"].startswith("attachment;"), headers
    assert ".zip" in headers["Content-Disposition"], headers
    assert int(headers["Content-Length"]) == len(body), headers
    z = zipfile.ZipFile(io.BytesIO(body))
    assert z.testzip() is None
    names = z.namelist()
    # "<subject> (<uid>).eml", unchanged bytes (no CRLF transform in a zip).
    assert names == ["one (1).eml", "two (2).eml", "three (3).eml"], names
    assert [z.read(n) for n in names] == want
    # A selection, in the order asked for.
    status, _, body = get("/message/export?folder=%s&format=zip&uids=3,1"
                          % urllib.parse.quote(folder))
    assert status == 200, (status, body[:200])
    z = zipfile.ZipFile(io.BytesIO(body))
    assert z.namelist() == ["three (3).eml", "one (1).eml"], z.namelist()
    assert z.read("one (1).eml") == want[0]
    # Hostile subjects never become paths.
    m = imap()
    try:
        raw = (b"Subject: ../../etc/passwd\r\n\r\nx\r\n")
        assert m.append('"%s"' % folder, None, None, raw)[0] == "OK"
    finally:
        m.logout()
    status, _, body = get("/message/export?folder=%s&format=zip&uids=4"
                          % urllib.parse.quote(folder))
    assert status == 200, (status, body[:200])
    (name,) = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "/" not in name and "\\" not in name and name.endswith(" (4).eml"), name


def upload(folder, files):
    """POST /api/FolderImport with (filename, bytes) files."""
    c = client()
    boundary = "----petrel" + secrets.token_hex(8)
    body = ("--%s\r\nContent-Disposition: form-data; name=\"folder\"\r\n\r\n%s\r\n"
            % (boundary, folder)).encode()
    for name, data in files:
        body += (("--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                  "filename=\"%s\"\r\nContent-Type: message/rfc822\r\n\r\n")
                 % (boundary, name)).encode() + data + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    req = urllib.request.Request(BASE + "/api/FolderImport", data=body, method="POST")
    req.add_header("Content-Type", "multipart/form-data; boundary=" + boundary)
    req.add_header("X-Petrel-Token", c.csrf)
    try:
        with c.opener.open(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_import_eml_files_one_broken():
    folder = "Import%seml" % RUN
    m = imap()
    assert m.create('"%s"' % folder)[0] == "OK"
    m.logout()
    files = [("a.eml", MESSAGES[0]),
             ("broken.eml", b"\x89PNG\r\n\x1a\nnot a message"),
             ("nul.eml", b"Subject: x\r\n\r\nbody\x00more\r\n"),
             ("b.eml", MESSAGES[1])]
    status, r = upload(folder, files)
    assert status == 200, (status, r)
    assert r["imported"] == 2 and r["failed"] == 2, r
    res = r["results"]
    assert [x["name"] for x in res] == ["a.eml", "broken.eml", "nul.eml", "b.eml"]
    assert [x["ok"] for x in res] == [True, False, False, True], res
    assert "header" in res[1]["error"] and "NUL" in res[2]["error"], res
    # The good ones landed byte-identical, \Seen, dated by their Date header.
    assert imap_bodies(folder) == [MESSAGES[0], MESSAGES[1]]
    m = imap()
    try:
        m.select('"%s"' % folder, readonly=True)
        typ, data = m.uid("FETCH", "%d" % res[0]["uid"], "(FLAGS INTERNALDATE)")
        assert b"\\Seen" in data[0] and b"02-Mar-2026 10:00:00 +0000" in data[0], data
    finally:
        m.logout()


def test_import_mbox_round_trips_an_export():
    source = filled_folder("mboxsrc")
    status, _, mbox = get("/message/export?folder=%s" % urllib.parse.quote(source))
    assert status == 200
    folder = "Import%smbox" % RUN
    m = imap()
    assert m.create('"%s"' % folder)[0] == "OK"
    m.logout()
    status, r = upload(folder, [("all.mbox", mbox), ("no.mbox", b"Subject: x\r\n")])
    assert status == 200, (status, r)
    assert r["imported"] == 3 and r["failed"] == 1, r
    assert r["results"][3]["name"] == "no.mbox" and "mbox" in r["results"][3]["error"]
    # Byte-identical but for the final line end export adds.
    assert imap_bodies(folder) == [transformed(x).replace(b"\n", b"\r\n")
                                   for x in imap_bodies(source)]
    status, r = upload(folder, [])
    assert status == 400, (status, r)


if __name__ == "__main__":
    run_tests(globals())
