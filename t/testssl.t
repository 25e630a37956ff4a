#!/bin/sh
# testssl.sh against both STARTTLS services: nothing rated HIGH or CRITICAL.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_testssl
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/testssl_run.py"
