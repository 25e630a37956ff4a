#!/bin/sh
# Every t/smtp/*.session piped through smtp-handler: replies and stored mail.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_smtp_sessions
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/sessions.py" "$BUILD/smtp-handler" "$TOP/t/smtp"
