#!/usr/bin/env python3
"""Moving mail in and out with mailctl, checked through pop3-handler over a
real socket with poplib: existing hashes, passwd-files, Maildirs with and
without dovecot-uidlist, mbox (mboxrd and mboxo) and export round trips."""
import os, poplib, re, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(__file__))
from testlib import RSS_UNCHECKED, Tap, Server, build_dir, reset_db, sql

tap = Tap()
mailctl = build_dir() + "/mailctl"
work = tempfile.mkdtemp(prefix="inetmail-import.")
srv = Server(build_dir() + "/pop3-handler")

def ctl(*args, stdin=b""):
    return subprocess.run([mailctl] + list(args), input=stdin, capture_output=True)

def hash_of(address):
    return sql("SELECT password_hash FROM account WHERE address = '%s'" % address).strip()

def pop(user, password):
    """[(uidl, message bytes)] of a mailbox, as a POP3 client sees it."""
    p = poplib.POP3("127.0.0.1", srv.port, timeout=10)
    p.user(user)
    p.pass_(password)
    out = []
    for line in p.uidl()[1]:
        n, uidl = line.decode().split()
        body = p.retr(int(n))[1]
        out.append((uidl, b"".join(l + b"\r\n" for l in body)))
    p.quit()
    return out

def login_ok(user, password):
    try:
        pop(user, password)
        return True
    except poplib.error_proto:
        return False

reset_db()

# ---- accounts from existing hashes
for scheme, prefix in (("yescrypt", ""), ("bcrypt", "{BLF-CRYPT}"), ("sha512crypt", "{SHA512-CRYPT}"), ("sha512crypt", "{CRYPT}")):
    ctl("--scheme", scheme, "add", "model@example.com", stdin=b"secret %s\n" % scheme.encode())
    h = hash_of("model@example.com")
    ctl("del", "model@example.com")
    if scheme == "bcrypt":
        h = h.replace("$2b$", "$2y$", 1)  # what Dovecot writes
    addr = "moved-%s-%d@example.com" % (scheme, len(prefix))
    r = ctl("add", "--hash", prefix + h, addr)
    tap.ok(r.returncode == 0 and login_ok(addr, "secret " + scheme), "add --hash %s%s: the old password logs in" % (prefix, h[:4]))
    tap.ok(not login_ok(addr, "wrong"), "and no other")
