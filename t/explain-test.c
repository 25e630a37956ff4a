/* EXPLAINs every statement libstore issues on mailbox-sized tables and fails
 * on a full table or index scan, except where a query scans by design. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "queries.h"

static const struct { const char *name; int scan_ok; const char *sql; } queries[] = {
#define QUERY_ROW(name, scan, sql) {#name, scan, sql},
	STORE_QUERIES(QUERY_ROW)
#undef QUERY_ROW
};

static const char *const fill[] = {
	"INSERT INTO account (address, password_hash, quota_bytes)"
	" SELECT CONCAT('user', seq, '@example.com'), '*', IF(seq % 2, NULL, 1000000) FROM seq_1_to_2000",
	"INSERT INTO message (size, refs, created_at) SELECT 100, 1, NOW() - INTERVAL seq MINUTE FROM seq_1_to_20000",
	"INSERT INTO message_chunk (message_id, seq, data) SELECT id, 0, 'x' FROM message",
	"INSERT INTO folder (account_id, name) SELECT id, 'INBOX' FROM account ORDER BY id", /* ids those of accounts */
	"INSERT INTO folder (account_id, name) SELECT id, n.name FROM account JOIN (SELECT 'Sent' AS name UNION ALL"
	" SELECT 'Drafts' UNION ALL SELECT 'Trash' UNION ALL SELECT 'Junk' UNION ALL SELECT 'Archive') n",
	"INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid)"
	" SELECT 1 + id % 2000, id, CONCAT('u', id), 100, 1 + id % 2000, id FROM message",
	"INSERT INTO maildrop_lock SELECT seq, 'o', NOW() FROM seq_1_to_2000",
	"INSERT INTO domain (name) SELECT CONCAT('d', seq, '.example') FROM seq_1_to_500",
	"INSERT INTO alias (source, target) SELECT CONCAT('a', seq, '@d', seq % 500, '.example'),"
	" CONCAT('user', seq % 2000, '@example.com') FROM seq_1_to_5000",
	"INSERT INTO auth_failure (client, account, failed_at) SELECT CONCAT('192.0.2.', seq % 250),"
	" CONCAT('user', seq % 2000, '@example.com'), NOW() - INTERVAL seq SECOND FROM seq_1_to_20000",
	"ANALYZE TABLE account, message, message_chunk, mailbox_entry, folder, maildrop_lock, domain, alias, auth_failure",
};

static int run(MYSQL *db, const char *q)
{
	if (mysql_query(db, q)) {
		printf("# %s: %s\n", q, mysql_error(db));
		return -1;
	}
	MYSQL_RES *res = mysql_store_result(db);
	if (res)
		mysql_free_result(res);
	return 0;
}

int main(void)
{
	MYSQL *db = mysql_init(NULL);
	mysql_options(db, MYSQL_READ_DEFAULT_FILE, getenv("INETMAIL_MYCNF"));
	mysql_options(db, MYSQL_READ_DEFAULT_GROUP, "inetmail");
	if (!mysql_real_connect(db, NULL, NULL, NULL, NULL, 0, NULL, 0)) {
		printf("Bail out! %s\n", mysql_error(db));
		return 1;
	}
	int filled = 0;
	for (size_t i = 0; i < sizeof fill / sizeof *fill; i++)
		filled += run(db, fill[i]) == 0;
	is_int(filled, sizeof fill / sizeof *fill, "mailbox-sized tables filled");
	for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
		if (strstr(queries[i].sql, " VALUES (")) { /* EXPLAIN shows type ALL for a plain insert */
			ok(1, "%s: inserts one row, reads none", queries[i].name);
			continue;
		}
		if (!strncmp(queries[i].sql, "SET ", 4)) {
			ok(1, "%s: sets a session variable, reads none", queries[i].name);
			continue;
		}
		char q[2048] = "EXPLAIN ";
		size_t n = strlen(q);
		for (const char *p = queries[i].sql; *p && n < sizeof q - 4; p++) /* '1' fits every parameter */
			n += (size_t)(*p == '?' ? sprintf(q + n, "'1'") : sprintf(q + n, "%c", *p));
		if (mysql_query(db, q)) {
			ok(0, "%s: EXPLAIN fails: %s", queries[i].name, mysql_error(db));
			continue;
		}
		MYSQL_RES *res = mysql_store_result(db);
		MYSQL_ROW row;
		char scans[512] = "";
		while (res && (row = mysql_fetch_row(res))) {
			const char *table = row[2], *type = row[3];
			int big = table && (!strcmp(table, "account") || !strcmp(table, "a") || !strcmp(table, "e") ||
			                    !strncmp(table, "message", 7) || !strcmp(table, "mailbox_entry") ||
			                    !strcmp(table, "maildrop_lock") || !strcmp(table, "domain") ||
			                    !strcmp(table, "d") || !strcmp(table, "alias") || !strcmp(table, "l") ||
			                    !strcmp(table, "auth_failure"));
			if (big && type && (!strcmp(type, "ALL") || !strcmp(type, "index")) &&
			    strlen(scans) + strlen(table) + 2 < sizeof scans)
				strcat(strcat(scans, " "), table);
		}
		if (res)
			mysql_free_result(res);
		ok(queries[i].scan_ok || !scans[0], "%s: no full scan%s%s", queries[i].name,
		   scans[0] ? " of" : "", scans);
	}
	mysql_close(db);
	return done_testing();
}
