"""Minimal ManageSieve (RFC 5804) client for the test harness (stdlib only)."""
import base64
import re
import socket


class SieveError(Exception):
    pass


def _quote(s):
    if re.fullmatch(r'[^"\\\r\n]{0,1000}', s):
        return '"%s"' % s
    b = s.encode("utf-8")
    return "{%d+}\r\n%s" % (len(b), s)


class ManageSieve:
    def __init__(self, host, port, timeout=15):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.caps = self._read_caps()

    # -- low level
    def _line(self):
        ln = self.f.readline()
        if not ln:
            raise SieveError("connection closed")
        return ln.decode("utf-8", "replace").rstrip("\r\n")

    def _read_literal_or_string(self, ln):
        m = re.match(r'^\{(\d+)\+?\}$', ln)
        if m:
            data = self.f.read(int(m.group(1)))
            self._line()
            return data.decode("utf-8", "replace")
        return ln

    def _response(self):
        """Read lines until OK/NO/BYE. Returns (status, text, lines)."""
        lines = []
        while True:
            ln = self._line()
            m = re.match(r'^(OK|NO|BYE)\b(.*)$', ln, re.I)
            if m:
                rest = m.group(2).strip()
                lit = re.search(r'\{(\d+)\+?\}$', rest)
                if lit:
                    rest = rest[:lit.start()] + self.f.read(int(lit.group(1))).decode()
                    self._line()
                return m.group(1).upper(), rest, lines
            m = re.match(r'^\{(\d+)\+?\}$', ln)
            if m:
                lines.append(self.f.read(int(m.group(1))).decode("utf-8", "replace"))
                self._line()
                continue
            lines.append(ln)

    def _read_caps(self):
        st, text, lines = self._response()
        if st != "OK":
            raise SieveError("greeting: %s %s" % (st, text))
        caps = {}
        for ln in lines:
            m = re.match(r'^"([^"]*)"(?:\s+"([^"]*)")?$', ln)
            if m:
                caps[m.group(1).upper()] = m.group(2) or ""
        return caps

    def cmd(self, text, raw=None):
        self.sock.sendall(text.encode("utf-8") + b"\r\n")
        st, rtext, lines = self._response()
        if st != "OK":
            raise SieveError("%s -> %s %s" % (text.split(" ", 1)[0], st, rtext))
        return rtext, lines

    # -- commands
    def capability(self):
        self.sock.sendall(b"CAPABILITY\r\n")
        self.caps = self._read_caps()
        return self.caps

    def starttls(self, ctx, server_hostname):
        self.cmd("STARTTLS")
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        self.f = self.sock.makefile("rb")
        self.caps = self._read_caps()   # server re-sends capabilities after TLS

    def authenticate_plain(self, user, password):
        tok = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        self.cmd('AUTHENTICATE "PLAIN" "%s"' % tok)

    def listscripts(self):
        _, lines = self.cmd("LISTSCRIPTS")
        out = []
        for ln in lines:
            m = re.match(r'^"([^"]*)"(\s+ACTIVE)?$', ln, re.I)
            if m:
                out.append((m.group(1), bool(m.group(2))))
        return out

    def putscript(self, name, script):
        b = script.encode("utf-8")
        self.sock.sendall(("PUTSCRIPT %s {%d+}\r\n" % (_quote(name), len(b))).encode() + b
                          + b"\r\n")
        st, text, _ = self._response()
        if st != "OK":
            raise SieveError("PUTSCRIPT -> %s %s" % (st, text))

    def getscript(self, name):
        _, lines = self.cmd("GETSCRIPT %s" % _quote(name))
        return lines[0] if lines else ""

    def setactive(self, name):
        self.cmd("SETACTIVE %s" % _quote(name))

    def deletescript(self, name):
        self.cmd("DELETESCRIPT %s" % _quote(name))

    def logout(self):
        try:
            self.cmd("LOGOUT")
        except Exception:
            pass
        self.sock.close()
