#!/bin/sh
# sql/grants.sql: each handler's database user can do its job and no more.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_grants
sed 's/inetmail\./t_grants./g' "$TOP/sql/grants.sql" | mariadb_sql "$INETMAIL_TEST_DIR" || exit 1
for u in smtp pop3 imap relay admin; do
	mariadb_sql "$INETMAIL_TEST_DIR" -e "ALTER USER inetmail_$u@localhost IDENTIFIED BY 'pw-$u'"
	printf '[inetmail]\nsocket=%s\nuser=inetmail_%s\npassword=pw-%s\ndatabase=t_grants\n' \
		"$INETMAIL_TEST_DIR/sock" "$u" "$u" >"$INETMAIL_TEST_DIR/grants-$u.cnf"
done
export INETMAIL_MYCNF=$INETMAIL_TEST_DIR/grants-admin.cnf
for u in alice bob carol; do echo "$u pw" | "$BUILD/mailctl" --scheme sha512crypt add "$u@example.com" || exit 1; done
"$BUILD/t/grants-test" "$INETMAIL_TEST_DIR/grants-smtp.cnf" "$INETMAIL_TEST_DIR/grants-pop3.cnf" \
	"$INETMAIL_TEST_DIR/grants-relay.cnf" "$INETMAIL_TEST_DIR/grants-imap.cnf"
