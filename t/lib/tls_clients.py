#!/usr/bin/env python3
"""TLS with real clients: STARTTLS, STLS and implicit TLS, with a certificate
made here; passwords refused before TLS; nothing pipelined behind STARTTLS or
STLS is ever executed (the CVE-2011-0411 family)."""
import os, poplib, select, smtplib, socket, ssl, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, mailboxes, reset_db, test_ca

tap = Tap()
build = build_dir()
reset_db()
work = tempfile.mkdtemp()
ca, cert, key = test_ca(work)
tlsenv = {"INETMAIL_TLS_CERT": cert, "INETMAIL_TLS_KEY": key, "INETMAIL_PLAINTEXT_AUTH": "0"}
ctx = ssl.create_default_context(cafile=ca)
sub = Server(build + "/smtp-handler", tlsenv)
pop = Server(build + "/pop3-handler", tlsenv)
subs = Server(build + "/smtp-handler", dict(tlsenv, INETMAIL_TLS="implicit"))
pops = Server(build + "/pop3-handler", dict(tlsenv, INETMAIL_TLS="implicit"))

def newest(addr):
    m = [m for a, m in mailboxes() if a == addr]
    return m[-1] if m else b""

def replies(sock):
    """Reads one complete SMTP reply (all its lines)."""
    data = b""
    while not data or not data.split(b"\r\n")[-2:-1] or data.split(b"\r\n")[-2][3:4] != b" ":
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data

# SMTP STARTTLS with smtplib
with smtplib.SMTP("127.0.0.1", sub.port, timeout=10) as c:
    c.ehlo("client.example")
    tap.ok(c.has_extn("starttls") and not c.has_extn("auth"), "EHLO before TLS offers STARTTLS and not AUTH")
    code, msg = c.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3")
    tap.is_(code, 538, "AUTH before TLS: 538 5.7.11")
    c.starttls(context=ctx)
    c.ehlo("client.example")
    tap.ok(c.has_extn("auth") and not c.has_extn("starttls"), "after STARTTLS: AUTH offered, STARTTLS not")
    tap.is_(c.docmd("STARTTLS")[0], 503, "STARTTLS twice: 503")
    c.login("alice@example.com", "alice pw")
    tap.is_(c.sendmail("alice@example.com", ["bob@example.com"], "Subject: over TLS\r\n\r\nsecret\r\n"), {},
            "smtplib: STARTTLS, AUTH and a message")
got = newest("bob@example.com")
tap.ok(b"with ESMTPSA\r\n\t(TLSv1.3 with cipher " in got, "Received: records ESMTPSA, the TLS version and the cipher")

# A command pipelined behind STARTTLS is never executed: an unauthenticated
# client is cut off (Postfix's smtpd_forbid_unauth_pipelining) ...
s = socket.create_connection(("127.0.0.1", sub.port), timeout=10)
replies(s)
s.sendall(b"EHLO x\r\n")
replies(s)
s.sendall(b"STARTTLS\r\nRSET\r\n")
tap.is_(replies(s), b"554 5.5.0 Error: SMTP protocol synchronization\r\n",
        "unauthenticated, STARTTLS with RSET pipelined behind it: 554 5.5.0 and the end")
