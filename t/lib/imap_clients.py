#!/usr/bin/env python3
"""Real IMAP clients against imap-handler over a real socket (systemd-socket-activate,
as a socket unit runs it): Python's imaplib through a client's usual steps, two
sessions seeing each other's changes, POP3 and IMAP on one mailbox, and curl."""
import imaplib, os, poplib, re, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, reset_db, sql

tap = Tap()
deliver = build_dir() + "/t/store-deliver"

def message(i, size=2048):
    head = b"Subject: message %d\r\nFrom: bob@example.com\r\n\r\n" % i
    return head + b"".join(b"line %d %s\r\n" % (k, b"y" * 60) for k in range(size // 72))

reset_db()
msgs = [message(i) for i in range(1, 5)] + [message(5, 300000)]
for m in msgs:
    subprocess.run([deliver, "", "alice@example.com"], input=m, check=True)
imap = Server(build_dir() + "/imap-handler")
pop3 = Server(build_dir() + "/pop3-handler")
fd3 = Server(build_dir() + "/imap-handler", inetd=False)

c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=10)
tap.ok("AUTH=PLAIN" in c.capabilities and "IMAP4REV1" in c.capabilities, "imaplib: the greeting's capabilities")
try:
    c.login("alice@example.com", "wrong")
    tap.ok(False, "imaplib: a wrong password is refused")
except imaplib.IMAP4.error as e:
    tap.ok("AUTHENTICATIONFAILED" in str(e), "imaplib: a wrong password is refused ([AUTHENTICATIONFAILED])")
tap.is_(c.login("alice@example.com", "alice pw")[0], "OK", "imaplib: LOGIN")
typ, names = c.list()
tap.ok(typ == "OK" and any(b'\\Sent) "/" "Sent"' in n for n in names) and len(names) == 6,
       "imaplib: LIST shows INBOX and the five special-use folders")
typ, data = c.select("INBOX")
tap.is_((typ, data), ("OK", [b"5"]), "imaplib: SELECT INBOX, 5 messages")
typ, data = c.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE)")
sizes = [int(re.search(rb"RFC822.SIZE (\d+)", d).group(1)) for d in data]
tap.is_(sizes, [len(m) for m in msgs], "imaplib: UID FETCH 1:* (FLAGS RFC822.SIZE): the exact sizes")
typ, data = c.fetch("1:5", "(BODY.PEEK[])")
tap.ok([d[1] for d in data if isinstance(d, tuple)] == msgs, "imaplib: BODY.PEEK[] gives every message byte-exact")
tap.is_(c.search(None, "UNSEEN"), ("OK", [b"1 2 3 4 5"]), "imaplib: PEEK leaves them unseen")
typ, data = c.fetch("2", "(RFC822)")
tap.ok(data[0][1] == msgs[1] and b"\\Seen" in b"".join(x if isinstance(x, bytes) else x[0] for x in data),
       "imaplib: RFC822 reads one and marks it \\Seen")
typ, data = c.fetch("1", "(BODY.PEEK[HEADER])")
tap.is_(data[0][1], msgs[0].split(b"\r\n\r\n")[0] + b"\r\n\r\n", "imaplib: BODY.PEEK[HEADER]")
tap.is_(c.store("1", "+FLAGS", "(\\Deleted)")[0], "OK", "imaplib: STORE +FLAGS \\Deleted")

# A second session: it sees the first one's changes at NOOP.
d = imaplib.IMAP4("127.0.0.1", fd3.port, timeout=10)
d.login("alice@example.com", "alice pw")
d.select("INBOX")
tap.is_(d.search(None, "DELETED"), ("OK", [b"1"]), "a second session (fd 3, LISTEN_FDS) sees the \\Deleted flag")
tap.is_(c.expunge(), ("OK", [b"1"]), "imaplib: EXPUNGE removes message 1")
subprocess.run([deliver, "", "alice@example.com"], input=message(6), check=True)
d.untagged_responses.clear()  # imaplib keeps them all: only NOOP's from here
typ, data = d.noop()
responses = d.untagged_responses
tap.ok(responses.get("EXPUNGE") == [b"1"] and responses.get("EXISTS") == [b"5"],
       "at NOOP the other session hears EXPUNGE 1 and the new message (5 EXISTS): %r" % {k: v for k, v in responses.items() if k in ("EXPUNGE", "EXISTS")})
