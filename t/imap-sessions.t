#!/bin/sh
# Every t/imap/*.session piped through imap-handler: responses and what is left.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_imap_sessions
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/sessions.py" "$BUILD/imap-handler" "$TOP/t/imap"
