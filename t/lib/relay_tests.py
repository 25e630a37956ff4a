#!/usr/bin/env python3
"""inetmail-relay against real servers: run by t/relay.t in a network and
mount namespace of its own, where 127.0.0.1:53 is a dnsmasq serving the
test's MX records, 127.0.0.2:25 a second inetmail (the remote domains' MX)
and 127.0.0.2:587 the same as a smarthost with AUTH."""
import os, re, signal, smtplib, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import mariadb, mariadb_kill, Tap, Server, build_dir, journal_entries, journal_socket, mailboxes, reset_db, sql, test_ca

tap = Tap()

def db(action):
    mariadb(action, dbdir)

def kill_db():
    mariadb_kill(dbdir)
build = build_dir()
remote_db, remote_cnf, remote_sock = os.environ["REMOTE_DB"], os.environ["REMOTE_MYCNF"], os.environ["REMOTE_SOCK"]
dbdir = os.environ["RELAY_DB_DIR"]
tmp = tempfile.mkdtemp(prefix="relay-", dir=os.environ["INETMAIL_TEST_DIR"])

# The namespace's network and name service: loopback up, our DNS in resolv.conf.
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
hosts = os.path.join(tmp, "hosts")  # no name from the machine's own /etc/hosts leaks in
with open(hosts, "w") as f:
    f.write("127.0.0.1 localhost\n")
subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
os.makedirs("/run/systemd/journal")
# DKIM: this site's key, its record served by the DNS below.
os.environ["INETMAIL_DKIM_DIR"] = os.path.join(tmp, "dkim")
keygen = subprocess.run([build + "/mailctl", "dkim", "keygen", "example.com", "sel"], capture_output=True)
record = keygen.stdout.decode()
tap.ok(keygen.returncode == 0 and record.startswith('sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p='),
       "mailctl dkim keygen prints the TXT record")
key_file = os.path.join(tmp, "dkim", "sel._domainkey.example.com.key")
tap.is_(oct(os.stat(key_file).st_mode & 0o777) if os.path.exists(key_file) else None, "0o600", "the key file is 0600")
txt = ",".join(re.findall(r'"([^"]*)"', record))  # dnsmasq: the record's strings, comma-separated
journal = journal_socket()
journal_lines = []
def drain():  # a datagram socket holds only a few: every sender would block on a full one
    while True:
        journal_lines.extend(journal_entries(journal))
threading.Thread(target=drain, daemon=True).start()
dns = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--user=root",
                        "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53", "--local=/test/",
                        "--pid-file=" + os.path.join(tmp, "dnsmasq.pid"),
                        "--mx-host=remote.test,mx.remote.test,10", "--host-record=mx.remote.test,127.0.0.2",
                        "--host-record=nomx.test,127.0.0.2",               # no MX: its own address
                        "--dns-rr=nullmx.test,15,000000",                  # RFC 7505: "0 ."
                        "--mx-host=down.test,mx.down.test,10", "--host-record=mx.down.test,127.0.0.3",
                        "--mx-host=small.test,mx.small.test,10", "--host-record=mx.small.test,127.0.0.4",
                        "--mx-host=old.test,mx.old.test,10", "--host-record=mx.old.test,127.0.0.5",
                        "--mx-host=backup.test,mx.down.test,10", "--mx-host=backup.test,mx.remote.test,20",
                        "--txt-record=sel._domainkey.example.com," + txt],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.3)

# The remote site: its own database, domains remote.test and nomx.test.
def remote_ctl(*args, stdin=None):
    return subprocess.run([build + "/mailctl", "--scheme", "sha512crypt"] + list(args), input=stdin, capture_output=True,
                          env=dict(os.environ, INETMAIL_MYCNF=remote_cnf))
# alice@example.com: this site's account at the smarthost's provider
for addr in ("dave@remote.test", "erin@nomx.test", "alice@example.com", "jürgen@remote.test", "sam@small.test",
             "bo@backup.test"):
    remote_ctl("add", addr, stdin=b"remote pw\n")
ca, cert, key = test_ca(tmp, "mx.remote.test")
other = os.path.join(tmp, "other")
os.mkdir(other)
other_ca = test_ca(other, "mx.remote.test")[0]
remote_env = {"INETMAIL_MYCNF": remote_cnf, "INETMAIL_HOSTNAME": "mx.remote.test", "INETMAIL_DOMAIN": "remote.test",
              "INETMAIL_TLS_CERT": cert, "INETMAIL_TLS_KEY": key}
