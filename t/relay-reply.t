#!/bin/sh
# The relay agent's reading of SMTP replies and EHLO offers: no I/O.
"${INETMAIL_BUILD:-$(dirname "$0")/../build}/t/relay-reply-test"