tap.is_(s.recv(100), b"", "closed")
s.close()
# ... and after AUTH (where plaintext AUTH is allowed) the plaintext behind it is dropped.
plain = Server(build + "/smtp-handler", dict(tlsenv, INETMAIL_PLAINTEXT_AUTH="1"))
s = socket.create_connection(("127.0.0.1", plain.port), timeout=10)
replies(s)
s.sendall(b"EHLO x\r\n")
replies(s)
s.sendall(b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3\r\n")
replies(s)
s.sendall(b"STARTTLS\r\nRSET\r\n")
tap.ok(replies(s).startswith(b"220 2.0.0"), "authenticated, STARTTLS with RSET pipelined behind it: 220")
t = ctx.wrap_socket(s, server_hostname="mail.example.com")
t.sendall(b"EHLO y\r\n")
first = replies(t)
tap.ok(first.startswith(b"250-mail.example.com"), "the first reply over TLS is EHLO's: the plaintext RSET was dropped")
t.sendall(b"MAIL FROM:<alice@example.com>\r\n")
tap.ok(replies(t).startswith(b"530 5.7.0"), "and the session starts afresh: MAIL needs AUTH again")
t.close()
plain.stop()

def s_client(args, lines):
    """openssl s_client, typing one line at a time as a person would (a client
    that pipelines before authenticating is cut off)."""
    p = subprocess.Popen(["openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile", ca] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in lines:
        time.sleep(0.5)
        p.stdin.write(line)
        p.stdin.flush()
    out = p.communicate(timeout=30)[0]
    return out

# MX: the database is used before STARTTLS (OpenSSL started lean for it)
mx = Server(build + "/smtp-handler", dict(tlsenv, INETMAIL_SMTP_MODE="mx"))
with smtplib.SMTP("127.0.0.1", mx.port, timeout=10) as c:
    c.ehlo("relay.example")
    c.mail("x@elsewhere.example")
    tap.is_(c.rcpt("bob@example.com")[0], 250, "MX: a recipient looked up before STARTTLS")
    c.rset()
    c.starttls(context=ctx)
    c.ehlo("relay.example")
    tap.is_(c.sendmail("x@elsewhere.example", ["bob@example.com"], "Subject: mx tls\r\n\r\nx\r\n"), {},
            "then STARTTLS with a CA-signed certificate still works")
mx.stop()

# openssl s_client -starttls smtp, curl --ssl-reqd, swaks --tls
out = s_client(["-starttls", "smtp", "-connect", "127.0.0.1:%d" % sub.port], [b"EHLO s-client\r\n", b"QUIT\r\n"])
tap.ok(b"250-AUTH PLAIN LOGIN" in out and b"221 2.0.0 Bye" in out, "openssl s_client -starttls smtp")
with tempfile.NamedTemporaryFile("wb") as f:
    f.write(b"Subject: curl over TLS\r\n\r\nx\r\n")
    f.flush()
    r = subprocess.run(["curl", "-sS", "--ssl-reqd", "--cacert", ca, "--resolve", "mail.example.com:%d:127.0.0.1" % sub.port,
                        "smtp://mail.example.com:%d" % sub.port, "--mail-from", "alice@example.com", "--mail-rcpt",
                        "bob@example.com", "--upload-file", f.name, "--user", "alice@example.com:alice pw"],
                       capture_output=True, timeout=30)
    tap.ok(r.returncode == 0 and b"Subject: curl over TLS" in newest("bob@example.com"), "curl --ssl-reqd smtp://")
    r = subprocess.run(["curl", "-sS", "--cacert", ca, "--resolve", "mail.example.com:%d:127.0.0.1" % subs.port,
                        "smtps://mail.example.com:%d" % subs.port, "--mail-from", "alice@example.com", "--mail-rcpt",
                        "bob@example.com", "--upload-file", f.name, "--user", "alice@example.com:alice pw"],
                       capture_output=True, timeout=30)
    tap.is_(r.returncode, 0, "curl smtps:// (implicit TLS)")
r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(sub.port), "--tls", "--auth", "PLAIN",
                    "--auth-user", "alice@example.com", "--auth-password", "alice pw", "--from", "alice@example.com",
                    "--to", "bob@example.com", "--header", "Subject: swaks tls"], capture_output=True, timeout=30)
tap.ok(r.returncode == 0 and b"Subject: swaks tls" in newest("bob@example.com"), "swaks --tls")
out = s_client(["-connect", "127.0.0.1:%d" % subs.port], [b"EHLO implicit\r\n", b"QUIT\r\n"])
tap.ok(out.startswith(b"220 ") and b"250-AUTH PLAIN LOGIN" in out and b"STARTTLS" not in out,
       "openssl s_client, implicit TLS: greeting, AUTH, no STARTTLS")

# POP3 STLS
p = poplib.POP3("127.0.0.1", pop.port, timeout=10)
caps = p.capa()
tap.ok("STLS" in caps and "USER" not in caps, "CAPA before TLS: STLS, no USER")
try:
    p.user("alice@example.com")
    tap.ok(False, "USER before TLS is refused")
except poplib.error_proto as e:
    tap.ok(str(e).startswith("b'-ERR [AUTH]"), "USER before TLS: -ERR [AUTH]")
