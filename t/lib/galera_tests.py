#!/usr/bin/env python3
"""Scale-out on a real three-node MariaDB Galera cluster (t/lib/galera.sh):
schema and migration through one node, mail delivered through one node and
read through another at once, failover past a dead or unsynced node, the
POP3 lock across nodes, and 400 deliveries while a node is killed and rejoins."""
import os, poplib, random, re, shutil, smtplib, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir

tap = Tap()
if os.geteuid() != 0:
    print("1..0 # SKIP Galera nodes run as the mysql user, which needs root (uid %d)" % os.geteuid())
    sys.exit(0)
if not os.path.exists("/usr/lib/galera/libgalera_smm.so"):
    print("1..0 # SKIP no Galera provider (Debian package galera-4)")
    sys.exit(0)

top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
build = build_dir()
d = tempfile.mkdtemp(prefix="inetmail-galera.")

def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False

def pick_base():
    """A base port whose node ports (BASE+1..3) and gcomm ports (BASE+110.., +1, +2) are all free."""
    for _ in range(100):
        base = random.randrange(15000, 28000, 10)
        ports = [base + n for n in (1, 2, 3)] + [base + 100 + 10 * n + k for n in (1, 2, 3) for k in (0, 1, 2)]
        if all(free(p) for p in ports + [base + 9]):
            return base
    raise SystemExit("Bail out! no free ports for the cluster")

base = pick_base()
env = dict(os.environ, GALERA_BASE_PORT=str(base))

def sh(command, check=True):
    r = subprocess.run(["sh", "-c", ". '%s/t/lib/galera.sh'; %s" % (top, command)], env=env, capture_output=True)
    if check and r.returncode:
        sys.stderr.write(r.stderr.decode())
    return r

def node_sql(n, query):
    r = sh("galera_sql '%s' %d -N -B -e \"%s\"" % (d, n, query.replace('"', '\\"')))
    return r.stdout.decode()

def status(n, name):
    out = node_sql(n, "SHOW GLOBAL STATUS LIKE '%s'" % name).split()
    return int(out[1]) if len(out) > 1 and out[1].isdigit() else out[1] if len(out) > 1 else None

t0 = time.time()
started = sh("galera_start '%s'" % d).returncode == 0
if not started:
    print("1..0 # SKIP the machine could not run three Galera nodes (see the log above)")
    sh("galera_stop '%s'" % d, check=False)
    shutil.rmtree(d, ignore_errors=True)
    sys.exit(0)
tap.ok(all(status(n, "wsrep_cluster_size") == 3 for n in (1, 2, 3)),
       "three nodes, one cluster (%.1f s to start)" % (time.time() - t0))

