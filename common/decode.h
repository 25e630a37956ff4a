/* Content-Transfer-Encodings undone as a stream (RFC 2045 6.7, 6.8), for
 * IMAP's BINARY (RFC 3516): base64, quoted-printable, or the octets as they
 * are. Pure; memory is the struct, whatever the size. */
#ifndef INETMAIL_DECODE_H
#define INETMAIL_DECODE_H

#include <stddef.h>

#define DECODE_HELD_MAX 256 /* blanks held back at a quoted-printable line's end (they go if the line ends) */
#define DECODE_OUT_MAX(n) ((n) + DECODE_HELD_MAX + 3) /* what feeding n octets can give at most */

struct decoder {
	char encoding;                /* MIME_ENCODING_* */
	unsigned bits;                /* base64: bits not yet whole octets */
	int have, ended;              /* how many; "=" was met */
	int state;                    /* quoted-printable: 1 after "=", 2 "=X", 3 "=\r", 4 "=" and blanks */
	char hex;                     /* the X of "=X" */
	char held[DECODE_HELD_MAX];   /* blanks that may end a line */
	size_t n_held;
};

void decode_init(struct decoder *, char encoding);
/* Decodes len octets into out (room for DECODE_OUT_MAX(len)): the octets written. */
size_t decode_feed(struct decoder *, const char *in, size_t len, char *out);
/* What is left once the input ended (out: room for DECODE_OUT_MAX(0)). */
size_t decode_end(struct decoder *, char *out);

#endif
