#!/usr/bin/env python3
"""make fuzz, over the wire: the session files of t/smtp, t/pop3 and t/imap, mutated
(lines dropped, doubled, swapped, commands inserted, octets flipped, cut
short), sent in random pieces over real sockets through systemd-socket-activate
to the sanitized handlers, several at once, ended by QUIT, close, reset or
silence, for SECONDS. Afterwards, with every handler gone: no sanitizer
report, and the store consistent (testlib.CONSISTENCY: no lock row, no queue
lease, no half-stored message, refs and used_bytes matching the rows)."""
import base64, os, random, select, socket, subprocess, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../lib"))
from testlib import Server, build_dir, reset_db, sql, store_problems

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SECONDS = float(sys.argv[1])
WORKERS = 4          # sessions at once: the lock and the queue see contention
REPLY_WAIT_S = 10    # a handler answers within its 2 s timeout and 1 s linger
build = build_dir()
reports = os.path.join(os.environ["INETMAIL_TEST_DIR"], "wire-sanitizer")
os.makedirs(reports, exist_ok=True)
os.environ["ASAN_OPTIONS"] = "log_path=%s/asan:detect_leaks=1" % reports
os.environ["UBSAN_OPTIONS"] = "log_path=%s/ubsan:print_stacktrace=1:halt_on_error=1" % reports

reset_db()
# Each worker's POP3 sessions are its own account's alone: a lock row that
# outlives its session (a leak, masked later by the next session's takeover)
# shows as a row still there once that session's handler must have ended.
ACCOUNTS = ["w%d@example.com" % i for i in range(WORKERS)]
for a in ACCOUNTS:
    subprocess.run([build + "/mailctl", "--scheme", "sha512crypt", "add", a], input=a.split("@")[0].encode() + b" pw\n",
                   capture_output=True, check=True)
HANDLER_END_S = 6    # after the client left: 2 s write timeout, 1 s linger, with room
common = {"INETMAIL_PLAINTEXT_AUTH": "1", "INETMAIL_SMTP_TIMEOUT": "2", "INETMAIL_POP3_TIMEOUT": "2", "INETMAIL_IMAP_TIMEOUT": "2",
          "INETMAIL_POP3_LOCK_TTL": "3", "INETMAIL_AUTH_PENALTY": "0"}
servers = {
    "submission": Server(build + "/smtp-handler", dict(common, INETMAIL_RELAY="smarthost")),
    "mx": Server(build + "/smtp-handler", dict(common, INETMAIL_SMTP_MODE="mx")),
    "pop3": Server(build + "/pop3-handler", common),
    "pop3-immediate": Server(build + "/pop3-handler", dict(common, INETMAIL_POP3_DELETE="immediate")),
    "imap": Server(build + "/imap-handler", common),
}


def seeds(directory):
    return [open(os.path.join(directory, f), "rb").read() for f in sorted(os.listdir(directory))
            if f.endswith(".session")], sorted(f for f in os.listdir(directory) if f.endswith(".session"))


smtp_seeds, smtp_names = seeds(os.path.join(TOP, "t/smtp"))
pop3_seeds, _ = seeds(os.path.join(TOP, "t/pop3"))
imap_seeds, _ = seeds(os.path.join(TOP, "t/imap"))
mail = [open(os.path.join(TOP, "t/pop3/fill", f), "rb").read() for f in sorted(os.listdir(os.path.join(TOP, "t/pop3/fill")))]
WORDS = [b"QUIT", b"RSET", b"NOOP", b"DATA", b".", b"..", b"", b"STARTTLS", b"STLS", b"HELP", b"RETR 1", b"RETR 2",
         b"TOP 1 0", b"DELE 1", b"DELE 2", b"LIST", b"UIDL", b"STAT", b"CAPA", b"USER alice@example.com",
         b"PASS alice pw", b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3", b"AUTH LOGIN", b"EHLO x", b"HELO x",
         b"MAIL FROM:<alice@example.com>", b"MAIL FROM:<>", b"RCPT TO:<bob@example.com>",
         b"RCPT TO:<someone@elsewhere.example>", b"RCPT TO:<nobody@example.com>", b"BDAT 10 LAST", b"\x00", b"\xff" * 8]


def mutate(rng, data):
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(10)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:
            del lines[i]
        elif op == 1 and lines:
            lines.insert(i, lines[i])
        elif op == 2 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines.insert(i, rng.choice(WORDS) + b"\r")
        elif op == 4 and lines and lines[i]:
            b = bytearray(lines[i])
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            lines[i] = bytes(b)
        elif op == 5:
            lines.insert(i, bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))))
        elif op == 6 and lines:
            lines[i] = lines[i].rstrip(b"\r")  # a bare LF
        elif op == 7:
            lines.insert(i, b"X" * rng.choice((300, 1100, 20000)) + b"\r")
        elif op == 8:
            lines = lines[:i]  # cut short
        elif op == 9:
            lines.insert(i, b"\r\n".join([b"XYZZY"] * rng.randint(15, 25)) + b"\r")  # towards the error limit
    return b"\n".join(lines)


