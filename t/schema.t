#!/bin/sh
# The schema: Galera-safe tables, and migrations from empty to current and beyond.
. "$(dirname "$0")/lib/testdb.sh"
. "$TOP/t/lib/tap.sh"
M=$BUILD/mailctl

testdb t_schema
is "$(tsql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND engine <> 'InnoDB'")" 0 \
	"every table is InnoDB"
is "$(tsql "SELECT COUNT(*) FROM information_schema.tables t WHERE table_schema = DATABASE() AND NOT EXISTS
	(SELECT 1 FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema
	 AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')")" 0 "every table has a primary key"
is "$(tsql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
	AND character_set_name IS NOT NULL AND character_set_name NOT IN ('utf8mb4', 'ascii')")" 0 \
	"text columns are utf8mb4 (or ascii for hashes, UIDLs and lock owners)"
found=$(grep -EiH 'GET_LOCK|LOCK TABLES|RELEASE_LOCK' "$TOP"/libstore/*.[ch] "$TOP"/sql/*.sql \
	"$TOP"/sql/migrations/* 2>/dev/null | grep -Ev ':[[:space:]]*(--|/?\*)')
is "$found" "" "no GET_LOCK or LOCK TABLES outside comments"
is "$(tsql "SELECT MAX(version) FROM schema_version")" 1 "schema.sql is version 1"
current=$(mariadb-dump --no-defaults -S "$INETMAIL_TEST_DIR/sock" -u "$(id -un)" --no-data --skip-comments t_schema |
	sed 's/ AUTO_INCREMENT=[0-9]*//')

testdb t_migrate empty
out=$($M migrate "$TOP/sql"); is $? 0 "migrate an empty database"
is "$out" "schema version 0 -> 1" "to the current version"
migrated=$(mariadb-dump --no-defaults -S "$INETMAIL_TEST_DIR/sock" -u "$(id -un)" --no-data --skip-comments t_migrate |
	sed 's/ AUTO_INCREMENT=[0-9]*//')
[ -n "$migrated" ] && [ "$current" = "$migrated" ]; ok $? "the result is exactly sql/schema.sql"
is "$($M migrate "$TOP/sql")" "schema version 1 -> 1" "migrating again changes nothing"

sqldir=$INETMAIL_TEST_DIR/sql
mkdir -p "$sqldir/migrations"
cp "$TOP/sql/schema.sql" "$sqldir/"
echo 'ALTER TABLE account ADD COLUMN note VARCHAR(40) NULL;' >"$sqldir/migrations/0002_note.sql"
printf 'CREATE TABLE t3 (id INT PRIMARY KEY) ENGINE=InnoDB;\nINSERT INTO t3 VALUES (3);\n' >"$sqldir/migrations/0003_t3.sql"
echo 'not sql' >"$sqldir/migrations/README"
is "$($M migrate "$sqldir")" "schema version 1 -> 3" "newer migrations are applied in order"
is "$(tsql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name = 'note'")" 1 \
	"the first one ran"
is "$(tsql "SELECT id FROM t3")" 3 "and the second, data included"
is "$(tsql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_version")" "1,2,3" "each is recorded"
is "$($M migrate "$sqldir")" "schema version 3 -> 3" "and none runs twice"
echo 'ALTER TABLE nonsense;' >"$sqldir/migrations/0004_broken.sql"
$M migrate "$sqldir" >/dev/null 2>&1; is $? 70 "a broken migration fails (70)"
is "$(tsql "SELECT MAX(version) FROM schema_version")" 3 "and is not recorded"
done_testing
