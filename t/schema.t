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
is "$(tsql "SELECT MAX(version) FROM schema_version")" 8 "schema.sql is version 8"
dump() {
	mariadb-dump --no-defaults -S "$INETMAIL_TEST_DIR/sock" -u "$(id -un)" --no-data --skip-comments "$1" |
		sed 's/ AUTO_INCREMENT=[0-9]*//'
}
current=$(dump t_schema)

testdb t_migrate empty
out=$($M migrate "$TOP/sql"); is $? 0 "migrate an empty database"
is "$out" "schema version 0 -> 8" "to the current version"
migrated=$(dump t_migrate)
[ -n "$migrated" ] && [ "$current" = "$migrated" ]; ok $? "the result is exactly sql/schema.sql"
is "$($M migrate "$TOP/sql")" "schema version 8 -> 8" "migrating again changes nothing"

# A live version-1 database (t/data/schema-v1.sql is the schema as it was),
# with accounts and mail in it, upgraded by mailctl migrate.
testdb t_v1 empty
mariadb_sql "$INETMAIL_TEST_DIR" t_v1 <"$TOP/t/data/schema-v1.sql"
tsql "INSERT INTO account (id, address, password_hash) VALUES (1, 'alice@example.com', 'h1'),
	(2, 'bob@example.com', 'h2'), (3, 'zed@other.example', 'h3'), (4, 'postmaster@own.example', 'h4');
	INSERT INTO message (id, size, refs) VALUES (1, 5, 2); INSERT INTO message_chunk VALUES (1, 0, 'hello');
	INSERT INTO message (id, size, refs) VALUES (2, 5, 2); INSERT INTO message_chunk VALUES (2, 0, 'again');
	INSERT INTO mailbox_entry (id, account_id, message_id, uidl, size, arrived_at) VALUES
	(10, 1, 1, 'u1', 5, '2026-01-02 03:04:05.600000'), (11, 2, 1, 'u2', 5, '1999-12-31 23:59:59'),
	(12, 2, 2, 'u3', 5, '2026-07-01 12:00:00'), (13, 1, 2, 'u4', 5, '2026-07-01 12:00:00')"
is "$($M migrate "$TOP/sql")" "schema version 1 -> 8" "a version-1 database with data migrates"
[ "$(dump t_v1)" = "$current" ]; ok $? "to exactly sql/schema.sql"
is "$(tsql "SELECT GROUP_CONCAT(name ORDER BY name) FROM domain")" "example.com,other.example,own.example" \
	"every domain with accounts is local"
is "$(tsql "SELECT GROUP_CONCAT(CONCAT(source, '>', target) ORDER BY source) FROM alias")" \
	"postmaster@example.com>alice@example.com,postmaster@other.example>zed@other.example" \
	"postmaster@ each goes to the domain's first account (none where it is an account)"
is "$(tsql "SELECT GROUP_CONCAT(CONCAT(a.address, ':', e.uidl, ':', c.data) ORDER BY e.id) FROM mailbox_entry e
	JOIN account a ON a.id = e.account_id JOIN message_chunk c ON c.message_id = e.message_id")" \
	"alice@example.com:u1:hello,bob@example.com:u2:hello,bob@example.com:u3:again,alice@example.com:u4:again" \
	"the mail is all there"
is "$(tsql "SELECT GROUP_CONCAT(CONCAT(a.address, ':', e.uidl, ':', f.name, ':', e.uid) ORDER BY e.id) FROM mailbox_entry e
	JOIN account a ON a.id = e.account_id JOIN folder f ON f.id = e.folder_id AND f.account_id = a.id")" \
	"alice@example.com:u1:INBOX:1,bob@example.com:u2:INBOX:1,bob@example.com:u3:INBOX:2,alice@example.com:u4:INBOX:2" \
	"in each account's INBOX, UIDs in POP3's order"
is "$(tsql "SELECT GROUP_CONCAT(CONCAT(name, '=', COALESCE(special_use, ''), ':', uidnext) ORDER BY id) FROM folder
	WHERE account_id = 2")" 'INBOX=:3,Sent=\\Sent:1,Drafts=\\Drafts:1,Trash=\\Trash:1,Junk=\\Junk:1,Archive=\\Archive:1' \
	"every account has INBOX and the special-use folders, UIDNEXT past the mail there"
is "$(tsql "SELECT GROUP_CONCAT(CAST(arrived - UNIX_TIMESTAMP(CASE id WHEN 10 THEN '2026-01-02 03:04:06'
	WHEN 11 THEN '1999-12-31 23:59:59' ELSE '2026-07-01 12:00:00' END) AS SIGNED) ORDER BY id) FROM mailbox_entry WHERE id < 14")" \
	"0,0,0,0" "each arrival is the same second IMAP gave as its INTERNALDATE before (rounded, in the server's time zone)"
is "$(tsql "SELECT COUNT(*) FROM account WHERE password_hash IN ('h1', 'h2', 'h3', 'h4')")" 4 "and so are the accounts"
tsql "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid) VALUES (2, 1, 'u1', 5, 7, 3)"
ok $? "a UIDL is unique per mailbox now, not across them"
tsql "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid) VALUES (2, 1, 'u1', 5, 7, 4)" 2>/dev/null
[ $? -ne 0 ]; ok $? "but still unique in one"
echo 'bob@example.com pw' | INETMAIL_MYCNF=$INETMAIL_TEST_DIR/t_v1.cnf "$M" list >/dev/null
ok $? "mailctl works on the migrated database"

testdb t_migrate
sqldir=$INETMAIL_TEST_DIR/sql
mkdir -p "$sqldir/migrations"
cp "$TOP/sql/schema.sql" "$sqldir/"
echo 'ALTER TABLE account ADD COLUMN note VARCHAR(40) NULL;' >"$sqldir/migrations/0009_note.sql"
printf 'CREATE TABLE t5 (id INT PRIMARY KEY) ENGINE=InnoDB;\nINSERT INTO t5 VALUES (6);\n' >"$sqldir/migrations/0010_t5.sql"
echo 'not sql' >"$sqldir/migrations/README"
is "$($M migrate "$sqldir")" "schema version 8 -> 10" "newer migrations are applied in order"
is "$(tsql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name = 'note'")" 1 \
	"the first one ran"
is "$(tsql "SELECT id FROM t5")" 6 "and the second, data included"
is "$(tsql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_version")" "8,9,10" "each is recorded"
is "$($M migrate "$sqldir")" "schema version 10 -> 10" "and none runs twice"
echo 'ALTER TABLE nonsense;' >"$sqldir/migrations/0011_broken.sql"
$M migrate "$sqldir" >/dev/null 2>&1; is $? 70 "a broken migration fails (70)"
is "$(tsql "SELECT MAX(version) FROM schema_version")" 10 "and is not recorded"
done_testing
