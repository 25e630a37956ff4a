#!/usr/bin/env python3
"""smtp-handler's MX checks, run by t/mx-checks.t in a network and mount
namespace of its own: 127.0.0.1:53 is a dnsmasq serving the SPF records of
a few sender domains and a DNS blocklist (bl.test); clients connect from
addresses of their own on loopback (192.0.2.0/24, 198.51.100.7)."""
import os, smtplib, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, journal_entries, journal_socket, mailboxes, reset_db, sql

tap = Tap()
build = build_dir()
tmp = tempfile.mkdtemp(prefix="mx-checks-", dir=os.environ["INETMAIL_TEST_DIR"])

# The namespace's network and name service: loopback up with the clients' addresses, our DNS in resolv.conf.
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
for a in ("192.0.2.10", "192.0.2.11", "192.0.2.66", "198.51.100.7"):
    subprocess.run(["ip", "addr", "add", a + "/32", "dev", "lo"], check=True)
resolv = os.path.join(tmp, "resolv.conf")
with open(resolv, "w") as f:
    f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
os.makedirs("/run/systemd/journal")
journal = journal_socket()
journal_lines = []
def drain():  # a datagram socket holds only a few: every sender would block on a full one
    while True:
        journal_lines.extend(journal_entries(journal))
threading.Thread(target=drain, daemon=True).start()
# Names under .test are answered here alone; others (unanswered.example) are REFUSED: a DNS failure.
dns = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--user=root",
                        "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53", "--local=/test/",
                        "--pid-file=" + os.path.join(tmp, "dnsmasq.pid"),
                        "--txt-record=pass.test,v=spf1 ip4:192.0.2.0/24 -all",
                        "--txt-record=fail.test,v=spf1 -all",
                        "--txt-record=soft.test,v=spf1 ~all",
                        "--txt-record=mx.pass.test,v=spf1 ip4:192.0.2.10 -all",
                        "--host-record=66.2.0.192.bl.test,127.0.0.2",
                        "--txt-record=66.2.0.192.bl.test,listed for testing"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.3)

reset_db()
sql("DELETE FROM greylist")
env = {"INETMAIL_SMTP_MODE": "mx"}
mx = Server(build + "/smtp-handler", env)

def session(port, src, mail_from, rcpt="alice@example.com", helo="client.test", msg=None):
    """The reply that ended the transaction: MAIL's or RCPT's refusal, else DATA's, as (code, text)."""
    c = smtplib.SMTP("127.0.0.1", port, local_hostname=helo, source_address=(src, 0), timeout=30)
    try:
        c.ehlo(helo)
        for step in (lambda: c.mail(mail_from), lambda: c.rcpt(rcpt),
                     lambda: c.data(msg or b"From: someone@pass.test\r\nSubject: checks\r\n\r\nHello.\r\n")):
            code, text = step()
            if code not in (250, 354):
                return code, text.decode()
        return code, text.decode()
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass

def last_stored(addr="alice@example.com"):
    box = [m for a, m in mailboxes() if a == addr]
    return box[-1] if box else b""

def results(msg):
    """The Authentication-Results field of a stored message, unfolded, or None."""
    head = msg.split(b"\r\n\r\n", 1)[0].replace(b"\r\n\t", b" ").replace(b"\r\n ", b" ")
    found = [l.decode() for l in head.split(b"\r\n") if l.lower().startswith(b"authentication-results:")]
    return found

def logs():
    """The handlers' session lines since the last call."""
    time.sleep(0.6)
    lines = journal_lines[:]
    del journal_lines[:len(lines)]
    return [e for e in lines if e.get("SYSLOG_IDENTIFIER") == "smtp-handler"]

# ---- SPF: recorded in Authentication-Results and the log; refused only when asked
code, _ = session(mx.port, "192.0.2.10", "a@pass.test")
tap.is_(code, 250, "a sender its domain's SPF record allows is accepted")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=pass smtp.mailfrom=a@pass.test"],
        "and its message carries Authentication-Results: spf=pass (authserv-id INETMAIL_HOSTNAME)")
lines = logs()
tap.ok(any(e.get("INETMAIL_SPF") == "pass" and "spf=pass" in e.get("MESSAGE", "") for e in lines),
       "the session's log lines say spf=pass, and carry INETMAIL_SPF=pass")