sha256 = subprocess.run(["openssl", "passwd", "-5", "-salt", "saltsalt", "pw256"], capture_output=True).stdout.decode().strip()
r = ctl("add", "--hash", "{SHA256-CRYPT}" + sha256, "moved-sha256@example.com")
tap.ok(r.returncode == 0 and login_ok("moved-sha256@example.com", "pw256"), "add --hash {SHA256-CRYPT}$5$: logs in")
for bad, why in (("{PLAIN}secret", "plaintext"), ("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "unsalted"),
                 ("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "md5crypt"), ("{SHA512-CRYPT}$2y$05$abc", "a scheme that does not match"),
                 ("$6$salt$tooshort", "malformed"), ("secret", "no scheme")):
    r = ctl("add", "--hash", bad, "refused@example.com")
    tap.ok(r.returncode == 65 and b"refused" in r.stderr, "add --hash refuses %s (65, says why)" % why)
tap.is_(sql("SELECT COUNT(*) FROM account WHERE address = 'refused@example.com'").strip(), "0", "none of them was added")

passwd = os.path.join(work, "passwd")
sha512 = subprocess.run(["openssl", "passwd", "-6", "-salt", "salt1234", "pw one"], capture_output=True).stdout.decode().strip()
with open(passwd, "w") as f:
    f.write("# a Dovecot passwd-file\n\none@example.org:{SHA512-CRYPT}%s:5000:5000::/home/one::userdb_quota_rule=*:storage=1G\n"
            "two@example.org:{PLAIN}two:::\nthree:{SHA512-CRYPT}%s\nfour@example.org:{SHA256-CRYPT}%s\n"
            "one@example.org:{SHA512-CRYPT}%s\n" % (sha512, sha512, sha256, sha512))
r = ctl("import-accounts", passwd)
err = r.stderr.decode()
tap.ok(r.returncode == 65, "import-accounts: some lines refused (65)")
tap.ok(login_ok("one@example.org", "pw one") and login_ok("four@example.org", "pw256"), "the good lines are accounts that log in")
tap.ok("line 4:" in err and "line 5:" in err and "line 7:" in err and "line 3:" not in err and "line 6:" not in err,
       "each refused line is reported with its number")
tap.is_(sql("SELECT COUNT(*) FROM account WHERE domain = 'example.org'").strip(), "2", "and nothing half-made")
tap.ok(b"2 accounts added, 3 lines refused" in r.stdout, "a summary line")
tap.ok("example.org" in sql("SELECT name FROM domain"), "the accounts' domain became local")

# ---- a Maildir as Dovecot leaves it
md = os.path.join(work, "Maildir")
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(md, d))
def put(sub, name, data):
    with open(os.path.join(md, sub, name), "wb") as f:
        f.write(data)
put("cur", "1700000001.M1P1.host,S=40,W=42:2,S", b"Subject: one\n\nfirst message\n")
put("cur", "1700000002.M2P2.host,S=41,W=43:2,", b"Subject: two\r\n\r\nalready CRLF\r\n")
put("new", "1700000003.M3P3.host,S=30,W=31", b"Subject: three\n\nno final newline")
put("new", "1700000009.M9P9.other", b"Subject: unlisted\n\nDovecot never saw it\n")
with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
    f.write("3 V1700000000 N5 G0123456789abcdef0123456789abcdef\n"
            "1 :1700000001.M1P1.host,S=40,W=42\n2 W43 :1700000002.M2P2.host,S=41,W=43\n"
            "3 :1699999999.M0P0.expunged\n4 P0badc0de :1700000003.M3P3.host,S=30,W=31\n")
ctl("add", "--hash", sha512, "maildir@example.com")
r = ctl("import-maildir", "maildir@example.com", md)
tap.ok(r.returncode == 0 and b"4 messages imported into maildir@example.com (1 folder), 0 there already" in r.stdout,
       "import-maildir: every message of cur/ and new/")
got = pop("maildir@example.com", "pw one")
tap.is_([u for u, _ in got[:3]], ["%08x%08x" % (1, 1700000000), "%08x%08x" % (2, 1700000000), "0badc0de"],
        "UIDLs as Dovecot's POP3 showed them (%08Xu%08Xv, which it writes in lower case; a kept P UIDL as it is), in UID order")
tap.ok(re.fullmatch(r"[0-9a-f]{32}", got[3][0]) is not None if len(got) > 3 else False, "a file Dovecot never listed gets a UIDL of its own, last")
tap.is_([m for _, m in got], [b"Subject: one\r\n\r\nfirst message\r\n", b"Subject: two\r\n\r\nalready CRLF\r\n",
                              b"Subject: three\r\n\r\nno final newline\r\n", b"Subject: unlisted\r\n\r\nDovecot never saw it\r\n"],
        "byte-exact with LF made CRLF (what lacks a last newline gets POP3's)")
tap.is_(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = 'maildir@example.com'").strip(),
        "4", "four entries")
r = ctl("import-maildir", "maildir@example.com", md)
tap.ok(r.returncode == 0 and b"0 messages imported into maildir@example.com (1 folder), 4 there already" in r.stdout,
       "a second run imports nothing twice")
tap.is_(len(pop("maildir@example.com", "pw one")), 4, "and the mailbox is as it was")
tap.is_(sql("SELECT GROUP_CONCAT(CONCAT(e.uid, ':', e.flags) ORDER BY e.uid), MAX(f.uidvalidity), MAX(f.uidnext)"
            " FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id JOIN account a ON a.id = e.account_id"
            " WHERE a.address = 'maildir@example.com'").split(),
        ["1:1,2:0,4:0,5:0", "1700000000", "6"],
        "in INBOX under Dovecot's UIDs and UIDVALIDITY (the file it never listed after them), \\Seen from the name")

# ---- Maildir++ folders: flags, keywords, UIDs, names in modified UTF-7
for folder, files in ((".Sent", [("1700000101.M1P1.h:2,RS", "1 :1700000101.M1P1.h"), ("1700000102.M2P2.h:2,Fab", "7 :1700000102.M2P2.h")]),
                      (".Lists.Work", [("1700000201.M1P1.h:2,T", "3 :1700000201.M1P1.h")]),
                      (".&ANw-ber", [("1700000301.M1P1.h:2,D", "2 :1700000301.M1P1.h")])):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, folder, sub))
    for name, _ in files:
        open(os.path.join(md, folder, "cur", name), "wb").write(b"Subject: in " + folder.encode() + b"\n\nbody\n")
    open(os.path.join(md, folder, "dovecot-uidlist"), "w").write(
        "3 V%d N9\n" % (1700000100 + len(folder)) + "".join(l + "\n" for _, l in files))
