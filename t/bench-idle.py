#!/usr/bin/env python3
"""make bench, IDLE: N concurrent IMAP sessions (default 1,000), each logged
in, INBOX selected, in IDLE, on imap-handler behind systemd-socket-activate.
While they wait: the machine's CPU, the database connections they hold, the
memory (PSS) of their processes; then messages delivered one at a time and,
for each, the time until every session has its EXISTS.

usage: bench-idle.py   (INETMAIL_MYCNF: run-bench's database; the account
idle@bench.test is made here)"""
import asyncio, os, re, resource, statistics, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from testlib import Server, build_dir

N = int(os.environ.get("IDLE_SESSIONS", "1000"))
DELIVERIES = 10
USER = "idle@bench.test"

def busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return v[0] + v[1] + v[2] + v[5] + v[6]

def handler_pids():
    out = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open("/proc/%s/comm" % p).read().strip() == "imap-handler":
                out.append(int(p))
        except OSError:
            pass
    return out

def pss_kib(pid):
    try:
        return int(re.search(r"^Pss:\s+(\d+)", open("/proc/%d/smaps_rollup" % pid).read(), re.M).group(1))
    except (OSError, AttributeError):
        return 0

def sql(query):
    """A statement on the database INETMAIL_MYCNF names (its [inetmail] socket and user)."""
    cnf = dict(re.findall(r"^(\w+)\s*=\s*(\S+)", open(os.environ["INETMAIL_MYCNF"]).read(), re.M))
    return subprocess.run(["mariadb", "-S", cnf["socket"], "-u", cnf["user"], "-N", "-e", query],
                          capture_output=True, text=True, check=True).stdout

def mysql_status(name):
    return int(sql("SHOW GLOBAL STATUS LIKE '%s'" % name).split()[-1])

class Session:
    async def open(self, port):
        self.r, self.w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        await self.r.readline()
        for tag, line in ((b"a", b'LOGIN %s pw' % USER.encode()), (b"b", b"SELECT INBOX"), (b"c", b"IDLE")):
            self.w.write(tag + b" " + line + b"\r\n")
            while True:
                got = await self.r.readline()
                if not got:
                    raise RuntimeError("closed during %r" % line)
                if got.startswith(tag + b" ") or (tag == b"c" and got.startswith(b"+")):
                    break
                m = re.match(rb"\* (\d+) EXISTS", got)
                if m:
                    self.exists = int(m.group(1))
    async def wait_exists(self, n):
        """The monotonic time at which "* n EXISTS" arrives."""
        while True:
            got = await self.r.readline()
            if not got:
                raise RuntimeError("closed while idle")
            m = re.match(rb"\* (\d+) EXISTS", got)
            if m and int(m.group(1)) >= n:
                return time.monotonic()

async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * N + 256)), hard))
    mailctl, deliver = build_dir() + "/mailctl", build_dir() + "/t/store-deliver"
    subprocess.run([mailctl, "--scheme", "sha512crypt", "add", USER], input=b"pw", check=True, stdout=subprocess.DEVNULL)
    # Each session holds a database connection: MariaDB's default of 151 would refuse the 152nd (README says so).
    sql("SET GLOBAL max_connections = %d" % (N + 100))
    base_threads = mysql_status("Threads_connected")
    server = Server(build_dir() + "/imap-handler", env={"INETMAIL_AUTH_PENALTY": "0"})
    sessions = [Session() for _ in range(N)]
    t = time.monotonic()
    for k in range(0, N, 50):  # 50 logins at a time: a crowd of phones, not a burst of 1,000
        await asyncio.gather(*(s.open(server.port) for s in sessions[k:k + 50]))
    print("%d sessions logged in, INBOX selected, in IDLE, in %.1f s" % (N, time.monotonic() - t))
    await asyncio.sleep(2)
    pids = handler_pids()
    pss = [pss_kib(p) for p in pids]
    threads = mysql_status("Threads_connected") - base_threads
    j0, t0, c0 = busy_jiffies(), time.monotonic(), os.times()
    await asyncio.sleep(10)
    j1, t1, c1 = busy_jiffies(), time.monotonic(), os.times()
    hz = os.sysconf("SC_CLK_TCK")
    busy = ((j1 - j0) / hz - ((c1.user + c1.system) - (c0.user + c0.system))) / (t1 - t0)
    print("while idle: %d handler processes, PSS %.0f KiB each (median; %.1f MiB all together), "
          "%d database connections held, the machine's CPU %.1f%% of one core (%d cores), not counting this client"
          % (len(pids), statistics.median(pss) if pss else 0, sum(pss) / 1024, threads, 100 * busy, os.cpu_count()))
    lat = []
    exists = sessions[0].exists
    for d in range(DELIVERIES):
        exists += 1
        waits = [asyncio.ensure_future(s.wait_exists(exists)) for s in sessions]
        t = time.monotonic()
        subprocess.run([deliver, "", USER], input=b"Subject: idle %d\r\n\r\nhello\r\n" % d, check=True)
        done = await asyncio.gather(*waits)
        lat.append([x - t for x in done])
        await asyncio.sleep(0.5)
    every = sorted(x for l in lat for x in l)
    last = [max(l) for l in lat]
    print("delivery to EXISTS, %d deliveries x %d sessions: median %.2f s, p99 %.2f s, max %.2f s; "
          "until the last session heard of it: median %.2f s" % (DELIVERIES, N, statistics.median(every),
                                                               every[int(0.99 * (len(every) - 1))], every[-1],
                                                               statistics.median(last)))
    for s in sessions:
        s.w.close()
    server.stop()

asyncio.run(main())
