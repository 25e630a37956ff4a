#!/usr/bin/env python3
"""A real xinetd -dontfork with units/xinetd/* (ports, paths and the user
substituted), mail sent and read through it, and nothing the handlers log
reaching a client even though xinetd makes fd 2 the connection too."""
import os, poplib, re, smtplib, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, build_dir, free_port, mailboxes, reset_db, test_ca

tap = Tap()
top = os.path.join(os.path.dirname(__file__), "../..")
build = build_dir()
reset_db()
work = tempfile.mkdtemp()
ca, cert, key = test_ca(work)
ports = {name: free_port() for name in ("smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps")}
conf = os.path.join(work, "xinetd.conf")
user = subprocess.getoutput("id -un")
with open(conf, "w") as out:
    # Tests connect in bursts: xinetd's default cps = 50 10 would refuse them.
    out.write("defaults\n{\n\tinstances = UNLIMITED\n\tper_source = UNLIMITED\n\tcps = 100000 1\n}\n")
    for name, port in ports.items():
        text = open(os.path.join(build, "xinetd", name)).read()
        text = re.sub(r"port\s*=\s*\d+", "port        = %d\n\ttype        = UNLISTED\n\tbind        = 127.0.0.1" % port, text)
        text = re.sub(r"user\s*=\s*\S+", "user        = " + user, text)
        text = re.sub(r"disable\s*=\s*yes", "disable     = no", text)
        text = re.sub(r"INETMAIL_MYCNF=\S+", "INETMAIL_MYCNF=" + os.environ["INETMAIL_MYCNF"] +
                      " INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_HOSTNAME=mail.example.com" +
                      "".join(" %s=%s" % (k, os.environ[k]) for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS") if k in os.environ),
                      text)
        text = re.sub(r"server\s*=\s*\S+/", "server      = " + build + "/", text)
        text = re.sub(r"INETMAIL_TLS_CERT=\S+", "INETMAIL_TLS_CERT=" + cert, text)
        text = re.sub(r"INETMAIL_TLS_KEY=\S+", "INETMAIL_TLS_KEY=" + key, text)
        text = text.replace("cps         = 500 5", "")
        out.write(text)
xinetd = subprocess.Popen(["xinetd", "-dontfork", "-f", conf, "-pidfile", os.path.join(work, "pid")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", ports["pop3"]), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    with smtplib.SMTP("127.0.0.1", ports["submission"], timeout=10) as c:
        c.login("alice@example.com", "alice pw")
        tap.is_(c.sendmail("alice@example.com", ["bob@example.com"], "Subject: via xinetd\r\n\r\nsubmitted\r\n"), {},
                "xinetd: submission with AUTH")
    with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=10) as c:
        tap.is_(c.sendmail("x@elsewhere.example", ["bob@example.com"], "Subject: via xinetd MX\r\n\r\nrelayed\r\n"), {},
                "xinetd: MX without AUTH")
        try:
            c.sendmail("x@elsewhere.example", ["nobody@example.com"], "Subject: x\r\n\r\nx\r\n")
            tap.ok(False, "xinetd MX refuses unknown recipients")
        except smtplib.SMTPRecipientsRefused:
            tap.ok(True, "xinetd MX refuses unknown recipients")
    stored = [m for a, m in mailboxes() if a == "bob@example.com"]
    tap.ok(len(stored) == 2 and b"Received: from " in stored[0] and b"([127.0.0.1])" in stored[0],
           "both stored, the peer address taken from xinetd's REMOTE_HOST")
    p = poplib.POP3("127.0.0.1", ports["pop3"], timeout=10)
    p.user("bob@example.com")
    p.pass_("bob pw")
    got = [b"\r\n".join(p.retr(i)[1]) for i in (1, 2)]
    p.quit()
    tap.ok(b"submitted" in got[0] and b"relayed" in got[1], "xinetd: POP3 reads both back")
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    p = poplib.POP3_SSL("127.0.0.1", ports["pop3s"], context=ctx, timeout=10)
    p.user("bob@example.com")
    p.pass_("bob pw")
    tap.is_(p.stat()[0], 2, "xinetd: POP3 over implicit TLS (pop3s)")
    p.quit()
    import imaplib
    m = imaplib.IMAP4("127.0.0.1", ports["imap"], timeout=10)
    m.starttls(ssl_context=ctx)
    m.login("bob@example.com", "bob pw")
    tap.is_(m.select("INBOX", readonly=True), ("OK", [b"2"]), "xinetd: IMAP after STARTTLS sees both")
    m.logout()
    m = imaplib.IMAP4_SSL("127.0.0.1", ports["imaps"], ssl_context=ctx, timeout=10)
    m.login("bob@example.com", "bob pw")
    tap.is_(m.select("INBOX", readonly=True), ("OK", [b"2"]), "xinetd: IMAP over implicit TLS (imaps)")
    m.logout()
    with smtplib.SMTP_SSL("127.0.0.1", ports["submissions"], context=ctx, timeout=10) as c:
        c.login("alice@example.com", "alice pw")
        tap.is_(c.sendmail("alice@example.com", ["bob@example.com"], "Subject: smtps\r\n\r\nx\r\n"), {},
                "xinetd: submission over implicit TLS (submissions)")

    # With the database unreachable the handlers log errors: none may reach the client.
    def raw(port, steps):
        """Sends each step after the replies to the one before have arrived."""
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        data = b""
        for step in steps:
            time.sleep(0.2)
            data += s.recv(65536)
            s.sendall(step)
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk
    with open(conf) as f:
        text = f.read()
    bad = os.path.join(work, "down.cnf")
    open(bad, "w").write("[inetmail]\nsocket=/nonexistent/sock\nuser=x\n")
    # A second xinetd, on other ports, whose handlers find no database.
    conf2 = os.path.join(work, "xinetd-down.conf")
    text2 = text.replace(os.environ["INETMAIL_MYCNF"], bad)
    for name in ports:
        ports[name] = free_port()
    text2 = re.sub(r"port\s*=\s*\d+", lambda m, it=iter(ports.values()): "port        = %d" % next(it), text2)
    open(conf2, "w").write(text2)
    down = subprocess.Popen(["xinetd", "-dontfork", "-f", conf2, "-pidfile", os.path.join(work, "pid2")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        smtp_out = raw(ports["smtp"], [b"EHLO x\r\n", b"MAIL FROM:<>\r\nRCPT TO:<bob@example.com>\r\n", b"QUIT\r\n"])
        pop_out = raw(ports["pop3"], [b"USER bob@example.com\r\nPASS bob pw\r\nQUIT\r\n"])
        smtp_lines = smtp_out.split(b"\r\n")
        tap.ok(smtp_out.endswith(b"\r\n") and all(re.match(rb"^(\d{3}[ -]|$)", l) for l in smtp_lines) and
               b"451 4.3.0" in smtp_out, "database down under xinetd: only SMTP replies reach the client (451 4.3.0)")
        tap.ok(pop_out.endswith(b"\r\n") and all(re.match(rb"^(\+OK|-ERR|$)", l) for l in pop_out.split(b"\r\n")) and
               b"-ERR [SYS/TEMP]" in pop_out, "and only POP3 replies (-ERR [SYS/TEMP])")
        if tap.failed:
            tap.diag(repr(smtp_out) + "\n" + repr(pop_out))
    finally:
        down.terminate()
        down.wait()
finally:
    xinetd.terminate()
    xinetd.wait()
tap.done()
