#!/bin/sh
# Scale-out on a three-node MariaDB Galera cluster of the test's own.
TOP=$(cd "$(dirname "$0")/.." && pwd)
export INETMAIL_BUILD=${INETMAIL_BUILD:-$TOP/build}
python3 "$TOP/t/lib/galera_tests.py"
