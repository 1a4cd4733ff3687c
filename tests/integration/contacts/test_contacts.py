#!/usr/bin/python3
"""The address book through nginx -> petrel: CRUD, search, validation,
vCard import and export, and AddressSuggest putting contacts first.

Runs as bob@example.test (and carol for isolation); each test starts from
an empty address book.
"""
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from test_api import BASE, Client, ok  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

_clients = {}


def client(user="bob@example.test"):
    if user not in _clients:
        c = Client()
        c.login(user)
        _clients[user] = c
    return _clients[user]


def wipe(c):
    body = ok(*c.call("Contacts", {"limit": 500})[:2])
    ids = [x["id"] for x in body["contacts"]]
    if ids:
        ok(*c.call("ContactDelete", {"ids": ids})[:2])
    assert ok(*c.call("Contacts")[:2])["total"] == 0


def save(c, **fields):
    return ok(*c.call("ContactSave", fields)[:2])["id"]


def upload_vcf(c, data, field="file"):
    boundary = "----petrel" + secrets.token_hex(8)
    body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
             "filename=\"book.vcf\"\r\nContent-Type: text/vcard\r\n\r\n")
            % (boundary, field)).encode() + data + ("\r\n--%s--\r\n" % boundary).encode()
    req = urllib.request.Request(BASE + "/api/ContactsImport", data=body, method="POST")
    req.add_header("Content-Type", "multipart/form-data; boundary=" + boundary)
    req.add_header("X-Petrel-Token", c.csrf)
    try:
        with c.opener.open(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def export(c):
    req = urllib.request.Request(BASE + "/contacts/export")
    with c.opener.open(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def test_crud_and_search():
    c = client()
    wipe(c)
    a = save(c, name="Zoe Zimmer", emails=["zoe@example.test", "Zoe Z <zoe.z@example.org>", "ZOE@example.test", ""],
             phone="+49 30 1234", organization="Zimmer GmbH", notes="met at FOSDEM\nsecond line")
    b = save(c, name="adam Apple", emails=["adam@example.test"])
    d = save(c, emails=["nobody-named@example.test"])
    body = ok(*c.call("Contacts")[:2])
    assert body["total"] == 3
    # Sorted by name case-blind; a nameless one by its address.
    assert [x["id"] for x in body["contacts"]] == [b, d, a], body
    zoe = body["contacts"][2]
    # "Name <addr>" keeps the address only; order kept, first is primary.
    assert zoe["emails"] == ["zoe@example.test", "zoe.z@example.org"], zoe
    assert zoe["phone"] == "+49 30 1234" and zoe["organization"] == "Zimmer GmbH"
    assert zoe["notes"] == "met at FOSDEM\nsecond line"
    # Search in names and in any address, paged with a total.
    assert [x["id"] for x in ok(*c.call("Contacts", {"q": "ZIMMER"})[:2])["contacts"]] == [a]
    assert [x["id"] for x in ok(*c.call("Contacts", {"q": "zoe.z@"})[:2])["contacts"]] == [a]
    assert ok(*c.call("Contacts", {"q": "%"})[:2])["total"] == 0
    page = ok(*c.call("Contacts", {"offset": 1, "limit": 1})[:2])
    assert page["total"] == 3 and [x["id"] for x in page["contacts"]] == [d]
    # Update replaces the fields.
    assert save(c, id=a, name="Zoe Z.", emails=["zoe@example.test"]) == a
    zoe = ok(*c.call("Contacts", {"q": "Zoe"})[:2])["contacts"][0]
    assert zoe["name"] == "Zoe Z." and zoe["emails"] == ["zoe@example.test"] and zoe["phone"] == ""
    # Another user sees none of it and cannot touch it.
    other = client("carol@example.org")
    assert ok(*other.call("Contacts")[:2])["total"] == 0
    status, err, _ = other.call("ContactSave", {"id": a, "name": "x"})
    assert status == 404, err
    status, err, _ = other.call("ContactDelete", {"ids": [a]})
    assert status == 404, err
    ok(*c.call("ContactDelete", {"ids": [a, b]})[:2])
    assert [x["id"] for x in ok(*c.call("Contacts")[:2])["contacts"]] == [d]
    status, err, _ = c.call("ContactDelete", {"ids": [a]})
    assert status == 404 and err["error"]["code"] == "NotFound", err


def test_validation_errors():
    c = client()
    wipe(c)
    cases = [
        ({"name": "x", "emails": ["not an address"]}, "invalid_address"),
        ({"name": "x", "emails": ["a@b.test\r\nBcc: evil@x.test"]}, "header_injection"),
        ({"name": "Eve\r\nBcc: x@y.test", "emails": []}, "header_injection"),
        ({"name": "x", "phone": "1\x07"}, "InvalidInput"),
        ({"name": "x" * 257}, "InvalidInput"),
        ({"name": "x", "notes": "n" * 5000}, "InvalidInput"),
        ({"name": "x", "emails": "a@b.test"}, "InvalidInput"),
        ({"name": "x", "emails": ["a%d@b.test" % i for i in range(17)]}, "InvalidInput"),
        ({}, "InvalidInput"),
        ({"name": "", "emails": [""]}, "InvalidInput"),
        ({"id": "abc", "name": "x"}, "NotFound"),
    ]
    for body, code in cases:
        status, err, _ = c.call("ContactSave", body)
        assert status in (400, 404), (body, status, err)
        assert err["error"]["code"] == code, (body, err)
        assert err["error"]["message"], err
    for body in ({"ids": []}, {"ids": "1"}, {"ids": [0]}, {"ids": ["1"]}, {}):
        status, err, _ = c.call("ContactDelete", body)
        assert status == 400, (body, err)
    for body in ({"limit": 501}, {"limit": 0}, {"offset": -1}, {"q": 5}):
        status, err, _ = c.call("Contacts", body)
        assert status == 400, (body, err)
    assert ok(*c.call("Contacts")[:2])["total"] == 0


VCF = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Петрова;Анна;;;\r\n"
    "FN:Анна Петрова-Водкина из Санкт-Петербурга с очень длинным име\r\n"
    " нем\r\n"
    "EMAIL;TYPE=INTERNET:anna@example.ru\r\n"
    "EMAIL;TYPE=INTERNET,PREF:anna.petrova@example.org\r\n"
    "TEL;TYPE=CELL:+7 812 000-00-00\r\n"
    "ORG:ООО \"Ромашка\"\\, филиал;Отдел\r\n"
    "NOTE:первая строка\\nвторая\\; с точкой с запятой\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD=D0=BE=D0=B2;=D0=98=D0=B2=\r\n"
    "=D0=B0=D0=BD\r\n"
    "EMAIL;INTERNET:ivan@example.ru\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Broken Address\r\n"
    "EMAIL:not-an-address\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "EMAIL:also bad\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "FN:never ends\r\n"
).encode()


def test_import_export_round_trip():
    c = client()
    wipe(c)
    body = ok(*upload_vcf(c, VCF))
    # The nameless card without a good address and the unterminated one.
    assert body == {"imported": 3, "skipped": 2}, body
    got = {x["name"]: x for x in ok(*c.call("Contacts")[:2])["contacts"]}
    anna = got["Анна Петрова-Водкина из Санкт-Петербурга с очень длинным именем"]
    assert anna["emails"] == ["anna.petrova@example.org", "anna@example.ru"], anna
    assert anna["phone"] == "+7 812 000-00-00"
    assert anna["organization"] == "ООО \"Ромашка\", филиал, Отдел", anna
    assert anna["notes"] == "первая строка\nвторая; с точкой с запятой"
    assert got["Иван Иванов"]["emails"] == ["ivan@example.ru"], got
    assert got["Broken Address"]["emails"] == [], got

    status, headers, data = export(c)
    assert status == 200
    assert headers["Content-Type"].startswith("text/vcard"), headers
    assert "attachment" in headers["Content-Disposition"], headers
    assert data.count(b"BEGIN:VCARD\r\nVERSION:4.0\r\n") == 3, data
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # no character split by a fold
    assert b"NOTE:\xd0\xbf" in data and b"\\n" in data and b"\\;" in data
    assert b"EMAIL;PREF=1:anna.petrova@example.org" in data
    # Long Cyrillic name was folded, and reads back the same.
    assert re.search(rb"\r\n [^\r]", data), data

    wipe(c)
    assert ok(*upload_vcf(c, data)) == {"imported": 3, "skipped": 0}
    again = {x["name"]: x for x in ok(*c.call("Contacts")[:2])["contacts"]}
    for name, x in got.items():
        y = dict(again[name])
        y.pop("id")
        x = dict(x)
        x.pop("id")
        assert x == y, (x, y)


def test_import_errors():
    c = client()
    status, body = upload_vcf(c, b"hello, no cards here\r\n")
    assert status == 400 and body["error"]["code"] == "InvalidInput", body
    status, body = upload_vcf(c, VCF, field="other")
    assert status == 400 and "file" in body["error"]["detail"], body
    status, body = upload_vcf(c, b"BEGIN:VCARD\r\nNOTE:" + b"x" * (2 * 1024 * 1024) + b"\r\nEND:VCARD\r\n")
    assert status == 413, (status, body)
    # Export needs a session.
    try:
        urllib.request.urlopen(BASE + "/contacts/export", timeout=10)
        raise AssertionError("export without a session answered 200")
    except urllib.error.HTTPError as e:
        assert e.code == 401, e.code


def test_address_suggest_contacts_first():
    c = client()
    wipe(c)
    tag = secrets.token_hex(4)
    # A recent recipient, recorded by Send.
    ok(*c.call("Send", {"to": ["sink@example.test"], "subject": "suggest " + tag,
                        "text": "hi", "sendToken": secrets.token_hex(16)})[:2])
    save(c, name="Zz Sink Person", emails=["SINK@example.test", "sink-2@example.test"])
    got = ok(*c.call("AddressSuggest", {"q": "sink"})[:2])["addresses"]
    emails = [x["email"].lower() for x in got]
    # The contact's addresses first, and sink@ only once (the contact's).
    assert emails[:2] == ["sink@example.test", "sink-2@example.test"], got
    assert emails.count("sink@example.test") == 1, got
    assert got[0]["name"] == "Zz Sink Person", got
    # A name match offers every address of the contact.
    got = ok(*c.call("AddressSuggest", {"q": "zz sink"})[:2])["addresses"]
    assert [x["email"] for x in got] == ["SINK@example.test", "sink-2@example.test"], got
    got = ok(*c.call("AddressSuggest", {"q": "sink", "limit": 1})[:2])["addresses"]
    assert len(got) == 1, got
    wipe(c)
    got = ok(*c.call("AddressSuggest", {"q": "sink"})[:2])["addresses"]
    assert [x["email"] for x in got] == ["sink@example.test"], got


if __name__ == "__main__":
    run_tests(globals())
