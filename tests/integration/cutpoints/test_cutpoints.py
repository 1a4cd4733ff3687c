#!/usr/bin/env python3
"""Cut points of Send and SaveDraft (issue 14).

A second Petrel + nginx (tests/harness/webstack.py, its own port) talks to
Dovecot's IMAP and Postfix's SMTP through cutproxy.CutProxy, which breaks
the connection at one step of a request:

  Send       SMTP: before DATA, after the end of data (Postfix queued the
             message, its 250 is lost), at QUIT (the 250 arrived);
             IMAP: before / after the APPEND to Sent (after: the OK is lost)
  SaveDraft  IMAP: before / after the APPEND to Drafts, before the old
             draft's deletion (UID STORE \\Deleted), after its UID EXPUNGE

For each cut: the API answer (a clear error, or success where the message
really went out), 0 duplicate deliveries (counted in bob's INBOX over IMAP),
0 lost drafts (the new version or the previous one is in Drafts), and a
retry with the same sendToken (or the same draftUid) does the right thing:
sends what was not sent, never sends twice.

Petrel reaches the proxies without TLS (imap_secure/smtp_secure None, on
127.0.0.1, which Petrel allows), so the proxy sees the commands; SMTP goes
to Postfix's port 25 without AUTH (127.0.0.1 is in mynetworks).

Env: PETREL_MAILSTACK_DIR, PETREL_BINARY, PETREL_SOURCE_DIR,
PETREL_CUT_DIR (state), PETREL_CUT_PORT.
"""
import http.client
import imaplib
import json
import os
import secrets
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
sys.path.insert(0, HERE)
from testrun import run_tests  # noqa: E402
from cutproxy import CutProxy  # noqa: E402

HARNESS = os.path.join(os.environ.get("PETREL_SOURCE_DIR", "."), "tests", "harness")
STACK = os.environ.get("PETREL_MAILSTACK_DIR", "")
DIR = os.environ.get("PETREL_CUT_DIR", "")
PORT = int(os.environ.get("PETREL_CUT_PORT", "0"))
USER = "alice@example.test"
RCPT = "bob@example.test"
TAG = secrets.token_hex(4)


def stack():
    with open(os.path.join(STACK, "mailstack.json")) as f:
        return json.load(f)


def password(email):
    for u in stack()["users"]:
        if u["email"] == email:
            return u["password"]
    raise KeyError(email)


