/* A message's scan by rspamd at the end of DATA: one HTTP/1.1 request to
 * /checkv2 per message, its envelope in rspamd's headers (IP, Helo, From,
 * Rcpt), its content streamed from the store as it was kept (written-ahead
 * chunks, then what is held), every wait bounded by INETMAIL_RSPAMD_TIMEOUT. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks.h"
#include "log.h"
#include "net.h"
#include "rspamd.h"

#define RSPAMD_REPLY_MAX (256 * 1024) /* a reply naming every symbol with its options; a longer one is none */
#define RSPAMD_HEADER_MAX 2048        /* one request header: a recipient, an address literal HELO */

/* What the client said, as an HTTP header value: no CR, LF or other control. */
static void header_value(char *out, size_t size, const char *in)
{
	size_t i = 0;
	for (; in[i] && i < size - 1; i++)
		out[i] = (unsigned char)in[i] < ' ' || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

static int send_chunk(void *ctx, const void *data, size_t len)
{
	return net_write(ctx, data, len);
}

/* The request, its reply's body into reply: its length, or -1 with why set. */
static long ask(const struct smtp_checks *c, struct net *n, struct store_delivery *d, const char *helo,
                const char *sender, const char (*rcpt)[STORE_ADDRESS_MAX + 1], size_t n_rcpt, char *reply,
                const char **why)
{
	*why = "the request could not be sent";
	char line[RSPAMD_HEADER_MAX], value[STORE_ADDRESS_MAX + 1];
	int k = snprintf(line, sizeof line, "POST /checkv2 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
	                 "Content-Length: %llu\r\nIP: %s\r\nQueue-Id: %s\r\n", c->rspamd_host,
	                 (unsigned long long)store_delivery_size(d), c->client_text, log_session_id());
	if (net_write(n, line, (size_t)k) < 0)
		return -1;
	header_value(value, sizeof value, helo);
	k = snprintf(line, sizeof line, "Helo: %s\r\nFrom: <%s>\r\n", value, sender);
	if (net_write(n, line, (size_t)k) < 0)
		return -1;
	for (size_t i = 0; i < n_rcpt; i++) {
		k = snprintf(line, sizeof line, "Rcpt: <%s>\r\n", rcpt[i]);
		if (net_write(n, line, (size_t)k) < 0)
			return -1;
	}
	if (net_write(n, "\r\n", 2) < 0 || store_delivery_read(d, send_chunk, n) != STORE_OK)
		return -1;
	char status[NET_LINE_MAX + 1], header[NET_LINE_MAX + 1];
	*why = "no HTTP 200 reply";
	if (net_line(n, status) < 12 || strncmp(status, "HTTP/1.", 7) || strncmp(status + 8, " 200", 4) ||
	    (status[12] && status[12] != ' '))
		return -1;
	*why = "its reply's body could not be read";
	long len;
	int sized = 0; /* without a Content-Length the body ends with the connection */
	size_t want = RSPAMD_REPLY_MAX;
	while ((len = net_line(n, header)) > 0)
		if (!strncasecmp(header, "Content-Length:", 15)) {
			want = (size_t)strtoul(header + 15, NULL, 10);
			sized = 1;
		}
	if (len < 0 || want > RSPAMD_REPLY_MAX)
		return -1;
	size_t got = 0;
	long r = 1;
	while (got < want && (r = net_read(n, reply + got, want - got)) > 0)
		got += (size_t)r;
	return (sized && got == want) || (!sized && r == 0) ? (long)got : -1;
}

enum smtp_check smtp_rspamd_scan(struct smtp_checks *c, struct store_delivery *d, const char *helo,
                                 const char *sender, const char (*rcpt)[STORE_ADDRESS_MAX + 1], size_t n_rcpt,
                                 char why[SMTP_WHY_MAX])
{
	struct net n;
	char err[256] = "out of memory";
	const char *why_not = err;
	char *reply = malloc(RSPAMD_REPLY_MAX);
	long len = -1;
	if (reply && net_connect(&n, c->rspamd_host, c->rspamd_port, c->rspamd_timeout_s, err, sizeof err) == 0) {
		net_timeout(&n, c->rspamd_timeout_s);
		len = ask(c, &n, d, helo, sender, rcpt, n_rcpt, reply, &why_not);
		net_close(&n);
	}
	struct smtp_rspamd_reply r;
	if (len >= 0 && smtp_rspamd_parse(reply, (size_t)len, &r) < 0) {
		why_not = "its reply is no JSON object with an action";
		len = -1;
	}
	if (len < 0) {
		free(reply);
		log_send(LOG_WARNING, NULL, "session %s: rspamd %s:%u: %s", log_session_id(), c->rspamd_host, c->rspamd_port,
		         why_not);
		log_session_note("rspamd", "unavailable");
		if (c->rspamd_fail_accept)
			return SMTP_CHECK_PASS;
		snprintf(why, SMTP_WHY_MAX, "spam check unavailable, please try again later");
		return SMTP_CHECK_TEMPFAIL;
	}
	free(reply);
	char note[RSPAMD_ACTION_MAX + RSPAMD_SYMBOLS_MAX + 32];
	snprintf(note, sizeof note, "%s/%.2f/%s", r.action, r.score, r.symbols);
	for (char *p = note; *p; p++)
		*p = *p == ' ' ? '_' : *p; /* one token in the line: "soft_reject/16.00/GTUBE" */
	log_session_note("rspamd", note);
	c->rspamd_scored = r.scored;
	c->rspamd_score = r.score;
	c->rspamd_spam = !strcmp(r.action, "add header") || !strcmp(r.action, "rewrite subject") ||
	                 !strcmp(r.action, "quarantine");
	if (!strcmp(r.action, "quarantine"))
		store_delivery_junk(d);
	if (!strcmp(r.action, "reject") || !strcmp(r.action, "discard")) /* refused, rather than lost unsaid */
		return SMTP_CHECK_SPAM;
	if (!strcmp(r.action, "soft reject") || !strcmp(r.action, "greylist")) {
		snprintf(why, SMTP_WHY_MAX, "spam check says try again later");
		return SMTP_CHECK_DEFER;
	}
	return SMTP_CHECK_PASS;
}