typ, data = d.uid("SEARCH", None, "ALL")
tap.is_(data, [b"2 3 4 5 6"], "UIDs are kept, the new message has UID 6")
d.logout()

# IDLE (RFC 2177): a delivery shows up as EXISTS while the client waits, within 2 s.
import socket, time
raw = socket.create_connection(("127.0.0.1", imap.port), timeout=10)
raw.recv(4096)
raw.sendall(b'i1 LOGIN alice@example.com "alice pw"\r\ni2 SELECT INBOX\r\ni9 FETCH 1:* BODY.PEEK[]\r\n')
seen = b""
while b"i9 OK" not in seen:  # the content read (its buffers let go of while idle)
    seen += raw.recv(4096)
exists = int(re.search(rb"\* (\d+) EXISTS", seen).group(1))
raw.sendall(b"i3 IDLE\r\n")
tap.is_(raw.recv(4096), b"+ idling\r\n", "IDLE: the continuation")
t = time.time()
subprocess.run([deliver, "", "alice@example.com"], input=message(8), check=True)
raw.settimeout(5)
got = raw.recv(4096)
took = time.time() - t
tap.ok(got == b"* %d EXISTS\r\n" % (exists + 1) and took < 2, "IDLE: a delivery shows as EXISTS in %.2f s (%r)" % (took, got))
raw.sendall(b"DONE\r\n")
tap.is_(raw.recv(4096), b"i3 OK IDLE terminated\r\n", "IDLE: DONE ends it")
raw.sendall(b"i4 FETCH %d BODY.PEEK[]\r\n" % (exists + 1))
got = b""
while b"i4 OK" not in got:
    got += raw.recv(65536)
tap.ok(message(8) in got, "and the new message reads back whole after it")
raw.close()

# POP3 sees INBOX; a POP3 deletion is an expunge the IMAP session hears of.
p = poplib.POP3("127.0.0.1", pop3.port, timeout=10)
p.user("alice@example.com")
p.pass_("alice pw")
tap.is_(p.stat()[0], 6, "POP3 lists what IMAP's INBOX has")
p.dele(1)
p.quit()
c.untagged_responses.clear()
c.noop()
tap.is_(c.untagged_responses.get("EXPUNGE"), [b"1"], "IMAP hears of the POP3 deletion at NOOP")
tap.is_(c.create("Work/2026")[0], "OK", "imaplib: CREATE Work/2026")
tap.is_(c.copy("1:2", "Work/2026")[0], "OK", "imaplib: COPY 1:2 into it")
typ, data = c._simple_command("MOVE", "3", "Archive")
tap.is_(typ, "OK", "imaplib: MOVE 3 Archive")
tap.is_(c.status("Work/2026", "(MESSAGES)")[1], [b'"Work/2026" (MESSAGES 2)'], "imaplib: STATUS counts the copies")
tap.is_(c.status("Archive", "(MESSAGES)")[1], [b'"Archive" (MESSAGES 1)'], "and the moved one")
big = message(7, 3000000)  # far past a command's 64 KiB: the literal streams to the store
typ, data = c.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(1700000000), big)
tap.ok(typ == "OK" and re.match(rb"\[APPENDUID \d+ 1\]", data[0]), "imaplib: APPEND of 3 MB to Sent (%r)" % data[0][:40])
typ, data = c.status("Sent", "(MESSAGES)")
tap.is_(data, [b'"Sent" (MESSAGES 1)'], "imaplib: and Sent holds it")
tap.is_(c.close()[0], "OK", "imaplib: CLOSE")
c.select("Sent", readonly=True)
typ, data = c.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
tap.ok(data[0][1] == big and b"\\Seen" in data[0][0] and b"14-Nov-2023 22:13:20 +0000" in data[0][0],
       "imaplib: it reads back byte-exact, with its flags and INTERNALDATE")
