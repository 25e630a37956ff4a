#!/bin/sh
# neomutt driven through a terminal on an IMAP account.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_imap_mutt
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/imap_mutt.py"
