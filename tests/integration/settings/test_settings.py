#!/usr/bin/python3
"""Settings / SettingsSave: per-user preferences stored server-side.

Runs as carol, and puts her settings back to the defaults at the end (the
other suites share the account). The effects are checked where they show:
the boot JSON of the mailbox page, the <html> theme and language, the
language cookie at sign-in, and remote images in the Message call.
"""
import html as htmllib
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from test_api import HARNESS, STACK, Client, ok  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

USER = "carol@example.org"
RUN = "%d" % (time.time() * 1000)
FIELDS = ["lang", "timeZone", "messagesPerPage", "theme", "showImages", "threads", "composeHtml",
          "readAfterSeconds", "readReceipts", "undoSeconds"]


def fresh():
    c = Client()
    c.login(USER)
    return c


def boot(c):
    status, page = c.get("/")
    assert status == 200
    m = re.search(r'<body class="page-mail" data-petrel="([^"]*)"', page)
    assert m, page[:500]
    import json
    return json.loads(htmllib.unescape(m.group(1))), page


def reset(c):
    ok(*c.call("SettingsSave", {k: None for k in FIELDS})[:2])


def lang_cookie(c):
    for ck in c.jar:
        if ck.name == "petrel_lang":
            return ck.value
    return None


def test_defaults_come_from_the_server():
    c = fresh()
    reset(c)
    d = ok(*c.call("Settings")[:2])
    s = d["settings"]
    assert set(s) == set(FIELDS), s
    assert s["theme"] == "auto" and s["showImages"] == "ask", s
    assert s["readReceipts"] == "ask", s
    assert s["timeZone"] == "" and s["threads"] is False and s["composeHtml"] is False, s
    assert s["messagesPerPage"] == 25, s  # [webmail] messages_per_page default
    assert s["readAfterSeconds"] == 0, s
    assert s["undoSeconds"] == 5, s  # undo send (issue 17)
    codes = [x["code"] for x in d["languages"]]
    assert "en" in codes and "ru" in codes, d["languages"]
    assert all(x["name"] for x in d["languages"]), d["languages"]


def test_save_round_trips_and_reaches_the_page():
    c = fresh()
    try:
        want = {"timeZone": "Asia/Tokyo", "messagesPerPage": 7, "theme": "dark",
                "threads": True, "composeHtml": True}
        d = ok(*c.call("SettingsSave", want)[:2])
        for k, v in want.items():
            assert d["settings"][k] == v, (k, d["settings"])
        # A partial save keeps the rest.
        d = ok(*c.call("SettingsSave", {"theme": "light"})[:2])
        assert d["settings"]["theme"] == "light" and d["settings"]["messagesPerPage"] == 7, d
        # Another session (another browser) sees the same: stored per user.
        other = fresh()
        s = ok(*other.call("Settings")[:2])["settings"]
        assert s["timeZone"] == "Asia/Tokyo" and s["threads"] is True, s
        b, page = boot(other)
        assert b["messagesPerPage"] == 7, b
        assert b["settings"]["theme"] == "light" and b["settings"]["composeHtml"] is True, b
        assert 'data-theme="light"' in page, page[:300]
        # null forgets the choice: back to the default.
        d = ok(*c.call("SettingsSave", {"messagesPerPage": None, "theme": None})[:2])
        assert d["settings"]["messagesPerPage"] == 25 and d["settings"]["theme"] == "auto", d
        # Bob does not share carol's settings.
        bob = Client()
        bob.login("bob@example.test")
        s = ok(*bob.call("Settings")[:2])["settings"]
        assert s["timeZone"] != "Asia/Tokyo", s
    finally:
        reset(c)


def test_language_is_the_accounts():
    c = fresh()
    try:
        d = ok(*c.call("SettingsSave", {"lang": "ru"})[:2])
        assert d["settings"]["lang"] == "ru", d
        assert lang_cookie(c) == "ru"
        b, page = boot(c)
        assert '<html lang="ru"' in page, page[:200]
        assert b["lang"]["L_SETTINGS_TITLE"] == "Настройки", b["lang"].get("L_SETTINGS_TITLE")
        # A new browser (no cookie): sign-in hands over the account's language.
        other = Client()
        assert lang_cookie(other) is None
        other.login(USER)
        assert lang_cookie(other) == "ru"
        b, page = boot(other)
        assert '<html lang="ru"' in page
        s = ok(*other.call("Session")[:2])
        assert s["lang"] == "ru" and s["settings"]["lang"] == "ru", s
        ok(*c.call("SettingsSave", {"lang": "en"})[:2])
        _, page = boot(other)
        assert '<html lang="en"' in page, page[:200]
    finally:
        reset(c)


