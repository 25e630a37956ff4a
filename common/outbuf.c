#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"

void outbuf_init(struct outbuf *o, outbuf_sink sink, void *ctx)
{
	memset(o, 0, sizeof *o);
	o->sink = sink;
	o->ctx = ctx;
}

void outbuf_free(struct outbuf *o)
{
	free(o->p);
	o->p = NULL;
	o->len = o->cap = 0;
}

void outbuf_add(struct outbuf *o, const void *data, size_t len)
{
	if (o->failed || len == 0)
		return;
	if (o->len + len > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		while (cap < o->len + len)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->failed = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, data, len);
	o->len += len;
}

void outbuf_number(struct outbuf *o, unsigned long long n)
{
	char digits[20], *p = digits + sizeof digits;
	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	outbuf_add(o, p, (size_t)(digits + sizeof digits - p));
}

void outbuf_vprintf(struct outbuf *o, const char *fmt, va_list ap)
{
	char line[1024];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	char *big = n < 0 || (size_t)n < sizeof line ? NULL : malloc((size_t)n + 1); /* rare: a line longer than 1 KiB */
	if (n >= 0 && (size_t)n < sizeof line)
		outbuf_add(o, line, (size_t)n);
	else if (!big)
		o->failed = 1;
	else if (vsnprintf(big, (size_t)n + 1, fmt, again) == n)
		outbuf_add(o, big, (size_t)n);
	va_end(again);
	free(big);
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	outbuf_vprintf(o, fmt, ap);
	va_end(ap);
}

/* Hands all but the last `keep` octets to the sink. */
static int flush_keep(struct outbuf *o, size_t keep)
{
	size_t n = o->len > keep ? o->len - keep : 0;
	if (o->in_sink) /* from inside the sink (a timer): the flush under way sends it */
		return o->failed ? -1 : 0;
	if (!o->failed && n) {
		o->flushes++;
		o->in_sink = 1;
		if (o->sink(o->ctx, o->p, n) < 0)
			o->failed = 1;
		o->in_sink = 0;
	}
	if (n) {
		memmove(o->p, o->p + n, o->len - n);
		o->len -= n;
	}
	if (o->failed)
		o->len = 0;
	return o->failed ? -1 : 0;
}

int outbuf_flush(struct outbuf *o) { return flush_keep(o, 0); }

int outbuf_flush_keep_if_full(struct outbuf *o, size_t keep)
{
	return o->len >= OUTBUF_HIGH_WATER ? flush_keep(o, keep) : (o->failed ? -1 : 0);
}
