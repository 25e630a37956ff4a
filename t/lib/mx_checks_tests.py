#!/usr/bin/env python3
"""smtp-handler's MX checks, run by t/mx-checks.t in a network and mount
namespace of its own: 127.0.0.1:53 is a dnsmasq serving the SPF records of
a few sender domains and a DNS blocklist (bl.test); clients connect from
addresses of their own on loopback (192.0.2.0/24, 198.51.100.7)."""
import imaplib, ipaddress, os, re, shutil, smtplib, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, journal_entries, journal_socket, mailboxes, reset_db, sql
from mx_peers import dkim_key, dkim_sign, netns, rspamd as rspamd_server, dns as dns_server

tap = Tap()
build = build_dir()
tmp = tempfile.mkdtemp(prefix="mx-checks-", dir=os.environ["INETMAIL_TEST_DIR"])

netns(tmp, ("192.0.2.10", "192.0.2.11", "192.0.2.66", "198.51.100.7", "2001:db8::1", "2001:db8::10", "2001:db8:0:0:ff::11",
            "2001:db8::66"))
V6_LISTED = ipaddress.ip_address("2001:db8::66").reverse_pointer[:-len(".ip6.arpa")] + ".bl.test"
os.makedirs("/run/systemd/journal")
journal = journal_socket()
journal_lines = []
def drain():  # a datagram socket holds only a few: every sender would block on a full one
    while True:
        journal_lines.extend(journal_entries(journal))
threading.Thread(target=drain, daemon=True).start()
# DKIM: a key of signed.test's (its record served below; selector s2 has none), and this site's relay
# agent's key for sender.test (mailctl dkim keygen).
key, pub = dkim_key(tmp)
os.environ["INETMAIL_DKIM_DIR"] = os.path.join(tmp, "dkim")
keygen = subprocess.run([build + "/mailctl", "dkim", "keygen", "sender.test", "sel"], capture_output=True, check=True)
relay_txt = ",".join(re.findall(r'"([^"]*)"', keygen.stdout.decode()))  # dnsmasq: the record's strings
def sign(msg, selector="s1"):
    return dkim_sign(key, "signed.test", selector, msg)
dns = dns_server(tmp, ["--txt-record=pass.test,v=spf1 ip4:192.0.2.0/24 -all",
                       "--txt-record=fail.test,v=spf1 -all",
                       "--txt-record=soft.test,v=spf1 ~all",
                       "--txt-record=mx.pass.test,v=spf1 ip4:192.0.2.10 -all",
                       "--host-record=66.2.0.192.bl.test,127.0.0.2",
                       "--txt-record=66.2.0.192.bl.test,listed for testing",
                       "--host-record=" + V6_LISTED + ",127.0.0.2",
                       "--txt-record=pass6.test,v=spf1 ip6:2001:db8::/64 -all",
                       "--txt-record=s1._domainkey.signed.test,v=DKIM1; k=rsa; p=" + pub,
                       "--txt-record=sel._domainkey.sender.test," + relay_txt,
                       "--txt-record=_dmarc.signed.test,v=DMARC1; p=reject",
                       "--txt-record=_dmarc.pass.test,v=DMARC1; p=reject",
                       "--txt-record=_dmarc.quar.test,v=DMARC1; p=quarantine",
                       "--local=/spdomain.net/", "--txt-record=_dmarc.spdomain.net,v=DMARC1; p=reject; sp=none",
                       "--txt-record=s1._domainkey.mail.spdomain.net,v=DKIM1; k=rsa; p=" + pub])

reset_db()
sql("DELETE FROM greylist")
env = {"INETMAIL_SMTP_MODE": "mx"}
mx = Server(build + "/smtp-handler", env)

def session(port, src, mail_from, rcpt="alice@example.com", helo="client.test", msg=None, host="127.0.0.1"):
    """The reply that ended the transaction: MAIL's or RCPT's refusal, else DATA's, as (code, text)."""
    c = smtplib.SMTP(host, port, local_hostname=helo, source_address=(src, 0), timeout=30)
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
stored = last_stored()
tap.is_(results(stored), ["Authentication-Results: mail.example.com; spf=pass smtp.mailfrom=a@pass.test; dkim=none;"
                          " dmarc=pass (p=reject) header.from=pass.test"],
        "and its message carries Authentication-Results (authserv-id INETMAIL_HOSTNAME): spf=pass, and dmarc=pass by SPF")
