/* rspamd's HTTP protocol (/checkv2): the scan of a message at the end of DATA
 * (rspamd.c), and its JSON reply read (rspamd_reply.c, pure: fuzzed). */
#ifndef INETMAIL_SMTP_RSPAMD_H
#define INETMAIL_SMTP_RSPAMD_H

#include <stddef.h>

#define RSPAMD_ACTION_MAX 32   /* "no action", "soft reject", "rewrite subject"... */
#define RSPAMD_SYMBOLS_MAX 128 /* the symbols' names kept for the log line, cut at a whole name */

struct smtp_rspamd_reply {
	char action[RSPAMD_ACTION_MAX];
	double score, required;
	int scored;                           /* score was there */
	char symbols[RSPAMD_SYMBOLS_MAX];     /* "A,B,C", "" for none */
};
/* The reply's action, score and symbols: 0, or -1 when it is no JSON object with an action. */
int smtp_rspamd_parse(const char *json, size_t len, struct smtp_rspamd_reply *);

#endif
