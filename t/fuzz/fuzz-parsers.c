/* libFuzzer harness for the small parsers: base64 (and its round trip),
 * SASL PLAIN, addresses, command-line splitting, the header end, SHA-crypt,
 * the relay agent's reading of replies and EHLO offers, IMAP's ENVELOPE and
 * BODYSTRUCTURE (the same however the message is cut into pieces). */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "envelope.h"
#include "mime.h"
#include "summary.h"
#include "utf7.h"
#include "decode.h"
#include "header.h"
#include "lines.h"
#include "sasl.h"
#include "internal.h"
#include "store.h"
#include "reply.h"
#include "fuzz.h"


#define FUZZ_ROUNDS_MAX 20000 /* SHA-crypt rounds worth an input's time */

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
	if (size > 8192)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';

	unsigned char *dec = malloc(size + 1), *back = malloc(size + 1);
	char *enc = malloc(4 * (size / 3 + 1) + 1);
	long n = sasl_decode(text, dec);
	if (n >= 0) { /* canonical base64 encodes back to the same text */
		base64_encode(dec, (size_t)n, enc);
		check(!strcmp(enc, text) || !strcmp(text, "="));
		const char *user, *password;
		if (sasl_plain(dec, (size_t)n, &user, &password) == 0)
			check(strlen(user) <= (size_t)n && strlen(password) <= (size_t)n);
	}
	base64_encode(data, size, enc);
	check(base64_decode(enc, strlen(enc), back) == (long)size && !memcmp(back, data, size));

	char canon[STORE_ADDRESS_MAX + 1], again[STORE_ADDRESS_MAX + 1];
	if (store_address_canonical(text, canon) == 0) { /* never longer, printable, lowered, stable */
		check(strlen(canon) <= strlen(text) && strlen(canon) <= STORE_ADDRESS_MAX && strchr(canon, '@'));
		for (const unsigned char *p = (const unsigned char *)canon; *p; p++)
			check(*p >= ' ' && *p != 0x7f && !(*p >= 'A' && *p <= 'Z'));
		check(store_address_canonical(canon, again) == 0 && !strcmp(canon, again));
		check(strlen(store_address_domain(canon)) <= STORE_DOMAIN_MAX);
	}

	char buf[64];
	struct lines l = {.buf = buf, .cap = sizeof buf - 1};
	for (size_t i = 0; i < size;) {
		int complete, too_long;
		size_t len;
		size_t took = lines_take(&l, text + i, size - i, &complete, &len, &too_long);
		check(took > 0 && took <= size - i);
		if (complete)
			check(len < sizeof buf && strlen(buf) <= len && (!too_long || len == 0));
		i += took;
	}

	/* SHA-crypt on OpenSSL: "key\0setting"; where it answers, crypt(3) agrees. */
	const char *setting = memchr(data, '\0', size) ? text + strlen(text) + 1 : NULL;
	const char *rounds = setting ? strstr(setting, "rounds=") : NULL;
	if (rounds && strtoul(rounds + 7, NULL, 10) > FUZZ_ROUNDS_MAX)
		setting = NULL; /* right but slow either way: not what fuzzing is for */
	if (setting && setting < text + size && (!strncmp(setting, "$5$", 3) || !strncmp(setting, "$6$", 3))) {
		char ours[CRYPT_OUTPUT_SIZE];
		static struct crypt_data cd;
		if (store_shacrypt(text, setting, ours, sizeof ours) == 0) {
			const char *theirs = crypt_rn(text, setting, &cd, sizeof cd);
			check(theirs && !strcmp(ours, theirs));
		}
	}

	/* the text's lines as a remote server's replies: bounded, well-formed codes */
	struct relay_reply r = {0};
	struct ehlo_offer o = {0};
	for (char *line = text, *end; line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = 0;
		int rc = relay_reply_line(&r, line);
		check(strlen(r.text) <= REPLY_TEXT_MAX);
		if (rc == 1) {
			char st[16];
			check(r.code >= 200 && r.code <= 599);
			relay_reply_status(&r, st);
			check(st[0] - '0' == r.code / 100);
			memset(&r, 0, sizeof r);
		} else if (rc < 0) {
			memset(&r, 0, sizeof r);
		}
		relay_ehlo_offer_line(&o, line);
		if (end)
			*end = '\n';
	}

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
	free(made);
	if (summary_read(text, size, &view) == 0) /* no harm from a summary that is not one */
		mime_parts_find(view.item[SUMMARY_PARTS], view.len[SUMMARY_PARTS], path, 3, &part, &inner);
	mime_parts_find(text, size, path, 2, &part, &inner);
	free(s1.p);

	/* Modified UTF-7 both ways: what decodes encodes back to a text that decodes the same; UTF-8 goes there and back. */
	static char utf8[4 * 8192 + 1], utf7[6 * 8192 + 1], back7[4 * 8192 + 1];
	if (utf7_decode(text, utf8, sizeof utf8) == 0) {
		check(strlen(utf8) <= 4 * size && utf7_encode(utf8, utf7, sizeof utf7) == 0);
		check(utf7_decode(utf7, back7, sizeof back7) == 0 && !strcmp(back7, utf8));
	}
	if (strlen(text) == size && utf7_encode(text, utf7, sizeof utf7) == 0)
		check(utf7_decode(utf7, back7, sizeof back7) == 0 && !strcmp(back7, text));

	/* Each transfer encoding undone the same in one piece as in many, never longer than it may be */
	static char whole_out[DECODE_OUT_MAX(8192) + DECODE_OUT_MAX(0)], piece_out[2 * (8192 + DECODE_OUT_MAX(0))];
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

	struct header_end h = {0};
	size_t k = header_end_scan(&h, data, size);
	check(k <= size && (!h.done || (k >= 1 && data[k - 1] == '\n')));
	free(text);
	free(dec);
	free(back);
	free(enc);
	return 0;
}
