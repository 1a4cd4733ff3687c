"""A TCP proxy that cuts a mail protocol connection at a chosen step.

    p = CutProxy(upstream_port, "imap")   # or "smtp"; listens on p.port
    p.arm(rb"^\\S+ APPEND \"?Sent", "before")
    ... the client's request ...
    assert p.fired.wait(5)
    p.disarm()

Client lines pass through unchanged (literal data included) until a line
matches the armed pattern (once; then the rule disarms itself):

  before  the line is not forwarded: both sides are closed at once, so the
          server never sees the command;
  after   the line is forwarded and the server completes it, but its answer
          never reaches the client: the proxy closes both sides when the
          answer arrives (IMAP: the tagged response to the line's tag; SMTP:
          the last line of the next reply). The server did the work, the
          client cannot know: the ambiguous cut.

Connections made while nothing is armed are plain pass-through, so the
client's pooled connections keep working between cuts.
"""
import re
import socket
import threading


class CutProxy:
    def __init__(self, upstream_port, proto, host="127.0.0.1"):
        assert proto in ("imap", "smtp")
        self.upstream = (host, upstream_port)
        self.proto = proto
        self.lock = threading.Lock()
        self.rule = None
        self.fired = threading.Event()
        self.fired_line = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, pattern, when):
        assert when in ("before", "after")
        with self.lock:
            self.rule = (re.compile(pattern), when)
            self.fired.clear()
            self.fired_line = None

    def disarm(self):
        with self.lock:
            self.rule = None

    def close(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        for c in list(self.conns):
            c.cut()

    def _take(self, line):
        """The rule's `when` if line matches the armed rule (disarming it)."""
        with self.lock:
            if self.rule is None or not self.rule[0].search(line):
                return None
            when = self.rule[1]
            self.rule = None
            self.fired_line = line
            return when

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            self.conns.append(_Conn(self, client, server))


class _Conn:
    def __init__(self, proxy, client, server):
        self.p = proxy
        self.client = client
        self.server = server
        self.closed = False
        self.wait_tag = None      # IMAP "after": the tag whose answer is cut
        self.wait_reply = False   # SMTP "after": the next reply is cut
        self.lock = threading.Lock()
        threading.Thread(target=self._c2s, daemon=True).start()
        threading.Thread(target=self._s2c, daemon=True).start()

    def cut(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        # Before the close: the client may answer its caller at once.
        self.p.fired.set()
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _finish(self):
        # One side closed by itself: close the other too (no cut).
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.server):
            try:
                s.close()
            except OSError:
                pass

    def _c2s(self):
        buf = b""
        try:
            while True:
                data = self.client.recv(65536)
                if not data:
                    break
                buf += data
                out = b""
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line += b"\n"
                    when = self.p._take(line)
                    if when == "before":
                        if out:
                            self.server.sendall(out)
                        self.cut()
                        return
                    if when == "after":
                        if self.p.proto == "imap":
                            self.wait_tag = line.split(b" ", 1)[0] + b" "
                        else:
                            self.wait_reply = True
                    out += line
                # Literal data without a line end yet goes on at once.
                if out or buf:
                    self.server.sendall(out + buf)
                    buf = b""
        except OSError:
            pass
        self._finish()

    def _s2c(self):
        buf = b""
        try:
            while True:
                data = self.server.recv(65536)
                if not data:
                    break
                buf += data
                out = b""
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line += b"\n"
                    if self._answer_to_cut(line):
                        if out:
                            self.client.sendall(out)
                        self.cut()
                        return
                    out += line
                if out:
                    self.client.sendall(out)
        except OSError:
            pass
        self._finish()

    def _answer_to_cut(self, line):
        if self.wait_tag is not None and line.startswith(self.wait_tag):
            return True
        # The last line of an SMTP reply: "250 ..." (not "250-...").
        return self.wait_reply and len(line) >= 4 and line[3:4] != b"-"
