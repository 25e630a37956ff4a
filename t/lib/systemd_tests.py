#!/usr/bin/env python3
"""common/systemd.c against a journal stand-in (t/systemd.t runs this in a
private mount namespace whose /run/systemd/journal/socket is ours), and its
LISTEN_FDS reading as systemd and its activators pass them."""
import os, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, build_dir, journal_entries, journal_socket

tap = Tap()
send = build_dir() + "/t/systemd-send"
journal = journal_socket()

def sent(*fields):
    rc = subprocess.run([send, "journal"] + list(fields)).returncode
    return rc, journal_entries(journal)

rc, got = sent("MESSAGE=one line", "PRIORITY=6", "INETMAIL_USER=")
tap.is_((rc, got), (0, [{"MESSAGE": "one line", "PRIORITY": "6", "INETMAIL_USER": ""}]), "fields arrive as one entry")
rc, got = sent("MESSAGE=two\nlines=here", "SYSLOG_IDENTIFIER=x")
tap.is_((rc, got), (0, [{"MESSAGE": "two\nlines=here", "SYSLOG_IDENTIFIER": "x"}]),
        "a value with a newline goes with its length, whole")
rc, got = sent("MESSAGE=" + "y" * 20000)
tap.is_((rc, got), (1, []), "an entry too large for one datagram is refused (the caller falls back to syslog)")
rc, got = sent("NO_EQUALS_SIGN")
tap.is_((rc, got), (1, []), "a field without a value is refused")
journal.close()
os.unlink("/run/systemd/journal/socket")
rc = subprocess.run([send, "journal", "MESSAGE=nobody listens"], timeout=10).returncode
tap.is_(rc, 1, "no journal: refused at once")

def listen(env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")}
    full.update(env)
    # exec keeps the shell's PID, so $$ is the PID the program sees.
    return subprocess.run(["sh", "-c", 'LISTEN_PID=${LISTEN_PID-$$} exec "$0" listen', send],
                          env=full, capture_output=True, text=True).stdout.strip()

tap.is_(listen({"LISTEN_FDS": "1"}), "1", "LISTEN_FDS=1 for this process: one socket, the variables unset")
tap.is_(listen({"LISTEN_FDS": "1", "LISTEN_PID": "1"}), "0", "meant for another process: none, and unset")
tap.is_(listen({"LISTEN_FDS": "x"}), "0", "a malformed count: none")
tap.is_(listen({}), "0", "nothing passed: none")
tap.done()
