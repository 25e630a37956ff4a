#!/bin/sh
# Every query libstore issues uses an index on mailbox-sized tables.
. "$(dirname "$0")/lib/testdb.sh"
testdb t_explain
"$BUILD/t/explain-test"