tap.ok(stored.startswith(b"Return-Path: <a@pass.test>\r\nAuthentication-Results: ") and
       b"\r\nReceived: from client.test ([192.0.2.10])" in stored.split(b"\r\n\r\n")[0],
       "at the top, under the Return-Path, above our Received")
lines = logs()
tap.ok(any(e.get("INETMAIL_SPF") == "pass" and "spf=pass" in e.get("MESSAGE", "") for e in lines),
       "the session's log lines say spf=pass, and carry INETMAIL_SPF=pass")
code, _ = session(mx.port, "198.51.100.7", "b@fail.test", msg=b"From: b@fail.test\r\n\r\nHi.\r\n")
tap.is_(code, 250, "an SPF fail is only recorded by default")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=b@fail.test; dkim=none;"
                                 " dmarc=none header.from=fail.test"], "as spf=fail (and the domain has no DMARC record)")
code, _ = session(mx.port, "192.0.2.10", "", helo="mx.pass.test", msg=b"From: x@nodmarc.test\r\n\r\nHi.\r\n")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=pass smtp.helo=mx.pass.test; dkim=none;"
                                 " dmarc=none header.from=nodmarc.test"],
        "MAIL FROM:<> is checked by its HELO name (RFC 7208 2.3)")
code, _ = session(mx.port, "198.51.100.7", "c@nospf.test", msg=b"Subject: no From\r\n\r\nHi.\r\n")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=none smtp.mailfrom=c@nospf.test; dkim=none"],
        "a domain without a record gives spf=none")
code, _ = session(mx.port, "127.0.0.1", "a@pass.test")
tap.is_((code, results(last_stored())), (250, []), "a client in INETMAIL_CHECKS_EXEMPT (loopback by default) is not checked")

strict = Server(build + "/smtp-handler", dict(env, INETMAIL_SPF_REJECT="fail"))
code, text = session(strict.port, "198.51.100.7", "b@fail.test")
tap.is_((code, text[:6]), (550, "5.7.23"), "INETMAIL_SPF_REJECT=fail refuses a hard fail with 550 5.7.23: " + text)
code, _ = session(strict.port, "198.51.100.7", "d@soft.test", msg=b"From: d@soft.test\r\n\r\nHi.\r\n")
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
tap.is_(results(stored), ["Authentication-Results: mail.example.com; spf=pass smtp.mailfrom=a@pass.test; dkim=none;"
                          " dmarc=pass (p=reject) header.from=pass.test",
                          "Authentication-Results: mx.elsewhere.test; spf=pass smtp.mailfrom=a@pass.test"],
        "an incoming Authentication-Results with our authserv-id is removed (folded, commented, any case)")
tap.ok(stored.endswith(b"From: a@pass.test\r\nSubject: forged\r\n\r\nbody\r\n"), "the rest of the message is intact")

# ---- DKIM and DMARC
signed_msg = b"From: Boss <boss@signed.test>\r\nTo: alice@example.com\r\nSubject: signed\r\n\r\nPay the invoice.\r\n"
signed = sign(signed_msg)
code, _ = session(mx.port, "198.51.100.7", "bounce@pass.test", msg=signed)
tap.is_(code, 250, "a message signed by its From domain is accepted")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=bounce@pass.test;"
                                 " dkim=pass header.d=signed.test header.s=s1; dmarc=pass (p=reject) header.from=signed.test"],
        "dkim=pass with header.d and header.s; dmarc=pass by the aligned signature though SPF failed")
tap.ok(last_stored().endswith(signed), "the message is stored as it came, signature and all")
changed = signed.replace(b"Pay the invoice.", b"Pay the invoicf.")
code, text = session(mx.port, "198.51.100.7", "bounce@pass.test", msg=changed)
tap.is_((code, text[:5], "signed.test" in text), (550, "5.7.1", True),
        "one body byte changed: dkim=fail, and DMARC p=reject refuses it with 550 5.7.1: " + text)
tap.ok(any("DMARC policy of signed.test" in e.get("MESSAGE", "") and e.get("INETMAIL_DKIM") == "fail" and
           e.get("INETMAIL_DMARC") == "fail" for e in logs()), "the log says why: dkim=fail dmarc=fail")
