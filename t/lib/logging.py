#!/usr/bin/env python3
"""What the handlers log, caught by a journal stand-in: run inside a private
mount namespace (t/logging.t) where /run/systemd/journal/socket is ours."""
import base64, os, socket, subprocess, sys

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, build_dir, journal_entries, journal_socket, reset_db

tap = Tap()
build = build_dir()
reset_db()
journal = journal_socket()
entries = lambda: journal_entries(journal)

def run(handler, text, env=None):
    full = dict(os.environ, INETMAIL_PLAINTEXT_AUTH="1", **(env or {}))
    p = subprocess.run([build + "/" + handler], input=text.replace("\n", "\r\n").encode(), capture_output=True, env=full)
    return p.stdout, entries()

secret = "alice pw"
payload = base64.b64encode(("\0alice@example.com\0" + secret).encode()).decode()
wrong = base64.b64encode(b"\0alice@example.com\0not-the-one").decode()
out, logs = run("smtp-handler", "EHLO c\nAUTH PLAIN " + wrong + "\nAUTH PLAIN " + payload + "\nMAIL FROM:<alice@example.com>\n"
                "RCPT TO:<bob@example.com>\nRCPT TO:<nobody@example.com>\nDATA\nSubject: logged\n\nx\n.\nQUIT\n")
tap.ok(b"250 2.0.0 Ok: queued as" in out, "smtp: a message is delivered")
tap.ok(all(e.get("SYSLOG_IDENTIFIER") == "smtp-handler" and e.get("SYSLOG_FACILITY") == "2" for e in logs) and logs,
       "smtp: every line is smtp-handler's, facility mail")
sessions = {e.get("INETMAIL_SESSION") for e in logs}
tap.ok(len(sessions) == 1 and None not in sessions, "smtp: every line carries the session's id")
tap.ok(any(e.get("INETMAIL_RESULT") == "auth-failed" for e in logs), "smtp: the failed AUTH is logged")
delivered = [e for e in logs if e.get("INETMAIL_RESULT") == "delivered"]
tap.ok(len(delivered) == 1 and "rcpts=2" in delivered[0]["MESSAGE"] and "from=<alice@example.com>" in delivered[0]["MESSAGE"],
       "smtp: one line for the delivery, with sender and recipients")
summary = logs[-1] if logs else {}
tap.ok(summary.get("INETMAIL_RESULT") == "quit" and summary.get("INETMAIL_USER") == "alice@example.com" and
       "messages=1" in summary.get("MESSAGE", "") and summary.get("INETMAIL_PEER"), "smtp: a summary line ends the session")
everything = repr(logs)
tap.ok(secret not in everything and "not-the-one" not in everything and payload not in everything and wrong not in everything,
       "smtp: no password and no AUTH payload in any line")

out, logs = run("smtp-handler", "HELO c\nAUTHLOGIN alice@example.com " + secret + "\nQUIT\n")
tap.ok(b"235" in out and secret not in repr(logs), "smtp: the seed's AUTHLOGIN leaves no password in the log")

out, logs = run("pop3-handler", "USER alice@example.com\nPASS wrong secret\nUSER alice@example.com\nPASS " + secret + "\nRETR 1\nQUIT\n")
tap.ok(all(e.get("SYSLOG_IDENTIFIER") == "pop3-handler" for e in logs) and logs, "pop3: lines are pop3-handler's")
summary = logs[-1] if logs else {}
tap.ok(summary.get("INETMAIL_RESULT") == "quit" and "retrieved=" in summary.get("MESSAGE", "") and
       summary.get("INETMAIL_USER") == "alice@example.com", "pop3: a summary line with what was retrieved and deleted")
tap.ok(secret not in repr(logs) and "wrong secret" not in repr(logs), "pop3: no password in any line")
# The summary's result says how each session ended.
for handler, text, want in (("smtp-handler", "EHLO c\n" + "BOGUS\n" * 20, "errors"),
                            ("smtp-handler", "EHLO c\nNOOP\n", "eof"),
                            ("smtp-handler", "EHLO c\nQUIT\n", "quit"),
                            ("pop3-handler", "USER alice@example.com\nPASS " + secret + "\n" + "BOGUS\n" * 20, "errors"),
                            ("pop3-handler", "USER a\nPASS b\nUSER a\nPASS b\nUSER a\nPASS b\n", "auth-failures"),
                            ("pop3-handler", "CAPA\n", "eof")):
    out, logs = run(handler, text)
    got = logs[-1].get("INETMAIL_RESULT") if logs else None
    tap.is_(got, want, "%s: a session that ends with %r logs result=%s" % (handler, text.split("\n")[-2], want))
tap.ok(not os.environ.get("JOURNAL_STREAM"), "the journal was found by its socket alone")
tap.done()
