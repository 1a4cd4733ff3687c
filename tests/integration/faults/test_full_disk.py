#!/usr/bin/env python3
"""A full disk under the API's write requests (issue 14).

Starts a second Petrel + nginx (tests/harness/webstack.py, its own port)
whose data directory (store, uploads under storage/, ini files, logs) is a
tiny tmpfs. Every request sets an old value first; then the tmpfs is filled
to the brim and the state-changing requests of the API tests run again with
new values (settings, identities, contacts, remote images, uploads,
SaveDraft, Send, FolderImport, sign-in, the admin panel's settings and
domain writes). Asserted:

  - no crash (never nginx's 502), every answer a 2xx or a clear error:
    507 InsufficientStorage (JSON for the API, an error page for the admin
    panel), never a 500;
  - nothing half-written: after the filler is removed every call that
    failed still reads back its old value, every call that succeeded its
    new one, the ini files parse, no temp file and no empty upload is left;
  - a Send refused for lack of space sent nothing, and its retry with the
    same sendToken once there is room sends it exactly once.

The request-body spool is /tmp (http's fixed spool_dir), not the data
directory; its full-disk answer is covered by src/http's own test.

Mounting needs root: without it the test prints why and exits 77 (ctest's
SKIP_RETURN_CODE). The tmpfs is unmounted on every exit path (finally,
atexit and SIGTERM).

Env: PETREL_MAILSTACK_DIR, PETREL_BINARY, PETREL_SOURCE_DIR,
PETREL_DISKFULL_DIR (state), PETREL_DISKFULL_PORT.
"""
import atexit
import configparser
import http.client
import imaplib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

HARNESS = os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
DIR = os.environ.get("PETREL_DISKFULL_DIR", "")
PORT = int(os.environ.get("PETREL_DISKFULL_PORT", "0"))
DATA = os.path.join(DIR, "data")
BASE = os.path.join(DATA, "_data_", "_default_")
FILLER = os.path.join(DATA, "filler")
USER = "alice@example.test"
TAG = secrets.token_hex(4)
SKIP = 77


def stack():
    with open(os.path.join(STACK, "mailstack.json")) as f:
        return json.load(f)


def password(email):
    for u in stack()["users"]:
        if u["email"] == email:
            return u["password"]
    raise KeyError(email)


# ---- the tmpfs --------------------------------------------------------------

mounted = False


def umount():
    global mounted
    if mounted:
        subprocess.run(["umount", "-l", DATA], check=False)
        mounted = False


def mount():
    """Mount an 8 MiB tmpfs on DATA; False (and why) where not allowed."""
    global mounted
    os.makedirs(DATA, exist_ok=True)
    umount_stale = subprocess.run(["mountpoint", "-q", DATA])
    if umount_stale.returncode == 0:
        subprocess.run(["umount", "-l", DATA], check=False)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755",
                        "petrel-diskfull", DATA], capture_output=True, text=True)
    if r.returncode != 0:
        return False, r.stderr.strip() or "mount failed"
    mounted = True
    atexit.register(umount)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    return True, ""


def fill():
    """Fill the tmpfs to the brim: a 4 KiB page at a time, then bytes."""
    block = b"\0" * 65536
    with open(FILLER, "ab", buffering=0) as f:
        for chunk in (block, block[:4096], block[:1]):
            while True:
                try:
                    if f.write(chunk) == 0:
                        break
                except OSError:
                    break


def leave_room(n):
    """Fill, then give n bytes back: writes start and break midway."""
    fill()
    size = os.path.getsize(FILLER)
    os.truncate(FILLER, max(0, size - n))


def unfill():
    os.unlink(FILLER)


# ---- HTTP ---------------------------------------------------------------------

class Client:
    def __init__(self):
        self.cookies = {}
        self.csrf = None

    def req(self, method, path, body=None, ctype=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        h = dict(headers or {})
        if ctype:
            h["Content-Type"] = ctype
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if self.csrf:
            h["X-Petrel-Token"] = self.csrf
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        ct = r.getheader("Content-Type") or ""
        c.close()
        return r.status, data, ct

    def call(self, name, args):
        return self.req("POST", "/api/" + name, json.dumps(args).encode(),
                        "application/json")

    def multipart(self, path, fields, files):
        b = "----petrel" + secrets.token_hex(8)
        out = []
        for k, v in fields.items():
            out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                        % (b, k, v)).encode())
        for k, fn, ct, data in files:
            out.append(('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"'
                        '\r\nContent-Type: %s\r\n\r\n' % (b, k, fn, ct)).encode()
                       + data + b"\r\n")
        out.append(("--%s--\r\n" % b).encode())
        return self.req("POST", path, b"".join(out), "multipart/form-data; boundary=" + b)

    def form(self, path, fields):
        return self.req("POST", path, urllib.parse.urlencode(fields).encode(),
                        "application/x-www-form-urlencoded")


