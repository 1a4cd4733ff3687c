#!/usr/bin/python3
"""contrib/hestia/v-add-sys-petrel against a fixture Hestia server.

  test_v_add_sys_petrel.py --petrel BIN --source SRC

Every case copies tests/hestia/fixture/ (Hestia's files in their real
formats: /etc/hestiacp/hestia.conf, $HESTIA/conf/hestia.conf, users'
mail.conf, func/main.sh, v-* commands that record their arguments, a
recording systemctl) to a fresh directory, points the script at it through
its environment variables and runs it with the real petrel binary, so the
credentials file and application.ini come from `petrel admin init`
itself. The cases assert every file the script writes, every command it
calls, its exit codes for a non-root user and missing prerequisites, and
that a second run changes nothing but the log line.
"""
import argparse
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import socket
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = None

NOBODY = pwd.getpwnam("nobody").pw_uid
NOGROUP = grp.getgrnam("nogroup").gr_gid

DOMAIN_KEYS = [
    ("imap_host", '"127.0.0.1"'), ("imap_port", "143"), ("imap_secure", '"None"'),
    ("imap_short_login", "Off"),
    ("smtp_host", '"127.0.0.1"'), ("smtp_port", "587"), ("smtp_secure", '"None"'),
    ("smtp_short_login", "Off"), ("smtp_auth", "On"), ("smtp_set_sender", "Off"),
    ("sieve_use", "On"), ("sieve_allow_raw", "Off"), ("sieve_host", '"localhost"'),
    ("sieve_port", "4190"), ("sieve_secure", '"None"'),
]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def ini_values(text):
    """{(section, key): raw value} of an ini text, comments skipped."""
    out, section = {}, ""
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        if s.startswith("["):
            section = s.strip("[]")
            continue
        k, _, v = s.partition("=")
        out[(section, k.strip())] = v.strip()
    return out


def tree_state(root):
    """path -> (mode, uid, gid, mtime_ns, bytes) of every file under root."""
    state = {}
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            with open(p, "rb") as f:
                state[p] = (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, f.read())
    return state


