#!/bin/sh
# Password guessing slowed across connections and handlers; fail2ban's filter.
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/journal.sh"
testdb t_penalty
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com
in_private_run python3 "$TOP/t/lib/penalty_tests.py"
