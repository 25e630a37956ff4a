#!/bin/sh
# inetmail-relay against real servers on loopback, in a network and mount
# namespace of the test's own: a private DNS (dnsmasq) with the MX records, a
# second inetmail as the remote domains' MX on port 25 and as a smarthost.
# This site's database is a MariaDB of the test's own, which it kills; the
# remote site's is on the harness's server.
. "$(dirname "$0")/lib/testdb.sh"
if [ "$(id -u)" != 0 ] && ! unshare --user --map-root-user true 2>/dev/null; then
	echo "1..0 # SKIP no network namespace (needs root or user namespaces) for a private port 25 and DNS"
	exit 0
fi
if ! command -v dnsmasq >/dev/null; then
	echo "1..0 # SKIP dnsmasq is not installed (.ci/deps installs dnsmasq-base)"
	exit 0
fi
testdb t_relay_remote
export REMOTE_DB=$TESTDB REMOTE_MYCNF=$INETMAIL_MYCNF REMOTE_SOCK=$INETMAIL_TEST_DIR/sock
D=$(mktemp -d /tmp/inetmail-relay.XXXXXX)
trap 'mariadb_stop "$D"; rm -rf "$D"' EXIT
mariadb_start "$D" || exit 1
mariadb_sql "$D" -e "CREATE DATABASE relay"
mariadb_sql "$D" relay <"$TOP/sql/schema.sql"
export INETMAIL_MYCNF=$D/relay.cnf INETMAIL_TEST_DIR=$D TESTDB=relay RELAY_DB_DIR=$D INETMAIL_BUILD=$BUILD
printf '[inetmail]\nsocket=%s\nuser=%s\ndatabase=relay\n' "$D/sock" "$(id -un)" >"$INETMAIL_MYCNF"
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com
_ns=""
[ "$(id -u)" = 0 ] || _ns="--user --map-root-user"
unshare $_ns --net --mount --propagation private python3 "$TOP/t/lib/relay_tests.py"
