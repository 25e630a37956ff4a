-- Version 2: local domains and aliases (postmaster among them); UIDLs unique
-- per mailbox, not across them, since imported ones come from other servers.
ALTER TABLE account
  ADD COLUMN domain VARCHAR(255) AS (SUBSTRING_INDEX(address, '@', -1)) STORED,
  ADD KEY account_domain (domain);

CREATE TABLE domain (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name       VARCHAR(255) NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY domain_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE alias (
  id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  source VARCHAR(320) NOT NULL,
  target VARCHAR(320) NOT NULL,
  domain VARCHAR(255) AS (SUBSTRING_INDEX(source, '@', -1)) STORED,
  UNIQUE KEY alias_source_target (source, target),
  KEY alias_target (target),
  KEY alias_domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every domain that has accounts is local, as it was in version 1.
INSERT INTO domain (name) SELECT DISTINCT domain FROM account;

-- Its postmaster is its first account, unless postmaster@ is an account itself.
INSERT INTO alias (source, target)
  SELECT CONCAT('postmaster@', d.name),
         (SELECT a.address FROM account a WHERE a.domain = d.name ORDER BY a.id LIMIT 1)
  FROM domain d
  WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.address = CONCAT('postmaster@', d.name));

ALTER TABLE mailbox_entry DROP INDEX mailbox_entry_uidl,
  ADD UNIQUE KEY mailbox_entry_uidl (account_id, uidl);
