#!/usr/bin/python3
"""Filters over ManageSieve: nginx -> petrel -> Dovecot Pigeonhole, mail through Postfix.

Runs against the ctest fixtures (PETREL_BASE_URL, PETREL_MAILSTACK_DIR, PETREL_WEBSTACK_DIR).

- alice (domain example.test, default.ini: sieve_use On, raw Off, plain ManageSieve) saves
  rules; every generated script passes CHECKSCRIPT (FiltersSave runs it) and Dovecot's
  `sievec`; a rule really files mail delivered through Postfix; an injection attempt stays
  a value.
- carol (example.org) gets her own domains/example.org.ini per test (raw on/off, STARTTLS,
  implicit TLS, sieve_use Off), petrel reloads it on SIGHUP; the file is removed at the end.
- Broken, hostile and minimal fake ManageSieve servers listen on base+192 while a test
  needs them (carol's domain then points there).
- Every test removes the scripts it made, so the order does not matter.
"""
import base64
import imaplib
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
sys.path.insert(0, os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness"))

from test_api import Client, ok, password, stack_info  # noqa: E402
import sievelib_min as sv  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

WEB = os.environ.get("PETREL_WEBSTACK_DIR")
ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.org"
CAROL_INI = os.path.join(WEB or ".", "data", "_data_", "_default_", "domains",
                         "example.org.ini")


def info():
    return stack_info()


def tag():
    return uuid.uuid4().hex[:10]


def reload_petrel():
    with open(os.path.join(WEB, "petrel.pid")) as f:
        pid = int(f.read())
    os.kill(pid, signal.SIGHUP)
    time.sleep(1.0)


def carol_domain(**kw):
    """Write example.org.ini from the default settings plus kw, and reload."""
    i = info()
    ports = i["ports"]
    settings = {
        "imap_host": '"127.0.0.1"', "imap_port": ports["imap"], "imap_secure": '"TLS"',
        "smtp_host": '"127.0.0.1"', "smtp_port": ports["submission"],
        "smtp_secure": '"TLS"', "sieve_use": "On", "sieve_allow_raw": "Off",
        "sieve_host": '"127.0.0.1"', "sieve_port": ports["sieve"], "sieve_secure": '"None"',
        "verify_certificate": "On", "ca_file": '"%s"' % i["ca_file"],
        "connect_timeout": 5, "read_timeout": 30,
    }
    settings.update(kw)
    with open(CAROL_INI, "w") as f:
        f.write("; written by tests/integration/filters/test_filters.py\n")
        for k, v in settings.items():
            f.write("%s = %s\n" % (k, v))
    reload_petrel()


def carol_domain_reset():
    if os.path.exists(CAROL_INI):
        os.unlink(CAROL_INI)
        reload_petrel()


def sieve_conn(user):
    i = info()
    c = sv.ManageSieve(i["host"], i["ports"]["sieve"])
    ctx = ssl.create_default_context(cafile=i["ca_file"])
    c.starttls(ctx, "localhost")
    c.authenticate_plain(user, password(user))
    return c


def sieve_cleanup(user):
    """Deactivate and delete every script of user."""
    c = sieve_conn(user)
    try:
        c.setactive("")
        for name, _active in c.listscripts():
            c.deletescript(name)
    finally:
        c.logout()


def active_script(user):
    c = sieve_conn(user)
    try:
        for name, active in c.listscripts():
            if active:
                return name, c.getscript(name)
        return None, None
    finally:
        c.logout()


def sievec(script):
    """Compile with Dovecot's sievec under the harness's own config."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.sieve")
        with open(src, "w", newline="") as f:
            f.write(script)
        r = subprocess.run(["sievec", "-c", info()["dovecot_conf"], src,
                            os.path.join(d, "t.svbin")],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, "sievec failed:\n%s\n%s" % (r.stderr, script)


def send(sender, to, subject, body="hello\r\n"):
    """Through Postfix's SMTP port: the real delivery path (LMTP runs Sieve)."""
    i = info()
    msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@example.test>\r\n"
           "Date: %s\r\n\r\n%s" % (sender, to, subject, tag(),
                                   time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                                   body))
    with smtplib.SMTP(i["host"], i["ports"]["smtp"], timeout=30) as s:
        s.sendmail(sender, [to], msg.encode())


