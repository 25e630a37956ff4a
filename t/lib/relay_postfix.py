#!/usr/bin/env python3
"""inetmail-relay with the peers' Postfix as its smarthost (t/relay-postfix.t):
STARTTLS verified against a test CA, AUTH PLAIN through Postfix's Dovecot SASL
only once TLS is on, the message in the provider's Maildir as it left here."""
import glob, os, smtplib, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, reset_db, sql, test_ca

tap = Tap()
build = build_dir()
peers = dict(l.split("=", 1) for l in open(os.environ["PEERS_ENV"]).read().splitlines() if "=" in l and l[0] != "#")
tmp = tempfile.mkdtemp(prefix="relay-postfix-", dir=os.path.dirname(os.environ["PEERS_ENV"]))

def provider_sql(query):
    return subprocess.run(["mariadb", "--no-defaults", "--socket=" + peers["DB_SOCK"], "-uroot", "-N", "mailserver", "-e",
                           query], capture_output=True, check=True).stdout.decode()

# The provider: an account for this site's user, and STARTTLS with AUTH only over it.
pw_hash = subprocess.run(["doveadm", "-c", peers["DC_CONF"], "pw", "-s", "SHA512-CRYPT", "-p", "provider pw"],
                         capture_output=True, check=True).stdout.decode().strip()
provider_sql("INSERT INTO virtual_users (domain_id, email, password) VALUES (1, 'alice@example.com', '%s')" % pw_hash)
ca, cert, key = test_ca(tmp, "smarthost.test")
os.chmod(tmp, 0o711)  # Postfix's smtpd reads its certificate and key as the postfix user
subprocess.run(["chgrp", "postfix", key], check=True)
os.chmod(key, 0o640)
port = peers["SMTP_PORT"]
svc = "127.0.0.1:%s/inet" % port
pf = ["-c", peers["PF_ETC"]]
subprocess.run(["postconf"] + pf + ["-e", "smtpd_tls_cert_file=" + cert, "smtpd_tls_key_file=" + key,
                                    "smtpd_tls_received_header=yes"], check=True)
subprocess.run(["postconf"] + pf + ["-P", svc + "/smtpd_tls_security_level=may", svc + "/smtpd_tls_auth_only=yes"],
               check=True)
subprocess.run(["postconf"] + pf + ["-M", "tlsmgr/unix=tlsmgr unix - - n 1000? 1 tlsmgr"], check=True)
subprocess.run(["postfix"] + pf + ["reload"], check=True, capture_output=True)
time.sleep(1)
with smtplib.SMTP("127.0.0.1", int(port), timeout=30) as c:
    c.ehlo("check.example")
    tap.ok(c.has_extn("starttls") and not c.has_extn("auth"), "the smarthost offers STARTTLS, and AUTH only after it")

reset_db()
sub = Server(build + "/smtp-handler", {"INETMAIL_RELAY": "smarthost", "INETMAIL_PLAINTEXT_AUTH": "1"})

def send(subject):
    with smtplib.SMTP("127.0.0.1", sub.port, timeout=60) as c:
        c.login("alice@example.com", "alice pw")
        return c.sendmail("alice@example.com", ["bench2@bench.test"],
                          "From: alice@example.com\r\nTo: bench2@bench.test\r\nSubject: %s\r\n\r\nVia Postfix.\r\n" % subject)

def relay(credentials):
    auth = os.path.join(tmp, "auth")
    with open(auth, "w") as f:
        f.write(credentials + "\n")
    env = dict(os.environ, INETMAIL_RELAY="smarthost", INETMAIL_RELAY_HOST="[127.0.0.1]:%s" % port,
               INETMAIL_RELAY_CA=ca, INETMAIL_RELAY_AUTH_FILE=auth)
    return subprocess.run([build + "/inetmail-relay", "--once"], env=env, capture_output=True, timeout=120)

def queue():
    return [r.split("\t") for r in sql("SELECT recipient, COALESCE(last_answer, '') FROM relay_queue").splitlines()]

def maildir():
    return sorted(glob.glob(os.path.join(peers["MAIL_ROOT"], "bench.test", "bench2", "Maildir", "new", "*")) +
                  glob.glob(os.path.join(peers["MAIL_ROOT"], "bench.test", "bench2", "new", "*")))

tap.is_(send("wrong password"), {}, "submission queues a mail for the provider's domain")
relay("alice@example.com:not the password")
q = queue()
def postfix_log():
    return "".join(open(f, errors="replace").read() for f in glob.glob(os.path.join(peers["LOG_DIR"], "*"))
                   if os.path.isfile(f))
if not tap.ok(len(q) == 1 and "535" in q[0][1], "a refused login: kept for later, the 535 recorded (%r)" % q):
    tap.diag("\n".join(l for l in postfix_log().splitlines() if "warning" in l or "fatal" in l)[-3000:])
sql("UPDATE relay_queue SET next_try_at = NOW(6)")
r = relay("alice@example.com:provider pw")
tap.is_(r.returncode, 0, "inetmail-relay --once exits 0")
tap.is_(queue(), [], "the right login: sent")
deadline = time.time() + 30
while not maildir() and time.time() < deadline:
    time.sleep(0.2)
files = maildir()
tap.is_(len(files), 1, "Postfix delivered it to the provider's mailbox, once")
got = open(files[0], "rb").read() if files else b""
head = got.split(b"\n\n")[0]
tap.ok(b"using TLSv1." in head, "over TLS (Postfix's Received: says so)")
logs = postfix_log()
tap.ok("sasl_method=PLAIN, sasl_username=alice@example.com" in logs, "authenticated with AUTH PLAIN as alice@example.com")
tap.ok(got.endswith(b"\nFrom: alice@example.com\nTo: bench2@bench.test\nSubject: wrong password\n\nVia Postfix.\n"),
       "the message as it was written, under the trace fields (the Maildir has LF line ends)")
tap.ok(b"Return-Path: <alice@example.com>" in head and head.count(b"Return-Path:") == 1,
       "with one Return-Path, the provider's")
tap.done()
