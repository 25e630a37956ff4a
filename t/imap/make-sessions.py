# Writes the IMAP sessions in t/imap as CRLF files (awkward to edit by hand):
# edit here, run `python3 t/imap/make-sessions.py` from the top, commit both.
# The .expect files are written by hand.
import os
D = "t/imap"
SESSIONS = {
    "login": ["a1 CAPABILITY", "a2 LOGIN alice@example.com wrong", "a3 LOGIN alice@example.com \"alice pw\"",
              "a4 CAPABILITY", "a5 NAMESPACE", "a6 ID NIL", "a7 LOGOUT"],
    "authenticate": ["a1 AUTHENTICATE PLAIN", "AGFsaWNlQGV4YW1wbGUuY29tAGFsaWNlIHB3", "a2 LOGOUT"],
    "sasl-ir": ["a1 AUTHENTICATE PLAIN AGJvYkBleGFtcGxlLmNvbQBib2IgcHc=", "a2 SELECT INBOX", "a3 LOGOUT"],
    "literal": ["a1 LOGIN {17}", "alice@example.com {8+}", "alice pw", "a2 LOGOUT"],
    "states": ["a1 SELECT INBOX", "a2 FETCH 1 FLAGS", "a3 LOGIN alice@example.com \"alice pw\"", "a4 LOGIN alice@example.com \"alice pw\"",
               "a5 FETCH 1 FLAGS", "a6 BOGUS", "a7 NOOP extra", "a8 SELECT Nowhere", "b1 IDLE", "DONE", "b2 IDLE",
               "NOT DONE", "a9 LOGOUT"],
    "folders": ["a1 LOGIN alice@example.com \"alice pw\"", "a2 LIST \"\" \"\"", "a3 LIST \"\" *", "a4 LIST \"\" %", "a5 LSUB \"\" *",
                "a6 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)", "a7 STATUS Sent (MESSAGES)",
                "a8 EXAMINE inbox", "b1 LIST \"\" \"%s\"" % ("*%" * 40 + "Q"), "b2 LIST \"\" I*X",
                "b3 LIST \"\" %/%", "b4 LIST \"\" IN%", "a9 LOGOUT"],
    "fetch": ["a1 LOGIN alice@example.com \"alice pw\"", "a2 SELECT INBOX", "a3 FETCH 1:* (UID FLAGS RFC822.SIZE)",
              "a4 FETCH 1 BODY.PEEK[HEADER]", "a5 FETCH 2 BODY.PEEK[TEXT]", "a6 UID FETCH 3 BODY.PEEK[]",
              "a7 FETCH 1 FLAGS", "a8 FETCH 1 BODY[]", "a9 UID FETCH 2:* (FLAGS)", "b1 FETCH 4 FLAGS",
              "b2 FETCH 1 ENVELOPE", "b3 FETCH 1 BODYSTRUCTURE", "b4 FETCH 1 BINARY[]",
              "b5 FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[1]<0.4> BODY[1.MIME])", "b6 LOGOUT"],
    "store": ["a1 LOGIN alice@example.com \"alice pw\"", "a2 SELECT INBOX", "a3 STORE 1 +FLAGS (\\Seen \\Flagged)",
              "a4 UID STORE 2 +FLAGS.SILENT (\\Deleted)", "a5 SEARCH DELETED", "a6 UID SEARCH UNSEEN",
              "a7 STORE 1 -FLAGS \\Flagged", "a8 EXPUNGE", "a9 FETCH 1:* (UID FLAGS)", "b1 STORE 2 FLAGS ($Label1 Junk)",
              "b2 STORE 1 +FLAGS.SILENT (junk)", "b3 SEARCH KEYWORD Junk 1:*", "b4 SEARCH UNKEYWORD $label1",
              "b5 SEARCH KEYWORD Never", "b6 STORE 1 +FLAGS (\\Bogus)", "b7 SELECT INBOX", "b8 FETCH 1:* FLAGS",
              "b9 LOGOUT"],
    "folder-changes": ["a1 LOGIN alice@example.com \"alice pw\"", "a2 CREATE Work/Projects/", "a3 CREATE Work",
                       "a4 CREATE Sent", "a5 CREATE inbox", "a6 LIST \"\" Work*", "a7 RENAME Work Office",
                       "a8 LIST \"\" *", "a9 UNSUBSCRIBE Office/Projects", "b1 LSUB \"\" Office*",
                       "b2 SUBSCRIBE Nowhere", "b3 DELETE Office", "b4 LIST \"\" Office*", "b5 RENAME INBOX Old",
                       "b6 STATUS Old (MESSAGES UIDNEXT)", "b7 STATUS INBOX (MESSAGES UIDNEXT)", "b8 DELETE INBOX",
                       "b9 CREATE a//b", "c1 RENAME Old Sent", "c2 DELETE Old", "c3 CREATE inbox/", "c4 CREATE inbox/Lists",
                       "c5 LIST \"\" INBOX*", "c6 CREATE \"Über\"", "c7 CREATE \"Über/Söhne\"",
                       "c8 RENAME \"Über\" \"Ü\"", "c9 LIST \"\" \"Ü*\"", "d1 LOGOUT"],
    "copy-move": ["a1 LOGIN alice@example.com \"alice pw\"", "a2 SELECT INBOX", "a3 STORE 1 +FLAGS (\\Flagged)",
                  "a4 COPY 1:2 Archive", "a5 UID MOVE 3 Archive", "a6 COPY 1 Nowhere", "a7 FETCH 1:* (UID FLAGS)",
                  "a8 SELECT Archive", "a9 FETCH 1:* (UID FLAGS RFC822.SIZE)", "b1 MOVE 1 INBOX", "b2 STATUS INBOX (MESSAGES UIDNEXT)",
                  "b3 EXAMINE INBOX", "b4 MOVE 1 Archive", "b5 SELECT Archive", "b6 STORE 1:2 +FLAGS.SILENT (\\Deleted)",
                  "b7 UID EXPUNGE 3", "b8 UID EXPUNGE 1:*", "b9 LOGOUT"],
    "append": ["a1 APPEND INBOX {5}", "a2 LOGIN alice@example.com \"alice pw\"", "a3 SELECT Drafts",
               "a4 APPEND Drafts (\\Draft \\Seen) \"07-Dec-2026 10:00:00 +0100\" {33}",
               "Subject: draft\r\n\r\nnot sent yet.\r\n", "a5 FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE BODY[])",
               "a6 APPEND Nowhere {3+}", "abc", "a7 APPEND Nowhere {3}", "a8 APPEND Sent {10+}", "two\r\nlines",
               "a9 APPEND {4}", "Sent {2+}", "ok", "b1 APPEND Sent (\\Bogus) {2+}", "no", "b2 STATUS Sent (MESSAGES)",
               "b3 LOGOUT"],
}
for name, lines in SESSIONS.items():
    with open(os.path.join(D, name + ".session"), "wb") as f:
        f.write(b"".join(l.encode() + b"\r\n" for l in lines))
