#!/bin/sh
# mailctl moving mail in and out: hashes, passwd-files, Maildir, mbox, export.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_import
export INETMAIL_HOSTNAME=mail.example.com INETMAIL_PLAINTEXT_AUTH=1 INETMAIL_BUILD=$BUILD
python3 "$TOP/t/lib/import_tests.py"
