#!/usr/bin/python3
"""Measure Petrel's message-list request against the raw IMAP floor.

Called by bench/run.sh once the mail stack (with a 10 000-message folder)
and the web stack (petrel + nginx) are up. Everything targets 127.0.0.1;
every load run is bounded in time (--duration) and in count (--max-requests).

  bench.py --web-port 8088 --web-dir DIR --mailstack DIR --user U --password P
           --folder INBOX --floor bench/build/imapfloor --out results/X.md
           [--duration 8] [--floor-duration 6] [--max-requests 20000]
           [--profile 10]

Petrel: wrk (one connection per wrk thread) POSTs /api/MessageList
{"folder", "limit": 50} with the session cookie and X-Petrel-Token, at 1, 8
and 32 clients, with one session shared by all clients and with one session
per client. Floor: bench/imapfloor (C, libetpan), fresh connection per
request (LOGIN+SELECT+UID FETCH) and UID FETCH alone on an open selected
connection, plain and STARTTLS. CPU per request of petrel, nginx, Dovecot
and the load generator comes from /proc; RSS of petrel from /proc/PID/status.
"""
import argparse
import datetime
import email.utils
import gzip
import http.client
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("bench: " + msg, flush=True)


# ---- HTTP ---------------------------------------------------------------

def post(port, action, body, cookie=None, token=None, timeout=30,
         headers=None, raw=None):
    """POST /api/<action>; raw (a dict) gets the body bytes and headers."""
    c = http.client.HTTPConnection(HOST, port, timeout=timeout)
    h = {"Content-Type": "application/json", "Host": HOST}
    if cookie:
        h["Cookie"] = "petrel_session=" + cookie
    if token:
        h["X-Petrel-Token"] = token
    h.update(headers or {})
    c.request("POST", "/api/" + action, json.dumps(body), h)
    r = c.getresponse()
    data = r.read()
    cookies = r.headers.get_all("Set-Cookie") or []
    c.close()
    if raw is not None:
        raw["body"] = data
        raw["headers"] = dict(r.headers)
    if r.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    try:
        j = json.loads(data)
    except ValueError:
        j = None
    return r.status, cookies, j


def login(port, user, password):
    st, cookies, j = post(port, "Login", {"email": user, "password": password})
    if st != 200 or not j or "csrf" not in j:
        sys.exit("bench: login failed: %s %s" % (st, j))
    for c in cookies:
        if c.startswith("petrel_session="):
            return c.split(";", 1)[0].split("=", 1)[1], j["csrf"]
    sys.exit("bench: login set no petrel_session cookie: %s" % cookies)


# ---- /proc --------------------------------------------------------------

def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def proc_table():
    """pid -> (ppid, cpu ticks incl. reaped children, comm)."""
    t = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        # fields after comm: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
        t[int(name)] = (int(f[1]), sum(int(x) for x in f[11:15]), comm)
    return t


def tree_cpu(table, root):
    """CPU seconds of root and its live descendants (plus reaped children)."""
    if root is None or root not in table:
        return 0.0
    kids = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        total += table[p][1]
        stack.extend(kids.get(p, []))
    return total / TCK


class CpuMeter:
    def __init__(self, roots):
        self.roots = roots  # name -> pid

    def snap(self):
        t = proc_table()
        s = {k: tree_cpu(t, p) for k, p in self.roots.items()}
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        s["client"] = ru.ru_utime + ru.ru_stime
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal
        s["system_busy"] = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TCK
        s["steal"] = v[7] / TCK
        return s, time.time()

    @staticmethod
    def delta(a, b, requests):
        (sa, ta), (sb, tb) = a, b
        d = {k: sb[k] - sa[k] for k in sa}
        d["wall"] = tb - ta
        d["per_req_ms"] = {k: (1000.0 * d[k] / requests if requests else 0)
                           for k in sa}
        return d


def mem_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k = line.split(":")[0]
                if k in ("VmRSS", "VmHWM", "VmSize", "Threads", "RssAnon",
                         "RssFile"):
                    out[k] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return out


def kib(s):
    return int(s.split()[0]) if s else 0


# ---- load runs ----------------------------------------------------------