def imap(user):
    i = info()
    m = imaplib.IMAP4(i["host"], i["ports"]["imap"])
    m.starttls(ssl.create_default_context(cafile=i["ca_file"]))
    m.login(user, password(user))
    return m


def find(user, folder, subject):
    """[(uid, flags)] of messages in folder whose subject contains subject."""
    m = imap(user)
    try:
        typ, _ = m.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            return []
        typ, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        out = []
        for u in uids:
            typ, d = m.uid("FETCH", u, "(FLAGS)")
            out.append((u, d[0].decode()))
        return out
    finally:
        m.logout()


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError("timed out waiting for " + what)


def rule(name, conditions, actions, match="all", enabled=True):
    return {"name": name, "enabled": enabled, "match": match,
            "conditions": conditions, "actions": actions}


def no_vacation():
    return {"enabled": False, "subject": "", "text": "", "days": 7, "addresses": []}


# ---------------------------------------------------------------------------- tests

def test_session_and_boot_carry_the_filters_flags():
    c = Client()
    c.login(ALICE)
    body = ok(*c.call("Session")[:2])
    assert body["filters"] == {"enabled": True, "allowRaw": False}, body
    status, page = c.get("/")
    assert status == 200
    assert '&quot;filters&quot;:{&quot;enabled&quot;:true,&quot;allowRaw&quot;:false}' in page \
        or '"filters":{"enabled":true,"allowRaw":false}' in page, page[:2000]


def test_filters_reports_capabilities_and_empty_rules():
    sieve_cleanup(ALICE)
    c = Client()
    c.login(ALICE)
    body = ok(*c.call("Filters")[:2])
    assert body["enabled"] is True and body["allowRaw"] is False, body
    for ext in ("fileinto", "imap4flags", "vacation", "regex", "body", "date", "mailbox"):
        assert ext in body["capabilities"], body["capabilities"]
    assert body["scriptName"] is None and body["foreign"] is False, body
    assert body["rules"] == [] and body["vacation"]["enabled"] is False, body


ALL_RULES = [
    rule("every condition", [
        {"field": "from", "op": "contains", "value": "boss@"},
        {"field": "to", "op": "is", "not": True, "value": "list@example.test"},
        {"field": "subject", "op": "begins", "value": "[ticket*?]"},
        {"field": "header:X-Spam-Flag", "op": "matches", "value": "Y*S"},
        {"field": "header:List-Id", "op": "regex", "value": "^<[a-z]+\\.example>$"},
        {"field": "body", "op": "contains", "not": True, "value": "unsubscribe"},
        {"field": "size", "op": "over", "value": "100K"},
        {"field": "size", "op": "under", "not": True, "value": "2M"},
    ], [
        {"type": "read"}, {"type": "flag"},
        {"type": "copy", "folder": "Copies", "create": True},
        {"type": "move", "folder": "Work/Tickets", "create": True},
    ], match="any"),
    rule("redirects", [{"field": "subject", "op": "contains", "value": "fwd"}], [
        {"type": "redirect", "address": "sink@example.test", "keepCopy": True},
        {"type": "redirect", "address": "bob@example.test", "keepCopy": False},
        {"type": "stop"},
    ]),
    rule("reject", [{"field": "from", "op": "is", "value": "spam@example.invalid"}], [
        {"type": "reject", "text": "Not here.\nReally \"not\" \\ here."},
    ], enabled=False),
    rule("drop", [], [{"type": "discard"}], enabled=False),
]