def ok(status, data, _ct=""):
    assert status == 200, (status, data[:300])
    return json.loads(data)


def login():
    c = Client()
    body = ok(*c.call("Login", {"email": USER, "password": password(USER)}))
    c.csrf = body["csrf"]
    return c


def admin_creds():
    with open(os.path.join(DIR, "admin.credentials")) as f:
        text = f.read()
    return (re.search(r"Username: (\S+)", text).group(1),
            re.search(r"Password: (\S+)", text).group(1),
            re.search(r"Secret key: (\S+)", text).group(1))


def admin_login(pw=None):
    user, pw0, key = admin_creds()
    pw = pw or pw0
    c = Client()
    s, page, _ = c.form("/admin/login", {"key": key, "login": user, "password": pw})
    assert s in (200, 303), (s, page[:300])
    s, page, _ = c.req("GET", "/admin/settings")
    m = re.search(rb'name="csrf" value="([0-9a-f]+)"', page)
    assert s == 200 and m, (s, page[:300])
    return c, m.group(1).decode()


def imap_count(user, folder, subject):
    m = imaplib.IMAP4("127.0.0.1", stack()["ports"]["imap"])
    try:
        m.login(user, password(user))
        m.select('"%s"' % folder)
        _, data = m.uid("SEARCH", "SUBJECT", '"%s"' % subject)
        return len(data[0].split())
    finally:
        m.logout()


def settings_form(title):
    return {"title": title, "language": "en", "theme": "Default",
            "messages_per_page": "25", "attachment_size_limit": "25",
            "default_domain": "example.test", "session_idle_minutes": "30",
            "session_absolute_hours": "12", "login_max_failures": "8",
            "login_window_seconds": "20"}


def domain_form(csrf, name):
    ports = stack()["ports"]
    return {"csrf": csrf, "name": name, "action": "save",
            "imap_host": "127.0.0.1", "imap_port": str(ports["imap"]), "imap_secure": "TLS",
            "imap_short_login": "Off", "smtp_host": "127.0.0.1",
            "smtp_port": str(ports["submission"]), "smtp_secure": "TLS",
            "smtp_short_login": "Off", "smtp_auth": "On", "smtp_set_sender": "Off",
            "relay_user": "", "relay_password": "", "sieve_use": "Off",
            "sieve_allow_raw": "Off", "sieve_host": "127.0.0.1",
            "sieve_port": str(ports["sieve"]), "sieve_secure": "TLS",
            "white_list": "", "verify_certificate": "On", "ca_file": stack()["ca_file"],
            "connect_timeout": "5", "read_timeout": "30"}


def ini_value(path, section, key):
    p = configparser.ConfigParser(interpolation=None, strict=False)
    p.read(path)
    return p.get(section, key, fallback="").strip('"')


def upload_files():
    d = os.path.join(BASE, "storage", "uploads")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def leftovers():
    """Temp files of the atomic writers, empty uploads."""
    bad = []
    for root, _, files in os.walk(DATA):
        for f in files:
            path = os.path.join(root, f)
            if re.match(r"^\..+\.[A-Za-z0-9]{6}$", f):
                bad.append(path)
            elif "uploads" in root and os.path.getsize(path) == 0:
                bad.append(path)
    return bad


# ---- the test -----------------------------------------------------------------

def start():
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py"), "start",
                    "--dir", DIR, "--mailstack", STACK,
                    "--petrel", os.environ["PETREL_BINARY"],
                    "--share", os.environ["PETREL_SOURCE_DIR"],
                    "--port", str(PORT), "--threads", "2", "--restart", "--fresh"],
                   check=True)


def stop():
    # Fails (exit 1) on a sanitizer report in Petrel's output.
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py"), "stop",
                    "--dir", DIR], check=True)


def clear(status, data, ctype, what):
    """A 2xx, or a clear 507; returns True when it succeeded."""
    if 200 <= status < 300 or status in (302, 303):
        return True
    assert status == 507, "%s: %d %r" % (what, status, data[:300])
    if "json" in ctype:
        err = json.loads(data)["error"]
        assert err["code"] == "InsufficientStorage" and err["message"], (what, err)
    else:
        assert "text/html" in ctype, (what, ctype)
    return False


def test_api_writes_on_a_full_disk():
    done, why = mount()
    if not done:
        print("SKIP: cannot mount a tmpfs here (%s); run as root" % why, flush=True)
        sys.exit(SKIP)
    try:
        start()
        try:
            run_calls()
        finally:
            stop()
    finally:
        umount()


