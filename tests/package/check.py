#!/usr/bin/python3
"""HTTP checks of the installed package, through the private nginx that
scripts/ci-package.sh puts in front of the installed petrel.

  check.py page URL MARKER TITLE        login page: 200, MARKER and <title>TITLE
  check.py static URL PATH FILE         GET PATH equals FILE's bytes
  check.py login URL EMAIL PASSWORD     IMAP sign-in works; a wrong password is 401
  check.py admin-warn URL LOGINFILE CREDPATH yes|no|confirm
      sign in to the admin panel with LOGINFILE's three lines; check that
      the dashboard does (yes) or does not (no) warn about the credentials
      file CREDPATH, or (confirm) warns, then press "I have deleted it" and
      see the warning gone.
"""
import http.client
import json
import re
import sys
import urllib.parse


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Client:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.cookies = {}

    def req(self, method, path, form=None, json_body=None, headers=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        h = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        c.close()
        return r.status, data, {k.lower(): v for k, v in r.getheaders()}


def page(base, marker, title):
    s, body, _ = Client(base).req("GET", "/")
    text = body.decode("utf-8", "replace")
    if s != 200:
        fail("GET / answered %d" % s)
    if 'name="password"' not in text:
        fail("GET / is not the login page")
    if marker not in text:
        fail("the login page does not come from the installed templates (no %r)" % marker)
    if "\u00b7 %s</title>" % title not in text:
        fail("title %r not on the login page" % title)
    print("ok   login page from the installed share dir, title %r" % title)


def static(base, path, file):
    s, body, _ = Client(base).req("GET", path)
    with open(file, "rb") as f:
        want = f.read()
    if s != 200 or body != want:
        fail("GET %s: %d, %d bytes; want %s (%d bytes)" % (path, s, len(body), file, len(want)))
    print("ok   %s served by nginx from %s" % (path, file))


def login(base, email, password):
    s, body, _ = Client(base).req("POST", "/api/Login",
                                  json_body={"email": email, "password": password + "x"})
    if s != 401:
        fail("a wrong password answered %d, not 401" % s)
    c = Client(base)
    s, body, _ = c.req("POST", "/api/Login", json_body={"email": email, "password": password})
    if s != 200:
        fail("sign-in as %s answered %d: %s" % (email, s, body[:300]))
    token = json.loads(body)["csrf"]
    s, body, _ = c.req("POST", "/api/Folders", json_body={}, headers={"X-Petrel-Token": token})
    if s != 200 or b"INBOX" not in body:
        fail("folder list after sign-in: %d %s" % (s, body[:300]))
    print("ok   %s signed in against the test Dovecot (INBOX listed)" % email)


def admin_warn(base, loginfile, credfile, want):
    with open(loginfile) as f:
        text = f.read()
    m = re.fullmatch(r"Username: (admin_[0-9a-f]{8})\nPassword: ([A-Za-z0-9]{16})\n"
                     r"Secret key: (admin_[0-9a-f]{8})\n", text)
    if not m:
        fail("%s is not the three lines Username:/Password:/Secret key:" % loginfile)
    user, pw, key = m.groups()
    c = Client(base)
    s, body, _ = c.req("GET", "/?" + key)
    if s != 200 or b'action="/admin/login"' not in body:
        fail("the secret key does not open the admin sign-in (%d)" % s)
    s, body, _ = c.req("POST", "/admin/login", form={"key": key, "login": user, "password": pw})
    if s != 303:
        fail("admin sign-in with %s answered %d" % (loginfile, s))

    def warns():
        s, body, _ = c.req("GET", "/admin/")
        text = body.decode("utf-8", "replace")
        if s != 200:
            fail("dashboard answered %d" % s)
        shown = 'id="cred-file-warning"' in text
        if shown and credfile not in text:
            fail("the warning does not name %s" % credfile)
        return shown, text

    shown, text = warns()
    if want == "no":
        if shown:
            fail("the dashboard still warns about %s" % credfile)
        print("ok   admin signs in; no credentials-file warning")
        return
    if not shown:
        fail("the dashboard does not warn about %s" % credfile)
    if want == "confirm":
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', text).group(1)
        s, _, _ = c.req("POST", "/admin/credentials-file/deleted", form={"csrf": csrf})
        if s != 303 or warns()[0]:
            fail("confirming the deletion did not end the warning (%d)" % s)
        print("ok   the panel's confirmation ended the credentials-file warning")
        return
    print("ok   admin signs in with %s; the dashboard warns about it" % credfile)


def main():
    cmd, base, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    {"page": page, "static": static, "login": login, "admin-warn": admin_warn}[cmd](base, *args)


if __name__ == "__main__":
    main()