lenient = Server(build + "/smtp-handler", dict(env, INETMAIL_DMARC_REJECT="no"))
code, _ = session(lenient.port, "198.51.100.7", "bounce@pass.test", msg=changed)
tap.is_(code, 250, "INETMAIL_DMARC_REJECT=no delivers it")
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=bounce@pass.test;"
                                 " dkim=fail header.d=signed.test header.s=s1; dmarc=fail (p=reject) header.from=signed.test"],
        "recording dkim=fail and dmarc=fail (p=reject)")
twice = sign(signed, "s2")
code, _ = session(mx.port, "198.51.100.7", "bounce@pass.test", msg=twice)
tap.is_(results(last_stored()), ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=bounce@pass.test;"
                                 " dkim=permerror header.d=signed.test header.s=s2;"
                                 " dkim=pass header.d=signed.test header.s=s1; dmarc=pass (p=reject) header.from=signed.test"],
        "one dkim= per signature: s2 has no key in DNS (permerror), s1 passes")
many = signed
for _ in range(9):
    many = sign(many)
code, _ = session(mx.port, "198.51.100.7", "bounce@pass.test", msg=many)
tap.is_((code, results(last_stored())[0].count("dkim=")), (250, 8),
        "of ten signatures the first eight are verified and named (each costs a DNS query), the rest ignored")
forged_from = b"From: ceo@signed.test\r\nSubject: wire the money\r\n\r\nNow.\r\n"
code, text = session(mx.port, "198.51.100.7", "mallory@pass.test", msg=forged_from)
tap.is_(code, 550, "an unsigned From: of a p=reject domain, sent by someone else, is refused")
quarantined = b"From: x@quar.test\r\nSubject: q\r\n\r\nq\r\n"
code, _ = session(mx.port, "198.51.100.7", "x@pass.test", msg=quarantined)
tap.is_((code, results(last_stored())), (250, ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=x@pass.test;"
                                               " dkim=none; dmarc=fail (p=quarantine) header.from=quar.test"]),
        "p=quarantine is delivered, with dmarc=fail (p=quarantine) recorded")
tap.is_(sql("SELECT f.name FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id ORDER BY e.id DESC LIMIT 1").strip(),
        "Junk", "into the recipient's Junk folder")
code, _ = session(mx.port, "198.51.100.7", "x@pass.test", msg=b"From: x@sub.spdomain.net\r\nSubject: s\r\n\r\ns\r\n")
tap.is_((code, results(last_stored())), (250, ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=x@pass.test;"
                                               " dkim=none; dmarc=fail (p=none) header.from=sub.spdomain.net"]),
        "a subdomain is judged by its organizational domain's sp=none, not its p=reject (the public suffix list)")
sibling = dkim_sign(key, "mail.spdomain.net", "s1", b"From: x@news.spdomain.net\r\nSubject: s\r\n\r\ns\r\n")
code, _ = session(mx.port, "198.51.100.7", "x@pass.test", msg=sibling)
tap.is_((code, results(last_stored())), (250, ["Authentication-Results: mail.example.com; spf=fail smtp.mailfrom=x@pass.test;"
                                               " dkim=pass header.d=mail.spdomain.net header.s=s1;"
                                               " dmarc=pass (p=reject) header.from=news.spdomain.net"]),
        "a sibling's signature aligns (relaxed: one organizational domain by the public suffix list)")
deep = b"From: x@" + b"a." * 90 + b"news.spdomain.net\r\nSubject: deep\r\n\r\nd\r\n"
code, _ = session(mx.port, "198.51.100.7", "x@pass.test", msg=deep)
tap.is_((code, "dmarc=fail (p=none)" in results(last_stored())[0]), (250, True),
        "a From of 93 labels is still judged by its organizational domain (spdomain.net's sp=none)")
# Several messages in one session, SPF off: nothing of one message's results carries over to the next.
nospf = Server(build + "/smtp-handler", dict(env, INETMAIL_SPF="off"))
with smtplib.SMTP("127.0.0.1", nospf.port, source_address=("198.51.100.7", 0), timeout=30) as c:
    c.sendmail("bounce@pass.test", ["alice@example.com"], signed)
    first = last_stored()
    c.sendmail("bounce@pass.test", ["alice@example.com"], b"From: x@nodmarc.test\r\nSubject: 2\r\n\r\nx\r\n")
    second = last_stored()
