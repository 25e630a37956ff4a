#!/usr/bin/env python3
"""`make run` as a user meets it: it starts, prints how to send and read mail,
those commands work exactly as printed, and Ctrl-C stops everything it started."""
import os, re, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, free_port

# Ctrl-C as in a terminal: started in the background (as CI may start the
# tests), this process inherits SIGINT ignored, and so would make run.
signal.signal(signal.SIGINT, signal.SIG_DFL)
tap = Tap()
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
run_dir = tempfile.mkdtemp(prefix="inetmail-run.")

def environment(smtp_port=None, pop3_port=None, **extra):
    env = dict(os.environ, RUN_DIR=run_dir, SMTP_PORT=str(smtp_port or free_port()),
               POP3_PORT=str(pop3_port or free_port()), **extra)
    for k in list(env):
        if k.startswith("INETMAIL_") and k != "INETMAIL_BUILD":
            del env[k]
    return env

def start(**ports):
    p = subprocess.Popen(["make", "-s", "-C", top, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=environment(**ports), start_new_session=True)
    out = b""
    deadline = time.time() + 60
    while b"Press Ctrl-C to stop." not in out and time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        out += line
    return p, out.decode()

def ours():
    """Processes of this make run: run_dir in their command line or their environment."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f, open("/proc/%s/environ" % pid, "rb") as g:
                if run_dir.encode() in f.read() + g.read():
                    found.append(pid)
        except OSError:
            pass
    return found

def agent():
    found = []
    for pid in ours():
        try:
            if open("/proc/%s/comm" % pid).read().strip() == "inetmail-relay":
                found.append(pid)
        except OSError:
            pass  # ended since ours() saw it (a handler's session)
    return found

def ctrl_c(p):
    os.killpg(p.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    rest = p.stdout.read().decode()
    p.wait(timeout=30)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", run_dir], capture_output=True).stdout + " ".join(ours()).encode()
    return rest, left

p, out = start()
tap.ok("Press Ctrl-C to stop." in out, "make run starts and says how to stop it")
password = re.search(r"password: (\S+)", out)
tap.ok(password is not None, "it prints the demo account's password")
commands = [l.strip() for l in out.splitlines() if re.match(r"\s+(swaks|printf|curl) ", l)]
tap.is_(len(commands), 4, "it prints two ways to send and two to read")
results = [subprocess.run(["sh", "-c", c], capture_output=True, timeout=60) for c in commands]
tap.ok(results[0].returncode == 0 and b"250 2.0.0 Ok: queued as" in results[0].stdout, "the swaks command as printed sends a mail")
tap.is_(results[1].returncode, 0, "the curl smtp command as printed sends one")
tap.ok(re.match(rb"1 \d+\r?\n2 \d+\r?\n$", results[2].stdout) is not None, "the curl pop3 command lists both")
tap.ok(b"Hello from swaks." in results[3].stdout, "and reads the first")

# The relay agent runs and takes mail for other domains: .invalid never resolves
# (RFC 2606), so it bounces at once, or waits for a later try where DNS cannot be reached.
tap.is_(len(agent()), 1, "the relay agent runs")
to_world = commands[1].replace("--mail-rcpt demo@example.com", "--mail-rcpt someone@example.invalid")
r = subprocess.run(["sh", "-c", to_world], capture_output=True, timeout=60)
tap.is_(r.returncode, 0, "a mail to another domain is accepted")
mailctl = [os.environ.get("INETMAIL_BUILD") or top + "/build"][0] + "/mailctl"
queue_env = dict(os.environ, INETMAIL_MYCNF=run_dir + "/my.cnf")
deadline = time.time() + 30
while time.time() < deadline:
    q = subprocess.run([mailctl, "queue"], capture_output=True, env=queue_env).stdout.decode()
    if "someone@example.invalid" not in q or "last answer:" in q:
        break
    time.sleep(0.3)
bounced = "someone@example.invalid" not in q
tap.ok(bounced or "last answer:" in q, "the agent took it on (%s)" % ("bounced" if bounced else "deferred"))

def refused(name, env):
    """make run that must not serve: it fails at once, says why, leaves nothing running."""
    before = subprocess.run(["pgrep", "-f", run_dir], capture_output=True).stdout
    r = subprocess.run(["make", "-s", "-C", top, "run"], capture_output=True, env=env, timeout=120)
    after = subprocess.run(["pgrep", "-f", run_dir], capture_output=True).stdout
    out = (r.stdout + r.stderr).decode()
    tap.ok(r.returncode != 0, name + ": make run exits non-zero")
    tap.ok("inetmail is running" not in out, name + ": it never says it is running")
    tap.is_(after, before, name + ": and leaves nothing of its own running")
    return out

# A second make run on the same ports: refused before it starts anything.
smtp_port = int(re.search(r"SMTP submission on 127.0.0.1:(\d+)", out).group(1))
pop3_port = int(re.search(r"POP3 on 127.0.0.1:(\d+)", out).group(1))
activator = subprocess.run(["pgrep", "-f", "systemd-socket-activate -l 127.0.0.1:%d " % smtp_port],
                           capture_output=True).stdout.split()
second = refused("the same ports again", environment(smtp_port, pop3_port))
tap.ok(re.search(r"port %d on 127.0.0.1 is taken by \S*systemd-socket-activate \(pid %s\)" %
                 (smtp_port, activator[0].decode() if activator else "?"), second) is not None,
       "it says which port is taken and by what")
tap.ok("port %d on 127.0.0.1 is taken" % pop3_port in second, "and the other taken one too")
r = subprocess.run(["sh", "-c", commands[2]], capture_output=True, timeout=60)
tap.ok(r.returncode == 0 and r.stdout.count(b"\n") == 2 + bounced, "the first make run still serves")

rest, left = ctrl_c(p)
tap.ok("inetmail stopped." in rest, "Ctrl-C stops it")
tap.is_(left, b"", "and nothing it started is left running")

# Only the POP3 port taken, by another program: nothing starts either.
import socket
holder = socket.socket()
holder.bind(("127.0.0.1", 0))
holder.listen()
server_log = os.path.getsize(run_dir + "/db/err.log")  # MariaDB writes to it whenever it starts
out = refused("the POP3 port taken", environment(pop3_port=holder.getsockname()[1]))
tap.ok("port %d on 127.0.0.1 is taken by" % holder.getsockname()[1] in out and "(pid %d)" % os.getpid() in out,
       "it names the POP3 port and this test's process")
tap.is_(os.path.getsize(run_dir + "/db/err.log"), server_log, "MariaDB was not even started")
holder.close()

# The port taken between the check and the listen (an activator that cannot
# bind, standing in for a race): make run stops what it started and says so.
stub_dir = tempfile.mkdtemp(prefix="inetmail-stub.")
with open(stub_dir + "/systemd-socket-activate", "w") as f:
    f.write("#!/bin/sh\necho 'Failed to listen on 127.0.0.1: Address already in use' >&2\nexit 1\n")
os.chmod(stub_dir + "/systemd-socket-activate", 0o755)
out = refused("an activator that cannot listen", environment(PATH=stub_dir + ":" + os.environ["PATH"]))
tap.ok("could not listen on 127.0.0.1:" in out and "Address already in use" in out,
       "it says which listener failed, with the activator's words")
tap.ok("inetmail stopped." in out and not os.path.exists(run_dir + "/db/mariadbd.pid"),
       "and stops the MariaDB it had started")
subprocess.run(["rm", "-rf", stub_dir])

p, out = start()
again = re.search(r"password: (\S+)", out)
tap.ok(again and password and again.group(1) == password.group(1) and "Created" not in out,
       "a second make run keeps the data and the account")
listing = [l.strip() for l in out.splitlines() if re.match(r"\s+curl -sS pop3://[\d.:]+/ ", l)]
r = subprocess.run(["sh", "-c", listing[0] if listing else "false"], capture_output=True, timeout=60)
tap.is_(r.stdout.count(b"\n"), 2 + bounced, "with the messages still there")
rest, left = ctrl_c(p)
tap.is_(left, b"", "and stops cleanly again")
subprocess.run(["rm", "-rf", run_dir])
tap.done()
