#!/usr/bin/python3
"""Private, loopback-only Dovecot + Postfix mail stack for Petrel's real-server tests.

Everything (configs, TLS material, mail, queues, logs, pid files, sockets) lives in one
directory.  The system /etc/dovecot, /etc/postfix and system services are never touched.

  mailstack.py start  [--dir DIR] [--base-port N] [--users FILE | --demo] [--restart] [--fresh]
  mailstack.py stop   --dir DIR
  mailstack.py status --dir DIR [--json]
  mailstack.py deliver --dir DIR --to EMAIL [--from ADDR] FILE.eml...
  mailstack.py fill-maildir --dir DIR --user EMAIL [--folder NAME] [--seen] FILE.eml|DIR...
  mailstack.py env --dir DIR                  (prints mailstack.env)

Ports are base-port + {imap 143, imaps 993, sieve 190, sieves 191, lmtp 24, smtp 25, submission 587,
submissions 465}.  Default base port 20000.  Must run as root (it starts the daemons).
See tests/harness/README.md.
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MAIL_UID = 65534   # nobody
MAIL_GID = 65534   # nogroup
LOCAL_DOMAINS = ("example.test", "example.org")
SINK_USER = "sink@example.test"

DEFAULT_USERS = [
    ("alice@example.test", "alice-pass-1"),
    ("bob@example.test", "bob-pass-2"),
    ("carol@example.org", "carol-pass-3"),
    # Only tests/integration/web/test_imap_logins.py signs in as dana, so
    # Dovecot's log lines for her count that test's logins alone.
    ("dana@example.org", "dana-pass-4"),
    (SINK_USER, "sink-pass-0"),
]

PORT_OFFSETS = {
    "imap": 143,
    "imaps": 993,
    "sieve": 190,
    "sieves": 191,  # ManageSieve with implicit TLS (no standard port)
    "lmtp": 24,
    "smtp": 25,
    "submission": 587,
    "submissions": 465,
}

SPECIAL_FOLDERS = [("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                   ("Junk", "\\Junk"), ("Archive", "\\Archive")]


class StackError(Exception):
    pass


def log(msg):
    print("mailstack: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- paths

class Paths:
    def __init__(self, d):
        self.dir = os.path.abspath(d)
        j = lambda *p: os.path.join(self.dir, *p)
        self.tls = j("tls")
        self.ca_key = j("tls", "ca.key")
        self.ca = j("tls", "ca.pem")
        self.key = j("tls", "server.key")
        self.cert = j("tls", "server.pem")
        self.logdir = j("log")
        self.dovecot_log = j("log", "dovecot.log")
        self.postfix_log = j("log", "postfix.log")
        self.dovecot_dir = j("dovecot")
        self.dovecot_conf = j("dovecot", "dovecot.conf")
        self.dovecot_users = j("dovecot", "users")
        self.dovecot_base = j("run")          # sockets + master.pid (keep path short)
        self.dovecot_state = j("dovecot", "state")
        self.dovecot_pid = j("run", "master.pid")
        self.pf_etc = j("postfix", "etc")
        self.pf_spool = j("postfix", "spool")
        self.pf_data = j("postfix", "data")
        self.pf_pid = j("postfix", "spool", "pid", "master.pid")
        self.mail = j("mail")
        self.env = j("mailstack.env")
        self.json = j("mailstack.json")
        self.ports_file = j("ports.json")

    def home(self, email):
        local, dom = email.split("@", 1)
        return os.path.join(self.mail, dom, local)


# --------------------------------------------------------------------------- helpers

def check_traversable(path):
    """Every ancestor of path (and path itself) must be o+x for dovecot/postfix users."""
    p = os.path.abspath(path)
    bad = []
    cur = p
    while True:
        if os.path.exists(cur):
            st = os.stat(cur)
            if not (st.st_mode & 0o001):
                bad.append("%s (mode %o)" % (cur, st.st_mode & 0o7777))
        parent = os.path.dirname(cur)
        if parent == cur:
            break
        cur = parent
    if bad:
        raise StackError(
            "state directory %s is not world-traversable: %s lack o+x. The dovecot auth "
            "process (user dovecot), mail processes (nobody) and postfix must be able to "
            "enter it. Use a directory under /tmp, e.g. --dir /tmp/petrel-mailstack-XXXX"
            % (p, ", ".join(bad)))


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies count as dead
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except OSError:
        return False
    return True


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def descendants(root):
    """All live descendant pids of root (by walking /proc ppid links)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def port_open(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # ignore TIME_WAIT
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise StackError("command failed (%d): %s\n%s" % (
            r.returncode, " ".join(shlex.quote(c) for c in cmd),
            r.stdout.decode("utf-8", "replace")))
    return r


def write(path, text, mode=0o644, uid=None, gid=None):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    if uid is not None:
        os.chown(tmp, uid, gid)
    os.replace(tmp, path)


def ports_for(base):
    return {k: base + v for k, v in PORT_OFFSETS.items()}


def load_users(args):
    if getattr(args, "users", None):
        users = []
        with open(args.users) as f:
            for ln, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split(None, 1)
                if len(parts) != 2 or "@" not in parts[0]:
                    raise StackError("%s:%d: expected 'email password'" % (args.users, ln))
                users.append((parts[0].lower(), parts[1]))
        if SINK_USER not in [u for u, _ in users]:
            users.append(DEFAULT_USERS[-1])
    else:
        users = list(DEFAULT_USERS)
    for u, p in users:
        if ":" in p or "\n" in p or any(c in u for c in ":/ \t"):
            raise StackError("user/password may not contain ':', '/' or whitespace: %r" % u)
        dom = u.split("@", 1)[1]
        if dom not in LOCAL_DOMAINS:
            raise StackError("user %s: domain must be one of %s" % (u, LOCAL_DOMAINS))
    return users


# --------------------------------------------------------------------------- TLS

def make_tls(P):
    os.makedirs(P.tls, exist_ok=True)
    os.chmod(P.tls, 0o755)
    if all(os.path.exists(p) for p in (P.ca, P.cert, P.key)):
        return
    log("generating test CA and server certificate for localhost/127.0.0.1")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-days", "3650", "-keyout", P.ca_key, "-out", P.ca,
         "-subj", "/O=Petrel Test/CN=Petrel Test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-addext", "subjectKeyIdentifier=hash"])
    csr = os.path.join(P.tls, "server.csr")
    ext = os.path.join(P.tls, "server.ext")
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", P.key,
         "-out", csr, "-subj", "/O=Petrel Test/CN=localhost"])
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", P.ca, "-CAkey", P.ca_key,
         "-CAcreateserial", "-out", P.cert, "-days", "825", "-sha256", "-extfile", ext])
    os.chmod(P.ca, 0o644)
    os.chmod(P.cert, 0o644)
    os.chmod(P.ca_key, 0o600)
    os.chown(P.key, 0, _gid("postfix"))
    os.chmod(P.key, 0o640)


