#!/usr/bin/env python3
"""testssl.sh against the STARTTLS services (SMTP submission, POP3) on
loopback: no finding rated HIGH or CRITICAL."""
import json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, reset_db, test_ca

tap = Tap()
build = build_dir()
reset_db()
work = tempfile.mkdtemp()
ca, cert, key = test_ca(work)
env = {"INETMAIL_TLS_CERT": cert, "INETMAIL_TLS_KEY": key}
for name, handler, proto in (("submission", "smtp-handler", "smtp"), ("pop3", "pop3-handler", "pop3")):
    srv = Server(build + "/" + handler, env)
    out = os.path.join(work, name + ".json")
    r = subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off", "--starttls", proto, "--add-ca", ca,
                        "--jsonfile", out, "127.0.0.1:%d" % srv.port], capture_output=True, timeout=600)
    srv.stop()
    findings = json.load(open(out)) if os.path.exists(out) else []
    tap.ok(len(findings) > 20, "%s: testssl.sh ran (%d findings)" % (name, len(findings)))
    bad = [(f["id"], f["severity"], f["finding"]) for f in findings if f["severity"] in ("HIGH", "CRITICAL")]
    tap.is_(bad, [], "%s: nothing rated HIGH or CRITICAL" % name)
    tap.ok(any(f["id"] == "TLS1_3" and f["finding"].startswith("offered") for f in findings) and
           any(f["id"] == "TLS1_1" and f["finding"] == "not offered" for f in findings), "%s: TLS 1.3 offered, 1.1 not" % name)
    tap.ok(any(f["id"] == "cert_chain_of_trust" and f["severity"] == "OK" for f in findings),
           "%s: the handshake completes and the chain is trusted" % name)
tap.done()
