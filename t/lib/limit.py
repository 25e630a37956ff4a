#!/usr/bin/env python3
"""How t/run runs each test: one still running after INETMAIL_TEST_LIMIT seconds
(default 1200) fails, naming what it had running, and is stopped, instead of
holding the whole run (and CI) until someone kills it."""
import os, signal, subprocess, sys

limit = int(os.environ.get("INETMAIL_TEST_LIMIT", "1200"))
test = subprocess.Popen(sys.argv[1:], start_new_session=True)
try:
    sys.exit(test.wait(timeout=limit))
except subprocess.TimeoutExpired:
    pass
parent = {}
for line in subprocess.run(["ps", "-e", "-o", "pid=,ppid=,etime=,args="], capture_output=True, text=True).stdout.splitlines():
    pid, ppid, rest = line.split(None, 2)
    parent[int(pid)] = (int(ppid), rest)
def descends(pid):
    while pid in parent and pid != test.pid:
        pid = parent[pid][0]
    return pid == test.pid
print("not ok - %s still running after %d s (INETMAIL_TEST_LIMIT): stopped" % (sys.argv[1], limit))
for pid in sorted(filter(descends, parent)):
    print("still running: %d (parent %d) %s" % (pid, parent[pid][0], parent[pid][1]), file=sys.stderr)
sys.stdout.flush()
os.killpg(test.pid, signal.SIGTERM)
try:
    test.wait(timeout=30)
except subprocess.TimeoutExpired:
    os.killpg(test.pid, signal.SIGKILL)
sys.exit(1)