mx = Server(build + "/smtp-handler", dict(remote_env, INETMAIL_SMTP_MODE="mx", INETMAIL_SMTP_REJECT_UNKNOWN="1"),
            address="127.0.0.2", port=25)
smarthost = Server(build + "/smtp-handler", remote_env, address="127.0.0.2", port=587)
submissions = Server(build + "/smtp-handler", dict(remote_env, INETMAIL_TLS="implicit"), address="127.0.0.2", port=465)
small = Server(build + "/smtp-handler", dict(remote_env, INETMAIL_SMTP_MODE="mx", INETMAIL_SMTP_MAX_SIZE="2000"),
               address="127.0.0.4", port=25)

# This site: example.com, submission relaying through the agent.
reset_db()
sql("DELETE FROM relay_queue")
sub = Server(build + "/smtp-handler", {"INETMAIL_RELAY": "mx", "INETMAIL_PLAINTEXT_AUTH": "1"})

def send(rcpts, subject, body="Hello from example.com.\r\n"):
    msg = "From: alice@example.com\r\nSubject: %s\r\n\r\n%s" % (subject, body)
    with smtplib.SMTP("127.0.0.1", sub.port, timeout=60) as c:
        c.login("alice@example.com", "alice pw")
        return c.sendmail("alice@example.com", rcpts, msg)

def relay(env=None, once=True):
    full = dict(os.environ, INETMAIL_RELAY="mx")
    full.update(env or {})
    args = (["strace", "-f", "-s", "300", "-o", "/tmp/relay-strace.%d" % time.time()] if os.environ.get("RELAY_STRACE") else []) + [build + "/inetmail-relay"] + (["--once"] if once else [])
    if not once:
        return subprocess.Popen(args, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return subprocess.run(args, env=full, capture_output=True, timeout=60)

def queue():
    """[(id, recipient, attempts, last_answer, due now)]"""
    rows = sql("SELECT id, recipient, attempts, COALESCE(last_answer, ''), next_try_at <= NOW(6) FROM relay_queue ORDER BY id")
    return [tuple(r.split("\t")) for r in rows.splitlines()]

def remote_box(addr):
    return [m for a, m in mailboxes(remote_db, remote_sock) if a == addr]

def local_box(addr):
    return [m for a, m in mailboxes() if a == addr]

def relay_logs():
    """The agent's log lines since the last call."""
    time.sleep(0.6)
    lines = journal_lines[:]
    del journal_lines[:len(lines)]
    return [e for e in lines if e.get("SYSLOG_IDENTIFIER") == "inetmail-relay"]

def check_bounce(raw, *args):
    p = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "check-bounce.py")] + list(args),
                       input=raw, capture_output=True)
    if p.returncode:
        tap.diag(p.stdout.decode())
    return p.returncode == 0

# Direct delivery to the remote MX, a local recipient beside.
tap.is_(send(["dave@remote.test", "bob@example.com"], "to the world"), {}, "submission: a remote recipient is accepted")
tap.is_([r[1] for r in queue()], ["dave@remote.test"], "it waits in the queue; the local one is delivered")
relay_logs()
r = relay()
tap.is_(r.returncode, 0, "inetmail-relay --once exits 0" + (": " + r.stderr.decode() if r.returncode else ""))
tap.is_(queue(), [], "the queue is empty")
got, mine = remote_box("dave@remote.test"), local_box("bob@example.com")
tap.is_(len(got), 1, "the remote MX stored it for dave")
if not tap.ok(got and mine and got[0].endswith(mine[-1].split(b"\r\n", 1)[1]) and
              got[0].startswith(b"Return-Path: <alice@example.com>\r\nReceived: from mail.example.com"),
              "byte-exact: the remote's copy is ours (less our Return-Path:) under its Received: line"):
    tap.diag("remote: %r\nlocal: %r" % (got[:1], mine[-1:]))
tap.ok(got and b"TLS" in got[0].split(b"\r\n\r\n")[0], "sent over STARTTLS (the remote's Received: says so)")
head = got[0].split(b"\r\n\r\n")[0] if got else b""
tap.ok(b"\r\nDKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;" in head and
       re.search(rb"h=Date:Message-ID:From:Subject;", head.replace(b"\r\n\t", b"")) is not None,
       "DKIM-signed: rsa-sha256, relaxed/relaxed, d=example.com, s=sel, the message's own header fields")
