#!/bin/sh
# Real SMTP clients over a real socket: smtplib, Net::SMTP, curl, msmtp, swaks.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_smtp_clients
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/smtp_clients.py"
