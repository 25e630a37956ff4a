#!/bin/sh
# Clients that keep a copy: mbsync (isync) and offlineimap3 syncing a Maildir
# both ways, fetchmail downloading over IMAP.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_imap_sync
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/imap_sync.py"
