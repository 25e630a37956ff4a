#!/usr/bin/env python3
"""The worst days, against a MariaDB of this test's own that it kills:
the database gone at connect, mid-session and mid-message; SIGKILL of
mariadbd during 200 concurrent deliveries; SIGKILL of handlers; slow and
hostile clients; the connect started at the greeting, and a database that
never answers it. Nothing acknowledged is lost, nothing half-stored is seen."""
import os, random, re, signal, smtplib, socket, subprocess, sys, threading, time, poplib

sys.path.insert(0, os.path.dirname(__file__))
from testlib import mariadb, mariadb_kill, RSS_UNCHECKED, Tap, Server, build_dir, mailboxes, reset_db, sql

tap = Tap()
build = build_dir()
dbdir = os.environ["FAULTS_DB_DIR"]

def db(action):
    mariadb(action, dbdir)

def kill_db():
    mariadb_kill(dbdir)

def visible(addr):
    return [m for a, m in mailboxes() if a == addr]

def reply(f):
    """One complete SMTP reply from a socket file."""
    lines = []
    while True:
        line = f.readline()
        lines.append(line)
        if not line or line[3:4] != b"-":
            return b"".join(lines)

reset_db()
mx = Server(build + "/smtp-handler", {"INETMAIL_SMTP_MODE": "mx"})
pop = Server(build + "/pop3-handler", {"INETMAIL_POP3_LOCK_TTL": "3"})

# 1. The database is gone when a session starts.
kill_db()
with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as c:
    c.ehlo("x")
    c.mail("a@elsewhere.example")
    code, _ = c.rcpt("bob@example.com")
    tap.is_(code, 451, "database down at connect: RCPT gets 451")
p = poplib.POP3("127.0.0.1", pop.port, timeout=10)
p.user("bob@example.com")
try:
    p.pass_("bob pw")
    tap.ok(False, "database down at connect: POP3 login gets -ERR [SYS/TEMP]")
except poplib.error_proto as e:
    tap.ok(str(e).startswith("b'-ERR [SYS/TEMP]"), "database down at connect: POP3 login gets -ERR [SYS/TEMP]")
p.quit()
db("start")

# 2. Dropped in the middle of a session: 451, the session goes on, and recovers.
s = socket.create_connection(("127.0.0.1", mx.port), timeout=20)
f = s.makefile("rb")
reply(f)
for cmd in (b"EHLO x", b"MAIL FROM:<a@elsewhere.example>", b"RCPT TO:<bob@example.com>"):
    s.sendall(cmd + b"\r\n")
    reply(f)
kill_db()
s.sendall(b"DATA\r\n")
reply(f)
s.sendall(b"Subject: lost\r\n\r\nnever stored\r\n.\r\n")
tap.ok(reply(f).startswith(b"451 4.3.0"), "database dropped mid-session: 451 4.3.0 after the data")
s.sendall(b"NOOP\r\n")
tap.ok(reply(f).startswith(b"250"), "and the session goes on")
db("start")
for cmd in (b"MAIL FROM:<a@elsewhere.example>", b"RCPT TO:<bob@example.com>", b"DATA"):
    s.sendall(cmd + b"\r\n")
    reply(f)
s.sendall(b"Subject: kept\r\n\r\nstored after the database came back\r\n.\r\n")
tap.ok(reply(f).startswith(b"250 2.0.0"), "and once the database is back, the same session delivers")
s.sendall(b"QUIT\r\n")
s.close()
got = visible("bob@example.com")
tap.ok(len(got) == 1 and b"stored after the database came back" in got[0], "only the acknowledged message is there")

# 3. Dropped between the start of DATA and COMMIT, with content written ahead.
s = socket.create_connection(("127.0.0.1", mx.port), timeout=30)
f = s.makefile("rb")
reply(f)
for cmd in (b"EHLO x", b"MAIL FROM:<a@elsewhere.example>", b"RCPT TO:<bob@example.com>", b"DATA"):
    s.sendall(cmd + b"\r\n")
    reply(f)
line = b"x" * 78 + b"\r\n"
s.sendall(b"Subject: big\r\n\r\n" + line * 8000)   # 640 KB: two chunks written ahead
time.sleep(1)
kill_db()
s.sendall(line * 2000 + b".\r\n")
tap.ok(reply(f).startswith(b"451 4.3.0"), "database killed while a large message streams in: 451 4.3.0")
s.close()
db("start")
tap.is_(len(visible("bob@example.com")), 1, "nothing of it is visible")
tap.is_(sql("SELECT COUNT(*) FROM message WHERE refs > 0 AND id NOT IN (SELECT message_id FROM mailbox_entry)").strip(),
        "0", "no content claims entries it does not have")
