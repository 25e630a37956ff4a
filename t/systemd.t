#!/bin/sh
# The journal's native protocol and LISTEN_FDS as the handlers speak them
# (common/systemd.c), caught by a journal stand-in in a private mount namespace.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/t/lib/journal.sh"
export INETMAIL_BUILD=${INETMAIL_BUILD:-$TOP/build}
in_private_run python3 "$TOP/t/lib/systemd_tests.py"