v = subprocess.run(["dkimverify"], input=got[0] if got else b"", capture_output=True)
if not tap.ok(v.returncode == 0 and b"signature ok" in v.stdout, "dkimverify accepts it with the published record"):
    tap.diag((v.stdout + v.stderr).decode())

logs = relay_logs()
sent = [e["MESSAGE"] for e in logs if e.get("INETMAIL_RESULT") == "sent"]
tap.ok(len(sent) == 1 and "to=<dave@remote.test>" in sent[0] and "relay=mx.remote.test[127.0.0.2]" in sent[0] and
       "tls=TLS" in sent[0] and "answer=250 " in sent[0], "one log line: queue id, recipient, remote host, TLS, answer")
if not sent:
    tap.diag(repr(logs))
tap.is_(int(sql("SELECT COUNT(*) FROM message WHERE refs = 0")), 0, "no content left without a reference")

# No MX: the domain's own address.
send(["erin@nomx.test"], "no mx")
relay()
tap.is_(len(remote_box("erin@nomx.test")), 1, "a domain without MX gets it at its address record")

# Refused for good: a bounce at once, with the remote's answer.
before = len(local_box("alice@example.com"))
send(["nobody@remote.test", "dave@remote.test"], "half refused")
relay()
bounces = local_box("alice@example.com")[before:]
tap.is_(len(bounces), 1, "550 from the remote: one bounce to the sender")
tap.ok(bounces and check_bounce(bounces[0], "--refused", "nobody@remote.test", "--subject", "half refused"),
       "it is the seed's bounce, naming the remote and its answer")
tap.ok(bounces and b"Remote-MTA: dns; mx.remote.test" in bounces[0] and b"Diagnostic-Code: smtp; 550" in bounces[0],
       "Remote-MTA and Diagnostic-Code are the remote's")
tap.is_(len(remote_box("dave@remote.test")), 2, "the other recipient of that message got it")
tap.is_(queue(), [], "nothing waits")

# SMTPUTF8 and 8-bit content: an address that needs it, a body that has it.
with smtplib.SMTP("127.0.0.1", sub.port, timeout=60) as c:
    c.login("alice@example.com", "alice pw")
    c.sendmail("alice@example.com", ["jürgen@remote.test"],
               "From: alice@example.com\r\nSubject: utf8\r\n\r\nGrüße aus example.com\r\n".encode(),
               mail_options=["SMTPUTF8", "BODY=8BITMIME"])
relay()
got = remote_box("jürgen@remote.test")
tap.ok(len(got) == 1 and got[0].endswith("\r\n\r\nGrüße aus example.com\r\n".encode()),
       "an address in UTF-8 and an 8-bit body: sent with SMTPUTF8, arrived intact")

# An old server: no EHLO (502), so HELO, and no PIPELINING: each command waits for its reply.
import socket
def old_server(listener, log):
    """Commands as (line, early): early when it came before the reply to the one before."""
    conn, _ = listener.accept()
    conn.settimeout(30)
    def say(line):
        conn.sendall(line.encode() + b"\r\n")
    say("220 mx.old.test old SMTP")
    buf, data = b"", None
    while True:
        if b"\r\n" not in buf:
            more = conn.recv(65536)
            if not more:
                break
            buf += more
            continue
        line, buf = buf.split(b"\r\n", 1)
        if data is not None:
            if line == b".":
                log.append(("BODY", data))
                data = None
                say("250 ok: queued")
            else:
                data += line + b"\r\n"
            continue
        log.append((line.decode(), b"\r\n" in buf))  # more waiting before this reply: pipelined
        verb = line[:4].upper()
        if verb == b"EHLO":
            say("502 5.5.1 command not recognized")
        elif verb == b"DATA":
            data = b""
            say("354 go ahead")
        elif verb == b"QUIT":
            say("221 bye")
            break
        else:
            say("250 ok")
    conn.close()
old_listener = socket.socket()
old_listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
old_listener.bind(("127.0.0.5", 25))
old_listener.listen()
old_log = []
old_thread = threading.Thread(target=old_server, args=(old_listener, old_log), daemon=True)
old_thread.start()
send(["ann@old.test", "ben@old.test"], "to an old server")
relay()
old_thread.join(10)
commands = [c for c, early in old_log if c != "BODY"]
tap.ok([c.split(" ")[0] for c in commands] == ["EHLO", "HELO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"],
       "EHLO refused: HELO, then one transaction for both recipients (%r)" % commands)
