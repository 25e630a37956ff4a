/* A message's MIME structure, read as a stream in one pass with bounded
 * memory, and written as IMAP's BODYSTRUCTURE (RFC 9051 7.5.2) the way
 * Dovecot writes it. Pure: fuzzed, and compared with Dovecot's. */
#ifndef INETMAIL_MIME_H
#define INETMAIL_MIME_H

#include <stddef.h>

#include "envelope.h"

struct mime;
struct mime *mime_new(void); /* NULL when out of memory */
/* The message's next octets, then mime_end once after the last. */
void mime_feed(struct mime *, const char *data, size_t len);
void mime_end(struct mime *);
/* Appends the BODYSTRUCTURE (extended: with the extension data) of the message read. */
void mime_bodystructure(const struct mime *, struct envelope_text *, int extended);
void mime_free(struct mime *);

#endif
