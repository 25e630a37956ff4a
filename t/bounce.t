#!/bin/sh
# Bounce scanning and building, without a database.
"${INETMAIL_BUILD:-$(dirname "$0")/../build}/t/bounce-test"
