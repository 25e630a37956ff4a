# Writes the golden SMTP sessions in t/smtp (CRLF files are awkward to edit by
# hand): edit here, run `python3 t/smtp/make-sessions.py` from the top, commit both.
import os
D = "t/smtp"
EHLO = "250-mail.example.com\n250-PIPELINING\n250-SIZE 67108864\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n"
EHLO_AUTH = EHLO + "250-AUTH PLAIN LOGIN\n250 SMTPUTF8\n"
EHLO += "250 SMTPUTF8\n"
def w(name, session, expect=None, stored=None, env=None, setup=None):
    if setup is not None: open(os.path.join(D, name + ".setup"), "w").write(setup.lstrip("\n"))
    open(os.path.join(D, name + ".session"), "wb").write(session.encode("utf-8", "surrogateescape").replace(b"\n", b"\r\n") if isinstance(session, str) else session)
    if expect is not None: open(os.path.join(D, name + ".expect"), "w").write(expect.lstrip("\n"))
    if stored is not None: open(os.path.join(D, name + ".stored"), "w").write(stored.lstrip("\n"))
    if env is not None: open(os.path.join(D, name + ".env"), "w").write(env.lstrip("\n"))

w("seed-client", """HELO 348.edu
AUTHLOGIN alice@example.com alice pw
MAIL FROM: <alice@example.com>
RCPT TO: <bob@example.com>
DATA
Subject: Hello from the seed client

Hi Bob, this is the seed's own client.
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
250 mail.example.com
235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== bob@example.com
Return-Path: <alice@example.com>
Received: from 348.edu ([local])
	by mail.example.com (inetmail) with ESMTPA
	for <bob@example.com>; {DATE}
Date: {DATE}
Message-ID: {MSGID}
Subject: Hello from the seed client

Hi Bob, this is the seed's own client.
""")

w("seed-bounce", """HELO 348.edu
AUTHLOGIN alice alice pw
MAIL FROM: <alice>
RCPT TO: <nobody@example.com>
DATA
Subject: Lost

Where does this go?
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
250 mail.example.com
235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== alice@example.com
Return-Path: <>
Date: {DATE}
From: Mail Delivery System <MAILER-DAEMON@mail.example.com>
To: <alice@example.com>
Subject: ERROR - Your email was not sent
{REST}
""")

w("seed-auth-failure", """HELO 348.edu
AUTHLOGIN alice@example.com not the password
MAIL FROM: <alice@example.com>
QUIT
""", """
220 mail.example.com ESMTP inetmail
250 mail.example.com
535
530 5.7.0 Authentication required
221 2.0.0 Bye
""", "")

w("submission", """EHLO client.example.org
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
MAIL FROM:<alice@example.com> SIZE=200 BODY=8BITMIME SMTPUTF8 AUTH=<>
RCPT TO:<bob@example.com>
RCPT TO:<Carol@Example.COM>
RCPT TO:<bob@example.com>
DATA
From: Alice <alice@example.com>
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <own@example.com>
Subject: dots

..a line that began with a dot
..
...
last line
.
RSET
NOOP
VRFY bob
HELP
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
250 2.0.0 Ok
250 2.0.0 Ok
252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT
221 2.0.0 Bye
""", """
== bob@example.com
Return-Path: <alice@example.com>
Received: from client.example.org ([local])
	by mail.example.com (inetmail) with UTF8SMTPA; {DATE}
From: Alice <alice@example.com>
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <own@example.com>
Subject: dots

.a line that began with a dot
.
..
last line
== carol@example.com
Return-Path: <alice@example.com>
Received: from client.example.org ([local])
	by mail.example.com (inetmail) with UTF8SMTPA; {DATE}
From: Alice <alice@example.com>
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <own@example.com>
Subject: dots

.a line that began with a dot
.
..
last line
""")

