# Writes the golden POP3 sessions in t/pop3 (CRLF files are awkward to edit by
# hand): edit here, run `python3 t/pop3/make-sessions.py` from the top, commit both.
import base64, os
D = "t/pop3"
FILL = [("01", "alice@example.com", b"Subject: one\r\nFrom: bob@example.com\r\n\r\nFirst message.\r\n"),
        ("02", "alice@example.com", b"Subject: two\r\n\r\n.starts with a dot\r\nline 2\r\n..two dots\r\nline 4\r\n"),
        ("03", "alice@example.com", b"Subject: three\r\nX-Header: y\r\n\r\nno final newline"),
        ("04", "bob@example.com", b"Subject: for bob\r\n\r\nHi Bob.\r\n")]
for n, addr, body in FILL:
    open(os.path.join(D, "fill", "%s_%s.eml" % (n, addr)), "wb").write(body)
M = [b for n, a, b in FILL if a == "alice@example.com"]
size = [len(m) for m in M]

def stuffed(m, lines=None):
    """The message as RETR/TOP sends it, without the +OK line, as text lines."""
    head, sep, body = m.partition(b"\r\n\r\n")
    text = m if lines is None else head + sep + b"".join(body.split(b"\r\n", lines)[:lines] and [l + b"\r\n" for l in body.split(b"\r\n")[:lines]])
    out = [("." + l if l.startswith(".") else l) for l in text.decode().split("\r\n")]
    if out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n.\n"

def w(name, session, expect, stored=None, env=None):
    open(os.path.join(D, name + ".session"), "wb").write(session.replace("\n", "\r\n").encode())
    open(os.path.join(D, name + ".expect"), "w").write(expect.lstrip("\n"))
    if stored is not None: open(os.path.join(D, name + ".stored"), "w").write(stored.lstrip("\n"))
    if env is not None: open(os.path.join(D, name + ".env"), "w").write(env)

GREET = "+OK inetmail POP3 server ready\n"
LOGIN = "USER alice@example.com\nPASS alice pw\n"
LOGGED = "+OK\n+OK Logged in, 3 messages\n"
ALL = "== alice@example.com\n{REST}\n"
STORED_ALL = "".join("== %s\n%s" % (a, b.decode().replace("\r\n", "\n") + ("\n" if not b.endswith(b"\r\n") else "")) for n, a, b in FILL)

w("seed-client", LOGIN + "LIST\nRETR 1\nDELE 1\nQUIT\n",
  GREET + LOGGED + "+OK 3 messages (%d octets)\n1 %d\n2 %d\n3 %d\n.\n" % (sum(size), *size)
  + "+OK %d octets\n" % size[0] + stuffed(M[0]) + "+OK Message 1 deleted\n+OK Bye, 1 message deleted\n",
  "".join("== %s\n%s" % (a, b.decode().replace("\r\n", "\n") + ("\n" if not b.endswith(b"\r\n") else "")) for n, a, b in FILL[1:]))

w("seed-immediate", LOGIN + "DELE 1\n",
  GREET + LOGGED + "+OK Message 1 deleted\n",
  "".join("== %s\n%s" % (a, b.decode().replace("\r\n", "\n") + ("\n" if not b.endswith(b"\r\n") else "")) for n, a, b in FILL[1:]),
  env="INETMAIL_POP3_DELETE=immediate\n")

w("commands", LOGIN + "STAT\nLIST 2\nUIDL\nUIDL 2\nRETR 2\nRETR 3\nTOP 2 0\nTOP 2 1\nTOP 1 100\nDELE 2\nSTAT\nLIST\n"
  "LIST 2\nRETR 2\nTOP 2 1\nUIDL 2\nDELE 2\nRSET\nSTAT\nNOOP\nCAPA\nQUIT\n",
  GREET + LOGGED + "+OK 3 %d\n+OK 2 %d\n+OK Unique-ID listing follows\n1 {UIDL}\n2 {UIDL}\n3 {UIDL}\n.\n+OK 2 {UIDL}\n" % (sum(size), size[1])
  + "+OK %d octets\n" % size[1] + stuffed(M[1])
  + "+OK %d octets\n" % size[2] + "Subject: three\nX-Header: y\n\nno final newline\n.\n"
  + "+OK %d octets\nSubject: two\n\n.\n" % size[1]
  + "+OK %d octets\nSubject: two\n\n..starts with a dot\n.\n" % size[1]
  + "+OK %d octets\n" % size[0] + stuffed(M[0])
  + "+OK Message 2 deleted\n+OK 2 %d\n+OK 2 messages (%d octets)\n1 %d\n3 %d\n.\n" % (size[0] + size[2], size[0] + size[2], size[0], size[2])
  + "-ERR Message already deleted\n" * 5
  + "+OK maildrop has 3 messages (%d octets)\n+OK 3 %d\n+OK\n" % (sum(size), sum(size))
  + "+OK Capability list follows\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nEXPIRE NEVER\nIMPLEMENTATION inetmail\n.\n"
  + "+OK Bye, 0 messages deleted\n", STORED_ALL)

