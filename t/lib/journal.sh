# in_private_run COMMAND...: runs COMMAND in a private mount namespace with a
# tmpfs on /run of its own, where /run/systemd/journal/ is the test's, so the
# handlers log to a journal stand-in (t/lib/testlib.py journal_socket). As
# root or not: a user namespace makes us root enough for the mount. /run
# itself, not /run/systemd: that exists only where systemd has run.
in_private_run() {
	_ns=""
	[ "$(id -u)" = 0 ] || _ns="--user --map-root-user"
	unshare $_ns --mount --propagation private sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal ||
			{ echo "Bail out! no private /run for the journal stand-in (mount failed)"; exit 1; }
		exec "$@"' in_private_run "$@"
}
