#!/usr/bin/python3
"""How many times Petrel logs in to IMAP for one sign-in.

Sign-in checks the password with an IMAP LOGIN; that connection must then
serve the session (Folders, MessageList), so a sign-in followed by the
mailbox's first calls costs Dovecot exactly one LOGIN. Counted in Dovecot's
own log ("imap-login: Info: Login: user=<...>") for dana@example.org, whom
no other test uses, and with `doveadm who` for the connections held.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api import Client, ok, stack_info  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

USER = "dana@example.org"


def dovecot_logins():
    """Successful IMAP logins of USER so far, from Dovecot's log."""
    needle = "imap-login: Info: Login: user=<%s>" % USER
    with open(stack_info()["dovecot_log"], errors="replace") as f:
        return sum(1 for line in f if needle in line)


def logins_since(before, settle=1.0, limit=10.0):
    """Logins after `before`, once Dovecot's log writer has caught up: wait
    for the first one, then `settle` seconds more for any later one."""
    t = time.time()
    while dovecot_logins() == before and time.time() - t < limit:
        time.sleep(0.05)
    time.sleep(settle)
    return dovecot_logins() - before


def imap_connections():
    """USER's IMAP connections Dovecot holds now (doveadm who)."""
    info = stack_info()
    r = subprocess.run(["doveadm", "-c", info["dovecot_conf"], "who", "-1",
                        USER], capture_output=True, text=True, timeout=30)
    return sum(1 for line in r.stdout.splitlines()
               if line.split()[:1] == [USER] and " imap " in " %s " % line)


def wait_connections(want, limit=10.0):
    t = time.time()
    n = imap_connections()
    while n != want and time.time() - t < limit:
        time.sleep(0.1)
        n = imap_connections()
    return n


def test_sign_in_folders_and_list_log_in_to_imap_once():
    before = dovecot_logins()
    c = Client()
    c.login(USER)
    folders = ok(*c.call("Folders")[:2])["folders"]
    assert any(f["name"] == "INBOX" for f in folders), folders
    ok(*c.call("MessageList", {"folder": "INBOX", "limit": 50})[:2])
    ok(*c.call("Folders")[:2])
    n = logins_since(before)
    assert n == 1, "one sign-in cost %d IMAP logins, want 1" % n
    # The checked connection is the session's pooled one; Logout closes it.
    assert wait_connections(1) == 1, imap_connections()
    ok(*c.call("Logout")[:2])
    assert wait_connections(0) == 0, imap_connections()


def test_ten_sign_ins_in_a_row_cost_ten_logins():
    # Each call right after the answer to the one before: the connection
    # must be back in the pool before the answer goes out, or the next
    # call finds it busy and the pool logs in another.
    before = dovecot_logins()
    for _ in range(10):
        c = Client()
        c.login(USER)
        ok(*c.call("Folders")[:2])
        ok(*c.call("MessageList", {"folder": "INBOX", "limit": 50})[:2])
        ok(*c.call("Folders")[:2])
        ok(*c.call("Logout")[:2])
    n = logins_since(before)
    assert n == 10, "10 sign-ins cost %d IMAP logins, want 10" % n
    assert wait_connections(0) == 0, imap_connections()


def test_wrong_password_keeps_no_connection():
    c = Client()
    status, body, _ = c.call("Login", {"email": USER, "password": "wrong"},
                             token=False)
    assert status == 401, (status, body)
    assert wait_connections(0) == 0, imap_connections()


def test_two_sign_ins_share_the_users_connections():
    before = dovecot_logins()
    a, b = Client(), Client()
    a.login(USER)
    b.login(USER)
    ok(*a.call("Folders")[:2])
    ok(*b.call("Folders")[:2])
    assert logins_since(before) == 2
    # Both checked connections are kept (under the per-user cap) and
    # belong to the user, not to one session.
    assert wait_connections(2) == 2, imap_connections()
    ok(*a.call("Logout")[:2])
    # b's session still uses them: none closed, no new login.
    ok(*b.call("Folders")[:2])
    ok(*b.call("MessageList", {"folder": "INBOX", "limit": 5})[:2])
    assert imap_connections() == 2, imap_connections()
    assert logins_since(before) == 2
    # The user's last session ends: its connections go.
    ok(*b.call("Logout")[:2])
    assert wait_connections(0) == 0, imap_connections()


def test_25_sessions_of_one_user_stay_under_the_cap():
    # Dovecot's default mail_max_userip_connections is 10: 25 sessions
    # of one user must share a few connections ([limits]
    # imap_connections_per_user, 4 by default), all of them working,
    # also with every session asking at the same time.
    import threading
    before = dovecot_logins()
    clients = []
    for _ in range(25):
        c = Client()
        c.login(USER)
        clients.append(c)
    failures = []

    def work(c):
        try:
            for _ in range(3):
                ok(*c.call("Folders")[:2])
                ok(*c.call("MessageList", {"folder": "INBOX",
                                           "limit": 50})[:2])
        except AssertionError as e:
            failures.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    n = imap_connections()
    assert 1 <= n <= 4, n
    # One LOGIN per sign-in; the requests never needed more than the cap.
    assert logins_since(before) <= 25 + 4
    for c in clients:
        ok(*c.call("Logout")[:2])
    assert wait_connections(0) == 0, imap_connections()


if __name__ == "__main__":
    run_tests(globals())
