-- Version 3: failed logins per client address, shared by every handler on
-- every host, so password guessing is slowed across connections.
CREATE TABLE auth_failure (
  id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  account   VARCHAR(320) NOT NULL,
  failed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY auth_failure_client (client, failed_at),
  KEY auth_failure_age (failed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
