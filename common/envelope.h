/* IMAP's ENVELOPE of a message (RFC 9051 7.5.2), from its header alone: pure,
 * so that it is fuzzed and compared with Dovecot's without a server. */
#ifndef INETMAIL_ENVELOPE_H
#define INETMAIL_ENVELOPE_H

#include <stddef.h>

/* Text that grows as it is written; on a failed allocation it stops growing
 * and says so (failed), so writers need not check each step. */
struct envelope_text {
	char *p;
	size_t len, cap;
	int failed;
};
void envelope_add(struct envelope_text *, const char *data, size_t len);
/* An IMAP string: quoted, or a literal when it holds CR, LF or 8-bit octets; NIL for NULL. */
void envelope_nstring(struct envelope_text *, const char *s, size_t len);

/* Appends "(date subject from sender reply-to to cc bcc in-reply-to message-id)". */
void envelope_write(struct envelope_text *, const char *header, size_t len);

#endif