def run_calls():
    c = login()
    eml = ("From: x@example.net\r\nTo: %s\r\nSubject: import %s\r\nDate: Mon, 1 Jan 2024 "
           "00:00:00 +0000\r\nMessage-ID: <%s@x>\r\n\r\nbody\r\n" % (USER, TAG, TAG)).encode()
    # The old values.
    ok(*c.call("SettingsSave", {"messagesPerPage": 30}))
    ident = ok(*c.call("IdentitySave", {"name": "Old %s" % TAG, "email": USER}))["id"]
    contact = ok(*c.call("ContactSave", {"name": "Old %s" % TAG,
                                         "emails": ["old-%s@example.net" % TAG]}))["id"]
    admin, acsrf = admin_login()
    s, page, _ = admin.form("/admin/settings", dict(settings_form("Old " + TAG), csrf=acsrf))
    assert s in (200, 303), (s, page[:300])
    app_ini = os.path.join(BASE, "configs", "application.ini")
    dom_ini = os.path.join(BASE, "domains", "default.ini")
    assert ini_value(app_ini, "webmail", "title") == "Old " + TAG
    dom_before = open(dom_ini).read()
    sent_subject = "diskfull send %s" % TAG
    token = secrets.token_hex(16)

    uploads_before = upload_files()
    spare = login()   # signed out on the full disk below
    spare_cookie = [k for k, v in spare.cookies.items() if "session" in k][0]
    fill()
    results = {}
    results["SettingsSave"] = clear(*c.call("SettingsSave", {"messagesPerPage": 40}),
                                    "SettingsSave")
    results["IdentitySave"] = clear(*c.call("IdentitySave", {
        "id": ident, "name": "New %s" % TAG, "email": USER}), "IdentitySave")
    results["ContactSave"] = clear(*c.call("ContactSave", {
        "id": contact, "name": "New %s" % TAG, "emails": ["new-%s@example.net" % TAG]}),
        "ContactSave")
    results["ContactNew"] = clear(*c.call("ContactSave", {
        "name": "Added %s" % TAG, "emails": ["added-%s@example.net" % TAG]}), "ContactSave new")
    results["ImagesAllow"] = clear(*c.call("ImagesAllow", {"sender": "img-%s@example.net" % TAG}),
                                   "ImagesAllow")
    s, data, ct = c.multipart("/api/Upload", {}, [("file", "big.bin",
                                                   "application/octet-stream",
                                                   os.urandom(256 * 1024))])
    results["Upload"] = clear(s, data, ct, "Upload")
    s, data, ct = c.multipart("/api/ContactsImport", {}, [(
        "file", "c.vcf", "text/vcard",
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imported %s\r\nEMAIL:imp-%s@example.net\r\n"
         "END:VCARD\r\n" % (TAG, TAG)).encode())])
    results["ContactsImport"] = clear(s, data, ct, "ContactsImport")
    s, data, ct = c.call("SaveDraft", {"to": ["bob@example.test"],
                                       "subject": "diskfull draft %s" % TAG, "text": "d"})
    results["SaveDraft"] = clear(s, data, ct, "SaveDraft")
    send = {"to": ["bob@example.test"], "subject": sent_subject, "text": "once",
            "sendToken": token}
    s, data, ct = c.call("Send", send)
    results["Send"] = clear(s, data, ct, "Send")
    s, data, ct = c.multipart("/api/FolderImport", {"folder": "INBOX"},
                              [("file", "m.eml", "message/rfc822", eml)])
    results["FolderImport"] = clear(s, data, ct, "FolderImport")
    s, data, ct = Client().call("Login", {"email": USER, "password": password(USER)})
    results["Login"] = clear(s, data, ct, "Login")
    s, page, ct = admin.form("/admin/settings", dict(settings_form("New " + TAG), csrf=acsrf))
    results["admin settings"] = clear(s, page, ct, "admin settings")
    new_dom = "full-%s.test" % TAG
    s, page, ct = admin.form("/admin/domain", domain_form(acsrf, new_dom))
    results["admin domain"] = clear(s, page, ct, "admin domain")
    admin_user, admin_pw, _ = admin_creds()
    s, page, ct = admin.form("/admin/security/password", {
        "csrf": acsrf, "new_login": admin_user, "current": admin_pw,
        "new_password": "Full-disk-%s-pw" % TAG, "confirm": "Full-disk-%s-pw" % TAG})
    results["admin password"] = clear(s, page, ct, "admin password")
    # Deletes and sign-out need room too (the journal): 2xx or 507.
    results["ContactDelete"] = clear(*c.call("ContactDelete", {"ids": [contact]}),
                                     "ContactDelete")
    results["ImagesDisallow"] = clear(*c.call("ImagesDisallow", {
        "sender": "img-%s@example.net" % TAG}), "ImagesDisallow")
    results["Lang"] = clear(*c.call("Lang", {"lang": "ru"}), "Lang")
    results["Logout"] = clear(*spare.call("Logout", {}), "Logout")
    # Refused or not, the answer makes the browser forget the session.
    assert spare.cookies.get(spare_cookie) == "", spare.cookies
    print("on a full disk: " + ", ".join("%s %s" % (k, "ok" if v else "507")
                                        for k, v in results.items()), flush=True)
    # The admin writes were the known 500s: they must answer 507 now.
    assert not results["admin settings"], "admin settings saved on a full disk?"
    assert not results["admin domain"], "a domain file written on a full disk?"
    assert not results["admin password"], "the admin password changed on a full disk?"
    assert not results["Upload"], "a 256 KiB upload fit on a full disk?"
    # Nothing went out while the token could not be recorded.
    if not results["Send"]:
        time.sleep(2)
        assert imap_count("bob@example.test", "INBOX", sent_subject) == 0

    unfill()
    assert not leftovers(), leftovers()
    # The refused upload left no (partial) file behind.
    assert upload_files() == uploads_before, (uploads_before, upload_files())
    # Room for a part of it: the write breaks midway, and its start goes.
    leave_room(64 * 1024)
    s, data, ct = c.multipart("/api/Upload", {}, [("file", "half.bin",
                                                   "application/octet-stream",
                                                   os.urandom(512 * 1024))])
    assert not clear(s, data, ct, "Upload (half)"), "512 KiB fit in 64?"
    assert upload_files() == uploads_before, (uploads_before, upload_files())
    unfill()
    assert not leftovers(), leftovers()
    prefs = ok(*c.call("Settings", {}))["settings"]
    assert prefs["messagesPerPage"] == (40 if results["SettingsSave"] else 30), prefs
    ids = {i["id"]: i for i in ok(*c.call("Identities", {}))["identities"]}
    want = "New " if results["IdentitySave"] else "Old "
    assert ids[ident]["name"] == want + TAG, ids[ident]
    cons = {x["id"]: x for x in ok(*c.call("Contacts", {"q": TAG, "limit": 50}))["contacts"]}
    if results["ContactDelete"]:
        assert contact not in cons, cons
    else:
        want = "New " if results["ContactSave"] else "Old "
        assert cons[contact]["name"] == want + TAG, cons[contact]
        assert cons[contact]["emails"] == ["%s-%s@example.net" % (want.strip().lower(), TAG)]
    added = [x for x in cons.values() if x["name"] == "Added " + TAG]
    assert len(added) == (1 if results["ContactNew"] else 0), added
    for x in added:
        assert x["emails"] == ["added-%s@example.net" % TAG], x
    imported = [x for x in cons.values() if x["name"] == "Imported " + TAG]
    assert len(imported) <= 1 and (imported or not results["ContactsImport"]), imported
    senders = ok(*c.call("ImagesAllowed", {}))["senders"]
    listed = results["ImagesAllow"] and not results["ImagesDisallow"]
    assert (("img-%s@example.net" % TAG) in senders) == listed, senders
    assert ini_value(app_ini, "webmail", "title") == "Old " + TAG
    assert open(dom_ini).read() == dom_before
    assert not os.path.exists(os.path.join(BASE, "domains", new_dom + ".ini"))
    # The old admin password still signs in; the new one does not.
    admin, acsrf = admin_login()

    # The same calls work again once there is room.
    s, page, _ = admin.form("/admin/settings", dict(settings_form("New " + TAG), csrf=acsrf))
    assert s in (200, 303), (s, page[:300])
    assert ini_value(app_ini, "webmail", "title") == "New " + TAG
    s, data, _ = c.multipart("/api/Upload", {}, [("file", "b.bin", "application/octet-stream",
                                                  b"x" * 1000)])
    assert ok(s, data)["size"] == 1000
    ok(*c.call("Send", send))
    deadline = time.time() + 20
    while imap_count("bob@example.test", "INBOX", sent_subject) < 1 and time.time() < deadline:
        time.sleep(0.3)
    ok(*c.call("Send", send))   # the same token again: a replay
    time.sleep(1.5)
    assert imap_count("bob@example.test", "INBOX", sent_subject) == 1
    assert ok(*c.call("Session", {}))


if __name__ == "__main__":
    run_tests(globals())
