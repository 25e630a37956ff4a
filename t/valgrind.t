#!/bin/sh
# Complete SMTP, POP3 and IMAP sessions under valgrind: no
# invalid access, no use of uninitialised memory, no leak. The handlers as
# linked against the shared libc (build/t/*-handler-shared): valgrind cannot
# replace a static glibc's malloc.
if [ -n "${INETMAIL_SANITIZE:-}" ]; then
	echo "1..0 # SKIP valgrind cannot run the AddressSanitizer build"
	exit 0
fi
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/tap.sh"
testdb t_valgrind
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com INETMAIL_PLAINTEXT_AUTH=1
for u in alice bob; do echo "$u pw" | "$BUILD/mailctl" --scheme sha512crypt add "$u@example.com"; done
vg() {
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$@"
}
out=$(vg "$BUILD/t/smtp-handler-shared" <"$TOP/t/smtp/submission.session" 2>"$INETMAIL_TEST_DIR/vg-smtp.err")
is "$?" 0 "smtp-handler: a whole submission session is clean under valgrind"
case $out in *"250 2.0.0 Ok: queued as"*) ok 0 "and delivers" ;; *) ok 1 "and delivers" ;; esac
out=$(vg "$BUILD/t/smtp-handler-shared" <"$TOP/t/smtp/smuggling-lf-dot-lf.session" 2>>"$INETMAIL_TEST_DIR/vg-smtp.err")
is "$?" 0 "smtp-handler: a refused message is clean too"
out=$(printf 'USER bob@example.com\r\nPASS bob pw\r\nSTAT\r\nLIST\r\nUIDL\r\nTOP 1 1\r\nRETR 1\r\nDELE 1\r\nRSET\r\nDELE 1\r\nQUIT\r\n' |
	vg "$BUILD/t/pop3-handler-shared" 2>"$INETMAIL_TEST_DIR/vg-pop3.err")
is "$?" 0 "pop3-handler: a whole session is clean under valgrind"
case $out in *"+OK Bye, 1 message deleted"*) ok 0 "and deletes at QUIT" ;; *) ok 1 "and deletes at QUIT" ;; esac
printf 'Subject: v\r\n\r\nfor IMAP\r\n' | "$BUILD/t/store-deliver" "" bob@example.com
out=$(printf 'a1 LOGIN bob@example.com "bob pw"\r\na2 SELECT INBOX\r\na3 FETCH 1:* (FLAGS UID RFC822.SIZE BODY.PEEK[HEADER])\r\na4 FETCH 1 BODY[]\r\na5 STORE 1 +FLAGS (\\Deleted)\r\na6 EXPUNGE\r\na7 LIST "" *\r\na8 LOGOUT\r\n' |
	vg "$BUILD/t/imap-handler-shared" 2>"$INETMAIL_TEST_DIR/vg-imap.err")
is "$?" 0 "imap-handler: a whole session is clean under valgrind"
case $out in *"* 1 EXPUNGE"*"a8 OK"*) ok 0 "and expunges" ;; *) ok 1 "and expunges" ;; esac
sed 's/^/# /' "$INETMAIL_TEST_DIR"/vg-*.err | head -40
done_testing
