"""Helpers for the Python tests: TAP output and the test database (set up by
t/lib/testdb.sh: INETMAIL_TEST_DIR, TESTDB)."""
import atexit, os, subprocess, sys

ACCOUNTS = {"alice@example.com": "alice pw", "bob@example.com": "bob pw", "carol@example.com": "carol pw"}

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
    def ok(self, cond, name):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name), flush=True)
        return cond
    def skip(self, name, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, reason), flush=True)
    def is_(self, got, want, name):
        if not self.ok(got == want, name):
            self.diag("     got: %r\nexpected: %r" % (got, want))
        return got == want
    def diag(self, text):
        for l in str(text).split("\n"):
            print("# " + l, flush=True)
    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)

def sql(query, db=None, sock=None):
    sock = sock or os.environ["INETMAIL_TEST_DIR"] + "/sock"
    p = subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-u", os.environ.get("USER") or subprocess.getoutput("id -un"),
                        "-N", "-B", db or os.environ["TESTDB"], "-e", query], capture_output=True)
    if p.returncode:  # say why: the client's own words
        raise RuntimeError("mariadb exited %d on %r: %s" % (p.returncode, query[:200], p.stderr.decode().strip()))
    return p.stdout.decode()

def reset_db():
    sql("DELETE FROM mailbox_entry; DELETE FROM message_chunk; DELETE FROM message; DELETE FROM maildrop_lock;"
        " DELETE FROM account; DELETE FROM alias; DELETE FROM domain; DELETE FROM auth_failure; DELETE FROM folder;"
        " DELETE FROM greylist;")
    build = os.environ.get("INETMAIL_BUILD") or os.path.join(os.path.dirname(__file__), "../../build")
    for addr, pw in ACCOUNTS.items():
        subprocess.run([build + "/mailctl", "--scheme", "sha512crypt", "add", addr], input=(pw + "\n").encode(), check=True,
                       stdout=subprocess.DEVNULL)

# What must hold in the store once every session has ended, however it ended:
# a problem's name and the query that counts its cases.
CONSISTENCY = [
    ("maildrop lock rows left", "SELECT COUNT(*) FROM maildrop_lock"),
    ("relay queue leases left", "SELECT COUNT(*) FROM relay_queue WHERE lease_owner IS NOT NULL"),
    ("messages whose refs are not their mailbox entries and queue rows",
     "SELECT COUNT(*) FROM message m WHERE m.refs <> (SELECT COUNT(*) FROM mailbox_entry e WHERE e.message_id = m.id)"
     " + (SELECT COUNT(*) FROM relay_queue q WHERE q.message_id = m.id)"),
    ("messages half stored (their chunks are not their size)",
     "SELECT COUNT(*) FROM message m WHERE m.size <> (SELECT COALESCE(SUM(LENGTH(c.data)), 0) FROM message_chunk c"
     " WHERE c.message_id = m.id)"),
    ("chunks of no message", "SELECT COUNT(*) FROM message_chunk c WHERE NOT EXISTS"
     " (SELECT 1 FROM message m WHERE m.id = c.message_id)"),
    ("entries of no message", "SELECT COUNT(*) FROM mailbox_entry e WHERE NOT EXISTS"
     " (SELECT 1 FROM message m WHERE m.id = e.message_id)"),
    ("accounts whose used_bytes are not their entries' sizes",
     "SELECT COUNT(*) FROM account a WHERE a.used_bytes <> (SELECT COALESCE(SUM(e.size), 0) FROM mailbox_entry e"
     " WHERE e.account_id = a.id)"),
    ("entries in no folder of their account", "SELECT COUNT(*) FROM mailbox_entry e WHERE NOT EXISTS"
     " (SELECT 1 FROM folder f WHERE f.id = e.folder_id AND f.account_id = e.account_id)"),
    ("entries whose UID is not below their folder's UIDNEXT",
     "SELECT COUNT(*) FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id WHERE e.uid >= f.uidnext"),
    ("entries changed after their folder's HIGHESTMODSEQ",
     "SELECT COUNT(*) FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id WHERE e.modseq > f.highestmodseq"),
]

def store_problems():
    """[(problem, count)] of CONSISTENCY that do not hold now."""
    out = []
    for name, query in CONSISTENCY:
        n = int(sql(query).strip())
        if n:
            out.append((name, n))
    return out

