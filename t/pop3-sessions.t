#!/bin/sh
# Every t/pop3/*.session piped through pop3-handler: replies and what is left.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_pop3_sessions
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/sessions.py" "$BUILD/pop3-handler" "$TOP/t/pop3"
