#!/usr/bin/python3
"""Petrel + a private nginx in front of it, wired to a running mailstack.

  webstack.py start --dir DIR --mailstack MAILDIR --petrel BIN --share SRC
                    [--port 8080] [--threads 4] [--restart]
  webstack.py stop  --dir DIR

start writes a Petrel data directory (DIR/data, SnappyMail layout) whose
default.ini points at the mailstack's IMAP (STARTTLS, verified against the
stack's CA), submission and ManageSieve ports, runs
`petrel serve --listen unix:DIR/petrel.sock`, starts nginx.py on --port with
the repository's static/ directory, and waits until /healthz answers.

stop sends SIGTERM to petrel (it finishes in-flight requests and exits),
stops nginx, and FAILS if petrel did not exit cleanly or its log holds a
sanitizer report, so memory errors seen during browser tests fail CI.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print("webstack: " + msg, flush=True)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def write(path, text, mode=0o640):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no %s)" % path


def write_config(data, stack, log_level="debug", app_extra=None):
    ports = stack["ports"]
    domain = stack["domains"][0]
    app = """; Written by tests/harness/webstack.py for a test or demo instance.
[webmail]
title = "Petrel Webmail"
messages_per_page = 25

[login]
default_domain = "%(domain)s"

[security]
force_https = Off

[logs]
enable = On
level = %(log_level)s

[ratelimit]
login_max_failures = 8
login_window_seconds = 20

[unsubscribe]
; The one-click test (tests/integration/reading) posts to a local https
; server with the mail stack's certificate.
allow_private = On
ca_file = "%(ca)s"
timeout = 5
""" % {"domain": domain, "log_level": log_level, "ca": stack["ca_file"]}
    if app_extra:
        # bench/run.sh raises caps for its load tests this way.
        with open(app_extra) as f:
            app += f.read()
    dom = """; The private mail stack of tests/harness/mailstack.py.
