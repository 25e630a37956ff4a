-- Version 6: what IMAP serves of a message without reading it again (its
-- ENVELOPE, BODY, BODYSTRUCTURE and where each part is), made as the content
-- is stored. Mail stored before has none: the first IMAP FETCH that needs it
-- makes it from the content and keeps it.
ALTER TABLE message ADD COLUMN summary MEDIUMBLOB NULL AFTER created_at;