def test_bad_values_are_400_naming_the_field():
    c = fresh()
    try:
        ok(*c.call("SettingsSave", {"messagesPerPage": 30})[:2])
        cases = [
            ({"messagesPerPage": 4}, "messagesPerPage"),
            ({"messagesPerPage": 501}, "messagesPerPage"),
            ({"messagesPerPage": "30"}, "messagesPerPage"),
            ({"messagesPerPage": 12.5}, "messagesPerPage"),
            ({"theme": "purple"}, "theme"),
            ({"theme": 1}, "theme"),
            ({"showImages": "never-ever"}, "showImages"),
            ({"threads": "yes"}, "threads"),
            ({"composeHtml": 1}, "composeHtml"),
            ({"lang": "xx"}, "lang"),
            ({"lang": "../../etc/passwd"}, "lang"),
            ({"timeZone": "../../etc/passwd"}, "timeZone"),
            ({"timeZone": "Europe/Berlin\r\nX: y"}, "timeZone"),
            ({"timeZone": "/Europe"}, "timeZone"),
            ({"timeZone": "A" * 65}, "timeZone"),
            ({"readAfterSeconds": -1}, "readAfterSeconds"),
            ({"readAfterSeconds": 301}, "readAfterSeconds"),
            ({"readAfterSeconds": True}, "readAfterSeconds"),
            ({"colour": "red"}, "colour"),
            # One bad value and the good one next to it is not stored either.
            ({"messagesPerPage": 10, "theme": "neon"}, "theme"),
        ]
        for body, field in cases:
            status, d, _ = c.call("SettingsSave", body)
            assert status == 400, (body, status, d)
            assert field in d["error"]["detail"], (body, d)
        status, d, _ = c.call("SettingsSave", raw=b"[1,2]")
        assert status == 400, d
        s = ok(*c.call("Settings")[:2])["settings"]
        assert s["messagesPerPage"] == 30 and s["theme"] == "auto", s
        for z in ("UTC", "Etc/GMT+3", "America/Argentina/Buenos_Aires", ""):
            ok(*c.call("SettingsSave", {"timeZone": z})[:2])
        # Session and CSRF token are required.
        status, d, _ = c.call("SettingsSave", {"theme": "dark"}, token=False)
        assert status == 403, (status, d)
        status, d, _ = Client().call("Settings")
        assert status == 401, (status, d)
    finally:
        reset(c)


def test_show_images_always_keeps_trackers_hidden():
    folder = "Set%sImages" % RUN
    subprocess.run([sys.executable, os.path.join(HARNESS, "mailstack.py"),
                    "fill-maildir", "--dir", STACK, "--user", USER, "--folder", folder,
                    os.path.join(HARNESS, "fixtures", "16-hostile-remote-tracking.eml")],
                   check=True, stdout=subprocess.DEVNULL)
    c = fresh()
    try:
        m = ok(*c.call("Message", {"folder": folder, "uid": 1})[:2])
        assert m["remoteBlocked"] is True, m
        ok(*c.call("SettingsSave", {"showImages": "always"})[:2])
        m = ok(*c.call("Message", {"folder": folder, "uid": 1})[:2])
        assert m["remoteBlocked"] is False, m
        assert "cdn.newsletter.example/header.jpg" in m["html"], m["html"]
        assert "tracker.example/open.gif" not in m["html"], m["html"]
        ok(*c.call("SettingsSave", {"showImages": "ask"})[:2])
        m = ok(*c.call("Message", {"folder": folder, "uid": 1})[:2])
        assert m["remoteBlocked"] is True, m
    finally:
        reset(c)
        ok(*c.call("FolderDelete", {"path": folder})[:2])


def test_read_delay_leaves_the_message_unread_on_open():
    folder = "Set%sRead" % RUN
    subprocess.run([sys.executable, os.path.join(HARNESS, "mailstack.py"),
                    "fill-maildir", "--dir", STACK, "--user", USER, "--folder", folder,
                    os.path.join(HARNESS, "fixtures", "01-plain-utf8.eml"),
                    os.path.join(HARNESS, "fixtures", "06-charset-koi8-r.eml")],
                   check=True, stdout=subprocess.DEVNULL)
    c = fresh()

    def seen(uid):
        lst = ok(*c.call("MessageList", {"folder": folder})[:2])
        return [m["seen"] for m in lst["messages"] if m["uid"] == uid][0]
    try:
        ok(*c.call("SettingsSave", {"readAfterSeconds": 5})[:2])
        m = ok(*c.call("Message", {"folder": folder, "uid": 1})[:2])
        assert "\\Seen" not in m["flags"], m["flags"]
        assert seen(1) is False
        ok(*c.call("SettingsSave", {"readAfterSeconds": 0})[:2])
        m = ok(*c.call("Message", {"folder": folder, "uid": 2})[:2])
        assert "\\Seen" in m["flags"], m["flags"]
        assert seen(2) is True
    finally:
        reset(c)
        ok(*c.call("FolderDelete", {"path": folder})[:2])


if __name__ == "__main__":
    run_tests(globals())