def run_wrk(a, port, sessions, clients, duration, tmp):
    path = os.path.join(tmp, "sessions-%d-%d.tsv" % (clients, len(sessions)))
    with open(path, "w") as f:
        for c, t in sessions:
            f.write("%s\t%s\n" % (c, t))
    env = dict(os.environ, BENCH_SESSIONS=path,
               BENCH_BODY=json.dumps({"folder": a.folder, "limit": 50}),
               BENCH_MAX_PER_THREAD=str(max(1, a.max_requests // clients)))
    cmd = ["wrk", "-t", str(clients), "-c", str(clients),
           "-d", "%ds" % duration, "--timeout", "10s",
           "-s", os.path.join(HERE, "msglist.lua"),
           "http://%s:%d/api/MessageList" % (HOST, port)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=duration + 60)
    for line in r.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    sys.exit("bench: wrk gave no result:\n%s\n%s" % (r.stdout, r.stderr))


def run_floor(a, uids, mode, tls, clients, duration, items="rows"):
    cmd = [a.floor, "--host", HOST, "--port", str(a.imap_port),
           "--user", a.user, "--pass", a.password, "--folder", a.folder,
           "--uids", ",".join(str(u) for u in uids), "--mode", mode,
           "--tls", tls, "--items", items, "--clients", str(clients),
           "--duration", str(duration), "--max-requests", str(a.max_requests),
           "--warmup", "2"]
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=duration + 120)
    if r.returncode != 0:
        sys.exit("bench: imapfloor failed: %s" % r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- sign-in, JSON size, logging (issue 16) ------------------------------

def dovecot_logins(a, user):
    """Successful IMAP logins of user so far, from Dovecot's log."""
    needle = "imap-login: Info: Login: user=<%s>" % user
    with open(a.dovecot_log, errors="replace") as f:
        return sum(1 for line in f if needle in line)


def stable_logins(a, quiet=1.5, limit=20.0):
    """dovecot_logins() once it has not changed for `quiet` seconds:
    Dovecot's log process writes asynchronously, later under load."""
    t0 = time.time()
    last, since = dovecot_logins(a, a.user), time.time()
    while time.time() - since < quiet and time.time() - t0 < limit:
        time.sleep(0.1)
        n = dovecot_logins(a, a.user)
        if n != last:
            last, since = n, time.time()
    return last


def signin_bench(a, port, meter, reps=10):
    """Sign-in and landing as the browser does it, sequentially: Login,
    Folders, the first MessageList, Logout; IMAP logins counted in
    Dovecot's log. Returns (report lines, summary dict)."""
    log("sign-in: %d x Login + Folders + MessageList + Logout" % reps)
    body = {"folder": a.folder, "limit": 50}
    before = stable_logins(a)
    t_login, t_folders, t_list = [], [], []
    s0 = meter.snap()
    for _ in range(reps):
        t0 = time.perf_counter()
        cookie, token = login(port, a.user, a.password)
        t1 = time.perf_counter()
        st, _, _ = post(port, "Folders", {}, cookie, token)
        t2 = time.perf_counter()
        st2, _, _ = post(port, "MessageList", body, cookie, token)
        t3 = time.perf_counter()
        if st != 200 or st2 != 200:
            sys.exit("bench: sign-in landing failed: %s %s" % (st, st2))
        post(port, "Logout", {}, cookie, token)
        t_login.append(1000 * (t1 - t0))
        t_folders.append(1000 * (t2 - t1))
        t_list.append(1000 * (t3 - t2))
    cpu = CpuMeter.delta(s0, meter.snap(), reps)
    logins = (stable_logins(a) - before) / float(reps)
    r = {"login_ms": statistics.median(t_login),
         "folders_ms": statistics.median(t_folders),
         "list_ms": statistics.median(t_list),
         "imap_logins": logins,
         "petrel_cpu_ms": cpu["per_req_ms"]["petrel"],
         "dovecot_cpu_ms": cpu["per_req_ms"]["dovecot"]}
    log("  login p50 %.1f ms, Folders %.1f ms, first list %.1f ms; "
        "%.2f IMAP logins per sign-in; Dovecot CPU %.1f ms per sign-in"
        % (r["login_ms"], r["folders_ms"], r["list_ms"], logins,
           r["dovecot_cpu_ms"]))
    L = ["## Sign-in and landing",
         "",
         "%d rounds of Login, Folders, MessageList (limit 50), Logout from "
         "Python, one after the other; IMAP logins counted in Dovecot's log "
         "(`imap-login: Info: Login: user=<%s>`); CPU per round (all four "
         "calls)." % (reps, a.user),
         "",
         "| Login p50 ms | Folders p50 ms | first list p50 ms | "
         "IMAP logins per sign-in | petrel CPU ms | Dovecot CPU ms |",
         "|---:|---:|---:|---:|---:|---:|",
         "| %.1f | %.1f | %.1f | %.2f | %.1f | %.1f |"
         % (r["login_ms"], r["folders_ms"], r["list_ms"], logins,
            r["petrel_cpu_ms"], r["dovecot_cpu_ms"]),
         ""]
    return L, r


def json_field_bytes(rows, columns=None):
    """UTF-8 bytes each field of the rows takes in compact JSON: key and
    value for format 1 (objects), the value for format 2 (arrays)."""
    def size(v):
        return len(json.dumps(v, ensure_ascii=False,
                              separators=(",", ":")).encode())
    out = {}
    for m in rows:
        items = zip(columns, m) if columns else m.items()
        for k, v in items:
            out[k] = out.get(k, 0) + (size(v) if columns
                                      else size({k: v}) - 2)
    return sorted(out.items(), key=lambda kv: -kv[1])


def json_bench(a, port, cookie, token):
    """The size of the 50-row MessageList answer in format 1 (the default)
    and format 2 (the web page's): as sent, per row, by field, and gzip'd by
    nginx. Returns (report lines, summary dict)."""
    L = ["## List JSON size", ""]
    r = {}
    for fmt in (1, 2):
        body = {"folder": a.folder, "limit": 50}
        if fmt == 2:
            body["format"] = 2
        raw, rawz = {}, {}
        st, _, _ = post(port, "MessageList", body, cookie, token,
                        headers={"Accept-Encoding": "identity"}, raw=raw)
        if st != 200:
            sys.exit("bench: MessageList format %d: status %s" % (fmt, st))
        plain = raw["body"]
        j = json.loads(plain)
        rows = j.get("messages", [])
        columns = j.get("columns") if j.get("format") == 2 else None
        if fmt == 2 and columns is None:
            L.append("Format 2: not offered by this build.")
            L.append("")
            continue
        post(port, "MessageList", body, cookie, token,
             headers={"Accept-Encoding": "gzip"}, raw=rawz)
        nginx_gzip = rawz["headers"].get("Content-Encoding") == "gzip"
        wire_gz = len(rawz["body"])
        r[fmt] = {"bytes": len(plain), "rows": len(rows),
                  "gzip_bytes": wire_gz if nginx_gzip else None}
        log("list JSON format %d: %d bytes for %d rows (%.0f per row); "
            "nginx gzip %s" % (fmt, len(plain), len(rows),
                               len(plain) / max(1, len(rows)),
                               "%d bytes" % wire_gz if nginx_gzip else "off"))
        L += ["`POST /api/MessageList %s`: **%d bytes (%.1f KiB)** for %d "
              "rows, %.0f bytes a row; through nginx with `Accept-Encoding: "
              "gzip`: %s (gzip -6 of the body: %d bytes)."
              % (json.dumps(body), len(plain), len(plain) / 1024.0, len(rows),
                 len(plain) / max(1, len(rows)),
                 "%d bytes" % wire_gz if nginx_gzip else "not compressed",
                 len(gzip.compress(plain, 6))),
              "",
              "| field (format %d) | bytes in %d rows |" % (fmt, len(rows)),
              "|---|---:|"]
        for k, n in json_field_bytes(rows, columns):
            L.append("| `%s` | %d |" % (k, n))
        if columns:
            L.append("| (`addresses` table, %d entries) | %d |"
                     % (len(j["addresses"]),
                        len(json.dumps(j["addresses"], ensure_ascii=False,
                                       separators=(",", ":")).encode())))
        L.append("")
    return L, r


def log_bytes(a):
    """Bytes petrel has logged so far (its log file and its stderr file)."""
    total = 0
    logs = os.path.join(a.web_dir, "data", "_data_", "_default_", "logs")
    paths = [os.path.join(a.web_dir, "petrel.stderr")]
    if os.path.isdir(logs):
        paths += [os.path.join(logs, n) for n in os.listdir(logs)]
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def log_bench(a, port, cookie, token, meter, tmp, rounds=3):
    """Warm MessageList at 8 clients (one shared session): petrel CPU and
    log bytes per request, best of `rounds` runs (the least disturbed by
    other load). Returns (report lines, summary dict)."""
    best = None
    for i in range(rounds):
        log("logging: warm list, 8 clients, run %d of %d (%d s)"
            % (i + 1, rounds, a.duration))
        run_wrk(a, port, [(cookie, token)], 8, 2, tmp)
        b0 = log_bytes(a)
        s0 = meter.snap()
        r = run_wrk(a, port, [(cookie, token)], 8, a.duration, tmp)
        cpu = CpuMeter.delta(s0, meter.snap(), r["requests"])
        lb = (log_bytes(a) - b0) / float(max(1, r["requests"]))
        cur = {"rps": r["rps"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
               "petrel_cpu_ms": cpu["per_req_ms"]["petrel"],
               "log_bytes_per_req": lb, "requests": r["requests"]}
        log("  %.0f req/s, petrel CPU %.3f ms/req, %.0f log bytes/req"
            % (cur["rps"], cur["petrel_cpu_ms"], lb))
        if best is None or cur["petrel_cpu_ms"] < best["petrel_cpu_ms"]:
            best = cur
    L = []
    if a.logcost and os.path.exists(a.logcost):
        r = subprocess.run([a.logcost, "--lines", "200000", "--threads",
                            str(a.petrel_threads)], capture_output=True,
                           text=True, timeout=300)
        if r.returncode == 0:
            c = json.loads(r.stdout.strip().splitlines()[-1])
            best["logcost"] = c
            L += ["## One log line (bench/logcost.c)", "",
                  "`log_msg()` with the router's per-request line, %d lines; "
                  "CPU ns per line (process CPU time / lines):" % c["lines"],
                  "",
                  "| case | 1 thread | %d threads |" % c["threads"],
                  "|---|---:|---:|"]
            for k, name in (("file", "written to the log file"),
                            ("file_stderr", "log file + stderr (the harness)"),
                            ("filtered", "below the level (not written)")):
                L.append("| %s | %.0f | %.0f |" % (name, c[k + "_1t_cpu_ns"],
                                                    c[k + "_nt_cpu_ns"]))
            L.append("")
    L += ["## Logging on the warm path",
         "",
         "Warm MessageList, 8 clients sharing one session, `[logs] level = "
         "%s`, best of %d runs of %d s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, "
         "petrel CPU %.3f ms per request, %.0f bytes of log per request "
         "(log file plus stderr)."
         % (a.log_level, rounds, a.duration, best["rps"], best["p50_ms"],
            best["p99_ms"], best["petrel_cpu_ms"], best["log_bytes_per_req"]),
         ""]
    return L, best


# ---- main ---------------------------------------------------------------

def machine_info():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=10).stdout.strip().splitlines()[0]
        except Exception:  # noqa: BLE001
            return "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "mem": mem,
        "kernel": platform.release(),
        "dovecot": ver(["dovecot", "--version"]),
        "nginx": subprocess.run(["nginx", "-v"], capture_output=True,
                                text=True).stderr.strip(),
        "wrk": "wrk " + ver(["dpkg-query", "-W", "-f", "${Version}", "wrk"]),
    }


def fmt_row(name, clients, sess, r, cpu=None):
    cells = [name, str(clients), sess, str(r["requests"]),
             "%.0f" % r["rps"], "%.2f" % r["p50_ms"], "%.2f" % r["p95_ms"],
             "%.2f" % r["p99_ms"] if "p99_ms" in r else ""]
    if cpu:
        p = cpu["per_req_ms"]
        ours = sum(cpu[k] for k in ("petrel", "nginx", "dovecot", "client"))
        other = max(0.0, cpu["system_busy"] - ours)
        ncpu = os.cpu_count() or 1
        cells += ["%.2f" % p.get("petrel", 0), "%.2f" % p.get("nginx", 0),
                  "%.2f" % p["dovecot"], "%.2f" % p["client"],
                  "%.0f%%" % (100.0 * ours / cpu["wall"] / ncpu),
                  "%.0f%%" % (100.0 * other / cpu["wall"] / ncpu)]
    else:
        cells += [""] * 6
    errs = r.get("errors", 0) + r.get("non200", 0)
    cells.append(str(errs))
    return "| " + " | ".join(cells) + " |"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--web-port", type=int, required=True)
    p.add_argument("--web-dir", required=True)
    p.add_argument("--mailstack", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--folder", default="INBOX")
    p.add_argument("--floor", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--duration", type=int, default=8)
    p.add_argument("--floor-duration", type=int, default=6)
    p.add_argument("--max-requests", type=int, default=20000)
    p.add_argument("--petrel-threads", default="4")
    p.add_argument("--profile", type=int, default=0,
                   help="seconds of `perf record -a` under 8-client load")
    p.add_argument("--open-folder", default=None,
                   help="folder with a small plain message (UID 1) and the "
                        "~20 MB one (UID 2, corpus.py --count 1 --big): "
                        "measure opening a message")
    p.add_argument("--only", choices=("all", "open", "signin", "json", "log",
                                      "download", "big", "streams", "dovecot",
                                      "instr"),
                   default="all",
                   help="open: only the open-message measurement; signin: "
                        "sign-in and landing with IMAP logins counted; json: "
                        "the list answer's size; log: petrel CPU and log "
                        "bytes per warm list request; download, big, "
                        "streams, dovecot, instr: the rows of issue 16")
    p.add_argument("--big-folder", default="Big")
    p.add_argument("--streams", type=int, default=2000)
    p.add_argument("--stream-users", default=None,
                   help="the mail stack's users file (bench* users stream)")
    p.add_argument("--stream-sample", type=int, default=20)
    p.add_argument("--stream-timeout", type=int, default=300)
    p.add_argument("--stream-caps", default="")
    p.add_argument("--events-sock", default=None)
    p.add_argument("--callgrind-out", default=None)
    p.add_argument("--log-level", default="info",
                   help="petrel's [logs] level in this run (for the report)")
    p.add_argument("--logcost", default=None,
                   help="bench/logcost binary (--only log): the cost of one "
                        "log line, written and filtered out")
    p.add_argument("--label", default="",
                   help="a word for the report's title (e.g. before/after)")
    a = p.parse_args()
    if a.duration > 60 or a.floor_duration > 60 or a.max_requests > 200000:
        sys.exit("bench: durations are capped at 60 s, requests at 200000")

    with open(os.path.join(a.mailstack, "mailstack.json")) as f:
        stack = json.load(f)
    a.imap_port = stack["ports"]["imap"]
    a.dovecot_log = stack["dovecot_log"]
    a.smtp_port = stack["ports"]["smtp"]
    a.lmtp_port = stack["ports"]["lmtp"]
    a.dovecot_conf = os.path.join(a.mailstack, "dovecot", "dovecot.conf")
    petrel_pid = read_pid(os.path.join(a.web_dir, "petrel.pid"))
    nginx_pid = read_pid(os.path.join(a.web_dir, "nginx", "nginx.pid"))
    dovecot_pid = read_pid(os.path.join(a.mailstack, "run", "master.pid"))
    if not (petrel_pid and nginx_pid and dovecot_pid):
        sys.exit("bench: missing pids: petrel %s nginx %s dovecot %s"
                 % (petrel_pid, nginx_pid, dovecot_pid))
    meter = CpuMeter({"petrel": petrel_pid, "nginx": nginx_pid,
                      "dovecot": dovecot_pid})
    tmp = tempfile.mkdtemp(prefix="petrel-bench-")
    port = a.web_port
    mem_start = mem_status(petrel_pid)
    with open("/proc/loadavg") as f:
        a.loadavg_start = " ".join(f.read().split()[:3])
    if float(a.loadavg_start.split()[0]) > 1.0:
        log("WARNING: load average %s before the run: other work on this "
            "machine will distort the numbers" % a.loadavg_start)

    a.dovecot_pid = dovecot_pid
    if a.only in ("signin", "json", "log", "download", "big", "streams",
                  "dovecot", "instr"):
        if a.only == "download":
            lines = download_bench(a, port, petrel_pid)
        elif a.only == "big":
            lines = big_bench(a, port, meter, tmp)
        elif a.only == "streams":
            lines = streams_bench(a, port, petrel_pid)
        elif a.only == "dovecot":
            lines = dovecot_bench(a, port, meter, tmp)
        elif a.only == "instr":
            lines = instr_bench(a, port, petrel_pid)
        elif a.only == "signin":
            # No sign-in before: its LOGIN line could land in the count.
            lines, _ = signin_bench(a, port, meter)
        else:
            cookie, token = login(port, a.user, a.password)
            post(port, "MessageList", {"folder": a.folder, "limit": 50},
                 cookie, token)
            if a.only == "json":
                lines, _ = json_bench(a, port, cookie, token)
            else:
                lines, _ = log_bench(a, port, cookie, token, meter, tmp)
        lines.append("Load average at the start: %s." % a.loadavg_start)
        text = "\n".join(["# Petrel %s benchmark%s, %s"
                          % (a.only, " (%s)" % a.label if a.label else "",
                             datetime.datetime.now().strftime(
                                 "%Y-%m-%d %H:%M")), ""] + lines)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text + "\n")
        print()
        print(text)
        log("wrote %s" % a.out)
        shutil.rmtree(tmp, ignore_errors=True)
        return

    if a.only == "open":
        cookie, token = login(port, a.user, a.password)
        lines = open_message_bench(a, port, cookie, token, meter)
        lines.append("Load average at the start: %s." % a.loadavg_start)
        text = "\n".join(["# Petrel open-message benchmark, %s"
                          % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
                          ""] + lines)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text + "\n")
        print()
        print(text)
        log("wrote %s" % a.out)
        return

    # One session, one list: the UIDs of the first page, and a sanity check.
    cookie, token = login(port, a.user, a.password)
    t0 = time.perf_counter()
    st, _, j = post(port, "MessageList", {"folder": a.folder, "limit": 50},
                    cookie, token)
    first_ms = 1000 * (time.perf_counter() - t0)
    if st != 200 or not j or len(j.get("messages", [])) != 50:
        sys.exit("bench: MessageList failed: %s %s" % (st, str(j)[:300]))
    total = j["total"]
    uids = [m["uid"] for m in j["messages"]]
    log("folder %s: %d messages; first page UIDs %d..%d; first list %.1f ms"
        % (a.folder, total, uids[0], uids[-1], first_ms))
    # Cold: the first list of a fresh session (5 samples).
    cold = []
    for _ in range(5):
        c2, t2 = login(port, a.user, a.password)
        t0 = time.perf_counter()
        st, _, _ = post(port, "MessageList", {"folder": a.folder, "limit": 50},
                        c2, t2)
        cold.append(1000 * (time.perf_counter() - t0))
        post(port, "Logout", {}, c2, t2)
    # Warm, sequential, from Python: the single-request latency.
    warm = []
    for _ in range(20):
        t0 = time.perf_counter()
        post(port, "MessageList", {"folder": a.folder, "limit": 50}, cookie, token)
        warm.append(1000 * (time.perf_counter() - t0))
    log("cold first list p50 %.1f ms; warm sequential p50 %.1f ms"
        % (statistics.median(cold), statistics.median(warm)))

    per_client = [login(port, a.user, a.password) for _ in range(32)]
    rows = []
    results = {}

    def petrel_run(label, clients, sessions, sess_label):
        log("petrel %s, %d clients (%s): warm-up 2 s, measure %d s"
            % (label, clients, sess_label, a.duration))
        run_wrk(a, port, sessions, clients, 2, tmp)
        s0 = meter.snap()
        r = run_wrk(a, port, sessions, clients, a.duration, tmp)
        cpu = CpuMeter.delta(s0, meter.snap(), r["requests"])
        log("  %d req, %.0f req/s, p50 %.2f ms, p95 %.2f ms, non-200 %d, errors %d"
            % (r["requests"], r["rps"], r["p50_ms"], r["p95_ms"],
               r["non200"], r["errors"]))
        rows.append(fmt_row("Petrel MessageList (warm)", clients, sess_label, r, cpu))
        results[(label, clients)] = (r, cpu)
        return r

    for n in (1, 8, 32):
        petrel_run("shared", n, [(cookie, token)], "1 shared")
    for n in (8, 32):
        petrel_run("per-client", n, per_client[:n], "%d (one each)" % n)
    mem_after = mem_status(petrel_pid)

    def floor_run(label, mode, tls, n, items="rows"):
        log("floor %s (%s, %s), %d clients: %d s"
            % (label, mode, tls, n, a.floor_duration))
        s0 = meter.snap()
        r = run_floor(a, uids, mode, tls, n, a.floor_duration, items)
        cpu = CpuMeter.delta(s0, meter.snap(), r["requests"])
        cpu["per_req_ms"]["petrel"] = cpu["per_req_ms"]["nginx"] = 0
        log("  %d req, %.0f req/s, p50 %.2f ms, p95 %.2f ms, errors %d"
            % (r["requests"], r["rps"], r["p50_ms"], r["p95_ms"], r["errors"]))
        rows.append(fmt_row(label, n, "-", r, cpu))
        results[(label, n)] = (r, cpu)
        return r

    for n in (1, 8, 32):
        floor_run("IMAP floor: FETCH only, open conn, plain", "open", "none", n)
    for n in (1, 8, 32):
        floor_run("IMAP floor: FETCH only, open conn, STARTTLS", "open", "starttls", n)
    floor_run("IMAP floor: FETCH ENVELOPE only, open conn, plain", "open", "none", 1,
              "envelope")
    for n in (1, 8, 32):
        floor_run("IMAP floor: LOGIN+SELECT+FETCH, fresh conn, plain", "fresh", "none", n)
    for n in (1, 8, 32):
        floor_run("IMAP floor: LOGIN+SELECT+FETCH, fresh conn, STARTTLS", "fresh",
                  "starttls", n)

    steps = imap_steps(a, uids, meter)
    open_lines = (open_message_bench(a, port, cookie, token, meter)
                  if a.open_folder else [])
    open_lines += signin_bench(a, port, meter)[0]
    open_lines += json_bench(a, port, cookie, token)[0]

    profile_txt = None
    if a.profile:
        profile_txt = profile(a, port, per_client[:8], petrel_pid, tmp)

    mem_end = mem_status(petrel_pid)
    info = machine_info()
    write_report(a, info, total, uids, first_ms, cold, warm, rows, results,
                 mem_start, mem_after, mem_end, profile_txt, steps, open_lines)
    shutil.rmtree(tmp, ignore_errors=True)


def pctl(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * (len(v) - 1) + 0.5))]


