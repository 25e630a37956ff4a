/* Every SQL statement libstore issues, in one place, so that t/explain.t can
 * EXPLAIN each of them. Q(name, full_scan_by_design, sql). */
#ifndef INETMAIL_QUERIES_H
#define INETMAIL_QUERIES_H

#define STORE_QUERIES(Q) \
	Q(ACCOUNT_BY_ADDRESS, 0, "SELECT id, password_hash FROM account WHERE address = ? AND active = 1") \
	Q(AUTH_LOOKUP, 0, "SELECT (SELECT id FROM account WHERE address = ? AND active = 1)," \
	                  " (SELECT password_hash FROM account WHERE address = ? AND active = 1)," \
	                  " (SELECT COUNT(*) FROM auth_failure WHERE client = ? AND failed_at > NOW(6) - INTERVAL ? SECOND)," \
	                  " (SELECT COUNT(*) FROM auth_failure WHERE client = ? AND account = ?" \
	                  " AND failed_at > NOW(6) - INTERVAL ? SECOND)") \
	Q(AUTH_FAILURE_INSERT, 0, "INSERT INTO auth_failure (client, account) VALUES (?, ?)") \
	/* LIMIT 100: each failure clears at most that many expired rows, so the write stays short */ \
	Q(AUTH_FAILURE_EXPIRE, 0, "DELETE FROM auth_failure WHERE failed_at < NOW(6) - INTERVAL ? SECOND LIMIT 100") \
	/* a greylisting try: the first inserts; a later one passes the delay after the first */ \
	Q(GREYLIST_TRY, 0, "INSERT INTO greylist (triplet, client, sender, recipient, first_try, last_seen)" \
	                   " VALUES (UNHEX(SHA2(CONCAT_WS(0x00, ?, ?, ?), 256)), ?, ?, ?, UNIX_TIMESTAMP(), UNIX_TIMESTAMP())" \
	                   " ON DUPLICATE KEY UPDATE passed = passed OR UNIX_TIMESTAMP() >= first_try + ?," \
	                   " last_seen = UNIX_TIMESTAMP()") \
	Q(GREYLIST_PASSED, 0, "SELECT passed FROM greylist WHERE triplet = UNHEX(SHA2(CONCAT_WS(0x00, ?, ?, ?), 256))") \
	Q(GREYLIST_EXPIRE, 0, "DELETE FROM greylist WHERE last_seen < UNIX_TIMESTAMP() - ? LIMIT 100") \
	Q(AUTH_FAILURE_CLEAR, 0, "DELETE FROM auth_failure WHERE client = ? AND account = ?") \
	Q(PENALTY_LIST, 0, "SELECT client, COUNT(*), TIMESTAMPDIFF(SECOND, MAX(failed_at), NOW(6))," \
	                   " COUNT(DISTINCT account) FROM auth_failure WHERE failed_at > NOW(6) - INTERVAL ? SECOND" \
	                   " GROUP BY client ORDER BY client") \
	Q(PENALTY_CLEAR, 0, "DELETE FROM auth_failure WHERE client = ?") \
	Q(PENALTY_CLEAR_ALL, 1, "DELETE FROM auth_failure") \
	Q(ACCOUNT_ID_ANY, 0, "SELECT id FROM account WHERE address = ?") \
	Q(ACCOUNT_LOCK, 0, "SELECT id FROM account WHERE id = ? FOR UPDATE") \
	Q(ACCOUNT_CHARGE, 0, "UPDATE account SET used_bytes = used_bytes + ? WHERE id = ?" \
	                     " AND (? OR quota_bytes IS NULL OR used_bytes + ? <= quota_bytes)") \
	Q(ACCOUNT_CREDIT, 0, "UPDATE account SET used_bytes = GREATEST(used_bytes, ?) - ? WHERE id = ?") \
	Q(ACCOUNT_INSERT, 0, "INSERT INTO account (address, password_hash) VALUES (?, ?)") \
	Q(ACCOUNT_SET_HASH, 0, "UPDATE account SET password_hash = ? WHERE address = ?") \
	Q(ACCOUNT_USAGE, 0, "SELECT used_bytes, quota_bytes FROM account WHERE id = ?") \
	Q(ACCOUNT_SET_QUOTA, 0, "UPDATE account SET quota_bytes = ? WHERE address = ?") \
	Q(ACCOUNT_SET_ACTIVE, 0, "UPDATE account SET active = ? WHERE address = ?") \
	Q(ACCOUNT_DELETE, 0, "DELETE FROM account WHERE id = ?") \
	Q(ACCOUNT_LIST, 1, "SELECT a.address, a.active, a.quota_bytes, a.used_bytes," \
	                   " (SELECT COUNT(*) FROM mailbox_entry e WHERE e.account_id = a.id)" \
	                   " FROM account a ORDER BY a.address") \
	Q(ACCOUNT_IN_DOMAIN, 0, "SELECT id, address FROM account WHERE domain = ? ORDER BY id") \
	Q(DOMAIN_EXISTS, 0, "SELECT 1 FROM domain WHERE name = ?") \
	Q(DOMAIN_INSERT, 0, "INSERT IGNORE INTO domain (name) VALUES (?)") \
	Q(DOMAIN_DELETE, 0, "DELETE FROM domain WHERE name = ?") \
	Q(DOMAIN_LIST, 1, "SELECT d.name, (SELECT COUNT(*) FROM account a WHERE a.domain = d.name)," \
	                  " (SELECT COUNT(*) FROM alias l WHERE l.domain = d.name)" \
	                  " FROM domain d ORDER BY d.name") \
	Q(ALIAS_TARGETS, 0, "SELECT target FROM alias WHERE source = ? ORDER BY target") \
	Q(ALIAS_INSERT, 0, "INSERT IGNORE INTO alias (source, target) VALUES (?, ?)") \
	Q(ALIAS_DELETE, 0, "DELETE FROM alias WHERE source = ? AND target = ?") \
	Q(ALIAS_DELETE_SOURCE, 0, "DELETE FROM alias WHERE source = ?") \
	Q(ALIAS_DELETE_TARGET, 0, "DELETE FROM alias WHERE target = ?") \
	Q(ALIAS_DELETE_DOMAIN, 0, "DELETE FROM alias WHERE domain = ?") \
	Q(ALIAS_LIST, 1, "SELECT source, target FROM alias ORDER BY domain, source, target") \
	Q(ALIAS_LIST_DOMAIN, 0, "SELECT source, target FROM alias WHERE domain = ? ORDER BY source, target") \
	Q(MESSAGE_INSERT, 0, "INSERT INTO message (size, refs, summary) VALUES (?, ?, ?)") \
	Q(MESSAGE_PUBLISH, 0, "UPDATE message SET size = ?, refs = ?, summary = ? WHERE id = ?") \
	Q(MESSAGE_UNREF, 0, "UPDATE message SET refs = refs - 1 WHERE id = ? AND refs > 0") \
	Q(MESSAGE_REFS, 0, "SELECT refs FROM message WHERE id = ? FOR UPDATE") \
	Q(MESSAGE_DELETE, 0, "DELETE FROM message WHERE id = ? AND refs = 0") \
	Q(MESSAGE_ORPHANS, 0, "SELECT id FROM message WHERE refs = 0" \
	                      " AND created_at <= NOW() - INTERVAL ? SECOND LIMIT 1000") \
	Q(CHUNK_INSERT, 0, "INSERT INTO message_chunk (message_id, seq, data) VALUES (?, ?, ?)") \
	Q(CHUNK_READ, 0, "SELECT c.data FROM mailbox_entry e JOIN message_chunk c ON c.message_id = e.message_id" \
	                 " WHERE e.id = ? AND e.account_id = ? ORDER BY c.seq") \
	/* STORE_READ_AHEAD_ENTRIES placeholders: one read brings the messages a client reads next */ \
	Q(CHUNK_READ_AHEAD, 0, "SELECT e.id, c.data FROM mailbox_entry e JOIN message_chunk c ON c.message_id = e.message_id" \
	                       " WHERE e.account_id = ? AND e.id IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" \
	                       " ORDER BY e.id, c.seq") \
	Q(CHUNK_DELETE, 0, "DELETE FROM message_chunk WHERE message_id = ?") \
	/* the UID the next statement gives: INBOX's row locked to the delivery's end, so UIDs commit in order */ \
	Q(FOLDER_NEXT_UID, 0, "UPDATE folder SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1" \
	                      " WHERE account_id = ? AND name = 'INBOX'") \
	Q(ENTRY_INSERT, 0, "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid, modseq)" \
	                   " SELECT account_id, ?, ?, ?, id, uidnext - 1, highestmodseq FROM folder" \
	                   " WHERE account_id = ? AND name = 'INBOX'") \
	/* a quarantined message: the same into the account's Junk folder (its first, should it have several) */ \
	Q(FOLDER_NEXT_UID_JUNK, 0, "UPDATE folder SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1" \
	                           " WHERE account_id = ? AND special_use = '\\\\Junk' ORDER BY id LIMIT 1") \
	Q(ENTRY_INSERT_JUNK, 0, "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid, modseq)" \
	                        " SELECT account_id, ?, ?, ?, id, uidnext - 1, highestmodseq FROM folder" \
	                        " WHERE account_id = ? AND special_use = '\\\\Junk' ORDER BY id LIMIT 1") \
	/* APPEND: the same into a folder named by id, with flags and INTERNALDATE (0: now) */ \
	Q(FOLDER_NEXT_UID_IN, 0, "UPDATE folder SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1" \
	                         " WHERE id = ? AND account_id = ?") \
	Q(ENTRY_INSERT_IN, 0, "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid, modseq, flags," \
	                      " keywords, arrived) SELECT account_id, ?, ?, ?, id, uidnext - 1, highestmodseq, ?, ?," \
	                      " IF(? = 0, UNIX_TIMESTAMP(), ?) FROM folder WHERE id = ?") \
	/* an import: its entry under the UID it had (Dovecot's), when that is not behind UIDNEXT */ \
	Q(FOLDER_TAKE_UID, 0, "UPDATE folder SET uidnext = ? + 1, highestmodseq = highestmodseq + 1" \
	                      " WHERE id = ? AND account_id = ? AND uidnext <= ?") \
	Q(ENTRY_INSERT_UID, 0, "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, folder_id, uid, modseq, flags," \
	                       " keywords, arrived) SELECT account_id, ?, ?, ?, id, ?, highestmodseq, ?, ?," \
	                       " IF(? = 0, UNIX_TIMESTAMP(), ?) FROM folder WHERE id = ?") \
	/* an empty folder takes the UIDVALIDITY it had on the server mail is moved from */ \
	Q(FOLDER_ADOPT, 0, "UPDATE folder f SET f.uidvalidity = ? WHERE f.id = ? AND f.account_id = ? AND NOT EXISTS" \
	                   " (SELECT 1 FROM mailbox_entry e WHERE e.folder_id = f.id)") \
	/* and, its mail in, the UIDNEXT it had there, as ahead as it is */ \
	Q(FOLDER_UIDNEXT_AT_LEAST, 0, "UPDATE folder SET uidnext = GREATEST(uidnext, ?) WHERE id = ? AND account_id = ?") \
	Q(FOLDER_DEFAULTS, 0, "INSERT IGNORE INTO folder (account_id, name, special_use) VALUES (?, 'INBOX', NULL)," \
	                      " (?, 'Sent', '\\\\Sent'), (?, 'Drafts', '\\\\Drafts'), (?, 'Trash', '\\\\Trash')," \
	                      " (?, 'Junk', '\\\\Junk'), (?, 'Archive', '\\\\Archive')") \
	/* RFC 7162 3.1.2: an expunge is a change too */ \
	Q(FOLDER_EXPUNGED, 0, "UPDATE folder SET highestmodseq = highestmodseq + 1 WHERE id = ?") \
	Q(QUEUE_INSERT, 0, "INSERT INTO relay_queue (message_id, sender, recipient) VALUES (?, ?, ?)") \
	Q(QUEUE_LIST, 1, "SELECT id, sender, recipient, TIMESTAMPDIFF(SECOND, created_at, NOW(6)), attempts," \
	                 " GREATEST(0, TIMESTAMPDIFF(SECOND, NOW(6), next_try_at)), COALESCE(last_answer, '')," \
	                 " IF(lease_expires_at >= NOW(6), lease_owner, '')," \
	                 " GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, NOW(6), lease_expires_at) / 1e6))" \
	                 " FROM relay_queue ORDER BY id") \
	Q(QUEUE_DUE, 0, "SELECT message_id, domain FROM relay_queue WHERE next_try_at <= NOW(6)" \
	                " AND (lease_expires_at IS NULL OR lease_expires_at < NOW(6)) ORDER BY next_try_at LIMIT 1") \
	Q(QUEUE_CLAIM, 0, "UPDATE relay_queue SET lease_owner = ?, lease_expires_at = NOW(6) + INTERVAL ? SECOND" \
	                  " WHERE message_id = ? AND domain = ? AND next_try_at <= NOW(6)" \
	                  " AND (lease_expires_at IS NULL OR lease_expires_at < NOW(6))") \
	/* This claim's rows only: an attempt given up on (the database failed) leaves rows of another \
	 * message under our name, lapsed; they are that message's, whoever claims it next. */ \
	Q(QUEUE_CLAIMED, 0, "SELECT id, sender, recipient, attempts, TIMESTAMPDIFF(SECOND, created_at, NOW(6))" \
	                    " FROM relay_queue WHERE lease_owner = ? AND message_id = ? AND domain = ? ORDER BY id") \
	Q(QUEUE_RENEW, 0, "UPDATE relay_queue SET lease_expires_at = NOW(6) + INTERVAL ? SECOND" \
	                  " WHERE lease_owner = ? AND lease_expires_at >= NOW(6)") \
	Q(QUEUE_DONE, 0, "DELETE FROM relay_queue WHERE id = ? AND lease_owner = ?") \
	Q(QUEUE_CHUNK, 0, "SELECT data FROM message_chunk WHERE message_id = ? AND seq = ?") \
	Q(QUEUE_SIZE, 0, "SELECT size FROM message WHERE id = ?") \
	Q(QUEUE_FLUSH, 0, "UPDATE relay_queue SET next_try_at = NOW(6) WHERE next_try_at > NOW(6)") \
	Q(QUEUE_TAKE, 0, "UPDATE relay_queue SET lease_owner = ?, lease_expires_at = NOW(6) + INTERVAL 60 SECOND" \
	                 " WHERE id = ? AND (lease_expires_at IS NULL OR lease_expires_at < NOW(6))") \
	Q(QUEUE_ROW, 0, "SELECT message_id, sender, recipient FROM relay_queue WHERE id = ?") \
	Q(QUEUE_RETRY, 0, "UPDATE relay_queue SET attempts = attempts + 1, next_try_at = NOW(6) + INTERVAL ? SECOND," \
	                  " last_answer = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?") \
	/* POP3's maildrop is INBOX, in UID order */ \
	Q(ENTRY_LIST, 0, "SELECT e.id, e.size, e.uidl FROM folder f JOIN mailbox_entry e ON e.folder_id = f.id" \
	                 " WHERE f.account_id = ? AND f.name = 'INBOX' ORDER BY e.uid") \
	Q(FOLDER_LIST, 0, "SELECT id, name, COALESCE(special_use, ''), subscribed, COALESCE(uidvalidity, id), uidnext," \
	                  " highestmodseq FROM folder WHERE account_id = ? ORDER BY name") \
	Q(FOLDER_FIND, 0, "SELECT id, name, COALESCE(special_use, ''), subscribed, COALESCE(uidvalidity, id), uidnext," \
	                  " highestmodseq FROM folder WHERE account_id = ? AND name = ?") \
	Q(FOLDER_COUNTS, 0, "SELECT COUNT(*), COALESCE(SUM(flags & 1 = 0), 0), COALESCE(SUM(flags & 8 <> 0), 0)," \
	                    " COALESCE(SUM(size), 0) FROM mailbox_entry WHERE folder_id = ?") \
	/* what IMAP serves without the content, for the messages of a run of UIDs */ \
	Q(FOLDER_SUMMARIES, 0, "SELECT e.id, m.summary FROM mailbox_entry e JOIN message m ON m.id = e.message_id" \
	                       " WHERE e.folder_id = ? AND e.account_id = ? AND e.uid BETWEEN ? AND ? ORDER BY e.uid") \
	/* one made for mail stored before summaries were, or whose summary another version made */ \
	Q(SUMMARY_KEEP, 0, "UPDATE message m JOIN mailbox_entry e ON e.message_id = m.id SET m.summary = ?" \
	                   " WHERE e.id = ? AND e.account_id = ?") \
	/* from the index that holds all it reads, in UID order (else, where one folder holds most rows, */ \
	/* the optimizer would scan and sort them) */ \
	Q(FOLDER_MAIL, 0, "SELECT id, uid, flags, size, modseq, arrived, keywords" \
	                  " FROM mailbox_entry FORCE INDEX (mailbox_entry_folder) WHERE folder_id = ? ORDER BY uid") \
	/* one change for the whole STORE: each entry it touched gets the folder's new HIGHESTMODSEQ */ \
	Q(FOLDER_CHANGE, 0, "UPDATE folder SET highestmodseq = highestmodseq + 1 WHERE id = ? AND account_id = ?") \
	Q(FOLDER_MODSEQ, 0, "SELECT highestmodseq FROM folder WHERE id = ? AND account_id = ?") \
	Q(FOLDER_CREATE, 0, "INSERT INTO folder (account_id, name) VALUES (?, ?)") \
	/* INBOX renamed: a new folder takes its messages and goes on from its UIDNEXT (RFC 9051 6.3.6) */ \
	Q(FOLDER_CREATE_FROM, 0, "INSERT INTO folder (account_id, name, uidnext, highestmodseq)" \
	                         " SELECT account_id, ?, uidnext, highestmodseq FROM folder WHERE id = ?") \
	Q(FOLDER_DELETE, 0, "DELETE FROM folder WHERE id = ?") \
	Q(FOLDER_ENTRIES, 0, "SELECT id FROM mailbox_entry WHERE folder_id = ?") \
	Q(FOLDER_RENAME, 0, "UPDATE folder SET name = CONCAT(?, SUBSTRING(name, ?))" \
	                    " WHERE account_id = ? AND (name = ? OR LEFT(name, ?) = ?)") \
	Q(FOLDER_SUBSCRIBE, 0, "UPDATE folder SET subscribed = ? WHERE account_id = ? AND name = ?") \
	/* n UIDs at once for a COPY or MOVE: the first is the new uidnext less n */ \
	Q(FOLDER_TAKE_UIDS, 0, "UPDATE folder SET uidnext = uidnext + ?, highestmodseq = highestmodseq + 1" \
	                       " WHERE id = ? AND account_id = ?") \
	Q(FOLDER_RETURN_UIDS, 0, "UPDATE folder SET uidnext = uidnext - ? WHERE id = ?") \
	Q(FOLDER_NEXT, 0, "SELECT uidnext, highestmodseq, COALESCE(uidvalidity, id) FROM folder WHERE id = ?") \
	/* RFC 9051 6.4.7: the copy keeps flags and INTERNALDATE */ \
	Q(ENTRY_COPY, 0, "INSERT INTO mailbox_entry (account_id, message_id, uidl, size, arrived, folder_id, uid, flags," \
	                 " keywords, modseq) SELECT account_id, message_id, ?, size, arrived, ?, ?, flags, keywords, ?" \
	                 " FROM mailbox_entry WHERE id = ? AND account_id = ?") \
	Q(MESSAGE_REF_ENTRY, 0, "UPDATE message SET refs = refs + 1" \
	                        " WHERE id = (SELECT message_id FROM mailbox_entry WHERE id = ?)") \
	Q(ENTRY_MOVE, 0, "UPDATE mailbox_entry SET folder_id = ?, uid = ?, modseq = ? WHERE id = ? AND account_id = ?") \
	Q(ENTRY_MOVE_ALL, 0, "UPDATE mailbox_entry SET folder_id = ? WHERE folder_id = ?") \
	Q(ENTRY_FLAGS, 0, "SELECT flags, keywords, modseq FROM mailbox_entry WHERE folder_id = ? AND uid = ? FOR UPDATE") \
	Q(ENTRY_SET_FLAGS, 0, "UPDATE mailbox_entry SET flags = ?, keywords = ?, modseq = ? WHERE folder_id = ? AND uid = ?") \
	Q(ENTRY_LIST_ALL, 0, "SELECT id, size, uidl FROM mailbox_entry WHERE account_id = ? ORDER BY id") \
	Q(FOLDER_DELETE_ACCOUNT, 0, "DELETE FROM folder WHERE account_id = ?") \
	Q(ENTRY_TAKE, 0, "SELECT message_id, size, folder_id, flags FROM mailbox_entry WHERE id = ? AND account_id = ?" \
	                 " FOR UPDATE") \
	Q(ENTRY_DELETE, 0, "DELETE FROM mailbox_entry WHERE id = ?") \
	Q(LOCK_RENEW, 0, "UPDATE maildrop_lock SET owner = ?, expires_at = NOW(6) + INTERVAL ? SECOND" \
	                 " WHERE account_id = ? AND (owner = ? OR expires_at < NOW(6))") \
	Q(LOCK_TAKE, 0, "INSERT IGNORE INTO maildrop_lock (account_id, owner, expires_at)" \
	                " VALUES (?, ?, NOW(6) + INTERVAL ? SECOND)") \
	Q(LOCK_RELEASE, 0, "DELETE FROM maildrop_lock WHERE account_id = ? AND owner = ?") \
	/* a write, not a read: on Galera, a takeover committed on another node meanwhile fails our certification */ \
	Q(LOCK_CONFIRM, 0, "UPDATE maildrop_lock SET expires_at = NOW(6) + INTERVAL ? SECOND" \
	                   " WHERE account_id = ? AND owner = ? AND expires_at >= NOW(6)") \
	Q(LOCK_DROP, 0, "DELETE FROM maildrop_lock WHERE account_id = ?") \
	Q(NODE_STATE, 1, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS" \
	                 " WHERE VARIABLE_NAME IN ('WSREP_READY', 'WSREP_LOCAL_STATE')") \
	Q(CAUSAL_READS, 0, "SET SESSION wsrep_sync_wait = IF(@@wsrep_on, 3, 0)") \
	Q(SCHEMA_TABLES, 0, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()" \
	                    " AND table_name = 'schema_version'") \
	Q(SCHEMA_VERSION, 0, "SELECT COALESCE(MAX(version), 0) FROM schema_version") \
	Q(SCHEMA_SET, 0, "INSERT INTO schema_version (version) VALUES (?)")

enum query_id {
#define QUERY_ENUM(name, scan, sql) Q_##name,
	STORE_QUERIES(QUERY_ENUM)
#undef QUERY_ENUM
	Q_COUNT
};

#endif
