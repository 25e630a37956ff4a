#!/bin/sh
# smtp-handler's MX checks against real DNS on loopback, in a network and
# mount namespace of the test's own: a dnsmasq serving SPF records and a DNS
# blocklist, clients bound to addresses of their own, greylisting with our
# relay agent as the real client that retries.
. "$(dirname "$0")/lib/testdb.sh"
if [ "$(id -u)" != 0 ] && ! unshare --user --map-root-user true 2>/dev/null; then
	echo "1..0 # SKIP no network namespace (needs root or user namespaces) for a private DNS and addresses"
	exit 0
fi
if ! command -v dnsmasq >/dev/null; then
	echo "1..0 # SKIP dnsmasq is not installed (.ci/deps installs dnsmasq-base)"
	exit 0
fi
testdb t_mx_sender
export SENDER_MYCNF=$INETMAIL_MYCNF SENDER_DB=$TESTDB
testdb t_mx_checks
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com INETMAIL_BUILD=$BUILD
_ns=""
[ "$(id -u)" = 0 ] || _ns="--user --map-root-user"
unshare $_ns --net --mount --propagation private python3 "$TOP/t/lib/mx_checks_tests.py"