tap.is_((results(first), results(second)),
        (["Authentication-Results: mail.example.com; dkim=pass header.d=signed.test header.s=s1;"
          " dmarc=pass (p=reject) header.from=signed.test"],
         ["Authentication-Results: mail.example.com; dkim=none; dmarc=none header.from=nodmarc.test"]),
        "two messages in one session (SPF off): the second's results are its own")
two_from = b"From: a@signed.test\r\nFrom: b@pass.test\r\nSubject: two\r\n\r\nx\r\n"
code, _ = session(mx.port, "192.0.2.10", "a@pass.test", msg=two_from)
tap.is_((code, "dmarc=" in results(last_stored())[0]), (250, False),
        "two From fields give no one domain to align with: no dmarc= result (RFC 7489 6.6.1)")

big = sign(b"From: Boss <boss@signed.test>\r\nSubject: big\r\n\r\n" + b"x" * 998 + b"\r\n" * 1 +
           (b"y" * 998 + b"\r\n") * 700)
code, _ = session(mx.port, "198.51.100.7", "bounce@pass.test", msg=big)
stored = last_stored()
tap.ok(code == 250 and stored.endswith(big) and stored.startswith(b"Return-Path: <bounce@pass.test>\r\nAuthentication-Results:")
       and "dkim=pass header.d=signed.test" in results(stored)[0],
       "a message written ahead in chunks (700 KiB) is verified as it streams, its trace fields before it")
tap.is_(sql("SELECT MIN(c.seq), MAX(c.seq), SUM(LENGTH(c.data)) = m.size FROM mailbox_entry e JOIN message m ON m.id = e.message_id"
            " JOIN message_chunk c ON c.message_id = m.id WHERE e.id = (SELECT MAX(id) FROM mailbox_entry)").split(),
        ["0", "3", "1"], "in chunk 0, the content in the chunks after it; the size counts both")

# ---- IMAP finds the parts of a checked message, its trace fields added at commit, where they are
multipart = (b"From: a@pass.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
             b"--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b--\r\n")
session(mx.port, "192.0.2.10", "a@pass.test", msg=multipart)
stored = last_stored()
imap = Server(build + "/imap-handler", {"INETMAIL_PLAINTEXT_AUTH": "1"})
c = imaplib.IMAP4("127.0.0.1", imap.port)
c.login("alice@example.com", "alice pw")
c.select("INBOX")
n = c.search(None, "ALL")[1][0].split()[-1]
got = c.fetch(n, "(BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[HEADER])")[1]
parts = {re.findall(rb"BODY\[[^]]*\]", item[0])[-1].decode(): item[1] for item in got if isinstance(item, tuple)}
c.logout()
tap.is_((parts.get("BODY[1]"), parts.get("BODY[2]"), parts.get("BODY[HEADER]")),
        (b"one", b"two", stored.split(b"\r\n\r\n")[0] + b"\r\n\r\n"),
        "BODY[1], BODY[2] and BODY[HEADER] (Authentication-Results and all) over IMAP")

# ---- DNS blocklists: a listed client is refused at RCPT, naming the zone; a DNS failure never refuses
bl = Server(build + "/smtp-handler", dict(env, INETMAIL_DNSBL="none.test bl.test"))
code, text = session(bl.port, "192.0.2.66", "a@pass.test")
tap.is_((code, text[:5], "bl.test" in text), (554, "5.7.1", True), "a client bl.test lists gets 554 5.7.1 naming it: " + text)
tap.ok(any(e.get("INETMAIL_DNSBL") == "bl.test" and "listed in bl.test" in e.get("MESSAGE", "") for e in logs()),
       "and the log says which list")
