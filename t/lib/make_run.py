#!/usr/bin/env python3
"""`make run` as a user meets it: it starts, prints how to send and read mail,
those commands work exactly as printed, and Ctrl-C stops everything it started."""
import os, re, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, free_port

tap = Tap()
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
run_dir = tempfile.mkdtemp(prefix="inetmail-run.")

def start():
    env = dict(os.environ, RUN_DIR=run_dir, SMTP_PORT=str(free_port()), POP3_PORT=str(free_port()))
    for k in list(env):
        if k.startswith("INETMAIL_") and k != "INETMAIL_BUILD":
            del env[k]
    p = subprocess.Popen(["make", "-s", "-C", top, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    out = b""
    deadline = time.time() + 60
    while b"Press Ctrl-C to stop." not in out and time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        out += line
    return p, out.decode()

def ctrl_c(p):
    os.killpg(p.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    rest = p.stdout.read().decode()
    p.wait(timeout=30)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", run_dir], capture_output=True).stdout
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
rest, left = ctrl_c(p)
tap.ok("inetmail stopped." in rest, "Ctrl-C stops it")
tap.is_(left, b"", "and nothing it started is left running")

p, out = start()
again = re.search(r"password: (\S+)", out)
tap.ok(again and password and again.group(1) == password.group(1) and "Created" not in out,
       "a second make run keeps the data and the account")
listing = [l.strip() for l in out.splitlines() if re.match(r"\s+curl -sS pop3://[\d.:]+/ ", l)]
r = subprocess.run(["sh", "-c", listing[0] if listing else "false"], capture_output=True, timeout=60)
tap.ok(r.stdout.count(b"\n") == 2, "with the two messages still there")
rest, left = ctrl_c(p)
tap.is_(left, b"", "and stops cleanly again")
subprocess.run(["rm", "-rf", run_dir])
tap.done()
