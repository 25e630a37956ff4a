#!/usr/bin/env python3
"""make bench BENCH=checks: what smtp-handler's MX checks add to each message
at concurrency 1, in a network namespace of its own (run by t/run-bench with
unshare): one client sends MESSAGES DKIM-signed messages, one a session,
with the checks off (a client in INETMAIL_CHECKS_EXEMPT), with SPF, DKIM,
DMARC, a DNS blocklist and greylisting (passed) against a local DNS
(dnsmasq), and with rspamd too. Prints each latency's median and the extra."""
import os, smtplib, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from mx_peers import dkim_key, dkim_sign, dns, netns, rspamd
from testlib import Server, build_dir

MESSAGES = int(os.environ.get("CHECKS_MESSAGES", "200"))
build = build_dir()
tmp = tempfile.mkdtemp(prefix="bench-checks-", dir=sys.argv[1] if len(sys.argv) > 1 else None)
netns(tmp, ["192.0.2.10"])
key, pub = dkim_key(tmp)
resolver = dns(tmp, ["--txt-record=pass.test,v=spf1 ip4:192.0.2.0/24 -all",
                     "--txt-record=s1._domainkey.pass.test,v=DKIM1; k=rsa; p=" + pub,
                     "--txt-record=_dmarc.pass.test,v=DMARC1; p=reject"])
scanner = rspamd(tmp, "") if subprocess.run(["sh", "-c", "command -v rspamd"], capture_output=True).returncode == 0 else None
body = b"From: Alice <alice@pass.test>\r\nTo: bench@example.com\r\nSubject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 26
msg = dkim_sign(key, "pass.test", "s1", body)
mx = {"INETMAIL_SMTP_MODE": "mx"}
variants = [("checks off", Server(build + "/smtp-handler", mx), "127.0.0.1"),
            ("SPF DKIM DMARC DNSBL greylist", Server(build + "/smtp-handler", dict(mx, INETMAIL_DNSBL="bl.test",
                                                                                  INETMAIL_GREYLIST="1")), "192.0.2.10")]
if scanner:
    variants.append(("all of those and rspamd", Server(build + "/smtp-handler", dict(
        mx, INETMAIL_DNSBL="bl.test", INETMAIL_GREYLIST="1", INETMAIL_RSPAMD="http://127.0.0.1:11333")), "192.0.2.10"))

def send(port, src):
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, source_address=(src, 0), timeout=30) as c:
        c.sendmail("alice@pass.test", ["bench@example.com"], msg)
    return (time.perf_counter() - start) * 1000

for _, server, src in variants[1:]:  # the greylist's first try, and its delay
    try:
        send(server.port, src)
    except smtplib.SMTPException:
        pass
time.sleep(1.2)
print("%-32s %10s %10s %10s" % ("c1, %d messages each" % MESSAGES, "median_ms", "p90_ms", "extra_ms"))
base = None
for name, server, src in variants:
    times = sorted(send(server.port, src) for _ in range(MESSAGES))
    median = statistics.median(times)
    base = median if base is None else base
    print("%-32s %10.2f %10.2f %10.2f" % (name, median, times[int(len(times) * 0.9)], median - base))
if not scanner:
    print("(rspamd is not installed: no rspamd figure)")
for server in [v[1] for v in variants]:
    server.stop()
if scanner:
    scanner.terminate()
resolver.terminate()
