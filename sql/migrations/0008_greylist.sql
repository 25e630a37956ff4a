-- Version 8: greylisting (INETMAIL_GREYLIST). A row per (client network,
-- sender, recipient) tried, passed once a try came the delay after the first;
-- the handlers remove rows unused for 35 days as they add new ones.
CREATE TABLE IF NOT EXISTS greylist (
  triplet   BINARY(32) NOT NULL PRIMARY KEY,
  client    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sender    VARCHAR(320) NOT NULL,
  recipient VARCHAR(320) NOT NULL,
  first_try BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  passed    TINYINT NOT NULL DEFAULT 0,
  KEY greylist_age (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
