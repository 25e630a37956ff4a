/* Splitting input into command lines of bounded length, fed in any pieces. */
#ifndef INETMAIL_LINES_H
#define INETMAIL_LINES_H

#include <stddef.h>

struct lines {
	char *buf;      /* the line being assembled; cap + 1 octets */
	size_t cap;     /* longest line kept, LF included */
	size_t len;
	int too_long;   /* the current line outgrew cap: its content is dropped */
};

/* Takes input up to and including the first LF. Returns the octets taken;
 * *complete is set when a line ended: then buf holds it without CR LF,
 * NUL-terminated, its length in *line_len, and *too_long says whether it was
 * cut off (its content is then empty). */
size_t lines_take(struct lines *, const char *data, size_t len, int *complete, size_t *line_len, int *too_long);

#endif
