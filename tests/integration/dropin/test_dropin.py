#!/usr/bin/python3
"""Petrel on a SnappyMail data directory as it is: nginx -> petrel -> Dovecot.

Runs against the mailstack fixture (PETREL_MAILSTACK_DIR, PETREL_BINARY,
PETREL_SOURCE_DIR, PETREL_BASE_URL for the port range). It starts its own
petrel and nginx (on the base port + 96) because the takeover happens at
`petrel serve` start, on a data directory laid out as SnappyMail leaves it:

- configs/application.ini in SnappyMail's shape: [security] admin_login, a
  PHP password_hash() bcrypt admin_password ($2y$), the panel key in clear
  text in [admin_panel] key and a stale [security] admin_panel_key, numeric
  [logs] level, SnappyMail's other sections Petrel does not know;
- domains/example.org.json (carol's domain), SnappyMail's current format with
  every key it writes; no .ini anywhere for it; default.json pointing at a
  port nobody listens on; an .alias; the `disabled` list.

Checked: carol signs in through the JSON-only domain; the Filters API talks
ManageSieve on the port and with the switch the JSON gives (a wrong port
fails, enabled false hides filters); the bookmarked ?admin_<key> URL opens
the panel and the old SnappyMail password signs in; the clear key is gone
from application.ini, the rest of the file kept; the admin's domain editor
writes the JSON back as JSON; `petrel check-config` names each file.
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

STACK = os.environ["PETREL_MAILSTACK_DIR"]
PETREL = os.environ["PETREL_BINARY"]
SRC = os.environ.get("PETREL_SOURCE_DIR", os.path.join(HERE, "..", "..", ".."))
PORT = urllib.parse.urlparse(os.environ.get("PETREL_BASE_URL",
                                            "http://127.0.0.1:21080")).port + 16
CAROL = "carol@example.org"
ADMIN = "admin_0a1b2c3d"
ADMIN_PW = "Snappy-Old-Pass-9"
KEY = "admin_f0e5a5aa"

TMP = tempfile.mkdtemp(prefix="petrel-dropin-")
DATA = os.path.join(TMP, "data")
BASE = os.path.join(DATA, "_data_", "_default_")
APP_INI = os.path.join(BASE, "configs", "application.ini")
DOMS = os.path.join(BASE, "domains")
CAROL_JSON = os.path.join(DOMS, "example.org.json")
SOCK = os.path.join(TMP, "petrel.sock")
state = {}


def stack():
    with open(os.path.join(STACK, "mailstack.json")) as f:
        return json.load(f)


def password(email):
    for u in stack()["users"]:
        if u["email"] == email:
            return u["password"]
    raise KeyError(email)


def bcrypt(pw):
    """PHP's password_hash(): bcrypt, written $2y$ (libxcrypt's $2b$ is the same)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt as c  # Debian's python3.11 still has it (libxcrypt)
        h = c.crypt(pw, c.mksalt(c.METHOD_BLOWFISH, rounds=1 << 6))
    assert h.startswith("$2b$06$"), h
    return "$2y$" + h[4:]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def carol_json(sieve_port=None, sieve_enabled=True, **imap):
    ports = stack()["ports"]
    ssl = {"verify_peer": False, "verify_peer_name": False, "allow_self_signed": True,
           "SNI_enabled": True, "disable_compression": True, "security_level": 1}
    doc = {
        "name": "example.org",
        "IMAP": dict({"host": "127.0.0.1", "port": ports["imap"], "type": 2,
                      "timeout": 30, "shortLogin": False, "lowerLogin": True,
                      "sasl": ["SCRAM-SHA-256", "PLAIN", "LOGIN"], "ssl": ssl,
                      "disabled_capabilities": ["METADATA", "OBJECTID"],
                      "use_expunge_all_on_delete": False,
                      "fast_simple_search": True}, **imap),
        "SMTP": {"host": "127.0.0.1", "port": ports["submission"], "type": 2,
                 "timeout": 60, "shortLogin": False, "lowerLogin": True,
                 "sasl": ["PLAIN", "LOGIN"], "ssl": ssl, "useAuth": True,
                 "setSender": False, "usePhpMail": False},
        "Sieve": {"host": "127.0.0.1",
                  "port": sieve_port if sieve_port is not None else ports["sieve"],
                  "type": 0, "timeout": 10, "shortLogin": False, "lowerLogin": True,
                  "sasl": ["PLAIN"], "ssl": ssl, "enabled": sieve_enabled},
        "whiteList": "",
        "petrel": {"sieve_allow_raw": True},
    }
    write(CAROL_JSON, json.dumps(doc, indent=4))


