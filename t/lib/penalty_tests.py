#!/usr/bin/env python3
"""The failed-login penalty over real sockets from several loopback addresses,
shared by smtp-handler and pop3-handler through the database; and its log
lines read by the real fail2ban-regex with the shipped filter. Runs in a
private mount namespace (t/penalty.t) where the journal socket is ours."""
import os, poplib, shutil, smtplib, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, journal_entries, journal_socket, reset_db, sql

tap = Tap()
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
build = build_dir()
journal = journal_socket()
collected = []
def drain():  # a datagram socket holds a few lines only: a full one would stall the handlers
    while True:
        collected.extend(journal_entries(journal))
threading.Thread(target=drain, daemon=True).start()
reset_db()
on = {"INETMAIL_AUTH_PENALTY": "1", "INETMAIL_PLAINTEXT_AUTH": "1"}
smtp = Server(build + "/smtp-handler", on)
pop3 = Server(build + "/pop3-handler", on)
# What each failed login should show to fail2ban, in order.
failed_clients = []

class POP3From(poplib.POP3):
    """poplib from a chosen local address."""
    def __init__(self, port, source):
        self.source = source
        super().__init__("127.0.0.1", port, timeout=60)
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))

def smtp_login(source, user, password, server=None):
    """(succeeded, seconds the AUTH answer took)."""
    c = smtplib.SMTP("127.0.0.1", (server or smtp).port, timeout=60, source_address=(source, 0),
                     local_hostname="client.example")  # no DNS lookup of our own name
    c.ehlo("c")
    c.user, c.password = user, password
    t = time.time()
    try:
        c.auth("PLAIN", c.auth_plain)  # one try: login() would go on with LOGIN
        ok = True
    except smtplib.SMTPAuthenticationError:
        ok = False
        failed_clients.append(source)
    took = time.time() - t
    c.close()
    return ok, took

def pop3_login(source, user, password, server=None):
    p = POP3From((server or pop3).port, source)
    p.user(user)
    t = time.time()
    try:
        p.pass_(password)
        ok = True
    except poplib.error_proto:
        ok = False
        failed_clients.append(source)
    took = time.time() - t
    p.close()
    return ok, took

# A session's first failure waits its own pause (SMTP_AUTH_DELAY_MS and
# POP3_AUTH_DELAY_MS) before the answer, penalty or not. Sleeps only ever
# take longer on a loaded machine: the penalty is checked as a lower bound on
# each answer, never as a difference of two answers, which load can shrink.
OWN = 0.5
# Six connections from 127.0.0.1, one wrong password each: every answer after
# n failures waits min(2^(n-1), 15) s more than the connection's own pause.
firsts = []
for n in range(6):
    firsts.append(smtp_login("127.0.0.1", "alice@example.com", "wrong %d" % n)[1])
base = firsts[0]  # the per-connection pause of a first failure, no penalty yet
want = [0, 1, 2, 4, 8, 15]
tap.ok(base < 1.0, "the first failure costs only the connection's own pause (%.2f s)" % base)
for n in range(1, 6):
    tap.ok(firsts[n] >= OWN + want[n] - 0.05 and firsts[n] - base < want[n] + 2,
           "failure %d from 127.0.0.1 is answered %.1f s later than the first (want %d s)" % (n + 1, firsts[n] - base, want[n]))
tap.is_(sql("SELECT COUNT(*) FROM auth_failure WHERE client = '127.0.0.1'").strip(), "6", "one row per failure")
# Meanwhile another address is answered at once.
result = {}
def delayed():
    result["took"] = smtp_login("127.0.0.1", "alice@example.com", "alice pw")[1]
th = threading.Thread(target=delayed)
th.start()
time.sleep(0.3)
ok, took = smtp_login("127.0.0.2", "alice@example.com", "alice pw")
th.join()
tap.ok(ok and took < 0.5, "a correct login from 127.0.0.2 in that second is answered at once (%.2f s)" % took)
tap.ok(result.get("took", 0) >= 15, "while 127.0.0.1's correct one waits out its 15 s (%.1f s)" % result.get("took", 0))

