#!/usr/bin/env python3
"""petrel doctor against a real authoritative DNS server (Debian's nsd) on a
loopback port, serving zones with good and broken mail records, and against
small local SMTP/IMAP listeners for port 25 and the domain's servers.

Each case writes a data directory whose application.ini points [dns]
resolver at the nsd and runs `petrel doctor --domain D --json`; the verdict
of every check is asserted. A resolver that never answers (a UDP socket
that reads and stays silent) must give a clear error within seconds.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

FAILURES = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        FAILURES.append(what)


def txt_strings(s):
    """A TXT value as zone-file strings of at most 255 bytes."""
    return " ".join('"%s"' % s[i:i + 200] for i in range(0, len(s), 200))


def rsa_public_b64(bits, tmp):
    key = os.path.join(tmp, "k%d.pem" % bits)
    subprocess.run(["openssl", "genrsa", "-out", key, str(bits)], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der).decode()


def zones(tmp):
    k2048 = rsa_public_b64(2048, tmp)
    k1024 = rsa_public_b64(1024, tmp)
    dkim_good = txt_strings("v=DKIM1; k=rsa; p=" + k2048)
    dkim_weak = txt_strings("v=DKIM1; k=rsa; p=" + k1024)
    soa = ("@ 300 IN SOA ns.test. admin.test. 1 3600 600 86400 60\n"
           "@ 300 IN NS ns.test.\n")
    z = {}
    # Every record right: the sending address 192.0.2.10 is mail.good.test,
    # allowed through mx, with a 2048-bit key and p=quarantine.
    z["good.test"] = soa + f"""
@ IN MX 10 mail.good.test.
@ IN TXT "v=spf1 mx include:_spf.provider.test -all"
mail IN A 192.0.2.10
webmail IN A 192.0.2.10
other IN A 192.0.2.30
mail._domainkey IN TXT {dkim_good}
_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@good.test"
"""
    z["provider.test"] = soa + """
_spf IN TXT "v=spf1 ip4:198.51.100.0/24 ~all"
"""
    # Two SPF records, no DKIM key, p=none, no webmail. name.
    z["twospf.test"] = soa + """
@ IN MX 10 mail.good.test.
@ IN TXT "v=spf1 mx -all"
@ IN TXT "v=spf1 ip4:192.0.2.10 -all"
mail IN A 192.0.2.10
_dmarc IN TXT "v=DMARC1; p=none"
"""
    # 5 look-ups here and 6 in the include: 11.
    z["eleven.test"] = soa + """
@ IN MX 10 mail.good.test.
@ IN TXT "v=spf1 a mx ptr exists:x.eleven.test include:inc.eleven.test -all"
inc IN TXT "v=spf1 a:a1.eleven.test a:a2.eleven.test a:a3.eleven.test a:a4.eleven.test a:a5.eleven.test a:a6.eleven.test ~all"
mail IN A 192.0.2.10
"""
    # MX to a CNAME; a 1024-bit key; DMARC without a valid p=.
    z["cname.test"] = soa + f"""
@ IN MX 10 mx.cname.test.
mx IN CNAME mail.good.test.
@ IN TXT "v=spf1 ip4:198.51.100.1 -all"
mail._domainkey IN TXT {dkim_weak}
_dmarc IN TXT "v=DMARC1; p=maybe"
"""
    # MX is an IP address; SPF with a bad term; a revoked key.
    z["ipmx.test"] = soa + """
@ IN MX 10 192.0.2.10.
@ IN TXT "v=spf1 mx foo:bar -all"
mail._domainkey IN TXT "v=DMARC1; p="
"""
    # No MX at all; SPF ending in ?all.
    z["nomx.test"] = soa + """
@ IN A 192.0.2.10
@ IN TXT "v=spf1 ip4:192.0.2.10 ?all"
"""
    # +all; a null MX.
    z["plusall.test"] = soa + """
@ IN MX 0 .
@ IN TXT "v=spf1 +all"
"""
    # redirect= to good.test (whose mx allows 192.0.2.10); an ed25519 key
    # (warning: RSA too); p=reject.
    ed = base64.b64encode(bytes(range(32))).decode()
    z["redirect.test"] = soa + f"""
