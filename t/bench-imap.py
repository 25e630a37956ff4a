#!/usr/bin/env python3
"""make bench, IMAP: imap-handler against a private Dovecot IMAP on one
10,000-message mailbox (the same Maildir imported into each), same client,
same machine. Per operation: wall time, and the server side's CPU (the
machine's CPU time minus this client's) at concurrency 1 and 8; memory (PSS)
of one session's process after SELECT.

usage: bench-imap.py WORKDIR   (INETMAIL_MYCNF: the database run-bench made)"""
import os, pwd, re, shutil, signal, socket, statistics, subprocess, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from dovecot_conf import dovecot_conf
from testlib import Server, build_dir, free_port

N = int(os.environ.get("IMAP_MESSAGES", "10000"))
REPS = int(os.environ.get("IMAP_REPS", "5"))
USER, PASSWORD = "imap@bench.test", "pw"
OPS = ["login+SELECT+UID FETCH 1:* (FLAGS)", "FETCH 1:200 (ENVELOPE BODYSTRUCTURE)", "FETCH 1:200 BODY.PEEK[]"]
work = sys.argv[1]
os.makedirs(work, exist_ok=True)

def make_maildir(top):
    """Messages of the usual shapes: plain, multipart/alternative, one with an attachment; half of them \\Seen."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
    for i in range(N):
        text = "".join("line %d of message %d, written to make it about two kilobytes long.\r\n" % (k, i) for k in range(24))
        head = ("From: Bob Sender <bob@example.com>\r\nTo: Alice <alice@bench.test>\r\nCc: carol@example.org\r\n"
                "Subject: message %d about =?utf-8?q?caf=C3=A9?=\r\nDate: Mon, 7 Dec 2026 10:%02d:00 +0000\r\n"
                "Message-ID: <%d@example.com>\r\nMIME-Version: 1.0\r\n" % (i, i % 60, i))
        if i % 3 == 0:
            body = "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text
        elif i % 3 == 1:
            body = ("Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                    + text + "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + text + "</p>\r\n--alt--\r\n")
        else:
            body = ("Content-Type: multipart/mixed; boundary=mix\r\n\r\n--mix\r\nContent-Type: text/plain\r\n\r\n" + text +
                    "--mix\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
                    "Content-Disposition: attachment; filename=\"a.pdf\"\r\n\r\n" + "QUJD" * 19 + "\r\n--mix--\r\n")
        data = (head + body).encode()
        # named as Dovecot's delivery names a file: with its size (S=) and its size with CRLF (W=)
        name = "%d.M%dP1.bench,S=%d,W=%d:2,%s" % (1700000000 + i, i, len(data), len(data), "S" if i % 2 else "")
        with open(os.path.join(top, "cur", name), "wb") as f:
            f.write(data)

def busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq

def pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            return int(re.search(r"^Pss:\s+(\d+)", f.read(), re.M).group(1))
    except (OSError, AttributeError):
        return None

class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.until(rb"^\* OK[^\r\n]*\r\n")
    def until(self, pattern):
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            d = self.s.recv(1 << 20)
            if not d:
                raise RuntimeError("the server closed the connection")
            self.buf += d
    def cmd(self, tag, line):
        self.s.sendall(b"%s %s\r\n" % (tag, line))
        m = self.until(rb"^%s (OK|NO|BAD)[^\r\n]*\r\n" % tag)
        if m.group(1) != b"OK":
            raise RuntimeError("%s: %s" % (line[:40], m.group(0)))

def session(port, barrier, times):
    """One client through the three operations, each begun and ended with the others' (barrier)."""
    c = None
    for k in range(len(OPS)):
        barrier.wait()
        t = time.monotonic()
        if k == 0:
            c = Client(port)
            c.cmd(b"a", b'LOGIN %s "%s"' % (USER.encode(), PASSWORD.encode()))
            c.cmd(b"b", b"SELECT INBOX")
            c.cmd(b"c", b"UID FETCH 1:* (FLAGS)")
        else:
            c.cmd(b"d", b"FETCH 1:200 (ENVELOPE BODYSTRUCTURE)" if k == 1 else b"FETCH 1:200 BODY.PEEK[]")
        times[k] = time.monotonic() - t
        barrier.wait()
    c.cmd(b"z", b"LOGOUT")

def measure(port, conc):
    """Each operation: the median over REPS of its wall ms, and the server CPU ms per
    operation over all REPS together (the kernel counts CPU in 10 ms ticks)."""
    walls, cpus = [[] for _ in OPS], [[] for _ in OPS]
    hz = os.sysconf("SC_CLK_TCK")
    for _ in range(REPS):
        barrier = threading.Barrier(conc + 1, timeout=300)  # a client that failed breaks it: no hang
        times = [[0.0] * len(OPS) for _ in range(conc)]
        threads = [threading.Thread(target=session, args=(port, barrier, times[i])) for i in range(conc)]
        for th in threads:
            th.start()
        for k in range(len(OPS)):
            j0, c0, t0 = busy_jiffies(), os.times(), time.monotonic()
            barrier.wait()  # the operation starts
            barrier.wait()  # and every client has done it
            j1, c1, t1 = busy_jiffies(), os.times(), time.monotonic()
            client = (c1.user + c1.system) - (c0.user + c0.system)
            cpus[k].append(((j1 - j0) / hz - client) * 1000 / conc)
            walls[k].append(max(t[k] for t in times) * 1000)
        for th in threads:
            th.join()
    return [(statistics.median(w), max(0.0, sum(c) / len(c))) for w, c in zip(walls, cpus)]