def as_account(data, account):
    """A POP3 or IMAP session of alice's, made account's."""
    plain = lambda a: base64.b64encode(b"\0" + a + b"\0" + a.split(b"@")[0] + b" pw")
    alice, who = b"alice@example.com", account.encode()
    user = who.split(b"@")[0]
    return (data.replace(plain(alice), plain(who)).replace(b"PASS alice pw", b"PASS " + user + b" pw")
            .replace(b'"alice pw"', b'"' + user + b' pw"').replace(alice, who))


def lock_left(account):
    """Whether account's lock row is still there HANDLER_END_S after its session's client left."""
    end = time.time() + HANDLER_END_S
    query = "SELECT COUNT(*) FROM maildrop_lock l JOIN account a ON a.id = l.account_id WHERE a.address = '%s'" % account
    while time.time() < end:
        if sql(query).strip() == "0":
            return False
        time.sleep(0.1)
    return True


def session(rng, port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=REPLY_WAIT_S)
    got = 0
    try:
        pieces = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 4)))) if len(data) > 1 else []
        start = 0
        for end in pieces + [len(data)]:
            s.sendall(data[start:end])
            start = end
            time.sleep(rng.choice((0, 0, 0.01, 0.05)))
            while select.select([s], [], [], 0)[0]:
                chunk = s.recv(1 << 16)
                if not chunk:
                    return got
                got += len(chunk)
        how = rng.randrange(10)
        if how < 2:  # a reset
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            return got
        if how < 3:  # silence, then gone
            time.sleep(rng.uniform(0, 3))
            return got
        s.shutdown(socket.SHUT_WR)
        end_by = time.time() + REPLY_WAIT_S
        while time.time() < end_by and select.select([s], [], [], end_by - time.time())[0]:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += len(chunk)
        return got
    except OSError:
        return got
    finally:
        s.close()


stats = {"sessions": 0, "octets_in": 0, "lock_leaks": 0}
lock = threading.Lock()
deadline = time.time() + SECONDS


def worker(n):
    rng = random.Random(n * 7919 + int(time.time()))
    while time.time() < deadline:
        pick = rng.random()
        if pick < 0.4:
            k = rng.randrange(len(smtp_seeds))
            port = servers["mx" if "mx" in smtp_names[k] else "submission"].port
            data = mutate(rng, smtp_seeds[k])
        elif pick < 0.7:
            port = servers["imap"].port
            data = as_account(mutate(rng, rng.choice(imap_seeds)), ACCOUNTS[n])
        else:
            port = servers[rng.choice(("pop3", "pop3-immediate"))].port
            data = as_account(mutate(rng, rng.choice(pop3_seeds)), ACCOUNTS[n])
        got = session(rng, port, data)
        leak = port in (servers["pop3"].port, servers["pop3-immediate"].port) and lock_left(ACCOUNTS[n])
        if leak:  # kept for whoever reproduces it
            with open(os.path.join(reports, "lock-leak-%d-%d" % (n, stats["sessions"])), "wb") as f:
                f.write(data)
            sql("DELETE l FROM maildrop_lock l JOIN account a ON a.id = l.account_id WHERE a.address = '%s'"
                % ACCOUNTS[n])
        with lock:
            stats["sessions"] += 1
            stats["octets_in"] += got
            stats["lock_leaks"] += leak


def refill():
    while time.time() < deadline:
        for addr in ["alice@example.com", "bob@example.com"] + ACCOUNTS:
            subprocess.run([build + "/t/store-deliver", "", addr], input=random.choice(mail), capture_output=True)
        time.sleep(1)


threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)] + [threading.Thread(target=refill)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for srv in servers.values():
    srv.stop()


def handlers_running():
    n = 0
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink("/proc/%s/exe" % pid).startswith(os.path.realpath(build) + "/"):
                n += 1
        except OSError:
            pass
    return n


end_by = time.time() + 30
while handlers_running() and time.time() < end_by:
    time.sleep(0.2)
left = handlers_running()
problems = store_problems()
found = sorted(os.listdir(reports))
print("wire: %d sessions in %.0f s, %d octets of replies; %d handlers still running; store: %s; lock rows that outlived"
      " their session: %d; sanitizer reports: %s" % (stats["sessions"], SECONDS, stats["octets_in"], left,
                                                     problems or "consistent", stats["lock_leaks"], found or "none"))
for f in found[:3]:
    print("== %s\n%r" % (f, open(os.path.join(reports, f), "rb").read()[:3000]))
sys.exit(1 if left or problems or found or not stats["sessions"] else 0)