tap.is_(c.copy("1", "Drafts")[0], "OK", "imaplib: COPY it to Drafts")
c.close()
c.select("Drafts", readonly=True)
typ, data = c.fetch("*", "(INTERNALDATE)")
tap.ok(typ == "OK" and b"14-Nov-2023 22:13:20 +0000" in data[-1], "imaplib: the copy keeps its INTERNALDATE (%r)" % data[-1])
c.close()
tap.is_(c.logout()[0], "BYE", "imaplib: LOGOUT")
tap.is_(int(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = 'alice@example.com'")),
        9, "and the store holds what is left (five, three copies, one appended)")

# curl: a listing and a message, as its documentation shows.
r = subprocess.run(["curl", "-sS", "--max-time", "20", "imap://127.0.0.1:%d/INBOX" % imap.port, "--user", "alice@example.com:alice pw",
                    "-X", "UID SEARCH ALL"], capture_output=True)
tap.ok(r.returncode == 0 and b"* SEARCH 3 4 6" in r.stdout, "curl: UID SEARCH ALL (%r)" % r.stdout[:80])
r = subprocess.run(["curl", "-sS", "--max-time", "20", "imap://127.0.0.1:%d/INBOX;UID=3" % imap.port, "--user", "alice@example.com:alice pw"],
                   capture_output=True)
tap.ok(r.returncode == 0 and r.stdout == msgs[2], "curl: imap://.../INBOX;UID=3 fetches it byte-exact")

# Two sessions on one folder: each change is made to what the database has, not to what a session last saw.
def work_session():
    x = imaplib.IMAP4("127.0.0.1", imap.port, timeout=10)
    x.login("alice@example.com", "alice pw")
    x.select("Work/2026")
    return x
def stored(uid):
    return sql("SELECT CONCAT(e.flags, ' ', e.keywords) FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id"
               " WHERE f.name = 'Work/2026' AND e.uid = %d" % uid).rstrip("\n")
a, b = work_session(), work_session()
a.store("1", "+FLAGS", "(\\Flagged $Label1)")
typ, data = b.store("1", "+FLAGS", "(\\Seen Work)")
tap.ok(typ == "OK" and all(f in data[0] for f in (b"\\Seen", b"\\Flagged", b"$Label1", b"Work")),
       "STORE +FLAGS in a session that had not seen another's flags keeps them (%r)" % data)
tap.ok(b"$Label1" in b.untagged_responses.get("FLAGS", [b""])[-1], "and FLAGS names the keyword it met there")
tap.is_(stored(1), "5 $Label1 Work", "the store has both changes")
b.store("1", "-FLAGS", "($LABEL1)")
tap.is_(stored(1), "5 Work", "-FLAGS takes a keyword away whatever its case")
a.store("2", "+FLAGS", "(\\Deleted)")
b.store("2", "-FLAGS", "(\\Deleted)")
a.untagged_responses.clear()
typ, data = a.expunge()
tap.ok(typ == "OK" and "EXPUNGE" not in a.untagged_responses, "EXPUNGE leaves a message another session un-deleted (%r)" % data)
a.store("2", "+FLAGS", "(\\Deleted)")
b.store("2", "-FLAGS", "(\\Deleted)")
a.close()
tap.is_(stored(2), "0 ", "and so does CLOSE, which reads nothing first")
a.select("Work/2026")
b.store("2", "+FLAGS", "(\\Deleted)")
b.expunge()
typ, data = a._simple_command("UID", "COPY", "1:2", "Archive")
copyuid = re.search(rb"\[COPYUID \d+ (\S+) (\S+)\]", data[0] or b"")
tap.ok(typ == "OK" and copyuid and copyuid.group(1) == b"1", "COPY of a message expunged meanwhile: COPYUID names only what was copied (%r)" % data)
tap.is_(a.status("Archive", "(UIDNEXT)")[1], [b'"Archive" (UIDNEXT %d)' % (int(copyuid.group(2)) + 1 if copyuid else 0)],
        "and Archive's UIDNEXT follows the one copy")
a.logout()
b.logout()

# SEARCH BODY finds a string that straddles two of the store's 256 KiB chunks.
c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=10)
c.login("alice@example.com", "alice pw")
c.select("Archive", readonly=True)  # where MOVE put the 300 kB message
uid = c.uid("SEARCH", "LARGER", "200000")[1][0]
typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
big = data[0][1] if typ == "OK" and data and isinstance(data[0], tuple) else b""
at = 256 * 1024
start = big.rfind(b"\n", 0, at) + 1
needle = big[start:big.find(b"\r", at)]  # the line that holds the chunks' seam, from its start to its end
typ, data = c.uid("SEARCH", "BODY", '"%s"' % needle.decode())
tap.ok(len(big) > at and start < at < start + len(needle) and data == [uid],
       "SEARCH BODY finds a line that two chunks share (%r ... at %d)" % (needle[:12], at))
