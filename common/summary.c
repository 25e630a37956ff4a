/* A summary is a line "S1 e b s p" (the version, then each item's length),
 * then the items one after the other. A summary of another version is
 * none: the reader makes it again from the message. */
#define _GNU_SOURCE
#include "summary.h"
#include "number.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "mime.h"

#define SUMMARY_VERSION "S1"
#define SUMMARY_HEAD_MAX 128 /* its first line: the version and four lengths of 20 digits at most */

struct summary_maker {
	struct mime *mime;
	char *header;      /* the message's header, held for ENVELOPE */
	size_t header_len, header_cap; /* up to SUMMARY_HEADER_MAX */
	size_t line_len;   /* of the header's current line, CR not counted */
	int header_done;   /* its empty line was seen (or it was cut) */
	size_t prefix;     /* octets of header fields put before what was fed */
};

struct summary_maker *summary_begin(void)
{
	struct summary_maker *m = calloc(1, sizeof *m);
	if (m && !(m->mime = mime_new())) {
		free(m);
		m = NULL;
	}
	return m;
}

/* Holds the header's octets in data: up to its empty line, or SUMMARY_HEADER_MAX. */
static void hold_header(struct summary_maker *m, const char *data, size_t len)
{
	size_t n = 0;
	while (n < len && !m->header_done) {
		char c = data[n++];
		if (c == '\n') {
			m->header_done = m->line_len == 0;
			m->line_len = 0;
		} else if (c != '\r') {
			m->line_len++;
		}
	}
	if (m->header_len + n > SUMMARY_HEADER_MAX) {
		n = SUMMARY_HEADER_MAX - m->header_len;
		m->header_done = 1;
	}
	if (!n)
		return;
	if (m->header_len + n > m->header_cap) {
		size_t cap = m->header_cap ? 2 * m->header_cap : 4096;
		while (cap < m->header_len + n)
			cap *= 2;
		char *h = realloc(m->header, cap);
		if (!h) {
			m->header_done = 1; /* what was held makes the ENVELOPE */
			return;
		}
		m->header = h;
		m->header_cap = cap;
	}
	memcpy(m->header + m->header_len, data, n);
	m->header_len += n;
}

void summary_feed(struct summary_maker *m, const void *data, size_t len)
{
	if (!m->header_done)
		hold_header(m, data, len);
	mime_feed(m->mime, data, len);
}

void summary_prefix(struct summary_maker *m, size_t len)
{
	m->prefix += len;
}

char *summary_end(struct summary_maker *m, size_t *len)
{
	struct envelope_text item[SUMMARY_ITEMS] = {{0}}, out = {0};
	mime_end(m->mime);
	mime_shift(m->mime, m->prefix);
	envelope_write(&item[SUMMARY_ENVELOPE], m->header ? m->header : "", m->header_len);
	mime_bodystructure(m->mime, &item[SUMMARY_BODY], 0);
	mime_bodystructure(m->mime, &item[SUMMARY_BODYSTRUCTURE], 1);
	mime_parts_write(m->mime, &item[SUMMARY_PARTS]);
	summary_free(m);
	char head[SUMMARY_HEAD_MAX];
	int n = snprintf(head, sizeof head, SUMMARY_VERSION " %zu %zu %zu %zu\n", item[0].len, item[1].len,
	                 item[2].len, item[3].len);
	envelope_add(&out, head, (size_t)n);
	int failed = 0;
	for (int i = 0; i < SUMMARY_ITEMS; i++) {
		envelope_add(&out, item[i].p, item[i].len);
		failed |= item[i].failed;
		free(item[i].p);
	}
	if (failed || out.failed) {
		free(out.p);
		return NULL;
	}
	*len = out.len;
	return out.p;
}

void summary_free(struct summary_maker *m)
{
	if (!m)
		return;
	mime_free(m->mime);
	free(m->header);
	free(m);
}

int summary_read(const char *data, size_t len, struct summary *s)
{
	const char *eol = data ? memchr(data, '\n', len < SUMMARY_HEAD_MAX ? len : SUMMARY_HEAD_MAX) : NULL;
	const char *p = data;
	if (!eol || (size_t)(eol - p) < sizeof SUMMARY_VERSION || memcmp(p, SUMMARY_VERSION " ", sizeof SUMMARY_VERSION))
		return -1;
	p += sizeof SUMMARY_VERSION;
	for (int i = 0; i < SUMMARY_ITEMS; i++) { /* each length, then a space, or the end of the line */
		uint64_t n;
		if (number_take(&p, eol, SIZE_MAX, &n) < 0 || *p != (i + 1 < SUMMARY_ITEMS ? ' ' : '\n'))
			return -1;
		s->len[i] = (size_t)n;
		p++;
	}
	const char *end = data + len;
	for (int i = 0; i < SUMMARY_ITEMS; i++) {
		if (s->len[i] > (size_t)(end - p))
			return -1;
		s->item[i] = p;
		p += s->len[i];
	}
	return p == end ? 0 : -1;
}
