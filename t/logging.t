#!/bin/sh
# Log lines, caught by a journal stand-in in a private mount namespace: fields,
# one summary per session, and never a password or AUTH payload.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_logging
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com
# As root or not: a user namespace makes us root enough to mount a tmpfs on
# /run/systemd, where the journal's socket lives, for this test alone.
ns=""
[ "$(id -u)" = 0 ] || ns="--user --map-root-user"
unshare $ns --mount --propagation private sh -c \
	'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/journal && exec python3 "$0"' "$TOP/t/lib/logging.py"