typ, data = c.uid("SEARCH", "BODY", '"%s"' % needle.decode().upper().replace("LINE", "line x"))
tap.is_(data, [b""], "and not a string no message has")
c.logout()

# A reader slower than the connection's one-second timer: the timer runs inside
# the blocked write, and must neither flush nor add to what is being written.
import socket, time
def fetch_all(slow):
    s = socket.socket()
    if slow:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", imap.port))
    s.sendall(b'a LOGIN alice@example.com "alice pw"\r\nb SELECT Archive\r\nc FETCH 1:* (%s)\r\n' %
              b" ".join([b"BODY.PEEK[]"] * 16))  # more than the kernel buffers (up to 4 MiB): the write blocks
    if slow:
        time.sleep(2.5)
    got = b""
    s.settimeout(20)
    while not re.search(rb"\r\nc (OK|NO|BAD)[^\r]*\r\n", got):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    return got[got.index(b"\r\nb OK"):]
fast, slow = fetch_all(False), fetch_all(True)
tap.ok(len(fast) > 16 * 300000 and slow == fast, "a reader that stops for 2.5 s mid-FETCH gets the same %d octets" % len(fast))

# ENVELOPE and BODYSTRUCTURE come from the summary made as the message was
# stored; mail stored without one (before the migration, or whose summary is
# too large to keep) gets the same answers, and then a summary, kept.
def nested(i, name_len=40, parts=2):
    body = b"".join(b"--b\r\nContent-Type: text/plain; name=\"%s\"\r\n\r\npart %d\r\n" % (b"n" * name_len, k)
                    for k in range(parts))
    return (b"Subject: nested %d\r\nFrom: Bob <bob@example.com>\r\nTo: alice@example.com\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" % i + body + b"--b--\r\n")
for m in (nested(1), nested(2), nested(3, 300, 1000)):
    subprocess.run([deliver, "", "carol@example.com"], input=m, check=True)
def summaries():
    return sql("SELECT GROUP_CONCAT(COALESCE(LEFT(m.summary, 3), 'none') ORDER BY e.uid) FROM mailbox_entry e"
               " JOIN message m ON m.id = e.message_id JOIN account a ON a.id = e.account_id"
               " WHERE a.address = 'carol@example.com'").strip()
tap.is_(summaries(), "S1 ,S1 ,none", "a summary is stored with each message as it is delivered, but one too large to keep")
def fetch_items():
    c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=10)
    c.login("carol@example.com", "carol pw")
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:3", "(ENVELOPE BODY BODYSTRUCTURE BODY.PEEK[2] BODY.PEEK[2.MIME])")
    c.logout()
    return typ, b"".join(b"".join(d) if isinstance(d, tuple) else d for d in data)
typ, stored = fetch_items()
tap.ok(typ == "OK" and stored.count(b'"nested ') == 3 and stored.count(b'("text" "plain" ("name" "nnnn') > 1000
       and b"BODY[2] {6}part 1" in stored and b'BODY[2.MIME] {' in stored,
       "FETCH serves ENVELOPE, BODY, BODYSTRUCTURE and a part from it (%r)" % stored[:80])
sql("UPDATE message m JOIN mailbox_entry e ON e.message_id = m.id JOIN account a ON a.id = e.account_id"
    " SET m.summary = NULL WHERE a.address = 'carol@example.com'")
