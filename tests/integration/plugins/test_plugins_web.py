#!/usr/bin/python3
"""Plugins through HTTP: nginx -> petrel -> the bundled plugins.

The admin's Plugins page enables add-x-originating-ip-header without a
restart; a message sent through the API then reaches the recipient's IMAP
mailbox with X-Originating-IP. change-password is enabled to check the
options form (an invalid value is refused before anything is written), the
user's settings section and the /api/plugin/<name>/<Action> route. Every
plugin is disabled again at the end so the other tests see the default.
"""
import email
import email.policy
import imaplib
import json
import os
import re
import secrets
import stat
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
sys.path.insert(0, os.path.join(HERE, "..", "admin"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from test_api import BASE, Client, ok, password, stack_info  # noqa: E402
import test_admin as adm  # noqa: E402
from testrun import run_tests  # noqa: E402

CONFIGS = os.path.join(adm.BASEDIR, "configs")
OPTIONS_JSON = os.path.join(CONFIGS, "plugin-change-password.json")
RUN = secrets.token_hex(4)


def plugins_page(c):
    s, page, _ = c.get("/admin/plugins")
    assert s == 200, s
    return page


def card(page, name):
    m = re.search(r'<section class="card plugin-card" id="plugin-%s".*?</section>'
                  % re.escape(name), page, re.S)
    assert m, "no card for %s" % name
    return m.group(0)


def toggle(c, csrf, name, on):
    s, body, h = c.post("/admin/plugins/toggle",
                        {"csrf": csrf, "name": name, "enable": "On" if on else "Off"})
    assert s == 303 and h["location"].endswith("/admin/plugins?saved=1"), (s, body[:300])


def enabled_list():
    with open(os.path.join(CONFIGS, "application.ini")) as f:
        ini = f.read()
    m = re.search(r"^\[plugins\]\n(.*?)(?=^\[|\Z)", ini, re.M | re.S)
    assert m, ini
    return m.group(1)


def test_admin_lists_plugins_and_refuses_bad_option():
    c, csrf = adm.admin()
    page = plugins_page(c)
    assert 'href="/admin/plugins" class="active"' in page
    for name in ("add-x-originating-ip-header", "change-password"):
        assert "plugin-%s-enable" % name in card(page, name), name
    # Without CSRF nothing changes.
    s, _, _ = c.post("/admin/plugins/toggle", {"name": "change-password", "enable": "On"})
    assert s == 403, s
    toggle(c, csrf, "change-password", True)
    assert "change-password" in enabled_list() and "enable = On" in enabled_list()
    page = plugins_page(c)
    cp = card(page, "change-password")
    assert "pill-ok" in cp and "ABI 1." in cp, cp
    assert 'name="opt_pass_min_length"' in cp, cp
    # An invalid value is refused with the page and nothing is written.
    s, page, _ = c.post("/admin/plugins/options",
                        {"csrf": csrf, "name": "change-password",
                         "opt_pass_min_length": "many"})
    assert s == 400, s
    assert "has-error" in card(page, "change-password")
    assert not os.path.exists(OPTIONS_JSON), "written despite the error"
    # A valid one is stored, SnappyMail's layout, owner-only.
    s, body, _ = c.post("/admin/plugins/options",
                        {"csrf": csrf, "name": "change-password",
                         "opt_pass_min_length": "12", "opt_pass_min_strength": "0",
                         "opt_hestia_host": "panel.example.test"})
    assert s == 303, (s, body[:300])
    with open(OPTIONS_JSON) as f:
        stored = json.load(f)["plugin"]
    assert stored["pass_min_length"] == 12 and stored["hestia_host"] == "panel.example.test", stored
    assert stored["driver_hestia_enabled"] is False, stored
    assert stat.S_IMODE(os.stat(OPTIONS_JSON).st_mode) == 0o600
    assert 'value="12"' in card(plugins_page(c), "change-password")
    actions = adm.audit_actions()
    assert "plugin.options" in actions and "plugin.enable" in actions, actions


def test_settings_section_and_action_route():
    u = Client()
    u.login("alice@example.test")
    body = ok(*u.call("PluginSettings")[:2])
    secs = [s for s in body["sections"] if s["plugin"] == "change-password"]
    assert len(secs) == 1, body
    sec = secs[0]
    assert sec["title"] == "Password" and sec["action"] == "ChangePassword", sec
    assert [f["name"] for f in sec["fields"]] == ["current", "new", "repeat"], sec
    assert sec["fields"][0]["label"] == "Current password", sec
    # The plugin's refusal is a 403 with its message, in the user's language.
    s, b, _ = u.call("plugin/change-password/ChangePassword",
                     {"current": "x", "new": "Aa1!aaaaaaaaaa", "repeat": "Aa1!aaaaaaaaab"})
    assert s == 403 and b["error"]["code"] == "PluginRefused", (s, b)
    assert b["error"]["message"] == "The new passwords do not match.", b
    # Session and token are Petrel's business: no token, no call.
    s, b, _ = u.call("plugin/change-password/ChangePassword", {}, token=False)
    assert s == 403 and b["error"]["code"] != "PluginRefused", (s, b)
    s, b, _ = Client().call("plugin/change-password/ChangePassword", {})
    assert s == 401, (s, b)
    for path in ("plugin/change-password/NoSuchAction", "plugin/no-such/ChangePassword",
                 "plugin/change-password", "plugin/change-password/ChangePassword/x"):
        s, b, _ = u.call(path, {})
        assert s == 404, (path, s, b)


def find(user, subject, timeout=20):
    deadline = time.time() + timeout
    while True:
        m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
        m.login(user, password(user))
        try:
            m.select("INBOX")
            _, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
            uids = data[0].split()
            if uids:
                _, d = m.uid("FETCH", uids[-1], "(BODY.PEEK[])")
                return email.message_from_bytes(d[0][1], policy=email.policy.default)
        finally:
            m.logout()
        assert time.time() < deadline, "not delivered: " + subject
        time.sleep(0.3)


def test_sent_mail_carries_x_originating_ip():
    c, csrf = adm.admin()
    toggle(c, csrf, "add-x-originating-ip-header", True)
    assert "pill-ok" in card(plugins_page(c), "add-x-originating-ip-header")
    u = Client()
    u.login("alice@example.test")
    subject = "plugin header %s" % RUN
    ok(*u.call("Send", {"to": ["bob@example.test"], "subject": subject,
                        "text": "hello", "sendToken": secrets.token_hex(16)})[:2])
    msg = find("bob@example.test", subject)
    # nginx on loopback is the peer petrel sees.
    assert msg["X-Originating-IP"] == "127.0.0.1", msg["X-Originating-IP"]
    # Reading it: the Message call carries the plugins' notices (none here).
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login("bob@example.test", password("bob@example.test"))
    m.select("INBOX")
    _, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
    uid = int(data[0].split()[-1])
    m.logout()
    b = Client()
    b.login("bob@example.test")
    body = ok(*b.call("Message", {"folder": "INBOX", "uid": uid})[:2])
    assert body["notices"] == [], body.get("notices")


BUILD = os.path.dirname(os.environ["PETREL_BINARY"])
FIXTURE = os.path.join(BUILD, "tests", "unit", "plugin", "plugins", "good.so")
PLUGIN_DIR = os.path.join(BUILD, "plugins")


def test_fixture_plugin_at_every_seam():
    """The unit tests' fixture plugin, copied into the plugins directory
    for this test: it refuses sign-ins of blocked@..., refuses a send with
    the subject "refuse me", adds a header and a notice, and echoes."""
    import shutil
    target = os.path.join(PLUGIN_DIR, "good.so")
    shutil.copyfile(FIXTURE, target)
    c, csrf = adm.admin()
    try:
        toggle(c, csrf, "good", True)
        assert "pill-ok" in card(plugins_page(c), "good")
        # Refused before the mail server is asked: the account need not exist.
        s, b, _ = Client().call("Login", {"email": "blocked@example.test",
                                          "password": "whatever"}, token=False)
        assert s == 403 and b["error"]["code"] == "PluginRefused", (s, b)
        assert b["error"]["message"] == "L_BLOCKED", b
        u = Client()
        u.login("alice@example.test")
        s, b, _ = u.call("Send", {"to": ["bob@example.test"], "subject": "refuse me",
                                  "text": "x", "sendToken": secrets.token_hex(16)})
        assert s == 403 and b["error"]["message"] == "not this subject", (s, b)
        subject = "fixture header %s" % RUN
        ok(*u.call("Send", {"to": ["bob@example.test"], "subject": subject,
                            "text": "hello", "sendToken": secrets.token_hex(16)})[:2])
        msg = find("bob@example.test", subject)
        # Its good header is in; the From and the line break it tried are not.
        assert msg["X-Fixture-Greeting"], str(msg)[:500]
        assert msg["From"].addresses[0].addr_spec == "alice@example.test", msg["From"]
        assert msg["X-Bad"] is None and msg["Bcc"] is None
        b2 = Client()
        b2.login("bob@example.test")
        m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
        m.login("bob@example.test", password("bob@example.test"))
        m.select("INBOX")
        _, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
        uid = int(data[0].split()[-1])
        # The refused one, sent before it, never arrived.
        _, refused = m.uid("SEARCH", "SUBJECT", '"refuse me"')
        assert refused[0].split() == [], refused
        m.logout()
        body = ok(*b2.call("Message", {"folder": "INBOX", "uid": uid})[:2])
        assert body["notices"] == ["first notice"], body["notices"]
        res = ok(*u.call("plugin/good/Echo", {"text": "hi", "n": 5})[:2])
        assert res == {"result": {"text": "hi", "user": "alice@example.test",
                                  "feature": True}}, res  # its default
    finally:
        toggle(c, csrf, "good", False)
        os.unlink(target)


def test_templates_actions():
    """templates through /api/plugin/templates/...: its list section and
    compose menu in PluginSettings, save/rename/delete, each bad input
    refused with its message (NUL by Petrel before the plugin runs), the
    admin's max_templates, and one user's list apart from another's."""
    c, csrf = adm.admin()
    tpl_json = os.path.join(CONFIGS, "plugin-templates.json")
    toggle(c, csrf, "templates", True)
    try:
        assert "pill-ok" in card(plugins_page(c), "templates")
        u = Client()
        u.login("carol@example.org")
        d = ok(*u.call("PluginSettings")[:2])
        sec = [x for x in d["sections"] if x["plugin"] == "templates"][0]
        assert sec["listAction"] == "List" and sec["deleteAction"] == "Delete", sec
        assert [(f["name"], f["type"]) for f in sec["fields"]] == \
            [("name", "text"), ("body", "textarea")], sec
        assert {"plugin": "templates", "label": "Templates", "action": "List",
                "labelKey": "name", "textKey": "body"} in d["compose"], d
        for t in ok(*u.call("plugin/templates/List")[:2])["result"].get("items", []):
            ok(*u.call("plugin/templates/Delete", {"id": t["id"]})[:2])
        r = ok(*u.call("plugin/templates/Save",
                       {"id": "", "name": "Thanks", "body": "Thank you!\r\nCarol"})[:2])["result"]
        assert r["message"] == "Template saved." and r["id"], r
        tid = r["id"]
        assert r["items"] == [{"id": tid, "name": "Thanks", "body": "Thank you!\nCarol"}], r
        r = ok(*u.call("plugin/templates/Save",
                       {"id": tid, "name": "Thanks again", "body": "<b>x</b>"})[:2])["result"]
        assert r["items"] == [{"id": tid, "name": "Thanks again", "body": "<b>x</b>"}], r

        def refused(args, message, status=403):
            s, b, _ = u.call("plugin/templates/Save", args)
            assert s == status, (args, s, b)
            assert message in b["error"]["message"] + b["error"].get("detail", ""), (args, b)
        refused({"name": "", "body": "x"}, "Give the template a name.")
        refused({"name": "n" * 101, "body": "x"}, "A name is at most 100 bytes")
        refused({"name": "two\nlines", "body": "x"}, "one line of text")
        refused({"name": "Big", "body": "x" * 10001}, "at most 10000 bytes")
        refused({"name": "Thanks again", "body": "dup"}, "exists already")
        # A NUL never reaches the plugin: Petrel's JSON reader refuses it.
        refused({"name": "Nul", "body": "a\u0000b"}, "\\u0000", status=400)
        s, b, _ = u.call("plugin/templates/Delete", {"id": "999"})
        assert s == 403 and "No such template" in b["error"]["message"], (s, b)
        # Nobody else sees Carol's.
        d2 = Client()
        d2.login("bob@example.test")
        assert "items" not in ok(*d2.call("plugin/templates/List")[:2])["result"]
        # The admin's limit.
        s, body, _ = c.post("/admin/plugins/options",
                            {"csrf": csrf, "name": "templates",
                             "opt_max_templates": "2", "opt_max_size": "10000"})
        assert s == 303, (s, body[:300])
        ok(*u.call("plugin/templates/Save", {"name": "Second", "body": "2"})[:2])
        refused({"name": "Third", "body": "3"}, "You have 2 templates, the most allowed")
        r = ok(*u.call("plugin/templates/Delete", {"id": tid})[:2])["result"]
        assert r["message"] == "Template deleted." and \
            [t["name"] for t in r["items"]] == ["Second"], r
        ok(*u.call("plugin/templates/Delete", {"id": r["items"][0]["id"]})[:2])
    finally:
        toggle(c, csrf, "templates", False)
        if os.path.exists(tpl_json):
            os.unlink(tpl_json)


def test_disabled_plugin_adds_nothing():
    c, csrf = adm.admin()
    toggle(c, csrf, "add-x-originating-ip-header", False)
    toggle(c, csrf, "change-password", False)
    assert "add-x-originating-ip-header" not in enabled_list()
    u = Client()
    u.login("alice@example.test")
    assert ok(*u.call("PluginSettings")[:2])["sections"] == []
    subject = "no plugin header %s" % RUN
    ok(*u.call("Send", {"to": ["bob@example.test"], "subject": subject,
                        "text": "hello", "sendToken": secrets.token_hex(16)})[:2])
    assert find("bob@example.test", subject)["X-Originating-IP"] is None
    s, _, _ = u.call("plugin/change-password/ChangePassword", {})
    assert s == 404, s


if __name__ == "__main__":
    try:
        run_tests(globals(), last=("test_disabled_plugin_adds_nothing",))
    finally:
        if os.path.exists(OPTIONS_JSON):
            os.unlink(OPTIONS_JSON)
