#!/bin/sh
# Log lines, caught by a journal stand-in in a private mount namespace: fields,
# one summary per session, and never a password or AUTH payload.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_logging
export INETMAIL_BUILD=$BUILD INETMAIL_HOSTNAME=mail.example.com
# As root or not: a user namespace makes us root enough to mount a tmpfs on
# /run, where the journal's socket lives, for this test alone. /run itself, not
# /run/systemd: that exists only where systemd has run (not in a chroot).
ns=""
[ "$(id -u)" = 0 ] || ns="--user --map-root-user"
unshare $ns --mount --propagation private sh -c '
	mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal ||
		{ echo "Bail out! no private /run for the journal stand-in (mount failed)"; exit 1; }
	exec python3 "$0"' "$TOP/t/lib/logging.py"