w("auth-login", """EHLO c
HELP
AUTH LOGIN
YWxpY2VAZXhhbXBsZS5jb20=
YWxpY2UgcHc=
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """214 2.0.0 Commands: HELO EHLO AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT
334 VXNlcm5hbWU6
334 UGFzc3dvcmQ6
235 2.7.0 Authentication successful
503 5.5.1 Error: already authenticated or in a transaction
221 2.0.0 Bye
""")

w("auth-errors", """AUTH PLAIN
EHLO c
AUTH PLAIN
*
AUTH LOGIN
not base64!
AUTH PLAIN =
AUTH CRAM-MD5
AUTH
AUTH LOGIN YWxpY2VAZXhhbXBsZS5jb20=
YWxpY2UgcHc=
MAIL FROM:<alice@example.com>
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
QUIT
""", """
220 mail.example.com ESMTP inetmail
503 5.5.1 Error: send HELO or EHLO first
""" + EHLO_AUTH + """334 
501 5.0.0 Authentication cancelled
334 VXNlcm5hbWU6
501 5.5.2 Cannot decode response
501 5.5.2 Cannot decode response
504 5.5.4 Unrecognized authentication type
501 5.5.4 Syntax: AUTH mechanism [initial-response]
334 UGFzc3dvcmQ6
235 2.7.0 Authentication successful
250 2.1.0 Ok
503 5.5.1 Error: already authenticated or in a transaction
221 2.0.0 Bye
""")

w("auth-failures", """EHLO c
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n
AUTH PLAIN Ym9iQGV4YW1wbGUuY29tAGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n
NOOP
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """535 5.7.8 Authentication credentials invalid
535 5.7.8 Authentication credentials invalid
535 5.7.8 Authentication credentials invalid
421 4.7.0 mail.example.com Error: too many errors
""")

w("sender-policy", """EHLO c
MAIL FROM:<alice@example.com>
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
MAIL FROM:<bob@example.com>
MAIL FROM:<>
MAIL FROM:<ALICE@EXAMPLE.COM>
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """530 5.7.0 Authentication required
235 2.7.0 Authentication successful
550 5.7.1 <bob@example.com>: Sender address rejected: not owned by user alice@example.com
550 5.7.1 <>: Sender address rejected: not owned by user alice@example.com
250 2.1.0 Ok
221 2.0.0 Bye
""")

w("no-plaintext-auth", """EHLO c
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
AUTHLOGIN alice@example.com alice pw
MAIL FROM:<alice@example.com>
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO + """538 5.7.11 Encryption required for requested authentication mechanism
538 5.7.11 Encryption required for requested authentication mechanism
530 5.7.0 Authentication required
221 2.0.0 Bye
""", env="INETMAIL_PLAINTEXT_AUTH=0\n")

# MX checks without DNS (SPF off): greylisting defers a new triplet at RCPT,
# an unknown recipient is refused as ever; t/mx-checks.t has the DNS ones.
w("greylist-mx", """EHLO relay.example.net
MAIL FROM:<someone@elsewhere.example>
RCPT TO:<bob@example.com>
RCPT TO:<nobody@example.com>
DATA
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO + """250 2.1.0 Ok
451 4.7.1 <bob@example.com>: Recipient address rejected: greylisted, please try again later
550 5.1.1 <nobody@example.com>: Recipient address rejected: no such mailbox
554 5.5.1 Error: no valid recipients
221 2.0.0 Bye
""", env="INETMAIL_SMTP_MODE=mx\nINETMAIL_SPF=off\nINETMAIL_GREYLIST=86400\nREMOTE_ADDR=192.0.2.1\n")

# An MX removes the Authentication-Results that claim its name (RFC 8601 5),
# however folded, commented or cased; another host's are kept.
w("auth-results-mx", """EHLO relay.example.net
MAIL FROM:<someone@elsewhere.example>
RCPT TO:<bob@example.com>
DATA
Authentication-Results: mail.example.com; dkim=pass header.d=example.com
Authentication-Results: (forged)
 Mail.Example.Com; dmarc=pass header.from=example.com
Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=someone@elsewhere.example
authentication-results: mail.example.com.evil.example; spf=pass
Subject: claims

body
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO + """250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== bob@example.com
Return-Path: <someone@elsewhere.example>
Authentication-Results: mail.example.com;
	dkim=none
Received: from relay.example.net ([192.0.2.1])
	by mail.example.com (inetmail) with ESMTP
	for <bob@example.com>; {DATE}
Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=someone@elsewhere.example
authentication-results: mail.example.com.evil.example; spf=pass
Subject: claims

body
""", env="INETMAIL_SMTP_MODE=mx\nINETMAIL_SPF=off\nREMOTE_ADDR=192.0.2.1\n")

