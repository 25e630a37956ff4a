#!/bin/sh
# inetmail-relay against real servers on loopback, in a network and mount
# namespace of the test's own: a private DNS (dnsmasq) with the MX records, a
# second inetmail as the remote domains' MX on port 25 and as a smarthost.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_relay_remote
export REMOTE_DB=$TESTDB REMOTE_MYCNF=$INETMAIL_MYCNF
testdb t_relay
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com
if [ "$(id -u)" != 0 ] && ! unshare --user --map-root-user true 2>/dev/null; then
	echo "1..0 # SKIP no network namespace (needs root or user namespaces) for a private port 25 and DNS"
	exit 0
fi
if ! command -v dnsmasq >/dev/null; then
	echo "1..0 # SKIP dnsmasq is not installed (.ci/deps installs dnsmasq-base)"
	exit 0
fi
_ns=""
[ "$(id -u)" = 0 ] || _ns="--user --map-root-user"
exec unshare $_ns --net --mount --propagation private python3 "$TOP/t/lib/relay_tests.py"
