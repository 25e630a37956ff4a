#!/usr/bin/env python3
"""Clients run inside the container of t/systemd-units.t (its network is
private), against the real socket units as README's Deploying sets them up:
the server is mail.example.com (127.0.0.1 in /etc/hosts), its certificate the
self-signed one README makes, verified as the trust anchor.
  deployed_clients.py submission|submissions|mx SUBJECT  one message to alice
  deployed_clients.py pop3|pop3s|imap|imaps             alice's Subject lines
  deployed_clients.py guess SOURCE N                     N wrong AUTH from SOURCE
  deployed_clients.py hold PORT SECONDS                  a session left open
Prints one JSON line."""
import imaplib, json, poplib, re, smtplib, socket, ssl, sys, time

HOST, USER, PASSWORD = "mail.example.com", "alice@example.com", "alice pw"
tls = ssl.create_default_context(cafile="/etc/inetmail/tls.crt")


def message(subject):
    return ("From: <bob@elsewhere.example>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nsent through the real units\r\n"
            % (USER, subject))


def send(mode, subject):
    if mode == "submissions":
        s = smtplib.SMTP_SSL(HOST, 465, context=tls, timeout=30)
    else:
        s = smtplib.SMTP(HOST, 587 if mode == "submission" else 25, timeout=30)
        s.starttls(context=tls)
    tls_version = s.sock.version()
    if mode != "mx":
        s.login(USER, PASSWORD)
    refused = s.sendmail(USER if mode != "mx" else "bob@elsewhere.example", [USER], message(subject))
    s.quit()
    return {"tls": tls_version, "refused": refused}


def read(mode):
    if mode == "pop3s":
        p = poplib.POP3_SSL(HOST, 995, context=tls, timeout=30)
    else:
        p = poplib.POP3(HOST, 110, timeout=30)
        p.stls(context=tls)
    tls_version = p.sock.version()
    p.user(USER)
    p.pass_(PASSWORD)
    subjects = []
    for i in range(1, len(p.list()[1]) + 1):
        for line in p.retr(i)[1]:
            if line.startswith(b"Subject: "):
                subjects.append(line[9:].decode())
    p.quit()
    return {"tls": tls_version, "subjects": subjects}


def read_imap(mode):
    if mode == "imaps":
        c = imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls, timeout=30)
    else:
        c = imaplib.IMAP4(HOST, 143, timeout=30)
        c.starttls(ssl_context=tls)
    tls_version = c.sock.version()
    c.login(USER, PASSWORD)
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER])")
    subjects = [m.group(1).decode() for d in data if isinstance(d, tuple)
                for m in [re.search(rb"^Subject: (.*?)\r$", d[1], re.M)] if m]
    c.logout()
    return {"tls": tls_version, "subjects": subjects}


def guess(source, n):
    """Wrong passwords over submission with STARTTLS, one session each."""
    answers = []
    for _ in range(n):
        s = smtplib.SMTP(timeout=60, source_address=(source, 0))
        s.connect("192.0.2.1", 587)
        s._host = HOST  # the name STARTTLS verifies
        s.starttls(context=tls)
        s.ehlo()
        s.user, s.password = USER, "not the password"
        try:  # AUTH PLAIN only: login() would go on to try LOGIN too
            s.auth("PLAIN", s.auth_plain)
        except smtplib.SMTPAuthenticationError as e:
            answers.append(e.smtp_code)
        s.quit()
    return {"answers": answers}


def hold(port, seconds):
    c = socket.create_connection((HOST, port), timeout=30)
    greeting = c.recv(512).decode()
    time.sleep(seconds)
    c.close()
    return {"greeting": greeting}


what = sys.argv[1]
if what in ("submission", "submissions", "mx"):
    out = send(what, sys.argv[2])
elif what in ("pop3", "pop3s"):
    out = read(what)
elif what in ("imap", "imaps"):
    out = read_imap(what)
elif what == "guess":
    out = guess(sys.argv[2], int(sys.argv[3]))
else:
    out = hold(int(sys.argv[2]), float(sys.argv[3]))
print(json.dumps(out))