code, _ = session(mx.port, "198.51.100.7", "b@fail.test")
tap.is_(code, 250, "an SPF fail is only recorded by default")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=b@fail.test"],
        "as spf=fail")
code, _ = session(mx.port, "192.0.2.10", "", helo="mx.pass.test")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=pass smtp.helo=mx.pass.test"],
        "MAIL FROM:<> is checked by its HELO name (RFC 7208 2.3)")
code, _ = session(mx.port, "198.51.100.7", "c@nospf.test")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=none smtp.mailfrom=c@nospf.test"],
        "a domain without a record gives spf=none")
code, _ = session(mx.port, "127.0.0.1", "a@pass.test")
tap.is_((code, results(last_stored())), (250, []), "a client in INETMAIL_CHECKS_EXEMPT (loopback by default) is not checked")

strict = Server(build + "/smtp-handler", dict(env, INETMAIL_SPF_REJECT="fail"))
code, text = session(strict.port, "198.51.100.7", "b@fail.test")
tap.is_((code, text[:6]), (550, "5.7.23"), "INETMAIL_SPF_REJECT=fail refuses a hard fail with 550 5.7.23: " + text)
code, _ = session(strict.port, "198.51.100.7", "d@soft.test")
tap.is_(code, 250, "but not a softfail")
tap.ok(any("rejected SPF fail" in e.get("MESSAGE", "") and e.get("INETMAIL_SPF") == "fail" for e in logs()),
       "the refusal is logged with spf=fail")

# ---- Authentication-Results that claim to be ours are removed; others' are kept
forged = (b"Authentication-Results: mail.example.com; dkim=pass header.d=example.com\r\n"
          b"Authentication-Results: (a comment)\r\n MAIL.EXAMPLE.COM; dmarc=pass\r\n"
          b"Authentication-Results: mx.elsewhere.test; spf=pass smtp.mailfrom=a@pass.test\r\n"
          b"From: a@pass.test\r\nSubject: forged\r\n\r\nbody\r\n")
code, _ = session(mx.port, "192.0.2.10", "a@pass.test", msg=forged)
stored = last_stored()
tap.is_(results(stored), ["Authentication-Results: mail.example.com; spf=pass smtp.mailfrom=a@pass.test",
                          "Authentication-Results: mx.elsewhere.test; spf=pass smtp.mailfrom=a@pass.test"],
        "an incoming Authentication-Results with our authserv-id is removed (folded, commented, any case)")
tap.ok(stored.endswith(b"From: a@pass.test\r\nSubject: forged\r\n\r\nbody\r\n"), "the rest of the message is intact")

# ---- DNS blocklists: a listed client is refused at RCPT, naming the zone; a DNS failure never refuses
bl = Server(build + "/smtp-handler", dict(env, INETMAIL_DNSBL="none.test bl.test"))
code, text = session(bl.port, "192.0.2.66", "a@pass.test")
tap.is_((code, text[:5], "bl.test" in text), (554, "5.7.1", True), "a client bl.test lists gets 554 5.7.1 naming it: " + text)
tap.ok(any(e.get("INETMAIL_DNSBL") == "bl.test" and "listed in bl.test" in e.get("MESSAGE", "") for e in logs()),
       "and the log says which list")
code, _ = session(bl.port, "192.0.2.10", "a@pass.test")
tap.is_(code, 250, "a client no list names is accepted")
broken = Server(build + "/smtp-handler", dict(env, INETMAIL_DNSBL="unanswered.example"))
code, _ = session(broken.port, "192.0.2.66", "a@pass.test")
tap.is_(code, 250, "a list that cannot be asked (REFUSED) refuses nobody")
tap.ok(any(e.get("INETMAIL_DNSBL") == "temperror" for e in logs()), "the failure is logged: dnsbl=temperror")