def test_every_rule_kind_compiles_and_round_trips():
    sieve_cleanup(ALICE)
    c = Client()
    c.login(ALICE)
    try:
        vac = {"enabled": False, "subject": "Away \"now\"", "text": "Back soon.\nBye",
               "days": 3, "from": "2026-01-01", "to": "2026-01-31",
               "addresses": ["alice@example.test"]}
        body = ok(*c.call("FiltersSave", {"rules": ALL_RULES, "vacation": vac})[:2])
        assert body["scriptName"] == "petrel", body
        name, script = active_script(ALICE)
        assert name == "petrel", name
        assert script.startswith("# Petrel filters v1\r\n"), script
        sievec(script)
        back = ok(*c.call("Filters")[:2])
        assert back["foreign"] is False and back["scriptName"] == "petrel", back
        assert back["vacation"] == vac, back["vacation"]
        assert [r["name"] for r in back["rules"]] == [r["name"] for r in ALL_RULES]
        got = back["rules"][0]
        assert got["match"] == "any" and len(got["conditions"]) == 8, got
        assert got["conditions"][2] == {"field": "subject", "op": "begins", "not": False,
                                        "value": "[ticket*?]"}, got["conditions"][2]
        assert [a["type"] for a in got["actions"]] == ["read", "flag", "copy", "move"], got
        assert back["rules"][2]["enabled"] is False
        assert back["rules"][2]["actions"][0]["text"] == ALL_RULES[2]["actions"][0]["text"]
        assert back["rules"][1]["actions"][0]["keepCopy"] is True
        # Saving what was read gives the same script, byte for byte.
        ok(*c.call("FiltersSave", {"rules": back["rules"], "vacation": back["vacation"]})[:2])
        assert active_script(ALICE)[1] == script
    finally:
        sieve_cleanup(ALICE)


def test_rule_files_delivered_mail_as_read():
    sieve_cleanup(ALICE)
    t = tag()
    folder = "Filtered-" + t
    c = Client()
    c.login(ALICE)
    try:
        ok(*c.call("FiltersSave", {"rules": [
            rule("from bob", [{"field": "from", "op": "contains", "value": BOB},
                              {"field": "subject", "op": "contains", "value": t}],
                 [{"type": "move", "folder": folder, "create": True}, {"type": "read"}]),
        ], "vacation": no_vacation()})[:2])
        sievec(active_script(ALICE)[1])
        send(BOB, ALICE, "report %s" % t)
        send(BOB, ALICE, "unrelated %s" % tag())
        hits = wait_for(lambda: find(ALICE, folder, t), what="message in " + folder)
        assert len(hits) == 1, hits
        assert "\\Seen" in hits[0][1], hits
        assert not find(ALICE, "INBOX", "report %s" % t), "also in INBOX"
    finally:
        sieve_cleanup(ALICE)


def test_injection_through_a_value_stays_a_value():
    sieve_cleanup(ALICE)
    t = tag()
    folder = "Inj-" + t
    evil = '%s"; discard; stop; if true { keep; } "\\' % t
    c = Client()
    c.login(ALICE)
    try:
        ok(*c.call("FiltersSave", {"rules": [
            rule('name "] with quotes', [{"field": "subject", "op": "contains", "value": evil}],
                 [{"type": "move", "folder": folder + '"; discard; "', "create": True}]),
            rule("wild", [{"field": "subject", "op": "begins", "value": "*?" + t}],
                 [{"type": "flag"}]),
        ], "vacation": no_vacation()})[:2])
        script = active_script(ALICE)[1]
        sievec(script)
        assert "\r\n\tdiscard;" not in script, script
        # A message that merely shares the tag is kept, not discarded.
        send(BOB, ALICE, "plain %s" % t)
        wait_for(lambda: find(ALICE, "INBOX", "plain %s" % t), what="plain mail in INBOX")
        # "begins" with * and ? in the value matches them literally only.
        hits = find(ALICE, "INBOX", "plain %s" % t)
        assert "\\Flagged" not in hits[0][1], hits
        back = ok(*c.call("Filters")[:2])
        assert back["foreign"] is False
        assert back["rules"][0]["conditions"][0]["value"] == evil
        assert back["rules"][0]["name"] == 'name "] with quotes'
    finally:
        sieve_cleanup(ALICE)


def test_texts_with_dot_lines_and_text_colon_stay_texts():
    """A reject/vacation text cannot end its string: "." lines, text:, quotes."""
    sieve_cleanup(ALICE)
    t = tag()
    evil = 'away %s\n.\ntext:\n"; discard; keep;\n.\n} stop; #\n\\' % t
    c = Client()
    c.login(ALICE)
    try:
        ok(*c.call("FiltersSave", {"rules": [
            rule("rej", [{"field": "subject", "op": "contains", "value": "never-" + t}],
                 [{"type": "reject", "text": evil}]),
        ], "vacation": {"enabled": True, "subject": 'Re: "; discard; "', "text": evil,
                        "days": 3, "addresses": []}})[:2])
        script = active_script(ALICE)[1]
        sievec(script)
        assert "\r\n\tdiscard;" not in script and "\r\n\tkeep;" not in script, script
        back = ok(*c.call("Filters")[:2])
        assert back["foreign"] is False
        assert back["rules"][0]["actions"][0]["text"] == evil
        assert back["vacation"]["text"] == evil
        assert back["vacation"]["subject"] == 'Re: "; discard; "'
    finally:
        sieve_cleanup(ALICE)


