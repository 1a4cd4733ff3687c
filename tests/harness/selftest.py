#!/usr/bin/python3
"""Self-test of a running mail stack started by mailstack.py.

  selftest.py --dir DIR        (or MAILSTACK_DIR in the environment)

Exits non-zero if any check fails; prints "N passed, N failed" at the end.
"""
import argparse
import base64
import email
import email.message
import email.utils
import imaplib
import json
import os
import re
import smtplib
import socket
import ssl
import sys
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sievelib_min as sv  # noqa: E402

RESULTS = []


def check(name):
    def deco(fn):
        def wrapper(*a, **kw):
            t0 = time.time()
            try:
                fn(*a, **kw)
            except Exception as e:  # noqa: BLE001
                RESULTS.append((name, False))
                print("FAIL  %s (%.2fs): %s" % (name, time.time() - t0, e))
                if os.environ.get("SELFTEST_VERBOSE"):
                    traceback.print_exc()
            else:
                RESULTS.append((name, True))
                print("ok    %s (%.2fs)" % (name, time.time() - t0))
        return wrapper
    return deco


class Ctx:
    def __init__(self, d):
        with open(os.path.join(d, "mailstack.json")) as f:
            self.info = json.load(f)
        self.ports = self.info["ports"]
        self.host = self.info["host"]
        self.users = {u["email"]: u["password"] for u in self.info["users"]}
        self.ca = self.info["ca_file"]

    def sslctx(self):
        c = ssl.create_default_context(cafile=self.ca)
        c.check_hostname = True
        c.verify_mode = ssl.CERT_REQUIRED
        return c

    def pw(self, u):
        return self.users[u]

    def imap(self, user):
        m = imaplib.IMAP4(self.host, self.ports["imap"])
        m.login(user, self.pw(user))
        return m