bad = ["0", "-1", "+1", "1a", "1.5", "0x1", "", " 1", "1 2", "4294967297", "18446744073709551617", "01"]
w("numbers", LOGIN + "".join("RETR %s\n" % b if b else "RETR\n" for b in bad) + "RETR 4\nTOP 1\nTOP 1 -1\nTOP 1 x\nDELE 9\nLIST 0\nQUIT\n",
  GREET + LOGGED + "-ERR Invalid arguments\n" * len(bad) + "-ERR No such message\n" + "-ERR Invalid arguments\n" * 3
  + "-ERR No such message\n-ERR Invalid arguments\n+OK Bye, 0 messages deleted\n", STORED_ALL)

plain = base64.b64encode(b"\0alice@example.com\0alice pw").decode()
w("states", "STAT\nRETR 1\nPASS alice pw\nAUTH CRAM-MD5\nAUTH PLAIN\n*\nAUTH\nFROB\nAUTH PLAIN not-base64\nAUTH PLAIN " + plain
  + "\nUSER alice@example.com\nAUTH PLAIN " + plain + "\nQUIT\n",
  GREET + "-ERR Command not valid in this state\n" * 2 + "-ERR USER first\n-ERR Unsupported authentication mechanism\n+ \n"
  "-ERR Authentication cancelled\n+OK Mechanisms follow\nPLAIN\n.\n-ERR Unknown command\n-ERR Invalid base64 data\n+OK Logged in, 3 messages\n"
  + "-ERR Command not valid in this state\n" * 2 + "+OK Bye, 0 messages deleted\n", STORED_ALL)

w("auth-failures", "USER alice@example.com\nPASS wrong\nPASS alice pw\nUSER alice@example.com\nPASS wrong\nUSER nobody@example.com\nPASS x\nNOOP\n",
  GREET + "+OK\n-ERR [AUTH] Authentication failed\n-ERR USER first\n+OK\n-ERR [AUTH] Authentication failed\n+OK\n-ERR [AUTH] Authentication failed\n")

w("no-plaintext", "CAPA\nUSER alice@example.com\nPASS alice pw\nAUTH PLAIN " + plain + "\nAUTH\nQUIT\n",
  GREET + "+OK Capability list follows\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nEXPIRE NEVER\nIMPLEMENTATION inetmail\n.\n"
  + "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections\n" * 3 + "+OK Mechanisms follow\n.\n+OK Bye\n",
  env="INETMAIL_PLAINTEXT_AUTH=0\n")

w("capa", "CAPA\nQUIT\n", GREET + "+OK Capability list follows\nTOP\nUIDL\nRESP-CODES\nAUTH-RESP-CODE\nPIPELINING\nUSER\nSASL PLAIN\n"
  "EXPIRE NEVER\nIMPLEMENTATION inetmail\n.\n+OK Bye\n")

w("no-quit", LOGIN + "DELE 1\nDELE 2\n", GREET + LOGGED + "+OK Message 1 deleted\n+OK Message 2 deleted\n", STORED_ALL)
w("quit-in-authorization", "USER alice@example.com\nQUIT\n", GREET + "+OK\n+OK Bye\n", STORED_ALL)
w("database-down", LOGIN + "QUIT\n", GREET + "+OK\n-ERR [SYS/TEMP] Temporary failure, please try again later\n+OK Bye\n",
  env="INETMAIL_MYCNF=/nonexistent/my.cnf\n")
w("long-line", "USER " + "x" * 300 + "\nNOOP " + "y" * 260 + "\n" + LOGIN + "QUIT\n",
  GREET + "-ERR Line too long\n-ERR Line too long\n" + LOGGED + "+OK Bye, 0 messages deleted\n")