open(os.path.join(md, ".Sent", "dovecot-keywords"), "w").write("0 $Forwarded\n1 Work\n")
os.makedirs(os.path.join(md, ".NotAFolder"))  # no cur/: left alone
r = ctl("import-maildir", "maildir@example.com", md)
tap.ok(r.returncode == 0 and b"4 messages imported into maildir@example.com (4 folders), 4 there already" in r.stdout,
       "import-maildir of Maildir++ folders (%r)" % r.stdout)
tap.is_(sql("SELECT GROUP_CONCAT(CONCAT(f.name, '=', f.uidvalidity, '/', f.uidnext, ':', e.uid, ':', e.flags, ':', e.keywords)"
            " ORDER BY f.name, e.uid SEPARATOR ' ') FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id"
            " JOIN account a ON a.id = e.account_id WHERE a.address = 'maildir@example.com' AND f.name <> 'INBOX'").strip(),
        "Lists/Work=1700000111/9:3:8: Sent=1700000105/9:1:3: Sent=1700000105/9:7:4:$Forwarded Work \u00dcber=1700000109/9:2:16:",
        "each folder as Dovecot had it: UIDVALIDITY, UIDNEXT, UIDs, flags (S R F T D) and keywords (dovecot-keywords)")
r = ctl("import-maildir", "maildir@example.com", md)
tap.ok(r.returncode == 0 and b"0 messages imported into maildir@example.com (4 folders), 8 there already" in r.stdout,
       "and again: nothing twice (%r %r)" % (r.stdout, r.stderr))
# Mail delivered here after a first run, then one Dovecot got meanwhile under a UID already used here:
# it takes the next UID (never one behind UIDNEXT), and the run goes on.
subprocess.run([build_dir() + "/t/store-deliver", "", "maildir@example.com"], input=b"Subject: here\r\n\r\nnew\r\n", check=True)
put("cur", "1700000010.M10P10.host:2,S", b"Subject: meanwhile\n\nat Dovecot\n")
with open(os.path.join(md, "dovecot-uidlist"), "a") as f:
    f.write("5 :1700000010.M10P10.host\n")
r = ctl("import-maildir", "maildir@example.com", md)
tap.ok(r.returncode == 0 and b"1 message imported" in r.stdout, "a run after mail came here (%r %r)" % (r.stdout, r.stderr))
tap.is_(sql("SELECT GROUP_CONCAT(e.uid ORDER BY e.uid) FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id"
            " JOIN account a ON a.id = e.account_id WHERE a.address = 'maildir@example.com' AND f.name = 'INBOX'").strip(),
        "1,2,4,5,6,7", "Dovecot's UID 5 was taken here: the message gets 7, after the one delivered here (6)")
