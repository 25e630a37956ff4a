/* Broken input decodes as Dovecot decodes it: base64 skips what is not of
 * its alphabet and stops at "="; quoted-printable keeps an "=" that starts
 * no escape, and drops the blanks that end a line. */
#include "decode.h"

#include <string.h>

#include "mime.h"

void decode_init(struct decoder *d, char encoding)
{
	memset(d, 0, sizeof *d);
	d->encoding = encoding;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t base64(struct decoder *d, const char *in, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len && !d->ended; i++) {
		unsigned char c = (unsigned char)in[i];
		int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
		      : c == '+' ? 62 : c == '/' ? 63 : -1;
		if (c == '=')
			d->ended = 1;
		if (v < 0)
			continue;
		d->bits = d->bits << 6 | (unsigned)v;
		d->have += 6;
		if (d->have >= 8) {
			d->have -= 8;
			out[n++] = (char)(d->bits >> d->have & 0xff);
		}
	}
	return n;
}

/* Held blanks out, as they were not at a line's end. */
static size_t release(struct decoder *d, char *out)
{
	size_t n = d->n_held;
	memcpy(out, d->held, n);
	d->n_held = 0;
	return n;
}

static size_t qp(struct decoder *d, const char *in, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (d->state == 1 || d->state == 4) { /* after "=", or "=" and blanks (held) */
			if (c == '\r') {
				d->state = 3;
				d->n_held = 0;
				continue;
			}
			if (c == '\n') { /* a soft line break */
				d->state = 0;
				d->n_held = 0;
				continue;
			}
			if ((c == ' ' || c == '\t') && d->n_held < DECODE_HELD_MAX) { /* transport padding before it */
				d->held[d->n_held++] = c;
				d->state = 4;
				continue;
			}
			if (d->state == 1 && hex_value(c) >= 0) {
				d->hex = c;
				d->state = 2;
				continue;
			}
			out[n++] = '='; /* no escape: as it is */
			n += release(d, out + n);
			d->state = 0;
		} else if (d->state == 2) { /* after "=X" */
			d->state = 0;
			if (hex_value(c) >= 0) {
				out[n++] = (char)(hex_value(d->hex) << 4 | hex_value(c));
				continue;
			}
			out[n++] = '=';
			out[n++] = d->hex;
		} else if (d->state == 3) { /* after "=\r" */
			d->state = 0;
			if (c == '\n')
				continue;
			out[n++] = '='; /* a CR alone is no line end: both as they are */
			out[n++] = '\r';
		}
		if (c == ' ' || c == '\t') {
			if (d->n_held == DECODE_HELD_MAX)
				n += release(d, out + n);
			d->held[d->n_held++] = c;
		} else if (c == '\r' || c == '\n') {
			d->n_held = 0; /* transport padding (RFC 2045 6.7 rule 3) */
			out[n++] = c;
		} else if (c == '=') {
			n += release(d, out + n);
			d->state = 1;
		} else {
			n += release(d, out + n);
			out[n++] = c;
		}
	}
	return n;
}

size_t decode_feed(struct decoder *d, const char *in, size_t len, char *out)
{
	if (d->encoding == MIME_ENCODING_BASE64)
		return base64(d, in, len, out);
	if (d->encoding == MIME_ENCODING_QP)
		return qp(d, in, len, out);
	memcpy(out, in, len);
	return len;
}

size_t decode_end(struct decoder *d, char *out)
{
	size_t n = 0;
	if (d->encoding == MIME_ENCODING_QP && (d->state == 1 || d->state == 4))
		out[n++] = '='; /* its blanks end the last line: dropped */
	else if (d->encoding == MIME_ENCODING_QP && d->state == 2) {
		out[n++] = '=';
		out[n++] = d->hex;
	}
	d->state = 0;
	d->n_held = 0; /* blanks at the very end end a line too */
	return n;
}
