#!/bin/sh
# libstore against a real MariaDB: auth, delivery, bounces, quota, locks, deletion, 64 MiB.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_store
export TOP INETMAIL_HOSTNAME=mail.example.com
"$BUILD/t/store-test"
