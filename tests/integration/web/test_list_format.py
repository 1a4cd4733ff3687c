#!/usr/bin/python3
"""MessageList's smaller format 2 against the documented format 1, and
nginx's compression of JSON and static files (tests/harness/nginx.py holds
the same gzip settings as contrib/nginx/petrel.conf).

Runs on alice's INBOX from the ctest corpus (mailstack_corpus: 300
messages, seed 1).
"""
import gzip
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api import BASE, Client, ok  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

USER = "alice@example.test"
PREVIEW2_MAX = 140  # characters, docs/API.md


def decode2(page):
    """Format 2 back into format 1 rows, as static/js/mailbox/list.js does."""
    addrs = page["addresses"]
    cols = page["columns"]
    want = ["uid", "subject", "from", "to", "date", "size", "flags", "att",
            "preview"]
    if page["threads"]:
        want += ["depth", "threadSize"]
    assert cols == want, cols

    def addr(i):
        return {"name": addrs[i][0], "email": addrs[i][1]}

    rows = []
    for r in page["messages"]:
        assert len(r) == len(cols), r
        m = dict(zip(cols, r))
        f = m["flags"]
        assert set(f) <= set("sfawd"), f
        assert m["att"] in (0, 1), m
        rows.append({
            "uid": m["uid"], "subject": m["subject"], "from": addr(m["from"]),
            "to": [addr(i) for i in m["to"]], "date": m["date"],
            "seen": "s" in f, "flagged": "f" in f, "answered": "a" in f,
            "forwarded": "w" in f, "draft": "d" in f, "size": m["size"],
            "hasAttachments": m["att"] == 1, "preview": m["preview"],
            "threadDepth": m.get("depth", 0),
            "threadSize": m.get("threadSize", 1)})
    return rows


def compare(body):
    c = Client()
    c.login(USER)
    one = ok(*c.call("MessageList", body)[:2])
    two = ok(*c.call("MessageList", dict(body, format=2))[:2])
    assert "format" not in one and "addresses" not in one, one.keys()
    assert two["format"] == 2
    for k in ("total", "offset", "limit", "uidvalidity", "threads"):
        assert one[k] == two[k], (k, one[k], two[k])
    # Every address once in the table.
    table = [tuple(a) for a in two["addresses"]]
    assert len(table) == len(set(table)), table
    rows1, rows2 = one["messages"], decode2(two)
    assert len(rows1) == len(rows2) > 0
    for r1, r2 in zip(rows1, rows2):
        r1 = dict(r1)
        assert "messageId" in r1
        del r1["messageId"]
        p1 = r1.pop("preview")
        p2 = r2.pop("preview")
        # The same preview, cut at 140 characters.
        assert p1.startswith(p2) and len(p2) <= PREVIEW2_MAX, (p1, p2)
        if len(p1) <= PREVIEW2_MAX:
            assert p1 == p2, (p1, p2)
        assert r1 == r2, (r1, r2)
    return one, two


def test_format_2_carries_what_format_1_does():
    compare({"folder": "INBOX", "limit": 50})


def test_format_2_in_thread_view():
    one, two = compare({"folder": "INBOX", "limit": 50, "threads": True})
    assert two["threads"] is True


def test_format_2_of_50_rows_is_at_most_12_kib():
    c = Client()
    c.login(USER)
    req = urllib.request.Request(
        BASE + "/api/MessageList", method="POST",
        data=json.dumps({"folder": "INBOX", "limit": 50,
                         "format": 2}).encode())
    req.add_header("Content-Type", "application/json")
    req.add_header("X-Petrel-Token", c.csrf)
    with c.opener.open(req, timeout=30) as r:
        raw = r.read()
    page = json.loads(raw)
    assert len(page["messages"]) == 50, len(page["messages"])
    assert len(raw) <= 12 * 1024, "50 rows: %d bytes" % len(raw)


def test_unknown_format_is_refused():
    c = Client()
    c.login(USER)
    status, body, _ = c.call("MessageList", {"folder": "INBOX", "format": 3})
    assert status == 400, (status, body)
    assert body["error"].get("argument") == "format", body


def fetch(path, data=None, headers=None, opener=None):
    req = urllib.request.Request(BASE + path, data=data,
                                 method="POST" if data else "GET")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with (opener or urllib.request.build_opener()).open(req, timeout=30) as r:
        return r.read(), dict(r.headers)


def test_nginx_compresses_json_when_asked():
    c = Client()
    c.login(USER)
    hdr = {"Content-Type": "application/json", "X-Petrel-Token": c.csrf}
    body = json.dumps({"folder": "INBOX", "limit": 50}).encode()
    plain, h1 = fetch("/api/MessageList", body, hdr, c.opener)
    assert h1.get("Content-Encoding") is None, h1
    packed, h2 = fetch("/api/MessageList", body,
                       dict(hdr, **{"Accept-Encoding": "gzip"}), c.opener)
    assert h2.get("Content-Encoding") == "gzip", h2
    assert "Accept-Encoding" in h2.get("Vary", ""), h2
    assert json.loads(gzip.decompress(packed)) == json.loads(plain)
    assert len(packed) < len(plain) / 3, (len(packed), len(plain))


def test_nginx_compresses_static_scripts_and_styles():
    for path in ("/static/js/mailbox/list.js", "/static/css/app.css"):
        plain, _ = fetch(path)
        packed, h = fetch(path, headers={"Accept-Encoding": "gzip"})
        assert h.get("Content-Encoding") == "gzip", (path, h)
        assert gzip.decompress(packed) == plain, path


if __name__ == "__main__":
    run_tests(globals())
