#!/bin/sh
# inetmail-relay through a real smarthost: the private Postfix (SASL through
# Dovecot, MariaDB) of ../shared/bench/peers, given STARTTLS with AUTH only
# over TLS, delivering into its own Maildirs.
. "$(dirname "$0")/lib/testdb.sh"
PEERS=${BENCH_PEERS:-$TOP/../shared/bench/peers} # where the checkout has it beside, or named
if [ ! -x "$PEERS/setup" ]; then
	echo "1..0 # SKIP no $PEERS here, nor BENCH_PEERS (its Postfix is the smarthost)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the peers' Postfix and Dovecot run as their own users: needs root"
	exit 0
fi
testdb t_relay_postfix
P=$(mktemp -d /tmp/inetmail-peers.XXXXXX)
chmod 711 "$P" # the peers' daemon users reach their run directory inside it
trap '"$PEERS/teardown" --purge "$P/run" >/dev/null 2>&1; rm -rf "$P"' EXIT
if ! BENCH_NO_INSTALL=1 BENCH_USERS=2 BENCH_DIR=$P/run "$PEERS/setup" >"$P/setup.log" 2>&1; then
	echo "1..0 # SKIP the peers did not start: $(grep -m1 'error' "$P/setup.log")"
	exit 0
fi
export PEERS_ENV=$P/run/peers.env INETMAIL_BUILD=$BUILD
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_DOMAIN=example.com
python3 "$TOP/t/lib/relay_postfix.py"
