#!/usr/bin/env python3
"""Golden-file session tests (as Postfix's *.in/*.ref): for each DIR/NAME.session,
pipe it through the handler and compare what it writes with NAME.expect.
Optional NAME.env: one VAR=value a line, for that session. Optional
NAME.stored: what the mailboxes hold afterwards, each entry as a line
'== address' and then the message's lines.
Patterns in .expect and .stored lines: {ID} hex digits, {N} digits, {UIDL} a UIDL, {DATE} an RFC 5322
date, {MSGID} a <random@host> id, {ANY} anything; the rest is literal. A line
{REST} matches all the lines that are left.
Before each session the database is emptied and the accounts of testlib
made; then each DIR/fill/NN_ADDRESS.eml is delivered to ADDRESS as it is, and
NAME.setup, if there, runs as a shell script with $MAILCTL set (aliases, domains).
usage: sessions.py HANDLER DIR"""
import os, re, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, build_dir, mailboxes, reset_db

PATTERNS = {"{ID}": "[0-9A-F]+", "{N}": "[0-9]+", "{UIDL}": "[0-9a-f]{32}", "{DATE}": r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}",
            "{MSGID}": r"<[0-9a-f]+@[^>]+>", "{ANY}": ".*"}

def line_re(pattern):
    out = ""
    for part in re.split(r"(\{ID\}|\{N\}|\{UIDL\}|\{DATE\}|\{MSGID\}|\{ANY\})", pattern):
        out += PATTERNS.get(part, re.escape(part))
    return re.compile(out + r"\Z", re.S)

def compare(tap, got_lines, want_lines, what):
    for i, want in enumerate(want_lines):
        if want == "{REST}":
            return tap.ok(True, what)
        got = got_lines[i] if i < len(got_lines) else None
        if got is None or not line_re(want).match(got):
            tap.ok(False, what)
            tap.diag("line %d: got %r, expected %r" % (i + 1, got, want))
            return False
    if len(got_lines) > len(want_lines):
        tap.ok(False, what)
        tap.diag("unexpected line %d: %r" % (len(want_lines) + 1, got_lines[len(want_lines)]))
        return False
    return tap.ok(True, what)

def main():
    handler, directory = sys.argv[1], sys.argv[2]
    tap = Tap()
    for name in sorted(f[:-8] for f in os.listdir(directory) if f.endswith(".session")):
        base = os.path.join(directory, name)
        env = dict(os.environ)
        if os.path.exists(base + ".env"):
            for l in open(base + ".env"):
                if "=" in l and not l.startswith("#"):
                    k, v = l.rstrip("\n").split("=", 1)
                    env[k] = v
        reset_db()
        fill = os.path.join(directory, "fill")
        for f in sorted(os.listdir(fill)) if os.path.isdir(fill) else []:
            with open(os.path.join(fill, f), "rb") as m:
                subprocess.run([build_dir() + "/t/store-deliver", "", f[3:-4]], stdin=m, check=True)
        if os.path.exists(base + ".setup"):
            subprocess.run(["sh", "-e", base + ".setup"], env=dict(env, MAILCTL=build_dir() + "/mailctl"),
                           stdout=subprocess.DEVNULL, check=True)
        with open(base + ".session", "rb") as f:
            p = subprocess.run([handler], stdin=f, capture_output=True, env=env, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        tap.ok(out.endswith("\r\n") and "\n" not in out.replace("\r\n", ""), "%s: every reply line ends in CRLF" % name)
        if os.path.exists(base + ".expect"):
            want = open(base + ".expect", encoding="utf-8").read()
            compare(tap, out.split("\r\n")[:-1], want[:-1].split("\n") if want else [], "%s: replies" % name)
        if os.path.exists(base + ".stored"):
            got = []
            for addr, msg in mailboxes():
                got.append("== " + addr)
                lines = msg.decode("utf-8", "replace").split("\r\n")
                got.extend(lines[:-1] if lines[-1] == "" else lines)
            want = open(base + ".stored", encoding="utf-8").read().rstrip("\n").split("\n")
            compare(tap, got, want if want != [""] else [], "%s: stored" % name)
    tap.done()

main()