class Client:
    def __init__(self):
        self.cookie = None
        self.csrf = None

    def call(self, name, args):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=90)
        h = {"Content-Type": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf:
            h["X-Petrel-Token"] = self.csrf
        c.request("POST", "/api/" + name, body=json.dumps(args), headers=h)
        r = c.getresponse()
        data = r.read()
        cookies = [v.split(";", 1)[0] for k, v in r.getheaders()
                   if k.lower() == "set-cookie"]
        if cookies:
            self.cookie = "; ".join(cookies)
        c.close()
        try:
            body = json.loads(data)
        except ValueError:
            body = {"raw": data[:300]}
        return r.status, body


def imap_uids(user, folder, subject):
    m = imaplib.IMAP4("127.0.0.1", stack()["ports"]["imap"])
    try:
        m.login(user, password(user))
        typ, _ = m.select('"%s"' % folder)
        if typ != "OK":
            return []
        _, data = m.uid("SEARCH", "UNDELETED", "SUBJECT", '"%s"' % subject)
        return [int(u) for u in data[0].split()]
    finally:
        m.logout()


def delivered(subject, want, timeout=20):
    """bob's copies of subject; waits up to timeout for want of them, and a
    little longer for any extra (a duplicate arrives as fast as the first)."""
    deadline = time.time() + timeout
    n = len(imap_uids(RCPT, "INBOX", subject))
    while n < want and time.time() < deadline:
        time.sleep(0.3)
        n = len(imap_uids(RCPT, "INBOX", subject))
    time.sleep(1.5)
    return len(imap_uids(RCPT, "INBOX", subject))


# ---- the stack ---------------------------------------------------------------

def webstack(*args):
    subprocess.run([sys.executable, os.path.join(HARNESS, "webstack.py")] + list(args),
                   check=True)


def start(imap_proxy, smtp_proxy):
    webstack("start", "--dir", DIR, "--mailstack", STACK,
             "--petrel", os.environ["PETREL_BINARY"],
             "--share", os.environ["PETREL_SOURCE_DIR"],
             "--port", str(PORT), "--threads", "2", "--restart", "--fresh",
             "--no-admin-init")
    ini = os.path.join(DIR, "data", "_data_", "_default_", "domains", "default.ini")
    with open(ini, "w") as f:
        f.write('; tests/integration/cutpoints: through the cutting proxies.\n'
                'imap_host = "127.0.0.1"\nimap_port = %d\nimap_secure = "None"\n'
                'imap_short_login = Off\n'
                'smtp_host = "127.0.0.1"\nsmtp_port = %d\nsmtp_secure = "None"\n'
                'smtp_short_login = Off\nsmtp_auth = Off\nsmtp_set_sender = Off\n'
                'sieve_use = Off\nconnect_timeout = 5\nread_timeout = 10\n'
                % (imap_proxy.port, smtp_proxy.port))
    with open(os.path.join(DIR, "petrel.pid")) as f:
        os.kill(int(f.read()), signal.SIGHUP)
    time.sleep(1.0)


def stop():
    # Fails (exit 1) on a sanitizer report in Petrel's output.
    webstack("stop", "--dir", DIR)


# ---- the cuts ----------------------------------------------------------------

APPEND_SENT = rb"^\S+ APPEND \"?Sent\"? "
APPEND_DRAFTS = rb"^\S+ APPEND \"?Drafts\"? "
STORE_DELETED = rb"^\S+ UID STORE \S+ \+FLAGS"
EXPUNGE = rb"^\S+ UID EXPUNGE "


def cut_send(c, proxy, pattern, when, name, with_draft=False):
    """Send once with the cut armed, then retry with the same token."""
    subject = "cut %s %s" % (name, TAG)
    req = {"to": [RCPT], "subject": subject, "text": "cut point " + name,
           "sendToken": secrets.token_hex(16)}
    if with_draft:
        status, body = c.call("SaveDraft", {"to": [RCPT], "subject": subject, "text": "d"})
        assert status == 200, (status, body)
        req["draftUid"] = body["draftUid"]
    proxy.arm(pattern, when)
    first = c.call("Send", req)
    fired = proxy.fired.wait(2)
    proxy.disarm()
    assert fired, "%s: the cut never happened (answer %r)" % (name, first)
    n1 = delivered(subject, 1 if first[0] == 200 else 0, timeout=20 if first[0] == 200 else 3)
    retry = c.call("Send", req)
    n2 = delivered(subject, 1, timeout=20)
    sent = len(imap_uids(USER, "Sent", subject))
    print("%-26s first %d %s, delivered %d; retry %d %s, delivered %d; in Sent %d"
          % (name, first[0], first[1].get("error", {}).get("code", ""), n1,
             retry[0], retry[1].get("error", {}).get("code", ""), n2, sent), flush=True)
    return first, n1, retry, n2, sent


def check_error(answer, name):
    status, body = answer
    err = body.get("error") or {}
    assert status >= 400 and err.get("code") and err.get("message"), (name, answer)


def test_send_cut_points():
    results = {}
    for name, which, pattern, when in (
            ("smtp before DATA", "smtp", rb"^DATA\r?\n", "before"),
            ("smtp after end of data", "smtp", rb"^\.\r?\n", "after"),
            ("smtp at QUIT", "smtp", rb"^QUIT", "before"),
            ("imap before APPEND Sent", "imap", APPEND_SENT, "before"),
            ("imap after APPEND Sent", "imap", APPEND_SENT, "after"),
            ("imap before draft deleted", "imap", STORE_DELETED, "before")):
        proxy = PROXIES[which]
        results[name] = cut_send(CLIENT, proxy, pattern, when, name,
                                 with_draft=name.endswith("draft deleted"))
    problems = []
    for name, (first, n1, retry, n2, sent) in results.items():
        # Never twice, never lost: one delivery after the retry at most
        # (exactly one where the retry may send).
        if n2 > 1:
            problems.append("%s: delivered %d times" % (name, n2))
        if first[0] != 200:
            try:
                check_error(first, name)
            except AssertionError as e:
                problems.append("%s: unclear error %r" % (name, e))
    # Before DATA nothing went out; the retry sends it.
    first, n1, retry, n2, _ = results["smtp before DATA"]
    if not (first[0] == 503 and n1 == 0 and retry[0] == 200 and n2 == 1):
        problems.append("smtp before DATA: %r %d %r %d" % (first, n1, retry, n2))
    # Postfix has it but Petrel never heard the 250: an error that says it
    # may have gone, and the retry with the same token does not send again.
    first, n1, retry, n2, _ = results["smtp after end of data"]
    if not (first[0] >= 500 and first[1]["error"].get("code") == "send_uncertain"
            and retry[1].get("error", {}).get("code") == "send_uncertain" and n2 == 1):
        problems.append("smtp after end of data: %r delivered %d; retry %r delivered %d"
                        % (first, n1, retry, n2))
    # The 250 arrived: sent, and the retry is a replay of the same answer.
    for name in ("smtp at QUIT", "imap before APPEND Sent", "imap after APPEND Sent",
                 "imap before draft deleted"):
        first, n1, retry, n2, sent = results[name]
        if not (first[0] == 200 and retry == first and n2 == 1):
            problems.append("%s: %r %r delivered %d" % (name, first, retry, n2))
    # The Sent copy: none when the APPEND never reached the server, one
    # (never two) when only its OK was lost.
    if results["imap before APPEND Sent"][4] != 0 or results["imap after APPEND Sent"][4] != 1:
        problems.append("Sent copies: before %d, after %d"
                        % (results["imap before APPEND Sent"][4],
                           results["imap after APPEND Sent"][4]))
    if results["imap before APPEND Sent"][0][1].get("sentUid") is not None:
        problems.append("a sentUid although nothing was saved")
    if results["imap before APPEND Sent"][0][1].get("sentSaved") is not False:
        problems.append("no sentSaved: false although nothing was saved")
    if results["imap after APPEND Sent"][0][1].get("sentSaved") is not False:
        # the OK was lost: Petrel cannot know the copy is there
        problems.append("sentSaved after a lost APPEND answer: %r"
                        % (results["imap after APPEND Sent"][0][1],))
    if results["smtp at QUIT"][0][1].get("sentSaved") is not True:
        problems.append("sentSaved not true for a saved copy: %r"
                        % (results["smtp at QUIT"][0][1],))
    # The draft of a sent message goes, even when the first try to delete
    # it lost its connection (it is done again on a new one).
    left = drafts("cut imap before draft deleted %s" % TAG)
    if left:
        problems.append("the sent message's draft is still in Drafts: %s" % left)
    # The unsure send keeps its draft: the user decides.
    assert not problems, "\n".join(problems)


def drafts(subject):
    return imap_uids(USER, "Drafts", subject)


def test_save_draft_cut_points():
    c = CLIENT
    proxy = PROXIES["imap"]
    problems = []
    # The copies in Drafts once the retry saved: 1, or 2 where the cut
    # kept the new draft's UID from Petrel (the APPEND's OK lost): an extra
    # copy, never a lost one. A deletion cut off is done again on a new
    # connection (deleting one UID twice is harmless).
    for name, pattern, when, copies in (
            ("before APPEND Drafts", APPEND_DRAFTS, "before", 1),
            ("after APPEND Drafts", APPEND_DRAFTS, "after", 2),
            ("before deleting the old", STORE_DELETED, "before", 1),
            ("after UID EXPUNGE", EXPUNGE, "after", 1)):
        subject = "draft cut %s %s" % (name, TAG)
        fields = {"to": [RCPT], "subject": subject, "text": "v1"}
        status, body = c.call("SaveDraft", fields)
        assert status == 200, (status, body)
        v1 = body["draftUid"]
        proxy.arm(pattern, when)
        first = c.call("SaveDraft", dict(fields, text="v2", draftUid=v1))
        fired = proxy.fired.wait(2)
        proxy.disarm()
        after_cut = drafts(subject)
        # The retry: what the compose window does on its next autosave.
        last = first[1].get("draftUid") if first[0] == 200 else v1
        retry = c.call("SaveDraft", dict(fields, text="v3", draftUid=last))
        final = drafts(subject)
        print("%-26s first %d %s, Drafts %s; retry %d, Drafts %s"
              % (name, first[0], first[1].get("error", {}).get("code", ""), after_cut,
                 retry[0], final), flush=True)
        if not fired:
            problems.append("%s: the cut never happened" % name)
        if not after_cut:
            problems.append("%s: the draft is lost (nothing in Drafts)" % name)
        if first[0] != 200:
            try:
                check_error(first, name)
            except AssertionError as e:
                problems.append("%s: unclear error %r" % (name, e))
            if v1 not in after_cut:
                problems.append("%s: failed, and the previous version is gone" % name)
        elif first[1]["draftUid"] not in after_cut:
            problems.append("%s: answered a draftUid that is not in Drafts" % name)
        if retry[0] != 200 or retry[1]["draftUid"] not in final:
            problems.append("%s: the retry did not save: %r" % (name, retry))
        elif len(final) != copies:
            problems.append("%s: %d copies in Drafts, expected %d: %s"
                            % (name, len(final), copies, final))
    assert not problems, "\n".join(problems)


PROXIES = {}
CLIENT = None


def main():
    global CLIENT
    ports = stack()["ports"]
    PROXIES["imap"] = CutProxy(ports["imap"], "imap")
    PROXIES["smtp"] = CutProxy(ports["smtp"], "smtp")
    start(PROXIES["imap"], PROXIES["smtp"])
    try:
        CLIENT = Client()
        status, body = CLIENT.call("Login", {"email": USER, "password": password(USER)})
        assert status == 200, (status, body)
        CLIENT.csrf = body["csrf"]
        run_tests(globals())
    finally:
        for p in PROXIES.values():
            p.close()
        stop()


if __name__ == "__main__":
    main()
