-- Least-privilege database users for inetmail. The database is named `inetmail`
-- here; substitute another name if yours differs. Each user is made for
-- MariaDB's unix_socket plugin: only the system user of the same name gets in
-- (the package makes inetmail_smtp, inetmail_pop3, inetmail_imap and inetmail_relay), never
-- anyone without a password. A user that must log in with a password (from
-- another host, or inetmail_admin) gets one apart from this file, e.g.
-- ALTER USER inetmail_admin@localhost IDENTIFIED BY '...';

CREATE USER IF NOT EXISTS 'inetmail_smtp'@'localhost' IDENTIFIED VIA unix_socket;
CREATE USER IF NOT EXISTS 'inetmail_pop3'@'localhost' IDENTIFIED VIA unix_socket;
CREATE USER IF NOT EXISTS 'inetmail_imap'@'localhost' IDENTIFIED VIA unix_socket;
CREATE USER IF NOT EXISTS 'inetmail_relay'@'localhost' IDENTIFIED VIA unix_socket;
CREATE USER IF NOT EXISTS 'inetmail_admin'@'localhost' IDENTIFIED VIA unix_socket;

-- smtp-handler: authenticate, look up recipients (accounts, domains, aliases),
-- store content and entries.
GRANT SELECT (id, address, password_hash, active, quota_bytes, used_bytes),
      UPDATE (used_bytes) ON inetmail.account TO 'inetmail_smtp'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON inetmail.message TO 'inetmail_smtp'@'localhost';
GRANT SELECT, INSERT, DELETE ON inetmail.message_chunk TO 'inetmail_smtp'@'localhost';
GRANT INSERT ON inetmail.mailbox_entry TO 'inetmail_smtp'@'localhost';
GRANT SELECT, INSERT, UPDATE (uidnext, highestmodseq) ON inetmail.folder TO 'inetmail_smtp'@'localhost';
GRANT SELECT ON inetmail.domain TO 'inetmail_smtp'@'localhost';
GRANT SELECT (source, target) ON inetmail.alias TO 'inetmail_smtp'@'localhost';
GRANT SELECT, INSERT, DELETE ON inetmail.auth_failure TO 'inetmail_smtp'@'localhost';
GRANT INSERT ON inetmail.relay_queue TO 'inetmail_smtp'@'localhost';

-- pop3-handler: authenticate, lock, list, read and delete.
GRANT SELECT (id, address, password_hash, active, quota_bytes, used_bytes),
      UPDATE (used_bytes) ON inetmail.account TO 'inetmail_pop3'@'localhost';
GRANT SELECT, DELETE ON inetmail.mailbox_entry TO 'inetmail_pop3'@'localhost';
GRANT SELECT, UPDATE (highestmodseq) ON inetmail.folder TO 'inetmail_pop3'@'localhost';
GRANT SELECT, UPDATE, DELETE ON inetmail.message TO 'inetmail_pop3'@'localhost';
GRANT SELECT, DELETE ON inetmail.message_chunk TO 'inetmail_pop3'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON inetmail.maildrop_lock TO 'inetmail_pop3'@'localhost';
GRANT SELECT, INSERT, DELETE ON inetmail.auth_failure TO 'inetmail_pop3'@'localhost';

GRANT SELECT (id, address, password_hash, active, quota_bytes, used_bytes),
      UPDATE (used_bytes) ON inetmail.account TO 'inetmail_imap'@'localhost';
GRANT SELECT, INSERT, UPDATE (flags, keywords, modseq, folder_id, uid), DELETE ON inetmail.mailbox_entry TO 'inetmail_imap'@'localhost';
GRANT SELECT, INSERT, UPDATE (name, subscribed, uidnext, highestmodseq), DELETE ON inetmail.folder TO 'inetmail_imap'@'localhost';
GRANT SELECT, UPDATE, DELETE ON inetmail.message TO 'inetmail_imap'@'localhost';
GRANT SELECT, DELETE ON inetmail.message_chunk TO 'inetmail_imap'@'localhost';
GRANT SELECT, INSERT, DELETE ON inetmail.auth_failure TO 'inetmail_imap'@'localhost';

-- inetmail-relay: claim queue rows, read their content, record outcomes, and
-- put bounces into senders' mailboxes.
GRANT SELECT (id, address, password_hash, active, quota_bytes, used_bytes),
      UPDATE (used_bytes) ON inetmail.account TO 'inetmail_relay'@'localhost';
GRANT SELECT, UPDATE, DELETE ON inetmail.relay_queue TO 'inetmail_relay'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON inetmail.message TO 'inetmail_relay'@'localhost';
GRANT SELECT, INSERT, DELETE ON inetmail.message_chunk TO 'inetmail_relay'@'localhost';
GRANT INSERT ON inetmail.mailbox_entry TO 'inetmail_relay'@'localhost';
GRANT SELECT, INSERT, UPDATE (uidnext, highestmodseq) ON inetmail.folder TO 'inetmail_relay'@'localhost';

-- mailctl: accounts, domains, aliases, imports, quotas, garbage collection and
-- schema migrations.
GRANT ALL PRIVILEGES ON inetmail.* TO 'inetmail_admin'@'localhost';