@ IN MX 10 mail.good.test.
@ IN TXT "v=spf1 redirect=good.test"
mail._domainkey IN TXT "v=DKIM1; k=ed25519; p={ed}"
_dmarc IN TXT "v=DMARC1; p=reject"
"""
    # ip6 and ip4 ranges; a revoked key (empty p=).
    z["ranges.test"] = soa + """
@ IN MX 10 mail.good.test.
@ IN TXT "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all"
mail._domainkey IN TXT "v=DKIM1; k=rsa; p="
"""
    # A record with bytes that are not UTF-8 (Latin-1 "café"): the JSON
    # output must still parse.
    z["latin.test"] = soa + r"""
@ IN MX 10 mail.good.test.
_dmarc IN TXT "v=DMARC1; p=reject; c=caf\233"
"""
    # The port 25 test domain: its MX is this machine.
    z["smtptest.test"] = soa + """
@ IN MX 10 mx.smtptest.test.
mx IN A 127.0.0.1
"""
    z["2.0.192.in-addr.arpa"] = soa + """
10 IN PTR mail.good.test.
20 IN PTR mail.ptrbad.test.
30 IN PTR other.good.test.
"""
    z["ptrbad.test"] = soa + """
mail IN A 192.0.2.99
"""
    return z


def dns_probe(port):
    """True when something answers a DNS query on 127.0.0.1:port."""
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in "good.test".split("."))
    q += b"\0" + struct.pack(">HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.sendto(q, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
        return data[:2] == b"\x12\x34"
    except OSError:
        return False
    finally:
        s.close()


def start_nsd(tmp, port):
    d = os.path.join(tmp, "nsd")
    os.makedirs(d)
    conf = [
        "server:",
        f"  ip-address: 127.0.0.1@{port}",
        f"  port: {port}",
        "  do-ip6: no",
        '  username: ""',
        '  chroot: ""',
        f'  zonesdir: "{d}"',
        f'  pidfile: "{d}/nsd.pid"',
        '  database: ""',
        f'  zonelistfile: "{d}/zone.list"',
        f'  xfrdfile: "{d}/xfrd.state"',
        f'  xfrdir: "{d}"',
        f'  logfile: "{d}/nsd.log"',
        "  server-count: 1",
        "  hide-version: yes",
        "remote-control:",
        "  control-enable: no",
    ]
    for name, text in zones(tmp).items():
        with open(os.path.join(d, name + ".zone"), "w") as f:
            f.write(f"$ORIGIN {name}.\n$TTL 300\n" + text)
        conf += ["zone:", f"  name: {name}", f"  zonefile: {name}.zone"]
    with open(os.path.join(d, "nsd.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    chk = subprocess.run(["nsd-checkconf", os.path.join(d, "nsd.conf")],
                         capture_output=True, text=True)
    if chk.returncode != 0:
        sys.exit("nsd-checkconf: " + chk.stdout + chk.stderr)
    proc = subprocess.Popen(["nsd", "-d", "-c", os.path.join(d, "nsd.conf")],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if dns_probe(port):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    log = open(os.path.join(d, "nsd.log")).read() if os.path.exists(
        os.path.join(d, "nsd.log")) else ""
    sys.exit("nsd did not start on port %d: %s" % (port, log))


def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    return s


def serve(sock, handler):
    def loop():
        while True:
            try:
                c, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def smtp_session(c):
    """A small SMTP server: greeting, EHLO, QUIT, anything else 250."""
    f = c.makefile("rb")
    try:
        c.sendall(b"220 mail.good.test ESMTP test\r\n")
        for line in f:
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                c.sendall(b"250-mail.good.test\r\n250 8BITMIME\r\n")
            elif cmd.startswith(b"QUIT"):
                c.sendall(b"221 bye\r\n")
                break
            else:
                c.sendall(b"250 ok\r\n")
    except OSError:
        pass
    c.close()


def imap_session(c):
    f = c.makefile("rb")
    try:
        c.sendall(b"* OK [CAPABILITY IMAP4rev1] test ready\r\n")
        for line in f:
            parts = line.strip().split(b" ", 2)
            tag = parts[0]
            cmd = parts[1].upper() if len(parts) > 1 else b""
            if cmd == b"CAPABILITY":
                c.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
            elif cmd == b"LOGOUT":
                c.sendall(b"* BYE\r\n" + tag + b" OK done\r\n")
                break
            else:
                c.sendall(tag + b" OK done\r\n")
    except OSError:
        pass
    c.close()


def run_doctor(petrel, tmp, name, domain, app, dom=None, timeout=60):
    data = os.path.join(tmp, "data-" + name)
    base = os.path.join(data, "_data_", "_default_")
    os.makedirs(os.path.join(base, "configs"))
    os.makedirs(os.path.join(base, "domains"))
    with open(os.path.join(base, "configs", "application.ini"), "w") as f:
        f.write(app)
    if dom is not None:
        with open(os.path.join(base, "domains", domain + ".ini"), "w") as f:
            f.write(dom)
    t0 = time.monotonic()
    p = subprocess.run([petrel, "doctor", "--data", data, "--domain", domain,
                        "--json"], capture_output=True, text=True,
                       timeout=timeout)
    took = time.monotonic() - t0
    try:
        out = json.loads(p.stdout)
    except ValueError:
        sys.exit("%s: not JSON (exit %d): %s %s" % (name, p.returncode,
                                                   p.stdout, p.stderr))
    rep = next((r for r in out["reports"] if r["domain"] == domain),
               {"checks": []})
    checks = {c["id"]: c for c in rep["checks"]}
    return p.returncode, out, rep, checks, took


def expect(checks, cid, status, needle, case):
    c = checks.get(cid)
    check(c is not None and c["status"] == status and
          needle.lower() in (c["found"] + " " + (c["fix"] or "")).lower(),
          "%s: %s is %s (%s) — got %s" % (
              case, cid, status, needle,
              None if c is None else "%s: %s" % (c["status"], c["found"])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--petrel", required=True)
    ap.add_argument("--base-port", type=int, required=True)
    args = ap.parse_args()
    for tool in ("nsd", "nsd-checkconf", "openssl"):
        if shutil.which(tool) is None and not os.path.exists(
                "/usr/sbin/" + tool):
            sys.exit("missing %s (scripts/install-deps.sh installs it)" % tool)
    os.environ["PATH"] += ":/usr/sbin"
    port = args.base_port
    dns_port, smtp_port, hole_port, closed_port, imap_port, dead_port = (
        port, port + 1, port + 2, port + 3, port + 4, port + 5)
    tmp = tempfile.mkdtemp(prefix="petrel-doctor-")
    nsd = start_nsd(tmp, dns_port)
    smtp = listener(smtp_port)
    serve(smtp, smtp_session)
    imap = listener(imap_port)
    serve(imap, imap_session)
    hole = listener(hole_port)  # accepts (the kernel's backlog), never speaks
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", dead_port))  # reads queries, never answers
    try:
        def app(sending_ip="192.0.2.10", test_port=smtp_port,
                resolver="127.0.0.1:%d" % dns_port, extra=""):
            return ("[dns]\nresolver = \"%s\"\ntimeout = 2\n"
                    "[doctor]\nsending_ip = \"%s\"\n"
                    "smtp_test_domain = \"smtptest.test\"\n"
                    "smtp_test_port = %d\nsmtp_test_timeout = 2\n%s"
                    % (resolver, sending_ip, test_port, extra))
        servers = ("imap_host = \"127.0.0.1\"\nimap_port = %d\n"
                   "imap_secure = \"None\"\nsmtp_host = \"127.0.0.1\"\n"
                   "smtp_port = %d\nsmtp_secure = \"None\"\n"
                   "connect_timeout = 2\n" % (imap_port, smtp_port))

        # Everything right: exit 0, every check ok.
        rc, out, rep, c, _ = run_doctor(args.petrel, tmp, "good", "good.test",
                                        app(), servers)
        for cid in ("imap", "submission", "mx", "a_mail", "a_webmail", "spf",
                    "dkim", "dmarc", "ptr", "port25"):
            expect(c, cid, "ok", "", "good.test")
        expect(c, "dkim", "ok", "2048-bit", "good.test")
        expect(c, "ptr", "ok", "matches the greeting", "good.test")
        expect(c, "port25", "ok", "reachable", "good.test")
        check(rc == 0 and out["status"] == "ok",
              "good.test: exit 0, status ok (got %d %s)" % (rc, out["status"]))
        check(rep["resolver"] == "127.0.0.1:%d" % dns_port,
              "good.test: the report names the resolver")

        rc, out, rep, c, _ = run_doctor(args.petrel, tmp, "twospf",
                                        "twospf.test", app(), servers)
        expect(c, "spf", "problem", "2 v=spf1", "twospf.test")
        expect(c, "dkim", "problem", "no DKIM key at mail._domainkey.twospf.test",
               "twospf.test")
        expect(c, "dmarc", "warning", "forged mail", "twospf.test")
        expect(c, "a_webmail", "warning", "webmail.twospf.test. IN A 192.0.2.10",
               "twospf.test")
        check(rc == 1, "twospf.test: exit 1 on a problem (got %d)" % rc)

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "eleven", "eleven.test",
                                   app(), servers)
        expect(c, "spf", "problem", "needs 11 DNS look-ups", "eleven.test")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "cname", "cname.test",
                                   app(), servers)
        expect(c, "mx", "problem", "alias (CNAME to mail.good.test)",
               "cname.test")
        expect(c, "dkim", "warning", "1024-bit", "cname.test")
        expect(c, "dmarc", "problem", "p=maybe", "cname.test")
        expect(c, "spf", "problem", "does not allow the sending address 192.0.2.10",
               "cname.test")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "ipmx", "ipmx.test",
                                   app(), servers)
        expect(c, "mx", "problem", "is an IP address", "ipmx.test")
        expect(c, "spf", "problem", "unknown mechanism \"foo\"", "ipmx.test")
        expect(c, "dkim", "problem", "is not a DKIM key", "ipmx.test")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "nomx", "nomx.test",
                                   app(), servers)
        expect(c, "mx", "problem", "nomx.test. IN MX 10 mail.nomx.test.",
               "nomx.test")
        expect(c, "spf", "warning", "does not end in ~all or -all", "nomx.test")
        expect(c, "dmarc", "problem", "no v=DMARC1", "nomx.test")
        expect(c, "a_mail", "problem", "mail.nomx.test has no address",
               "nomx.test")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "plusall", "plusall.test",
                                   app(), servers)
        expect(c, "spf", "problem", "ends in +all", "plusall.test")
        expect(c, "mx", "problem", "null MX", "plusall.test")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "redirect",
                                   "redirect.test", app(), servers)
        expect(c, "spf", "ok", "3 DNS look-ups", "redirect.test")
        expect(c, "dkim", "warning", "ed25519 key", "redirect.test")
        expect(c, "dmarc", "ok", "p=reject", "redirect.test")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "ranges", "ranges.test",
                                   app(), servers)
        expect(c, "spf", "ok", "0 DNS look-ups", "ranges.test")
        expect(c, "dkim", "problem", "revoked", "ranges.test")
        _, _, _, c, _ = run_doctor(args.petrel, tmp, "ranges2", "ranges.test",
                                   app(sending_ip="192.0.3.1"), servers)
        expect(c, "spf", "problem", "does not allow the sending address 192.0.3.1",
               "ranges.test outside the range")

        _, _, _, c, _ = run_doctor(args.petrel, tmp, "latin", "latin.test",
                                   app(), servers)
        expect(c, "dmarc", "ok", "c=caf\ufffd", "latin.test (not UTF-8)")

        # PTR that does not point back; PTR that does but is not the greeting.
        _, _, _, c, _ = run_doctor(args.petrel, tmp, "ptrbad", "good.test",
                                   app(sending_ip="192.0.2.20"), servers)
        expect(c, "ptr", "problem", "not forward-confirmed", "ptr mismatch")
        _, _, _, c, _ = run_doctor(args.petrel, tmp, "helo", "good.test",
                                   app(sending_ip="192.0.2.30"), servers)
        expect(c, "ptr", "warning", "greets as mail.good.test", "helo mismatch")
        _, _, _, c, _ = run_doctor(args.petrel, tmp, "noptr", "good.test",
                                   app(sending_ip="192.0.2.40"), servers)
        expect(c, "ptr", "problem", "192.0.2.40 has no PTR", "no ptr")

        # Port 25: refused, and a listener that never greets.
        _, _, _, c, took = run_doctor(args.petrel, tmp, "closed", "good.test",
                                      app(test_port=closed_port), servers)
        expect(c, "port25", "problem", "refused", "port 25 closed")
        expect(c, "port25", "problem", "SMTP relay", "port 25 closed advice")
        _, _, _, c, took = run_doctor(args.petrel, tmp, "hole", "good.test",
                                      app(test_port=hole_port), servers)
        expect(c, "port25", "problem", "no SMTP greeting", "port 25 black hole")
        check(took < 15, "port 25 black hole: done in %.1f s" % took)

        # The domain's own servers down: problems, named.
        _, _, _, c, _ = run_doctor(args.petrel, tmp, "down", "good.test",
                                   app(), servers.replace(
                                       "imap_port = %d" % imap_port,
                                       "imap_port = %d" % closed_port))
        expect(c, "imap", "problem", "127.0.0.1:%d" % closed_port,
               "IMAP down")

        # A resolver that never answers: one clear problem, quickly.
        rc, out, rep, c, took = run_doctor(
            args.petrel, tmp, "dead", "good.test",
            app(resolver="127.0.0.1:%d" % dead_port), servers)
        expect(c, "mx", "problem", "did not answer", "dead resolver")
        check("spf" not in c, "dead resolver: no wait per check")
        check(took < 10, "dead resolver: done in %.1f s" % took)
        check(rc == 1, "dead resolver: exit 1")

        # A resolver setting that is not an address.
        _, _, _, c, _ = run_doctor(args.petrel, tmp, "badres", "good.test",
                                   app(resolver="dns.example"), servers)
        expect(c, "dns", "problem", "not an IP address", "bad [dns] resolver")

        # Config validation is part of the run.
        rc, out, _, _, _ = run_doctor(args.petrel, tmp, "badconf", "good.test",
                                      app(extra="[dns]\ntimeout = 99\n"),
                                      servers)
        conf = [r for r in out["reports"] if r["domain"] == "configuration"][0]
        check(conf["checks"][0]["status"] == "problem" and rc == 1,
              "bad config value: a configuration problem, exit 1")

        # A --domain that is not a domain name: exit 2, a clear message.
        p = subprocess.run([args.petrel, "doctor", "--data",
                            os.path.join(tmp, "data-good"), "--domain",
                            "bad name;"], capture_output=True, text=True,
                           timeout=30)
        check(p.returncode == 2 and "--domain wants a mail domain" in p.stderr,
              "bad --domain: exit 2 with a message (got %d %s)"
              % (p.returncode, p.stderr.strip()))

        # Text output names the verdicts.
        data = os.path.join(tmp, "data-twospf")
        p = subprocess.run([args.petrel, "doctor", "--data", data,
                            "--domain", "twospf.test"], capture_output=True,
                           text=True, timeout=60)
        check("[PROBLEM] SPF record" in p.stdout and "fix:" in p.stdout,
              "text output: PROBLEM lines with fixes")
    finally:
        nsd.terminate()
        try:
            nsd.wait(10)
        except subprocess.TimeoutExpired:
            nsd.kill()
        for s in (smtp, imap, hole, dead):
            s.close()
        if not FAILURES:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        sys.exit(1)


if __name__ == "__main__":
    main()
