-- Version 5: IMAP's mailboxes, called folders here (mailbox_entry, older, means
-- the account's whole maildrop). Every account has INBOX and the special-use
-- folders; each entry is in one folder under a UID (RFC 9051 2.3.1.1) that is
-- never reused there, with its flags, keywords and the MODSEQ of its last
-- change (RFC 7162). The mail there was becomes INBOX, UIDs in POP3's order.
CREATE TABLE folder (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id    BIGINT UNSIGNED NOT NULL,
  name          VARCHAR(255) NOT NULL,
  special_use   VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
  subscribed    TINYINT(1) NOT NULL DEFAULT 1,
  uidvalidity   INT UNSIGNED NULL,
  uidnext       INT UNSIGNED NOT NULL DEFAULT 1,
  highestmodseq BIGINT UNSIGNED NOT NULL DEFAULT 1,
  UNIQUE KEY folder_name (account_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO folder (account_id, name, special_use)
  SELECT a.id, f.name, f.special_use FROM account a JOIN (
    SELECT 1 AS n, 'INBOX' AS name, NULL AS special_use UNION ALL SELECT 2, 'Sent', '\\Sent' UNION ALL
    SELECT 3, 'Drafts', '\\Drafts' UNION ALL SELECT 4, 'Trash', '\\Trash' UNION ALL
    SELECT 5, 'Junk', '\\Junk' UNION ALL SELECT 6, 'Archive', '\\Archive') f
  ORDER BY a.id, f.n;

ALTER TABLE mailbox_entry
  ADD COLUMN folder_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN uid       INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN flags     SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN keywords  VARCHAR(1000) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  ADD COLUMN modseq    BIGINT UNSIGNED NOT NULL DEFAULT 1;

UPDATE mailbox_entry e
  JOIN folder f ON f.account_id = e.account_id AND f.name = 'INBOX'
  JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY id) AS n FROM mailbox_entry) r ON r.id = e.id
  SET e.folder_id = f.id, e.uid = r.n;

UPDATE folder f SET uidnext = 1 + COALESCE((SELECT MAX(e.uid) FROM mailbox_entry e WHERE e.folder_id = f.id), 0);

ALTER TABLE mailbox_entry
  ALTER COLUMN folder_id DROP DEFAULT,
  ALTER COLUMN uid DROP DEFAULT,
  ADD UNIQUE KEY mailbox_entry_uid (folder_id, uid);
