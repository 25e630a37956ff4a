/* RFC 3464 bounces with the seed project's subject and wording. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base64.h"
#include "bounce.h"
#include "outbuf.h"
#include "internal.h"

#define QP_LINE_MAX 76 /* RFC 2045 6.7: encoded lines at most 76 characters */

void store_bounce_scan_init(struct bounce_scan *sc)
{
	memset(&sc->end, 0, sizeof sc->end);
	sc->header_len = sc->excerpt_len = 0;
	sc->excerpt_truncated = 0;
}

void store_bounce_scan_feed(struct bounce_scan *sc, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = sc->end.done ? 0 : header_end_scan(&sc->end, p, len);
	size_t keep = i < BOUNCE_HEADER_MAX - sc->header_len ? i : BOUNCE_HEADER_MAX - sc->header_len;
	memcpy(sc->header + sc->header_len, p, keep);
	sc->header_len += keep;
	size_t n = len - i, room = BOUNCE_EXCERPT_MAX - sc->excerpt_len;
	if (n > room) {
		sc->excerpt_truncated = 1;
		n = room;
	}
	memcpy(sc->excerpt + sc->excerpt_len, p + i, n);
	sc->excerpt_len += n;
}

static void add_str(struct outbuf *b, const char *s) { outbuf_add(b, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at p (at most n octets), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t need;
	if (p[0] < 0x80)
		return 1;
	else if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0; /* overlong, surrogate or beyond U+10FFFF */
	return need;
}

/* Appends text as valid UTF-8: invalid octets become U+FFFD, control
 * characters a space; newlines are kept only when keep_newlines. */
static void add_clean(struct outbuf *b, const char *text, size_t n, int keep_newlines)
{
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(p + i, n - i);
		if (k == 0) {
			add_str(b, "\xef\xbf\xbd");
			i++;
		} else if (p[i] == '\n' && keep_newlines) {
			outbuf_add(b, "\n", 1);
			i++;
		} else if (p[i] == '\r' && keep_newlines && i + 1 < n && p[i + 1] == '\n') {
			i++;
		} else if (k == 1 && (p[i] < ' ' || p[i] == 0x7f) && p[i] != '\t') {
			outbuf_add(b, " ", 1);
			i++;
		} else {
			outbuf_add(b, p + i, k);
			i += k;
		}
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes one RFC 2047 encoded word's text into out; charset latin1 is
 * converted to UTF-8. Returns 0, or -1 when it is not one we can decode. */
static int decode_word(const char *charset, size_t cslen, char enc, const char *t, size_t n,
                       struct outbuf *out)
{
	int latin1 = !strncasecmp(charset, "iso-8859-1", cslen) && cslen == 10;
	int utf8 = (cslen == 5 && !strncasecmp(charset, "utf-8", 5)) ||
	           (cslen == 8 && !strncasecmp(charset, "us-ascii", 8));
	if (!latin1 && !utf8)
		return -1;
	unsigned char decoded[BOUNCE_SUBJECT_MAX];
	if (enc == 'B' || enc == 'b') {
		long k = n <= sizeof decoded * 4 / 3 ? base64_decode(t, n, decoded) : -1;
		if (k < 0)
			return -1;
		t = (const char *)decoded;
		n = (size_t)k;
	}
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)t[i];
		int q = enc != 'B' && enc != 'b'; /* Q: "_" is a space, "=XX" an octet */
		if (q && c == '_') {
			c = ' ';
		} else if (q && c == '=' && i + 2 < n && hexval(t[i + 1]) >= 0 && hexval(t[i + 2]) >= 0) {
			c = hexval(t[i + 1]) * 16 + hexval(t[i + 2]);
			i += 2;
		}
		if (latin1 && c >= 0x80) {
			char two[2] = {(char)(0xc0 | (c >> 6)), (char)(0x80 | (c & 0x3f))};
			outbuf_add(out, two, 2);
		} else {
			char one = (char)c;
			outbuf_add(out, &one, 1);
		}
	}
	return 0;
}