class Fixture:
    """One copy of the fixture Hestia server."""

    def __init__(self, takeover=False, conf=None):
        self.tmp = tempfile.mkdtemp(prefix="petrel-hestia-")
        self.root = os.path.join(self.tmp, "root")
        shutil.copytree(os.path.join(HERE, "fixture"), self.root, symlinks=True)
        self.hestia = os.path.join(self.root, "usr/local/hestia")
        sysconf = os.path.join(self.root, "etc/hestiacp/hestia.conf")
        with open(sysconf, "w") as f:
            f.write(read(os.path.join(HERE, "fixture/etc/hestiacp/hestia.conf"))
                    .replace("@ROOT@", self.root))
        for d in ("root", "usr/local/hestia/log", "etc/systemd/system",
                  "lib/systemd/system", "var/lib"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        os.chmod(os.path.join(self.root, "root"), 0o700)
        # The unit the package installs, its data dir moved into the fixture.
        unit = read(os.path.join(ARGS.source, "contrib/systemd/petrel.service"))
        self.unit_data = os.path.join(self.root, "var/lib/petrel")
        self.unit = os.path.join(self.root, "lib/systemd/system/petrel.service")
        with open(self.unit, "w") as f:
            f.write(unit.replace("/var/lib/petrel", self.unit_data))
        self.snappy = os.path.join(self.root, "etc/snappymail/data")
        if not takeover:
            shutil.rmtree(os.path.join(self.root, "etc/snappymail"))
        for key, value in (conf or {}).items():
            self.set_conf(key, value)
        self.calls_log = os.path.join(self.root, "calls.log")
        self.env = {
            "PATH": os.path.join(self.root, "sbin") + ":/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.path.join(self.root, "root"),
            "LANG": "C.UTF-8",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "detect_leaks=1"),
            "PETREL_HESTIA_SYSCONF": sysconf,
            "PETREL_BIN": ARGS.petrel,
            "PETREL_SHARE_DIR": ARGS.source,
            "PETREL_USER": "nobody",
            "PETREL_GROUP": "nogroup",
            "PETREL_DEFAULT_DATA_DIR": self.unit_data,
            "PETREL_SNAPPYMAIL_DATA_DIR": self.snappy,
            "PETREL_ROOT_HOME": os.path.join(self.root, "root"),
            "PETREL_UNIT_FILE": self.unit,
            "PETREL_SYSTEMD_DIR": os.path.join(self.root, "etc/systemd/system"),
            "PETREL_NGINX_CONF_D": os.path.join(self.root, "etc/nginx/conf.d"),
            "PETREL_SYSTEMCTL": os.path.join(self.root, "sbin/systemctl"),
            "PETREL_HESTIA_HOST": "mail.example.com",
            "PETREL_FIXTURE_CALLS": self.calls_log,
        }

    def path(self, rel):
        return os.path.join(self.root, rel)

    def set_conf(self, key, value):
        p = os.path.join(self.hestia, "conf/hestia.conf")
        lines = [l for l in read(p).splitlines() if not l.startswith(key + "=")]
        if value is not None:
            lines.append("%s='%s'" % (key, value))
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")

    def run(self, extra_env=None, as_nobody=False, script="v-add-sys-petrel"):
        env = dict(self.env, **(extra_env or {}))
        cmd = ["bash", os.path.join(ARGS.source, "contrib/hestia", script)]
        if as_nobody:
            cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOGROUP,
                   "--clear-groups"] + cmd
        return subprocess.run(cmd, env=env, cwd=self.tmp, capture_output=True,
                              text=True, timeout=120)

    def calls(self):
        try:
            lines = read(self.calls_log).splitlines()
        except FileNotFoundError:
            return []
        return [tuple(l.split("\t")) for l in lines]

    def clear_calls(self):
        if os.path.exists(self.calls_log):
            os.unlink(self.calls_log)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class Base(unittest.TestCase):
    takeover = False
    conf = None

    def setUp(self):
        self.fx = Fixture(self.takeover, self.conf)
        self.addCleanup(self.fx.cleanup)
        out = subprocess.run([ARGS.petrel, "version"], capture_output=True, text=True)
        self.version = out.stdout.strip().replace("petrel ", "", 1)
        self.assertTrue(self.version)

    def ok(self, extra_env=None, script="v-add-sys-petrel"):
        r = self.fx.run(extra_env, script=script)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def conf_value(self, key):
        for line in read(os.path.join(self.fx.hestia, "conf/hestia.conf")).splitlines():
            if line.startswith(key + "="):
                return line.split("=", 1)[1].strip("'")
        return None

    def webmail_of(self, user, domain):
        for line in read(os.path.join(self.fx.hestia, "data/users/%s/mail.conf" % user)).splitlines():
            if line.startswith("DOMAIN='%s' " % domain):
                return re.search(r" WEBMAIL='([^']*)'", line).group(1)
        return None

    def assert_removed(self):
        """What v-delete-sys-petrel leaves: no templates, log format or drop-in."""
        fx = self.fx
        tpl = os.path.join(fx.hestia, "data/templates/mail")
        for d, _, files in os.walk(tpl):
            self.assertEqual(files, [], d)
        self.assertFalse(os.path.exists(fx.path("etc/nginx/conf.d/petrel-hestia.conf")))
        self.assertFalse(os.path.exists(fx.path("etc/systemd/system/petrel.service.d")))

    def private(self, data):
        return os.path.join(data, "_data_/_default_")

    def assert_domain_file(self, path, domain):
        text = read(path)
        lines = text.splitlines()
        self.assertEqual(lines[0], "; Written by v-add-sys-petrel.")
        self.assertIn("; Hestia mail domain %s." % domain, text)
        vals = ini_values(text)
        self.assertEqual(vals, {("", k): v for k, v in DOMAIN_KEYS})
        st = os.stat(path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY, NOGROUP))

    def assert_owned_tree(self, data):
        for d, dirs, files in os.walk(data):
            for n in dirs + files:
                st = os.lstat(os.path.join(d, n))
                self.assertEqual((st.st_uid, st.st_gid), (NOBODY, NOGROUP),
                                 os.path.join(d, n))
        st = os.stat(data)
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY, NOGROUP))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)

    def assert_nginx_template(self, path, port, ssl, system):
        text = read(path)
        self.assertTrue(text.startswith("# Written by v-add-sys-petrel"))
        self.assertIn("listen      %%ip%%:%s%s;" % (port, " ssl" if ssl else ""), text)
        self.assertIn("server_name %domain_idn% %alias_idn%;", text)
        self.assertIn("access_log  /var/log/nginx/domains/%domain%.log petrel_hestia;", text)
        self.assertIn("alias %s/static/;" % ARGS.source, text)
        self.assertIn("fastcgi_pass unix:/run/petrel/petrel.sock;", text)
        self.assertIn("proxy_pass http://unix:/run/petrel/events.sock;", text)
        self.assertIn("fastcgi_param PATH_INFO $fastcgi_path_info;", text)
        self.assertIn("location /error/ {\n\t\talias /var/www/document_errors/;", text)
        if ssl:
            self.assertIn("ssl_certificate     %ssl_pem%;", text)
            self.assertIn("ssl_certificate_key %ssl_key%;", text)
            self.assertIn("include %%home%%/%%user%%/conf/mail/%%root_domain%%/%s.ssl.conf_*;"
                          % system, text)
            self.assertNotIn("forcessl", text)
            # HSTS at the server and in each location with its own headers.
            hsts = 'add_header Strict-Transport-Security "max-age=31536000" always;'
            self.assertEqual(text.count(hsts), 3, text)
            self.assertNotIn("includeSubDomains", text)
        else:
            self.assertNotIn("ssl_certificate", text)
            self.assertNotIn("Strict-Transport-Security", text)
            self.assertIn("include %home%/%user%/conf/mail/%root_domain%/nginx.forcessl.conf*;",
                          text)
            self.assertIn("include %%home%%/%%user%%/conf/mail/%%root_domain%%/%s.conf_*;"
                          % system, text)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
        self.nginx_check(text, ssl)

    def nginx_check(self, template, ssl):
        """Render the template the way Hestia's add_webmail_config does and
        let nginx -t parse it with the log format file in the http block."""
        work = tempfile.mkdtemp(prefix="petrel-hestia-nginx-")
        self.addCleanup(shutil.rmtree, work, True)
        subs = {
            "%ip%": "127.0.0.1", "%web_port%": "8080", "%web_ssl_port%": "8443",
            "%proxy_port%": "8080", "%proxy_ssl_port%": "8443",
            "%domain_idn%": "webmail.example.com", "%domain%": "webmail.example.com",
            "%alias_idn%": "mail.example.com", "%root_domain%": "example.com",
            "%home%": work + "/home", "%user%": "admin", "%web_system%": "nginx",
            "%proxy_system%": "nginx",
            "%ssl_pem%": work + "/cert.pem", "%ssl_key%": work + "/key.pem",
        }
        for k, v in subs.items():
            template = template.replace(k, v)
        self.assertNotRegex(template, r"%[a-z_]+%")
        template = template.replace("/var/log/nginx/domains/", work + "/")
        if ssl:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-subj", "/CN=webmail.example.com", "-days", "1",
                            "-keyout", work + "/key.pem", "-out", work + "/cert.pem"],
                           check=True, capture_output=True)
        conf_d = read(self.fx.path("etc/nginx/conf.d/petrel-hestia.conf"))
        with open(work + "/nginx.conf", "w") as f:
            f.write("""pid %(w)s/nginx.pid;
error_log %(w)s/error.log;
events {}
http {
	access_log off;
	client_body_temp_path %(w)s/body;
	fastcgi_temp_path %(w)s/fastcgi;
	proxy_temp_path %(w)s/proxy;
	uwsgi_temp_path %(w)s/uwsgi;
	scgi_temp_path %(w)s/scgi;
	map $ssl_early_data $anti_replay { default 0; }
%(conf_d)s
%(server)s
}
""" % {"w": work, "conf_d": conf_d, "server": template})
        r = subprocess.run(["nginx", "-t", "-q", "-p", work, "-c", work + "/nginx.conf"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr + template)


class RefusalTest(Base):
    """Exit codes and messages; nothing is written or called."""

    def assert_refused(self, r, code, message):
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertIn(message, r.stdout)
        self.assertEqual(self.fx.calls(), [])
        self.assertFalse(os.path.exists(self.fx.unit_data))
        self.assertFalse(os.path.exists(self.fx.path("root/.snappymail")))
        self.assertFalse(os.path.exists(self.fx.path("etc/nginx")))
        self.assertFalse(os.path.exists(os.path.join(self.fx.hestia, "data/templates")))

    def test_not_root(self):
        os.chmod(self.fx.tmp, 0o755)
        r = self.fx.run(as_nobody=True)
        self.assert_refused(r, 10, "ERROR: v-add-sys-petrel can only be executed by the root user")

    def test_no_hestia(self):
        r = self.fx.run({"PETREL_HESTIA_SYSCONF": self.fx.path("etc/none.conf")})
        self.assert_refused(r, 2, "ERROR: %s not found" % self.fx.path("etc/none.conf"))

    def test_no_petrel_binary(self):
        r = self.fx.run({"PETREL_BIN": self.fx.path("usr/bin/petrel")})
        self.assert_refused(r, 2, "ERROR: %s not found: install the petrel package first"
                            % self.fx.path("usr/bin/petrel"))

    def test_no_share_dir(self):
        r = self.fx.run({"PETREL_SHARE_DIR": self.fx.path("usr/share/petrel")})
        self.assert_refused(r, 2, "static not found: install the petrel package first")

    def test_no_petrel_user(self):
        r = self.fx.run({"PETREL_USER": "petrel-no-such-user"})
        self.assert_refused(r, 2, "ERROR: user petrel-no-such-user or group nogroup missing")

    def test_no_unit(self):
        r = self.fx.run({"PETREL_UNIT_FILE": self.fx.path("lib/none.service")})
        self.assert_refused(r, 2, "ERROR: the systemd unit petrel.service is missing")

    def test_no_nginx(self):
        self.fx.set_conf("WEB_SYSTEM", "apache2")
        self.fx.set_conf("PROXY_SYSTEM", None)
        self.assert_refused(self.fx.run(), 2, "ERROR: nginx is neither the web server nor the proxy")

    def test_no_imap(self):
        self.fx.set_conf("IMAP_SYSTEM", "")
        self.assert_refused(self.fx.run(), 2, "ERROR: No IMAP server (IMAP_SYSTEM) configured")

    def test_bad_admin_init_mode(self):
        r = self.fx.run({"PETREL_ADMIN_INIT": "sometimes"})
        self.assert_refused(r, 2, "ERROR: PETREL_ADMIN_INIT must be auto, yes or no")

    def test_demo_mode(self):
        self.fx.set_conf("DEMO_MODE", "yes")
        self.assert_refused(self.fx.run(), 1, "ERROR: Unable to perform operation due to security")

    def test_admin_init_failure(self):
        # Root's home is missing, so petrel admin init cannot write the
        # credentials file: the script stops with E_UPDATE before touching
        # Hestia.
        r = self.fx.run({"PETREL_ROOT_HOME": self.fx.path("nohome")})
        self.assertEqual(r.returncode, 19, r.stdout + r.stderr)
        self.assertIn("Error: petrel admin init failed", r.stdout)
        self.assertEqual(self.fx.calls(), [])
        self.assertIn("[Error 19]", read(os.path.join(self.fx.hestia, "log/error.log")))

    def test_service_failure(self):
        # systemctl restart fails: E_RESTART, Hestia not told.
        with open(self.fx.path("sbin/systemctl-fail"), "w") as f:
            f.write('#!/bin/sh\nprintf "systemctl\\t%s\\n" "$*" >> "$PETREL_FIXTURE_CALLS"\n'
                    '[ "$1" = restart ] && exit 1\nexit 0\n')
        os.chmod(self.fx.path("sbin/systemctl-fail"), 0o755)
        r = self.fx.run({"PETREL_SYSTEMCTL": self.fx.path("sbin/systemctl-fail")})
        self.assertEqual(r.returncode, 20, r.stdout + r.stderr)
        self.assertIn("Error: petrel failed to start", r.stdout)
        self.assertEqual(self.fx.calls()[-1], ("systemctl", "restart petrel"))
        self.assertFalse(any(c[0].startswith("v-") for c in self.fx.calls()))


class FreshInstallTest(Base):
    """nginx as the web server, no SnappyMail: Petrel's own data dir."""

    def test_install_then_rerun(self):
        fx, data = self.fx, self.fx.unit_data
        priv = self.private(data)
        before = tree_state(fx.root)
        r = self.ok()

        # Exactly these files are new or changed, nothing else.
        after = tree_state(fx.root)
        changed = sorted(os.path.relpath(p, fx.root) for p in set(before) | set(after)
                         if before.get(p) != after.get(p))
        p = "var/lib/petrel/_data_/_default_/"
        self.assertEqual(changed, sorted([
            "calls.log",
            "etc/nginx/conf.d/petrel-hestia.conf",
            "root/.snappymail",
            "usr/local/hestia/conf/hestia.conf",
            "usr/local/hestia/data/templates/mail/nginx/petrel.stpl",
            "usr/local/hestia/data/templates/mail/nginx/petrel.tpl",
            "usr/local/hestia/log/system.log",
            # admin init records the credentials file for the dashboard's
            # warning (docs/ADMIN.md).
            p + "configs/admin_credentials.ini",
            p + "configs/application.ini",
            p + "configs/plugin-change-password.json",
            p + "domains/alice.example.org.ini",
            p + "domains/default.ini",
            p + "domains/example.com.ini",
            p + "domains/shop.example.net.ini",
            p + "domains/xn--bcher-kva.example.ini",
        ]))

        # petrel admin init ran: the three-line file and the hashes.
        cred = fx.path("root/.snappymail")
        lines = read(cred).splitlines()
        self.assertEqual(len(lines), 3, lines)
        self.assertRegex(lines[0], r"^Username: admin_[0-9a-f]{8}$")
        self.assertRegex(lines[1], r"^Password: [A-Za-z0-9]{16}$")
        self.assertRegex(lines[2], r"^Secret key: admin_[0-9a-f]{8}$")
        self.assertEqual(stat.S_IMODE(os.stat(cred).st_mode), 0o600)
        self.assertEqual(os.stat(cred).st_uid, 0)
        app = ini_values(read(os.path.join(priv, "configs/application.ini")))
        self.assertEqual(app[("security", "admin_login")], '"%s"' % lines[0].split()[1])
        self.assertIn("scrypt", app[("security", "admin_password")])
        self.assertIn("hmac-sha256", app[("admin_panel", "key")])
        self.assertIn("Admin credentials: %s" % cred, r.stdout)

        # One domain file per Hestia mail domain, the IDN one in punycode.
        for name in ("example.com", "shop.example.net", "alice.example.org",
                     "xn--bcher-kva.example"):
            self.assert_domain_file(os.path.join(priv, "domains/%s.ini" % name), name)
        self.assertFalse(os.path.exists(os.path.join(priv, "domains/Shop.Example.net.ini")))

        # Change-password plugin: SnappyMail's file and keys, Hestia's port.
        self.assertEqual(read(os.path.join(priv, "configs/plugin-change-password.json")),
                         """{
    "plugin": {
        "pass_min_length": 8,
        "pass_min_strength": 60,
        "driver_hestia_enabled": true,
        "driver_hestia_allowed_emails": "*",
        "hestia_host": "mail.example.com",
        "hestia_port": 8083
    }
}
""")
        self.assertEqual(app[("plugins", "enable")], "On")
        self.assertEqual(app[("plugins", "enabled_list")], '"change-password"')
        self.assert_owned_tree(data)

        # Petrel reads what was written: the domain files are valid.
        chk = subprocess.run([ARGS.petrel, "check-config", "--data", data],
                             capture_output=True, text=True)
        self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
        self.assertNotRegex(chk.stdout + chk.stderr, r"domains/.*(error|warn)")

        # Its own data dir is the unit's: no drop-in.
        self.assertFalse(os.path.exists(fx.path("etc/systemd/system/petrel.service.d")))

        # Templates for nginx as the web server only.
        tpl = os.path.join(fx.hestia, "data/templates/mail")
        self.assertEqual(sorted(os.listdir(tpl)), ["nginx"])
        self.assertEqual(sorted(os.listdir(tpl + "/nginx")), ["petrel.stpl", "petrel.tpl"])
        self.assert_nginx_template(tpl + "/nginx/petrel.tpl", "%web_port%", False, "%web_system%")
        self.assert_nginx_template(tpl + "/nginx/petrel.stpl", "%web_ssl_port%", True,
                                   "%web_system%")
        logconf = read(fx.path("etc/nginx/conf.d/petrel-hestia.conf"))
        self.assertIn("log_format petrel_hestia", logconf)
        self.assertIn('"$request_method $uri $server_protocol"', logconf)
        self.assertNotIn("$request ", logconf)

        # Commands, in order.
        self.assertEqual(fx.calls(), [
            ("systemctl", "daemon-reload"),
            ("systemctl", "enable", "petrel"),
            ("systemctl", "restart", "petrel"),
            ("v-change-sys-config-value", "WEBMAIL_SYSTEM", "petrel,roundcube"),
            ("v-restart-web",),
            ("v-log-action", "system", "Info", "Plugins",
             "Petrel enabled (Version: %s)." % self.version),
        ])
        self.assertIn("WEBMAIL_SYSTEM='petrel,roundcube'",
                      read(os.path.join(fx.hestia, "conf/hestia.conf")))
        self.assertRegex(read(os.path.join(fx.hestia, "log/system.log")),
                         r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d v-add-sys-petrel *\n$")

        # Edits survive a re-run: an admin's own file, and a change made in
        # the admin panel (which keeps the file's comments, the mark too).
        own = os.path.join(priv, "domains/example.com.ini")
        with open(own, "w") as f:
            f.write("; mine\nimap_host = \"imap.example.com\"\n")
        panel = os.path.join(priv, "domains/shop.example.net.ini")
        with open(panel, "a") as f:
            f.write("verify_certificate = Off\n")

        # Second run: nothing rotated, nothing rewritten, only "updated".
        before = tree_state(fx.root)
        fx.clear_calls()
        r = self.ok()
        self.assertIn("Admin credentials kept", r.stdout)
        self.assertIn("Kept %s." % own, r.stdout)
        self.assertNotIn("Kept %s." % panel, r.stdout)
        self.assertTrue(read(panel).endswith("verify_certificate = Off\n"))
        after = tree_state(fx.root)
        changed = sorted(p for p in set(before) | set(after)
                         if before.get(p) != after.get(p))
        self.assertEqual(changed, sorted([fx.calls_log,
                                          os.path.join(fx.hestia, "log/system.log")]))
        self.assertEqual(fx.calls(), [
            ("systemctl", "daemon-reload"),
            ("systemctl", "enable", "petrel"),
            ("systemctl", "restart", "petrel"),
            ("v-restart-web",),
            ("v-log-action", "system", "Info", "Plugins",
             "Petrel updated (Version: %s)." % self.version),
        ])

        # Asked to, it rotates the credentials.
        r = self.ok({"PETREL_ADMIN_INIT": "yes"})
        self.assertNotEqual(read(cred), "\n".join(lines) + "\n")

        # The admin switches one domain to Petrel, then removes Petrel: the
        # domain goes back to Hestia's default client, the data stays.
        subprocess.run([os.path.join(fx.hestia, "bin/v-add-mail-domain-webmail"),
                        "admin", "example.com", "petrel"],
                       env=dict(fx.env, HESTIA=fx.hestia), check=True)
        fx.clear_calls()
        r = fx.run(as_nobody=True, script="v-delete-sys-petrel")
        self.assertEqual(r.returncode, 10, r.stdout)
        self.assertIn("ERROR: v-delete-sys-petrel can only be executed by the root user", r.stdout)
        self.assertEqual(fx.calls(), [])
        self.ok(script="v-delete-sys-petrel")
        self.assertEqual(fx.calls(), [
            ("v-change-sys-config-value", "WEBMAIL_SYSTEM", "roundcube"),
            ("v-add-mail-domain-webmail", "admin", "example.com", "roundcube", "no", "yes"),
            ("systemctl", "disable", "--now", "petrel"),
            ("systemctl", "daemon-reload"),
            ("v-restart-web",),
            ("v-log-action", "system", "Info", "Plugins",
             "Petrel removed (Version: %s)." % self.version),
        ])
        self.assertEqual(self.conf_value("WEBMAIL_SYSTEM"), "roundcube")
        self.assertEqual(self.webmail_of("admin", "example.com"), "roundcube")
        self.assert_removed()
        self.assertTrue(os.path.exists(os.path.join(priv, "configs/application.ini")))
        self.assertTrue(os.path.exists(cred))
        # Not registered any more: refused.
        fx.clear_calls()
        r = fx.run(script="v-delete-sys-petrel")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("ERROR: Petrel is not installed (not in WEBMAIL_SYSTEM).", r.stdout)
        self.assertEqual(fx.calls(), [])

    def test_no_webmail_system_key(self):
        self.fx.set_conf("WEBMAIL_SYSTEM", None)
        self.ok()
        self.assertIn(("v-change-sys-config-value", "WEBMAIL_SYSTEM", "petrel"), self.fx.calls())
        self.assertIn("WEBMAIL_SYSTEM='petrel'",
                      read(os.path.join(self.fx.hestia, "conf/hestia.conf")))


class LiveTemplateTest(Base):
    """The rendered petrel.tpl in a real nginx in front of a real petrel:
    the login page and static files are served, and the access log keeps
    the admin key out."""

    def test_template_serves_petrel(self):
        fx = self.fx
        run = fx.path("run/petrel")
        os.makedirs(run)
        self.ok({"PETREL_RUN_DIR": run})
        work = tempfile.mkdtemp(prefix="petrel-hestia-live-")
        self.addCleanup(shutil.rmtree, work, True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        tpl = read(os.path.join(fx.hestia, "data/templates/mail/nginx/petrel.tpl"))
        for k, v in {"%ip%": "127.0.0.1", "%web_port%": str(port),
                     "%domain_idn%": "webmail.example.com", "%domain%": "webmail.example.com",
                     "%alias_idn%": "mail.example.com", "%root_domain%": "example.com",
                     "%home%": work + "/home", "%user%": "admin",
                     "%web_system%": "nginx"}.items():
            tpl = tpl.replace(k, v)
        tpl = tpl.replace("/var/log/nginx/domains/", work + "/")
        for d in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            os.makedirs(os.path.join(work, d))
        with open(work + "/nginx.conf", "w") as f:
            f.write("""daemon on;
user root root;
pid %(w)s/nginx.pid;
error_log %(w)s/error.log;
events {}
http {
	include /etc/nginx/mime.types;
	client_body_temp_path %(w)s/body;
	fastcgi_temp_path %(w)s/fastcgi;
	proxy_temp_path %(w)s/proxy;
	uwsgi_temp_path %(w)s/uwsgi;
	scgi_temp_path %(w)s/scgi;
%(conf_d)s
%(server)s
}
""" % {"w": work, "conf_d": read(fx.path("etc/nginx/conf.d/petrel-hestia.conf")),
       "server": tpl})
        with open(work + "/petrel.out", "wb") as out:
            petrel = subprocess.Popen(
                [ARGS.petrel, "serve", "--listen", "unix:%s/petrel.sock" % run,
                 "--threads", "2", "--data", fx.unit_data, "--share", ARGS.source,
                 "--events", "unix:%s/events.sock" % run],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)

        def stop_petrel():
            petrel.terminate()
            petrel.wait(20)
        self.addCleanup(stop_petrel)
        deadline = time.time() + 20
        while not os.path.exists(run + "/petrel.sock"):
            self.assertIsNone(petrel.poll(), read(work + "/petrel.out"))
            self.assertLess(time.time(), deadline, "petrel did not start")
            time.sleep(0.05)
        subprocess.run(["nginx", "-p", work, "-c", work + "/nginx.conf"], check=True)
        self.addCleanup(subprocess.run, ["nginx", "-p", work, "-c", work + "/nginx.conf",
                                         "-s", "stop"], capture_output=True)

        def get(path, referer=None):
            req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                         headers={"Host": "webmail.example.com"})
            if referer:
                req.add_header("Referer", referer)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode("utf-8", "replace")

        status, body = get("/")
        self.assertEqual(status, 200, body)
        self.assertIn('id="login-form"', body)
        status, css = get("/static/css/app.css")
        self.assertEqual(status, 200)
        self.assertEqual(css, read(os.path.join(ARGS.source, "static/css/app.css")))
        self.assertEqual(get("/.git/config")[0], 404)
        get("/?admin_0123abcd", referer="https://webmail.example.com/?admin_0123abcd")
        time.sleep(0.2)
        log = read(work + "/webmail.example.com.log")
        self.assertIn('"GET / HTTP/1.1" 200', log)
        self.assertIn('"https://webmail.example.com/"', log)
        self.assertNotIn("admin_0123abcd", log)


class TakeoverTest(Base):
    """Apache behind the nginx proxy, SnappyMail installed: Petrel takes
    SnappyMail's data directory over and the domains that used it."""
    takeover = True
    conf = {"WEB_SYSTEM": "apache2", "PROXY_SYSTEM": "nginx", "PROXY_PORT": "80",
            "PROXY_SSL_PORT": "443", "WEB_PORT": "8080", "WEB_SSL_PORT": "8443",
            "WEBMAIL_SYSTEM": "roundcube,snappymail"}

    def test_takeover_then_rerun(self):
        fx, data = self.fx, self.fx.snappy
        priv = self.private(data)
        old_app = read(os.path.join(priv, "configs/application.ini"))
        old_json = read(os.path.join(priv, "domains/alice.example.org.json"))
        before = tree_state(fx.root)
        r = self.ok()

        # Exactly these files are new or changed (SnappyMail's own files
        # only change owner), nothing else.
        after = tree_state(fx.root)
        changed = sorted(os.path.relpath(p, fx.root) for p in set(before) | set(after)
                         if before.get(p) != after.get(p))
        p = "etc/snappymail/data/_data_/_default_/"
        t = "usr/local/hestia/data/templates/mail/"
        self.assertEqual(changed, sorted([
            "calls.log",
            "etc/nginx/conf.d/petrel-hestia.conf",
            "etc/systemd/system/petrel.service.d/hestia.conf",
            "usr/local/hestia/conf/hestia.conf",
            "usr/local/hestia/data/users/admin/mail.conf",
            "usr/local/hestia/data/users/alice/mail.conf",
            "usr/local/hestia/log/system.log",
            t + "apache2/petrel.stpl", t + "apache2/petrel.tpl",
            t + "nginx/default_petrel.stpl", t + "nginx/default_petrel.tpl",
            p + "configs/application.ini",
            p + "configs/plugin-change-password.json",
            p + "domains/alice.example.org.json",
            p + "domains/default.json",
            p + "domains/example.com.ini",
            p + "domains/shop.example.net.ini",
            p + "domains/xn--bcher-kva.example.ini",
        ]))
        for name in ("alice.example.org.json", "default.json"):
            self.assertEqual(before[fx.path(p + "domains/" + name)][4],
                             after[fx.path(p + "domains/" + name)][4])

        # SnappyMail's admin is kept (Petrel reads it); no new credentials.
        self.assertFalse(os.path.exists(fx.path("root/.snappymail")))
        self.assertIn("Admin credentials kept", r.stdout)
        app_text = read(os.path.join(priv, "configs/application.ini"))
        app = ini_values(app_text)
        old = ini_values(old_app)
        for key in [("security", "admin_login"), ("security", "admin_password"),
                    ("admin_panel", "key"), ("contacts", "pdo_password"),
                    ("webmail", "title")]:
            self.assertEqual(app[key], old[key])
        self.assertIn("; Please don't add custom parameters here", app_text)
        self.assertIn("; List of enabled plugins\nenabled_list = "
                      "\"add-x-originating-ip-header,change-password\"", app_text)
        self.assertEqual(app[("plugins", "enable")], "On")

        # SnappyMail's JSON domain stays; the others get an .ini.
        self.assertEqual(read(os.path.join(priv, "domains/alice.example.org.json")), old_json)
        self.assertFalse(os.path.exists(os.path.join(priv, "domains/alice.example.org.ini")))
        self.assertIn("Kept %s/domains/alice.example.org.json." % priv, r.stdout)
        for name in ("example.com", "shop.example.net", "xn--bcher-kva.example"):
            self.assert_domain_file(os.path.join(priv, "domains/%s.ini" % name), name)

        # The plugin file: the admin's minimum length kept, the port fixed
        # (Hestia's installer wrote the database password there).
        plugin = read(os.path.join(priv, "configs/plugin-change-password.json"))
        self.assertIn('"pass_min_length": 10,', plugin)
        self.assertIn('"hestia_host": "mail.example.com",', plugin)
        self.assertIn('"hestia_port": 8083\n', plugin)
        self.assertNotIn("Jq3mW0cA8kTz5rVb", plugin)
        self.assertFalse(os.path.exists(os.path.join(priv, "configs/plugin-change-password.json.orig")))
        self.assert_owned_tree(data)

        # The unit serves SnappyMail's directory through a drop-in.
        dropin = fx.path("etc/systemd/system/petrel.service.d/hestia.conf")
        unit_exec = [l for l in read(fx.unit).splitlines() if l.startswith("ExecStart=")][0]
        self.assertEqual(read(dropin), """# Written by v-add-sys-petrel: Petrel serves %s.
[Service]
ExecStart=
%s
ReadWritePaths=%s
""" % (data, unit_exec.replace("--data " + fx.unit_data, "--data " + data), data))
        self.assertIn("--data %s " % data, read(dropin))

        # nginx as the proxy answers webmail.<domain> itself; Apache gets a
        # placeholder vhost so Hestia accepts "petrel" for it.
        tpl = os.path.join(fx.hestia, "data/templates/mail")
        self.assertEqual(sorted(os.listdir(tpl)), ["apache2", "nginx"])
        self.assertEqual(sorted(os.listdir(tpl + "/nginx")),
                         ["default_petrel.stpl", "default_petrel.tpl"])
        self.assert_nginx_template(tpl + "/nginx/default_petrel.tpl", "%proxy_port%", False,
                                   "%proxy_system%")
        self.assert_nginx_template(tpl + "/nginx/default_petrel.stpl", "%proxy_ssl_port%", True,
                                   "%proxy_system%")
        self.assertEqual(sorted(os.listdir(tpl + "/apache2")), ["petrel.stpl", "petrel.tpl"])
        apache = read(tpl + "/apache2/petrel.tpl")
        self.assertIn("<VirtualHost %ip%:%web_port%>", apache)
        self.assertIn("Require all denied", apache)
        apache_ssl = read(tpl + "/apache2/petrel.stpl")
        self.assertIn("<VirtualHost %ip%:%web_ssl_port%>", apache_ssl)
        self.assertIn("SSLCertificateFile    %ssl_crt%", apache_ssl)

        self.assertEqual(fx.calls(), [
            ("systemctl", "daemon-reload"),
            ("systemctl", "enable", "petrel"),
            ("systemctl", "restart", "petrel"),
            ("v-change-sys-config-value", "WEBMAIL_SYSTEM", "petrel,roundcube,snappymail"),
            ("v-add-mail-domain-webmail", "admin", "Shop.Example.net", "petrel", "no", "yes"),
            ("v-add-mail-domain-webmail", "alice", "alice.example.org", "petrel", "no", "yes"),
            ("v-restart-proxy",),
            ("v-log-action", "system", "Info", "Plugins",
             "Petrel enabled (Version: %s)." % self.version),
        ])
        self.assertIn("2 mail domain(s) switched from SnappyMail to Petrel.", r.stdout)

        # Second run: the domains are Petrel's already, nothing changes.
        before = tree_state(fx.root)
        fx.clear_calls()
        self.ok()
        after = tree_state(fx.root)
        changed = sorted(p for p in set(before) | set(after)
                         if before.get(p) != after.get(p))
        self.assertEqual(changed, sorted([fx.calls_log,
                                          os.path.join(fx.hestia, "log/system.log")]))
        self.assertEqual([c[0] for c in fx.calls()],
                         ["systemctl", "systemctl", "systemctl", "v-restart-proxy",
                          "v-log-action"])
        self.assertEqual(fx.calls()[-1][-1], "Petrel updated (Version: %s)." % self.version)

        # Removing Petrel gives SnappyMail its directory and domains back.
        fx.clear_calls()
        self.ok({"PETREL_SNAPPYMAIL_OWNER": "daemon:daemon"}, script="v-delete-sys-petrel")
        self.assertEqual(fx.calls(), [
            ("v-change-sys-config-value", "WEBMAIL_SYSTEM", "roundcube,snappymail"),
            ("v-add-mail-domain-webmail", "admin", "Shop.Example.net", "snappymail", "no", "yes"),
            ("v-add-mail-domain-webmail", "alice", "alice.example.org", "snappymail", "no", "yes"),
            ("systemctl", "disable", "--now", "petrel"),
            ("systemctl", "daemon-reload"),
            ("v-restart-web",),
            ("v-restart-proxy",),
            ("v-log-action", "system", "Info", "Plugins",
             "Petrel removed (Version: %s)." % self.version),
        ])
        self.assertEqual(self.conf_value("WEBMAIL_SYSTEM"), "roundcube,snappymail")
        self.assert_removed()
        daemon = pwd.getpwnam("daemon")
        for d, dirs, files in os.walk(data):
            for n in dirs + files:
                st = os.lstat(os.path.join(d, n))
                self.assertEqual((st.st_uid, st.st_gid), (daemon.pw_uid, daemon.pw_gid))

    def test_plugin_settings_of_other_drivers_kept_aside(self):
        path = os.path.join(self.private(self.fx.snappy), "configs/plugin-change-password.json")
        original = read(path).replace('"pass_min_strength": 60,',
                                      '"pass_min_strength": 60,\n        "driver_ispconfig_enabled": true,')
        with open(path, "w") as f:
            f.write(original)
        r = self.ok()
        self.assertIn("Saved the previous %s as %s.orig" % (path, path), r.stdout)
        self.assertEqual(read(path + ".orig"), original)
        self.assertNotIn("ispconfig", read(path))
        self.assertIn('"hestia_port": 8083', read(path))
        # A second run keeps the first copy.
        self.ok()
        self.assertEqual(read(path + ".orig"), original)

    def test_explicit_data_dir_wins(self):
        own = self.fx.path("srv/petrel")
        self.ok({"PETREL_DATA_DIR": own})
        self.assertTrue(os.path.exists(self.fx.path("root/.snappymail")))
        self.assertTrue(os.path.exists(os.path.join(self.private(own), "domains/example.com.ini")))
        # SnappyMail's directory and its domains are left alone.
        self.assertEqual(os.stat(self.fx.snappy).st_uid, 0)
        self.assertFalse(any(c[0] == "v-add-mail-domain-webmail" for c in self.fx.calls()))
        self.assertIn("--data %s " % own,
                      read(self.fx.path("etc/systemd/system/petrel.service.d/hestia.conf")))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--petrel", required=True)
    p.add_argument("--source", required=True)
    ARGS, rest = p.parse_known_args()
    ARGS.petrel = os.path.abspath(ARGS.petrel)
    ARGS.source = os.path.abspath(ARGS.source)
    if os.geteuid() != 0:
        print("test_v_add_sys_petrel: needs root (chown, setpriv)", file=sys.stderr)
        return 1
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