def wait_for(pred, timeout=15, step=0.2, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def search_subject(ctx, user, folder, subject):
    m = ctx.imap(user)
    try:
        typ, _ = m.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            return []
        typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
        return data[0].split() if typ == "OK" and data and data[0] else []
    finally:
        m.logout()


def run_all(ctx):
    alice, bob = "alice@example.test", "bob@example.test"

    @check("imap LOGIN alice succeeds")
    def _():
        m = imaplib.IMAP4(ctx.host, ctx.ports["imap"])
        typ, _ = m.login(alice, ctx.pw(alice))
        assert typ == "OK"
        m.logout()
    _()

    @check("imap LOGIN with wrong password fails")
    def _():
        m = imaplib.IMAP4(ctx.host, ctx.ports["imap"])
        try:
            m.login(alice, "definitely-wrong")
        except imaplib.IMAP4.error as e:
            assert "AUTHENTICATIONFAILED" in str(e) or "failed" in str(e).lower(), e
        else:
            raise AssertionError("login with wrong password succeeded")
        finally:
            try:
                m.logout()
            except Exception:
                pass
    _()

    @check("imap STARTTLS verifies against CA_FILE as 'localhost'")
    def _():
        m = imaplib.IMAP4("localhost", ctx.ports["imap"])
        m.starttls(ssl_context=ctx.sslctx())
        cert = m.sock.getpeercert()
        assert cert, "no peer cert"
        m.login(alice, ctx.pw(alice))
        m.logout()
    _()

    @check("imaps implicit TLS verifies against CA_FILE as 'localhost'")
    def _():
        m = imaplib.IMAP4_SSL("localhost", ctx.ports["imaps"], ssl_context=ctx.sslctx())
        m.login(alice, ctx.pw(alice))
        m.logout()
    _()

    @check("imaps does NOT verify for a wrong hostname")
    def _():
        c = ctx.sslctx()
        s = socket.create_connection((ctx.host, ctx.ports["imaps"]), timeout=5)
        try:
            c.wrap_socket(s, server_hostname="wrong.example.net")
        except ssl.SSLCertVerificationError:
            return
        finally:
            s.close()
        raise AssertionError("hostname mismatch was accepted")
    _()

    @check("special-use folders Drafts/Sent/Trash/Junk/Archive exist and are subscribed")
    def _():
        m = ctx.imap(alice)
        typ, data = m._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
        typ, data = m._untagged_response(typ, data, "LIST")
        assert typ == "OK", (typ, data)
        lines = [d.decode() for d in data if d]
        want = {"\\Drafts": "Drafts", "\\Sent": "Sent", "\\Trash": "Trash",
                "\\Junk": "Junk", "\\Archive": "Archive"}
        for flag, name in want.items():
            assert any(flag in ln and ln.rstrip().endswith(name) for ln in lines), \
                "missing %s %s in %r" % (flag, name, lines)
        typ, data = m.lsub('""', '"*"')
        subs = b" ".join(d for d in data if d).decode()
        for name in want.values():
            assert name in subs, "%s not subscribed: %r" % (name, subs)
        m.logout()
    _()

    @check("submission STARTTLS + AUTH PLAIN alice -> bob INBOX")
    def _():
        subj = "selftest submission %s" % uuid.uuid4().hex[:12]
        msg = email.message.EmailMessage()
        msg["From"] = "Alice <%s>" % alice
        msg["To"] = "Bob <%s>" % bob
        msg["Subject"] = subj
        msg["Date"] = email.utils.formatdate(localtime=True)
        msg["Message-ID"] = email.utils.make_msgid(domain="example.test")
        msg.set_content("Hello Bob,\nthis is the mailstack self-test.\n")
        s = smtplib.SMTP("localhost", ctx.ports["submission"], timeout=20)
        s.ehlo("selftest.example.test")
        assert not s.has_extn("auth"), "AUTH offered before STARTTLS"
        s.starttls(context=ctx.sslctx())
        s.ehlo("selftest.example.test")
        assert s.has_extn("auth"), "AUTH not offered after STARTTLS"
        s.login(alice, ctx.pw(alice))
        s.send_message(msg)
        s.quit()
        wait_for(lambda: search_subject(ctx, bob, "INBOX", subj), what="message in bob INBOX")
    _()

    @check("submission refuses unauthenticated relay")
    def _():
        s = smtplib.SMTP("localhost", ctx.ports["submission"], timeout=20)
        s.starttls(context=ctx.sslctx())
        s.ehlo("selftest.example.test")
        try:
            s.sendmail(alice, [bob], b"Subject: x\r\n\r\nx\r\n")
        except smtplib.SMTPException:
            pass
        else:
            raise AssertionError("unauthenticated submission accepted")
        finally:
            try:
                s.quit()
            except Exception:
                pass
    _()

    @check("submissions (implicit TLS) AUTH works")
    def _():
        s = smtplib.SMTP_SSL("localhost", ctx.ports["submissions"], timeout=20,
                             context=ctx.sslctx())
        s.login(alice, ctx.pw(alice))
        s.quit()
    _()

    @check("managesieve greeting lists SIEVE and STARTTLS; STARTTLS verifies")
    def _():
        c = sv.ManageSieve(ctx.host, ctx.ports["sieve"])
        assert "SIEVE" in c.caps, c.caps
        assert "STARTTLS" in c.caps, c.caps
        assert "fileinto" in c.caps["SIEVE"].split(), c.caps["SIEVE"]
        assert "vacation" in c.caps["SIEVE"].split(), c.caps["SIEVE"]
        c.starttls(ctx.sslctx(), "localhost")
        assert "SASL" in c.caps and "PLAIN" in c.caps["SASL"].upper(), c.caps
        c.logout()
    _()

    @check("sieve script via ManageSieve files mail from alice into 'Filed' (LMTP)")
    def _():
        script = ('require ["fileinto", "mailbox"];\n'
                  'if address :is "from" "alice@example.test" {\n'
                  '  fileinto :create "Filed";\n  stop;\n}\n')
        c = sv.ManageSieve(ctx.host, ctx.ports["sieve"])
        c.starttls(ctx.sslctx(), "localhost")
        c.authenticate_plain(bob, ctx.pw(bob))
        c.putscript("selftest", script)
        c.setactive("selftest")
        names = c.listscripts()
        assert ("selftest", True) in names, names
        c.logout()
        subj = "selftest sieve %s" % uuid.uuid4().hex[:12]
        raw = ("From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
               "Subject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n\r\nfiled?\r\n"
               % (subj, email.utils.formatdate(), email.utils.make_msgid()))
        with smtplib.LMTP(ctx.host, ctx.ports["lmtp"]) as lm:
            lm.sendmail(alice, [bob], raw.encode())
        assert search_subject(ctx, bob, "Filed", subj), "not in Filed"
        assert not search_subject(ctx, bob, "INBOX", subj), "also in INBOX"
        # clean up: deactivate + delete
        c = sv.ManageSieve(ctx.host, ctx.ports["sieve"])
        c.starttls(ctx.sslctx(), "localhost")
        c.authenticate_plain(bob, ctx.pw(bob))
        c.setactive("")
        c.deletescript("selftest")
        c.logout()
    _()

    @check("sieve vacation reply (via ManageSieve script) is sent through postfix to the sink")
    def _():
        sink = ctx.info.get("sink_user")
        if not sink:
            return
        tag = uuid.uuid4().hex[:12]
        c = sv.ManageSieve(ctx.host, ctx.ports["sieve"])
        c.starttls(ctx.sslctx(), "localhost")
        c.authenticate_plain(bob, ctx.pw(bob))
        c.putscript("selftest-vac", 'require ["vacation", "vacation-seconds"];\n'
                    'vacation :seconds 1 :subject "Away %s" "I am away.";\n' % tag)
        c.setactive("selftest-vac")
        c.logout()
        ext = "ext-%s@elsewhere.invalid" % tag
        with smtplib.LMTP(ctx.host, ctx.ports["lmtp"]) as lm:
            lm.sendmail(ext, [bob], ("From: <%s>\r\nTo: %s\r\nSubject: hi\r\n"
                                     "Message-ID: <%s@elsewhere.invalid>\r\n\r\nhi\r\n"
                                     % (ext, bob, tag)).encode())
        try:
            wait_for(lambda: search_subject(ctx, sink, "INBOX", "Away %s" % tag),
                     what="vacation reply in sink")
        finally:
            c = sv.ManageSieve(ctx.host, ctx.ports["sieve"])
            c.starttls(ctx.sslctx(), "localhost")
            c.authenticate_plain(bob, ctx.pw(bob))
            c.setactive("")
            c.deletescript("selftest-vac")
            c.logout()
    _()

    @check("external recipients are captured by the sink user (no outbound mail)")
    def _():
        sink = ctx.info.get("sink_user")
        if not sink:
            return
        subj = "selftest outbound %s" % uuid.uuid4().hex[:12]
        s = smtplib.SMTP("localhost", ctx.ports["submission"], timeout=20)
        s.starttls(context=ctx.sslctx())
        s.login(alice, ctx.pw(alice))
        s.sendmail(alice, ["someone@elsewhere.invalid"],
                   ("From: alice@example.test\r\nTo: someone@elsewhere.invalid\r\n"
                    "Subject: %s\r\n\r\nhi\r\n" % subj).encode())
        s.quit()
        wait_for(lambda: search_subject(ctx, sink, "INBOX", subj), what="message in sink")
    _()


def run_fixtures(ctx):
    carol = "carol@example.org"

    @check("all fixtures deliver via LMTP and are fetchable (BODYSTRUCTURE) over IMAP")
    def _():
        fdir = os.path.join(HERE, "fixtures")
        files = sorted(f for f in os.listdir(fdir) if f.endswith(".eml"))
        assert files, "no fixtures"
        m = ctx.imap(carol)
        typ, data = m.select("INBOX")
        before = int(data[0])
        with smtplib.LMTP(ctx.host, ctx.ports["lmtp"]) as lm:
            for fn in files:
                with open(os.path.join(fdir, fn), "rb") as f:
                    raw = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                lm.sendmail("fixtures@example.test", [carol], raw)
                lm.rset()
        m.noop()
        typ, data = m.select("INBOX")
        after = int(data[0])
        assert after - before == len(files), (before, after, len(files))
        typ, data = m.fetch("%d:*" % (before + 1), "(BODYSTRUCTURE ENVELOPE)")
        assert typ == "OK" and len([d for d in data if d]) >= len(files), data[:2]
        m.logout()
    _()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", default=os.environ.get("MAILSTACK_DIR"))
    a = ap.parse_args()
    if not a.dir:
        ap.error("--dir or MAILSTACK_DIR required")
    ctx = Ctx(a.dir)
    run_all(ctx)
    run_fixtures(ctx)
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not RESULTS else 0


if __name__ == "__main__":
    sys.exit(main())