def _gid(name):
    import grp
    return grp.getgrnam(name).gr_gid


def _uid(name):
    import pwd
    return pwd.getpwnam(name).pw_uid


# --------------------------------------------------------------------------- dovecot

def instance_name(ports):
    return "petrel-ms%d" % (ports["imap"] - PORT_OFFSETS["imap"])


def dovecot_conf(P, ports, user_count=0):
    mailboxes = "\n".join(
        "  mailbox %s {\n    special_use = %s\n    auto = subscribe\n  }" % (n, su)
        for n, su in SPECIAL_FOLDERS)
    return """# generated by tests/harness/mailstack.py -- private test instance
instance_name = {inst}
base_dir = {base}
state_dir = {state}
log_path = {dlog}
listen = 127.0.0.1
protocols = imap lmtp sieve
hostname = mailstack.example.test
postmaster_address = postmaster@example.test
submission_host = 127.0.0.1:{smtp}

ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2

first_valid_uid = 1
last_valid_uid = 0
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_username_format = %Lu
auth_cache_size = 0

mail_location = maildir:~/Maildir
mail_fsync = never
# Storage quota (RFC 9208 through imap_quota): Petrel's sidebar meter.
mail_plugins = $mail_plugins quota
mail_max_userip_connections = 1000
lmtp_save_to_detail_mailbox = no
recipient_delimiter = +

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {users}
}}

namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
  service_count = 0
  process_min_avail = 2
  client_limit = 1000
}}
service imap {{
  # A webmail holds a pooled and an IDLE connection per signed-in user:
  # room for three a user (the stream bench signs in 1000).
  process_limit = {imap_procs}
}}
service managesieve-login {{
  inet_listener sieve {{
    address = 127.0.0.1
    port = {sieve}
  }}
  # A second listener (new name) with TLS from the first byte.
  inet_listener sieves {{
    address = 127.0.0.1
    port = {sieves}
    ssl = yes
  }}
  # A process per connection: Dovecot's default, what Hestia servers run.
  service_count = 1
  process_min_avail = 1
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service auth {{
  unix_listener {spool}/private/auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
  client_limit = 4000
}}
default_client_limit = 4000
# no anvil auth penalty (2-15 s delays after failed logins from 127.0.0.1 would slow tests)
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}

protocol imap {{
  mail_max_userip_connections = 1000
  mail_plugins = $mail_plugins imap_quota
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
protocol sieve {{
  managesieve_max_line_length = 65536
}}
plugin {{
  quota = count:User quota
  quota_rule = *:storage=1G
  quota_vsizes = yes
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_max_script_size = 1M
  sieve_vacation_min_period = 0
  sieve_vacation_dont_check_recipient = yes
  sieve_extensions = +vacation-seconds +editheader
}}
""".format(inst=instance_name(ports), base=P.dovecot_base, state=P.dovecot_state,
           dlog=P.dovecot_log, cert=P.cert, key=P.key, users=P.dovecot_users,
           mailboxes=mailboxes, spool=P.pf_spool,
           imap_procs=max(1000, 3 * user_count), **ports)