def test_bad_rules_are_400_invalid_rule_with_the_field():
    c = Client()
    c.login(ALICE)
    cases = [
        ({"rules": [rule("x", [{"field": "subject", "op": "contains", "value": "a\r\nb"}],
                         [{"type": "discard"}])]}, "rules[0].conditions[0].value"),
        ({"rules": [rule("x", [{"field": "nope", "op": "is", "value": "a"}],
                         [{"type": "discard"}])]}, "rules[0].conditions[0].field"),
        ({"rules": [rule("x", [{"field": "size", "op": "contains", "value": "1"}],
                         [{"type": "discard"}])]}, "rules[0].conditions[0].op"),
        ({"rules": [rule("x", [], [{"type": "redirect", "address": "not an address"}])]},
         "rules[0].actions[0].address"),
        ({"rules": [rule("x", [], [])]}, "rules[0].actions"),
        ({"rules": [], "vacation": {"enabled": True, "text": "x", "days": 0}},
         "vacation.days"),
        ({"rules": [], "vacation": {"enabled": True, "text": "x", "days": 1,
                                    "from": "2026-02-30x"}}, "vacation.from"),
    ]
    for req, field in cases:
        status, body, _ = c.call("FiltersSave", req)
        assert status == 400, (status, body, req)
        assert body["error"]["code"] == "invalid_rule", body
        assert body["error"]["field"] == field, (body, field)
        # The detail names the place for people: "rule 1: condition 1: value: ..."
        if field.startswith("rules[0].conditions[0]"):
            assert body["error"]["detail"].startswith("rule 1: condition 1: "), body
        if field.startswith("rules[0].actions"):
            assert body["error"]["detail"].startswith("rule 1: action"), body


def test_vacation_replies_once():
    sieve_cleanup(CAROL)
    t = tag()
    c = Client()
    c.login(CAROL)
    try:
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        later = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400 * 3))
        ok(*c.call("FiltersSave", {"rules": [], "vacation": {
            "enabled": True, "subject": "Away %s" % t, "text": "I am away.\nBack later.",
            "days": 1, "from": today, "to": later, "addresses": [CAROL]}})[:2])
        sievec(active_script(CAROL)[1])
        send(BOB, CAROL, "first %s" % t)
        wait_for(lambda: find(BOB, "INBOX", "Away %s" % t), what="vacation reply")
        send(BOB, CAROL, "second %s" % t)
        wait_for(lambda: find(CAROL, "INBOX", "second %s" % t), what="second mail")
        time.sleep(2)
        assert len(find(BOB, "INBOX", "Away %s" % t)) == 1, "replied twice"
    finally:
        sieve_cleanup(CAROL)


