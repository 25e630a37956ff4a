#!/bin/sh
# Moving from a real Dovecot: its passwd-file, Maildirs and POP3 UIDLs.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_dovecot
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/dovecot_tests.py"