def layout():
    for d in ("configs", "domains", "storage", "logs"):
        os.makedirs(os.path.join(BASE, d), exist_ok=True)
    write(APP_INI, """; SnappyMail configuration file
[webmail]
title = "SnappyMail Webmail"
loading_description = "SnappyMail"
theme = "Default"
language = "en"
allow_languages_on_settings = On
messages_per_page = 20
attachment_size_limit = 25

[contacts]
enable = On
type = "mysql"
pdo_dsn = "host=127.0.0.1;port=3306;dbname=snappymail"

[security]
; Hestia's installer writes these three
admin_login = "%(login)s"
admin_password = "%(hash)s"
admin_totp = ""
admin_panel_key = "admin_stale"
allow_admin_panel = On
force_https = Off

[admin_panel]
key = "%(key)s"
allow_update = Off
language = "en"

[login]
default_domain = ""

[plugins]
enable = On
enabled_list = "change-password,add-x-originating-ip-header"

[logs]
enable = On
level = 4

[ratelimit]
login_max_failures = 20
login_window_seconds = 20
""" % {"login": ADMIN, "hash": bcrypt(ADMIN_PW), "key": KEY})
    carol_json()
    # The fallback ('*', file name "default") points where nothing listens:
    # a login can only work through example.org.json.
    write(os.path.join(DOMS, "default.json"),
          json.dumps({"IMAP": {"host": "127.0.0.1", "port": 9, "type": 0,
                               "timeout": 3}}))
    write(os.path.join(DOMS, "alias.test.alias"), "example.org")
    write(os.path.join(DOMS, "blocked.test.json"),
          json.dumps({"IMAP": {"host": "127.0.0.1", "port": stack()["ports"]["imap"],
                               "type": 2}}))
    write(os.path.join(DOMS, "disabled"), "blocked.test")


