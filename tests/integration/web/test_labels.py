#!/usr/bin/python3
"""Labels as IMAP keywords (issue 17) through nginx -> petrel -> Dovecot.

Keywords set with MessageSetKeywords must be what another IMAP client
(imaplib here) sees on exactly the messages asked for; the keyword: search
must list exactly the labelled messages; mail labelled in Thunderbird
($label1) shows as "Important"; label definitions live per user.
"""
import imaplib
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_api import Client, ok, stack_info, password  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from testrun import run_tests  # noqa: E402

USER = "bob@example.test"
RUN = "%d" % (time.time() * 1000)
_client = None


def client():
    global _client
    if _client is None:
        _client = Client()
        _client.login(USER)
    return _client


def imap():
    m = imaplib.IMAP4("127.0.0.1", stack_info()["ports"]["imap"])
    m.login(USER, password(USER))
    return m


def folder_with(n, name, flags=None):
    """A new folder of n messages ("msg 0".."msg n-1"); their UIDs."""
    folder = "Labels%s%s" % (RUN, name)
    m = imap()
    try:
        assert m.create('"%s"' % folder)[0] == "OK"
        for i in range(n):
            raw = ("From: Ann <ann@example.test>\r\nTo: %s\r\nSubject: msg %d\r\n"
                   "Message-ID: <lbl-%s-%s-%d@example.test>\r\n\r\nbody %d\r\n"
                   % (USER, i, RUN, name, i, i)).encode()
            f = flags[i] if flags else None
            assert m.append('"%s"' % folder, f, None, raw)[0] == "OK"
        m.select('"%s"' % folder, readonly=True)
        typ, data = m.uid("SEARCH", None, "ALL")
        assert typ == "OK"
        return folder, [int(x) for x in data[0].split()]
    finally:
        m.logout()


def imap_flags(folder):
    """{uid: set of flags} as a second IMAP client sees them."""
    m = imap()
    try:
        m.select('"%s"' % folder, readonly=True)
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK"
        out = {}
        for line in data:
            line = line.decode() if isinstance(line, bytes) else line[0].decode()
            uid = int(re.search(r"UID (\d+)", line).group(1))
            fl = re.search(r"FLAGS \(([^)]*)\)", line).group(1).split()
            out[uid] = {f.lower() for f in fl} - {"\\recent"}
        return out
    finally:
        m.logout()


def listed(folder, search="", fmt=1):
    body = {"folder": folder, "limit": 500, "search": search}
    if fmt == 2:
        body["format"] = 2
    return ok(*client().call("MessageList", body)[:2])


def test_thunderbird_label_shows_as_important_and_unknown_keywords_neutral():
    labels = ok(*client().call("Labels")[:2])
    by_kw = {x["keyword"]: x for x in labels["labels"]}
    assert by_kw["$label1"]["name"] == "Important", labels
    assert by_kw["$label1"]["colour"] in labels["colours"]
    assert [by_kw["$label%d" % i]["name"] for i in range(2, 6)] == \
        ["Work", "Personal", "To Do", "Later"]
    neutral = "proj%s" % RUN
    folder, uids = folder_with(3, "tb", flags=[
        "$label1 $Forwarded", "(%s $Junk NonJunk \\Seen)" % neutral, ""])
    rows = {r["uid"]: r for r in listed(folder)["messages"]}
    assert rows[uids[0]]["keywords"] == ["$label1"], rows[uids[0]]
    # Machine-state keywords are not labels; the unknown one is.
    assert rows[uids[1]]["keywords"] == [neutral], rows[uids[1]]
    assert "keywords" not in rows[uids[2]], rows[uids[2]]
    # Format 2: one "keywords" column, space-separated, "" for none.
    page = listed(folder, fmt=2)
    col = page["columns"].index("keywords")
    kw = {r[0]: r[col] for r in page["messages"]}
    assert kw == {uids[0]: "$label1", uids[1]: neutral, uids[2]: ""}, kw
    # A page without keywords has no such column at all (size target).
    plain, _ = folder_with(1, "plain")
    assert "keywords" not in listed(plain, fmt=2)["columns"]
    view = ok(*client().call("Message", {"folder": folder, "uid": uids[0]})[:2])
    assert view["keywords"] == ["$label1"], view.get("keywords")