def test_raw_mode_follows_the_ini():
    c = Client()
    c.login(ALICE)
    for call, req in (("FiltersScripts", {}), ("FiltersScriptGet", {"name": "x"}),
                      ("FiltersScriptSave", {"name": "x", "script": "keep;"}),
                      ("FiltersScriptActivate", {"name": ""}),
                      ("FiltersScriptDelete", {"name": "x"}),
                      ("FiltersScriptRename", {"name": "x", "newName": "y"})):
        status, body, _ = c.call(call, req)
        assert status == 403 and body["error"]["code"] == "raw_disabled", (call, status, body)
    sieve_cleanup(CAROL)
    try:
        carol_domain(sieve_allow_raw="On")
        c = Client()
        c.login(CAROL)
        assert ok(*c.call("Session")[:2])["filters"] == {"enabled": True, "allowRaw": True}
        assert ok(*c.call("Filters")[:2])["allowRaw"] is True
        script = 'require "fileinto";\r\nif header :contains "subject" "x" {\r\n' \
                 '  fileinto "INBOX";\r\n}\r\n'
        ok(*c.call("FiltersScriptSave", {"name": "mine", "script": script})[:2])
        assert ok(*c.call("FiltersScripts")[:2])["scripts"] == [
            {"name": "mine", "active": False}]
        ok(*c.call("FiltersScriptActivate", {"name": "mine"})[:2])
        got = ok(*c.call("FiltersScriptGet", {"name": "mine"})[:2])
        assert got == {"name": "mine", "script": script, "active": True}, got
        # Not Petrel's: Filters says foreign, saving rules leaves it stored.
        f = ok(*c.call("Filters")[:2])
        assert f["foreign"] is True and f["scriptName"] == "mine" and f["rules"] == [], f
        # Roundcube's format reads as rules; saving rewrites that script in ours.
        rc = ('require ["fileinto","imap4flags"];\r\n# rule:[Boss]\r\n'
              'if header :contains "from" "boss@example.com"\r\n{\r\n'
              '\taddflag "\\\\Seen";\r\n\tfileinto "INBOX";\r\n}\r\n')
        ok(*c.call("FiltersScriptSave", {"name": "roundcube", "script": rc})[:2])
        ok(*c.call("FiltersScriptActivate", {"name": "roundcube"})[:2])
        f = ok(*c.call("Filters")[:2])
        assert f["foreign"] is False and f["scriptName"] == "roundcube", f
        assert f["rules"] == [{"name": "Boss", "enabled": True, "match": "all", "conditions": [
            {"field": "from", "op": "contains", "not": False, "value": "boss@example.com"}],
            "actions": [{"type": "read"}, {"type": "move", "folder": "INBOX",
                                           "create": False}]}], f["rules"]
        assert ok(*c.call("FiltersSave", {"rules": f["rules"], "vacation": f["vacation"]})[:2]) \
            == {"scriptName": "roundcube"}
        got = ok(*c.call("FiltersScriptGet", {"name": "roundcube"})[:2])
        assert got["script"].startswith("# Petrel filters v1\r\n"), got
        sievec(got["script"])
        ok(*c.call("FiltersScriptActivate", {"name": "mine"})[:2])
        ok(*c.call("FiltersScriptDelete", {"name": "roundcube"})[:2])
        # A syntax error: 422 with the server's text and its line.
        bad = 'require "fileinto";\r\nkeep;\r\n\r\nnosuchcommand "x";\r\n'
        status, body, _ = c.call("FiltersScriptSave", {"name": "mine", "script": bad})
        assert status == 422, (status, body)
        e = body["error"]
        assert e["code"] == "sieve_error" and e["line"] == 4, e
        assert "line 4" in e["detail"] and "nosuchcommand" in e["message"], e
        assert not e["message"].endswith("\n"), e
        assert ok(*c.call("FiltersScriptGet", {"name": "mine"})[:2])["script"] == script
        # Over the server's sieve_max_script_size (1M in the harness): HAVESPACE says no.
        big = "# " + "x" * (1536 * 1024) + "\r\nkeep;\r\n"
        status, body, _ = c.call("FiltersScriptSave", {"name": "big", "script": big})
        assert status == 413 and body["error"]["code"] == "TooLarge", (status, body)
        assert body["error"].get("detail"), body
        status, body, _ = c.call("FiltersScriptDelete", {"name": "mine"})
        assert status == 409, (status, body)  # the active one
        ok(*c.call("FiltersScriptRename", {"name": "mine", "newName": "theirs"})[:2])
        status, body, _ = c.call("FiltersScriptGet", {"name": "mine"})
        assert status == 404, (status, body)
        ok(*c.call("FiltersScriptActivate", {"name": ""})[:2])
        ok(*c.call("FiltersScriptDelete", {"name": "theirs"})[:2])
        assert ok(*c.call("FiltersScripts")[:2])["scripts"] == []
        status, body, _ = c.call("FiltersScriptSave", {"name": "a\nb", "script": "keep;"})
        assert status == 400, (status, body)
    finally:
        sieve_cleanup(CAROL)
        carol_domain_reset()


def test_rules_save_reports_server_errors_with_the_line():
    # A rule whose regex the server cannot compile: CHECKSCRIPT refuses it.
    c = Client()
    c.login(ALICE)
    status, body, _ = c.call("FiltersSave", {"rules": [
        rule("bad regex", [{"field": "subject", "op": "regex", "value": "(["}],
             [{"type": "discard"}])]})
    assert status == 422, (status, body)
    assert body["error"]["code"] == "sieve_error", body
    assert body["error"]["line"] > 0 and "line" in body["error"]["message"], body
    assert active_script(ALICE)[0] is None