typ, made = fetch_items()
tap.ok(typ == "OK" and made == stored, "without a summary, the answers are the same, made from the content")
tap.is_(summaries(), "S1 ,S1 ,none", "and the summaries made are kept (but the one too large)")
# Summaries of 200 KiB each: one query brings fewer of them than of small ones (a batch holds 1 MiB)
for i in range(4, 12):
    subprocess.run([deliver, "", "carol@example.com"], input=nested(i, 120, 450), check=True)
sizes = sql("SELECT GROUP_CONCAT(LENGTH(m.summary) ORDER BY e.uid) FROM mailbox_entry e JOIN message m"
            " ON m.id = e.message_id JOIN account a ON a.id = e.account_id WHERE a.address = 'carol@example.com'"
            " AND e.uid > 3").strip().split(",")
c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=10)
c.login("carol@example.com", "carol pw")
c.select("INBOX", readonly=True)
typ, data = c.fetch("4:11", "(BODYSTRUCTURE)")
c.logout()
got = [d for d in data if isinstance(d, bytes) and b"BODYSTRUCTURE" in d]
tap.ok(typ == "OK" and len(sizes) == 8 and all(150000 < int(n) < 256 * 1024 for n in sizes) and len(got) == 8
       and all(d.count(b'("text" "plain" ("name" "nnnn') == 450 for d in got),
       "FETCH of 8 messages whose summaries (%s octets) fill more than one batch: every BODYSTRUCTURE whole" % sizes[0])
# Read ahead: content FETCHed for a run of messages (one of 400 KB among them, read alone), and SEARCH
# TEXT over them, are what each message read by itself gives (asked last to first: no read serves another)
def flat(data):
    return b"".join(b"".join(d) if isinstance(d, tuple) else d for d in data)
c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=10)
c.login("carol@example.com", "carol pw")
c.select("INBOX", readonly=True)
items = "(BINARY.PEEK[1] BODY.PEEK[]<10.300> BODY.PEEK[2.MIME] BODY.PEEK[TEXT]<0.50>)"
typ, run = c.fetch("1:11", items)
alone = [flat(c.fetch(str(n), items)[1]) for n in range(11, 0, -1)]
tap.ok(typ == "OK" and len(run) >= 11 and flat(run) == b"".join(reversed(alone)) and b"BINARY[1] {6}part 0" in alone[0],
       "content FETCHed for 11 messages at once is what each FETCHed alone gives (BINARY, partial, MIME, TEXT)")
tap.is_([c.search(None, "TEXT", '"part 1"')[1][0], c.search(None, "BODY", '"part 449"')[1][0]],
        [b"1 2 3 4 5 6 7 8 9 10 11", b"3 4 5 6 7 8 9 10 11"],
        "SEARCH TEXT and BODY find their words in each of a run of messages read ahead")
c.logout()

# QRESYNC (RFC 7162 3.2): a client that was away learns what vanished and what
# changed in one SELECT; once enabled, expunges are told as VANISHED.
class Raw:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", imap.port), timeout=10)
        self.buf = b""
        self.until(rb"^\* OK[^\r\n]*\r\n")
    def until(self, pattern):
        while not re.search(pattern, self.buf, re.M):
            d = self.s.recv(65536)
            if not d:
                break
            self.buf += d
        got, self.buf = self.buf, b""
        return got
    def cmd(self, tag, line):
        self.s.sendall(tag + b" " + line + b"\r\n")
        return self.until(rb"^%s (OK|NO|BAD)[^\r\n]*\r\n" % tag)
a = Raw()
a.cmd(b"a1", b'LOGIN alice@example.com "alice pw"')
tap.ok(b"* ENABLED QRESYNC" in a.cmd(b"a2", b"ENABLE QRESYNC"), "ENABLE QRESYNC")
a.cmd(b"a3", b"CREATE Q")
for i in range(5):
    a.cmd(b"a4", b"APPEND Q {10+}\r\nSubject: " + b"%d" % i)
got = a.cmd(b"a5", b"SELECT Q")
uv, m0 = int(re.search(rb"UIDVALIDITY (\d+)", got).group(1)), int(re.search(rb"HIGHESTMODSEQ (\d+)", got).group(1))
got = a.cmd(b"a6", b"STORE 2 +FLAGS.SILENT (\\Deleted)") + a.cmd(b"a7", b"EXPUNGE")
tap.ok(b"* VANISHED 2\r\n" in got and b"EXPUNGE\r\n" not in got.replace(b"EXPUNGE completed", b""),
       "an expunge is told as VANISHED (%r)" % got)
