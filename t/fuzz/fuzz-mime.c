/* libFuzzer harness for what IMAP reads of a message: ENVELOPE, the MIME
 * structure, the summary kept with a message and its parts map, the
 * transfer encodings BINARY undoes, and modified UTF-7 names. Pure code,
 * fast enough for the 10 M runs the IMAP work asks of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "envelope.h"
#include "fuzz.h"
#include "mime.h"
#include "summary.h"
#include "utf7.h"

/* Whether p holds one IMAP parenthesized list of n items (any number: -1;
 * nested lists, NIL, numbers, quoted strings, literals) and nothing after it. */
static int imap_list_ok(const char *p, const char *end, int n)
{
	int depth = 0, items = 0;
	while (p < end) {
		if (*p == '(') {
			items += depth == 1;
			depth++;
			p++;
		} else if (*p == ')') {
			if (--depth < 0)
				return 0;
			if (++p == end)
				return depth == 0 && (n < 0 || items == n);
			if (depth == 0)
				return 0;
		} else if (*p == ' ' && depth) {
			p++;
		} else if (depth && end - p >= 3 && !memcmp(p, "NIL", 3)) {
			items += depth == 1;
			p += 3;
		} else if (depth && *p >= '0' && *p <= '9') {
			items += depth == 1;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
		} else if (depth && *p == '"') {
			items += depth == 1;
			for (p++; p < end && *p != '"'; p++)
				if ((*p == '\\' && ++p == end) || *p == '\r' || *p == '\n' || (unsigned char)*p >= 0x80)
					return 0;
			if (p++ == end)
				return 0;
		} else if (depth && *p == '{') {
			char *close;
			unsigned long len = strtoul(p + 1, &close, 10);
			if (close >= end - 2 || memcmp(close, "}\r\n", 3) || len > (size_t)(end - close - 3))
				return 0;
			items += depth == 1;
			p = close + 3 + len;
		} else {
			return 0;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;

	struct envelope_text env = {0};
	envelope_write(&env, text, size);
	check(!env.failed && imap_list_ok(env.p, env.p + env.len, 10));
	free(env.p);

	struct mime *whole = mime_new(), *cut = mime_new();
	struct envelope_text s1 = {0}, s2 = {0};
	mime_feed(whole, text, size);
	for (size_t i = 0, step = 1; i < size; i += step, step = step * 3 % 17 + 1)
		mime_feed(cut, text + i, step < size - i ? step : size - i);
	mime_end(whole);
	mime_end(cut);
	mime_bodystructure(whole, &s1, 1);
	mime_bodystructure(cut, &s2, 1);
	check(!s1.failed && s1.len == s2.len && !memcmp(s1.p, s2.p, s1.len));
	check(imap_list_ok(s1.p, s1.p + s1.len, -1));
	free(s2.p);
	mime_free(whole);
	mime_free(cut);

	/* A summary made of the message reads back, the same BODYSTRUCTURE in it,
	 * each part it maps inside the message; anything else is read as none. */
	struct summary_maker *maker = summary_begin();
	size_t made_len = 0;
	summary_feed(maker, text, size);
	char *made = summary_end(maker, &made_len);
	struct summary view;
	check(made && summary_read(made, made_len, &view) == 0);
	check(view.len[SUMMARY_BODYSTRUCTURE] == s1.len && !memcmp(view.item[SUMMARY_BODYSTRUCTURE], s1.p, s1.len));
	unsigned path[3] = {1 + size % 3, 1 + size % 2, 1};
	struct mime_range part, inner;
	for (size_t depth = 0; depth <= 3; depth++) {
		int found = mime_parts_find(view.item[SUMMARY_PARTS], view.len[SUMMARY_PARTS], path, depth, &part, &inner);
		check(found >= -1 && (found < 0 || (part.header_start <= part.body_start && part.body_end <= size)));
		check(found != 1 || (part.body_start <= inner.header_start && inner.body_end <= size));
	}
	/* Header fields put before the message later (an MX's trace, summary_prefix)
	 * give the summary of the message they begin: for a header that starts with a field. */
	if (size && text[0] != ' ' && text[0] != '\t') {
		static const char trace[] = "Authentication-Results: mx.example;\r\n\tspf=pass\r\n";
		char *both = malloc(sizeof trace - 1 + size);
		struct summary_maker *later = summary_begin(), *first = summary_begin();
		check(both && later && first);
		memcpy(both, trace, sizeof trace - 1);
		memcpy(both + sizeof trace - 1, text, size);
		summary_feed(later, text, size);
		summary_prefix(later, sizeof trace - 1);
		summary_feed(first, both, sizeof trace - 1 + size);
		size_t later_len = 0, first_len = 0;
		char *a = summary_end(later, &later_len), *b = summary_end(first, &first_len);
		struct summary va, vb;
		check(a && b && summary_read(a, later_len, &va) == 0 && summary_read(b, first_len, &vb) == 0);
		check(va.len[SUMMARY_PARTS] == vb.len[SUMMARY_PARTS] &&
		      !memcmp(va.item[SUMMARY_PARTS], vb.item[SUMMARY_PARTS], va.len[SUMMARY_PARTS]));
		free(a);
		free(b);
		free(both);
	}
	/* DMARC's From domain: one that fits, or none. */
	char from[256];
	check(envelope_from_domain(text, size, from, sizeof from) < 0 || strlen(from) < sizeof from);
	free(made);
	if (summary_read(text, size, &view) == 0) /* no harm from a summary that is not one */
		mime_parts_find(view.item[SUMMARY_PARTS], view.len[SUMMARY_PARTS], path, 3, &part, &inner);
	mime_parts_find(text, size, path, 2, &part, &inner);
	free(s1.p);

	/* Modified UTF-7 both ways: what decodes encodes back to a text that decodes the same; UTF-8 goes there and back. */
	static char utf8[4 * FUZZ_TEXT_MAX + 1], utf7[6 * FUZZ_TEXT_MAX + 1], back7[4 * FUZZ_TEXT_MAX + 1];
	if (utf7_decode(text, utf8, sizeof utf8) == 0) {
		check(strlen(utf8) <= 4 * size && utf7_encode(utf8, utf7, sizeof utf7) == 0);
		check(utf7_decode(utf7, back7, sizeof back7) == 0 && !strcmp(back7, utf8));
	}
	if (strlen(text) == size && utf7_encode(text, utf7, sizeof utf7) == 0)
		check(utf7_decode(utf7, back7, sizeof back7) == 0 && !strcmp(back7, text));

	/* Each transfer encoding undone the same in one piece as in many, never longer than it may be */
	static char whole_out[DECODE_OUT_MAX(FUZZ_TEXT_MAX) + DECODE_OUT_MAX(0)],
	    piece_out[2 * (FUZZ_TEXT_MAX + DECODE_OUT_MAX(0))];
	const char encodings[] = {MIME_ENCODING_BASE64, MIME_ENCODING_QP, MIME_ENCODING_NONE};
	for (size_t e = 0; e < sizeof encodings; e++) {
		struct decoder dw, dp;
		decode_init(&dw, encodings[e]);
		decode_init(&dp, encodings[e]);
		size_t nw = decode_feed(&dw, text, size, whole_out);
		check(nw <= DECODE_OUT_MAX(size));
		nw += decode_end(&dw, whole_out + nw);
		size_t np = 0;
		for (size_t i = 0, step = 1; i < size; i += step, step = step * 5 % 13 + 1)
			np += decode_feed(&dp, text + i, step < size - i ? step : size - i, piece_out + np);
		np += decode_end(&dp, piece_out + np);
		check(nw == np && !memcmp(whole_out, piece_out, nw));
	}

	free(text);
	return 0;
}
