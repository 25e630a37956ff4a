#!/bin/sh
# Faults, against a MariaDB of this test's own (it is killed and restarted).
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${INETMAIL_BUILD:-$TOP/build}
. "$TOP/t/lib/mariadb.sh"
D=$(mktemp -d /tmp/inetmail-faults.XXXXXX)
trap 'mariadb_stop "$D"; rm -rf "$D"' EXIT
MARIADB_EXTRA_OPTS="--max-connections=400" mariadb_start "$D" || exit 1
mariadb_sql "$D" -e "CREATE DATABASE faults"
mariadb_sql "$D" faults <"$TOP/sql/schema.sql"
export INETMAIL_MYCNF=$D/faults.cnf INETMAIL_TEST_DIR=$D TESTDB=faults FAULTS_DB_DIR=$D INETMAIL_BUILD=$BUILD
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1
printf '[inetmail]\nsocket=%s\nuser=%s\ndatabase=faults\n' "$D/sock" "$(id -un)" >"$INETMAIL_MYCNF"
python3 "$TOP/t/lib/faults.py"