def test_set_and_clear_on_several_uids_seen_by_another_client_and_filter():
    folder, uids = folder_with(6, "set")
    kw, other = "task%s" % RUN, "$label2"
    chosen = [uids[0], uids[2], uids[3], uids[5]]
    r = ok(*client().call("MessageSetKeywords", {
        "folder": folder, "uids": chosen, "add": [kw, other]})[:2])
    assert r["updated"] == 4
    flags = imap_flags(folder)
    assert {u for u, f in flags.items() if kw in f} == set(chosen), flags
    assert {u for u, f in flags.items() if other in f} == set(chosen)
    ok(*client().call("MessageSetKeywords", {
        "folder": folder, "uids": [uids[2], uids[5]], "remove": [kw]})[:2])
    flags = imap_flags(folder)
    assert {u for u, f in flags.items() if kw in f} == {uids[0], uids[3]}, flags
    assert {u for u, f in flags.items() if other in f} == set(chosen)
    # Filter by label: exactly the labelled messages, also combined.
    got = listed(folder, "keyword:%s" % kw)
    assert got["total"] == 2
    assert {m["uid"] for m in got["messages"]} == {uids[0], uids[3]}
    got = listed(folder, "keyword:%s subject:\"msg 3\"" % kw)
    assert [m["uid"] for m in got["messages"]] == [uids[3]], got
    got = listed(folder, "-keyword:%s" % other)
    assert {m["uid"] for m in got["messages"]} == {uids[1], uids[4]}
    # The list after a change is not a stale cached one.
    ok(*client().call("MessageSetKeywords", {
        "folder": folder, "uids": [uids[1]], "add": [kw]})[:2])
    assert listed(folder, "keyword:%s" % kw)["total"] == 3
    # Add and remove in one call.
    ok(*client().call("MessageSetKeywords", {
        "folder": folder, "uids": uids, "add": ["$label3"], "remove": [other]})[:2])
    flags = imap_flags(folder)
    assert all("$label3" in f and other not in f for f in flags.values()), flags


def test_a_label_set_by_another_client_shows_on_the_cached_list():
    folder, uids = folder_with(2, "other")
    c = client()

    def keywords():
        page = ok(*c.call("MessageList", {"folder": folder, "limit": 50})[:2])
        return {r["uid"]: r.get("keywords", []) for r in page["messages"]}

    # Twice: the second list comes from the shared row cache.
    assert keywords() == {uids[0]: [], uids[1]: []}
    assert keywords() == {uids[0]: [], uids[1]: []}
    for op, want in (("+FLAGS", ["$label4"]), ("-FLAGS", [])):
        m = imap()
        try:
            m.select('"%s"' % folder)
            assert m.uid("STORE", str(uids[0]), op, "($label4)")[0] == "OK"
        finally:
            m.logout()
        assert keywords() == {uids[0]: want, uids[1]: []}


def test_ten_thousand_uids_in_one_call():
    folder, uids = folder_with(3, "many")
    many = list(range(1, 10001))
    r = ok(*client().call("MessageSetKeywords", {
        "folder": folder, "uids": many, "add": ["bulk%s" % RUN]})[:2])
    assert r["updated"] == 10000
    flags = imap_flags(folder)
    assert all(("bulk%s" % RUN).lower() in f for f in flags.values()), flags