def wait_http(timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            s, _, _ = req("GET", "/healthz")
            if s == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def start():
    layout()
    env = dict(os.environ, PETREL_LOG_STDERR="1")
    state["log"] = open(os.path.join(TMP, "petrel.stderr"), "ab")
    state["petrel"] = subprocess.Popen(
        [PETREL, "serve", "--listen", "unix:" + SOCK, "--threads", "2",
         "--data", DATA, "--share", SRC],
        stdout=state["log"], stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = time.time() + 20
    while time.time() < deadline and not os.path.exists(SOCK):
        assert state["petrel"].poll() is None, read(os.path.join(TMP, "petrel.stderr"))
        time.sleep(0.05)
    r = subprocess.run([sys.executable, os.path.join(SRC, "tests", "harness", "nginx.py"),
                        "start", "--dir", os.path.join(TMP, "nginx"), "--port", str(PORT),
                        "--static", os.path.join(SRC, "static"), "--fastcgi",
                        "unix:" + SOCK, "--restart"])
    assert r.returncode == 0, "nginx did not start"
    assert wait_http(), read(os.path.join(TMP, "petrel.stderr"))[-3000:]


def stop():
    subprocess.run([sys.executable, os.path.join(SRC, "tests", "harness", "nginx.py"),
                    "stop", "--dir", os.path.join(TMP, "nginx")])
    p = state.get("petrel")
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p is not None and p.returncode not in (0, None):
        print(read(os.path.join(TMP, "petrel.stderr"))[-3000:], file=sys.stderr)
        raise SystemExit("petrel exited with %s (sanitizer report above?)" % p.returncode)


def reload_petrel():
    state["petrel"].send_signal(signal.SIGHUP)
    time.sleep(1.0)


# ---- HTTP -------------------------------------------------------------------

def req(method, path, body=None, headers=None, cookies=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    h = dict(headers or {})
    if cookies:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    hdrs = r.getheaders()
    c.close()
    if cookies is not None:
        for k, v in hdrs:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                cookies[name] = rest.split(";", 1)[0]
    return r.status, data, {k.lower(): v for k, v in hdrs}


class User:
    def __init__(self, email):
        self.cookies = {}
        s, body, _ = self.call("Login", {"email": email, "password": password(email)})
        assert s == 200, (s, body)
        self.csrf = body["csrf"]

    def call(self, action, payload=None):
        h = {"Content-Type": "application/json"}
        if getattr(self, "csrf", None):
            h["X-Petrel-Token"] = self.csrf
        s, text, hd = req("POST", "/api/" + action, json.dumps(payload or {}).encode(),
                          h, self.cookies)
        try:
            return s, json.loads(text or "{}"), hd
        except ValueError:
            return s, {"raw": text}, hd


def admin_sign_in(key=KEY, login=ADMIN, pw=ADMIN_PW):
    cookies = {}
    form = urllib.parse.urlencode({"key": key, "login": login, "password": pw})
    s, body, h = req("POST", "/admin/login", form.encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"}, cookies)
    return s, body, h, cookies


# ---- tests ------------------------------------------------------------------

def test_takeover_removed_the_clear_key_and_kept_the_file():
    ini = read(APP_INI)
    assert KEY not in ini and KEY.upper() not in ini, ini
    assert "admin_stale" not in ini and "admin_panel_key" not in ini, ini
    assert re.search(r'^key = "hmac-sha256', ini, re.M), ini
    # Everything else is as SnappyMail left it: comments, unknown keys, hash.
    for kept in ("; SnappyMail configuration file", "; Hestia's installer writes these three",
                 'type = "mysql"', 'enabled_list = "change-password,',
                 'admin_login = "%s"' % ADMIN, "admin_password = \"$2y$06$",
                 "allow_update = Off", "level = 4"):
        assert kept in ini, (kept, ini)
    log = read(os.path.join(TMP, "petrel.stderr"))
    assert "now stored as a hash" in log, log[-2000:]
    assert KEY not in log


def test_bookmarked_key_url_opens_the_panel_and_old_password_signs_in():
    s, body, _ = req("GET", "/?" + KEY)
    assert s == 200 and 'action="/admin/login"' in body, (s, body[:500])
    s, plain, _ = req("GET", "/")
    s2, other, _ = req("GET", "/?admin_00000000")
    assert 'action="/admin/login"' not in other
    s, body, h, _ = admin_sign_in(pw="wrong-password")
    assert s != 303, (s, body[:300])
    s, body, h, cookies = admin_sign_in()
    assert s == 303 and h["location"].endswith("/admin/"), (s, body[:500])
    s, page, _ = req("GET", "/admin/", cookies=cookies)
    assert s == 200, s
    # The stale [security] admin_panel_key does not open anything.
    s, body, _ = req("GET", "/?admin_stale")
    assert 'action="/admin/login"' not in body


def test_login_through_a_domain_defined_only_by_json():
    u = User(CAROL)
    s, body, _ = u.call("Session")
    assert s == 200, (s, body)
    s, body, _ = u.call("Folders")
    assert s == 200, (s, body)
    # blocked.test is in SnappyMail's `disabled` list.
    s, body, _ = req("POST", "/api/Login", json.dumps(
        {"email": "x@blocked.test", "password": "x"}).encode(),
        {"Content-Type": "application/json"})
    assert s in (401, 403), (s, body)


def test_filters_use_the_sieve_settings_of_the_json():
    try:
        u = User(CAROL)
        s, body, _ = u.call("Filters")
        assert s == 200, (s, body)
        # allowRaw comes from the file's "petrel" object.
        assert body["enabled"] is True and body["allowRaw"] is True, body
        assert "fileinto" in body["capabilities"], body
        # The port is the JSON's: point it where nothing listens.
        carol_json(sieve_port=PORT + 1)
        reload_petrel()
        s, body, _ = User(CAROL).call("Filters")
        assert s >= 500, (s, body)
        # And Sieve.enabled false switches filters off.
        carol_json(sieve_enabled=False)
        reload_petrel()
        s, body, _ = User(CAROL).call("Filters")
        assert s == 404 and "filters_disabled" in json.dumps(body), (s, body)
    finally:
        carol_json()
        reload_petrel()


def test_admin_editor_keeps_the_json_format():
    try:
        _, _, _, cookies = admin_sign_in()
        s, page, _ = req("GET", "/admin/domain?name=example.org", cookies=cookies)
        assert s == 200, (s, page[:300])
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page))
        for name in re.findall(r'<select[^>]*name="([a-z_]+)"', page):
            block = page.split('name="%s"' % name, 1)[1].split("</select>", 1)[0]
            m = re.search(r'<option[^>]*selected[^>]*>([^<]*)<', block) or \
                re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', block)
            fields[name] = m.group(1).strip()
        fields.update({"csrf": csrf, "orig": "example.org", "name": "example.org",
                       "white_list": "carol@example.org", "action": "save"})
        s, body, h = req("POST", "/admin/domain",
                         urllib.parse.urlencode(fields).encode(),
                         {"Content-Type": "application/x-www-form-urlencoded"}, cookies)
        assert s == 303, (s, body[:1500])
        doc = json.loads(read(CAROL_JSON))
        assert doc["whiteList"] == "carol@example.org", doc
        # Keys the form does not know stay, values it did not change too.
        assert doc["IMAP"]["sasl"] == ["SCRAM-SHA-256", "PLAIN", "LOGIN"], doc
        assert doc["IMAP"]["disabled_capabilities"] == ["METADATA", "OBJECTID"], doc
        assert doc["IMAP"]["type"] == 2 and doc["name"] == "example.org", doc
        assert not os.path.exists(os.path.join(DOMS, "example.org.ini"))
        User(CAROL)  # still signs in with the saved file
        # An alias is edited through the domain it names.
        s, page, _ = req("GET", "/admin/domain?name=alias.test", cookies=cookies)
        assert s == 400 and "is an alias" in page, (s, page[:500])
    finally:
        carol_json()
        reload_petrel()


def test_check_config_names_each_file():
    r = subprocess.run([PETREL, "check-config", "--data", DATA],
                       capture_output=True, text=True)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert re.search(r"example\.org\.json: info: domain example\.org: JSON", out), out
    assert re.search(r"default\.json: info: domain default: JSON", out), out
    assert re.search(r"alias\.test\.alias: info: domain alias\.test: alias of example\.org",
                     out), out
    assert "blocked.test is disabled" in out, out
    # A shadowed .ini is named, and the JSON still wins.
    write(os.path.join(DOMS, "example.org.ini"), 'imap_host = "shadow.invalid"\n')
    try:
        out = subprocess.run([PETREL, "check-config", "--data", DATA],
                             capture_output=True, text=True).stdout
        assert re.search(r"example\.org\.ini: warning: ignored: .*example\.org\.json "
                         r"defines domain example\.org \(JSON wins over ini\)", out), out
    finally:
        os.unlink(os.path.join(DOMS, "example.org.ini"))
    # A malformed JSON file is an error with its name and line.
    write(os.path.join(DOMS, "broken.test.json"), '{\n  "IMAP": {"host": "x",}\n}\n')
    try:
        r = subprocess.run([PETREL, "check-config", "--data", DATA],
                           capture_output=True, text=True)
        assert r.returncode == 1, r.stdout
        assert re.search(r"broken\.test\.json:2: error: malformed JSON", r.stdout), r.stdout
    finally:
        os.unlink(os.path.join(DOMS, "broken.test.json"))


if __name__ == "__main__":
    try:
        start()
        try:
            run_tests(globals())
        finally:
            stop()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