code, _ = session(bl.port, "192.0.2.10", "a@pass.test")
tap.is_(code, 250, "a client no list names is accepted")
bl6 = Server(build + "/smtp-handler", dict(env, INETMAIL_DNSBL="bl.test"), address="2001:db8::1")
code, text = session(bl6.port, "2001:db8::66", "a@pass6.test", host="2001:db8::1")
tap.is_((code, "bl.test" in text), (554, True), "an IPv6 client is looked up by its nibbles (RFC 5782 2.4): " + text)
code, _ = session(bl6.port, "2001:db8::10", "a@pass6.test", msg=b"Subject: v6\r\n\r\nx\r\n", host="2001:db8::1")
tap.is_((code, results(last_stored())), (250, ["Authentication-Results: mail.example.com; spf=pass smtp.mailfrom=a@pass6.test;"
                                               " dkim=none"]), "one it does not list is accepted, and SPF's ip6: matches it")
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
grey6 = Server(build + "/smtp-handler", dict(env, INETMAIL_GREYLIST="2"), address="2001:db8::1")
code, _ = session(grey6.port, "2001:db8::10", "g@pass6.test", host="2001:db8::1", msg=b"From: g@pass6.test\r\n\r\nx\r\n")
tap.is_(code, 451, "an IPv6 client is greylisted too")
time.sleep(2.2)
code, _ = session(grey6.port, "2001:db8:0:0:ff::11", "g@pass6.test", host="2001:db8::1", msg=b"From: g@pass6.test\r\n\r\nx\r\n")
tap.is_(code, 250, "its retry from another address of its /64 passes")
code, _ = session(grey.port, "192.0.2.10", "g@pass.test", rcpt="nobody@example.com")
tap.is_(code, 550, "an unknown recipient is refused as before, and makes no row")
tap.is_(sql("SELECT client, sender, recipient, passed FROM greylist ORDER BY client").strip().splitlines(),
        ["192.0.2.0/24\tg@pass.test\talice@example.com\t1", "198.51.100.0/24\tg@pass.test\talice@example.com\t0",
         "2001:db8::/64\tg@pass6.test\talice@example.com\t1"],
        "the table holds a row per triplet, the client by its /24 or /64")
tap.ok(any(e.get("INETMAIL_GREYLIST") == "deferred" for e in logs()), "deferrals are logged: greylist=deferred")
sql("UPDATE greylist SET last_seen = last_seen - 36 * 86400 WHERE client = '198.51.100.0/24'")
code, _ = session(grey.port, "192.0.2.10", "h@pass.test")
tap.is_(sql("SELECT COUNT(*) FROM greylist WHERE client = '198.51.100.0/24'").strip(), "0",
        "a triplet unused for 35 days is removed when a new one is added")