# One table for both handlers.
for who in ("127.0.0.3",):
    ok1, t1 = smtp_login(who, "bob@example.com", "wrong")
    ok2, t2 = pop3_login(who, "bob@example.com", "wrong")
    ok3, t3 = smtp_login(who, "bob@example.com", "wrong")
    tap.ok(not ok1 and not ok2 and t2 >= OWN + 0.95, "a POP3 failure after an SMTP one waits 1 s (%.2f s more)" % (t2 - t1))
    tap.ok(not ok3 and t3 >= OWN + 1.95, "and the next SMTP one 2 s (%.2f s more)" % (t3 - t1))

# A success clears that account's failures from that address, not the others'.
ok, _ = pop3_login("127.0.0.4", "carol@example.com", "wrong")
ok, _ = pop3_login("127.0.0.4", "bob@example.com", "wrong")
ok, t = pop3_login("127.0.0.4", "carol@example.com", "carol pw")
tap.ok(ok and t >= 1.95, "a correct login after two failures waits 2 s, then gets in (%.2f s)" % t)
ok, t = pop3_login("127.0.0.4", "bob@example.com", "bob pw")
tap.ok(ok and 0.95 <= t < 1.9, "bob's failure is still counted after carol's success (%.2f s)" % t)
tap.is_(sql("SELECT COUNT(*) FROM auth_failure WHERE client = '127.0.0.4'").strip(), "0", "and bob's success clears bob's")
ok, t = smtp_login("127.0.0.4", "nobody@example.com", "x")
ok, t = smtp_login("127.0.0.4", "alice@example.com", "alice pw")
tap.ok(ok and t >= 0.95, "an unknown user counts like a wrong password (%.2f s)" % t)

# Off, and exempt.
off = Server(build + "/smtp-handler", dict(on, INETMAIL_AUTH_PENALTY="0"))
times = [smtp_login("127.0.0.5", "alice@example.com", "wrong", off)[1] for _ in range(3)]
tap.ok(max(times) < 1.0, "INETMAIL_AUTH_PENALTY=0: no wait (%s)" % ", ".join("%.2f" % x for x in times))
tap.is_(sql("SELECT COUNT(*) FROM auth_failure WHERE client = '127.0.0.5'").strip(), "0", "and nothing recorded")
exempt = Server(build + "/pop3-handler", dict(on, INETMAIL_AUTH_PENALTY_EXEMPT="10.0.0.0/8 127.0.0.6/31"))
times = [pop3_login("127.0.0.7", "alice@example.com", "wrong", exempt)[1] for _ in range(3)]
tap.ok(max(times) < 1.0, "INETMAIL_AUTH_PENALTY_EXEMPT=127.0.0.6/31 spares 127.0.0.7 (%s)" % ", ".join("%.2f" % x for x in times))
times = [pop3_login("127.0.0.8", "alice@example.com", "wrong", exempt)[1] for _ in range(2)]
tap.ok(times[1] >= OWN + 0.95, "but not 127.0.0.8 (%.2f s more)" % (times[1] - times[0]))

# IPv6 by /64: two addresses of one network share their failures (the
# address as a session file piped in with REMOTE_ADDR gets it, as from inetd).
def piped_pop3(addr, password):
    t = time.time()
    out = subprocess.run([build + "/pop3-handler"], input=b"USER alice@example.com\r\nPASS %s\r\nQUIT\r\n" % password.encode(),
                         capture_output=True, env=dict(os.environ, REMOTE_ADDR=addr, **on)).stdout
    return out, time.time() - t
piped_pop3("2001:db8:1:2::10", "wrong")
tap.is_(sql("SELECT client FROM auth_failure WHERE client LIKE '%:%'").strip(), "2001:db8:1:2::/64",
        "IPv6 failures are kept per /64")
out, t = piped_pop3("2001:db8:1:2:ffff::99", "alice pw")
tap.ok(b"+OK" in out.split(b"\r\n")[2] and t >= 0.95, "another address of the same /64 waits (%.2f s)" % t)
failed_clients.append("2001:db8:1:2::10")

