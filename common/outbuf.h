/* Output of a protocol session: replies are appended here and handed to a
 * sink (the connection, or a test's buffer) in whole pieces, never mid-line. */
#ifndef INETMAIL_OUTBUF_H
#define INETMAIL_OUTBUF_H

#include <stdarg.h>
#include <stddef.h>

#define OUTBUF_HIGH_WATER (64 * 1024) /* streamed output goes out in pieces of this size */

typedef int (*outbuf_sink)(void *ctx, const char *data, size_t len); /* 0, or -1: connection gone */

struct outbuf {
	char *p;
	size_t len, cap;
	outbuf_sink sink;
	void *ctx;
	int failed; /* the sink failed once: everything after is dropped */
	unsigned flushes; /* how many times something went out */
	int in_sink; /* a flush is under way: the connection's timer, run from inside it, must not add or flush */
};

void outbuf_init(struct outbuf *, outbuf_sink, void *ctx);
void outbuf_free(struct outbuf *);
void outbuf_add(struct outbuf *, const void *data, size_t len);
void outbuf_printf(struct outbuf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void outbuf_number(struct outbuf *, unsigned long long); /* in decimal: what printf costs a line, 20 times less */
void outbuf_vprintf(struct outbuf *, const char *fmt, va_list) __attribute__((format(printf, 2, 0)));
int outbuf_flush(struct outbuf *); /* 0, or -1 when the sink failed */
/* When above OUTBUF_HIGH_WATER, flushes all but the last `keep` octets: for
 * long multi-line replies whose end must go out in one piece. */
int outbuf_flush_keep_if_full(struct outbuf *, size_t keep);

#endif
