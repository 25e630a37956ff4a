/* libFuzzer harness for the small parsers: base64 (and its round trip),
 * SASL PLAIN, addresses, command-line splitting, the header end, SHA-crypt,
 * the relay agent's reading of replies and EHLO offers, IMAP's ENVELOPE and
 * BODYSTRUCTURE (the same however the message is cut into pieces), rspamd's
 * JSON reply. */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "header.h"
#include "lines.h"
#include "sasl.h"
#include "internal.h"
#include "store.h"
#include "reply.h"
#include "rspamd.h"
#include "fuzz.h"


#define FUZZ_ROUNDS_MAX 20000 /* SHA-crypt rounds worth an input's time */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;

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

	struct smtp_rspamd_reply rr; /* what is kept of a reply fits, whatever the reply */
	if (smtp_rspamd_parse(text, size, &rr) == 0)
		check(strlen(rr.action) < sizeof rr.action && strlen(rr.symbols) < sizeof rr.symbols);

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

	struct header_end h = {0};
	size_t k = header_end_scan(&h, data, size);
	check(k <= size && (!h.done || (k >= 1 && data[k - 1] == '\n')));
	free(text);
	free(dec);
	free(back);
	free(enc);
	return 0;
}
