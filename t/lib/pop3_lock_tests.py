#!/usr/bin/env python3
"""t/pop3-lock.t: every way a logged-in POP3 session can end leaves no lock
behind; the lock outlives a slow RETR; QUIT deletes nothing once it is lost.
Handlers behind systemd-socket-activate, their journal caught (t/lib/journal.sh)."""
import os, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Server, Tap, build_dir, journal_entries, journal_socket, reset_db, sql, wait_until

tap = Tap()
reset_db()
journal = journal_socket()
BIG = 20 << 20  # a message that takes a while to stream


def deliver(size, subject):
    body = b"Subject: %s\r\n\r\n" % subject.encode() + b"x" * 998 + b"\r\n"
    msg = body * (size // len(body) + 1)
    subprocess.run([build_dir() + "/t/store-deliver", "", "alice@example.com"], input=msg, check=True)


def locks():
    return int(sql("SELECT COUNT(*) FROM maildrop_lock").strip())


def messages():
    return int(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id"
                   " WHERE a.address = 'alice@example.com'").strip())


def login(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"USER alice@example.com\r\nPASS alice pw\r\n")
    f.readline()
    return s, f, f.readline()


summaries = []


def result():
    """The result of the last session summary in the journal."""
    summaries.extend(e for e in journal_entries(journal) if " after " in e.get("MESSAGE", ""))
    return summaries[-1].get("INETMAIL_RESULT") if summaries else None


deliver(1000, "small")
deliver(BIG, "big")
pop3 = build_dir() + "/pop3-handler"
short = Server(pop3, env={"INETMAIL_POP3_LOCK_TTL": "3", "INETMAIL_POP3_TIMEOUT": "3"})
patient = Server(pop3, env={"INETMAIL_POP3_LOCK_TTL": "3", "INETMAIL_POP3_TIMEOUT": "60"})

# Every way to end after login: the lock is gone at once, not after its TTL.
s, f, ok = login(short.port)
tap.ok(ok.startswith(b"+OK") and locks() == 1, "logged in: the maildrop is locked")
s.sendall(b"BOGUS\r\n" * 20)
tap.ok(wait_until(lambda: locks() == 0, 2), "20 bad commands (-ERR Too many errors): the lock is released")
tap.ok(wait_until(lambda: result() == "errors", 2), "logged as result=errors")
s.close()

s, f, ok = login(short.port)
s.sendall(b"RETR 2\r\n")
got = 0
while got < 100000:
    got += len(s.recv(65536))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # a reset, not a close
s.close()
tap.ok(wait_until(lambda: locks() == 0, 5), "a client that resets the connection after 100 kB of a RETR: released")
tap.ok(wait_until(lambda: result() in ("read-failed", "write-error"), 2),
       "logged as the failed write it was (%s)" % result())

s, f, ok = login(short.port)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"RETR 2\r\n")  # and never read
t0 = time.time()
tap.ok(wait_until(lambda: locks() == 0, 15), "a client that stops reading mid-RETR: released at the write timeout"
       " (%.1f s, INETMAIL_POP3_TIMEOUT=3)" % (time.time() - t0))
s.close()

s, f, ok = login(short.port)
t0 = time.time()
tap.is_(f.readline().strip(), b"-ERR Disconnected for inactivity", "an idle client is disconnected")
tap.ok(wait_until(lambda: locks() == 0, 2), "and its lock released (after %.1f s)" % (time.time() - t0))
tap.ok(wait_until(lambda: result() == "timeout", 2), "logged as result=timeout")

s, f, ok = login(short.port)
tap.ok(ok.startswith(b"+OK"), "logged in again")
f.close()  # the file holds the socket open too
s.close()
tap.ok(wait_until(lambda: locks() == 0, 2), "a client that just closes: released")

tap.ok(wait_until(lambda: result() == "eof", 2), "logged as result=eof")

# A and B, the lock's TTL 3 s: A pipelines RETR, DELE, QUIT of the big one and does not read.
a, fa, ok = login(patient.port)
a.sendall(b"RETR 2\r\nDELE 2\r\nQUIT\r\n")
time.sleep(8)
b, fb, answer = login(patient.port)
tap.ok(answer.startswith(b"-ERR [IN-USE]"), "8 s into A's unread RETR (TTL 3 s), B still finds the maildrop in use")
b.close()
data = b""
while not data.endswith(b"\r\n") or b"+OK Bye" not in data[-100:] and b"-ERR" not in data[-100:]:
    chunk = a.recv(1 << 20)
    if not chunk:
        break
    data += chunk
tap.ok(data.endswith(b"+OK Bye, 1 message deleted\r\n"), "A reads it all, and its QUIT deletes it")
tap.is_(messages(), 1, "the big one is gone, the small one stays")
a.close()
deliver(1000, "another")

# The lock taken from under a session (as after an expiry): its QUIT deletes nothing.
long_ttl = Server(pop3, env={"INETMAIL_POP3_LOCK_TTL": "60", "INETMAIL_POP3_TIMEOUT": "60"})
a, fa, ok = login(long_ttl.port)
a.sendall(b"DELE 1\r\n")
fa.readline()
sql("UPDATE maildrop_lock SET owner = 'another session', expires_at = NOW(6) + INTERVAL 60 SECOND")
a.sendall(b"QUIT\r\n")
tap.is_(fa.readline().strip(), b"-ERR [SYS/TEMP] Temporary failure, please try again later",
        "QUIT once another session has the lock: -ERR [SYS/TEMP]")
tap.is_(messages(), 2, "and nothing deleted")
tap.is_(sql("SELECT owner FROM maildrop_lock").strip(), "another session", "the other session's lock stays")
sql("DELETE FROM maildrop_lock")
a.close()

# With a short TTL the renewal notices first: the session ends, nothing deleted.
a, fa, ok = login(patient.port)
a.sendall(b"DELE 1\r\n")
fa.readline()
sql("UPDATE maildrop_lock SET owner = 'another session', expires_at = NOW(6) + INTERVAL 60 SECOND")
tap.is_(fa.readline(), b"", "a session whose lock was taken ends at its next renewal (TTL 3 s: within 1 s)")
tap.ok(wait_until(lambda: result() == "lock-lost", 2), "logged as result=lock-lost")
tap.is_(messages(), 2, "nothing deleted")
sql("DELETE FROM maildrop_lock")
tap.done()
