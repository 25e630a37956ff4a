#!/usr/bin/env python3
"""Reads a bounce on stdin; exits 0 when it is a well-formed RFC 3464 report
with the seed's subject and wording, else prints what is wrong and exits 1.
  check-bounce.py --rcpt ADDR [--rcpt ADDR...] [--refused ADDR...] [--unreachable ADDR...] [--subject S] [--body B]
                  [--header LINE]
--rcpt: not found here; --refused: refused by a remote server (named in Remote-MTA);
--unreachable: given up on with no server's refusal."""
import argparse, email, email.policy, re, sys

ap = argparse.ArgumentParser()
ap.add_argument("--rcpt", action="append", default=[])
ap.add_argument("--refused", action="append", default=[])
ap.add_argument("--unreachable", action="append", default=[])
ap.add_argument("--subject")
ap.add_argument("--body")
ap.add_argument("--header", action="append", default=[])
args = ap.parse_args()
raw = sys.stdin.buffer.read()
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

lines = raw.split(b"\r\n")
need(lines[-1] == b"", "does not end in CRLF")
for i, l in enumerate(lines):
    need(b"\r" not in l and b"\n" not in l, "bare CR or LF in line %d" % (i + 1))
    need(len(l) <= 998, "line %d longer than 998 octets" % (i + 1))
    need(b"\0" not in l, "NUL in line %d" % (i + 1))

msg = email.message_from_bytes(raw, policy=email.policy.compat32)
need(msg["Subject"] == "ERROR - Your email was not sent", "subject is %r" % msg["Subject"])
need(msg["Auto-Submitted"] == "auto-replied", "no Auto-Submitted: auto-replied")
need("MAILER-DAEMON@" in (msg["From"] or ""), "From is %r" % msg["From"])
need(msg.get_content_type() == "multipart/report", "type %s" % msg.get_content_type())
need(msg.get_param("report-type") == "delivery-status", "report-type")
need(not msg.defects, "defects: %r" % msg.defects)
parts = msg.get_payload() if msg.is_multipart() else []
types = [p.get_content_type() for p in parts]
need(types == ["text/plain", "message/delivery-status", "text/rfc822-headers"], "parts %r" % types)
if len(parts) == 3:
    text = parts[0].get_payload(decode=True).decode("utf-8")
    for r in args.rcpt:
        need("Recipient %s was not found." % r in text, "no 'Recipient %s was not found.' in %r" % (r, text))
    for r in args.refused:
        need("Recipient %s was refused by " % r in text, "no 'Recipient %s was refused by' in %r" % (r, text))
    for r in args.unreachable:
        need("Recipient %s could not be reached: " % r in text, "no 'Recipient %s could not be reached' in %r" % (r, text))
    need("Please try again with another recipient." in text, "no closing sentence")
    if args.subject is not None:
        want = "Email with subject %s, body: " % args.subject
        need(want in text, "no %r in %r" % (want, text))
    if args.body is not None:
        need(("body: " + args.body) in text, "body excerpt %r not in %r" % (args.body, text))
    blocks = parts[1].get_payload()
    need(isinstance(blocks, list) and len(blocks) == 1 + len(args.rcpt) + len(args.refused) + len(args.unreachable),
         "delivery-status blocks")
    if isinstance(blocks, list) and blocks:
        need((blocks[0]["Reporting-MTA"] or "").startswith("dns; "), "Reporting-MTA")
        finals = [b["Final-Recipient"] for b in blocks[1:]]
        need(sorted(finals) == sorted("rfc822; " + r for r in args.rcpt + args.refused + args.unreachable),
             "Final-Recipient %r" % finals)
        for b in blocks[1:]:
            if b["Final-Recipient"][len("rfc822; "):] in args.refused:
                need(b["Action"] == "failed" and re.match(r"5\.\d+\.\d+$", b["Status"] or ""), "Action/Status")
                need((b["Remote-MTA"] or "").startswith("dns; "), "Remote-MTA")
                need((b["Diagnostic-Code"] or "").startswith("smtp; 5"), "Diagnostic-Code")
                continue
            if b["Final-Recipient"][len("rfc822; "):] in args.unreachable:
                need(b["Action"] == "failed" and re.match(r"5\.\d+\.\d+$", b["Status"] or ""), "Action/Status")
                need(b["Remote-MTA"] is None, "no Remote-MTA")
                need((b["Diagnostic-Code"] or "").startswith("smtp; "), "Diagnostic-Code")
                continue
            need(b["Action"] == "failed" and b["Status"] == "5.1.1", "Action/Status")
            need((b["Diagnostic-Code"] or "").startswith("smtp; 550 5.1.1"), "Diagnostic-Code")
    hdr = parts[2].get_payload(decode=True)
    for h in args.header:
        need(h.encode() in hdr, "original header lacks %r" % h)
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