# mailctl penalty: who is slowed down, and forgiving one of them.
mailctl = lambda *args: subprocess.run([build + "/mailctl", "penalty"] + list(args), capture_output=True, text=True)
piped_pop3("2001:db8:1:2::11", "wrong")
failed_clients.append("2001:db8:1:2::11")
r = mailctl("list")
row = [l.split() for l in r.stdout.splitlines() if l.startswith("2001:db8:1:2::/64 ")]
tap.ok(r.returncode == 0 and row and row[0][1] == "1" and row[0][4] == "1s",
       "mailctl penalty list: the /64 with its failure and its next wait (%s)" % (row and " ".join(row[0])))
r = mailctl("clear", "2001:db8:1:2::99")
tap.ok(r.returncode == 0 and r.stdout.strip() == "1 failed login forgotten for 2001:db8:1:2::99",
       "mailctl penalty clear ADDRESS forgets its /64's (%r)" % r.stdout.strip())
out, t = piped_pop3("2001:db8:1:2::12", "alice pw")
tap.ok(b"+OK" in out.split(b"\r\n")[2] and t < 0.9, "and the next login from there waits no more (%.2f s)" % t)
tap.ok("2001:db8:1:2::/64" not in mailctl("list").stdout, "nor is it listed")
tap.is_(mailctl("clear", "not-an-address").returncode, 65, "clear of something that is no address is refused")

# The database down: no wait, no hang, a temporary error.
dead = os.path.join(tempfile.mkdtemp(), "down.cnf")
open(dead, "w").write("[inetmail]\nsocket=/nonexistent/sock\n")
down_smtp = Server(build + "/smtp-handler", dict(on, INETMAIL_MYCNF=dead))
c = smtplib.SMTP("127.0.0.1", down_smtp.port, timeout=30, local_hostname="client.example")
c.ehlo("c")
c.user, c.password = "alice@example.com", "alice pw"
t = time.time()
try:
    c.auth("PLAIN", c.auth_plain)
    code = 235
except smtplib.SMTPAuthenticationError as e:
    code = e.smtp_code
tap.ok(code == 454 and time.time() - t < 2, "database down: 454, at once (%.2f s)" % (time.time() - t))
c.close()

# fail2ban: the real fail2ban-regex, the shipped filter, the lines written above.
time.sleep(1)
logs = list(collected)
lines = []
for e in logs:
    stamp = time.strftime("%b %d %H:%M:%S", time.localtime(int(e.get("_SOURCE_REALTIME_TIMESTAMP", "0")) / 1e6 or time.time()))
    lines.append("%s mail %s[%s]: %s" % (stamp, e.get("SYSLOG_IDENTIFIER", "?"), e.get("SYSLOG_PID", "1"), e.get("MESSAGE", "")))
f2b = tempfile.mkdtemp()
logfile = os.path.join(f2b, "mail.log")
open(logfile, "w").write("\n".join(lines) + "\n")
# Installed as make install puts it: beside fail2ban's own common.conf.
os.makedirs(f2b + "/filter.d")
shutil.copy(top + "/units/fail2ban/filter.d/inetmail.conf", f2b + "/filter.d/")
shutil.copy("/etc/fail2ban/filter.d/common.conf", f2b + "/filter.d/")
r = subprocess.run(["fail2ban-regex", "-o", "ip", logfile, f2b + "/filter.d/inetmail.conf"], capture_output=True, text=True)
if r.returncode:
    tap.diag(r.stderr[-2000:])
matched = [l.strip() for l in r.stdout.splitlines() if l.strip()]
fails = [e for e in logs if e.get("INETMAIL_RESULT") == "auth-failed"]
tap.ok(len(fails) == len(failed_clients) and fails, "one log line per failed login (%d lines, %d failures)" %
       (len(fails), len(failed_clients)))
tap.is_(matched, failed_clients, "fail2ban-regex matches every failed login, with the right address, and nothing else")
tap.ok(any(e.get("INETMAIL_RESULT") in ("auth", "login") for e in logs), "(the log also had successful logins)")
jail = subprocess.run(["python3", "-c", "import configparser, sys; c = configparser.ConfigParser(); "
                       "c.read(sys.argv[1]); print(sorted(c.sections()))", top + "/units/fail2ban/jail.d/inetmail.conf"],
                      capture_output=True, text=True).stdout.strip()
tap.is_(jail, "['inetmail', 'inetmail-syslog']", "the jails: journal and syslog")
tap.done()