w("mx", """EHLO relay.example.net
HELP
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
MAIL FROM:<>
RCPT TO:<nobody@example.com>
RCPT TO:<bob@example.com>
DATA
Subject: from outside

hello
.
MAIL FROM:<someone@elsewhere.example>
RCPT TO:<ghost@example.com>
DATA
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO + """214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT
502 5.5.1 Error: command not implemented
250 2.1.0 Ok
550 5.1.1 <nobody@example.com>: Recipient address rejected: no such mailbox
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
250 2.1.0 Ok
550 5.1.1 <ghost@example.com>: Recipient address rejected: no such mailbox
554 5.5.1 Error: no valid recipients
221 2.0.0 Bye
""", """
== bob@example.com
Return-Path: <>
Received: from relay.example.net ([local])
	by mail.example.com (inetmail) with ESMTP
	for <bob@example.com>; {DATE}
Subject: from outside

hello
""", env="INETMAIL_SMTP_MODE=mx\n")

w("reject-unknown", """HELO c
AUTHLOGIN alice@example.com alice pw
MAIL FROM:<alice@example.com>
RCPT TO:<nobody@example.com>
RCPT TO:<bob@example.com>
QUIT
""", """
220 mail.example.com ESMTP inetmail
250 mail.example.com
235 2.7.0 Authentication successful
250 2.1.0 Ok
550 5.1.1 <nobody@example.com>: Recipient address rejected: no such mailbox
250 2.1.5 Ok
221 2.0.0 Bye
""", "", env="INETMAIL_SMTP_REJECT_UNKNOWN=1\n")

w("sequence", """MAIL FROM:<alice@example.com>
HELO
EHLO two words
FROB
HELO c
RCPT TO:<bob@example.com>
DATA
AUTHLOGIN alice@example.com alice pw
DATA
MAIL FROM:<alice@example.com>
MAIL FROM:<alice@example.com>
DATA
DATA now
RCPT TO:<bob@example.com>
RSET now
RSET
RCPT TO:<bob@example.com>
VRFY
MAIL FROM alice@example.com
RCPT TO <bob@example.com>
STARTTLS
QUIT
""", """
220 mail.example.com ESMTP inetmail
503 5.5.1 Error: send HELO or EHLO first
501 5.5.4 Syntax: HELO hostname
501 5.5.4 Syntax: EHLO hostname
500 5.5.2 Error: command not recognized
250 mail.example.com
503 5.5.1 Error: need MAIL command
503 5.5.1 Error: need MAIL command
235 2.7.0 Authentication successful
503 5.5.1 Error: need MAIL command
250 2.1.0 Ok
503 5.5.1 Error: nested MAIL command
554 5.5.1 Error: no valid recipients
501 5.5.4 Syntax: DATA
250 2.1.5 Ok
501 5.5.4 Syntax: RSET
250 2.0.0 Ok
503 5.5.1 Error: need MAIL command
501 5.5.4 Syntax: VRFY address
501 5.5.4 Syntax: MAIL FROM:<address>
503 5.5.1 Error: need MAIL command
454 4.7.0 TLS not available
221 2.0.0 Bye
""", "")

w("parameters", """EHLO c
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
MAIL FROM:<alice@example.com> FOO=BAR
MAIL FROM:<alice@example.com> SIZE=999999999999
MAIL FROM:<alice@example.com> SIZE=12x
MAIL FROM:<alice@example.com> BODY=BINARYMIME
MAIL FROM:<alice@example.com SIZE=1
MAIL FROM:<alice@exa mple.com>
MAIL FROM:<alice@example.com> SIZE=100
RCPT TO:<bob@example.com> NOTIFY=NEVER
RCPT TO:<b\xc3\xb6b@example.com>
RCPT TO:<>
RCPT TO:<@relay.example:bob>
RCPT TO:<carol>
RCPT TO: carol@example.com
DATA
Subject: params

x
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """235 2.7.0 Authentication successful
555 5.5.4 Unsupported option: FOO=BAR
552 5.3.4 Message size exceeds fixed limit
501 5.5.4 Syntax: SIZE=12x
501 5.5.4 Syntax: BODY=BINARYMIME
501 5.5.4 Syntax: MAIL FROM:<address>
553 5.1.3 Sender address syntax
250 2.1.0 Ok
555 5.5.4 Unsupported option: NOTIFY=NEVER
553 5.6.7 Non-ASCII address requires SMTPUTF8
553 5.1.3 Recipient address syntax
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== bob@example.com
Return-Path: <alice@example.com>
Received: from c ([local])
	by mail.example.com (inetmail) with ESMTPA; {DATE}
Date: {DATE}
Message-ID: {MSGID}
Subject: params

x
== carol@example.com
Return-Path: <alice@example.com>
Received: from c ([local])
	by mail.example.com (inetmail) with ESMTPA; {DATE}
Date: {DATE}
Message-ID: {MSGID}
Subject: params

x
""")

