/* The bounce scanner and builder on their own: no database, no I/O. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "lib/tap.h"

static struct bounce_scan sc;

static void scan(const char *msg, size_t step)
{
	size_t n = strlen(msg);
	store_bounce_scan_init(&sc);
	for (size_t i = 0; i < n; i += step)
		store_bounce_scan_feed(&sc, msg + i, n - i < step ? n - i : step);
}

static const char *subject_of(const char *msg)
{
	static char out[BOUNCE_SUBJECT_MAX + 1];
	scan(msg, 1 << 20);
	store_bounce_subject(&sc, out);
	return out;
}

/* The bounce's own header: everything before its first empty line. */
static char *own_header(const char *b)
{
	const char *end = strstr(b, "\r\n\r\n");
	return strndup(b, end ? (size_t)(end - b) + 2 : strlen(b));
}

int main(void)
{
	is_str(subject_of("Subject: plain words\r\n\r\nx"), "plain words", "a plain subject");
	is_str(subject_of("subject:no space\r\n\r\n"), "no space", "field names are case-insensitive");
	is_str(subject_of("Subject: =?utf-8?Q?caf=C3=A9_au_lait?=\r\n\r\n"), "café au lait", "RFC 2047 Q, UTF-8");
	is_str(subject_of("Subject: =?ISO-8859-1?Q?caf=E9?= ok\r\n\r\n"), "café ok", "Q in latin1 becomes UTF-8");
	is_str(subject_of("Subject: =?UTF-8?B?R3LDvMOf?= =?utf-8?b?ZQ==?=\r\n\r\n"), "Grüße",
	       "white space between encoded words goes");
	is_str(subject_of("Subject: =?koi8-r?B?8NLJ18XU?=\r\n\r\n"), "=?koi8-r?B?8NLJ18XU?=",
	       "an unknown charset stays encoded");
	is_str(subject_of("Subject: =?utf-8?Q?broken\r\n\r\n"), "=?utf-8?Q?broken", "a broken word stays as it is");
	is_str(subject_of("Subject: folded\r\n\tacross\r\n  lines\r\nX: y\r\n\r\n"), "folded\tacross  lines",
	       "a folded subject is unfolded");
	is_str(subject_of("Subject: a\x01" "b\x7f" "c\r\n\r\n"), "a b c", "control characters become spaces");
	is_str(subject_of("Subject: caf\xe9\r\n\r\n"), "caf\xef\xbf\xbd", "invalid UTF-8 becomes U+FFFD");
	is_str(subject_of("From: x\r\n\r\nSubject: in the body\r\n"), "(no subject)", "a body line is no subject");
	is_str(subject_of("Subject: unterminated"), "(no subject)", "a subject cut off mid-line is not used");

	static const char msg[] = "From: a@b\r\nSubject: split\r\n\r\nbody line\r\n";
	scan(msg, 1);
	size_t hlen = sc.header_len, elen = sc.excerpt_len;
	scan(msg, 1 << 20);
	ok(hlen == sc.header_len && elen == sc.excerpt_len && sc.end.done,
	   "byte-by-byte feeding finds the same header end");

	/* A subject with a bare CR and a header injection attempt. */
	scan("Subject: x\rBcc: evil@example.com\r\nX-Nul: a\0b\r\n\r\nbody\r\n", 1 << 20);
	const struct bounce_failure unknown[] = {{.recipient = "lost@example.com"}};
	size_t len;
	char *b = store_bounce_build(&sc, "mail.example.com", "alice@example.com", unknown, 1, &len);
	ok(b && strlen(b) == len, "a bounce is built");
	char *h = own_header(b);
	ok(!strstr(h, "Bcc") && !strstr(h, "evil"), "nothing from the original reaches the bounce's header");
	ok(strstr(h, "\r\nSubject: ERROR - Your email was not sent\r\n") != NULL, "its subject is the seed's");
	ok(strstr(h, "\r\nAuto-Submitted: auto-replied\r\n") != NULL, "it is marked auto-replied");
	ok(strstr(h, "\r\nFrom: Mail Delivery System <MAILER-DAEMON@mail.example.com>\r\n") != NULL,
	   "it comes from MAILER-DAEMON");
	ok(!strstr(b, "x\rBcc"), "the bare CR line is left out of the quoted header");
	free(h);
	free(b);

	/* A long body line is wrapped by quoted-printable; a long header line left out. */
	char *big = malloc(300000);
	strcpy(big, "Subject: long\r\nX-Huge: ");
	memset(big + strlen(big), 'h', 100000);
	strcpy(big + strlen("Subject: long\r\nX-Huge: ") + 100000, "\r\n\r\n");
	size_t at = strlen(big);
	memset(big + at, 'b', 6000);
	big[at + 6000] = 0;
	scan(big, 4096);
	ok(sc.header_len == BOUNCE_HEADER_MAX && sc.excerpt_len == BOUNCE_EXCERPT_MAX && sc.excerpt_truncated,
	   "memory for the scan stays at its limits");
	b = store_bounce_build(&sc, "mail.example.com", "alice@example.com", unknown, 1, &len);
	size_t longest = 0, cur = 0;
	for (size_t i = 0; i < len; i++, cur++)
		if (b[i] == '\n') {
			longest = cur > longest ? cur : longest;
			cur = (size_t)-1;
		}
	ok(longest <= 77, "no line of the bounce exceeds 76 characters and CRLF (longest %zu)", longest);
	ok(strstr(b, " [...] was not sent.") != NULL, "a truncated excerpt says so");
	ok(!strstr(b, "X-Huge"), "an overlong header line is left out");
	free(b);
	free(big);
	/* A remote server's refusal: its name and answer, flattened to one line each. */
	scan("Subject: abroad\r\n\r\nhello\r\n", 1 << 20);
	const struct bounce_failure remote[] = {
		{.recipient = "bob@remote.example", .remote_mta = "mx.remote.example", .status = "5.1.1",
		 .diagnostic = "550 5.1.1 <bob@remote.example>: unknown\r\nX-Injected: yes"},
		{.recipient = "lost@example.com"},
	};
	b = store_bounce_build(&sc, "mail.example.com", "alice@example.com", remote, 2, &len);
	ok(b && strstr(b, "\r\nFinal-Recipient: rfc822; bob@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	                  "Remote-MTA: dns; mx.remote.example\r\n"
	                  "Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.example>: unknown  X-Injected: yes\r\n"),
	   "a remote refusal names the server and quotes its answer on one line");
	ok(b && strstr(b, "\r\nFinal-Recipient: rfc822; lost@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	                  "Diagnostic-Code: smtp; 550 5.1.1 <lost@example.com>: no such mailbox here\r\n"),
	   "next to a local one that was not found");
	ok(b && strstr(b, "Recipient bob@remote.example was refused by mx.remote.example: 550 5.1.1") &&
	       strstr(b, "Recipient lost@example.com was not found."),
	   "the text part says which was refused where, in the seed's words");
	ok(b && !strstr(b, "\r\nX-Injected"), "the answer cannot add a line");
	free(b);
	const struct bounce_failure expired[] = {{.recipient = "bob@remote.example", .status = "4.4.7",
	                                          .diagnostic = "no answer from any server for 5 days"}};
	b = store_bounce_build(&sc, "mail.example.com", "alice@example.com", expired, 1, &len);
	ok(b && strstr(b, "\r\nStatus: 4.4.7\r\nDiagnostic-Code: smtp; no answer from any server for 5 days\r\n") &&
	       !strstr(b, "Remote-MTA") && strstr(b, "Recipient bob@remote.example could not be reached: no answer"),
	   "given up with no server's answer: our own reason, no Remote-MTA");
	free(b);
	return done_testing();
}