def test_starttls_and_implicit_tls():
    ports = info()["ports"]
    try:
        for secure, port in (("TLS", ports["sieve"]), ("SSL", ports["sieves"])):
            carol_domain(sieve_secure='"%s"' % secure, sieve_port=port,
                         sieve_host='"localhost"')
            c = Client()
            c.login(CAROL)
            body = ok(*c.call("Filters")[:2])
            assert "fileinto" in body["capabilities"], (secure, body)
        # A server that does not offer STARTTLS on the implicit-TLS port: a clear failure.
        carol_domain(sieve_secure='"None"', sieve_port=ports["imap"])
        c = Client()
        c.login(CAROL)
        status, body, _ = c.call("Filters")
        assert status in (502, 503), (status, body)
    finally:
        carol_domain_reset()


def test_sieve_use_off_hides_filters():
    try:
        carol_domain(sieve_use="Off")
        c = Client()
        c.login(CAROL)
        assert ok(*c.call("Session")[:2])["filters"] == {"enabled": False, "allowRaw": False}
        for call in ("Filters", "FiltersSave", "FiltersScripts"):
            status, body, _ = c.call(call, {"rules": []})
            assert status == 404 and body["error"]["code"] == "filters_disabled", (call, body)
    finally:
        carol_domain_reset()


class FakeSieve:
    """A broken or hostile ManageSieve server on base+192: one behaviour per connection."""

    GREETING = b'"IMPLEMENTATION" "fake"\r\n"SASL" "PLAIN"\r\n"SIEVE" "fileinto"\r\n'

    def __init__(self):
        ports = info()["ports"]
        self.port = ports["imap"] - 143 + 192
        self.mode = None
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn, self.mode), daemon=True).start()

    def serve(self, conn, mode):
        try:
            if mode == "huge_literal":
                conn.sendall(b'"IMPLEMENTATION" {999999999}\r\nabc')
            elif mode == "silent":
                time.sleep(8)
            elif mode == "endless":
                line = b'"X" "' + b"a" * 60000 + b'"\r\n'
                for _ in range(1000):
                    conn.sendall(line)
            elif mode == "not_sieve":
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
            elif mode == "bye":
                conn.sendall(self.GREETING + b'BYE "going down now"\r\n')
            elif mode == "starttls_injection":
                conn.sendall(self.GREETING + b'"STARTTLS"\r\nOK\r\n')
                conn.recv(100)
                conn.sendall(b'OK\r\n"SIEVE" "injected"\r\nOK\r\n')
            elif mode == "auth_literal_flood":
                conn.sendall(self.GREETING + b"OK\r\n")
                conn.recv(1000)
                conn.sendall(b"NO {5000000}\r\n" + b"x" * 100000)
            time.sleep(1)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop = True
        try:
            # Wakes the accept() in loop(); close() alone leaves the port bound.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def test_hostile_or_broken_server_fails_cleanly():
    fake = FakeSieve()
    try:
        cases = [
            ("huge_literal", "None", (502,)),
            ("endless", "None", (502,)),
            ("not_sieve", "None", (502,)),
            ("bye", "None", (503,)),
            ("starttls_injection", "TLS", (503,)),
            ("auth_literal_flood", "None", (502,)),
            ("silent", "None", (503,)),
        ]
        for mode, secure, want in cases:
            fake.mode = mode
            carol_domain(sieve_port=fake.port, sieve_secure='"%s"' % secure,
                         read_timeout=2, connect_timeout=2)
            c = Client()
            c.login(CAROL)
            started = time.time()
            status, body, _ = c.call("Filters")
            took = time.time() - started
            assert status in want, (mode, status, body)
            assert "error" in body and body["error"]["code"], (mode, body)
            assert took < 6, (mode, took)
            if mode == "bye":
                assert "going down now" in body["error"].get("detail", ""), body
        # petrel survived all of it
        c = Client()
        c.login(ALICE)
        ok(*c.call("Session")[:2])
    finally:
        fake.close()
        carol_domain_reset()