# --------------------------------------------------------------------------- postfix

def postfix_main(P, ports):
    return """# generated by tests/harness/mailstack.py -- private test instance
compatibility_level = 3.6
config_directory = {etc}
queue_directory = {spool}
data_directory = {data}
multi_instance_name = postfix-{inst}
syslog_name = postfix-{inst}
maillog_file = {plog}
maillog_file_prefixes = {logdir}
mail_owner = postfix
setgid_group = postdrop
myhostname = mailstack.example.test
mydomain = example.test
myorigin = example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
biff = no
smtputf8_enable = yes
message_size_limit = 104857600
mailbox_size_limit = 0
smtpd_banner = $myhostname ESMTP Petrel test stack
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h

virtual_mailbox_domains = {domains}
virtual_mailbox_maps = texthash:{etc}/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
# no outbound mail: any non-local recipient is rewritten to {sink} (envelope only),
# so tests can inspect what would have left the machine.
recipient_canonical_maps = regexp:{etc}/sink_canonical
recipient_canonical_classes = envelope_recipient
default_transport = error:outbound mail disabled in the Petrel test stack
relay_transport = error:outbound mail disabled in the Petrel test stack

smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtp_tls_security_level = none
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
""".format(etc=P.pf_etc, spool=P.pf_spool, data=P.pf_data, inst=instance_name(ports),
           plog=P.postfix_log, logdir=P.logdir, domains=", ".join(LOCAL_DOMAINS),
           cert=P.cert, key=P.key, sink=SINK_USER, **ports)


def postfix_master(ports):
    sub_opts = """  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
"""
    subs_opts = """  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
"""
    return """# generated by tests/harness/mailstack.py (chroot = n everywhere)
127.0.0.1:{smtp} inet n - n - - smtpd
127.0.0.1:{submission} inet n - n - - smtpd
{sub_opts}127.0.0.1:{submissions} inet n - n - - smtpd
{subs_opts}pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""".format(sub_opts=sub_opts, subs_opts=subs_opts, **ports)


def postfix_cmd(P, *args):
    return ["postfix", "-c", P.pf_etc] + list(args)


def run_postfix(P, *args):
    # postfix prints nothing to a non-tty stderr: run it under script(1) to see messages
    cmd = " ".join(shlex.quote(c) for c in postfix_cmd(P, *args))
    outfile = os.path.join(P.logdir, "postfix-cmd.out")
    with open(outfile, "wb") as of:
        r = subprocess.run(["script", "-qec", cmd, "/dev/null"], stdout=of,
                           stderr=of, stdin=subprocess.DEVNULL)
    with open(outfile, "rb") as f:
        r.stdout = f.read()
    return r


# --------------------------------------------------------------------------- state

def running_state(P):
    dpid = read_pid(P.dovecot_pid)
    ppid = read_pid(P.pf_pid)
    d_ok = bool(dpid and pid_alive(dpid) and "dovecot" in proc_cmdline(dpid))
    p_ok = bool(ppid and pid_alive(ppid) and "master" in proc_cmdline(ppid))
    return (dpid if d_ok else None), (ppid if p_ok else None)


