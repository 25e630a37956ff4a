-- Version 4: mail for other domains waits here, a row per remote recipient,
-- until a relay agent delivers or bounces it. The content is a message row
-- whose refs counts these rows as well as mailbox entries.
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