def mariadb(action, dbdir):
    """mariadb_start or mariadb_stop (t/lib/mariadb.sh) of the server in dbdir."""
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    subprocess.run(["sh", "-c", '. "%s/t/lib/mariadb.sh"; mariadb_%s "%s"' % (top, action, dbdir)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def mariadb_kill(dbdir):
    """SIGKILL of the server in dbdir, waited for: the database gone at once."""
    import signal, time
    pid = int(open(os.path.join(dbdir, "mariadbd.pid")).read())
    os.kill(pid, signal.SIGKILL)
    # Dead once a zombie: its reaper (PID 1 here, after the starting shell
    # exited) may take seconds, which a test's idle client must not wait for.
    while True:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.02)
        except (FileNotFoundError, ProcessLookupError):
            break
    os.unlink(os.path.join(dbdir, "mariadbd.pid"))

def mailboxes(db=None, sock=None):
    """[(address, message bytes)] for every mailbox entry, in delivery order."""
    rows = sql("SELECT e.id, a.address, HEX(c.data) FROM mailbox_entry e JOIN account a ON a.id = e.account_id"
               " JOIN message_chunk c ON c.message_id = e.message_id ORDER BY e.id, c.seq", db, sock)
    out = []
    last = None
    for row in rows.split("\n"):
        if not row:
            continue
        eid, addr, data = row.split("\t")
        if eid != last:
            out.append([addr, b""])
            last = eid
        out[-1][1] += bytes.fromhex(data)
    return [(a, m) for a, m in out]

def wait_until(cond, seconds, step=0.05):
    """Whether cond() came true within seconds (looked at every step)."""
    import time
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

# Why a memory bound is not checked in this run (None: it is checked).
RSS_UNCHECKED = ("AddressSanitizer's quarantine keeps freed memory: the bound holds for the real build"
                 if os.environ.get("INETMAIL_SANITIZE") else None)

SERVERS = []
atexit.register(lambda: stop_servers())

def stop_servers():
    for s in SERVERS:
        s.stop()

class Server:
    """A handler behind systemd-socket-activate on a loopback port, as a
    systemd socket unit with Accept=yes runs it. inetd=True puts the
    connection on stdin/stdout, else on fd 3 (LISTEN_FDS=1). address and
    port: where it listens (default a free port on 127.0.0.1)."""
    def __init__(self, handler, env=None, inetd=True, wrapper=(), stderr=None, address="127.0.0.1", port=None):
        import socket, time
        self.port = port or free_port()
        args = ["systemd-socket-activate", "-l", ("[%s]:%d" if ":" in address else "%s:%d") % (address, self.port), "-a"]
        if inetd:
            args.append("--inetd")
        full = dict(os.environ)
        full.update(env or {})
        for k in full:  # the handlers' settings, and where a sanitized build reports
            if k.startswith("INETMAIL_") or k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
                args += ["-E", k]
        self.proc = subprocess.Popen(args + list(wrapper) + [handler], env=full, stdout=subprocess.DEVNULL,
                                     stderr=stderr or subprocess.DEVNULL)
        SERVERS.append(self)
        for _ in range(200):
            try:
                socket.create_connection((address, self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

def build_dir():
    return os.environ.get("INETMAIL_BUILD") or os.path.join(os.path.dirname(__file__), "../../build")

def test_ca(directory, name="mail.example.com"):
    """A throw-away CA and a server certificate it signed, as a real one would
    look (names, CRL and OCSP addresses, a year's validity): (ca, cert, key)."""
    ca, ca_key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
    cert, key, csr = (os.path.join(directory, f) for f in ("cert.pem", "key.pem", "req.csr"))
    ext = os.path.join(directory, "ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s,IP:127.0.0.1\ncrlDistributionPoints=URI:http://ca.example/crl.pem\n"
                "authorityInfoAccess=OCSP;URI:http://ca.example/ocsp\nextendedKeyUsage=serverAuth\n"
                "keyUsage=digitalSignature\n" % name)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for args in (["req", "-x509"] + ec + ["-days", "3650", "-subj", "/CN=inetmail test CA", "-keyout", ca_key, "-out", ca],
                 ["req"] + ec + ["-subj", "/CN=" + name, "-keyout", key, "-out", csr],
                 ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "365",
                  "-extfile", ext, "-out", cert]):
        subprocess.run(["openssl"] + args, check=True, capture_output=True)
    return ca, cert, key

def journal_socket(path="/run/systemd/journal/socket"):
    """A journal stand-in: the socket the handlers send to (in a private mount
    namespace of the test's own, see t/logging.t)."""
    import socket
    journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    journal.bind(path)
    journal.settimeout(0.5)
    return journal

def journal_entries(journal):
    """Every datagram so far, parsed from the journal's native protocol."""
    import socket
    out = []
    while True:
        try:
            data = journal.recv(1 << 20)
        except socket.timeout:
            return out
        fields, i = {}, 0
        while i < len(data):
            nl = data.index(b"\n", i)
            line = data[i:nl]
            if b"=" in line:
                k, v = line.split(b"=", 1)
                i = nl + 1
            else:  # KEY \n 64-bit little-endian length, value, \n
                k = line
                n = int.from_bytes(data[nl + 1:nl + 9], "little")
                v = data[nl + 9:nl + 9 + n]
                i = nl + 9 + n + 1
            fields[k.decode()] = v.decode("utf-8", "replace")
        out.append(fields)