w("long-line", "EHLO c\n" + "NOOP " + "x" * 600 + "\nNOOP\n" + "X" * 20000 + "\nQUIT\n", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """500 5.5.2 Error: line too long
250 2.0.0 Ok
500 5.5.2 Error: line too long
221 2.0.0 Bye
""")

w("too-many-errors", "HELO c\n" + "BOGUS\n" * 25 + "QUIT\n", "220 mail.example.com ESMTP inetmail\n250 mail.example.com\n" + "500 5.5.2 Error: command not recognized\n" * 20 + "421 4.7.0 mail.example.com Error: too many errors\n")

w("size-limit", """HELO c
AUTHLOGIN alice@example.com alice pw
MAIL FROM:<alice@example.com> SIZE=101
MAIL FROM:<alice@example.com>
RCPT TO:<bob@example.com>
DATA
Subject: too big

this message is longer than the hundred octets the limit allows, and so it
is read to its end and then refused.
MAIL FROM:<alice@example.com>
.
NOOP
QUIT
""", """
220 mail.example.com ESMTP inetmail
250 mail.example.com
235 2.7.0 Authentication successful
555 5.5.4 Unsupported option: SIZE=101
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
552 5.3.4 Message size exceeds fixed limit
250 2.0.0 Ok
221 2.0.0 Bye
""", "", env="INETMAIL_SMTP_MAX_SIZE=100\n")

# SMTP smuggling (CVE-2023-51764 and kin): a fake end of data must end
# nothing; the whole message is read to the real end and refused.
head = "HELO c\r\nAUTHLOGIN alice@example.com alice pw\r\n"
txn = "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nSubject: smuggle\r\n\r\nbody"
smuggled = "MAIL FROM:<alice@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"
cases = [("lf-dot-lf", "\n.\n"), ("lf-dot-crlf", "\n.\r\n"), ("cr-dot-cr", "\r.\r"), ("crlf-dot-cr", "\r\n.\r"),
         ("cr-dot-crlf", "\r.\r\n"), ("nul-before-dot", "\r\n\0.\r\n"), ("nul-after-dot", "\r\n.\0\r\n"),
         ("bare-lf-line", "\nmore\n")]
for name, fake in cases:
    session = head + txn + fake + smuggled + ".\r\nQUIT\r\n"
    accepted = name.startswith("nul")  # no bare CR or LF: just NULs in a line
    expect = """220 mail.example.com ESMTP inetmail
250 mail.example.com
235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
""" + ("250 2.0.0 Ok: queued as {ID}\n" if accepted else "550 5.5.2 Error: message contains a bare CR or LF (RFC 5321 2.3.8)\n") + "221 2.0.0 Bye\n"
    nul_line = "\0." if name == "nul-before-dot" else "\0"
    stored = "" if not accepted else ("== bob@example.com\nReturn-Path: <alice@example.com>\nReceived: from c ([local])\n"
        "\tby mail.example.com (inetmail) with ESMTPA\n\tfor <bob@example.com>; {DATE}\nDate: {DATE}\n"
        "Message-ID: {MSGID}\nSubject: smuggle\n\nbody\n" + nul_line + "\nMAIL FROM:<alice@example.com>\n"
        "RCPT TO:<carol@example.com>\nDATA\nSubject: smuggled\n\nevil\n")
    w("smuggling-" + name, session.encode("latin-1"), expect, stored)

