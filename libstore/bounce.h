/* Bounces: a pure scan of the message as it streams by, and the RFC 3464
 * report built from it. No I/O, no SQL: unit-tested and fuzzed on its own. */
#ifndef INETMAIL_BOUNCE_H
#define INETMAIL_BOUNCE_H

#include <stddef.h>

#include "header.h"

#define BOUNCE_HEADER_MAX (64 * 1024) /* original header quoted back: enough for any sane one */
#define BOUNCE_EXCERPT_MAX 4096       /* body excerpt in the text part: "a few KiB" */
#define BOUNCE_SUBJECT_MAX 998        /* RFC 5322 line limit bounds what we echo */
#define BOUNCE_LINE_MAX 998           /* longer original header lines are left out */

struct bounce_scan {
	char header[BOUNCE_HEADER_MAX];
	size_t header_len;
	char excerpt[BOUNCE_EXCERPT_MAX];
	size_t excerpt_len;
	struct header_end end;
	int excerpt_truncated;
};

void store_bounce_scan_init(struct bounce_scan *);
void store_bounce_scan_feed(struct bounce_scan *, const void *data, size_t len);

/* The decoded, sanitised (valid UTF-8, no control characters) Subject. */
void store_bounce_subject(const struct bounce_scan *, char out[BOUNCE_SUBJECT_MAX + 1]);

#define BOUNCE_DIAGNOSTIC_MAX 900 /* a remote answer quoted back, so its line stays under 998 */

/* A recipient the message did not reach. status NULL: it has no mailbox here
 * (5.1.1). Else status is the RFC 3463 code of diagnostic, the answer of
 * remote_mta, or ours when remote_mta is NULL (no server could be reached). */
struct bounce_failure {
	const char *recipient;
	const char *remote_mta;
	const char *status;
	const char *diagnostic;
};

/* Builds the whole bounce message (CRLF lines) into a malloc'd buffer.
 * Returns NULL when out of memory. */
char *store_bounce_build(const struct bounce_scan *, const char *hostname, const char *sender,
                   const struct bounce_failure *failed, size_t n_failed, size_t *len);

#endif
