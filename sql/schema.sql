-- inetmail schema: the whole current schema for an empty database.
-- Later changes go in sql/migrations/NNNN_name.sql (NNNN = the version they bring)
-- AND here, with the schema_version row below raised to match; `mailctl migrate`
-- loads this file into an empty database and applies newer migrations otherwise.
-- Galera-safe: InnoDB only, a primary key on every table, no GET_LOCK/LOCK TABLES.

CREATE TABLE schema_version (
  version    INT UNSIGNED NOT NULL PRIMARY KEY,
  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- address is stored canonical (ASCII letters lowered by libstore), so the
-- unique key makes the whole address case-insensitive, domain included;
-- domain is the part after its last "@".
CREATE TABLE account (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  address       VARCHAR(320) NOT NULL,
  password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  active        TINYINT(1) NOT NULL DEFAULT 1,
  quota_bytes   BIGINT UNSIGNED NULL,
  used_bytes    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  domain        VARCHAR(255) AS (SUBSTRING_INDEX(address, '@', -1)) STORED,
  UNIQUE KEY account_address (address),
  KEY account_domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per stored content, however many mailboxes hold it. refs counts the
-- mailbox entries and relay queue rows; a row with refs = 0 is content being streamed in (or left
-- by a handler that died mid-DATA) and is invisible to every mailbox. summary is
-- what IMAP serves without reading the content (ENVELOPE, BODYSTRUCTURE, where
-- each part is: common/summary.h), made as it is stored; NULL until then.
CREATE TABLE message (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  size       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  refs       INT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  summary    MEDIUMBLOB NULL,
  KEY message_orphans (refs, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Message bytes exactly as POP3 sends them (before dot-stuffing), in chunks of
-- at most 256 KiB so no row or packet ever holds a whole large message.
CREATE TABLE message_chunk (
  message_id BIGINT UNSIGNED NOT NULL,
  seq        INT UNSIGNED NOT NULL,
  data       MEDIUMBLOB NOT NULL,
  PRIMARY KEY (message_id, seq)
) ENGINE=InnoDB;

-- A message in a mailbox. uidl is unique in its mailbox and never reused (RFC 1939
-- UIDL): random, or the one an imported message had on the old server; size is
-- the exact octet count POP3 reports; arrived is IMAP's INTERNALDATE, in seconds
-- since 1970. mailbox_entry_folder holds all a SELECT reads of each message.
CREATE TABLE mailbox_entry (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id BIGINT UNSIGNED NOT NULL,
  message_id BIGINT UNSIGNED NOT NULL,
  uidl       VARCHAR(70) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  size       BIGINT UNSIGNED NOT NULL,
  arrived    BIGINT NOT NULL DEFAULT (UNIX_TIMESTAMP()),
  folder_id  BIGINT UNSIGNED NOT NULL,
  uid        INT UNSIGNED NOT NULL,
  flags      SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  keywords   VARCHAR(1000) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  modseq     BIGINT UNSIGNED NOT NULL DEFAULT 1,
  UNIQUE KEY mailbox_entry_uidl (account_id, uidl),
  KEY mailbox_entry_account (account_id, id),
  KEY mailbox_entry_message (message_id),
  UNIQUE KEY mailbox_entry_uid (folder_id, uid),
  KEY mailbox_entry_folder (folder_id, uid, flags, size, modseq, arrived, keywords)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- IMAP's mailboxes, called folders here: INBOX and the special-use ones for
-- every account (libstore makes them with it), and those its user makes;
-- name in UTF-8 with "/" as the hierarchy delimiter. An entry's uid is
-- unique in its folder and never reused (uidnext only grows); uidvalidity
-- NULL means the folder's id (a folder made again has another); modseq and
-- highestmodseq as RFC 7162 CONDSTORE. flags: \Seen 1, \Answered 2,
-- \Flagged 4, \Deleted 8, \Draft 16; keywords space-separated.
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

-- The domains this server takes mail for: mail to any other is relayed or refused.
CREATE TABLE domain (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name       VARCHAR(255) NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY domain_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Aliases: mail for source goes to each target (an account or another alias).
-- source is a canonical address in a local domain, or "@domain": the catch-all,
-- used only when no account or alias has the address.
CREATE TABLE alias (
  id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  source VARCHAR(320) NOT NULL,
  target VARCHAR(320) NOT NULL,
  domain VARCHAR(255) AS (SUBSTRING_INDEX(source, '@', -1)) STORED,
  UNIQUE KEY alias_source_target (source, target),
  KEY alias_target (target),
  KEY alias_domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The POP3 maildrop lock (RFC 1939 section 4): a row with an owner and an expiry,
-- taken over once expired, so a dead handler cannot hold a mailbox for long.
CREATE TABLE maildrop_lock (
  account_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  owner      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;

-- Failed logins: client is an IPv4 address or an IPv6 /64, account the address
-- tried (known or not). Rows older than the penalty window are removed by the
-- handlers as they add new ones.
CREATE TABLE auth_failure (
  id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  account   VARCHAR(320) NOT NULL,
  failed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY auth_failure_client (client, failed_at),
  KEY auth_failure_age (failed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Mail for other domains, a row per remote recipient, until a relay agent
-- delivers or bounces it; lease_owner/lease_expires_at as maildrop_lock.
CREATE TABLE relay_queue (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_id       BIGINT UNSIGNED NOT NULL,
  sender           VARCHAR(320) NOT NULL,
  recipient        VARCHAR(320) NOT NULL,
  domain           VARCHAR(255) AS (SUBSTRING_INDEX(recipient, '@', -1)) STORED,
  created_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  next_try_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  last_answer      VARCHAR(1000) NULL,
  lease_owner      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  lease_expires_at DATETIME(6) NULL,
  KEY relay_queue_due (next_try_at),
  KEY relay_queue_message (message_id, domain),
  KEY relay_queue_lease (lease_owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Greylisting (INETMAIL_GREYLIST): a row per (client network, sender,
-- recipient) tried, its key the SHA-256 of the three (short, for any address);
-- passed once a try came the delay after the first. The handlers remove rows
-- unused for 35 days as they add new ones.
CREATE TABLE greylist (
  triplet   BINARY(32) NOT NULL PRIMARY KEY,
  client    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sender    VARCHAR(320) NOT NULL,
  recipient VARCHAR(320) NOT NULL,
  first_try BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  passed    TINYINT NOT NULL DEFAULT 0,
  KEY greylist_age (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO schema_version (version) VALUES (8);
