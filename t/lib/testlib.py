"""Helpers for the Python tests: TAP output and the test database (set up by
t/lib/testdb.sh: INETMAIL_TEST_DIR, TESTDB)."""
import os, subprocess, sys

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

def sql(query):
    d = os.environ["INETMAIL_TEST_DIR"]
    p = subprocess.run(["mariadb", "--no-defaults", "-S", d + "/sock", "-u", os.environ.get("USER") or subprocess.getoutput("id -un"),
                        "-N", "-B", os.environ["TESTDB"], "-e", query], capture_output=True, check=True)
    return p.stdout.decode()

def reset_db():
    sql("DELETE FROM mailbox_entry; DELETE FROM message_chunk; DELETE FROM message; DELETE FROM maildrop_lock;"
        " DELETE FROM account;")
    build = os.environ.get("INETMAIL_BUILD") or os.path.join(os.path.dirname(__file__), "../../build")
    for addr, pw in ACCOUNTS.items():
        subprocess.run([build + "/mailctl", "--scheme", "sha512crypt", "add", addr], input=(pw + "\n").encode(), check=True)

def mailboxes():
    """[(address, message bytes)] for every mailbox entry, in delivery order."""
    rows = sql("SELECT e.id, a.address, HEX(c.data) FROM mailbox_entry e JOIN account a ON a.id = e.account_id"
               " JOIN message_chunk c ON c.message_id = e.message_id ORDER BY e.id, c.seq")
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
