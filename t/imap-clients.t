#!/bin/sh
# Real IMAP clients over a real socket: Python's imaplib, curl.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_imap_clients
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/imap_clients.py"
