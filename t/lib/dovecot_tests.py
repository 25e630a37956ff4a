#!/usr/bin/env python3
"""Moving from a real Dovecot 2.3: a private instance (POP3 on loopback, LMTP
on a unix socket, Maildir, a passwd-file with Dovecot's own hashes) gets mail
through LMTP and is read over its POP3; then mailctl takes over its accounts
and Maildirs, and pop3-handler shows the same UIDLs and the same octets."""
import imaplib, os, poplib, pwd, re, shutil, smtplib, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from dovecot_conf import dovecot_conf
from testlib import Tap, Server, build_dir, free_port, reset_db, sql

tap = Tap()
if os.geteuid() != 0:
    print("1..0 # SKIP Dovecot's master runs as root (this test runs as uid %d)" % os.geteuid())
    sys.exit(0)
if not shutil.which("dovecot"):
    print("1..0 # SKIP dovecot not installed (Debian packages dovecot-core, dovecot-pop3d, dovecot-lmtpd)")
    sys.exit(0)

mailctl = build_dir() + "/mailctl"
d = tempfile.mkdtemp(prefix="inetmail-dovecot.")
os.chmod(d, 0o755)  # Dovecot's processes run as their own users
nobody = pwd.getpwnam("nobody")
users = {"ann@example.net": ("ann's pw", "SHA512-CRYPT"), "ben@example.net": ("ben's pw", "BLF-CRYPT")}
port, imap_port = free_port(), free_port()

def doveadm(*args):
    return subprocess.run(["doveadm", "-c", d + "/dovecot.conf"] + list(args), capture_output=True, check=True).stdout

conf = dovecot_conf(d, "inetmail-test-dovecot", "pop3 lmtp imap", nobody.pw_uid, nobody.pw_gid, d + "/mail/%u",
                    {"pop3": port, "imap": imap_port}, """namespace inbox {
  inbox = yes
  separator = /
}
service lmtp {
  unix_listener %s/lmtp {
    mode = 0666
  }
}
""" % d)
open(d + "/dovecot.conf", "w").write(conf)
os.makedirs(d + "/mail")
os.chown(d + "/mail", nobody.pw_uid, nobody.pw_gid)
with open(d + "/passwd", "w") as f:
    for user, (pw, scheme) in users.items():
        f.write("%s:%s::::::\n" % (user, doveadm("pw", "-s", scheme, "-p", pw).decode().strip()))
subprocess.run(["dovecot", "-c", d + "/dovecot.conf"], check=True)
for _ in range(200):
    if os.path.exists(d + "/lmtp"):
        break
    time.sleep(0.05)

def lmtp_deliver(rcpt, message):
    with smtplib.LMTP(d + "/lmtp") as l:
        l.sendmail("sender@remote.example", [rcpt], message)

FOLDERS = ["INBOX", "Sent", "Lists/Work"]

def imap_view(port, user, pw):
    """What an IMAP client knows of each folder: UIDVALIDITY, UIDNEXT and each UID's flags (\\Recent aside: a session's)."""
    c = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    c.login(user, pw)
    view = {}
    for f in FOLDERS:
        st = c.status('"%s"' % f, "(UIDVALIDITY UIDNEXT MESSAGES)")[1][0]
        c.select('"%s"' % f, readonly=True)
        flags = {}
        for line in c.uid("FETCH", "1:*", "(FLAGS)")[1]:
            m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", line or b"") or re.search(rb"FLAGS \(([^)]*)\) UID (\d+)", line or b"")
            if m and m.re.pattern.startswith(b"UID"):
                flags[int(m.group(1))] = sorted(set(m.group(2).lower().split()) - {b"\\recent"})
            elif m:
                flags[int(m.group(2))] = sorted(set(m.group(1).lower().split()) - {b"\\recent"})
        view[f] = (sorted(st.split(b"(")[1].rstrip(b")").split()), flags)
    c.logout()
    return view

def pop_read(port, user, pw):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(user)
    p.pass_(pw)
    out = []
    for line in p.uidl()[1]:
        n, uidl = line.decode().split()
        resp, lines, octets = p.retr(int(n))
        out.append((uidl, b"".join(l + b"\r\n" for l in lines)))
    p.quit()
    return out

