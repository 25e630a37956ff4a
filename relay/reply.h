/* The relay agent's view of an SMTP server: its replies (RFC 5321 4.2) and
 * what its EHLO offers, read from lines; no I/O here, so it is tested alone. */
#ifndef INETMAIL_RELAY_REPLY_H
#define INETMAIL_RELAY_REPLY_H

#include <stdint.h>

#define REPLY_TEXT_MAX 900 /* what a bounce's Diagnostic-Code carries (BOUNCE_DIAGNOSTIC_MAX) */

struct relay_reply {
	int code;                    /* 0 until the last line came */
	char text[REPLY_TEXT_MAX + 1]; /* "250 first line / second line": every line, flattened */
	int lines;
};

/* Takes one line of a reply (no CRLF): 1 when it was the last, 0 when more
 * follow, -1 when it is no reply line (or its code differs from the first's). */
int relay_reply_line(struct relay_reply *, const char *line);
/* The RFC 3463 status it gives ("5.1.1"), or the class's generic one ("5.0.0"). */
void relay_reply_status(const struct relay_reply *, char status[16]);

/* What the server's EHLO reply offers (RFC 5321 4.1.1.1 and its extensions). */
struct ehlo_offer {
	int pipelining, starttls, eightbitmime, smtputf8;
	int auth_plain, auth_login;
	uint64_t size; /* 0: no limit given */
};
/* One line of the EHLO reply, its code already taken off ("SIZE 1000"). */
void relay_ehlo_offer_line(struct ehlo_offer *, const char *keyword_line);

/* What a reply means for the mail it answers. */
enum relay_reply_class { REPLY_OK, REPLY_TEMP, REPLY_PERM };
enum relay_reply_class relay_reply_class(int code);

#endif