/* RFC 2047 decoding of an unfolded header value; unknown charsets stay encoded. */
static void decode_2047(const char *v, size_t n, struct outbuf *out)
{
	size_t i = 0, pending_ws = 0;
	int last_was_word = 0;
	while (i < n) {
		if (v[i] == '=' && i + 1 < n && v[i + 1] == '?') {
			const char *cs = v + i + 2, *end = v + n;
			const char *q1 = memchr(cs, '?', (size_t)(end - cs));
			if (q1 && q1 + 2 < end && q1[2] == '?') {
				const char *text = q1 + 3;
				const char *q2 = text;
				while (q2 + 1 < end && !(q2[0] == '?' && q2[1] == '='))
					q2++;
				if (q2 + 1 < end) {
					const char *star = memchr(cs, '*', (size_t)(q1 - cs)); /* RFC 2231 language */
					size_t cslen = (size_t)((star ? star : q1) - cs);
					size_t before = out->len;
					if (!last_was_word && pending_ws) /* white space between words goes */
						outbuf_add(out, v + i - pending_ws, pending_ws);
					if (decode_word(cs, cslen, q1[1], text, (size_t)(q2 - text), out) == 0) {
						i = (size_t)(q2 + 2 - v);
						pending_ws = 0;
						last_was_word = 1;
						continue;
					}
					out->len = before;
				}
			}
		}
		if (v[i] == ' ' || v[i] == '\t') {
			pending_ws++;
			i++;
			continue;
		}
		if (pending_ws)
			outbuf_add(out, v + i - pending_ws, pending_ws);
		pending_ws = 0;
		last_was_word = 0;
		outbuf_add(out, v + i, 1);
		i++;
	}
}

/* Complete header lines only: the scan may have stopped mid-line. */
static size_t header_complete_len(const struct bounce_scan *sc)
{
	size_t n = sc->header_len;
	while (n > 0 && sc->header[n - 1] != '\n')
		n--;
	return n;
}

void store_bounce_subject(const struct bounce_scan *sc, char out[BOUNCE_SUBJECT_MAX + 1])
{
	const char *h = sc->header;
	size_t n = header_complete_len(sc);
	struct outbuf raw = {0}, dec = {0}, clean = {0};
	for (size_t i = 0; i < n;) {
		const char *eol = memchr(h + i, '\n', n - i);
		size_t next = (size_t)(eol - h) + 1;
		if (next - i > 8 && !strncasecmp(h + i, "subject:", 8)) {
			size_t j = i + 8;
			for (;;) { /* the value, unfolded */
				const char *e = memchr(h + j, '\n', n - j);
				size_t end = (size_t)(e - h);
				outbuf_add(&raw, h + j, end - j - (end > j && h[end - 1] == '\r'));
				j = end + 1;
				if (j >= n || (h[j] != ' ' && h[j] != '\t'))
					break;
			}
			break;
		}
		i = next;
	}
	size_t start = 0;
	while (start < raw.len && (raw.p[start] == ' ' || raw.p[start] == '\t'))
		start++;
	if (raw.len > start)
		decode_2047(raw.p + start, raw.len - start, &dec);
	if (dec.len)
		add_clean(&clean, dec.p, dec.len, 0);
	size_t len = clean.len;
	if (len > BOUNCE_SUBJECT_MAX) { /* cut on a character boundary */
		len = BOUNCE_SUBJECT_MAX;
		while (len > 0 && ((unsigned char)clean.p[len] & 0xc0) == 0x80)
			len--;
	}
	if (len)
		memcpy(out, clean.p, len);
	else
		len = strlen(strcpy(out, "(no subject)"));
	out[len] = '\0';
	free(raw.p);
	free(dec.p);
	free(clean.p);
}

/* Quoted-printable (RFC 2045 6.7) of UTF-8 text whose lines end in "\n". */
static void add_qp(struct outbuf *b, const char *text, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			add_str(b, "\r\n");
			col = 0;
			continue;
		}
		int at_eol = i + 1 == n || text[i + 1] == '\n';
		int literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
		size_t w = literal ? 1 : 3;
		if (col + w > QP_LINE_MAX - 1) {
			add_str(b, "=\r\n");
			col = 0;
		}
		if (literal) {
			outbuf_add(b, &c, 1);
		} else {
			char e[3] = {'=', hex[c >> 4], hex[c & 15]};
			outbuf_add(b, e, 3);
		}
		col += w;
	}
}

static int header_name_char(unsigned char c) { return c > ' ' && c < 0x7f && c != ':'; }

/* The original header as text/rfc822-headers: only whole field lines of at most
 * BOUNCE_LINE_MAX octets, without NUL, CR or lone LF, so nothing can break out. */
static void add_original_header(struct outbuf *b, const struct bounce_scan *sc)
{
	const char *h = sc->header;
	size_t n = header_complete_len(sc);
	int in_field = 0;
	for (size_t i = 0; i < n;) {
		const char *eol = memchr(h + i, '\n', n - i);
		size_t end = (size_t)(eol - h), next = end + 1;
		if (end > i && h[end - 1] == '\r')
			end--;
		size_t k = i;
		while (k < end && header_name_char((unsigned char)h[k]))
			k++;
		int field = k > i && k < end && h[k] == ':';
		int continuation = in_field && end > i && (h[i] == ' ' || h[i] == '\t');
		int clean = end - i <= BOUNCE_LINE_MAX && !memchr(h + i, '\0', end - i) &&
		            !memchr(h + i, '\r', end - i);
		in_field = (field || continuation) && clean;
		if (in_field) {
			outbuf_add(b, h + i, end - i);
			add_str(b, "\r\n");
		}
		i = next;
	}
}

