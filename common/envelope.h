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

/* The next field of that name in a header from *pos on (its value as stored,
 * folded, after the colon and the blanks after it), *pos moved past it: NULL
 * at the end. */
const char *envelope_next_field(const char **pos, const char *end, const char *name, size_t *value_len);
/* A field's value unfolded into t: its line breaks taken out, the blanks after them kept. */
void envelope_unfold(struct envelope_text *t, const char *value, size_t len);

/* Reading a header field's value (RFC 5322 3.2): each step answers 1 (more
 * follows), 0 (the value ended) or -1 (broken). */
struct envelope_parser {
	const unsigned char *p, *end;
	struct envelope_text comment; /* the last comment skipped: an address's name when it has no other */
};
/* Blanks, line breaks and comments. */
int envelope_skip_cfws(struct envelope_parser *);
/* A quoted string at p: its content, escapes resolved and line breaks taken out, added to out. */
int envelope_quoted_string(struct envelope_parser *, struct envelope_text *out);

/* The domain of the one address in the header's one From field (RFC 7489
 * 6.6.1: what DMARC aligns with), into out: 0, or -1 when there is no such
 * domain (no From, several, a list of addresses, none parsed). */
int envelope_from_domain(const char *header, size_t len, char *out, size_t size);

/* Appends "(date subject from sender reply-to to cc bcc in-reply-to message-id)". */
void envelope_write(struct envelope_text *, const char *header, size_t len);

#endif