# ---- Greylisting: a new triplet waits, its retry after the delay passes, and passes later at once
grey = Server(build + "/smtp-handler", dict(env, INETMAIL_GREYLIST="2"))
code, text = session(grey.port, "192.0.2.10", "g@pass.test")
tap.is_((code, text[:5]), (451, "4.7.1"), "the first try of a new (client, sender, recipient) gets 451 4.7.1: " + text)
code, _ = session(grey.port, "192.0.2.10", "g@pass.test")
tap.is_(code, 451, "a retry before the delay is deferred again")
time.sleep(2.2)
code, _ = session(grey.port, "192.0.2.10", "g@pass.test")
tap.is_(code, 250, "a retry after INETMAIL_GREYLIST seconds is accepted")
code, _ = session(grey.port, "192.0.2.11", "g@pass.test")
tap.is_(code, 250, "later mail of that triplet passes at once, from any address of the client's /24")
code, _ = session(grey.port, "198.51.100.7", "g@pass.test")
tap.is_(code, 451, "another network is a new triplet")
code, _ = session(grey.port, "192.0.2.10", "g@pass.test", rcpt="nobody@example.com")
tap.is_(code, 550, "an unknown recipient is refused as before, and makes no row")
tap.is_(sql("SELECT client, sender, recipient, passed FROM greylist ORDER BY client").strip().splitlines(),
        ["192.0.2.0/24\tg@pass.test\talice@example.com\t1", "198.51.100.0/24\tg@pass.test\talice@example.com\t0"],
        "the table holds a row per triplet, the client by its /24")
tap.ok(any(e.get("INETMAIL_GREYLIST") == "deferred" for e in logs()), "deferrals are logged: greylist=deferred")
sql("UPDATE greylist SET last_seen = last_seen - 36 * 86400 WHERE client = '198.51.100.0/24'")
code, _ = session(grey.port, "192.0.2.10", "h@pass.test")
tap.is_(sql("SELECT COUNT(*) FROM greylist WHERE client = '198.51.100.0/24'").strip(), "0",
        "a triplet unused for 35 days is removed when a new one is added")

# ---- a real client that retries: our relay agent, delivering to this MX from another site's database
sender_env = dict(os.environ, INETMAIL_MYCNF=os.environ["SENDER_MYCNF"], INETMAIL_HOSTNAME="mail.sender.test",
                  INETMAIL_DOMAIN="sender.test")
subprocess.run([build + "/mailctl", "--scheme", "sha512crypt", "add", "sam@sender.test"], input=b"sam pw\n",
               env=sender_env, check=True, stdout=subprocess.DEVNULL)
sub = Server(build + "/smtp-handler", dict(INETMAIL_MYCNF=os.environ["SENDER_MYCNF"], INETMAIL_HOSTNAME="mail.sender.test",
                                           INETMAIL_DOMAIN="sender.test", INETMAIL_RELAY="smarthost",
                                           INETMAIL_PLAINTEXT_AUTH="1"))
with smtplib.SMTP("127.0.0.1", sub.port, timeout=30) as c:
    c.login("sam@sender.test", "sam pw")
    c.sendmail("sam@sender.test", ["bob@example.com"], b"From: sam@sender.test\r\nSubject: retried\r\n\r\nHi.\r\n")
# The MX the agent reaches (as a smarthost: no DNS needed for it) on 192.0.2.11, which is then the agent's address too.
relay_mx = Server(build + "/smtp-handler", dict(env, INETMAIL_GREYLIST="2"), address="192.0.2.11")
agent = subprocess.Popen([build + "/inetmail-relay"], env=dict(sender_env, INETMAIL_RELAY="smarthost",
                         INETMAIL_RELAY_HOST="192.0.2.11:%d" % relay_mx.port, INETMAIL_RELAY_TLS="none",
                         INETMAIL_RELAY_RETRY="1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 30
while time.time() < deadline and not last_stored("bob@example.com"):
    time.sleep(0.5)
agent.terminate()
agent.wait()
got = last_stored("bob@example.com")
deferred = [e for e in logs() if e.get("INETMAIL_PEER") == "192.0.2.11" and e.get("INETMAIL_GREYLIST") == "deferred"]
tap.ok(b"Subject: retried" in got and deferred, "inetmail-relay, deferred with 451 4.7.1, retries and is accepted")
tap.is_(sql("SELECT client, passed FROM greylist WHERE sender = 'sam@sender.test'").strip(), "192.0.2.0/24\t1",
        "its triplet passed")

dns.terminate()
tap.done()
