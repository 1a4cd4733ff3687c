#!/usr/bin/python3
"""The admin's Domain health page through nginx -> petrel, with [dns]
resolver pointed at a private nsd serving broken and good zones (the
zones of tests/doctor/test_doctor.py)."""
import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "admin"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "doctor"))
import test_admin as ta  # noqa: E402
import test_doctor as td  # noqa: E402


# admin_integration's last test locks 127.0.0.1 out of the admin sign-in
# for the rate-limit window (per address); sign in from 127.0.0.2 so the
# order of the two tests does not matter.
class _FromOtherAddress(ta.http.client.HTTPConnection):
    def __init__(self, *a, **k):
        # test_admin's Client passes source_address=None when it has none.
        if not k.get("source_address"):
            k["source_address"] = ("127.0.0.2", 0)
        super().__init__(*a, **k)


ta.http.client.HTTPConnection = _FromOtherAddress


def checks_of(page):
    """{id: (status, found text)} from the page's check list."""
    out = {}
    for m in re.finditer(r'<li class="health-check[^"]*" data-check="([a-z0-9_]+)" '
                         r'data-status="([a-z]+)">(.*?)</li>', page, re.S):
        found = re.search(r'<p class="health-found">(.*?)</p>', m.group(3), re.S)
        out[m.group(1)] = (m.group(2), html.unescape(found.group(1)) if found else "",
                           m.group(3))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-port", type=int, required=True)
    args = ap.parse_args()
    os.environ["PATH"] += ":/usr/sbin"
    tmp = tempfile.mkdtemp(prefix="petrel-health-")
    nsd = td.start_nsd(tmp, args.base_port)
    ini = os.path.join(ta.BASEDIR, "configs", "application.ini")
    with open(ini) as f:
        original = f.read()
    try:
        with open(ini, "a") as f:
            f.write('\n[dns]\nresolver = "127.0.0.1:%d"\ntimeout = 2\n'
                    '[doctor]\nsending_ip = "192.0.2.10"\nhelo_name = "mail.good.test"\n'
                    'smtp_test_domain = "smtptest.test"\n'
                    'smtp_test_port = %d\nsmtp_test_timeout = 2\n'
                    % (args.base_port, args.base_port + 1))
        ta.reload_petrel()

        anon = ta.Client()
        status, _, _ = anon.get("/admin/health?name=twospf.test")
        assert status == 404, "without an admin session: 404, got %d" % status

        c, _ = ta.admin()
        status, page, _ = c.get("/admin/health")
        assert status == 200, status
        assert 'href="/admin/health" class="active"' in page, "nav entry active"
        assert 'id="health-report"' not in page, "no report before a name"

        status, page, _ = c.get("/admin/health?name=twospf.test")
        assert status == 200, status
        ch = checks_of(page)
        want = {"mx": "ok", "spf": "problem", "dkim": "problem",
                "dmarc": "warning", "port25": "problem", "imap": "ok"}
        for cid, st in want.items():
            assert cid in ch, "check %s on the page: %s" % (cid, sorted(ch))
            assert ch[cid][0] == st, "%s: want %s, got %s (%s)" % (
                cid, st, ch[cid][0], ch[cid][1])
        assert "2 v=spf1 TXT records" in ch["spf"][1], ch["spf"][1]
        assert "p=none only asks for reports" in ch["dmarc"][1], ch["dmarc"][1]
        # The fix is shown as a record, and port 25 links to the relay.
        assert "IN TXT &#34;v=spf1 mx a ip4:192.0.2.10 ~all&#34;" in ch["spf"][2] or \
            'IN TXT &quot;v=spf1 mx a ip4:192.0.2.10 ~all&quot;' in ch["spf"][2], \
            ch["spf"][2]
        assert 'href="/admin/domain?name=twospf.test"' in ch["port25"][2], \
            "port 25 links to the domain's relay settings"
        assert 'id="health-overall">Problem<' in page

        # The page in a browser: no CSP or script errors; the picture is
        # kept for a person to look at.
        shot = os.path.join(os.environ.get("PETREL_E2E_ARTIFACTS",
                                           os.path.join(ta.WEB, "artifacts")),
                            "admin-health-twospf.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items()
                           if kv[0] == "petrel_admin")
        if shutil.which("node") and os.path.exists("/usr/bin/chromium"):
            r = subprocess.run(["node", os.path.join(HERE, "shot.mjs"),
                                ta.BASE + "/admin/health?name=twospf.test",
                                cookie, shot], capture_output=True, text=True,
                               timeout=180)
            assert r.returncode == 0, "browser: " + r.stderr + r.stdout
            print("screenshot:", shot)

        status, page, _ = c.get("/admin/health?name=good.test")
        ch = checks_of(page)
        for cid in ("mx", "spf", "dkim", "dmarc", "ptr", "a_mail", "a_webmail"):
            assert ch[cid][0] == "ok", "good.test %s: %s" % (cid, ch[cid])

        status, page, _ = c.get("/admin/health?name=%3Cbad%20name%3E")
        assert status == 200 and "alert-error" in page and \
            'id="health-report"' not in page, "a bad name is refused"
        print("ok   admin Domain health page")
    finally:
        with open(ini, "w") as f:
            f.write(original)
        ta.reload_petrel()
        nsd.terminate()
        nsd.wait(10)


if __name__ == "__main__":
    main()