tap.ok(not any(early for c, early in old_log if c != "BODY"), "without PIPELINING, no command before the last reply")
tap.ok(commands[2:3] == ["MAIL FROM:<alice@example.com>"], "and no ESMTP parameters to a server that has none")
body = [d for c, d in old_log if c == "BODY"]
tap.ok(body and body[0].endswith(b"Subject: to an old server\r\n\r\nHello from example.com.\r\n"), "the message went")
tap.is_(queue(), [], "both recipients done")

# Larger than the server's SIZE: bounced before anything is sent.
before = len(local_box("alice@example.com"))
send(["sam@small.test"], "too big", "x" * 3000 + "\r\n")
relay()
bounces = local_box("alice@example.com")[before:]
tap.ok(len(bounces) == 1 and b"Status: 5.3.4" in bounces[0] and b"SIZE 2000" in bounces[0],
       "larger than the server's SIZE: a bounce (5.3.4), the limit named")
tap.is_(remote_box("sam@small.test"), [], "and nothing was sent")

# Null MX and a domain that does not exist: bounced, nothing sent.
for domain, status in (("nullmx.test", b"5.1.10"), ("gone.test", b"5.1.2")):
    before = len(local_box("alice@example.com"))
    send(["x@" + domain], "to " + domain)
    relay()
    bounces = local_box("alice@example.com")[before:]
    tap.ok(len(bounces) == 1 and check_bounce(bounces[0], "--unreachable", "x@" + domain) and
           b"Status: " + status in bounces[0], "%s: bounced at once (%s)" % (domain, status.decode()))
tap.is_(queue(), [], "nothing waits")

# A temporary failure, then success: delivered once.
remote_ctl("quota", "dave@remote.test", "10")
send(["dave@remote.test"], "temporarily refused")
relay()
q = queue()
if not tap.ok(len(q) == 1 and q[0][2] == "1" and q[0][3].startswith("452 4.2.2") and q[0][4] == "0",
              "452 from the remote: kept, one attempt, its answer, a later try"):
    tap.diag(repr(q) + repr([e["MESSAGE"] for e in relay_logs()]))
remote_ctl("quota", "dave@remote.test", "none")
relay()
tap.is_(len(queue()), 1, "not tried again before its time")
subprocess.run([build + "/mailctl", "queue", "flush"], capture_output=True)
relay()
tap.is_(queue(), [], "after mailctl queue flush: delivered")
tap.is_(sum(b"Subject: temporarily refused" in m for m in remote_box("dave@remote.test")), 1, "exactly once")

# MX hosts in order of preference: the first down, the second takes it.
send(["bo@backup.test"], "to the backup")
relay()
tap.is_(len(remote_box("bo@backup.test")), 1, "the first MX refuses connections: the second (preference 20) has it")
tap.is_(queue(), [], "nothing waits")

# A host that does not answer: kept for later, each wait twice the last; after INETMAIL_RELAY_MAX_AGE a bounce.
send(["x@down.test"], "down")
relay()
q = queue()
tap.ok(len(q) == 1 and q[0][4] == "0" and "127.0.0.3" in q[0][3], "connection refused: deferred, the reason kept")
wait = lambda: int(sql("SELECT TIMESTAMPDIFF(SECOND, NOW(6), next_try_at) FROM relay_queue"))
first = wait()
subprocess.run([build + "/mailctl", "queue", "flush"], capture_output=True)
relay()
second = wait()
tap.ok(290 <= first <= 300 and 590 <= second <= 600, "retried after 5 minutes, then 10 (%d s, %d s)" % (first, second))
subprocess.run([build + "/mailctl", "queue", "flush"], capture_output=True)
before = len(local_box("alice@example.com"))
relay({"INETMAIL_RELAY_MAX_AGE": "0"})
bounces = local_box("alice@example.com")[before:]
tap.ok(len(bounces) == 1 and check_bounce(bounces[0], "--unreachable", "x@down.test") and b"Status: 5.4.7" in bounces[0],
       "past INETMAIL_RELAY_MAX_AGE: a bounce (5.4.7)")
tap.is_(queue(), [], "and the row is gone")

# The smarthost: STARTTLS verified against INETMAIL_RELAY_CA, AUTH from a file.
auth = os.path.join(tmp, "auth")
with open(auth, "w") as f:
    f.write("alice@example.com:remote pw\n")
