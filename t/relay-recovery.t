#!/bin/sh
# A relay agent SIGKILLed while it sends a 5 MiB message to a slow smarthost:
# how soon the message goes out after all, restarted at once or taken over by
# a second agent; never two agents on it at once.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_relay_recovery
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com
python3 "$TOP/t/lib/relay_recovery_tests.py"
