#!/bin/sh
# The POP3 maildrop lock: released however a session ends, renewed while a
# RETR streams to a client that does not read, and no deletion once it is lost.
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/journal.sh"
testdb t_pop3_lock
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1
in_private_run python3 "$TOP/t/lib/pop3_lock_tests.py"
