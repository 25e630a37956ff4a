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
/* The row of a command table whose verb (each row's first member, a const
 * char *) the line starts with, case-insensitively, or NULL; *vlen is the
 * length of the line's first word either way. */
const void *lines_verb(const void *rows, size_t n, size_t row_size, const char *line, size_t *vlen);

#endif
