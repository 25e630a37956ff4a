#!/usr/bin/env python3
"""Real SMTP clients against smtp-handler over a real socket (systemd-socket-activate
on loopback), each followed by a look at what the database stored."""
import base64, hashlib, os, smtplib, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, mailboxes, reset_db, sql

tap = Tap()
handler = build_dir() + "/smtp-handler"
reset_db()

def count(addr):
    return int(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address = '%s'" % addr))

def newest(addr):
    msgs = [m for a, m in mailboxes() if a == addr]
    return msgs[-1] if msgs else b""

sub = Server(handler)                               # submission, connection on stdin/stdout
fd3 = Server(handler, inetd=False)                  # the same, connection on fd 3
mx = Server(handler, {"INETMAIL_SMTP_MODE": "mx"})

# Python smtplib: AUTH PLAIN and LOGIN
for mech in ("PLAIN", "LOGIN"):
    before = count("bob@example.com")
    with smtplib.SMTP("127.0.0.1", sub.port, timeout=10) as c:
        c.ehlo("client.example")
        tap.ok("auth" in c.esmtp_features and mech in c.esmtp_features["auth"], "smtplib: EHLO offers AUTH %s" % mech)
        c.user, c.password = "alice@example.com", "alice pw"
        code, _ = c.auth(mech, getattr(c, "auth_" + mech.lower()))
        tap.is_(code, 235, "smtplib: AUTH %s succeeds" % mech)
        refused = c.sendmail("alice@example.com", ["bob@example.com"],
                             "Subject: smtplib %s\r\n\r\nHello.\r\n" % mech)
        tap.is_(refused, {}, "smtplib: message accepted")
    tap.is_(count("bob@example.com"), before + 1, "smtplib (%s): stored in bob's mailbox" % mech)
    tap.ok(b"Subject: smtplib " + mech.encode() in newest("bob@example.com"), "smtplib (%s): with its subject" % mech)

with smtplib.SMTP("127.0.0.1", sub.port, timeout=10) as c:
    try:
        c.login("alice@example.com", "wrong")
        tap.ok(False, "smtplib: a wrong password fails")
    except smtplib.SMTPAuthenticationError as e:
        tap.is_(e.smtp_code, 535, "smtplib: a wrong password fails with 535")

# 100 recipients, content stored once
sql("INSERT INTO account (address, password_hash) SELECT CONCAT('r', seq, '@example.com'), '*' FROM seq_1_to_100")
rcpts = ["r%d@example.com" % i for i in range(1, 101)]
messages = int(sql("SELECT COUNT(*) FROM message"))
with smtplib.SMTP("127.0.0.1", sub.port, timeout=30) as c:
    c.login("alice@example.com", "alice pw")
    tap.is_(c.sendmail("alice@example.com", rcpts, "Subject: to a hundred\r\n\r\nHi all.\r\n"), {}, "smtplib: 100 recipients accepted")
tap.is_(int(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id WHERE a.address LIKE 'r%@example.com'")),
        100, "each of the 100 has the message")
tap.is_(int(sql("SELECT COUNT(*) FROM message")) - messages, 1, "stored once")

# 10 MiB
big = b"Subject: ten MiB\r\n\r\n" + b"".join(b"%08d the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmn\r\n" % i
                                          for i in range(10 * 1024 * 1024 // 80))
with smtplib.SMTP("127.0.0.1", sub.port, timeout=60) as c:
    c.login("alice@example.com", "alice pw")
    tap.is_(c.sendmail("alice@example.com", ["carol@example.com"], big), {}, "smtplib: a 10 MiB message accepted")
got = newest("carol@example.com")
body = got[got.index(b"Subject: ten MiB"):]
tap.ok(len(big) >= 10 * 1024 * 1024 - 100 and hashlib.sha256(body).hexdigest() == hashlib.sha256(big).hexdigest(),
       "stored byte-exact after the trace fields (%d octets)" % len(body))

# fd 3 (LISTEN_FDS=1) instead of stdin/stdout
with smtplib.SMTP("127.0.0.1", fd3.port, timeout=10) as c:
    c.login("alice@example.com", "alice pw")
    tap.is_(c.sendmail("alice@example.com", ["bob@example.com"], "Subject: via fd 3\r\n\r\nx\r\n"), {}, "the connection on fd 3 works too")
tap.ok(b"Subject: via fd 3" in newest("bob@example.com"), "and stores")

# Perl Net::SMTP, with AUTH (Authen::SASL) and in MX mode
perl = r'''
use Net::SMTP;
my ($port, $auth) = @ARGV;
my $s = Net::SMTP->new("127.0.0.1", Port => $port, Hello => "perl.example", Timeout => 10) or die "connect";
if ($auth) { $s->auth('alice@example.com', 'alice pw') or die "auth: " . $s->message; }
$s->mail($auth ? "alice\@example.com" : "someone\@elsewhere.example") or die "mail";
$s->to("bob\@example.com") or die "rcpt";
$s->data("Subject: Net::SMTP\r\n\r\nfrom perl\r\n") or die "data: " . $s->message;
$s->quit;
print "sent\n";
'''
for port, auth, what in ((sub.port, "1", "submission with AUTH"), (mx.port, "", "MX")):
    before = count("bob@example.com")
    p = subprocess.run(["perl", "-e", perl, str(port), auth], capture_output=True, timeout=30)
    tap.is_(p.stdout, b"sent\n", "Net::SMTP (%s) sends" % what)
    if p.returncode:
        tap.diag(p.stderr.decode())
    tap.is_(count("bob@example.com"), before + 1, "Net::SMTP (%s): stored" % what)

with tempfile.NamedTemporaryFile("wb", suffix=".eml") as f:
    f.write(b"Subject: curl\r\n\r\nfrom curl\r\n")
    f.flush()
    before = count("bob@example.com")
    p = subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d" % sub.port, "--mail-from", "alice@example.com",
                        "--mail-rcpt", "bob@example.com", "--upload-file", f.name, "--user", "alice@example.com:alice pw"],
                       capture_output=True, timeout=30)
    tap.is_(p.returncode, 0, "curl smtp:// sends")
    tap.ok(count("bob@example.com") == before + 1 and b"from curl" in newest("bob@example.com"), "curl: stored")

    before = count("bob@example.com")
    p = subprocess.run(["msmtp", "--host=127.0.0.1", "--port=%d" % sub.port, "--auth=plain", "--user=alice@example.com",
                        "--passwordeval=echo alice pw", "--tls=off", "--from=alice@example.com", "bob@example.com"],
                       input=b"Subject: msmtp\r\n\r\nfrom msmtp\r\n", capture_output=True, timeout=30)
    tap.is_(p.returncode, 0, "msmtp sends")
    if p.returncode:
        tap.diag(p.stderr.decode())
    tap.ok(count("bob@example.com") == before + 1 and b"from msmtp" in newest("bob@example.com"), "msmtp: stored")

for how, args in (("over TCP", ["--server", "127.0.0.1", "--port", str(sub.port)]), ("--pipe", ["--pipe", handler])):
    before = count("bob@example.com")
    p = subprocess.run(["swaks", "--auth", "LOGIN", "--auth-user", "alice@example.com", "--auth-password", "alice pw",
                        "--from", "alice@example.com", "--to", "bob@example.com", "--header", "Subject: swaks",
                        "--body", "from swaks"] + args, capture_output=True, timeout=30)
    tap.is_(p.returncode, 0, "swaks %s sends" % how)
    if p.returncode:
        tap.diag(p.stdout.decode()[-2000:])
    tap.ok(count("bob@example.com") == before + 1 and b"from swaks" in newest("bob@example.com"), "swaks %s: stored" % how)

# Network-peer checks: an early talker, unauthenticated pipelining, the idle timeout
def talk(port, send_first=None, then=None, wait=0.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if send_first:
        s.sendall(send_first)
    data = b""
    if then is not None:
        while not data.endswith(b"\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.sendall(then)
    time.sleep(wait)
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data

early = Server(handler, {"INETMAIL_SMTP_MODE": "mx", "INETMAIL_SMTP_GREET_PAUSE": "500"})
tap.is_(talk(early.port, b"EHLO early\r\n"), b"554 5.5.0 Error: SMTP protocol synchronization\r\n",
        "a client talking before the greeting gets 554 5.5.0 and is closed")
got = talk(mx.port, None, b"EHLO fast\r\nMAIL FROM:<>\r\n")
tap.ok(got.startswith(b"220 ") and got.endswith(b"554 5.5.0 Error: SMTP protocol synchronization\r\n") and b"250" not in got,
       "unauthenticated pipelining past EHLO gets 554 5.5.0 and is closed")
slow = Server(handler, {"INETMAIL_SMTP_TIMEOUT": "1"})
t0 = time.time()
got = talk(slow.port, None, b"EHLO idle\r\n")
tap.ok(got.endswith(b"421 4.4.2 mail.example.com Error: timeout exceeded\r\n") and time.time() - t0 < 5,
       "an idle client gets 421 4.4.2 after the timeout and is closed")
for s in (sub, fd3, mx, early, slow):
    s.stop()
tap.done()