# ---- rspamd: a private one (Debian's package, a config of the test's own, no Redis), scanning each message
def rspamd_tests():
    rspamd = rspamd_server(tmp, """
rspamd_config:register_symbol({name = 'TEST_SCORED', score = 2.5, callback = function(task) return true end})
rspamd_config:register_symbol({name = 'TEST_WHOLE', score = 0.5, callback = function(task)
  local t = tostring(task:get_content())
  return t:find('Subject: big', 1, true) ~= nil and t:find('END-OF-BIG-MESSAGE', 1, true) ~= nil
end})
rspamd_config:register_symbol({name = 'TEST_SOFT_REJECT', type = 'prefilter', priority = 10, callback = function(task)
  if (task:get_subject() or ''):find('soft reject please', 1, true) then
    task:set_pre_result('soft reject', 'testing')
    return true
  end
  return false
end})
""")
    scanned = Server(build + "/smtp-handler", dict(env, INETMAIL_RSPAMD="http://127.0.0.1:11333"))
    GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
    code, text = session(scanned.port, "192.0.2.10", "a@pass.test", msg=b"From: a@pass.test\r\nSubject: g\r\n\r\n" + GTUBE + b"\r\n")
    tap.is_((code, text[:5]), (554, "5.7.1"), "rspamd's reject (GTUBE) refuses the message with 554 5.7.1: " + text)
    tap.ok(any(e.get("INETMAIL_RSPAMD", "").startswith("reject/") and "GTUBE" in e.get("MESSAGE", "") for e in logs()),
           "and the log line names rspamd's action and symbols")
    code, _ = session(scanned.port, "192.0.2.10", "a@pass.test")
    stored = last_stored()
    tap.ok(code == 250 and b"\r\nX-Spam-Score: 2.50\r\n" in stored.split(b"\r\n\r\n")[0] and b"X-Spam: Yes" not in stored,
           "a normal message is scored (X-Spam-Score: 2.50) and delivered")
    tap.ok(any(e.get("INETMAIL_RSPAMD") == "no_action/2.50/TEST_SCORED" for e in logs()), "rspamd=no_action/2.50/TEST_SCORED")
    code, _ = session(scanned.port, "192.0.2.10", "a@pass.test",
                      msg=b"From: a@pass.test\r\nSubject: y\r\n\r\n" + b"Y" + GTUBE[1:] + b"\r\n")
    tap.ok(code == 250 and b"\r\nX-Spam: Yes\r\n" in last_stored(), "add header: delivered with X-Spam: Yes")
    code, text = session(scanned.port, "192.0.2.10", "a@pass.test", msg=b"From: a@pass.test\r\nSubject: soft reject please\r\n\r\nx\r\n")
    tap.is_((code, text[:5]), (451, "4.7.1"), "soft reject: 451 4.7.1")
    big = b"From: a@pass.test\r\nSubject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 700 + b"END-OF-BIG-MESSAGE\r\n"
    code, _ = session(scanned.port, "192.0.2.10", "a@pass.test", msg=big)
    tap.ok(code == 250 and any("TEST_WHOLE" in e.get("INETMAIL_RSPAMD", "") for e in logs()),
           "a 700 KiB message reaches rspamd whole, streamed from the chunks written ahead")
    rspamd.terminate()
    rspamd.wait()
    code, text = session(scanned.port, "192.0.2.10", "a@pass.test")
    tap.is_((code, text[:5]), (451, "4.7.1"), "rspamd stopped: 451 4.7.1, " + text)
    tap.ok(any(e.get("INETMAIL_RSPAMD") == "unavailable" for e in logs()), "logged rspamd=unavailable")
    accepting = Server(build + "/smtp-handler", dict(env, INETMAIL_RSPAMD="http://127.0.0.1:11333", INETMAIL_RSPAMD_FAIL="accept"))
    code, _ = session(accepting.port, "192.0.2.10", "a@pass.test")
    tap.is_(code, 250, "INETMAIL_RSPAMD_FAIL=accept takes it unscanned")
    stuck = socket.socket()
    stuck.bind(("127.0.0.1", 0))
    stuck.listen(8)
    slow = Server(build + "/smtp-handler", dict(env, INETMAIL_RSPAMD="http://127.0.0.1:%d" % stuck.getsockname()[1],
                                                INETMAIL_RSPAMD_TIMEOUT="1"))
    started = time.time()
    code, _ = session(slow.port, "192.0.2.10", "a@pass.test")
    took = time.time() - started
    tap.ok(code == 451 and 1 <= took < 10, "an rspamd that never answers: 451 after INETMAIL_RSPAMD_TIMEOUT (%.1f s)" % took)
    stuck.close()

RSPAMD_TESTS = 11
if shutil.which("rspamd"):
    rspamd_tests()
else:
    for _ in range(RSPAMD_TESTS):
        tap.skip("rspamd", "rspamd is not installed (.ci/deps installs it)")

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
agent = subprocess.Popen([build + "/inetmail-relay"], env=dict(sender_env, INETMAIL_DOMAIN="sender.test", INETMAIL_RELAY="smarthost",
                         INETMAIL_RELAY_HOST="192.0.2.11:%d" % relay_mx.port, INETMAIL_RELAY_TLS="none",
                         INETMAIL_RELAY_RETRY="1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 30
while time.time() < deadline and not last_stored("bob@example.com"):
    time.sleep(0.5)
agent.terminate()
agent.wait()
got = last_stored("bob@example.com")
tap.ok(results(got) and "dkim=pass header.d=sender.test header.s=sel" in results(got)[0],
       "the relay agent's DKIM signature verifies: " + (results(got) or [""])[0])
deferred = [e for e in logs() if e.get("INETMAIL_PEER") == "192.0.2.11" and e.get("INETMAIL_GREYLIST") == "deferred"]
tap.ok(b"Subject: retried" in got and deferred, "inetmail-relay, deferred with 451 4.7.1, retries and is accepted")
tap.is_(sql("SELECT client, passed FROM greylist WHERE sender = 'sam@sender.test'").strip(), "192.0.2.0/24\t1",
        "its triplet passed")

dns.terminate()
tap.done()