r = ctl("import-maildir", "nobody@example.com", md)
tap.is_(r.returncode, 67, "import into an account that is not there (67)")
r = ctl("import-maildir", "maildir@example.com", os.path.join(work, "nothing-here"))
tap.ok(r.returncode == 0 and b"0 messages imported" in r.stdout, "a directory without cur/ and new/ has nothing to import")
bad = os.path.join(work, "bad-uidlist")
os.makedirs(os.path.join(bad, "cur"))
open(os.path.join(bad, "dovecot-uidlist"), "w").write("1 1234 5\n")
r = ctl("import-maildir", "maildir@example.com", bad)
tap.ok(r.returncode == 65 and b"dovecot-uidlist" in r.stderr, "a uidlist of an old format is refused, with a clear message")

# ---- mbox in, out, and in again
mbox = (b"From alice@example.com Mon Jan  1 00:00:00 2024\n"
        b"Subject: first\n\nplain\n>From the start of a line\n>>From deeper\nFrom inside, not after a blank\n\n\n"
        b"From bob@example.com Mon Jan  1 00:00:01 2024\n"
        b"Subject: second\n\n.a dot\n\nends with a blank line\n\n\n"
        b"From carol@example.com Mon Jan  1 00:00:02 2024\n"
        b"Subject: third\r\n\r\nCRLF inside\r\n\n")
want = [b"Subject: first\r\n\r\nplain\r\nFrom the start of a line\r\n>From deeper\r\nFrom inside, not after a blank\r\n\r\n",
        b"Subject: second\r\n\r\n.a dot\r\n\r\nends with a blank line\r\n\r\n",
        b"Subject: third\r\n\r\nCRLF inside\r\n"]
mbox_file = os.path.join(work, "in.mbox")
open(mbox_file, "wb").write(mbox)
ctl("add", "--hash", sha512, "mbox@example.com")
r = ctl("import-mbox", "mbox@example.com", mbox_file)
tap.ok(r.returncode == 0 and b"3 messages imported" in r.stdout, "import-mbox: three messages")
got = pop("mbox@example.com", "pw one")
tap.is_([m for _, m in got], want, "byte-exact: >From unquoted once, separators dropped, LF made CRLF")
grown = os.path.join(work, "grown.mbox")
open(grown, "wb").write(mbox)
ctl("add", "--hash", sha512, "twice@example.com")
ctl("import-mbox", "twice@example.com", grown)
r = ctl("import-mbox", "twice@example.com", grown)
tap.ok(r.returncode == 0 and b"0 messages imported into twice@example.com, 3 there already" in r.stdout,
       "import-mbox of the same file again imports nothing twice")
open(grown, "ab").write(b"From someone Mon Jan  1 00:00:00 2024\nSubject: fourth\n\nnew\n\n")  # as an MDA appends
r = ctl("import-mbox", "twice@example.com", grown)
tap.ok(r.returncode == 0 and b"1 message imported into twice@example.com, 3 there already" in r.stdout,
       "and of the file grown by one message, only that one")
tap.is_([m for _, m in pop("twice@example.com", "pw one")], want + [b"Subject: fourth\r\n\r\nnew\r\n"],
        "the mailbox has each message once, byte-exact")
r = ctl("export", "mbox@example.com")
out = r.stdout
tap.ok(r.returncode == 0 and out.count(b"\nFrom MAILER-DAEMON ") == 2 and out.startswith(b"From MAILER-DAEMON "),
       "export: an mbox with a From_ line per message")
tap.ok(b"\n>From the start of a line\n>>From deeper\n>From inside, not after a blank\n" in out and b"\r" not in out,
       "quoted mboxrd-style, LF line ends")