imap_host = "127.0.0.1"
imap_port = %(imap)d
imap_secure = "TLS"
imap_short_login = Off
smtp_host = "127.0.0.1"
smtp_port = %(submission)d
smtp_secure = "TLS"
smtp_short_login = Off
smtp_auth = On
smtp_set_sender = Off
sieve_use = On
sieve_allow_raw = Off
sieve_host = "127.0.0.1"
sieve_port = %(sieve)d
sieve_secure = "None"
verify_certificate = On
ca_file = "%(ca)s"
connect_timeout = 5
read_timeout = 30
; Addresses users may send from without a confirmation link (compose_api).
identity_allow = "carol.*@example.org"
""" % dict(ports, ca=stack["ca_file"])
    base = os.path.join(data, "_data_", "_default_")
    write(os.path.join(base, "configs", "application.ini"), app)
    write(os.path.join(base, "domains", "default.ini"), dom)
    # Broken servers for the error-path tests: a port nobody listens on,
    # and implicit TLS whose certificate this domain does not trust.
    write(os.path.join(base, "domains", "down.test.ini"),
          'imap_host = "127.0.0.1"\nimap_port = 9\nimap_secure = "None"\n'
          'connect_timeout = 3\n')
    write(os.path.join(base, "domains", "untrusted.test.ini"),
          'imap_host = "127.0.0.1"\nimap_port = %d\nimap_secure = "SSL"\n'
          'verify_certificate = On\nconnect_timeout = 3\n' % ports["imaps"])


def wait_http(url, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = e
        time.sleep(0.1)
    log("no answer from %s: %s" % (url, last))
    return False


def stop_petrel(d):
    """SIGTERM petrel; returns True if it exited cleanly."""
    pidfile = os.path.join(d, "petrel.pid")
    pid = read_pid(pidfile)
    ok = True
    if pid and pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 20
        while time.time() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if pid_alive(pid):
            log("petrel %d did not stop on SIGTERM; killing it" % pid)
            os.kill(pid, signal.SIGKILL)
            ok = False
    status_file = os.path.join(d, "petrel.status")
    deadline = time.time() + 5
    while time.time() < deadline and not os.path.exists(status_file) and pid:
        time.sleep(0.05)
    try:
        with open(status_file) as f:
            status = f.read().strip()
        if status not in ("0", ""):
            log("petrel exited with status %s" % status)
            ok = False
    except OSError:
        pass
    try:
        os.unlink(pidfile)
    except OSError:
        pass
    return ok


def sanitizer_reports(d):
    path = os.path.join(d, "petrel.stderr")
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer",
                   "WARNING: ThreadSanitizer"):
        if marker in text:
            return text[-6000:]
    return None


def cmd_start(a):
    d = os.path.abspath(a.dir)
    if read_pid(os.path.join(d, "petrel.pid")):
        if not a.restart:
            sys.exit("webstack: already running in %s (use --restart)" % d)
        cmd_stop(a, quiet=True)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    with open(os.path.join(a.mailstack, "mailstack.json")) as f:
        stack = json.load(f)
    data = os.path.join(d, "data")
    if a.fresh:
        # Tests start from an empty store: no sessions or schema from an
        # earlier run (or an earlier build) leak into this one.
        storage = os.path.join(data, "_data_", "_default_", "storage")
        for name in ("petrel.db", "petrel.db-wal", "petrel.db-shm"):
            try:
                os.unlink(os.path.join(storage, name))
            except OSError:
                pass
    write_config(data, stack, a.log_level, a.app_extra)
    if a.admin_init:
        # The install step, as an admin runs it: DIR/admin.credentials gets
        # the Username/Password/Secret key lines the admin tests sign in with.
        r = subprocess.run([a.petrel, "admin", "init", "--data", data,
                            "--credentials-file",
                            os.path.join(d, "admin.credentials")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("webstack: petrel admin init failed: " + r.stderr)
    sock = os.path.join(d, "petrel.sock")
    for name in ("petrel.stderr", "petrel.status"):
        try:
            os.unlink(os.path.join(d, name))
        except OSError:
            pass
    env = dict(os.environ, PETREL_LOG_STDERR="1")
    # A shell wrapper records petrel's exit status for `stop` to check.
    events = os.path.join(d, "events.sock")
    script = ('"$0" serve --listen "unix:$1" --threads "$2" --data "$3" '
              '--share "$4" --events "unix:$6"; echo $? > "$5"')
    proc = subprocess.Popen(
        ["/bin/sh", "-c", script, a.petrel, sock, str(a.threads), data,
         a.share, os.path.join(d, "petrel.status"), events],
        stdout=open(os.path.join(d, "petrel.stderr"), "ab"),
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        start_new_session=True)
    deadline = time.time() + 20
    petrel_pid = None
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        out = subprocess.run(["pgrep", "-P", str(proc.pid)],
                             capture_output=True, text=True).stdout.split()
        if out and os.path.exists(sock):
            petrel_pid = int(out[0])
            break
        time.sleep(0.05)
    if petrel_pid is None:
        print(tail(os.path.join(d, "petrel.stderr")), file=sys.stderr)
        sys.exit("webstack: petrel did not start")
    with open(os.path.join(d, "petrel.pid"), "w") as f:
        f.write("%d\n" % petrel_pid)
    r = subprocess.run([sys.executable, os.path.join(HERE, "nginx.py"), "start",
                        "--dir", os.path.join(d, "nginx"), "--port", str(a.port),
                        "--static", os.path.join(a.share, "static"),
                        "--fastcgi", "unix:" + sock, "--restart",
                        "--events", "unix:" + events])
    if r.returncode != 0:
        stop_petrel(d)
        sys.exit("webstack: nginx did not start")
    if not wait_http("http://127.0.0.1:%d/healthz" % a.port, 20):
        print(tail(os.path.join(d, "petrel.stderr")), file=sys.stderr)
        print(tail(os.path.join(d, "nginx", "logs", "error.log")), file=sys.stderr)
        sys.exit("webstack: petrel does not answer through nginx")
    log("petrel %d behind nginx on http://127.0.0.1:%d/ (data %s)"
        % (petrel_pid, a.port, data))


def cmd_stop(a, quiet=False):
    d = os.path.abspath(a.dir)
    subprocess.run([sys.executable, os.path.join(HERE, "nginx.py"), "stop",
                    "--dir", os.path.join(d, "nginx")],
                   stdout=subprocess.DEVNULL if quiet else None)
    ok = stop_petrel(d)
    report = sanitizer_reports(d)
    if report:
        print(report, file=sys.stderr)
        log("sanitizer report in petrel's output")
        ok = False
    if not quiet:
        log("stopped" if ok else "stopped, with errors")
    if not ok and not quiet:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--dir", required=True)
    s.add_argument("--mailstack", required=True)
    s.add_argument("--petrel", required=True)
    s.add_argument("--share", required=True)
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--threads", type=int, default=4)
    s.add_argument("--log-level", default="debug",
                   choices=("error", "warn", "info", "debug"),
                   help="[logs] level (tests: debug; bench/run.sh: info, "
                        "as in production)")
    s.add_argument("--restart", action="store_true")
    s.add_argument("--app-extra", default=None, metavar="FILE",
                   help="text appended to application.ini (e.g. a [limits] section)")
    s.add_argument("--fresh", action="store_true",
                   help="start with an empty sqlite store (tests)")
    s.add_argument("--no-admin-init", dest="admin_init", action="store_false",
                   help="skip `petrel admin init` (DIR/admin.credentials)")
    t = sub.add_parser("stop")
    t.add_argument("--dir", required=True)
    a = p.parse_args()
    if a.cmd == "start":
        cmd_start(a)
    else:
        cmd_stop(a)


if __name__ == "__main__":
    main()
