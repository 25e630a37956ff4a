# Sourced by each test: a database of its own on the harness's private MariaDB
# (started here when the test runs alone, outside t/run).
#   testdb NAME [empty]  creates database NAME (from sql/schema.sql unless
#                 empty) and exports INETMAIL_MYCNF naming an option file for it
#   tsql SQL      runs SQL in that database, tab-separated, no column names
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${INETMAIL_BUILD:-$TOP/build}
. "$TOP/t/lib/mariadb.sh"

if [ -z "${INETMAIL_TEST_DIR:-}" ]; then
	INETMAIL_TEST_DIR=$(mktemp -d /tmp/inetmail-test.XXXXXX)
	trap 'mariadb_stop "$INETMAIL_TEST_DIR"; rm -rf "$INETMAIL_TEST_DIR"' EXIT
	mariadb_start "$INETMAIL_TEST_DIR" || exit 1
fi
export INETMAIL_TEST_DIR
# The login penalty would slow every test that fails a login on purpose;
# t/penalty.t turns it on for itself.
export INETMAIL_AUTH_PENALTY=${INETMAIL_AUTH_PENALTY:-0}

testdb() {
	TESTDB=$1
	mariadb_sql "$INETMAIL_TEST_DIR" -e "DROP DATABASE IF EXISTS \`$TESTDB\`; CREATE DATABASE \`$TESTDB\`"
	[ "${2:-}" = empty ] || mariadb_sql "$INETMAIL_TEST_DIR" "$TESTDB" <"$TOP/sql/schema.sql"
	INETMAIL_MYCNF=$INETMAIL_TEST_DIR/$TESTDB.cnf
	printf '[inetmail]\nsocket=%s\nuser=%s\ndatabase=%s\n' \
		"$INETMAIL_TEST_DIR/sock" "$(id -un)" "$TESTDB" >"$INETMAIL_MYCNF"
	export TESTDB INETMAIL_MYCNF
}

tsql() {
	mariadb_sql "$INETMAIL_TEST_DIR" -N -B "$TESTDB" -e "$1"
}