os.chmod(auth, 0o600)
smart = {"INETMAIL_RELAY": "smarthost", "INETMAIL_RELAY_HOST": "mx.remote.test:587", "INETMAIL_RELAY_AUTH_FILE": auth}
send(["dave@remote.test"], "through the smarthost")
relay_logs()
relay(dict(smart, INETMAIL_RELAY_CA=other_ca))
q = queue()
tap.ok(len(q) == 1 and "not verified" in q[0][3], "a certificate that does not verify: not sent, kept")
tap.ok(any("not verified" in e["MESSAGE"] and e.get("INETMAIL_RESULT") == "deferred" for e in relay_logs()),
       "and logged")
subprocess.run([build + "/mailctl", "queue", "flush"], capture_output=True)
r = relay(dict(smart, INETMAIL_RELAY_CA=ca))
tap.is_(queue(), [], "verified against INETMAIL_RELAY_CA: sent")
got = [m for m in remote_box("dave@remote.test") if b"through the smarthost" in m]
if not tap.ok(len(got) == 1 and b"ESMTPSA" in got[0].split(b"\r\n\r\n")[0], "the smarthost took it authenticated over TLS"):
    tap.diag(repr(got) + repr([e["MESSAGE"] for e in relay_logs()]))
import base64
secrets = ("remote pw", base64.b64encode(b"\0alice@example.com\0remote pw").decode())
tap.ok(not any(x in repr(relay_logs()) + repr(queue()) for x in secrets), "the password is in no log line, nor the queue")

# Port 465: TLS from the first octet (RFC 8314).
send(["dave@remote.test"], "over implicit TLS")
relay(dict(smart, INETMAIL_RELAY_HOST="mx.remote.test:465", INETMAIL_RELAY_CA=ca))
tap.is_(queue(), [], "a smarthost on port 465: sent")
got = [m for m in remote_box("dave@remote.test") if b"over implicit TLS" in m]
tap.ok(len(got) == 1 and b"ESMTPSA" in got[0].split(b"\r\n\r\n")[0] and b"TLS" in got[0].split(b"\r\n\r\n")[0],
       "over implicit TLS, authenticated")

# No AUTH without TLS, whatever the policy says.
send(["dave@remote.test"], "no tls")
relay(dict(smart, INETMAIL_RELAY_TLS="none"))
q = queue()
tap.ok(len(q) == 1 and "not authenticating without TLS" in q[0][3], "INETMAIL_RELAY_TLS=none with credentials: not sent, kept")
r = subprocess.run([build + "/mailctl", "queue", "del", q[0][0] if q else "0"], capture_output=True)
tap.ok(r.returncode == 0 and queue() == [], "mailctl queue del takes it out (with a bounce to its sender)")

# INETMAIL_RELAY_TLS=none to an MX: plain SMTP, and the log says so.
send(["dave@remote.test"], "in the clear")
relay_logs()
relay({"INETMAIL_RELAY_TLS": "none"})
got = [m for m in remote_box("dave@remote.test") if b"in the clear" in m]
tap.ok(len(got) == 1 and b"TLS" not in got[0].split(b"\r\n\r\n")[0], "INETMAIL_RELAY_TLS=none: sent without STARTTLS")
tap.ok(any("tls=none status=sent" in e["MESSAGE"] for e in relay_logs()), "logged as tls=none")

# Two agents on one queue: every message once.
before = len(remote_box("dave@remote.test"))
for i in range(20):
    send(["dave@remote.test"], "pair %d" % i)
agents = [relay(once=False, env={"INETMAIL_RELAY_POLL": "1"}) for _ in range(2)]
deadline = time.time() + 120
while queue() and time.time() < deadline:
    time.sleep(0.2)
for a in agents:
    a.send_signal(signal.SIGTERM)
rcs = [a.wait(timeout=60) for a in agents]
tap.is_(rcs, [0, 0], "SIGTERM: both agents exit 0")
got = [m for m in remote_box("dave@remote.test")[before:]]
subjects = sorted(l for m in got for l in m.split(b"\r\n") if l.startswith(b"Subject: pair"))
tap.is_(len(got), 20, "two agents at once: 20 messages arrived")
tap.is_(len(set(subjects)), 20, "each once")

