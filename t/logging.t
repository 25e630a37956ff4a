#!/bin/sh
# Log lines, caught by a journal stand-in in a private mount namespace: fields,
# one summary per session, and never a password or AUTH payload.
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/journal.sh"
testdb t_logging
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com
in_private_run python3 "$TOP/t/lib/logging.py"
