/* Finding the empty line that ends a message header, fed in pieces of any
 * size. Shared by the bounce scanner, TOP and the SMTP handler's header work. */
#ifndef INETMAIL_HEADER_H
#define INETMAIL_HEADER_H

#include <stddef.h>
#include <time.h>

struct header_end {
	size_t line_len; /* octets in the current line, CR not counted */
	int done;        /* the empty line was seen */
};

/* How many of the n octets belong to the header, its empty line included:
 * n while the end is not found yet. */
static inline size_t header_end_scan(struct header_end *h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n && !h->done; i++) {
		if (p[i] == '\n') {
			h->done = h->line_len == 0;
			h->line_len = 0;
			if (h->done)
				return i + 1;
		} else if (p[i] != '\r') {
			h->line_len++;
		}
	}
	return h->done ? 0 : n;
}

/* An RFC 5322 date-time, e.g. "Sat, 28 Nov 2026 01:20:00 +0000". */
void store_header_date(char *out, size_t n, time_t t);
/* A Message-ID value, "<random@hostname>". */
void store_header_message_id(char *out, size_t n, const char *hostname);

#endif
