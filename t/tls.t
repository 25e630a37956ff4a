#!/bin/sh
# STARTTLS, STLS and implicit TLS with real clients, and no command smuggled past TLS.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_tls
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/tls_clients.py"