char *store_bounce_build(const struct bounce_scan *sc, const char *hostname, const char *sender,
                   const struct bounce_failure *failed, size_t n_failed, size_t *len)
{
	char date[64], boundary[40], id[33], subject[BOUNCE_SUBJECT_MAX + 1];
	store_header_date(date, sizeof date, time(NULL));
	store_random_hex(id, 16);
	/* "=_" never occurs in quoted-printable output, and the rest is random. */
	snprintf(boundary, sizeof boundary, "=_inetmail_%.16s", id + 16);
	store_bounce_subject(sc, subject);

	struct outbuf text = {0}, b = {0};
	for (size_t i = 0; i < n_failed; i++) {
		const struct bounce_failure *f = &failed[i];
		add_str(&text, "Recipient ");
		add_clean(&text, f->recipient, strlen(f->recipient), 0);
		if (!f->status) {
			add_str(&text, " was not found.\n");
			continue;
		}
		if (f->remote_mta) {
			add_str(&text, " was refused by ");
			add_clean(&text, f->remote_mta, strnlen(f->remote_mta, STORE_DOMAIN_MAX), 0);
		} else {
			add_str(&text, " could not be reached");
		}
		add_str(&text, ": ");
		add_clean(&text, f->diagnostic, strnlen(f->diagnostic, BOUNCE_DIAGNOSTIC_MAX), 0);
		add_str(&text, "\n");
	}
	size_t excerpt = sc->excerpt_len;
	while (excerpt > 0 && strchr(" \t\r\n", sc->excerpt[excerpt - 1]))
		excerpt--;
	outbuf_printf(&text, "Email with subject %s, body: ", subject);
	add_clean(&text, sc->excerpt, excerpt, 1);
	add_str(&text, sc->excerpt_truncated ? " [...] was not sent.\n" : " was not sent.\n");
	add_str(&text, "Please try again with another recipient.\n");

	outbuf_printf(&b,
	           "Return-Path: <>\r\n"
	           "Date: %s\r\n"
	           "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	           "To: <%s>\r\n"
	           "Subject: ERROR - Your email was not sent\r\n"
	           "Message-ID: <%.16s.bounce@%s>\r\n"
	           "Auto-Submitted: auto-replied\r\n"
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	           "\tboundary=\"%s\"\r\n"
	           "\r\n"
	           "This is a MIME-encapsulated message.\r\n"
	           "\r\n--%s\r\n"
	           "Content-Type: text/plain; charset=utf-8\r\n"
	           "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	           date, hostname, sender, id, hostname, boundary, boundary);
	if (text.p)
		add_qp(&b, text.p, text.len);
	outbuf_printf(&b,
	           "\r\n--%s\r\n"
	           "Content-Type: message/delivery-status\r\n\r\n"
	           "Reporting-MTA: dns; %s\r\n"
	           "Arrival-Date: %s\r\n",
	           boundary, hostname, date);
	for (size_t i = 0; i < n_failed; i++) {
		const struct bounce_failure *f = &failed[i];
		outbuf_printf(&b, "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\n", f->recipient);
		if (!f->status) {
			outbuf_printf(&b, "Status: 5.1.1\r\n"
			                  "Diagnostic-Code: smtp; 550 5.1.1 <%s>: no such mailbox here\r\n",
			              f->recipient);
			continue;
		}
		add_str(&b, "Status: ");
		add_clean(&b, f->status, strnlen(f->status, 16), 0);
		if (f->remote_mta) {
			add_str(&b, "\r\nRemote-MTA: dns; ");
			add_clean(&b, f->remote_mta, strnlen(f->remote_mta, STORE_DOMAIN_MAX), 0);
		}
		add_str(&b, "\r\nDiagnostic-Code: smtp; ");
		add_clean(&b, f->diagnostic, strnlen(f->diagnostic, BOUNCE_DIAGNOSTIC_MAX), 0);
		add_str(&b, "\r\n");
	}
	outbuf_printf(&b,
	           "\r\n--%s\r\n"
	           "Content-Type: text/rfc822-headers\r\n"
	           "Content-Transfer-Encoding: 8bit\r\n\r\n",
	           boundary);
	add_original_header(&b, sc);
	outbuf_printf(&b, "\r\n--%s--\r\n", boundary);
	outbuf_add(&b, "", 1); /* a NUL after the end, for callers that want a string */
	free(text.p);
	if (b.failed || text.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len - 1;
	return b.p;
}