# SIGKILL in the middle of a large message: it is delivered after the lease lapses, at most twice.
big = "".join("%08d the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmn\r\n" % i
              for i in range(30 * 1024 * 1024 // 80))
before = len(remote_box("dave@remote.test"))
def agent_mid_delivery(subject):
    """An agent started on a large message, 0.3 s after it claimed it."""
    send(["dave@remote.test"], subject, big)
    agent = relay(once=False)
    deadline = time.time() + 30
    while time.time() < deadline and sql("SELECT COUNT(*) FROM relay_queue WHERE lease_owner IS NOT NULL").strip() != "1":
        time.sleep(0.05)
    time.sleep(0.3)
    return agent
agent = agent_mid_delivery("killed")
agent.kill()
agent.wait()
tap.is_(len([m for m in remote_box("dave@remote.test")[before:] if b"Subject: killed" in m]), 0,
        "SIGKILLed after its claim, before the remote took the message")
tap.is_(len(queue()), 1, "the row stays, leased to the dead agent")
sql("UPDATE relay_queue SET lease_expires_at = NOW(6) - INTERVAL 1 SECOND")  # the lease's time passes
relay()
got = [m for m in remote_box("dave@remote.test")[before:] if b"Subject: killed" in m]
tap.ok(1 <= len(got) <= 2, "delivered after the lease lapsed (%d copies: at most one duplicate)" % len(got))
tap.ok(got and got[-1].endswith(big.encode()), "the copy that arrived is whole")
tap.is_(queue(), [], "and the queue is empty")

# SIGTERM in the middle of a large message: the delivery is finished, then the agent exits.
before = len(remote_box("dave@remote.test"))
agent = agent_mid_delivery("terminated")
agent.send_signal(signal.SIGTERM)
tap.is_(agent.wait(timeout=120), 0, "SIGTERM mid-delivery: the agent exits 0")
tap.is_(queue(), [], "after recording the delivery")
got = [m for m in remote_box("dave@remote.test")[before:] if b"Subject: terminated" in m]
tap.ok(len(got) == 1 and got[0].endswith(big.encode()), "which arrived once, whole")

# The database killed while an agent delivers: nothing lost, at most one duplicate.
before = len(remote_box("dave@remote.test"))
for i in range(5):
    send(["dave@remote.test"], "db killed %d" % i, big if i == 0 else "Hello.\r\n")
agent = relay(once=False, env={"INETMAIL_RELAY_POLL": "1"})
deadline = time.time() + 30
while time.time() < deadline and sql("SELECT COUNT(*) FROM relay_queue WHERE lease_owner IS NOT NULL").strip() == "0":
    time.sleep(0.05)
time.sleep(0.2)
kill_db()
time.sleep(2)
tap.ok(agent.poll() is None, "the agent lives on while the database is down")
db("start")
sql("UPDATE relay_queue SET lease_expires_at = NOW(6) - INTERVAL 1 SECOND WHERE lease_owner IS NOT NULL")
deadline = time.time() + 120
while queue() and time.time() < deadline:
    time.sleep(0.3)
agent.send_signal(signal.SIGTERM)
rc = agent.wait(timeout=60)
tap.is_(queue(), [], "after the restart the queue empties")
got = remote_box("dave@remote.test")[before:]
counts = [sum(b"Subject: db killed %d\r\n" % i in m for m in got) for i in range(5)]
tap.ok(all(1 <= n <= 2 for n in counts) and sum(counts) <= 6, "every message arrived, at most one twice: %r" % counts)
tap.is_(rc, 0, "SIGTERM after it: the agent exits 0")
tap.is_(int(sql("SELECT COUNT(*) FROM message WHERE refs = 0")), 0, "no content left without a reference")

# No open relay: with INETMAIL_RELAY=mx, the MX service and an unauthenticated submission still refuse.
local_mx = Server(build + "/smtp-handler", {"INETMAIL_RELAY": "mx", "INETMAIL_SMTP_MODE": "mx"})
p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(local_mx.port), "--from", "spammer@remote.test",
                    "--to", "victim@remote.test", "--quit-after", "RCPT"], capture_output=True)
tap.ok(b"<** 554 5.7.1" in p.stdout and b"Relay access denied" in p.stdout, "swaks through the MX service: 554 5.7.1 Relay access denied")
for port, what in ((local_mx.port, "the MX service"), (sub.port, "submission without AUTH")):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
        c.ehlo("open-relay-check.example")
        code, _ = c.mail("alice@example.com")
        if code == 250:
            code, text = c.rcpt("victim@remote.test")
            tap.ok(code == 554 and b"5.7.1" in text, "smtplib through %s: RCPT refused (%d)" % (what, code))
        else:
            tap.ok(code == 530, "smtplib through %s: MAIL refused until AUTH (%d)" % (what, code))
tap.is_(queue(), [], "nothing was queued")

dns.terminate()
tap.done()