try:
    messages = {
        "ann@example.net": [b"Subject: one\r\nFrom: sender@remote.example\r\n\r\nhello ann\r\n",
                            b"Subject: two\r\n\r\n.a line with a dot\r\nFrom here on\r\n" + b"long line " * 200 + b"\r\n",
                            b"Subject: three\r\n\r\n\r\nblank lines\r\n\r\n"],
        "ben@example.net": [b"Subject: for ben\r\n\r\nonly one\r\n"],
    }
    for user, msgs in messages.items():
        for m in msgs:
            lmtp_deliver(user, m)
    theirs = {u: pop_read(port, u, users[u][0]) for u in users}
    tap.ok(all(len(theirs[u]) == len(messages[u]) for u in users), "Dovecot took mail over LMTP and shows it over POP3")
    # A POP3 client that leaves mail on the server has seen these UIDLs.
    tap.ok(all(m.endswith(orig) for u in users for (_, m), orig in zip(theirs[u], messages[u])),
           "its messages are what was sent, behind its own Return-Path/Delivered-To/Received")
    tap.ok(os.path.exists(d + "/mail/ann@example.net/Maildir/dovecot-uidlist"), "its Maildir has a dovecot-uidlist")
    # Ann's mail program made folders, filed and flagged mail there, over Dovecot's IMAP.
    c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
    c.login("ann@example.net", users["ann@example.net"][0])
    for f in FOLDERS[1:]:
        c.create('"%s"' % f)
    c.append("Sent", r"(\Seen \Answered)", None, b"Subject: sent one\r\n\r\nhi\r\n")
    c.append("Sent", r"(\Seen $Forwarded Work)", None, b"Subject: sent two\r\n\r\nhi again\r\n")
    for i in range(3):
        c.append('"Lists/Work"', None, None, b"Subject: list %d\r\n\r\npost\r\n" % i)
    c.select('"Lists/Work"')
    c.store("2", "+FLAGS", r"(\Deleted)")
    c.expunge()
    c.store("1", "+FLAGS", r"(\Flagged)")
    c.select("INBOX")
    c.store("1", "+FLAGS", r"(\Seen \Flagged)")
    c.store("2", "+FLAGS", r"(\Draft)")
    c.logout()
    theirs_imap = imap_view(imap_port, "ann@example.net", users["ann@example.net"][0])
    tap.ok(theirs_imap["Lists/Work"][1].keys() == {1, 3} and theirs_imap["Sent"][1][2] == [b"$forwarded", b"\\seen", b"work"],
           "Dovecot's IMAP shows the folders, flags, keywords and an expunged UID (%r)" % theirs_imap)
    subprocess.run(["dovecot", "-c", d + "/dovecot.conf", "stop"], check=True)

    reset_db()
    r = subprocess.run([mailctl, "import-accounts", d + "/passwd"], capture_output=True)
    tap.ok(r.returncode == 0 and b"2 accounts added, 0 lines refused" in r.stdout,
           "mailctl import-accounts takes Dovecot's passwd-file")
    for user in users:
        r = subprocess.run([mailctl, "import-maildir", user, d + "/mail/%s/Maildir" % user], capture_output=True)
        tap.ok(r.returncode == 0, "import-maildir %s" % user)
    imap_srv = Server(build_dir() + "/imap-handler", env={"INETMAIL_PLAINTEXT_AUTH": "1"})
    ours_imap = imap_view(imap_srv.port, "ann@example.net", users["ann@example.net"][0])
    for f in FOLDERS:
        tap.is_(ours_imap[f], theirs_imap[f], "%s over our IMAP: Dovecot's UIDVALIDITY, UIDNEXT, UIDs and flags" % f)
    srv = Server(build_dir() + "/pop3-handler")
    ours = {u: pop_read(srv.port, u, users[u][0]) for u in users}
    for u in users:
        tap.is_([x[0] for x in ours[u]], [x[0] for x in theirs[u]], "%s: our POP3 shows Dovecot's UIDLs, in its order" % u)
        tap.ok([x[1] for x in ours[u]] == [x[1] for x in theirs[u]], "%s: and the same octets (%s) with the same passwords (%s)" %
               (u, ", ".join(str(len(x[1])) for x in ours[u]), users[u][1]))
    p = poplib.POP3("127.0.0.1", srv.port, timeout=10)
    p.user("ann@example.net")
    p.pass_(users["ann@example.net"][0])
    theirs_list = [int(x.split()[1]) for x in p.list()[1]]
    p.quit()
    tap.is_(theirs_list, [len(m) for _, m in theirs["ann@example.net"]], "LIST sizes are the octets RETR sends")
    r = subprocess.run([mailctl, "import-maildir", "ann@example.net", d + "/mail/ann@example.net/Maildir"], capture_output=True)
    tap.ok(r.returncode == 0 and b"0 messages imported" in r.stdout, "importing again brings nothing twice")
finally:
    subprocess.run(["dovecot", "-c", d + "/dovecot.conf", "stop"], capture_output=True)
    for _ in range(100):
        if not os.path.exists(d + "/run/master.pid"):
            break
        time.sleep(0.05)
    shutil.rmtree(d, ignore_errors=True)
tap.done()
