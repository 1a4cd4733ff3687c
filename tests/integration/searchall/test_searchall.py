#!/usr/bin/python3
"""SearchAll (issue 17) through nginx -> petrel -> Dovecot: one search over
every subscribed folder, merged newest first with the folder on each row,
paged from the copy the session keeps, Trash and Junk only when asked, an
unsubscribed folder never, and a folder deleted between pages reported
without failing the search.

Each run searches for a word of its own, so other tests' mail never matches.
"""
import imaplib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
from test_api import Client, ok, stack_info, password  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

USER = "carol@example.org"
RUN = "%d" % (time.time() * 1000)


def imap():
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login(USER, password(USER))
    return m


def message(word, subject, date):
    return ("From: Ann <ann@example.test>\r\nTo: %s\r\nSubject: %s %s\r\n"
            "Date: %s\r\nMessage-ID: <%s.%s@example.test>\r\n\r\nbody %s\r\n"
            % (USER, subject, word, date, subject.replace(" ", "-"), word,
               word)).encode()


def make(word, folders):
    """folders: [(name, subscribed, [(subject, date)])]; created if new."""
    m = imap()
    try:
        for name, subscribed, msgs in folders:
            if name not in ("INBOX", "Sent", "Trash"):
                assert m.create('"%s"' % name)[0] == "OK", name
                if subscribed:
                    assert m.subscribe('"%s"' % name)[0] == "OK"
            for subject, date in msgs:
                assert m.append('"%s"' % name, None, None,
                                message(word, subject, date))[0] == "OK"
    finally:
        m.logout()


def client():
    c = Client()
    c.login(USER)
    return c


def search(c, body, expect=200):
    status, res, _ = c.call("SearchAll", body)
    return ok(status, res, expect)


def fixture(tag):
    """Five matches in four folders (one unsubscribed) plus one in Trash."""
    word = "sa%s%s" % (tag, RUN)
    top = "SA%s%s" % (tag, RUN)
    make(word, [
        ("INBOX", True, [("newest", "Thu, 05 Mar 2026 10:00:00 +0000"),
                         ("oldest", "Mon, 02 Mar 2026 10:00:00 +0000")]),
        (top, True, []),
        (top + "/Sub", True, [("second", "Wed, 04 Mar 2026 10:00:00 +0000")]),
        ("Sent", True, [("third", "Tue, 03 Mar 2026 09:00:00 +0100")]),
        (top + "Hidden", False, [("unsubscribed",
                                  "Fri, 06 Mar 2026 10:00:00 +0000")]),
        ("Trash", True, [("trashed", "Sat, 07 Mar 2026 10:00:00 +0000")]),
    ])
    return word, top


def subjects(res):
    return [r["subject"].split(" ")[0] for r in res["messages"]]


def test_merged_by_date_across_folders_with_the_folder_on_each_row():
    word, top = fixture("a")
    res = search(client(), {"search": word, "limit": 10})
    assert subjects(res) == ["newest", "second", "third", "oldest"], res
    assert [r["folder"] for r in res["messages"]] == [
        "INBOX", top + "/Sub", "Sent", "INBOX"], res
    assert res["total"] == 4 and res["matches"] == 4, res
    assert res["capped"] is False and res["cancelled"] is False, res
    dates = [r["date"] for r in res["messages"]]
    assert dates == sorted(dates, reverse=True), dates
    # MessageList's row fields are all there.
    row = res["messages"][0]
    for k in ("uid", "from", "to", "seen", "flagged", "preview", "size"):
        assert k in row, (k, row)
    counts = {f["folder"]: f["count"] for f in res["folders"]}
    assert counts["INBOX"] == 2 and counts[top + "/Sub"] == 1, counts
    assert counts["Sent"] == 1 and counts[top] == 0, counts
    # Unsubscribed: not searched at all. Trash: not unless asked.
    assert top + "Hidden" not in counts, counts
    assert "Trash" not in counts, counts
    assert all(f["status"] == "ok" for f in res["folders"]), res["folders"]


def test_the_row_opens_in_its_folder():
    word, top = fixture("o")
    c = client()
    res = search(c, {"search": word})
    row = [r for r in res["messages"] if r["folder"] == top + "/Sub"][0]
    msg = ok(*c.call("Message", {"folder": row["folder"], "uid": row["uid"]})[:2])
    assert "second" in msg["subject"], msg


def test_in_trash_adds_the_trash():
    word, _ = fixture("t")
    res = search(client(), {"search": word + " in:trash"})
    assert subjects(res)[0] == "trashed", res
    assert "Trash" in [f["folder"] for f in res["folders"]]
    assert res["total"] == 5, res


def test_paging_is_stable_and_reuses_the_kept_search():
    word, top = fixture("p")
    c = client()
    p1 = search(c, {"search": word, "offset": 0, "limit": 2, "refresh": True})
    assert subjects(p1) == ["newest", "second"] and p1["reused"] is False, p1
    # A new match after page 1 does not move page 2: the kept order holds.
    make(word, [("INBOX", True, [("late", "Sun, 01 Mar 2026 08:00:00 +0000")])])
    p2 = search(c, {"search": word, "offset": 2, "limit": 2})
    assert p2["reused"] is True, p2
    assert subjects(p2) == ["third", "oldest"], p2
    assert p2["total"] == 4, p2
    p3 = search(c, {"search": word, "offset": 4, "limit": 2})
    assert p3["messages"] == [] and p3["total"] == 4, p3
    # refresh runs it again and sees the new one.
    again = search(c, {"search": word, "offset": 0, "limit": 10,
                       "refresh": True})
    assert again["reused"] is False and again["total"] == 5, again
    assert subjects(again)[-1] == "late", again


def test_a_folder_deleted_between_pages_is_reported_not_fatal():
    word, top = fixture("d")
    c = client()
    p1 = search(c, {"search": word, "offset": 0, "limit": 1, "refresh": True})
    assert subjects(p1) == ["newest"], p1
    m = imap()
    try:
        assert m.delete('"%s/Sub"' % top)[0] == "OK"
    finally:
        m.logout()
    p2 = search(c, {"search": word, "offset": 1, "limit": 5})
    status = {f["folder"]: f for f in p2["folders"]}
    assert status[top + "/Sub"]["status"] == "failed", status
    assert status[top + "/Sub"].get("error"), status
    assert subjects(p2) == ["third", "oldest"], p2
    assert status["INBOX"]["status"] == "ok", status


def test_bad_searches_are_clear_errors():
    c = client()
    for body, code in (({"search": ""}, 400), ({"search": "   "}, 400),
                       ({"search": "in:trash"}, 400),
                       ({"search": "is:bogus"}, 400),
                       ({"search": "x", "offset": 5000}, 400),
                       ({"search": "x", "limit": 501}, 400),
                       ({"search": "a\r\nb"}, 400),
                       ({}, 400)):
        status, res, _ = c.call("SearchAll", body)
        assert status == code, (body, status, res)
        assert "error" in res, res


def test_cancel_answers_and_the_next_search_runs():
    word, _ = fixture("c")
    c = client()
    ok(*c.call("SearchAllCancel", {})[:2])
    res = search(c, {"search": word, "refresh": True})
    assert res["cancelled"] is False and res["total"] == 4, res


def test_needs_a_session_and_the_token():
    c = Client()
    status, _, _ = c.call("SearchAll", {"search": "x"})
    assert status == 401, status
    c.login(USER)
    status, _, _ = c.call("SearchAll", {"search": "x"}, token=False)
    assert status == 403, status


if __name__ == "__main__":
    run_tests(globals())