p.stls(context=ctx)
caps = p.capa()
tap.ok("USER" in caps and "STLS" not in caps, "after STLS: USER, no STLS")
p.user("bob@example.com")
p.pass_("bob pw")
tap.ok(p.stat()[0] >= 3, "poplib: STLS, login and STAT")
p.quit()
s = socket.create_connection(("127.0.0.1", pop.port), timeout=10)
s.recv(4096)
s.sendall(b"STLS\r\nUSER bob@example.com\r\n")
time.sleep(0.2)
tap.ok(s.recv(4096).startswith(b"+OK Begin TLS"), "STLS with USER pipelined behind it: +OK")
t = ctx.wrap_socket(s, server_hostname="mail.example.com")
t.sendall(b"PASS bob pw\r\n")
tap.ok(t.recv(4096).startswith(b"-ERR USER first"), "the plaintext USER was dropped: PASS over TLS needs USER again")
t.close()
out = s_client(["-starttls", "pop3", "-connect", "127.0.0.1:%d" % pop.port], [b"CAPA\r\n", b"QUIT\r\n"])
tap.ok(b"SASL PLAIN" in out and b"+OK Bye" in out, "openssl s_client -starttls pop3")
r = subprocess.run(["curl", "-sS", "--ssl-reqd", "--cacert", ca, "--resolve", "mail.example.com:%d:127.0.0.1" % pop.port,
                    "pop3://mail.example.com:%d/" % pop.port, "--user", "bob@example.com:bob pw"], capture_output=True, timeout=30)
tap.ok(r.returncode == 0 and len(r.stdout.splitlines()) >= 3, "curl --ssl-reqd pop3://")
r = subprocess.run(["curl", "-sS", "--cacert", ca, "--resolve", "mail.example.com:%d:127.0.0.1" % pops.port,
                    "pop3s://mail.example.com:%d/1" % pops.port, "--user", "bob@example.com:bob pw"], capture_output=True, timeout=30)
tap.ok(r.returncode == 0 and b"Subject:" in r.stdout, "curl pop3s:// (implicit TLS) retrieves")
p = poplib.POP3_SSL("127.0.0.1", pops.port, context=ctx, timeout=10)
p.user("bob@example.com")
p.pass_("bob pw")
tap.ok(p.stat()[0] >= 3, "poplib.POP3_SSL (implicit TLS)")
p.quit()

# TLS 1.0 and 1.1 are refused
import warnings
warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is deprecated: that is the point
old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
old.check_hostname = False
old.verify_mode = ssl.CERT_NONE
old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
try:
    with socket.create_connection(("127.0.0.1", pops.port), timeout=10) as s, old.wrap_socket(s) as t:
        t.recv(100)
    tap.ok(False, "TLS 1.1 is refused")
except (ssl.SSLError, OSError):
    tap.ok(True, "TLS 1.1 is refused")

# A ClientHello dribbled in a byte a second, each byte well within the 3 s a
# command may take: the handshake as a whole gets those 3 s, no more.
def client_hello():
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        ctx.wrap_bio(inc, out, server_hostname="mail.example.com").do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()

def dribble(port, before=b"", preamble=()):
    """Seconds until the server closes a connection that sends its ClientHello slowly."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if preamble:
        replies(s) if before == b"smtp" else s.recv(1000)
        for line in preamble:
            s.sendall(line)
            replies(s) if before == b"smtp" else s.recv(1000)
    t0 = time.time()
    try:
        for byte in client_hello():
            s.sendall(bytes([byte]))
            # the server's end: its FIN (or a reset)
            if select.select([s], [], [], 1)[0] and not s.recv(4096):
                break
            if time.time() - t0 > 30:
                return None
    except OSError:
        pass
    return time.time() - t0

slow = {"INETMAIL_SMTP_TIMEOUT": "3", "INETMAIL_POP3_TIMEOUT": "3"}
for name, srv, before, preamble in (
        ("implicit TLS (smtp)", Server(build + "/smtp-handler", dict(tlsenv, INETMAIL_TLS="implicit", **slow)), b"", ()),
        ("STARTTLS", Server(build + "/smtp-handler", dict(tlsenv, **slow)), b"smtp", (b"EHLO x\r\n", b"STARTTLS\r\n")),
        ("STLS", Server(build + "/pop3-handler", dict(tlsenv, **slow)), b"pop3", (b"STLS\r\n",))):
    took = dribble(srv.port, before, preamble)
    tap.ok(took is not None and took < 6, "a ClientHello a byte a second after %s: closed after %s s"
           " (the command timeout, 3 s, bounds the whole handshake)" % (name, took and round(took, 1)))
    srv.stop()

for srv in (sub, pop, subs, pops):
    srv.stop()
tap.done()