def open_message_bench(a, port, cookie, token, meter, reps=30):
    """POST /api/Message for the small and the ~20 MB message of
    --open-folder, sequential (one client, warm session and connection),
    next to imapfloor --mode message (structure + text part on an open
    connection). Returns report lines."""
    L = ["## Opening a message",
         "",
         "`POST /api/Message {\"folder\": \"%s\", \"uid\"}` from Python "
         "(sequential, one warm session, %d samples after 3 warm-up calls), next "
         "to the IMAP floor: `imapfloor --mode message` (UID FETCH FLAGS ENVELOPE "
         "BODYSTRUCTURE, then UID FETCH BODY.PEEK[1], on an open connection, plain and STARTTLS, "
         "%d s each)." % (a.open_folder, reps, a.floor_duration),
         "",
         "| message | size | Petrel p50 ms | min | p95 | petrel CPU ms/req | "
         "Dovecot CPU ms/req | floor plain p50 ms | p95 | floor STARTTLS p50 ms | p95 |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, uid in (("small plain", 1), ("20 MB with attachment", 2)):
        body = {"folder": a.open_folder, "uid": uid}
        for _ in range(3):
            st, _, j = post(port, "Message", body, cookie, token, timeout=120)
            if st != 200 or not j:
                sys.exit("bench: Message %s failed: %s %s" % (uid, st, str(j)[:300]))
        size = j.get("size", 0)
        s0 = meter.snap()
        lat = []
        for _ in range(reps):
            t0 = time.perf_counter()
            st, _, _ = post(port, "Message", body, cookie, token, timeout=120)
            lat.append(1000 * (time.perf_counter() - t0))
            if st != 200:
                sys.exit("bench: Message %s: status %s" % (uid, st))
        cpu = CpuMeter.delta(s0, meter.snap(), reps)
        r = run_floor_message(a, uid, "none")
        rt = run_floor_message(a, uid, "starttls")
        log("open %s (uid %d, %d bytes): petrel p50 %.2f ms; floor p50 %.2f ms "
            "plain, %.2f ms STARTTLS" % (label, uid, size, statistics.median(lat),
                                         r["p50_ms"], rt["p50_ms"]))
        L.append("| %s | %.1f MB | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |"
                 % (label, size / 1e6, statistics.median(lat), min(lat),
                    pctl(lat, 95), cpu["per_req_ms"]["petrel"],
                    cpu["per_req_ms"]["dovecot"], r["p50_ms"], r["p95_ms"],
                    rt["p50_ms"], rt["p95_ms"]))
    L.append("")
    L.append("Petrel's number is a whole HTTP request from Python (a new TCP connection "
             "to nginx each time, FastCGI, JSON, the sanitizer or text rendering), "
             "over its pooled STARTTLS IMAP connection, and includes the NOOP Petrel sends "
             "before reusing a selection and the References header in its FETCH; the floor is the two "
             "FETCHes alone from C on an already open connection.")
    L.append("")
    return L


# ---- issue 16 rows: download, big, streams, dovecot, instr ---------------

def tree_pids(root):
    """root and its live descendants."""
    kids = {}
    for pid, (ppid, _, _) in proc_table().items():
        kids.setdefault(ppid, []).append(pid)
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(kids.get(p, []))
    return out


def rss_kib(pids):
    """Sum of VmRSS of pids, in KiB."""
    return sum(kib(mem_status(p).get("VmRSS")) for p in pids)


class RssSampler:
    """Samples the summed VmRSS of pids() every `every` seconds in a
    thread; .peak is the highest sum seen, .n the samples taken."""

    def __init__(self, pids, every=0.01):
        import threading
        self.pids, self.every, self.peak, self.n = pids, every, 0, 0
        self.extra = {}
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop_ev.is_set():
            pids = self.pids()
            self.peak = max(self.peak, rss_kib(pids))
            self.extra["procs"] = max(self.extra.get("procs", 0), len(pids))
            self.n += 1
            self.stop_ev.wait(self.every)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop_ev.set()
        self.t.join()


def http_get_drain(port, path, cookie):
    """GET path through nginx, reading the body in 64 KiB pieces and
    dropping it: (status, bytes)."""
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    c.request("GET", path, headers={"Host": HOST,
                                    "Cookie": "petrel_session=" + cookie})
    r = c.getresponse()
    n = 0
    while True:
        b = r.read(65536)
        if not b:
            break
        n += len(b)
    c.close()
    return r.status, n


def download_bench(a, port, petrel_pid, rounds=3, clients=(1, 4)):
    """Petrel's RSS while clients download the ~20 MB attachment of
    --open-folder UID 2 through its downloadUrl (/message/part)."""
    import threading
    cookie, token = login(port, a.user, a.password)
    st, _, j = post(port, "Message", {"folder": a.open_folder, "uid": 2},
                    cookie, token, timeout=120)
    if st != 200 or not j or not j.get("attachments"):
        sys.exit("bench: Message uid 2 has no attachments: %s" % st)
    att = max(j["attachments"], key=lambda x: x.get("size", 0))
    url = att["downloadUrl"]
    # One download first: the code paths and buffers a first request warms.
    st, size = http_get_drain(port, url, cookie)
    if st != 200:
        sys.exit("bench: download %s: status %s" % (url, st))
    log("download: %s (%d bytes); %d rounds at %s clients"
        % (url, size, rounds, "/".join(map(str, clients))))
    pids = lambda: tree_pids(petrel_pid)  # noqa: E731
    L = ["## Downloading the ~20 MB attachment (issue 16)", "",
         "`GET %s` (the attachment's `downloadUrl`, /message/part, %d bytes "
         "decoded) through nginx, the body read in 64 KiB pieces and dropped; "
         "Petrel's VmRSS (summed over its process tree, from /proc every "
         "10 ms) before and at its peak during the downloads, and VmHWM."
         % (url, size), "",
         "| clients at once | downloads | RSS before MiB | peak RSS MiB | "
         "growth MiB | VmHWM after MiB | s per download |",
         "|---:|---:|---:|---:|---:|---:|---:|"]
    res = {}
    for n in clients:
        time.sleep(1)
        before = rss_kib(pids())
        errs = []
        t0 = time.time()

        def one():
            for _ in range(rounds):
                s, got = http_get_drain(port, url, cookie)
                if s != 200 or got != size:
                    errs.append((s, got))
        with RssSampler(pids) as smp:
            ts = [threading.Thread(target=one) for _ in range(n)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        wall = time.time() - t0
        if errs:
            sys.exit("bench: downloads failed: %s" % errs[:3])
        hwm = kib(mem_status(petrel_pid).get("VmHWM"))
        growth = (smp.peak - before) / 1024.0
        res[n] = growth
        log("  %d clients: RSS %.1f -> peak %.1f MiB (+%.1f), VmHWM %.1f MiB"
            % (n, before / 1024.0, smp.peak / 1024.0, growth, hwm / 1024.0))
        L.append("| %d | %d | %.1f | %.1f | **%+.1f** | %.1f | %.2f |"
                 % (n, n * rounds, before / 1024.0, smp.peak / 1024.0, growth,
                    hwm / 1024.0, wall / rounds))
    L += ["", "Target (issue 16): growth ≤ 4 MiB. Met: %s."
          % ("yes" if max(res.values()) <= 4 else "**no** (%.1f MiB)"
             % max(res.values())), ""]
    return L


def seq_lists(port, folder, cookie, token, n):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        st, _, _ = post(port, "MessageList", {"folder": folder, "limit": 50},
                        cookie, token)
        lat.append(1000 * (time.perf_counter() - t0))
        if st != 200:
            sys.exit("bench: MessageList %s: %s" % (folder, st))
    return lat


def after_change_lists(a, port, rounds=5):
    """Another client adds a message to the big folder, then deletes it;
    after each change, a new session's first list (ms). The folder ends
    as it began."""
    import imaplib
    m = imaplib.IMAP4(HOST, a.imap_port)
    m.login(a.user, a.password)
    after_new, after_gone = [], []
    for i in range(rounds):
        msg = ("From: Bench <bench@example.test>\r\nTo: %s\r\n"
               "Subject: bench new mail %d\r\nDate: %s\r\n"
               "Message-ID: <bench-new-%d-%d@example.test>\r\n\r\nnew\r\n"
               % (a.user, i, email.utils.formatdate(localtime=False), i,
                  time.time_ns()))
        typ, data = m.append(a.big_folder, None, None, msg.encode())
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)
        c2, t2 = login(port, a.user, a.password)
        after_new += seq_lists(port, a.big_folder, c2, t2, 1)
        post(port, "Logout", {}, c2, t2)
        m.select(a.big_folder)
        m.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        m.uid("EXPUNGE", uid)
        m.close()
        c2, t2 = login(port, a.user, a.password)
        after_gone += seq_lists(port, a.big_folder, c2, t2, 1)
        post(port, "Logout", {}, c2, t2)
    m.logout()
    log("  first list after another client's new message p50 %.1f ms, "
        "after its deletion p50 %.1f ms"
        % (statistics.median(after_new), statistics.median(after_gone)))
    return after_new, after_gone


def big_bench(a, port, meter, tmp):
    """First and warm list of the big folder (--big-folder) next to the
    raw IMAP floor on it."""
    import imaplib
    cookie, token = login(port, a.user, a.password)
    t0 = time.perf_counter()
    st, _, j = post(port, "MessageList", {"folder": a.big_folder, "limit": 50},
                    cookie, token, timeout=120)
    very_first = 1000 * (time.perf_counter() - t0)
    if st != 200 or not j:
        sys.exit("bench: MessageList %s: %s" % (a.big_folder, st))
    total = j["total"]
    uids = [m["uid"] for m in j["messages"]]
    log("big: %s has %d messages; very first list %.0f ms"
        % (a.big_folder, total, very_first))
    cold = []
    for _ in range(5):
        c2, t2 = login(port, a.user, a.password)
        cold += seq_lists(port, a.big_folder, c2, t2, 1)
        post(port, "Logout", {}, c2, t2)
    warm = seq_lists(port, a.big_folder, cookie, token, 100)
    log("  first list after login p50 %.1f ms; warm p50 %.1f p99 %.1f ms"
        % (statistics.median(cold), pctl(warm, 50), pctl(warm, 99)))
    b = argparse.Namespace(**vars(a))
    b.folder = a.big_folder
    rows = []
    for n in (1, 8):
        run_wrk(b, port, [(cookie, token)], n, 2, tmp)
        s0 = meter.snap()
        r = run_wrk(b, port, [(cookie, token)], n, a.duration, tmp)
        cpu = CpuMeter.delta(s0, meter.snap(), r["requests"])
        rows.append(("Petrel MessageList (warm), 1 shared session", n, r, cpu))
        log("  wrk %d clients: %.0f req/s p50 %.2f p99 %.2f ms"
            % (n, r["rps"], r["p50_ms"], r["p99_ms"]))
    for mode, label in (("open", "IMAP floor: FETCH only, open conn, STARTTLS"),
                        ("fresh", "IMAP floor: LOGIN+SELECT+FETCH, fresh conn, STARTTLS")):
        s0 = meter.snap()
        r = run_floor(b, uids, mode, "starttls", 1, a.floor_duration)
        cpu = CpuMeter.delta(s0, meter.snap(), r["requests"])
        rows.append((label, 1, r, cpu))
    # A fresh session's IMAP work, step by step, on a new STARTTLS
    # connection each time (a new Dovecot imap process), first-page UIDs.
    import ssl
    ctx = ssl._create_unverified_context()
    uidset = ",".join(str(u) for u in sorted(uids))
    steps = {}
    names = ("connect + STARTTLS", "LOGIN", "SELECT (CONDSTORE)",
             "UID SORT (REVERSE DATE) ALL",
             "UID FETCH 50 rows (FLAGS ENVELOPE ... BODYSTRUCTURE)",
             "UID FETCH 50 previews (BODY.PEEK[1]<0.2048>)")
    for _ in range(5):
        t = [time.perf_counter()]
        m = imaplib.IMAP4(HOST, a.imap_port)
        m.starttls(ssl_context=ctx)
        t.append(time.perf_counter())
        m.login(a.user, a.password)
        t.append(time.perf_counter())
        m._simple_command("SELECT", a.big_folder, "(CONDSTORE)")
        m.state = "SELECTED"
        t.append(time.perf_counter())
        m.uid("SORT", "(REVERSE DATE)", "UTF-8", "ALL")
        t.append(time.perf_counter())
        m.uid("FETCH", uidset, "(UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE "
              "BODYSTRUCTURE)")
        t.append(time.perf_counter())
        m.uid("FETCH", uidset, "(BODY.PEEK[1]<0.2048>)")
        t.append(time.perf_counter())
        m.logout()
        for k, name in enumerate(names):
            steps.setdefault(name, []).append(1000 * (t[k + 1] - t[k]))
    # What a cold list cannot avoid today: SORT of the whole folder.
    m = imaplib.IMAP4(HOST, a.imap_port)
    m.login(a.user, a.password)
    sel, sort = [], []
    for _ in range(10):
        t0 = time.perf_counter()
        m.select(a.big_folder, readonly=True)
        t1 = time.perf_counter()
        m.uid("SORT", "(REVERSE DATE)", "UTF-8", "ALL")
        t2 = time.perf_counter()
        sel.append(1000 * (t1 - t0))
        sort.append(1000 * (t2 - t1))
    m.logout()
    after_new, after_gone = after_change_lists(a, port)
    # Dovecot's Maildir rescans the directory to open a message another
    # process added unless told it is the only writer: the same again
    # with maildir_very_dirty_syncs = yes (ADMIN.md), then as it was.
    conf = os.path.join(a.mailstack, "dovecot", "dovecot.conf")
    with open(conf) as f:
        conf_text = f.read()
    try:
        with open(conf, "a") as f:
            f.write("\nmaildir_very_dirty_syncs = yes\n")
        subprocess.run(["doveadm", "-c", conf, "reload"], check=True)
        # running imap processes keep the old settings: end them (the
        # pool reconnects) and open the folder once in the new ones
        subprocess.run(["doveadm", "-c", conf, "kick", a.user],
                       capture_output=True)
        time.sleep(1)
        c3, t3 = login(port, a.user, a.password)
        for _ in range(3):
            post(port, "MessageList", {"folder": a.big_folder, "limit": 50},
                 c3, t3, timeout=120)
        dirty_new, dirty_gone = after_change_lists(a, port)
    finally:
        with open(conf, "w") as f:
            f.write(conf_text)
        subprocess.run(["doveadm", "-c", conf, "reload"], check=True)
        time.sleep(1)
    L = ["## A %d-message folder (issue 16)" % total, "",
         "Folder `%s` (corpus.py, written straight into the Maildir, "
         "indexed with `doveadm index` before the run). Python, sequential: "
         "the very first list after Petrel started %.0f ms; **first list of a "
         "fresh session p50 %.1f ms** (5 sessions: %s); warm list p50 %.1f ms, "
         "**p99 %.1f ms** (100 requests). On a plain IMAP connection "
         "(imaplib, 10 samples): EXAMINE p50 %.1f ms, UID SORT (REVERSE DATE) "
         "ALL p50 %.1f ms."
         % (a.big_folder, very_first, statistics.median(cold),
            ", ".join("%.0f" % x for x in cold), pctl(warm, 50), pctl(warm, 99),
            statistics.median(sel), statistics.median(sort)), "",
         "| what | clients | requests | req/s | p50 ms | p99 ms | "
         "CPU ms/req petrel | Dovecot |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, n, r, cpu in rows:
        L.append("| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f |"
                 % (label, n, r["requests"], r["rps"], r["p50_ms"],
                    r.get("p99_ms", r.get("p95_ms", 0)),
                    cpu["per_req_ms"].get("petrel", 0) if "Petrel" in label else 0,
                    cpu["per_req_ms"]["dovecot"]))
    L += ["", "After another client's change, a new session's first list "
          "(5 samples each; the shared sorted list caught up, no full SORT):", "",
          "| Dovecot | a new message: p50 ms | samples | that message deleted: p50 ms | samples |",
          "|---|---:|---|---:|---|"]
    for name, new, gone in (("defaults", after_new, after_gone),
                            ("`maildir_very_dirty_syncs = yes`", dirty_new,
                             dirty_gone)):
        L.append("| %s | %.1f | %s | %.1f | %s |"
                 % (name, statistics.median(new),
                    ", ".join("%.0f" % x for x in new),
                    statistics.median(gone),
                    ", ".join("%.0f" % x for x in gone)))
    L += ["", "A fresh session's IMAP commands one by one on a new STARTTLS "
          "connection (imaplib, 5 connections, the first page's 50 UIDs):", "",
          "| step | p50 ms | samples ms |", "|---|---:|---|"]
    for name in names:
        L.append("| %s | %.1f | %s |" % (name, statistics.median(steps[name]),
                                        ", ".join("%.0f" % x for x in steps[name])))
    L += ["", "Targets (issue 16): first list ≤ 50 ms: %s; warm p99 ≤ 20 ms: %s."
          % ("met" if statistics.median(cold) <= 50 else "**not met**",
             "met" if pctl(warm, 99) <= 20 else "**not met**"), ""]
    return L


def pss_kib(pids):
    """Sum of Pss (shared pages split between their users), in KiB."""
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def dovecot_imaps(a):
    """pids of this stack's Dovecot imap processes (comm `imap`)."""
    t = proc_table()
    return [p for p in tree_pids(a.dovecot_pid) if p in t and t[p][2] == "imap"]


def doveadm_who(a, user=None):
    """Connections per user from `doveadm who` (user -> count)."""
    r = subprocess.run(["doveadm", "-c", a.dovecot_conf, "who", "-1"],
                       capture_output=True, text=True, timeout=30)
    out = {}
    for line in r.stdout.splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[1] == "imap":
            out[f[0]] = out.get(f[0], 0) + 1
    return out if user is None else out.get(user, 0)


def dovecot_bench(a, port, meter, tmp, sessions=25):
    """25 sessions of one user: Dovecot imap processes and their RSS idle,
    under list load (one wrk client per session) and idle again."""
    def state(label):
        p = dovecot_imaps(a)
        return (label, len(p), doveadm_who(a, a.user), rss_kib(p), pss_kib(p))
    L = ["## Dovecot side: %d sessions of one user (issue 16)" % sessions, "",
         "%d sign-ins of %s, each then Folders and MessageList; Dovecot's "
         "`imap` processes of this stack (one per connection here) counted "
         "from /proc, `doveadm who` for the user's connections, and the sum of "
         "their VmRSS (shared pages counted in each) and Pss (shared pages "
         "split)." % (sessions, a.user), "",
         "| state | imap processes | user's connections (doveadm who) | "
         "imap RSS sum MiB | imap Pss sum MiB |", "|---|---:|---:|---:|---:|"]
    time.sleep(1)
    rows = [state("before any session")]
    sess = []
    for _ in range(sessions):
        c, t = login(port, a.user, a.password)
        post(port, "Folders", {}, c, t)
        seq_lists(port, a.folder, c, t, 1)
        sess.append((c, t))
    time.sleep(2)
    rows.append(state("%d sessions signed in, idle" % sessions))
    with RssSampler(lambda: dovecot_imaps(a), every=0.2) as smp:
        r = run_wrk(a, port, sess, sessions, a.duration, tmp)
    rows.append(("under list load (%d clients, %.0f req/s), peak" %
                 (sessions, r["rps"]), smp.extra.get("procs", 0), None,
                 smp.peak, None))
    time.sleep(2)
    rows.append(state("idle again, 2 s after the load"))
    for label, n, who, rss, pss in rows:
        L.append("| %s | %d | %s | %.1f | %s |" % (
            label, n, "-" if who is None else str(who), rss / 1024.0,
            "-" if pss is None else "%.1f" % (pss / 1024.0)))
        log("  %s: %d imap processes, %.1f MiB" % (label, n, rss / 1024.0))
    for c, t in sess:
        post(port, "Logout", {}, c, t)
    L.append("")
    return L


def instr_bench(a, port, petrel_pid, reps=50):
    """Instructions per warm MessageList in petrel under callgrind (started
    so by run.sh): counters zeroed, reps sequential requests, dumped."""
    import glob
    cookie, token = login(port, a.user, a.password)
    seq_lists(port, a.folder, cookie, token, 10)
    def ctl(*args):
        r = subprocess.run(["callgrind_control"] + list(args) + [str(petrel_pid)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            sys.exit("bench: callgrind_control %s: %s" % (args, r.stderr))
    ctl("-z")
    t0 = time.perf_counter()
    seq_lists(port, a.folder, cookie, token, reps)
    wall = time.perf_counter() - t0
    before = set(glob.glob(a.callgrind_out + "*"))
    ctl("-d")
    new = sorted(set(glob.glob(a.callgrind_out + "*")) - before,
                 key=os.path.getmtime)
    total = 0
    for path in new:
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = max(total, int(line.split()[1]))
    if not total:
        sys.exit("bench: no callgrind totals in %s" % new)
    per = total / float(reps)
    log("instructions: %.0f per warm list request (%d requests)" % (per, reps))
    top = subprocess.run(["callgrind_annotate", "--threshold=100", new[-1]],
                         capture_output=True, text=True, timeout=300).stdout
    # Self cost per function; the thread entry points (100 %) are skipped.
    rows = [ln for ln in top.splitlines() if ln.strip()[:1].isdigit()
            and "%)" in ln and "(100.0%)" not in ln][:15]
    return ["## Instructions per warm list request (issue 16)", "",
            "petrel run under `valgrind --tool=callgrind` (perf's hardware "
            "counters are not available in this sandbox); counters zeroed "
            "(`callgrind_control -z`) after 10 warm-up lists, then %d "
            "sequential warm `MessageList` (limit 50, one session) and "
            "`callgrind_control -d`: **%.0f instructions (Ir) per request**, "
            "all of petrel's threads (%.1f s under valgrind). The 15 "
            "functions with the most instructions of their own over the %d "
            "requests (`callgrind_annotate`):"
            % (reps, per, wall, reps), "", "```"] + rows + ["```", ""]


def streams_bench(a, port, petrel_pid):
    """N idle live-update streams for U users held against Petrel's event
    server, then a message delivered through Postfix to a sample of users:
    time until every open stream of that user got its `change` event."""
    import asyncio
    import random
    import smtplib
    users = []
    with open(a.stream_users) as f:
        for line in f:
            p = line.split()
            if len(p) == 2 and p[0].startswith("bench"):
                users.append((p[0], p[1]))
    per = max(1, a.streams // len(users))
    log("streams: %d users x %d streams (INBOX) on %s"
        % (len(users), per, a.events_sock))
    rss0 = rss_kib(tree_pids(petrel_pid))
    imap0 = len(dovecot_imaps(a))
    t0 = time.time()
    sess = [login(port, u, pw)[0] for u, pw in users]
    log("  %d sign-ins in %.1f s" % (len(sess), time.time() - t0))
    time.sleep(1)
    imap_signed = len(dovecot_imaps(a)) - imap0
    changes = [[] for _ in users]   # per user: (stream no, monotonic time)
    status = {"ready": 0, "refused": {}, "closed": 0}
    ready_all = None

    async def stream(ui, k, sem):
        async with sem:
            r, w = await asyncio.open_unix_connection(a.events_sock)
            w.write(("GET /events?folder=INBOX HTTP/1.1\r\nHost: %s\r\n"
                     "Cookie: petrel_session=%s\r\nAccept: text/event-stream"
                     "\r\n\r\n" % (HOST, sess[ui])).encode())
            await w.drain()
            line = await r.readline()
            code = line.split()[1].decode() if len(line.split()) > 1 else "?"
            if code != "200":
                status["refused"][code] = status["refused"].get(code, 0) + 1
                w.close()
                return
            buf, ready = b"", False
            while True:
                if not ready and b"event: ready" in buf:
                    ready = True
                    status["ready"] += 1
                    if status["ready"] == len(users) * per:
                        ready_all.set()
                    break
                d = await r.read(4096)
                if not d:
                    status["closed"] += 1
                    return
                buf += d
        while True:
            d = await r.read(4096)
            if not d:
                status["closed"] += 1
                return
            if b"event: change" in d:
                changes[ui].append((k, time.monotonic()))

    def deliver(ui, how):
        msg = ("From: bench@example.org\r\nTo: %s\r\nSubject: stream bench\r\n"
               "Message-ID: <%d.%f@bench>\r\n\r\nhello\r\n"
               % (users[ui][0], ui, time.time()))
        if how == "lmtp":
            with smtplib.LMTP(HOST, a.lmtp_port) as s:
                s.sendmail("bench@example.org", [users[ui][0]], msg)
        else:
            with smtplib.SMTP(HOST, a.smtp_port, timeout=30) as s:
                s.sendmail("bench@example.org", [users[ui][0]], msg)

    out = {}

    async def main():
        nonlocal ready_all
        ready_all = asyncio.Event()
        sem = asyncio.Semaphore(100)
        t0 = time.time()
        tasks = [asyncio.ensure_future(stream(ui, k, sem))
                 for ui in range(len(users)) for k in range(per)]
        try:
            await asyncio.wait_for(ready_all.wait(), a.stream_timeout)
        except asyncio.TimeoutError:
            pass
        out["open_s"] = time.time() - t0
        await asyncio.sleep(3)  # let the watchers settle in IDLE
        out["rss"] = rss_kib(tree_pids(petrel_pid))
        out["hwm"] = kib(mem_status(petrel_pid).get("VmHWM"))
        out["imap"] = len(dovecot_imaps(a)) - imap0
        out["imap_rss"] = rss_kib(dovecot_imaps(a))
        out["imap_pss"] = pss_kib(dovecot_imaps(a))
        who = doveadm_who(a)
        out["who"] = sum(v for k, v in who.items() if k.startswith("bench"))
        out["fds"] = len(os.listdir("/proc/%d/fd" % petrel_pid))
        out["threads"] = mem_status(petrel_pid).get("Threads")
        log("  %d streams ready in %.1f s (refused %s); petrel RSS %.1f MiB; "
            "%d new imap processes, %d bench-user connections in doveadm who"
            % (status["ready"], out["open_s"], status["refused"],
               out["rss"] / 1024.0, out["imap"], out["who"]))
        sample = random.Random(1).sample(range(len(users)),
                                         min(2 * a.stream_sample, len(users)))
        loop = asyncio.get_running_loop()
        sent = {}
        # Half the sample through Postfix (SMTP, its queue, then LMTP), half
        # straight into Dovecot's LMTP: the second is Dovecot's and
        # Petrel's part alone.
        for i, ui in enumerate(sample):
            how = "postfix" if i % 2 == 0 else "lmtp"
            changes[ui].clear()
            t = time.monotonic()
            await loop.run_in_executor(None, deliver, ui, how)
            sent[ui] = (how, t)
            while time.monotonic() - t < 10:
                if len({k for k, _ in changes[ui]}) >= per:
                    break
                await asyncio.sleep(0.005)
        await asyncio.sleep(5)  # late events still count, as late
        for how in ("postfix", "lmtp"):
            lat_user, lat_stream, missing, n = [], [], 0, 0
            for ui, (h, t) in sent.items():
                if h != how:
                    continue
                n += 1
                firsts = {}
                for k, tm in changes[ui]:
                    if tm >= t:
                        firsts.setdefault(k, tm)
                missing += per - len(firsts)
                lat_stream += [1000 * (v - t) for v in firsts.values()]
                if len(firsts) == per:
                    lat_user.append(1000 * (max(firsts.values()) - t))
            out[how] = (n, lat_user, lat_stream, missing)
        for tk in tasks:
            tk.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    n_open = status["ready"]
    L = ["## %d live-update streams for %d users (issue 16)" % (n_open, len(users)), "",
         "%d users (`bench0001@example.test`...), one session each, %d "
         "streams per session on `GET /events?folder=INBOX`, opened by one "
         "asyncio client straight on the event server's unix socket "
         "(not through nginx: its `worker_connections 1024` in the harness "
         "would cap the test, not Petrel). Caps raised for the bench in "
         "application.ini: %s. Dovecot imap processes of this stack: %d "
         "after the sign-ins (Petrel's pooled connections from Login), %d "
         "with the streams open."
         % (len(users), per, a.stream_caps, imap_signed, out["imap"]), "",
         "| streams asked | open (ready) | refused | opened in s | "
         "Petrel RSS before MiB | with the streams MiB | per stream KiB | "
         "petrel fds | threads | Dovecot imap processes | bench users' "
         "connections (doveadm who) | their RSS / Pss MiB |",
         "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
         "| %d | %d | %s | %.1f | %.1f | %.1f | %.1f | %d | %s | %d | %d | %.0f / %.0f |"
         % (len(users) * per, n_open, status["refused"] or "-", out["open_s"],
            rss0 / 1024.0, out["rss"] / 1024.0,
            (out["rss"] - rss0) / float(max(1, n_open)), out["fds"],
            out["threads"], out["imap"], out["who"],
            out["imap_rss"] / 1024.0, out["imap_pss"] / 1024.0), "",
         "Delivery: one message to each sampled user in turn, through Postfix "
         "(SMTP on 127.0.0.1, queue, LMTP) or straight into Dovecot's LMTP; "
         "latency from before the SMTP/LMTP transaction to each stream's "
         "first `change` event (events later than 10 s still counted, up to "
         "5 s after the last delivery).", "",
         "| delivered via | users | streams with the event | user's last stream "
         "p50 ms | p99 | max | any stream p50 ms | p99 |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for how in ("postfix", "lmtp"):
        n, lu, ls, missing = out[how]
        log("  via %s to %d users: all streams of a user p50 %.0f ms p99 %.0f "
            "ms; %d streams missed the event" % (how, n, pctl(lu, 50) if lu else -1,
                                                 pctl(lu, 99) if lu else -1, missing))
        L.append("| %s | %d | %d of %d | %.0f | %.0f | %.0f | %.0f | %.0f |"
                 % ("Postfix (SMTP)" if how == "postfix" else "Dovecot LMTP",
                    n, n * per - missing, n * per,
                    pctl(lu, 50) if lu else -1, pctl(lu, 99) if lu else -1,
                    max(lu) if lu else -1, pctl(ls, 50) if ls else -1,
                    pctl(ls, 99) if ls else -1))
    L.append("")
    return L


def run_floor_message(a, uid, tls):
    cmd = [a.floor, "--host", HOST, "--port", str(a.imap_port),
           "--user", a.user, "--pass", a.password, "--folder", a.open_folder,
           "--uids", str(uid), "--mode", "message", "--section", "1",
           "--tls", tls, "--clients", "1",
           "--duration", str(a.floor_duration), "--max-requests",
           str(a.max_requests), "--warmup", "2"]
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=a.floor_duration + 120)
    if r.returncode != 0:
        sys.exit("bench: imapfloor failed: %s" % r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def imap_steps(a, uids, meter, reps=25):
    """Time, one at a time on an open plain connection (Python imaplib), the
    IMAP commands a warm Petrel MessageList sends, with Dovecot's CPU each."""
    import imaplib
    log("IMAP step timing: %d repetitions of each command" % reps)
    m = imaplib.IMAP4(HOST, a.imap_port)
    m.login(a.user, a.password)
    m.select(a.folder, readonly=True)
    uidset = ",".join(str(u) for u in sorted(uids))
    steps = [
        ("NOOP", lambda: m.noop()),
        ("UID SORT (REVERSE DATE) UTF-8 ALL (10 000 UIDs back)",
         lambda: m.uid("SORT", "(REVERSE DATE)", "UTF-8", "ALL")),
        ("UID FETCH 50 (UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE)",
         lambda: m.uid("FETCH", uidset,
                       "(UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE)")),
        ("UID FETCH 50 (BODY.PEEK[1]<0.2048>) (preview)",
         lambda: m.uid("FETCH", uidset, "(BODY.PEEK[1]<0.2048>)")),
        ("EXAMINE of the 10 000-message folder",
         lambda: m.select(a.folder, readonly=True)),
    ]
    out = []
    for name, fn in steps:
        fn()
        lat = []
        s0 = meter.snap()
        for _ in range(reps):
            t0 = time.perf_counter()
            typ, _ = fn()
            lat.append(1000 * (time.perf_counter() - t0))
            if typ != "OK":
                sys.exit("bench: %s failed" % name)
        cpu = CpuMeter.delta(s0, meter.snap(), reps)
        out.append((name, statistics.median(lat), min(lat),
                    cpu["per_req_ms"]["dovecot"]))
        log("  %-75s p50 %.2f ms, Dovecot CPU %.2f ms" % (name, out[-1][1], out[-1][3]))
    m.logout()
    return out


def perf_report(data, args, limit=40):
    r = subprocess.run(["perf", "report", "-i", data, "--stdio"] + args,
                       capture_output=True, text=True, timeout=300)
    lines = [l for l in r.stdout.splitlines() if l.strip() and not l.startswith("#")]
    return "$ perf report %s\n%s" % (" ".join(args), "\n".join(lines[:limit]))


def profile(a, port, sessions, petrel_pid, tmp):
    """Two perf recordings (cpu-clock; no hardware counters needed):
    the whole machine under 8 clients (one session each), and petrel alone
    with DWARF call graphs under 1 client. Returns the report text."""
    secs = a.profile
    out = []
    data = os.path.join(tmp, "perf-all.data")
    log("profile: perf record -a for %d s under 8 clients, one session each" % secs)
    rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "997",
                            "-a", "-o", data, "--", "sleep", str(secs)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    run_wrk(a, port, sessions, 8, secs, tmp)
    rec.wait(timeout=60)
    out.append(perf_report(data, ["--sort", "comm", "--percent-limit", "0.5"], 20))
    out.append(perf_report(data, ["--comm", "imap", "--sort", "dso,sym",
                                  "--percent-limit", "0.8"], 25))
    data = os.path.join(tmp, "perf-petrel.data")
    psecs = max(3, secs // 2)
    log("profile: perf record --call-graph dwarf -p petrel for %d s under 1 client"
        % psecs)
    rec = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "1999",
                            "--call-graph", "dwarf,16384", "-p", str(petrel_pid),
                            "-o", data, "--", "sleep", str(psecs)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    run_wrk(a, port, sessions[:1], 1, psecs, tmp)
    rec.wait(timeout=60)
    out.append(perf_report(data, ["--no-children", "-g", "none", "--sort", "dso,sym",
                                  "--percent-limit", "1.5"], 25))
    out.append(perf_report(data, ["--children", "-g", "none", "--sort", "sym",
                                  "--percent-limit", "2.5"], 70))
    return "\n\n".join(out)


def write_report(a, info, total, uids, first_ms, cold, warm, rows, results,
                 mem_start, mem_after, mem_end, profile_txt, steps, open_lines=()):
    now = datetime.datetime.now()
    L = []
    L.append("# Petrel message-list benchmark, %s" % now.strftime("%Y-%m-%d %H:%M"))
    L.append("")
    L.append("Machine: %d CPUs, %s, %s RAM, Linux %s. %s; %s; %s."
             % (info["nproc"], info["cpu"], info["mem"], info["kernel"],
                "Dovecot " + info["dovecot"], info["nginx"], info["wrk"]))
    L.append("")
    L.append("Folder `%s` of %s: %d messages (tests/harness/corpus.py, seed 1). "
             "Request: `POST /api/MessageList {\"folder\": \"%s\", \"limit\": 50}` "
             "(default sort `-date`, server-side UID SORT, previews on); "
             "first page UIDs %d..%d. Petrel Release build, `petrel serve --threads %s`, "
             "behind nginx over a unix socket; IMAP to Dovecot over STARTTLS "
             "(verified). Load runs: %d s each after a 2 s warm-up (floor: %d s after "
             "2 warm-up requests per client), closed loop, each client one "
             "keep-alive connection."
             % (a.folder, a.user, total, a.folder, uids[0], uids[-1],
                a.petrel_threads, a.duration, a.floor_duration))
    L.append("")
    L.append("Single requests (Python client, sequential): first list of a fresh "
             "session p50 %.1f ms (5 samples: %s); warm p50 %.1f ms, min %.1f ms "
             "(20 samples); the very first list after start %.1f ms."
             % (statistics.median(cold), ", ".join("%.0f" % x for x in cold),
                statistics.median(warm), min(warm), first_ms))
    L.append("")
    L.append("| what | clients | sessions | requests | req/s | p50 ms | p95 ms | p99 ms | "
             "CPU ms/req petrel | nginx | Dovecot | client | CPU ours | CPU others | errors |")
    L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    L.extend(rows)
    L.append("")
    L.append("CPU ms/req: CPU time (user+sys, from /proc) of each process tree "
             "during the run divided by the requests; \"client\" is wrk or imapfloor itself. "
             "CPU ours: the four columns as a share of all cores' capacity; CPU others: "
             "busy time of the whole machine (/proc/stat, incl. steal) not spent by "
             "the benchmark's processes, i.e. other load on a shared machine. "
             "Load average at the start: %s." % a.loadavg_start)
    L.append("")
    L.append("Petrel memory (/proc/PID/status): after start + logins VmRSS %s, "
             "after the Petrel load runs VmRSS %s, VmHWM %s (%s threads); at the end "
             "VmRSS %s, VmHWM %s."
             % (mem_start.get("VmRSS"), mem_after.get("VmRSS"),
                mem_after.get("VmHWM"), mem_after.get("Threads"),
                mem_end.get("VmRSS"), mem_end.get("VmHWM")))
    L.append("")
    # Targets.
    def get(k, n):
        return results[(k, n)][0]
    floor1 = get("IMAP floor: FETCH only, open conn, STARTTLS", 1)
    floor1p = get("IMAP floor: FETCH only, open conn, plain", 1)
    w1 = get("shared", 1)
    checks = [
        ("warm message list ≤ FETCH-only floor (1 client, p50)",
         "%.2f ms vs %.2f ms (STARTTLS) / %.2f ms (plain)"
         % (w1["p50_ms"], floor1["p50_ms"], floor1p["p50_ms"]),
         w1["p50_ms"] <= floor1["p50_ms"]),
        ("≥ 450 req/s with 8 clients, one session per client",
         "%.0f req/s" % get("per-client", 8)["rps"],
         get("per-client", 8)["rps"] >= 450),
        ("≥ 450 req/s with 8 clients, one shared session",
         "%.0f req/s" % get("shared", 8)["rps"], get("shared", 8)["rps"] >= 450),
        ("p50 < 100 ms with 32 clients, one session per client",
         "%.1f ms" % get("per-client", 32)["p50_ms"],
         get("per-client", 32)["p50_ms"] < 100),
        ("p50 < 100 ms with 32 clients, one shared session",
         "%.1f ms" % get("shared", 32)["p50_ms"], get("shared", 32)["p50_ms"] < 100),
        ("RSS < 30 MiB (VmHWM after load)",
         "%.1f MiB" % (kib(mem_end.get("VmHWM")) / 1024),
         kib(mem_end.get("VmHWM")) < 30 * 1024),
        ("≥ 3000 req/s with 8 clients (issue 16), one shared session / one each",
         "%.0f / %.0f req/s" % (get("shared", 8)["rps"], get("per-client", 8)["rps"]),
         min(get("shared", 8)["rps"], get("per-client", 8)["rps"]) >= 3000),
        ("p99 ≤ 25 ms with 32 clients (issue 16), one shared session / one each",
         "%.1f / %.1f ms" % (get("shared", 32)["p99_ms"], get("per-client", 32)["p99_ms"]),
         max(get("shared", 32)["p99_ms"], get("per-client", 32)["p99_ms"]) <= 25),
    ]
    L.append("| target (issues 3 and 16) | measured | met |")
    L.append("|---|---|---|")
    for t, m, okv in checks:
        L.append("| %s | %s | %s |" % (t, m, "yes" if okv else "**no**"))
    L.append("")
    L.append("## The IMAP commands of one warm MessageList, one at a time")
    L.append("")
    L.append("A warm request sends NOOP, UID SORT, one UID FETCH for the rows and one "
             "UID FETCH per distinct preview section (usually `1`). Timed here on an "
             "open plain connection from Python imaplib, %s repetitions each:" % "25")
    L.append("")
    L.append("| command | p50 ms | min ms | Dovecot CPU ms |")
    L.append("|---|---:|---:|---:|")
    for name, p50, mn, dc in steps:
        L.append("| %s | %.2f | %.2f | %.2f |" % (name, p50, mn, dc))
    L.append("")
    L.extend(open_lines)
    if profile_txt:
        L.append("## Profile (perf, cpu-clock sampling)")
        L.append("")
        L.append("```")
        L.append(profile_txt)
        L.append("```")
        L.append("")
    text = "\n".join(L)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print()
    print(text)
    print()
    log("wrote %s" % a.out)


if __name__ == "__main__":
    main()