exported = os.path.join(work, "out.mbox")
open(exported, "wb").write(out)
ctl("add", "--hash", sha512, "again@example.com")
ctl("quota", "again@example.com", "10")
r = ctl("import-mbox", "again@example.com", exported)
tap.is_([m for _, m in pop("again@example.com", "pw one")], want, "export then import-mbox is byte-exact")
tap.is_(sql("SELECT used_bytes FROM account WHERE address = 'again@example.com'").strip(), str(sum(len(m) for m in want)),
        "an import is charged to the account, but its quota (10 octets here) does not refuse it")
open(os.path.join(work, "not.mbox"), "wb").write(b"Subject: no From_ line\n\nx\n")
r = ctl("import-mbox", "again@example.com", os.path.join(work, "not.mbox"))
tap.ok(r.returncode == 65 and b"not an mbox" in r.stderr, "a file that is no mbox is refused")

# ---- streaming: a 64 MiB message in and out with the memory of a small one
# What a large message may hold beyond a small one: a 256 KiB chunk in the
# store's buffer and one in the client library's, the import's read buffer
# (about 800 KiB of heap under massif) and malloc's slack around them. Slurped,
# it would be 64 MiB more.
STREAM_SLACK_KIB = 2048
def peak(args, stdout=subprocess.DEVNULL):
    r = subprocess.run([build_dir() + "/t/peak-rss", mailctl] + args, stdout=stdout, stderr=subprocess.PIPE)
    m = re.search(rb"peak RSS (\d+) KiB", r.stderr)
    return r.returncode, int(m.group(1)) if m else 0
big_dir = os.path.join(work, "Big")
for d in ("cur", "new"):
    os.makedirs(os.path.join(big_dir, d))
line = b"x" * 998 + b"\n"
with open(os.path.join(big_dir, "new", "big"), "wb") as f:
    f.write(b"Subject: big\n\n")
    for _ in range(64 * 1024 * 1024 // len(line)):
        f.write(line)
with open(os.path.join(big_dir, "new", "small"), "wb") as f:
    f.write(b"Subject: small\n\n" + line)
ctl("add", "--hash", sha512, "big@example.com")
ctl("add", "--hash", sha512, "small@example.com")
os.rename(os.path.join(big_dir, "new", "small"), os.path.join(work, "small"))
rc_big, rss_big = peak(["import-maildir", "big@example.com", big_dir])
os.rename(os.path.join(big_dir, "new", "big"), os.path.join(work, "big"))
os.rename(os.path.join(work, "small"), os.path.join(big_dir, "new", "small"))
rc_small, rss_small = peak(["import-maildir", "small@example.com", big_dir])
tap.ok(rc_big == 0 and rc_small == 0, "a 64 MiB message imports")
if RSS_UNCHECKED:
    tap.skip("with the memory of a small one", RSS_UNCHECKED)
else:
    tap.ok(0 < rss_big < rss_small + STREAM_SLACK_KIB, "with the memory of a small one (%d KiB, small %d KiB)" % (rss_big, rss_small))
tap.is_(sql("SELECT e.size FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = 'big@example.com'").strip(),
        str(len(b"Subject: big\r\n\r\n") + 64 * 1024 * 1024 // len(line) * (len(line) + 1)), "its size is exact, CRLF counted")
with open(os.path.join(work, "big.mbox"), "wb") as f:
    rc_exp, rss_exp = peak(["export", "big@example.com"], stdout=f)
tap.ok(rc_exp == 0, "and exports")
if RSS_UNCHECKED:
    tap.skip("with the memory of a small one too", RSS_UNCHECKED)
else:
    tap.ok(0 < rss_exp < rss_small + STREAM_SLACK_KIB, "with the memory of a small one too (%d KiB)" % rss_exp)
tap.is_(os.path.getsize(os.path.join(work, "big.mbox")), os.path.getsize(os.path.join(work, "big")) + len(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n\n"),
        "every octet of it")
subprocess.run(["rm", "-rf", work])
tap.done()
