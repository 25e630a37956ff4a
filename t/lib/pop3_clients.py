#!/usr/bin/env python3
"""Real POP3 clients against pop3-handler over a real socket: poplib, Net::POP3,
curl, fetchmail, and the seed's own way of reading; then locking and numbering."""
import os, poplib, socket, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, reset_db, sql

tap = Tap()
pop3 = build_dir() + "/pop3-handler"
deliver = build_dir() + "/t/store-deliver"

def fill(addr, messages):
    for m in messages:
        subprocess.run([deliver, "", addr], input=m, check=True)

def message(i, size=2048):
    head = b"Subject: message %d\r\nFrom: bob@example.com\r\n\r\n" % i
    body = b"".join(b".dot line %d %s\r\n" % (k, b"x" * 60) if k % 5 == 0 else b"line %d %s\r\n" % (k, b"y" * 60)
                    for k in range(size // 72))
    return head + body

def count(addr):
    return int(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = '%s'" % addr))

reset_db()
msgs = [message(i) for i in range(1, 6)] + [message(6, 300000)]
fill("alice@example.com", msgs)
srv = Server(pop3)
fd3 = Server(pop3, inetd=False)

# poplib
p = poplib.POP3("127.0.0.1", srv.port, timeout=10)
caps = p.capa()
tap.ok("USER" in caps and caps.get("SASL") == ["PLAIN"], "poplib: CAPA lists USER and SASL PLAIN")
p.user("alice@example.com")
p.pass_("alice pw")
n, octets = p.stat()
tap.is_((n, octets), (6, sum(len(m) for m in msgs)), "poplib: STAT counts exact octets")
resp, lines, _ = p.list()
tap.is_([int(l.split()[1]) for l in lines], [len(m) for m in msgs], "poplib: LIST sizes are what RETR sends")
got = [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in range(1, 7)]
tap.ok(got == msgs, "poplib: RETR gives every message byte-exact (dot-stuffing undone)")
top = p.top(1, 2)[1]
tap.is_(top, msgs[0].split(b"\r\n")[:5], "poplib: TOP 1 2 gives the header and two lines")
uidls = [l.split()[1] for l in p.uidl()[1]]
tap.ok(len(set(uidls)) == 6, "poplib: UIDLs are distinct")
tap.ok(p.dele(1).startswith(b"+OK"), "poplib: DELE")
second = poplib.POP3("127.0.0.1", srv.port, timeout=10)
second.user("alice@example.com")
try:
    second.pass_("alice pw")
    tap.ok(False, "a second session on the same mailbox is refused")
except poplib.error_proto as e:
    tap.ok(str(e).startswith("b'-ERR [IN-USE]"), "a second session on the same mailbox gets -ERR [IN-USE]")
second.quit()
fill("alice@example.com", [message(7)])
tap.is_(p.stat()[0], 5, "a delivery during the session does not change its numbering")
p.quit()
tap.is_(count("alice@example.com"), 6, "QUIT deleted the message and the new one is there")
p = poplib.POP3("127.0.0.1", fd3.port, timeout=10)
p.user("alice@example.com")
p.pass_("alice pw")
tap.is_(p.stat()[0], 6, "the next session (connection on fd 3) sees the new message")
uidls2 = [l.split()[1] for l in p.uidl()[1]]
tap.is_(uidls2[:5], uidls[1:], "and the old messages keep their UIDLs")
p.quit()

# The seed's client reads once per command and stops when a read ends with "\r\n.\r\n".
def seed_read(s, multi):
    while True:
        data = s.recv(1 << 20)
        if not data or (data.endswith(b"\r\n.\r\n") if multi else data.endswith(b"\r\n")):
            return data
s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
seed_read(s, False)
ok = True
for cmd, multi in ((b"USER alice@example.com", False), (b"PASS alice pw", False), (b"LIST", True), (b"RETR 5", True),
                   (b"DELE 1", False), (b"QUIT", False)):
    s.sendall(cmd + b"\r\n")
    data = seed_read(s, multi)
    ok = ok and data.startswith(b"+OK") or data.endswith(b"\r\n.\r\n")
tap.ok(ok, "the seed's client: USER, PASS, LIST, RETR of a 300 KB message, DELE, QUIT all complete")
s.close()
tap.is_(count("alice@example.com"), 5, "and its DELE took effect at QUIT")

# Perl Net::POP3
perl = r'''
use Net::POP3;
my $p = Net::POP3->new("127.0.0.1", Port => $ARGV[0], Timeout => 10) or die "connect";
defined $p->login('alice@example.com', 'alice pw') or die "login";
my $list = $p->list;
my $m = $p->get(1) or die "get";
print scalar(keys %$list), " ", join("", @$m) =~ /^Subject: message/ ? "ok" : "bad", "\n";
$p->quit;
'''
r = subprocess.run(["perl", "-e", perl, str(srv.port)], capture_output=True, timeout=30)
tap.is_(r.stdout, b"5 ok\n", "Net::POP3 logs in, lists and retrieves")

# curl: list, retrieve, delete
url = "pop3://127.0.0.1:%d/" % srv.port
r = subprocess.run(["curl", "-sS", "--user", "alice@example.com:alice pw", url], capture_output=True, timeout=30)
tap.is_(len(r.stdout.splitlines()), 5, "curl pop3:// lists five messages")
first_size = int(r.stdout.split(b"\r\n")[0].split()[1])
r = subprocess.run(["curl", "-sS", "--user", "alice@example.com:alice pw", url + "1"], capture_output=True, timeout=30)
tap.is_(len(r.stdout), first_size, "curl retrieves message 1 byte for byte")
r = subprocess.run(["curl", "-sS", "--user", "alice@example.com:alice pw", "-X", "DELE", "-I", url + "1"], capture_output=True, timeout=30)
tap.is_(r.returncode, 0, "curl -X DELE")
tap.is_(count("alice@example.com"), 4, "deletes it")

# fetchmail into a file: every byte as delivered
with tempfile.TemporaryDirectory() as d:
    rc, out = os.path.join(d, "fetchmailrc"), os.path.join(d, "mbox")
    with open(rc, "w") as f:
        f.write('poll 127.0.0.1 service %d protocol pop3 user "alice@example.com" password "alice pw" keep '
                'mda "cat >> %s" sslproto ""\n' % (srv.port, out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=d, FETCHMAILHOME=d)
    r = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog"], capture_output=True, timeout=60, env=env)
    tap.is_(r.returncode, 0, "fetchmail retrieves")
    if r.returncode:
        tap.diag(r.stderr.decode()[-1500:])
    got = open(out, "rb").read() if os.path.exists(out) else b""
    rest = msgs[3:] + [message(7)]  # 1 and 2 deleted by QUIT, 3 by curl
    missing = [m[:40] for m in rest if m.replace(b"\r\n", b"\n") not in got]
    tap.ok(not missing, "fetchmail got every remaining message intact")
    if missing:
        tap.diag("missing %r; got %r" % (missing, got[:600]))
tap.is_(count("alice@example.com"), 4, "fetchmail with keep deleted nothing")
srv.stop()
fd3.stop()
tap.done()
