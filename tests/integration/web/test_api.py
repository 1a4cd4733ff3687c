#!/usr/bin/python3
"""The JSON API through nginx -> petrel -> Dovecot, as outside scripts use it.

Runs against the ctest fixtures (PETREL_BASE_URL, PETREL_MAILSTACK_DIR,
PETREL_WEBSTACK_DIR). Each test uses its own folders so the order of tests
does not matter.
"""
import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ.get("PETREL_BASE_URL", "http://127.0.0.1:8080")
STACK = os.environ.get("PETREL_MAILSTACK_DIR")
WEB = os.environ.get("PETREL_WEBSTACK_DIR")
HARNESS = os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402


def stack_info():
    with open(os.path.join(STACK, "mailstack.json")) as f:
        return json.load(f)


def password(email):
    for u in stack_info()["users"]:
        if u["email"] == email:
            return u["password"]
    raise KeyError(email)


class Client:
    """A browser-like API client with its own cookie jar."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, action, body=None, token=True, raw=None, headers=None):
        data = raw if raw is not None else json.dumps(body or {}).encode()
        req = urllib.request.Request(BASE + "/api/" + action, data=data, method="POST")
        req.add_header("Content-Type", "application/json")
        if token and self.csrf:
            req.add_header("X-Petrel-Token", self.csrf)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}"), dict(r.headers)
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                payload = json.loads(text)
            except ValueError:
                payload = {"raw": text.decode(errors="replace")}
            return e.code, payload, dict(e.headers)

    def login(self, email, pw=None):
        status, body, headers = self.call(
            "Login", {"email": email, "password": pw or password(email)}, token=False)
        assert status == 200, (status, body)
        self.csrf = body["csrf"]
        return body, headers

    def get(self, path):
        req = urllib.request.Request(BASE + path)
        with self.opener.open(req, timeout=30) as r:
            return r.status, r.read().decode()


def ok(status, body, expect=200):
    assert status == expect, "status %s, want %s: %s" % (status, expect, body)
    return body


# ---------------------------------------------------------------- tests

def test_login_sets_hardened_cookie_and_returns_csrf():
    c = Client()
    body, headers = c.login("alice@example.test")
    assert body["email"] == "alice@example.test"
    cookie = headers.get("Set-Cookie", "")
    assert "petrel_session=" in cookie and "HttpOnly" in cookie, cookie
    assert "SameSite=Strict" in cookie and "Path=/" in cookie, cookie
    # After login the start page is the mailbox, not the sign-in form.
    status, page = c.get("/")
    assert status == 200 and 'id="login-form"' not in page, page[:300]
    ok(*c.call("Session")[:2])


def test_login_without_domain_uses_default_domain():
    c = Client()
    body, _ = c.login("bob", password("bob@example.test"))
    assert body["email"] == "bob@example.test"


def test_wrong_password_is_401_and_logged_for_fail2ban():
    c = Client()
    status, body, _ = c.call("Login", {"email": "bob@example.test",
                                       "password": "wrong-%d" % time.time()}, token=False)
    assert status == 401, (status, body)
    assert body["error"]["code"] == "AuthRequired"
    assert "password" in body["error"]["message"].lower()
    with open(os.path.join(WEB, "petrel.stderr"), errors="replace") as f:
        log = f.read()
    assert "auth failed: ip=127.0.0.1 user=bob@example.test" in log
    # The password itself never reaches the log.
    assert "wrong-" not in log


def test_unknown_user_gets_the_same_answer():
    c = Client()
    status, body, _ = c.call("Login", {"email": "nobody@example.test",
                                       "password": "x"}, token=False)
    assert status == 401 and body["error"]["code"] == "AuthRequired", body


def test_crlf_in_login_cannot_inject():
    c = Client()
    status, body, _ = c.call("Login", {"email": "alice@example.test\r\na1 LOGOUT",
                                       "password": "x"}, token=False)
    assert status == 401, (status, body)


def test_dead_server_is_a_clear_503_not_a_hang():
    c = Client()
    t = time.time()
    status, body, _ = c.call("Login", {"email": "user@down.test", "password": "x"}, token=False)
    assert status == 503, (status, body)
    assert body["error"]["code"] == "Unavailable"
    assert "refused" in body["error"].get("detail", ""), body
    assert time.time() - t < 10


def test_untrusted_certificate_is_refused():
    c = Client()
    status, body, _ = c.call("Login", {"email": "user@untrusted.test", "password": "x"},
                             token=False)
    assert status == 503, (status, body)
    assert "certificate" in body["error"].get("detail", ""), body


def test_calls_need_session_and_csrf_token():
    c = Client()
    status, body, _ = c.call("Folders")
    assert status == 401, (status, body)
    c.login("alice@example.test")
    status, body, _ = c.call("Folders", token=False)
    assert status == 403 and body["error"]["code"] == "Forbidden", (status, body)
    status, body, _ = c.call("Folders", headers={"X-Petrel-Token": "forged"}, token=False)
    assert status == 403, (status, body)


def test_folders_have_special_use_and_counts():
    c = Client()
    c.login("alice@example.test")
    folders = ok(*c.call("Folders")[:2])["folders"]
    by_path = {f["path"]: f for f in folders}
    assert folders[0]["path"] == "INBOX" and folders[0]["special"] == "inbox"
    specials = {f["special"] for f in folders if f["special"]}
    assert {"inbox", "drafts", "sent", "junk", "trash", "archive"} <= specials, specials
    # The fixture wrote 300 messages; browser tests may have moved a few.
    assert by_path["INBOX"]["total"] >= 250, by_path["INBOX"]
    listed = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 1})[:2])
    assert listed["total"] == by_path["INBOX"]["total"], (listed["total"], by_path["INBOX"])
    assert 0 < by_path["INBOX"]["unseen"] <= by_path["INBOX"]["total"]


def test_cyrillic_folder_round_trip_and_control_chars_refused():
    c = Client()
    c.login("bob@example.test")
    name = "Входящие/Счета %d" % int(time.time() * 1000)
    ok(*c.call("FolderCreate", {"path": name})[:2])
    paths = [f["path"] for f in ok(*c.call("Folders")[:2])["folders"]]
    assert name in paths, paths
    sub = [f for f in ok(*c.call("Folders")[:2])["folders"] if f["path"] == name][0]
    assert sub["name"] == name.split("/")[-1] and sub["parent"] == "Входящие", sub
    ok(*c.call("FolderRename", {"path": name, "newPath": name + " (старые)"})[:2])
    ok(*c.call("FolderDelete", {"path": name + " (старые)"})[:2])
    for bad in ("evil\r\na1 DELETE INBOX", "nul\x00byte", "tab\x07bell"):
        status, body, _ = c.call("FolderCreate", {"path": bad})
        assert status == 400, (bad, status, body)
    assert "INBOX" in [f["path"] for f in ok(*c.call("Folders")[:2])["folders"]]


def test_message_list_pages_and_sorts():
    c = Client()
    c.login("alice@example.test")
    first = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 20})[:2])
    assert first["total"] >= 250 and len(first["messages"]) == 20
    dates = [m["date"] for m in first["messages"]]
    assert dates == sorted(dates, reverse=True), dates
    second = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 20, "offset": 20})[:2])
    assert not {m["uid"] for m in first["messages"]} & {m["uid"] for m in second["messages"]}
    assert second["messages"][0]["date"] <= dates[-1]
    by_size = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 50, "sort": "size"})[:2])
    sizes = [m["size"] for m in by_size["messages"]]
    assert sizes == sorted(sizes), sizes
    m = first["messages"][0]
    for key in ("uid", "subject", "from", "date", "seen", "flagged", "answered",
                "size", "hasAttachments", "preview"):
        assert key in m, (key, m)
    assert any(x["hasAttachments"] for x in by_size["messages"] + first["messages"] +
               second["messages"]) or True
    past = ok(*c.call("MessageList", {"folder": "INBOX", "offset": 100000})[:2])
    assert past["messages"] == [] and past["total"] == first["total"]
    status, body, _ = c.call("MessageList", {"folder": "INBOX", "sort": "sideways"})
    assert status == 400, body
    status, body, _ = c.call("MessageList", {"folder": "No such folder"})
    assert status in (404, 502), (status, body)


def test_hostile_search_strings_work():
    c = Client()
    c.login("alice@example.test")
    for q in ('"quoted \\" phrase', "back\\slash", "Отчёт", "from:bob", "subject:\"a b\"",
              "is:unread has:attachment", "after:2020-01-01 before:2030-01-01"):
        body = ok(*c.call("MessageList", {"folder": "INBOX", "search": q})[:2])
        assert "total" in body
    found = ok(*c.call("MessageList", {"folder": "INBOX", "search": "from:bob"})[:2])
    assert all("bob" in (m["from"]["email"] + m["from"]["name"]).lower()
               for m in found["messages"]), found["messages"][:3]
    status, body, _ = c.call("MessageList", {"folder": "INBOX",
                                             "search": "x\r\nA1 DELETE INBOX"})
    assert status == 400, (status, body)


def test_flags_move_and_delete():
    c = Client()
    c.login("alice@example.test")
    folder = "Moved %d" % int(time.time() * 1000)
    ok(*c.call("FolderCreate", {"path": folder})[:2])
    msgs = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 2})[:2])["messages"]
    uids = [m["uid"] for m in msgs]
    ok(*c.call("MessageSetSeen", {"folder": "INBOX", "uids": uids, "value": False})[:2])
    again = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 2})[:2])["messages"]
    assert not any(m["seen"] for m in again if m["uid"] in uids)
    ok(*c.call("MessageSetFlagged", {"folder": "INBOX", "uids": uids, "value": True})[:2])
    moved = ok(*c.call("MessageMove", {"folder": "INBOX", "uids": uids, "to": folder})[:2])
    assert moved["moved"] == 2
    inside = ok(*c.call("MessageList", {"folder": folder})[:2])
    assert inside["total"] == 2 and all(m["flagged"] for m in inside["messages"])
    ok(*c.call("MessageMove", {"folder": folder, "uids": [m["uid"] for m in inside["messages"]],
                               "to": "INBOX"})[:2])
    status, body, _ = c.call("MessageMove", {"folder": "INBOX", "uids": ["1; DROP"], "to": folder})
    assert status == 400, body
    ok(*c.call("FolderDelete", {"path": folder})[:2])


def test_folder_mark_read_reads_the_whole_folder():
    """More messages than one page (500): all read in one call, as IMAP sees."""
    import imaplib
    c = Client()
    c.login("alice@example.test")
    folder = "Unread %d" % int(time.time() * 1000)
    ok(*c.call("FolderCreate", {"path": folder})[:2])
    ok(*c.call("FolderMarkRead", {"folder": folder})[:2])  # empty: nothing to do
    info = stack_info()
    m = imaplib.IMAP4("127.0.0.1", info["ports"]["imap"])
    m.login("alice@example.test", password("alice@example.test"))
    try:
        for i in range(620):
            msg = ("From: Bulk <bulk@example.test>\r\nTo: alice@example.test\r\n"
                   "Subject: unread %d\r\nMessage-ID: <unread-%d@example.test>\r\n\r\n"
                   "body %d\r\n" % (i, i, i)).encode()
            typ, _ = m.append('"%s"' % folder, None, None, msg)
            assert typ == "OK"
        typ, st = m.status('"%s"' % folder, "(MESSAGES UNSEEN)")
        assert b"MESSAGES 620" in st[0] and b"UNSEEN 620" in st[0], st
        folders = ok(*c.call("Folders")[:2])["folders"]
        assert [f["unseen"] for f in folders if f["path"] == folder] == [620], \
            [f for f in folders if f["path"] == folder]
        ok(*c.call("FolderMarkRead", {"folder": folder})[:2])
        typ, st = m.status('"%s"' % folder, "(MESSAGES UNSEEN)")
        assert b"MESSAGES 620" in st[0] and b"UNSEEN 0" in st[0], st
        folders = ok(*c.call("Folders")[:2])["folders"]
        assert [f["unseen"] for f in folders if f["path"] == folder] == [0]
        last = ok(*c.call("MessageList", {"folder": folder, "offset": 600})[:2])
        assert last["messages"] and all(x["seen"] for x in last["messages"])
    finally:
        m.logout()
    status, body, _ = c.call("FolderMarkRead", {"folder": "No such %d" % time.time()})
    assert status == 404, (status, body)
    status, body, _ = c.call("FolderMarkRead", {"folder": "INBOX\r\nA1 LOGOUT"})
    assert status == 400, (status, body)
    status, body, _ = c.call("FolderMarkRead", {})
    assert status == 400, (status, body)
    ok(*c.call("FolderDelete", {"path": folder})[:2])


def test_quota_from_dovecots_quota_plugin():
    """Quota: used and limit in KiB, as GETQUOTAROOT INBOX says (1 GiB here)."""
    import imaplib
    c = Client()
    c.login("bob@example.test")
    q = ok(*c.call("Quota")[:2])
    assert q["limit"] == 1024 * 1024, q
    assert 0 <= q["used"] < q["limit"], q
    info = stack_info()
    m = imaplib.IMAP4("127.0.0.1", info["ports"]["imap"])
    m.login("bob@example.test", password("bob@example.test"))
    try:
        big = b"Subject: quota\r\n\r\n" + b"x" * (300 * 1024) + b"\r\n"
        typ, _ = m.append("INBOX", None, None, big)
        assert typ == "OK"
        typ, data = m.getquotaroot("INBOX")
        assert typ == "OK", data
        after = ok(*c.call("Quota")[:2])
        assert after["used"] >= q["used"] + 290, (q, after)
        assert str(after["used"]).encode() in b" ".join(
            x for x in data[1] if isinstance(x, bytes)), (after, data)
        typ, _ = m.select("INBOX")
        typ, found = m.search(None, "SUBJECT", "quota")
        for n in found[0].split():
            m.store(n, "+FLAGS", "\\Deleted")
        m.expunge()
    finally:
        m.logout()


def test_message_copy_keeps_the_originals():
    c = Client()
    c.login("alice@example.test")
    folder = "Copied %d" % int(time.time() * 1000)
    ok(*c.call("FolderCreate", {"path": folder})[:2])
    before = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 3})[:2])
    uids = [m["uid"] for m in before["messages"]]
    got = ok(*c.call("MessageCopy", {"folder": "INBOX", "uids": uids, "to": folder})[:2])
    assert got == {"copied": 3}, got
    inside = ok(*c.call("MessageList", {"folder": folder})[:2])
    assert inside["total"] == 3
    assert sorted(m["subject"] for m in inside["messages"]) == \
        sorted(m["subject"] for m in before["messages"])
    after = ok(*c.call("MessageList", {"folder": "INBOX", "limit": 3})[:2])
    assert after["total"] == before["total"], "the originals stay"
    status, body, _ = c.call("MessageCopy", {"folder": "INBOX", "uids": uids, "to": "INBOX"})
    assert status == 400, body
    status, body, _ = c.call("MessageCopy", {"folder": "INBOX", "uids": uids,
                                             "to": "Nowhere %d" % time.time()})
    assert status in (404, 502), (status, body)
    status, body, _ = c.call("MessageCopy", {"folder": "INBOX", "uids": uids,
                                             "to": "x\r\nA1 LOGOUT"})
    assert status == 400, body
    ok(*c.call("FolderDelete", {"path": folder})[:2])


def test_delete_goes_to_trash_then_for_good():
    c = Client()
    c.login("bob@example.test")
    folder = "Del %d" % int(time.time() * 1000)
    ok(*c.call("FolderCreate", {"path": folder})[:2])
    subprocess.run([sys.executable, os.path.join(HARNESS, "corpus.py"), "--stack", STACK,
                    "--user", "bob@example.test", "--folder", folder, "--count", "3",
                    "--seed", "9"], check=True, stdout=subprocess.DEVNULL)
    msgs = ok(*c.call("MessageList", {"folder": folder})[:2])["messages"]
    assert len(msgs) == 3
    trash = [f for f in ok(*c.call("Folders")[:2])["folders"] if f["special"] == "trash"][0]
    before = trash["total"]
    ok(*c.call("MessageDelete", {"folder": folder, "uids": [msgs[0]["uid"]]})[:2])
    trash2 = [f for f in ok(*c.call("Folders")[:2])["folders"] if f["special"] == "trash"][0]
    assert trash2["total"] == before + 1
    ok(*c.call("FolderEmpty", {"path": trash["path"]})[:2])
    status, body, _ = c.call("FolderEmpty", {"path": "INBOX"})
    assert status == 400, body
    ok(*c.call("FolderDelete", {"path": folder})[:2])


def test_connection_is_reused_and_survives_a_server_kick():
    c = Client()
    c.login("carol@example.org")
    ok(*c.call("Folders")[:2])
    info = stack_info()
    subprocess.run(["doveadm", "-c", info["dovecot_conf"], "kick", "carol@example.org"],
                   check=True, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    body = ok(*c.call("MessageList", {"folder": "INBOX"})[:2])
    assert "total" in body


def test_logout_ends_the_session():
    c = Client()
    c.login("bob@example.test")
    ok(*c.call("Logout")[:2])
    status, body, _ = c.call("Folders")
    assert status == 401, (status, body)


def test_rate_limit_answers_429_with_retry_after():
    c = Client()
    codes = []
    for i in range(12):
        status, body, headers = c.call("Login", {"email": "carol@example.org",
                                                 "password": "bad%d" % i}, token=False)
        codes.append(status)
        if status == 429:
            assert int(headers.get("Retry-After", "0")) > 0, headers
            assert body["error"]["code"] == "RateLimited"
            break
    assert codes[-1] == 429 and 401 in codes, codes
    # Even the right password is refused while limited...
    status, _, _ = c.call("Login", {"email": "carol@example.org",
                                    "password": password("carol@example.org")}, token=False)
    assert status == 429
    # ...and works again once the window (20 s in the test config) passed.
    time.sleep(21)
    c.login("carol@example.org")


if __name__ == "__main__":
    run_tests(globals(), last=["test_rate_limit_answers_429_with_retry_after"])
