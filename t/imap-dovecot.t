#!/bin/sh
# What a client sees of a message, ours against a real Dovecot's IMAP fed the
# same messages: a corpus of our own (t/imap/corpus) and Python's email tests.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_imap_dovecot
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/imap_dovecot.py" "$TOP/t/imap/corpus"
