/* A message's MIME structure, read as a stream in one pass with bounded
 * memory, and written as IMAP's BODYSTRUCTURE (RFC 9051 7.5.2) the way
 * Dovecot writes it. Pure: fuzzed, and compared with Dovecot's. */
#ifndef INETMAIL_MIME_H
#define INETMAIL_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

struct mime;
struct mime *mime_new(void); /* NULL when out of memory */
/* The message's next octets, then mime_end once after the last. */
void mime_feed(struct mime *, const char *data, size_t len);
void mime_end(struct mime *);
/* by octets of header fields were put before what was fed: every part moves
 * that far, but the message's header still starts at 0 (they are in it). */
void mime_shift(struct mime *, uint64_t by);
/* Where a part is in the message: its header from header_start, its body from body_start to body_end. */
struct mime_range {
	uint64_t header_start, body_start, body_end;
	char encoding; /* of the body: MIME_ENCODING_* */
};
#define MIME_ENCODING_NONE 'i'    /* 7bit, 8bit, binary or none said: the octets as they are */
#define MIME_ENCODING_BASE64 'b'
#define MIME_ENCODING_QP 'q'      /* quoted-printable */
#define MIME_ENCODING_UNKNOWN 'x' /* any other: IMAP's BINARY cannot decode it (RFC 3516 UNKNOWN-CTE) */
/* Appends the parts map of the message read: where each part is, one line
 * per part, for mime_parts_find to serve a part without reading the rest. */
void mime_parts_write(const struct mime *, struct envelope_text *);
/* The part a section's numbers name (RFC 9051 6.4.5: "1.2"; none: the message),
 * from a parts map: -1 when there is none; 1 when it is a message/rfc822 part,
 * with the message it holds in inner; 0 otherwise; -2 when map is no parts map. */
int mime_parts_find(const char *map, size_t len, const unsigned *path, size_t n, struct mime_range *part,
                    struct mime_range *inner);
/* Appends the BODYSTRUCTURE (extended: with the extension data) of the message read. */
void mime_bodystructure(const struct mime *, struct envelope_text *, int extended);
void mime_free(struct mime *);

#endif
