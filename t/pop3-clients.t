#!/bin/sh
# Real POP3 clients over a real socket: poplib, Net::POP3, curl, fetchmail.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_pop3_clients
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/pop3_clients.py"
