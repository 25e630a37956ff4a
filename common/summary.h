/* What IMAP serves of a message without reading it again: its ENVELOPE,
 * BODY, BODYSTRUCTURE and where each part is, made in one streaming pass
 * as the message is stored and kept with its content. Pure. */
#ifndef INETMAIL_SUMMARY_H
#define INETMAIL_SUMMARY_H

#include <stddef.h>

#define SUMMARY_HEADER_MAX (256 * 1024) /* a longer header is cut for ENVELOPE, as Dovecot cuts it */
#define SUMMARY_MAX (256 * 1024) /* a summary kept: a larger one (thousands of parts) is made when asked */

enum summary_item { SUMMARY_ENVELOPE, SUMMARY_BODY, SUMMARY_BODYSTRUCTURE, SUMMARY_PARTS, SUMMARY_ITEMS };

struct summary_maker;
struct summary_maker *summary_begin(void); /* NULL when out of memory */
void summary_feed(struct summary_maker *, const void *data, size_t len);
/* len octets of header fields were put before what was fed (they are the
 * message's first): its parts are that much further on. */
void summary_prefix(struct summary_maker *, size_t len);
/* The summary of what was fed, malloc'd: NULL when out of memory (the maker is freed either way). */
char *summary_end(struct summary_maker *, size_t *len);
void summary_free(struct summary_maker *);

/* A summary's items, pointing into it: 0, or -1 when it is none this version made. */
struct summary {
	const char *item[SUMMARY_ITEMS];
	size_t len[SUMMARY_ITEMS];
};
int summary_read(const char *data, size_t len, struct summary *);

#endif