# Domains and aliases (RFC 5321 4.5.1 postmaster; 4.1.2 quoted local parts).
ALIASES = """
$MAILCTL alias add info@example.com alice@example.com bob@example.com
$MAILCTL alias add team@example.com info@example.com carol@example.com
$MAILCTL alias add @example.com carol@example.com
$MAILCTL domain add other.example --postmaster bob@example.com
"""
w("aliases-mx", """EHLO relay.example.net
MAIL FROM:<"john q. public"@remote.example>
RCPT TO:<Postmaster>
RCPT TO:<POSTMASTER@other.example>
RCPT TO:<team@example.com>
RCPT TO:<info@example.com>
RCPT TO:<"quoted stranger"@example.com>
RCPT TO:<someone@elsewhere.example>
RCPT TO:<postmaster@elsewhere.example>
DATA
Subject: to everyone

hello
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO + """250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
554 5.7.1 <someone@elsewhere.example>: Relay access denied
554 5.7.1 <postmaster@elsewhere.example>: Relay access denied
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== alice@example.com
Return-Path: <"john q. public"@remote.example>
Received: from relay.example.net ([local])
	by mail.example.com (inetmail) with ESMTP; {DATE}
Subject: to everyone

hello
== bob@example.com
Return-Path: <"john q. public"@remote.example>
Received: from relay.example.net ([local])
	by mail.example.com (inetmail) with ESMTP; {DATE}
Subject: to everyone

hello
== carol@example.com
Return-Path: <"john q. public"@remote.example>
Received: from relay.example.net ([local])
	by mail.example.com (inetmail) with ESMTP; {DATE}
Subject: to everyone

hello
""", env="INETMAIL_SMTP_MODE=mx\n", setup=ALIASES)

w("addresses-mx", """EHLO relay.example.net
MAIL FROM:
MAIL FROM:<"john q. public"@remote.example>
RCPT TO:<"no such user"@example.com>
RCPT TO:<"bob"@Example.com>
RCPT TO:<"a\\"b"@example.com>
RCPT TO:<"unterminated@example.com>
RCPT TO:<a..b@example.com>
RCPT TO:<carol.@example.com>
RCPT TO:<carol@-example.com>
RCPT TO:<>
RCPT TO:<alice@[192.0.2.1]>
DATA
Subject: quoted

hi
.
MAIL FROM:<>
RCPT TO:<postmaster@example.com>
DATA
Subject: to the postmaster

hi
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO + """501 5.5.4 Syntax: MAIL FROM:<address>
250 2.1.0 Ok
550 5.1.1 <"no such user"@example.com>: Recipient address rejected: no such mailbox
250 2.1.5 Ok
550 5.1.1 <"a\\"b"@example.com>: Recipient address rejected: no such mailbox
501 5.5.4 Syntax: RCPT TO:<address>
553 5.1.3 Recipient address syntax
553 5.1.3 Recipient address syntax
553 5.1.3 Recipient address syntax
553 5.1.3 Recipient address syntax
554 5.7.1 <alice@[192.0.2.1]>: Relay access denied
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== bob@example.com
Return-Path: <"john q. public"@remote.example>
Received: from relay.example.net ([local])
	by mail.example.com (inetmail) with ESMTP
	for <bob@example.com>; {DATE}
Subject: quoted

hi
== alice@example.com
Return-Path: <>
Received: from relay.example.net ([local])
	by mail.example.com (inetmail) with ESMTP
	for <postmaster@example.com>; {DATE}
Subject: to the postmaster

hi
""", env="INETMAIL_SMTP_MODE=mx\n")

w("postmaster-submission", """EHLO c
AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3
MAIL FROM:<alice@example.com>
RCPT TO:<postmaster@lonely.example>
RCPT TO:<info@example.com>
RCPT TO:<friend@elsewhere.example>
DATA
Subject: hello

hi
.
QUIT
""", """
220 mail.example.com ESMTP inetmail
""" + EHLO_AUTH + """235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as {ID}
221 2.0.0 Bye
""", """
== alice@example.com
Return-Path: <alice@example.com>
Received: from c ([local])
	by mail.example.com (inetmail) with ESMTPA; {DATE}
Date: {DATE}
Message-ID: {MSGID}
Subject: hello

hi
== bob@example.com
Return-Path: <alice@example.com>
Received: from c ([local])
	by mail.example.com (inetmail) with ESMTPA; {DATE}
Date: {DATE}
Message-ID: {MSGID}
Subject: hello

hi
== alice@example.com
Return-Path: <>
{REST}
""", setup="""
$MAILCTL alias add info@example.com bob@example.com
$MAILCTL domain add lonely.example
""")
