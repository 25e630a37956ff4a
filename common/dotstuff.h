/* Dot-stuffing (RFC 5321 4.5.2, RFC 1939 3): a "." that starts a line goes
 * out doubled. Fed a message in any pieces, it hands the output on in pieces. */
#ifndef INETMAIL_DOTSTUFF_H
#define INETMAIL_DOTSTUFF_H

#include <stddef.h>

struct dotstuff {
	int at_line_start; /* 1 at the start of a message: its first line is a line */
};

typedef int (*dotstuff_emit)(void *ctx, const char *p, size_t n); /* 0, or -1 to stop */

/* 0, or -1 when emit said so. */
int dotstuff_put(struct dotstuff *, const char *p, size_t n, dotstuff_emit emit, void *ctx);

#endif