try:
    cnf = os.path.join(d, "my.cnf")
    with open(cnf, "w") as f:
        for n in (1, 2, 3):
            f.write("[node%d]\nhost=127.0.0.1\nport=%d\nuser=inetmail\npassword=galera-pw\ndatabase=inetmail\n\n" % (n, base + n))
        f.write("[dead]\nhost=127.0.0.1\nport=%d\nuser=inetmail\npassword=galera-pw\ndatabase=inetmail\n" % (base + 9))
    node_sql(1, "CREATE DATABASE inetmail; CREATE USER inetmail@'127.0.0.1' IDENTIFIED BY 'galera-pw';"
                " GRANT ALL ON inetmail.* TO inetmail@'127.0.0.1'")
    # The schema as it was (version 1), then mailctl's migration, through node 1.
    sh("galera_sql '%s' 1 inetmail < '%s/t/data/schema-v1.sql'" % (d, top))
    base_env = {"INETMAIL_MYCNF": cnf, "INETMAIL_HOSTNAME": "mail.example.com", "INETMAIL_DOMAIN": "example.com",
                "INETMAIL_PLAINTEXT_AUTH": "1"}
    os.environ.update(base_env)
    def mailctl(groups, *args, stdin=b""):
        return subprocess.run([build + "/mailctl"] + list(args), input=stdin, capture_output=True,
                              env=dict(os.environ, INETMAIL_DB_GROUPS=groups))
    r = mailctl("node1", "migrate", top + "/sql")
    schema = open(top + "/sql/schema.sql").read()
    version = re.search(r"INSERT INTO schema_version \(version\) VALUES \((\d+)\)", schema).group(1)
    if not tap.ok(r.returncode == 0 and ("schema version 1 -> %s" % version).encode() in r.stdout,
                  "mailctl migrate through node 1: version 1 -> %s" % version):
        tap.diag((r.stdout + r.stderr).decode())
    tables = schema.count("CREATE TABLE")
    causal = "SET SESSION wsrep_sync_wait = 15; "  # a node answers once it has applied what the cluster committed
    tap.ok(all(node_sql(n, causal + "SELECT MAX(version) FROM inetmail.schema_version").strip() == version and
               node_sql(n, causal + "SELECT COUNT(*) FROM information_schema.tables"
                                    " WHERE table_schema = 'inetmail'").strip() == str(tables)
               for n in (2, 3)), "nodes 2 and 3 have the migrated schema (%d tables)" % tables)
    for user in ("alice", "bob"):
        mailctl("node1", "--scheme", "sha512crypt", "add", user + "@example.com", stdin=b"%s pw\n" % user.encode())
    LOAD_USERS = ["load%d@example.com" % k for k in range(16)]
    for user in LOAD_USERS:
        mailctl("node1", "add", "--hash", "$6$salt$" + "x" * 86, user)

    def smtp_server(groups):
        return Server(build + "/smtp-handler", {"INETMAIL_SMTP_MODE": "mx", "INETMAIL_DB_GROUPS": groups})
    def pop3_server(groups):
        return Server(build + "/pop3-handler", {"INETMAIL_DB_GROUPS": groups})
    def send(port, rcpt, subject, timeout=60):  # local_hostname: no DNS lookup of our own name (a fresh root has no resolver)
        with smtplib.SMTP("127.0.0.1", port, timeout=timeout, local_hostname="client.example") as c:
            c.sendmail("sender@remote.example", [rcpt], "Subject: %s\r\n\r\nbody of %s\r\n" % (subject, subject))

    # Delivered through node 1, read through node 2 right after the 250.
    via1, read2 = smtp_server("node1"), pop3_server("node2")
    seen = []
    for i in range(1, 21):
        send(via1.port, "bob@example.com", "causal %d" % i)
        p = poplib.POP3("127.0.0.1", read2.port, timeout=30)
        p.user("bob@example.com")
        p.pass_("bob pw")
        n = p.stat()[0]
        last = b"\n".join(p.retr(n)[1]) if n else b""
        p.quit()
        seen.append(n == i and b"Subject: causal %d" % i in last)
    tap.ok(all(seen), "20 deliveries through node 1, each read through node 2 right after its 250 (%d of 20)" % sum(seen))

    # IMAP IDLE on node 2 hears of a delivery through node 1 within 2 s.
    idle = socket.create_connection(("127.0.0.1", Server(build + "/imap-handler", {"INETMAIL_DB_GROUPS": "node2"}).port),
                                    timeout=30)
    def idle_until(pattern):
        got = b""
        while not re.search(pattern, got):
            chunk = idle.recv(65536)
            if not chunk:
                break
            got += chunk
        return got
    idle_until(rb"\* OK[^\r]*\r\n")
    idle.sendall(b'a LOGIN bob@example.com "bob pw"\r\nb SELECT INBOX\r\nc IDLE\r\n')
    exists = int(re.search(rb"\* (\d+) EXISTS", idle_until(rb"\+ [^\r]*\r\n")).group(1))
    waits = []
    for i in range(5):
        t = time.time()
        send(via1.port, "bob@example.com", "idle %d" % i)
        got = idle_until(rb"\* %d EXISTS\r\n" % (exists + i + 1))
        waits.append(time.time() - t if b"EXISTS" in got else 99)
    idle.sendall(b"DONE\r\nd LOGOUT\r\n")
    idle.close()
    tap.ok(max(waits) < 2, "IMAP IDLE on node 2: each of 5 deliveries through node 1 shows as EXISTS, the slowest"
                          " in %.2f s" % max(waits))

    # A dead first node: the next one takes over, within a second.
    past_dead = smtp_server("dead node1")
    times = []
    for i in range(10):
        t = time.time()
        send(past_dead.port, "alice@example.com", "failover %d" % i)
        times.append(time.time() - t)
    tap.ok(max(times) < 1.0, "groups 'dead node1': 10 deliveries, the slowest in %.3f s" % max(times))
    p = poplib.POP3("127.0.0.1", pop3_server("dead node2").port, timeout=30)
    p.user("alice@example.com")
    p.pass_("alice pw")
    tap.is_(p.stat()[0], 10, "POP3 past a dead node reads them all")
    p.quit()

    # A node that answers but is not synced is skipped like a dead one.
    node_sql(3, "SET GLOBAL wsrep_desync = ON")
    tap.is_(status(3, "wsrep_local_state"), 2, "node 3 desynced (wsrep_local_state 2)")
    inserts = status(3, "wsrep_local_commits")  # transactions committed here, not replicated in
    past_unsynced = smtp_server("node3 node1")
    for i in range(6):
        send(past_unsynced.port, "alice@example.com", "unsynced %d" % i)
    tap.is_(status(3, "wsrep_local_commits"), inserts, "groups 'node3 node1': the unsynced node committed nothing")
    node_sql(3, "SET GLOBAL wsrep_desync = OFF")

    # One POP3 session per mailbox, across nodes.
    a = poplib.POP3("127.0.0.1", pop3_server("node1").port, timeout=30)
    a.user("alice@example.com")
    a.pass_("alice pw")
    b = poplib.POP3("127.0.0.1", pop3_server("node2").port, timeout=30)
    b.user("alice@example.com")
    try:
        b.pass_("alice pw")
        in_use = False
    except poplib.error_proto as e:
        in_use = b"[IN-USE]" in e.args[0]
    tap.ok(in_use, "a second session on another node: -ERR [IN-USE]")
    a.quit()
    b.close()
    c = poplib.POP3("127.0.0.1", pop3_server("node2").port, timeout=30)
    c.user("alice@example.com")
    c.pass_("alice pw")
    tap.is_(c.stat()[0], 16, "after QUIT, the other node's session gets in")
    c.quit()

    # 400 deliveries at concurrency 16 over all nodes; node 3 killed, then back.
    spread = smtp_server("node1 node2 node3")
    before = {n: status(n, "wsrep_local_commits") for n in (1, 2, 3)}
    outcome, when = {}, {}
    lock = threading.Lock()
    counter = iter(range(400))
    events = {}
    def worker():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                send(spread.port, LOAD_USERS[i % len(LOAD_USERS)], "load %d" % i)
                result = 250
            except smtplib.SMTPResponseException as e:
                result = e.smtp_code
            except (smtplib.SMTPException, OSError):
                result = "closed"
            with lock:
                outcome[i] = result
                when[i] = time.time()
    def chaos():
        while sum(1 for v in list(outcome.values()) if v == 250) < 100:
            time.sleep(0.01)
        events["spread"] = {n: status(n, "wsrep_local_commits") - before[n] for n in (1, 2, 3)}
        events["killed_at"] = time.time()
        sh("galera_node_kill '%s' 3" % d)
        while sum(1 for v in list(outcome.values()) if v == 250) < 300 and len(outcome) < 400:
            time.sleep(0.01)
        t = time.time()
        events["rejoined"] = sh("galera_node_start '%s' 3" % d).returncode == 0
        events["rejoin_s"] = time.time() - t
    threads = [threading.Thread(target=worker) for _ in range(16)]
    chaos_thread = threading.Thread(target=chaos)
    t = time.time()
    for th in threads + [chaos_thread]:
        th.start()
    for th in threads + [chaos_thread]:
        th.join()
    took = time.time() - t
    acked = sorted(i for i, v in outcome.items() if v == 250)
    refused = {i: v for i, v in outcome.items() if v != 250}
    spread_commits = events.get("spread", {})
    tap.ok(len(spread_commits) == 3 and all(v > 0 for v in spread_commits.values()),
           "the deliveries spread over all three nodes (local commits before the kill: %s)" % spread_commits)
    tap.ok(events.get("rejoined"), "node 3, SIGKILLed, rejoined (%.1f s)" % events.get("rejoin_s", -1))
    tap.ok(not [v for v in refused.values() if isinstance(v, int) and v >= 500],
           "no refusal was permanent (%d acked, refused: %s in %.1f s)" %
           (len(acked), sorted(set(refused.values()), key=str) or "none", took))
    k = events.get("killed_at", 0)
    tap.diag("refusals by seconds after the kill: %s" % sorted(round(when[i] - k, 1) for i in refused))
    tap.ok(len(acked) >= 300, "most were acknowledged (%d of 400)" % len(acked))
    for n in (1, 2, 3):
        rows = node_sql(n, "SELECT c.data FROM inetmail.mailbox_entry e JOIN inetmail.account a ON a.id = e.account_id"
                           " JOIN inetmail.message_chunk c ON c.message_id = e.message_id"
                           " WHERE a.address LIKE 'load%' AND c.seq = 0")
        found = {}
        for m in re.findall(r"Subject: load (\d+)", rows):
            found[int(m)] = found.get(int(m), 0) + 1
        tap.ok(all(found.get(i) == 1 for i in acked) and all(v == 1 for v in found.values()),
               "node %d: every acknowledged message exactly once (%d stored, %d acked)" % (n, len(found), len(acked)))
finally:
    sh("galera_stop '%s'" % d, check=False)
    shutil.rmtree(d, ignore_errors=True)
tap.done()
