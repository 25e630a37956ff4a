#!/bin/sh
# The Debian package under a real systemd (PID 1 in systemd-nspawn): README's
# Deploying steps as written, then every unit through the real sockets. See
# t/lib/systemd_units_tests.py; the container's root is cached (t/lib/container.py).
TOP=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${INETMAIL_SANITIZE:-}" ]; then
	echo "1..0 # SKIP the package is built from the sources (make deb), not from the sanitized build: the plain pass ran it"
	exit 0
fi
why=$(python3 -c "import sys; sys.path.insert(0, '$TOP/t/lib'); import container; print(container.missing_tools() or '')")
if [ -n "$why" ]; then
	echo "1..0 # SKIP $why"
	exit 0
fi
exec python3 "$TOP/t/lib/systemd_units_tests.py"
