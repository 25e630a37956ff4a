#!/bin/sh
# The POP3 state machine with a stand-in maildrop: no I/O, no database.
"${INETMAIL_BUILD:-$(dirname "$0")/../build}/t/pop3-machine-test"
