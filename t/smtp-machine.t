#!/bin/sh
# The SMTP state machine with a stand-in store: no I/O, no database.
"${INETMAIL_BUILD:-$(dirname "$0")/../build}/t/smtp-machine-test"