class MiniSieve(FakeSieve):
    """A small but conforming ManageSieve server without the "mailbox" extension.

    Scripts live in memory; every command is recorded as a list of its arguments
    (atoms and quoted strings as str, literals as bytes).
    """

    GREETING = (b'"IMPLEMENTATION" "mini"\r\n"SASL" "PLAIN"\r\n'
                b'"SIEVE" "fileinto imap4flags reject"\r\nOK "mini ready"\r\n')

    def __init__(self):
        self.scripts = {}
        self.active = None
        self.commands = []
        super().__init__()

    @staticmethod
    def read_command(f):
        args = []
        line = f.readline()
        if not line:
            return None
        while True:
            m = re.match(rb"(.*?)\{(\d+)\+?\}\r\n$", line, re.S)
            head = m.group(1) if m else line.rstrip(b"\r\n")
            for q, atom in re.findall(rb'"((?:[^"\\]|\\.)*)"|(\S+)', head):
                args.append(q.decode() if q or not atom else atom.decode())
            if not m:
                return args
            args.append(f.read(int(m.group(2))))
            line = f.readline()

    def serve(self, conn, mode):
        f = conn.makefile("rwb")
        try:
            f.write(self.GREETING)
            f.flush()
            while True:
                args = self.read_command(f)
                if not args:
                    return
                self.commands.append(args)
                cmd = args[0].upper()
                name = args[1].decode() if len(args) > 1 and isinstance(args[1], bytes) else None
                if cmd == "LISTSCRIPTS":
                    for n in self.scripts:
                        f.write(b'"%s"%s\r\n' % (n.encode(),
                                                  b" ACTIVE" if n == self.active else b""))
                elif cmd == "GETSCRIPT":
                    if name not in self.scripts:
                        f.write(b'NO (NONEXISTENT) "no such script"\r\n')
                        f.flush()
                        continue
                    body = self.scripts[name]
                    f.write(b"{%d}\r\n%s\r\n" % (len(body), body))
                elif cmd == "PUTSCRIPT":
                    self.scripts[name] = args[2]
                elif cmd == "SETACTIVE":
                    self.active = name or None
                elif cmd == "LOGOUT":
                    f.write(b'OK "bye"\r\n')
                    f.flush()
                    return
                f.write(b"OK\r\n")
                f.flush()
        except OSError:
            pass
        finally:
            conn.close()


def test_without_mailbox_extension_folders_are_made_over_imap():
    fake = MiniSieve()
    t = tag()
    folder = "Made-" + t
    try:
        carol_domain(sieve_port=fake.port)
        c = Client()
        c.login(CAROL)
        body = ok(*c.call("Filters")[:2])
        assert body["capabilities"] == ["fileinto", "imap4flags", "reject"], body
        ok(*c.call("FiltersSave", {"rules": [
            rule("make", [{"field": "subject", "op": "contains", "value": t}],
                 [{"type": "move", "folder": folder, "create": True}, {"type": "read"}]),
        ], "vacation": no_vacation()})[:2])
        script = fake.scripts["petrel"].decode()
        assert fake.active == "petrel"
        assert ":create" not in script and "mailbox" not in script, script
        assert 'require ["fileinto","imap4flags"];' in script, script
        sievec(script)
        m = imap(CAROL)
        try:
            typ, data = m.list('""', folder)
            assert typ == "OK" and data and data[0] and folder.encode() in data[0], data
            m.delete(folder)
        finally:
            m.logout()
        # The client's side of the dialogue: the SASL response as a quoted
        # string (see sieve_login), literals for every other argument.
        auth = [a for a in fake.commands if a[0] == "AUTHENTICATE"][0]
        assert auth[1] == "PLAIN" and isinstance(auth[2], str), auth
        assert base64.b64decode(auth[2]) == b"\0%s\0%s" % (
            CAROL.encode(), password(CAROL).encode()), auth
        order = [a[0] for a in fake.commands]
        i = order.index("PUTSCRIPT")
        assert order[i - 2:i + 2] == ["HAVESPACE", "CHECKSCRIPT", "PUTSCRIPT", "SETACTIVE"], order
        # Read back through GETSCRIPT (a literal in the answer): create reads back false.
        back = ok(*c.call("Filters")[:2])
        assert back["foreign"] is False and back["scriptName"] == "petrel", back
        assert back["rules"][0]["actions"] == [
            {"type": "read"}, {"type": "move", "folder": folder, "create": False}], back
    finally:
        fake.close()
        carol_domain_reset()


if __name__ == "__main__":
    run_tests(globals())
