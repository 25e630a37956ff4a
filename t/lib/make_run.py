#!/usr/bin/env python3
"""`make run` as a user meets it: it starts, prints how to send and read mail,
those commands work exactly as printed, and Ctrl-C stops everything it started."""
import atexit, os, re, select, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, free_port

# Ctrl-C as in a terminal: started in the background (as CI may start the
# tests), this process inherits SIGINT ignored, and so would make run.
signal.signal(signal.SIGINT, signal.SIG_DFL)
# Stopped from outside (t/run's time limit), it still stops the make runs it started.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
tap = Tap()
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
run_dir = tempfile.mkdtemp(prefix="inetmail-run.")

def environment(smtp_port=None, pop3_port=None, **extra):
    """make run's environment: this one's without its INETMAIL_* settings, free ports, and extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INETMAIL_") or k == "INETMAIL_BUILD"}
    env.update(RUN_DIR=run_dir, SMTP_PORT=str(smtp_port or free_port()), POP3_PORT=str(pop3_port or free_port()),
               IMAP_PORT=str(free_port()), SMTPS_PORT=str(free_port()), POP3S_PORT=str(free_port()),
               IMAPS_PORT=str(free_port()), **extra)
    return env

started = []

@atexit.register
def stop_started():
    """Whatever this test stopped early (an exception), no make run of its outlives it."""
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=60)

def read_for(p, seconds, until=None):
    """What make run prints within seconds: all of it (its output closed), or up to until."""
    fd, out = p.stdout.fileno(), b""
    deadline = time.time() + seconds
    while (until is None or until not in out) and select.select([fd], [], [], max(0, deadline - time.time()))[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out += chunk
    return out

def start(sigint=signal.SIG_DFL, **ports):
    """make run in a session of its own; sigint: how it inherits SIGINT (SIG_IGN: as a shell's background job)."""
    p = subprocess.Popen(["make", "-s", "-C", top, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=environment(**ports), start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    started.append(p)
    out = read_for(p, 60, b"Press Ctrl-C to stop.")
    try:
        runtimes.update(re.findall(r"^runtime (\S+)$", open(run_dir + "/run.info").read(), re.M))
    except OSError:
        pass
    return p, out.decode()

runtimes = set()  # each make run's directory for what its handlers reach (run.info says which)

def ours():
    """Processes of this make run: run_dir or a runtime directory in their command line or environment."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f, open("/proc/%s/environ" % pid, "rb") as g:
                text = f.read() + g.read()
                if any(d.encode() in text for d in runtimes | {run_dir}):
                    found.append(pid)
        except OSError:
            pass
    return found

import socket as socket_module
smtp_port_of = lambda out: int(re.search(r"SMTP submission on 127.0.0.1:(\d+)", out).group(1))
pop3_port_of = lambda out: int(re.search(r"POP3 on 127.0.0.1:(\d+)", out).group(1))

def named(name):
    """Our processes whose command is name (one that ended since ours() saw it, a watcher's sleep, is none)."""
    found = []
    for pid in ours():
        try:
            if open("/proc/%s/comm" % pid).read().strip() == name:
                found.append(pid)
        except OSError:
            pass
    return found

def agent():
    return named("inetmail-relay")

def left_running():
    return b"".join(subprocess.run(["pgrep", "-f", d], capture_output=True).stdout for d in runtimes | {run_dir}) + \
        " ".join(ours()).encode()

def stopped(p, signal_it):
    """signal_it(p) ends make run: what it printed after, and what is left running."""
    signal_it(p)
    rest = read_for(p, 90).decode()  # past that, a process still holds the output: left_running() names it
    p.wait(timeout=30)
    time.sleep(0.5)
    return rest, left_running()

def ctrl_c(p):
    return stopped(p, lambda p: os.killpg(p.pid, signal.SIGINT))  # what a terminal does on Ctrl-C

def run_local_pid():
    info = open(run_dir + "/run.info").read()
    return int(re.match(r"pid (\d+),", info).group(1))

p, out = start()
tap.ok("Press Ctrl-C to stop." in out, "make run starts and says how to stop it")
password = re.search(r"password: (\S+)", out)
tap.ok(password is not None, "it prints the demo account's password")
commands = [l.strip() for l in out.splitlines() if re.match(r"\s+(swaks|printf|curl) ", l)]
tap.is_(len(commands), 5, "it prints two ways to send and three to read")
results = [subprocess.run(["sh", "-c", c], capture_output=True, timeout=60) for c in commands]
tap.ok(results[0].returncode == 0 and b"250 2.0.0 Ok: queued as" in results[0].stdout, "the swaks command as printed sends a mail")
tap.is_(results[1].returncode, 0, "the curl smtp command as printed sends one")
tap.ok(re.match(rb"1 \d+\r?\n2 \d+\r?\n$", results[2].stdout) is not None, "the curl pop3 command lists both")
tap.ok(b"Hello from swaks." in results[3].stdout, "and reads the first")
tap.ok(results[4].returncode == 0 and b"Hello from swaks." in results[4].stdout, "the curl imap command as printed reads it over IMAP")

# Mail for other domains waits in the queue: no relay agent unless asked for.
tap.is_(agent(), [], "no relay agent runs unless INETMAIL_RELAY asks for one")
to_world = commands[1].replace("--mail-rcpt demo@example.com", "--mail-rcpt someone@example.invalid")
r = subprocess.run(["sh", "-c", to_world], capture_output=True, timeout=60)
tap.is_(r.returncode, 0, "a mail to another domain is accepted")
mailctl = [os.environ.get("INETMAIL_BUILD") or top + "/build"][0] + "/mailctl"
queue_env = dict(os.environ, INETMAIL_MYCNF=run_dir + "/my.cnf")
q = subprocess.run([mailctl, "queue"], capture_output=True, env=queue_env).stdout.decode()
tap.ok("someone@example.invalid" in q and "last answer:" not in q, "and waits in the queue, untried")

# What happened is in the log, and on the terminal.
log = open(run_dir + "/mail.log").read()
tap.ok(re.search(r"smtp-handler\[\d+\]: session \w+: quit messages=1", log) and
       re.search(r"pop3-handler\[\d+\]: session \w+: quit retrieved=1", log), "the sessions are in mail.log")
tap.is_(oct(os.stat(run_dir + "/demo-password").st_mode & 0o777), "0o600", "the demo password file is 0600")
if os.geteuid() == 0:
    import pwd
    held = socket_module.create_connection(("127.0.0.1", smtp_port_of(out)), timeout=10)
    held.recv(100)
    uids = {open("/proc/%s/status" % pid).read().split("Uid:")[1].split()[0] for pid in named("smtp-handler")}
    held.close()
    tap.is_(uids, {str(pwd.getpwnam("nobody").pw_uid)}, "run as root, a handler runs as nobody")
else:
    tap.skip("run as root, a handler runs as nobody", "not root")
# The login penalty spares loopback here: wrong passwords, then the right one at once.
import poplib
for _ in range(3):
    try:
        c = poplib.POP3("127.0.0.1", pop3_port_of(out), timeout=10)
        c.user("demo@example.com")
        c.pass_("wrong")
    except poplib.error_proto:
        pass
t = time.time()
c = poplib.POP3("127.0.0.1", pop3_port_of(out), timeout=10)
c.user("demo@example.com")
c.pass_(password.group(1))
c.quit()
tap.ok(time.time() - t < 0.9, "after three wrong passwords, the right one gets in at once (%.2f s)" % (time.time() - t))

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

# A second make run on the same directory, other ports: refused, naming the first.
second = refused("the same directory, other ports", environment())
tap.ok("is in use by another make run: pid %d, SMTP port %d" % (run_local_pid(), smtp_port_of(out)) in second,
       "it names the make run that has the directory, with its pid and ports")

# A second make run on the same ports: refused before it starts anything.
smtp_port = int(re.search(r"SMTP submission on 127.0.0.1:(\d+)", out).group(1))
pop3_port = int(re.search(r"POP3 on 127.0.0.1:(\d+)", out).group(1))
activator = subprocess.run(["pgrep", "-f", "systemd-socket-activate -l 127.0.0.1:%d " % smtp_port],
                           capture_output=True).stdout.split()
second = refused("the same ports again", dict(environment(smtp_port, pop3_port), RUN_DIR=tempfile.mkdtemp()))
tap.ok(re.search(r"port %d on 127.0.0.1 is taken by \S*systemd-socket-activate \(pid %s\)" %
                 (smtp_port, activator[0].decode() if activator else "?"), second) is not None,
       "it says which port is taken and by what")
tap.ok("port %d on 127.0.0.1 is taken" % pop3_port in second, "and the other taken one too")
r = subprocess.run(["sh", "-c", commands[2]], capture_output=True, timeout=60)
tap.ok(r.returncode == 0 and r.stdout.count(b"\n") == 2, "the first make run still serves")

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

# Again, with settings: each reaches the handlers and the agent.
p, out = start(INETMAIL_RELAY="mx", TLS="1", INETMAIL_SMTP_MAX_SIZE="100000")
again = re.search(r"password: (\S+)", out)
tap.ok(again and password and again.group(1) == password.group(1) and "Created" not in out,
       "a second make run keeps the data and the account")
listing = [l.strip() for l in out.splitlines() if re.match(r"\s+curl -sS pop3://[\d.:]+/ ", l)]
r = subprocess.run(["sh", "-c", listing[0] if listing else "false"], capture_output=True, timeout=60)
tap.ok(r.stdout.count(b"\n") >= 2, "with the messages still there (and a bounce, if the agent was quick)")
import smtplib, ssl
tls = ssl.create_default_context(cafile=run_dir + "/tls.crt")
with smtplib.SMTP("127.0.0.1", smtp_port_of(out), timeout=10) as c:
    c.ehlo("c")
    tap.ok(c.has_extn("starttls") and c.esmtp_features.get("size") == "100000",
           "INETMAIL_SMTP_MAX_SIZE=100000 TLS=1 make run: EHLO says SIZE 100000 and STARTTLS")
    c.starttls(context=tls)
    c.login("demo@example.com", password.group(1))
    tap.is_(c.sendmail("demo@example.com", ["demo@example.com"], "Subject: over TLS\r\n\r\nx\r\n"), {},
            "STARTTLS with the certificate make run made, as it says to trust it")
pops = re.search(r"implicit TLS on \d+ \(SMTP\), (\d+) \(POP3\) and (\d+) \(IMAP\)", out)
c = poplib.POP3_SSL("localhost", int(pops.group(1)) if pops else 1, context=tls, timeout=10)
c.user("demo@example.com")
c.pass_(password.group(1))
tap.ok(c.stat()[0] >= 3, "POP3 over implicit TLS on the port it names")
c.quit()
import imaplib
c = imaplib.IMAP4_SSL("localhost", int(pops.group(2)) if pops else 1, ssl_context=tls, timeout=10)
c.login("demo@example.com", password.group(1))
tap.ok(int(c.select("INBOX")[1][0]) >= 3, "and IMAP over implicit TLS on the one it names")
c.logout()
tap.is_(len(agent()), 1, "INETMAIL_RELAY=mx: the relay agent runs")
deadline = time.time() + 30
while time.time() < deadline:
    q = subprocess.run([mailctl, "queue"], capture_output=True, env=queue_env).stdout.decode()
    if "someone@example.invalid" not in q or "last answer:" in q:
        break
    time.sleep(0.3)
tap.ok("someone@example.invalid" not in q or "last answer:" in q, "and takes on what waited (.invalid: bounced or deferred)")
rest, left = stopped(p, lambda p: os.kill(p.pid, signal.SIGTERM))
tap.ok("inetmail stopped." in rest and left == b"", "SIGTERM to make's own pid stops everything (left: %r)" % left)

# However it is stopped, nothing it started outlives it.
for name, sigint, how in (
        ("SIGINT to make's own pid", signal.SIG_DFL, lambda p: os.kill(p.pid, signal.SIGINT)),
        ("SIGTERM to run-local", signal.SIG_DFL, lambda p: os.kill(run_local_pid(), signal.SIGTERM)),
        ("SIGINT to run-local, started as a background job (SIGINT ignored)", signal.SIG_IGN,
         lambda p: os.kill(run_local_pid(), signal.SIGINT)),
        ("make stop from elsewhere", signal.SIG_DFL,
         lambda p: subprocess.run(["make", "-s", "-C", top, "stop"], env=environment(), capture_output=True))):
    p, out = start(sigint=sigint)
    rest, left = stopped(p, how)
    tap.ok("Press Ctrl-C" in out and "inetmail stopped." in rest and left == b"",
           "%s: stops everything (left: %r)" % (name, left))
subprocess.run(["rm", "-rf", run_dir])
tap.done()