def test_bad_keywords_are_refused_clearly():
    folder, uids = folder_with(1, "bad")
    for bad in ["\\Seen", "two words", "a(b", "x" * 65, ""]:
        status, body, _ = client().call("MessageSetKeywords", {
            "folder": folder, "uids": uids, "add": [bad]})
        assert status == 400, (bad, status, body)
    status, body, _ = client().call("MessageSetKeywords", {
        "folder": folder, "uids": uids})
    assert status == 400 and "keyword" in body["error"]["detail"], body
    status, body, _ = client().call("MessageSetKeywords", {
        "folder": folder, "uids": uids, "add": ["k"], "remove": ["K"]})
    assert status == 400, body
    status, body, _ = client().call("MessageList", {
        "folder": folder, "search": "keyword:\\Deleted"})
    assert status == 400, body
    assert imap_flags(folder)[uids[0]] == set()


def test_label_save_rename_recolour_delete():
    c = client()
    name = "Project %s" % RUN
    r = ok(*c.call("LabelSave", {"name": name, "colour": "teal"})[:2])
    kw = r["label"]["keyword"]
    assert kw == "project_%s" % RUN, r["label"]
    # Another name deriving the same keyword gets a free one.
    r2 = ok(*c.call("LabelSave", {"name": name.lower(), "colour": "blue"})[:2])
    assert r2["label"]["keyword"] == kw + "_2", r2["label"]
    # Any Unicode: a safe atom, and the name kept as typed.
    uni = "Долгое имя проекта ☕ %s" % RUN
    r3 = ok(*c.call("LabelSave", {"name": uni, "colour": "pink"})[:2])
    # An atom within Dovecot's default mail_max_keyword_length (50).
    assert re.fullmatch(r"[\x21-\x7e]{1,50}", r3["label"]["keyword"]), r3
    assert r3["label"]["name"] == uni
    # A name whose keyword would be machine state gets another one.
    junk = ok(*c.call("LabelSave", {"name": "Junk", "colour": "gray"})[:2])["label"]
    assert junk["keyword"] == "junk_2", junk
    ok(*c.call("LabelDelete", {"keyword": junk["keyword"]})[:2])
    status, body, _ = c.call("LabelSave", {"name": name, "colour": "teal"})
    assert status == 409, body
    status, body, _ = c.call("LabelSave", {"name": "x", "colour": "chartreuse"})
    assert status == 400, body
    status, body, _ = c.call("LabelSave", {"name": "a\nb", "colour": "red"})
    assert status == 400, body
    ok(*c.call("LabelSave", {"keyword": kw, "name": "Renamed %s" % RUN,
                             "colour": "red"})[:2])
    labels = ok(*c.call("Labels")[:2])["labels"]
    mine = [x for x in labels if x["keyword"] == kw]
    assert mine == [{"keyword": kw, "name": "Renamed %s" % RUN, "colour": "red"}]
    # Another session of the same user sees the same list (server-side).
    other = Client()
    other.login(USER)
    assert ok(*other.call("Labels")[:2])["labels"] == labels
    # Delete, taking the keyword off the messages in every folder.
    folder, uids = folder_with(2, "del")
    ok(*c.call("MessageSetKeywords", {"folder": folder, "uids": uids,
                                      "add": [kw, r2["label"]["keyword"],
                                              r3["label"]["keyword"]]})[:2])
    assert all(r3["label"]["keyword"].lower() in f for f in imap_flags(folder).values())
    d = ok(*c.call("LabelDelete", {"keyword": kw, "removeFromMessages": True})[:2])
    assert kw not in [x["keyword"] for x in d["labels"]]
    assert d["foldersCleared"] >= 2 and d["foldersFailed"] == 0, d
    flags = imap_flags(folder)
    assert all(kw not in f and r2["label"]["keyword"] in f for f in flags.values()), flags
    # Without removeFromMessages the keyword stays (a neutral chip).
    ok(*c.call("LabelDelete", {"keyword": r2["label"]["keyword"]})[:2])
    assert all(r2["label"]["keyword"] in f for f in imap_flags(folder).values())
    status, body, _ = c.call("LabelDelete", {"keyword": kw})
    assert status == 404, body
    ok(*c.call("LabelDelete", {"keyword": r3["label"]["keyword"]})[:2])


if __name__ == "__main__":
    run_tests(globals())
