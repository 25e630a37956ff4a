#!/bin/sh
# units/xinetd/* under a real xinetd: mail in and out, no logs on the connection.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_xinetd
export INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/xinetd_clients.py"
