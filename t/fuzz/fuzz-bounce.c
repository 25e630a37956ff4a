/* libFuzzer harness for the bounce: the header scan fed in pieces, the
 * subject decoding and the whole report. Checked: the subject has no
 * control characters but tabs; the bounce has CRLF lines of at most 998
 * octets, no NUL, and nothing of the original in its own header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "fuzz.h"


static struct bounce_scan sc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = data[0] + 1;
	data++;
	size--;
	store_bounce_scan_init(&sc);
	for (size_t i = 0; i < size; i += step)
		store_bounce_scan_feed(&sc, data + i, size - i < step ? size - i : step);
	char subject[BOUNCE_SUBJECT_MAX + 1];
	store_bounce_subject(&sc, subject);
	for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
		check((*p >= ' ' || *p == '\t') && *p != 0x7f);
	const struct bounce_failure unknown[] = {{.recipient = "lost@example.com"}};
	size_t len;
	char *b = store_bounce_build(&sc, "mail.example.com", "sender@example.com", unknown, 1, &len);
	check(b != NULL);
	check(memchr(b, '\0', len) == NULL && len >= 2 && !memcmp(b + len - 2, "\r\n", 2));
	for (size_t i = 0, start = 0; i < len; i++)
		if (b[i] == '\n') {
			check(i > start && b[i - 1] == '\r' && i - start - 1 <= 998);
			start = i + 1;
		} else if (b[i] == '\r') {
			check(i + 1 < len && b[i + 1] == '\n');
		}
	/* The bounce's own header: only the fields store_bounce_build writes. */
	static const char *const fields[] = {"Return-Path:", "Date:", "From:", "To:", "Subject:", "Message-ID:",
	                                     "Auto-Submitted:", "MIME-Version:", "Content-Type:", "\t"};
	const char *end = strstr(b, "\r\n\r\n");
	check(end != NULL);
	for (const char *l = b; l < end; l = strstr(l, "\r\n") + 2) {
		int known = 0;
		for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
			known |= !strncmp(l, fields[f], strlen(fields[f]));
		check(known);
	}
	free(b);
	return 0;
}