subprocess.run([build + "/mailctl", "gc", "0"], check=True, capture_output=True)
tap.is_(sql("SELECT COUNT(*) FROM message WHERE refs = 0").strip(), "0", "mailctl gc removes what was written ahead")

# 4. POP3: the database dies mid-session; QUIT deletes nothing and says so.
p = poplib.POP3("127.0.0.1", pop.port, timeout=10)
p.user("bob@example.com")
p.pass_("bob pw")
p.dele(1)
kill_db()
try:
    p.quit()
    tap.ok(False, "database gone at QUIT: -ERR [SYS/TEMP]")
except poplib.error_proto as e:
    tap.ok(str(e).startswith("b'-ERR [SYS/TEMP]"), "database gone at QUIT: -ERR [SYS/TEMP]")
db("start")
tap.is_(len(visible("bob@example.com")), 1, "and the message is still there")
time.sleep(3.5)  # the lock of that session expires (INETMAIL_POP3_LOCK_TTL=3)

# 5. SIGKILL of mariadbd during 200 concurrent deliveries.
N = 200
outcome = {}
def deliver(i):
    body = b"Subject: durability %d\r\nMessage-ID: <d%d@test>\r\n\r\n" % (i, i) + (b"payload %d\r\n" % i) * 50
    time.sleep(i * 0.015)  # spread over three seconds, so the kill lands among them
    try:
        s = socket.create_connection(("127.0.0.1", mx.port), timeout=60)
        f = s.makefile("rb")
        reply(f)
        for cmd in (b"EHLO x", b"MAIL FROM:<a@elsewhere.example>", b"RCPT TO:<carol@example.com>", b"DATA"):
            s.sendall(cmd + b"\r\n")
            r = reply(f)
            if r[:1] not in (b"2", b"3"):
                outcome[i] = ("refused", body)
                return
        s.sendall(body + b".\r\n")
        r = reply(f)
        outcome[i] = ("acked" if r.startswith(b"250") else "refused" if r else "lost", body)
        s.close()
    except OSError:
        outcome[i] = ("lost" if i not in outcome else outcome[i][0], body)