def load_info(P):
    try:
        with open(P.json) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_info(P, ports, users):
    info = {
        "dir": P.dir,
        "host": "127.0.0.1",
        "tls_hostname": "localhost",
        "ports": ports,
        "ca_file": P.ca,
        "cert_file": P.cert,
        "dovecot_conf": P.dovecot_conf,
        "postfix_config_dir": P.pf_etc,
        "dovecot_log": P.dovecot_log,
        "postfix_log": P.postfix_log,
        "domains": list(LOCAL_DOMAINS),
        "sink_user": SINK_USER,
        "users": [{"email": u, "password": p, "home": P.home(u),
                   "maildir": os.path.join(P.home(u), "Maildir")} for u, p in users],
    }
    write(P.json, json.dumps(info, indent=2) + "\n", 0o644)
    env = [
        ("MAILSTACK_DIR", P.dir),
        ("PETREL_MAILSTACK_DIR", P.dir),   # read by tests/integration/support/stack.c
        ("MAILSTACK_HOST", "127.0.0.1"),
        ("MAILSTACK_TLS_HOSTNAME", "localhost"),
        ("IMAP_PORT", ports["imap"]),
        ("IMAPS_PORT", ports["imaps"]),
        ("SIEVE_PORT", ports["sieve"]),
        ("SIEVES_PORT", ports["sieves"]),
        ("LMTP_PORT", ports["lmtp"]),
        ("SMTP_PORT", ports["smtp"]),
        ("SUBMISSION_PORT", ports["submission"]),
        ("SUBMISSIONS_PORT", ports["submissions"]),
        ("CA_FILE", P.ca),
        ("MAILSTACK_CA_FILE", P.ca),
        ("DOVECOT_CONF", P.dovecot_conf),
        ("POSTFIX_CONFIG_DIR", P.pf_etc),
        ("MAILSTACK_SINK_USER", SINK_USER),
        ("MAILSTACK_USERS", " ".join(u for u, _ in users)),
        ("USER_COUNT", len(users)),
    ]
    for i, (u, p) in enumerate(users, 1):
        env.append(("USER%d" % i, u))
        env.append(("PASS%d" % i, p))
    text = "# generated by tests/harness/mailstack.py; source me\n" + "".join(
        "export %s=%s\n" % (k, shlex.quote(str(v))) for k, v in env)
    write(P.env, text, 0o644)
    return info


# --------------------------------------------------------------------------- start/stop

