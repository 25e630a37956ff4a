#!/usr/bin/env python3
"""make bench, the cluster part: SMTP deliveries per second at concurrency 16
through a private three-node Galera cluster (handlers spread over the nodes
by INETMAIL_DB_GROUPS), and the failover time: the longest wait for a 250
while a node is SIGKILLed under load. Prints figures; fails only on setup."""
import json, os, random, shutil, smtplib, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from testlib import Server, build_dir

top = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
load = os.path.join(top, "../shared/bench/load")
if os.geteuid() != 0 or not os.path.exists("/usr/lib/galera/libgalera_smm.so"):
    print("cluster: skipped (needs root and galera-4)")
    sys.exit(0)
build = build_dir()
d = tempfile.mkdtemp(prefix="inetmail-bench-galera.")
env = dict(os.environ, GALERA_BASE_PORT=str(random.randrange(15000, 28000, 10)))

def sh(command):
    return subprocess.run(["sh", "-c", ". '%s/t/lib/galera.sh'; %s" % (top, command)], env=env, capture_output=True)

base = int(env["GALERA_BASE_PORT"])
try:
    if sh("galera_start '%s'" % d).returncode:
        print("cluster: skipped (the nodes did not start)")
        sys.exit(0)
    sh("galera_sql '%s' 1 -e \"CREATE DATABASE bench; CREATE USER bench@'127.0.0.1' IDENTIFIED BY 'pw';"
       " GRANT ALL ON bench.* TO bench@'127.0.0.1'\"" % d)
    sh("galera_sql '%s' 1 bench < '%s/sql/schema.sql'" % (d, top))
    cnf = os.path.join(d, "bench.cnf")
    with open(cnf, "w") as f:
        for n in (1, 2, 3):
            f.write("[node%d]\nhost=127.0.0.1\nport=%d\nuser=bench\npassword=pw\ndatabase=bench\n" % (n, base + n))
    os.environ.update(INETMAIL_MYCNF=cnf, INETMAIL_DB_GROUPS="node1 node2 node3", INETMAIL_PLAINTEXT_AUTH="1",
                      INETMAIL_HOSTNAME="mail.bench.test")
    for i in range(1, 17):
        subprocess.run([build + "/mailctl", "--scheme", "sha512crypt", "add", "bench%d@bench.test" % i],
                       input=b"pw\n", capture_output=True, check=True)
    srv = Server(build + "/smtp-handler")
    if os.path.exists(load):
        r = subprocess.run([load, "smtp", "--port", str(srv.port), "-n", "2000", "-s", "2k", "-c", "16",
                            "--users", "9-16"], capture_output=True)
        res = json.loads(r.stdout)
        print("inetmail smtp-2k-c16 through 3 Galera nodes: %.0f msgs/s, p50 %.1f ms, server CPU %.2f ms/msg, errors %d" %
              (res["msgs_per_s"], res["lat_ms_p50"], res["other_cpu_ms_per_msg"], res["errors"]))

    # Failover: deliveries at concurrency 4 while node 3 is killed.
    mx = Server(build + "/smtp-handler", {"INETMAIL_SMTP_MODE": "mx"})
    acks, stop = [], threading.Event()
    def worker(k):
        i = 0
        while not stop.is_set():
            i += 1
            try:
                with smtplib.SMTP("127.0.0.1", mx.port, timeout=60, local_hostname="client.example") as c:
                    c.sendmail("x@remote.example", ["bench%d@bench.test" % (1 + (k * 1000 + i) % 16)], "Subject: f\r\n\r\nx\r\n")
                acks.append(time.time())
            except (smtplib.SMTPException, OSError):
                pass
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    killed = time.time()
    sh("galera_node_kill '%s' 3" % d)
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join()
    after = sorted(a for a in acks if a >= killed)
    gaps = [b - a for a, b in zip([killed] + after, after)]
    print("failover: node 3 SIGKILLed under load; the longest wait for a 250 was %.1f s, %d delivered in the 8 s after" %
          (max(gaps) if gaps else float("nan"), len(after)))
    t = time.time()
    r = sh("galera_node_start '%s' 3" % d)
    print("failover: node 3 rejoined (IST) in %.1f s" % (time.time() - t) if r.returncode == 0 else "failover: node 3 did not rejoin")
finally:
    sh("galera_stop '%s'" % d)
    shutil.rmtree(d, ignore_errors=True)