threads = [threading.Thread(target=deliver, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
time.sleep(random.uniform(0.8, 1.8))
kill_db()
db("start")
for t in threads:
    t.join()
stored = {int(re.search(rb"Subject: durability (\d+)", m).group(1)): m for m in visible("carol@example.com")}
acked = [i for i, (o, _) in outcome.items() if o == "acked"]
refused = [i for i, (o, _) in outcome.items() if o == "refused"]
tap.ok(len(outcome) == N and acked and refused, "200 deliveries, mariadbd killed among them: %d acknowledged, %d refused, "
       "%d lost with the connection" % (len(acked), len(refused), N - len(acked) - len(refused)))
tap.ok(all(i in stored and stored[i].endswith(outcome[i][1]) for i in acked),
       "every acknowledged message is stored, byte-exact")
tap.ok(not [i for i in refused if i in stored], "no refused message is visible")
tap.is_(len(stored), len(set(stored)), "and none twice")

# 6. SIGKILL of handlers mid-DATA and mid-POP3-session.
before = len(visible("bob@example.com"))
s = socket.create_connection(("127.0.0.1", mx.port), timeout=10)
f = s.makefile("rb")
reply(f)
for cmd in (b"EHLO x", b"MAIL FROM:<a@elsewhere.example>", b"RCPT TO:<bob@example.com>", b"DATA"):
    s.sendall(cmd + b"\r\n")
    reply(f)
s.sendall(b"Subject: killed\r\n\r\n" + line * 5000)
time.sleep(0.5)
subprocess.run(["pkill", "-KILL", "-n", "-P", str(mx.proc.pid)])  # this test's own handler only
s.close()
tap.is_(len(visible("bob@example.com")), before, "smtp-handler killed mid-DATA: no partial message")
p = poplib.POP3("127.0.0.1", pop.port, timeout=10)
p.user("bob@example.com")
p.pass_("bob pw")
p.dele(1)
subprocess.run(["pkill", "-KILL", "-n", "-P", str(pop.proc.pid)])
p2 = poplib.POP3("127.0.0.1", pop.port, timeout=10)
p2.user("bob@example.com")
try:
    p2.pass_("bob pw")
    tap.ok(False, "right after the kill, the mailbox is still locked")
except poplib.error_proto as e:
    tap.ok(b"IN-USE" in str(e).encode(), "right after the kill, the mailbox is still locked")
time.sleep(3.5)
p2 = poplib.POP3("127.0.0.1", pop.port, timeout=10)
p2.user("bob@example.com")
p2.pass_("bob pw")
tap.is_(p2.stat()[0], before, "after the lock's expiry: a consistent mailbox, nothing deleted")
p2.quit()

# 7. Slow and hostile clients.
slow = Server(build + "/smtp-handler", {"INETMAIL_SMTP_MODE": "mx", "INETMAIL_SMTP_TIMEOUT": "2"})
s = socket.create_connection(("127.0.0.1", slow.port), timeout=20)
f = s.makefile("rb")
reply(f)
for b in b"EHLO one-byte-at-a-time\r\n":
    s.sendall(bytes([b]))
    time.sleep(0.05)
tap.ok(reply(f).startswith(b"250-"), "a client sending one octet at a time is served")
t0 = time.time()
tap.ok(reply(f).startswith(b"421 4.4.2") and time.time() - t0 < 10, "and cut off by the idle timeout when it stops")
s.close()
subprocess.run([build + "/t/store-bench", "fill", "alice@example.com", "1", str(8 << 20)], check=True)
rss_log = os.path.join(dbdir, "rss.log")
hostile = Server(build + "/pop3-handler", {"INETMAIL_POP3_TIMEOUT": "2"}, wrapper=[build + "/t/peak-rss"],
                 stderr=open(rss_log, "w"))
def ended():
    return open(rss_log).read().count("peak RSS")
time.sleep(0.5)
base = ended()  # Server() made a connection of its own to see it listen
s = socket.create_connection(("127.0.0.1", hostile.port), timeout=10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"USER alice@example.com\r\nPASS alice pw\r\nRETR 1\r\n")  # and never reads
t0 = time.time()
while time.time() - t0 < 15 and ended() == base:
    time.sleep(0.2)
tap.ok(ended() == base + 1 and 1.5 < time.time() - t0 < 10,
       "a client that never reads: the handler ends by its timeout (%.1f s)" % (time.time() - t0))
s.close()
s = socket.create_connection(("127.0.0.1", hostile.port), timeout=10)
s.sendall(b"USER alice@example.com\r\nPASS alice pw\r\nRETR 1\r\n")
s.recv(1000)
s.close()  # gone in the middle of the reply
t0 = time.time()
while time.time() - t0 < 15 and ended() < base + 2:
    time.sleep(0.2)
tap.ok(ended() == base + 2, "a client gone mid-reply: the handler ends")
peaks = [int(x) for x in re.findall(r"peak RSS (\d+) KiB", open(rss_log).read())]
if RSS_UNCHECKED:
    tap.skip("peak RSS of those handlers", RSS_UNCHECKED)
else:
    tap.ok(peaks and max(peaks) < 16 * 1024, "peak RSS of those handlers: %s KiB" % peaks)
tap.is_(len(visible("alice@example.com")), 1, "and nothing was deleted")

# 8. The database connect starts at the greeting, without blocking.
def db_sessions():
    return int(sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE db = '%s'" % os.environ["TESTDB"]))

def settled(more, seconds=5):
    """Whether the database's sessions for our schema come to more than, or
    (more=False) back down to, the count of before."""
    t0 = time.time()
    while time.time() - t0 < seconds and (db_sessions() > before) != more:
        time.sleep(0.02)
    return (db_sessions() > before) == more

before = db_sessions()
for name, srv, greeting in (("SMTP", mx, b"220 "), ("POP3", pop, b"+OK")):
    settled(False)  # the sessions before this one (and Server()'s probe) are gone
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    f = s.makefile("rb")
    tap.ok(f.readline().startswith(greeting), "%s: the greeting" % name)
    tap.ok(settled(True), "%s: the handler is connected to the database before the client says anything" % name)
    s.close()

# A database that accepts and never answers: the started connect gives up by
# its timeout, while the client is idle or while it waits for a reply.
silent_sock = os.path.join(dbdir, "silent.sock")
silent = socket.socket(socket.AF_UNIX)
silent.bind(silent_sock)
silent.listen(64)
silent_cnf = os.path.join(dbdir, "silent.cnf")
with open(silent_cnf, "w") as cnf:
    cnf.write("[inetmail]\nsocket=%s\nuser=nobody\nconnect-timeout=2\n" % silent_sock)
mute = Server(build + "/smtp-handler", {"INETMAIL_SMTP_MODE": "mx", "INETMAIL_MYCNF": silent_cnf})
for idle in (0, 3):
    with smtplib.SMTP("127.0.0.1", mute.port, timeout=20) as c:
        time.sleep(idle)
        c.ehlo("x")
        c.mail("a@elsewhere.example")
        t0 = time.time()
        code, _ = c.rcpt("bob@example.com")
        took = time.time() - t0
        tap.ok(code == 451 and took < (1 if idle else 4),
               "a silent database, client idle %d s after the greeting: RCPT gets %d in %.1f s" % (idle, code, took))
        c.mail("a@elsewhere.example")
silent.close()
for srv in (mx, pop, slow, hostile, mute):
    srv.stop()
tap.done()