def cmd_start(args):
    if args.dir is None:
        args.dir = tempfile.mkdtemp(prefix="petrel-mailstack-", dir="/tmp")
        os.chmod(args.dir, 0o755)
        log("using new state directory " + args.dir)
    if os.geteuid() != 0:
        raise StackError("must run as root (starts dovecot and postfix masters)")
    P = Paths(args.dir)
    os.makedirs(P.dir, exist_ok=True)
    check_traversable(P.dir)
    dpid, ppid = running_state(P)
    if dpid or ppid:
        if not args.restart:
            raise StackError(
                "a mail stack is already running in %s (dovecot pid %s, postfix pid %s); "
                "run 'mailstack.py stop --dir %s' first or pass --restart"
                % (P.dir, dpid, ppid, P.dir))
        stop_stack(P)
    if args.fresh and os.path.isdir(P.mail):
        # Every mailbox, index and Sieve script lives under the users' homes:
        # removing them (the servers are stopped) gives each run the state of a
        # first run, however many runs came before.
        shutil.rmtree(P.mail)
        log("removed the mail store " + P.mail)
    users = load_users(args)
    ports = ports_for(args.base_port)
    busy = [("%s=%d" % (k, v)) for k, v in sorted(ports.items()) if not port_free(v)]
    if busy:
        raise StackError("ports already in use on 127.0.0.1: %s (another stack or service?"
                         " choose another --base-port)" % ", ".join(busy))

    t0 = time.time()
    for d in (P.logdir, P.dovecot_dir, P.dovecot_state, P.dovecot_base, P.pf_etc, P.mail,
              P.pf_spool, P.pf_data):
        os.makedirs(d, exist_ok=True)
    os.chmod(P.pf_spool, 0o755)
    os.chown(P.pf_data, _uid("postfix"), 0)
    os.chmod(P.pf_data, 0o700)
    for d in (P.logdir, P.dovecot_dir, P.pf_etc, P.mail, os.path.dirname(P.pf_etc)):
        os.chmod(d, 0o755)
    make_tls(P)

    # users: passwd-file for dovecot, vmailbox for postfix, homes owned by the mail uid
    lines = []
    for u, p in users:
        home = P.home(u)
        os.makedirs(os.path.dirname(home), exist_ok=True)
        os.chmod(os.path.dirname(home), 0o755)
        if not os.path.isdir(home):
            os.makedirs(home)
        os.chown(home, MAIL_UID, MAIL_GID)
        os.chmod(home, 0o700)
        lines.append("%s:{PLAIN}%s:%d:%d::%s::" % (u, p, MAIL_UID, MAIL_GID, home))
    write(P.dovecot_users, "\n".join(lines) + "\n", 0o640, 0, _gid("dovecot"))
    write(P.dovecot_conf, dovecot_conf(P, ports, len(users)), 0o644)

    write(os.path.join(P.pf_etc, "main.cf"), postfix_main(P, ports))
    write(os.path.join(P.pf_etc, "master.cf"), postfix_master(ports))
    write(os.path.join(P.pf_etc, "vmailbox"), "".join("%s OK\n" % u for u, _ in users))
    doms = "|".join(d.replace(".", r"\.") for d in LOCAL_DOMAINS)
    write(os.path.join(P.pf_etc, "sink_canonical"),
          "if !/@(%s)$/\n/.+/ %s\nendif\n" % (doms, SINK_USER))

    for stale in (P.dovecot_pid, P.pf_pid):
        if os.path.exists(stale):
            os.unlink(stale)
    # 1. postfix first (post-install creates spool/private owned by postfix)
    r = run_postfix(P, "start")
    if r.returncode != 0:
        raise StackError("postfix start failed (rc %d):\n%s\n--- %s ---\n%s" % (
            r.returncode, r.stdout.decode("utf-8", "replace"), P.postfix_log,
            tail(P.postfix_log)))
    # 2. dovecot
    # the daemon keeps inherited fds open: never give it a pipe (we would wait for EOF)
    outfile = os.path.join(P.logdir, "dovecot-start.out")
    with open(outfile, "wb") as of:
        r = subprocess.run(["dovecot", "-c", P.dovecot_conf], stdout=of, stderr=of,
                           stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        out = tail(outfile)
        stop_stack(P, quiet=True)
        raise StackError("dovecot start failed (rc %d):\n%s\n--- %s ---\n%s" % (
            r.returncode, out, P.dovecot_log, tail(P.dovecot_log)))

    deadline = time.time() + args.timeout
    pending = dict(ports)
    while time.time() < deadline:
        for k, v in list(pending.items()):
            if port_open(v):
                del pending[k]
        if not pending:
            if all(running_state(P)):
                break
        time.sleep(0.1)
    if not pending and not all(running_state(P)):
        pending = {"master.pid": 0}
    if pending:
        msg = ("ports did not open within %ds: %s\n--- %s ---\n%s\n--- %s ---\n%s" % (
            args.timeout, ", ".join("%s=%d" % kv for kv in sorted(pending.items())),
            P.dovecot_log, tail(P.dovecot_log), P.postfix_log, tail(P.postfix_log)))
        stop_stack(P, quiet=True)
        raise StackError(msg)
    write_info(P, ports, users)
    dpid, ppid = running_state(P)
    log("started in %.1fs: dovecot pid %s, postfix pid %s" % (time.time() - t0, dpid, ppid))
    print(P.env)
    return 0


def _wait_gone(pids, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = [p for p in pids if pid_alive(p)]
        if not pids:
            return []
        time.sleep(0.05)
    return [p for p in pids if pid_alive(p)]


def stop_stack(P, quiet=False):
    say = (lambda m: None) if quiet else log
    dpid, ppid = running_state(P)
    if ppid:
        family = [ppid] + descendants(ppid)
        r = run_postfix(P, "stop")
        if r.returncode != 0:
            say("postfix stop rc %d: %s; sending SIGTERM to %d" % (
                r.returncode, r.stdout.decode("utf-8", "replace").strip(), ppid))
            try:
                os.kill(ppid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        left = _wait_gone(family, 15)
        for p in left:
            say("postfix process %d still alive, SIGKILL" % p)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait_gone(left, 5)
        say("postfix stopped")
    if dpid:
        family = [dpid] + descendants(dpid)
        try:
            os.kill(dpid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        left = _wait_gone(family, 15)
        for p in left:
            say("dovecot process %d still alive, SIGKILL" % p)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait_gone(left, 5)
        say("dovecot stopped")
    if not dpid and not ppid:
        say("nothing running in " + P.dir)


def cmd_stop(args):
    P = Paths(args.dir)
    if not os.path.isdir(P.dir):
        log("no such directory %s; nothing to stop" % P.dir)
        return 0
    stop_stack(P)
    return 0


def cmd_status(args):
    P = Paths(args.dir)
    dpid, ppid = running_state(P)
    info = load_info(P)
    ports = info["ports"] if info else {}
    st = {"dir": P.dir, "dovecot_pid": dpid, "postfix_pid": ppid,
          "ports": {k: {"port": v, "open": port_open(v)} for k, v in sorted(ports.items())}}
    ok = bool(dpid and ppid and info and all(x["open"] for x in st["ports"].values()))
    st["ok"] = ok
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        print("dir      %s" % P.dir)
        print("dovecot  %s" % ("running, pid %d" % dpid if dpid else "not running"))
        print("postfix  %s" % ("running, pid %d" % ppid if ppid else "not running"))
        for k, v in st["ports"].items():
            print("%-12s %5d %s" % (k, v["port"], "open" if v["open"] else "CLOSED"))
        print("status   %s" % ("OK" if ok else "NOT OK"))
    return 0 if ok else 1


# --------------------------------------------------------------------------- mail helpers

def _info_or_die(P):
    info = load_info(P)
    if not info:
        raise StackError("no mailstack.json in %s (was 'start' run?)" % P.dir)
    return info


def _expand(files):
    out = []
    for f in files:
        if os.path.isdir(f):
            out.extend(sorted(os.path.join(f, n) for n in os.listdir(f)
                              if n.endswith(".eml")))
        else:
            out.append(f)
    return out


def _envelope_from(raw):
    import email.parser
    import email.utils
    hdr = email.parser.BytesHeaderParser().parsebytes(raw)
    for h in ("Return-Path", "Sender", "From"):
        v = hdr.get(h)
        if v:
            addr = email.utils.parseaddr(str(v))[1]
            if addr and "@" in addr and all(ord(c) < 128 for c in addr):
                return addr
    return "MAILER-DAEMON@example.test"


def cmd_deliver(args):
    P = Paths(args.dir)
    info = _info_or_die(P)
    files = _expand(args.files)
    n = 0
    with smtplib.LMTP("127.0.0.1", info["ports"]["lmtp"]) as lm:
        for fn in files:
            with open(fn, "rb") as f:
                raw = f.read()
            raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            sender = getattr(args, "sender", None) or _envelope_from(raw)
            refused = lm.sendmail(sender, args.to, raw)
            if refused:
                raise StackError("LMTP refused %s: %r" % (fn, refused))
            n += 1
            lm.rset()
    log("delivered %d message(s) to %s via LMTP" % (n, ", ".join(args.to)))
    return 0


def doveadm(P, *a, check=True):
    return run(["doveadm", "-c", P.dovecot_conf] + list(a), check=check)


def maildir_path(P, user, folder):
    """Filesystem path of a folder's Maildir (creating + subscribing the folder)."""
    if folder.upper() != "INBOX":
        r = doveadm(P, "mailbox", "create", "-u", user, "-s", folder, check=False)
        out = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0 and "exists" not in out:
            raise StackError("doveadm mailbox create %s failed: %s" % (folder, out))
    r = doveadm(P, "mailbox", "path", "-u", user, folder)
    path = r.stdout.decode().strip().splitlines()[-1].strip()
    if not os.path.isabs(path):
        raise StackError("unexpected doveadm mailbox path output: %r" % path)
    return path


_seq = [0]


def maildir_put(path, raw, mtime=None, seen=False, hostname="petrel-harness"):
    """Write one message into a Maildir folder (new/, or cur/ with S flag) as nobody."""
    for sub in ("cur", "new", "tmp"):
        d = os.path.join(path, sub)
        if not os.path.isdir(d):
            os.makedirs(d, 0o700)
            os.chown(d, MAIL_UID, MAIL_GID)
    _seq[0] += 1
    now = time.time()
    base = "%d.M%dP%dQ%d.%s,S=%d" % (int(now), int((now % 1) * 1e6), os.getpid(), _seq[0],
                                       hostname, len(raw))
    tmp = os.path.join(path, "tmp", base)
    with open(tmp, "wb") as f:
        f.write(raw)
    os.chown(tmp, MAIL_UID, MAIL_GID)
    os.chmod(tmp, 0o600)
    if mtime:
        os.utime(tmp, (mtime, mtime))
    final = os.path.join(path, "cur", base + ":2,S") if seen else os.path.join(path, "new", base)
    os.rename(tmp, final)
    return final


def _fix_owner(path, stop):
    """chown path and its ancestors up to (excluding) stop to the mail uid."""
    p = path
    while p.startswith(stop) and p != stop:
        try:
            os.chown(p, MAIL_UID, MAIL_GID)
        except OSError:
            pass
        p = os.path.dirname(p)


def _msg_date(raw):
    import email.parser
    import email.utils
    try:
        hdr = email.parser.BytesHeaderParser().parsebytes(raw)
        d = hdr.get("Date")
        if d:
            return email.utils.parsedate_to_datetime(str(d)).timestamp()
    except Exception:
        pass
    return None


def cmd_fill(args):
    P = Paths(args.dir)
    _info_or_die(P)
    user = args.user.lower()
    path = maildir_path(P, user, args.folder)
    files = _expand(args.files)
    for fn in files:
        with open(fn, "rb") as f:
            raw = f.read().replace(b"\r\n", b"\n")
        maildir_put(path, raw, mtime=_msg_date(raw), seen=args.seen)
    _fix_owner(path, P.home(user))
    log("wrote %d message(s) to %s folder %s (%s)" % (len(files), user, args.folder, path))
    return 0


def cmd_env(args):
    P = Paths(args.dir)
    with open(P.env) as f:
        sys.stdout.write(f.read())
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    envdir = os.environ.get("MAILSTACK_DIR")

    s = sp.add_parser("start", help="create config and start dovecot + postfix")
    s.add_argument("--dir", default=None,
                   help="state directory (default: new /tmp/petrel-mailstack-XXXX)")
    s.add_argument("--base-port", type=int, default=20000)
    g = s.add_mutually_exclusive_group()
    g.add_argument("--users", metavar="FILE", help="lines 'email password'")
    g.add_argument("--demo", action="store_true", help="default demo users (the default)")
    s.add_argument("--restart", action="store_true", help="stop a running stack in DIR first")
    s.add_argument("--fresh", action="store_true",
                   help="start with empty mailboxes (delete the users' homes: mail, Sieve)")
    s.add_argument("--timeout", type=int, default=30)
    s.set_defaults(fn=cmd_start)

    for name, fn, hlp in (("stop", cmd_stop, "stop the stack (idempotent)"),
                          ("status", cmd_status, "show status; exit 0 if all up"),
                          ("env", cmd_env, "print mailstack.env")):
        s = sp.add_parser(name, help=hlp)
        s.add_argument("--dir", required=envdir is None, default=envdir)
        if name == "status":
            s.add_argument("--json", action="store_true")
        s.set_defaults(fn=fn)

    s = sp.add_parser("deliver", help="deliver .eml files via LMTP (sieve runs)")
    s.add_argument("--dir", required=envdir is None, default=envdir)
    s.add_argument("--to", required=True, action="append", help="recipient (repeatable)")
    s.add_argument("--from", dest="sender", help="envelope sender (default: from headers)")
    s.add_argument("files", nargs="+", help=".eml files or directories of them")
    s.set_defaults(fn=cmd_deliver)

    s = sp.add_parser("fill-maildir", help="write .eml files straight into a Maildir")
    s.add_argument("--dir", required=envdir is None, default=envdir)
    s.add_argument("--user", required=True)
    s.add_argument("--folder", default="INBOX")
    s.add_argument("--seen", action="store_true", help="store as \\Seen (cur/ :2,S)")
    s.add_argument("files", nargs="+", help=".eml files or directories of them")
    s.set_defaults(fn=cmd_fill)

    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except StackError as e:
        log("ERROR: %s" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