def session_pss(port, pids):
    """PSS of the process serving one session after SELECT (pids(): the candidates' pids after vs before)."""
    before = pids()
    c = Client(port)
    c.cmd(b"a", b'LOGIN %s "%s"' % (USER.encode(), PASSWORD.encode()))
    c.cmd(b"b", b"SELECT INBOX")
    new = [p for p in pids() if p not in before]
    sizes = [pss_kib(p) for p in new]
    c.cmd(b"z", b"LOGOUT")
    return sum(s for s in sizes if s) if sizes else None

def statements():
    """The prepared statements MariaDB (make bench's own) has executed so far."""
    cnf = dict(re.findall(r"^(\w+)=(.*)$", open(os.environ["INETMAIL_MYCNF"]).read(), re.M))
    out = subprocess.run(["mariadb", "--no-defaults", "-S", cnf["socket"], "-u", cnf["user"], "-N", "-B", "-e",
                          "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"], capture_output=True, check=True).stdout
    return int(out.split()[1])

def session_statements(port):
    """Statements of one session: login, SELECT, FETCH 1:200 BODY.PEEK[], LOGOUT."""
    before = statements()
    c = Client(port)
    c.cmd(b"a", b'LOGIN %s "%s"' % (USER.encode(), PASSWORD.encode()))
    c.cmd(b"b", b"SELECT INBOX")
    c.cmd(b"d", b"FETCH 1:200 BODY.PEEK[]")
    c.cmd(b"z", b"LOGOUT")
    return statements() - before

def pids_named(name):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/comm" % p) as f:
                    if f.read().strip() == name:
                        out.append(int(p))
            except OSError:
                pass
    return out

def start_dovecot(maildir):
    d = os.path.join(work, "dovecot")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/home")
    os.chmod(d, 0o755)
    nobody = pwd.getpwnam("nobody")
    shutil.copytree(maildir, d + "/home/Maildir")
    subprocess.run(["chown", "-R", "%d:%d" % (nobody.pw_uid, nobody.pw_gid), d + "/home"], check=True)
    port = free_port()
    open(d + "/dovecot.conf", "w").write(dovecot_conf(d, "inetmail-bench-imap", "imap", nobody.pw_uid, nobody.pw_gid,
                                                      d + "/home", {"imap": port}))
    hashed = subprocess.run(["doveadm", "-c", d + "/dovecot.conf", "pw", "-s", "SHA512-CRYPT", "-p", PASSWORD],
                            capture_output=True, check=True).stdout.decode().strip()
    open(d + "/passwd", "w").write("%s:%s::::::\n" % (USER, hashed))
    subprocess.run(["dovecot", "-c", d + "/dovecot.conf"], check=True)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return d, port

def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run-bench's cleanup: Dovecot is stopped all the same
    maildir = os.path.join(work, "Maildir")
    t = time.monotonic()
    make_maildir(maildir)
    print("a Maildir of %d messages (plain, alternative, with an attachment) made in %.1f s" % (N, time.monotonic() - t))
    mailctl = build_dir() + "/mailctl"
    subprocess.run([mailctl, "--scheme", "sha512crypt", "add", USER], input=PASSWORD.encode(), check=True,
                   stdout=subprocess.DEVNULL)
    t = time.monotonic()
    subprocess.run([mailctl, "import-maildir", USER, maildir], check=True, stdout=subprocess.DEVNULL)
    print("mailctl import-maildir: %.1f s" % (time.monotonic() - t))
    servers = [("inetmail", Server(build_dir() + "/imap-handler").port, lambda: pids_named("imap-handler"))]
    dovecot = None
    if os.geteuid() != 0 or not shutil.which("dovecot") or not os.path.exists("/usr/lib/dovecot/imap"):
        print("Dovecot IMAP: not measured (needs root and the packages dovecot-core, dovecot-imapd)")
    else:
        dovecot, port = start_dovecot(maildir)
        servers.append(("Dovecot", port, lambda: pids_named("imap")))
    try:
        results = {}
        for name, port, pids in servers:
            measure(port, 1)  # warm: Dovecot builds its index and cache, the database its buffer pool
            results[name] = {c: measure(port, c) for c in (1, 8)}
            results[name]["pss"] = session_pss(port, pids)
        print("%-40s %3s %12s %12s %8s %14s %14s" % ("operation", "c", "inetmail ms", "Dovecot ms", "ratio",
                                                     "inetmail CPU", "Dovecot CPU"))
        for k, op in enumerate(OPS):
            for c in (1, 8):
                ours = results["inetmail"][c][k]
                theirs = results.get("Dovecot", {}).get(c, [(float("nan"), float("nan"))] * len(OPS))[k]
                print("%-40s %3d %12.1f %12.1f %7.2fx %11.2f ms %11.2f ms" % (
                    op, c, ours[0], theirs[0], theirs[0] / ours[0] if ours[0] else float("nan"), ours[1], theirs[1]))
        print("(ratio: Dovecot's time over ours, above 1 is faster; CPU: the server side's per operation, over all"
              " %d runs; times: their median; %d messages, %d cores)" % (REPS, N, os.cpu_count()))
        print("database statements of one session (login, SELECT, FETCH 1:200 BODY.PEEK[], LOGOUT): %d"
              % session_statements(servers[0][1]))
        print("memory of one selected session: inetmail imap-handler PSS %s KiB, Dovecot imap PSS %s KiB"
              " (plus its share of imap-login and the master)" % (results["inetmail"]["pss"],
                                                                  results.get("Dovecot", {}).get("pss")))
    finally:
        if dovecot:
            subprocess.run(["doveadm", "-c", dovecot + "/dovecot.conf", "stop"], capture_output=True)

main()