a.cmd(b"a8", b"STORE 2 +FLAGS.SILENT (\\Flagged)")  # UID 3
b = Raw()
b.cmd(b"b1", b'LOGIN alice@example.com "alice pw"')
b.cmd(b"b2", b"ENABLE QRESYNC")
got = b.cmd(b"b3", b"SELECT Q (QRESYNC (%d %d 1:5))" % (uv, m0))
tap.ok(b"* VANISHED (EARLIER) 2\r\n" in got and re.search(rb"\* 2 FETCH \(UID 3 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)", got)
       and got.count(b"FETCH") == 1, "SELECT (QRESYNC ...): what vanished and what changed since (%r)" % got)
got = b.cmd(b"b4", b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % m0)
tap.ok(b"* VANISHED (EARLIER) 2\r\n" in got and b"UID 3" in got and got.count(b"FETCH (") == 1,
       "UID FETCH (CHANGEDSINCE n VANISHED) (%r)" % got)
a.cmd(b"a9", b"UID STORE 5 +FLAGS.SILENT (\\Deleted)")
a.cmd(b"c1", b"UID EXPUNGE 5")
got = b.cmd(b"b5", b"NOOP")
tap.ok(b"* VANISHED 5\r\n" in got, "another session's expunge comes as VANISHED (%r)" % got)
got = b.cmd(b"b6", b"SELECT Q (QRESYNC (%d %d))" % (uv + 1, m0))
tap.ok(b"* OK [CLOSED]" in got and b"VANISHED" not in got and b"FETCH" not in got,
       "a UIDVALIDITY that changed: nothing to resynchronise, and [CLOSED] first (%r)" % got[:40])
c = Raw()
c.cmd(b"c1", b'LOGIN alice@example.com "alice pw"')
tap.ok(b"c2 BAD" in c.cmd(b"c2", b"SELECT Q (QRESYNC (%d %d))" % (uv, m0)), "QRESYNC in SELECT needs ENABLE first")
tap.ok(b"c3 BAD" in c.cmd(b"c3", b"UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)"), "and so does VANISHED")

# BINARY (RFC 3516): a part decoded; one with a NUL comes as a literal8; an encoding not known is refused.
import base64
raw = bytes(range(256))
m = (b"Subject: binary\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
     b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
     base64.encodebytes(raw).replace(b"\n", b"\r\n") + b"--x\r\nContent-Type: text/plain\r\n"
     b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 soft=\r\nbreak   \r\n--x\r\n"
     b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n--x--\r\n")
c = Raw()
c.cmd(b"d1", b'LOGIN alice@example.com "alice pw"')
c.cmd(b"d2", b"APPEND Q {%d+}\r\n" % len(m) + m)
c.cmd(b"d3", b"SELECT Q")
got = c.cmd(b"d4", b"UID FETCH * (BINARY.SIZE[1] BINARY.PEEK[1] BINARY.PEEK[2] BINARY.PEEK[1]<250.100>)")
tap.ok(b"BINARY.SIZE[1] 256 " in got and (b"BINARY[1] ~{256}\r\n" + raw) in got and
       b"BINARY[2] ~{15}\r\ncaf\xc3\xa9 softbreak" in got and b"BINARY[1]<250> ~{6}\r\n" + raw[250:] in got,
       "BINARY: base64 and quoted-printable decoded, sizes, literal8, partial (%r)" % got[-120:])
got = c.cmd(b"d5", b"UID FETCH * (BINARY.PEEK[3])")
tap.ok(b"d5 NO [UNKNOWN-CTE]" in got and b"FETCH" not in got, "an encoding not known: NO [UNKNOWN-CTE] (%r)" % got)
tap.ok(b"BODY[3] {11}\r\nbegin 644 x" in c.cmd(b"d6", b"UID FETCH * (BODY.PEEK[3])"), "while BODY gives it as stored")
tap.done()
