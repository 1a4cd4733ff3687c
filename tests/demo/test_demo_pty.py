#!/usr/bin/python3
"""scripts/demo.sh in a pseudo-terminal, stopped with Ctrl-C.

  test_demo_pty.py --source SRC --petrel BIN --base-port N --web-port N

Runs the README's first command as a person does: in a terminal (a pty
whose foreground process group is the demo's), on its own ports and state
directory, with an already built petrel (PETREL_DEMO_PETREL) so nothing is
compiled. Once the login page answers through the demo's nginx it types ^C
into the terminal (the line discipline sends SIGINT to the foreground
process group, exactly like a keyboard) and asserts that the script exits
within seconds with status 130 and that nothing it started is left: no
process of its session (the background sleep included), no Dovecot,
Postfix, nginx or petrel, no listening port. A second round presses ^C
twice (an impatient user): the second press must not cut the stopping
short.
"""
import argparse
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

START_TIMEOUT = 300   # mail servers, a few hundred demo messages, nginx
STOP_TIMEOUT = 20     # "within seconds": the servers' own shutdown


def fail(msg, out=b""):
    sys.stdout.write(out.decode("utf-8", "replace")[-6000:])
    print("\ntest_demo_pty: FAIL: " + msg, flush=True)
    return 1


def proc_stat(pid):
    """(ppid, session) of a live process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[3])


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def session_members(sid):
    return sorted(p for p in all_pids() if (proc_stat(p) or (0, -1))[1] == sid)


def family(root):
    """root and its descendants that are alive."""
    table = {p: proc_stat(p) for p in all_pids()}
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if table.get(p) is None:
            continue
        out.append(p)
        todo.extend(c for c, st in table.items() if st and st[0] == p)
    return out


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def describe(pids):
    out = []
    for p in pids:
        try:
            with open("/proc/%d/cmdline" % p, "rb") as f:
                out.append("%d %s" % (p, f.read().replace(b"\0", b" ").decode()))
        except OSError:
            pass
    return "; ".join(out)


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Terminal:
    """The demo on the slave side of a pty; its output is collected."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(argv[0], argv, env)
        self.out = b""
        self.status = None

    def pump(self, seconds):
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return
            try:
                data = os.read(self.fd, 65536)
            except OSError:   # EIO: the slave side is closed
                time.sleep(min(0.05, max(left, 0)))
                return
            if not data:
                return
            self.out += data

    def reap(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
        return self.status


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--petrel", required=True)
    p.add_argument("--base-port", type=int, required=True)
    p.add_argument("--web-port", type=int, required=True)
    a = p.parse_args()
    if os.geteuid() != 0:
        return fail("needs root (the demo starts Dovecot, Postfix and nginx)")
    for presses in (1, 2):
        rc = one_round(a, presses)
        if rc != 0:
            return rc
    return 0


def one_round(a, presses):
    source = os.path.abspath(a.source)
    state = tempfile.mkdtemp(prefix="petrel-demo-pty-", dir="/tmp")
    os.chmod(state, 0o755)
    env = dict(os.environ, TERM="xterm", PETREL_DEMO_DIR=state,
               PETREL_DEMO_PORT=str(a.web_port), PETREL_DEMO_BASE_PORT=str(a.base_port),
               PETREL_DEMO_PETREL=os.path.abspath(a.petrel))
    term = Terminal([os.path.join(source, "scripts/demo.sh")], env)
    try:
        return run(a, term, state, presses)
    finally:
        if term.reap() is None:
            # The test failed with the demo still up: stop it the hard way.
            try:
                os.killpg(term.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(term.pid, 0)
            for tool, d in (("webstack.py", "web"), ("mailstack.py", "mail")):
                subprocess.run([sys.executable, os.path.join(source, "tests/harness", tool),
                                "stop", "--dir", os.path.join(state, d)],
                               capture_output=True)
        os.close(term.fd)
        shutil.rmtree(state, ignore_errors=True)


def run(a, term, state, presses):
    url = "http://127.0.0.1:%d/" % a.web_port
    deadline = time.time() + START_TIMEOUT
    while b"Petrel is running" not in term.out:
        if time.time() > deadline:
            return fail("the demo did not start within %d s" % START_TIMEOUT, term.out)
        if term.reap() is not None:
            return fail("the demo exited while starting", term.out)
        term.pump(0.5)
    term.pump(0.5)
    with urllib.request.urlopen(url, timeout=10) as r:
        body = r.read().decode("utf-8", "replace")
        if r.status != 200 or 'id="login-form"' not in body:
            return fail("%s is not the login page" % url, term.out)

    # What has to be gone afterwards: the demo's session (the script, its
    # background sleep) and every server process with its workers.
    if os.tcgetpgrp(term.fd) != term.pid:
        return fail("the demo is not the terminal's foreground process group")
    session = session_members(term.pid)
    masters = {
        "petrel": read_pid(os.path.join(state, "web/petrel.pid")),
        "nginx": read_pid(os.path.join(state, "web/nginx/nginx.pid")),
        "dovecot": read_pid(os.path.join(state, "mail/run/master.pid")),
        "postfix": read_pid(os.path.join(state, "mail/postfix/spool/pid/master.pid")),
    }
    for name, pid in masters.items():
        if not pid or proc_stat(pid) is None:
            return fail("no running %s (pid file in %s)" % (name, state), term.out)
    servers = sorted({p for m in masters.values() for p in family(m)})
    sleepers = [p for p in session if b"sleep" in open("/proc/%d/cmdline" % p, "rb").read()]
    if not sleepers:
        return fail("no background sleep in the demo's session: %s" % describe(session))
    ports = [a.web_port, a.base_port + 143, a.base_port + 587]
    print("demo up: session %s, servers %s" % (session, servers), flush=True)

    t0 = time.time()
    os.write(term.fd, b"\x03")
    if presses == 2:
        term.pump(0.3)
        os.write(term.fd, b"\x03")
    while term.reap() is None:
        if time.time() - t0 > STOP_TIMEOUT:
            return fail("still running %d s after Ctrl-C: %s" % (
                STOP_TIMEOUT, describe(session_members(term.pid))), term.out)
        term.pump(0.1)
    took = time.time() - t0
    term.pump(0.2)
    status = term.status
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 130:
        return fail("exit status %r, expected exit code 130" % status, term.out)
    if b"demo: stopping" not in term.out:
        return fail("no 'demo: stopping' in the output", term.out)
    left = session_members(term.pid) + [p for p in servers + session if proc_stat(p)]
    if left:
        return fail("left running after Ctrl-C: %s" % describe(sorted(set(left))), term.out)
    busy = [port for port in ports if port_open(port)]
    if busy:
        return fail("ports still listening: %s" % busy, term.out)
    print("demo stopped %.1f s after %d x Ctrl-C, exit 130, nothing left" % (took, presses),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
