#!/usr/bin/python3
"""two-factor through HTTP: nginx -> petrel -> plugins/two-factor.

The admin enables the plugin on the Plugins page; a user turns it on from
the settings section's actions (Status, Begin, Confirm), after which Login
with the right password answers 401 with a challenge and no session until
the second answer comes: a current TOTP code (once), or a recovery code
(once). A wrong answer is a 403 and counts as a failed sign-in. The admin's
reset_users option removes the user's second factor. The plugin is turned
off and its data removed at the end so other tests see the default.
"""
import base64
import hashlib
import hmac
import os
import shutil
import stat
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
sys.path.insert(0, os.path.join(HERE, "..", "admin"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from test_api import Client, ok, password  # noqa: E402
import test_admin as adm  # noqa: E402
from testrun import run_tests  # noqa: E402
from test_plugins_web import card, plugins_page, toggle  # noqa: E402

USER = "carol@example.org"
DATA = os.path.join(adm.BASEDIR, "storage", "plugins", "two-factor")
OPTIONS_JSON = os.path.join(adm.BASEDIR, "configs", "plugin-two-factor.json")
state = {}


def totp(secret, ahead=0):
    """RFC 6238 code (SHA-1, 30 s, 6 digits) of the step `ahead` of now."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + ahead), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def login(answer=None, pw=None):
    c = Client()
    body = {"email": USER, "password": pw or password(USER)}
    if answer is not None:
        body["second_factor"] = answer
    s, b, h = c.call("Login", body, token=False)
    return c, s, b, h


def test_enable_and_enrol():
    c, csrf = adm.admin()
    toggle(c, csrf, "two-factor", True)
    tf = card(plugins_page(c), "two-factor")
    assert "pill-ok" in tf and "ABI 1.1" in tf, tf
    assert 'name="opt_reset_users"' in tf, tf
    u = Client()
    u.login(USER)
    secs = [s for s in ok(*u.call("PluginSettings")[:2])["sections"]
            if s["plugin"] == "two-factor"]
    assert len(secs) == 1 and secs[0]["load"] == "Status", secs
    assert secs[0]["title"] == "Two-step verification", secs
    r = ok(*u.call("plugin/two-factor/Status")[:2])["result"]
    assert r["enabled"] is False and r["action"] == "Begin", r
    r = ok(*u.call("plugin/two-factor/Begin")[:2])["result"]
    assert r["qr_svg"].startswith("<svg") and r["action"] == "Confirm", r
    secret = r["secret"]
    # Not on until a code confirms it.
    _, s, b, _ = login()
    assert s == 200, (s, b)
    s, b, _ = u.call("plugin/two-factor/Confirm", {"code": "000000"})
    assert s == 403 and b["error"]["code"] == "PluginRefused", (s, b)
    r = ok(*u.call("plugin/two-factor/Confirm", {"code": totp(secret)})[:2])["result"]
    codes = r["codes"].split("\n")
    assert len(codes) == 10 and all(len(x) == 11 and x[5] == "-" for x in codes), codes
    state.update(secret=secret, codes=codes)
    # Stored owner-only, hashed: no recovery code in clear on disk.
    files = [f for f in os.listdir(DATA) if f.endswith(".json")]
    assert len(files) == 1, files
    path = os.path.join(DATA, files[0])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(DATA).st_mode) == 0o700
    with open(path) as f:
        text = f.read()
    assert not any(x.replace("-", "") in text or x in text for x in codes), text
    assert USER not in text and USER not in files[0]


def test_login_asks_for_the_second_factor():
    c, s, b, h = login()
    assert s == 401, (s, b)
    assert b["error"]["code"] == "SecondFactor", b
    assert b["error"]["challenge"]["plugin"] == "two-factor", b
    assert "authenticator" in b["error"]["challenge"]["prompt"], b
    assert "petrel_session" not in (h.get("Set-Cookie") or ""), h
    s, b, _ = c.call("Folders")
    assert s == 401, (s, b)
    # The password is checked first: a right code with a wrong one fails.
    _, s, b, _ = login(totp(state["secret"], 1), pw="wrong-password")
    assert s == 401 and b["error"].get("challenge") is None, (s, b)
    # A wrong code is refused.
    _, s, b, _ = login("123456")
    assert s == 403 and b["error"]["code"] == "PluginRefused", (s, b)
    # The next step's code opens a session, once.
    code = totp(state["secret"], 1)
    c, s, b, _ = login(code)
    assert s == 200, (s, b)
    c.csrf = b["csrf"]
    ok(*c.call("Folders")[:2])
    _, s, b, _ = login(code)
    assert s == 403, (s, b)


def test_recovery_code_works_once():
    code = state["codes"][0]
    c, s, b, _ = login(code.upper())
    assert s == 200, (s, b)
    _, s, b, _ = login(code)
    assert s == 403 and b["error"]["code"] == "PluginRefused", (s, b)


def test_admin_reset():
    c, csrf = adm.admin()
    s, body, _ = c.post("/admin/plugins/options",
                        {"csrf": csrf, "name": "two-factor", "opt_issuer": "Petrel",
                         "opt_reset_users": USER})
    assert s == 303, (s, body[:300])
    _, s, b, _ = login()
    assert s == 200, (s, b)


def test_cleanup():
    c, csrf = adm.admin()
    toggle(c, csrf, "two-factor", False)
    _, s, b, _ = login()
    assert s == 200, (s, b)


if __name__ == "__main__":
    try:
        run_tests(globals(), last=("test_admin_reset", "test_cleanup"))
    finally:
        if os.path.exists(OPTIONS_JSON):
            os.unlink(OPTIONS_JSON)
        shutil.rmtree(DATA, ignore_errors=True)
