/* DATA: one pass that unstuffs dots, finds the end (CRLF "." CRLF only),
 * notices bare CR and LF (RFC 5321 2.3.8, the SMTP smuggling family), counts
 * the size, and streams the message to the store with trace fields added. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "smtp_impl.h"

enum { D_LINE_START, D_IN_LINE, D_CR, D_DOT, D_DOT_CR };

int smtp_checked(const struct smtp_session *s)
{
	return s->cfg->mode == SMTP_MX && !s->authenticated;
}

void smtp_data_begin(struct smtp_session *s)
{
	memset(&s->data, 0, sizeof s->data);
	s->data.state = D_LINE_START;
	s->hold_len = 0;
	s->store_failed = 0;
	s->state = SMTP_DATA;
}

/* Straight to the store, which gathers them into its chunk rows: no buffer here. */
static void store_bytes(struct smtp_session *s, const char *p, size_t n)
{
	if (s->store_failed)
		return;
	enum store_result r = s->be->write(s->be->ctx, p, n);
	if (r != STORE_OK) {
		s->store_failed = 1;
		s->store_result = r;
	}
}

static int has_field(const char *h, size_t n, const char *name)
{
	size_t k = strlen(name);
	for (size_t i = 0; i + k <= n;) {
		if (!strncasecmp(h + i, name, k))
			return 1;
		const char *nl = memchr(h + i, '\n', n - i);
		if (!nl)
			break;
		i = (size_t)(nl - h) + 1;
	}
	return 0;
}

/* Whether the field at f (its name first) is an Authentication-Results that
 * claims to be ours: RFC 8601 5 has an MX remove those, for only it may say so. */
static int forged_results(const char *f, const char *end, const char *authserv_id)
{
	static const char name[] = "authentication-results:";
	if ((size_t)(end - f) < sizeof name - 1 || strncasecmp(f, name, sizeof name - 1))
		return 0;
	const char *p = f + sizeof name - 1;
	for (int depth = 0; p < end; p++) { /* CFWS: blanks, folding, (nested (comments)) */
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth)
			depth--;
		else if (!depth && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			break;
	}
	size_t k = strlen(authserv_id), n = 0;
	while (p + n < end && !strchr(" \t\r\n;(", p[n]))
		n++;
	return n == k && !strncasecmp(p, authserv_id, k);
}

/* Whether the trace fields wait for the end of DATA, to carry the checks' results. */
static int head_later(const struct smtp_session *s)
{
	return smtp_checked(s) && s->be->head;
}

/* The held header, without the Authentication-Results an MX must not pass
 * on; each field as received goes to the checks. */
static void store_held_header(struct smtp_session *s)
{
	if (!smtp_checked(s)) {
		store_bytes(s, s->hold, s->hold_len);
		return;
	}
	const char *h = s->hold, *end = s->hold + s->hold_len;
	while (h < end) { /* a field: its line and the lines that continue it (starting with a blank) */
		const char *f = h;
		do {
			const char *nl = memchr(h, '\n', (size_t)(end - h));
			h = nl ? nl + 1 : end;
		} while (h < end && (*h == ' ' || *h == '\t'));
		int empty_line = *f == '\n' || (*f == '\r' && h - f == 2);
		if (!empty_line && s->be->check_field)
			s->be->check_field(s->be->ctx, f, (size_t)(h - f));
		if (!forged_results(f, h, s->cfg->hostname))
			store_bytes(s, f, (size_t)(h - f));
	}
}

/* Return-Path, the checks' results (RFC 8601 5: at the top, under the
 * Return-Path) and Received (RFC 5321 4.4), into buf: their length. */
static size_t trace_fields(struct smtp_session *s, char *buf, size_t size)
{
	char date[64], helo[SMTP_HELO_MAX + 1];
	store_header_date(date, sizeof date, time(NULL));
	size_t i = 0;
	for (; s->helo[i]; i++)
		helo[i] = (unsigned char)s->helo[i] <= ' ' || s->helo[i] == 0x7f ? '?' : s->helo[i];
	helo[i] = '\0';
	/* RFC 3848 and RFC 6531: SMTP, ESMTP or UTF8SMTP, S for TLS, A for AUTH. */
	char proto[16];
	snprintf(proto, sizeof proto, "%s%s%s", s->smtputf8 ? "UTF8SMTP" : s->esmtp || s->authenticated ? "ESMTP" : "SMTP",
	         s->tls ? "S" : "", s->authenticated ? "A" : "");
	size_t n = (size_t)snprintf(buf, size, "Return-Path: <%s>\r\n", s->sender);
	if (smtp_checked(s) && s->be->results && n < size)
		n += s->be->results(s->be->ctx, buf + n, size - n);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "Received: from %s ([%s])\r\n\tby %s (inetmail) with %s", helo,
		                      s->cfg->peer, s->cfg->hostname, proto);
	if (s->tls && n < size)
		n += (size_t)snprintf(buf + n, size - n, "\r\n\t(%s)", s->tls_info);
	if (s->n_rcpt == 1 && n < size)
		n += (size_t)snprintf(buf + n, size - n, "\r\n\tfor <%s>", s->rcpt[0]);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "; %s\r\n", date);
	return n < size ? n : 0; /* cannot be: SMTP_TRACE_MAX holds the longest */
}

/* The trace fields (unless they wait for the end), then Date and Message-ID
 * when a submitted message lacks them (RFC 6409 8), then the held header. */
static void write_header(struct smtp_session *s, int header_complete)
{
	char line[SMTP_TRACE_MAX];
	if (!head_later(s))
		store_bytes(s, line, trace_fields(s, line, sizeof line));
	if (s->cfg->mode == SMTP_SUBMISSION && header_complete) {
		char date[64];
		store_header_date(date, sizeof date, time(NULL));
		int n;
		if (!has_field(s->hold, s->hold_len, "date:")) {
			n = snprintf(line, sizeof line, "Date: %s\r\n", date);
			store_bytes(s, line, (size_t)n);
		}
		if (!has_field(s->hold, s->hold_len, "message-id:")) {
			char id[STORE_ADDRESS_MAX + 48];
			store_header_message_id(id, sizeof id, s->cfg->hostname);
			n = snprintf(line, sizeof line, "Message-ID: %s\r\n", id);
			store_bytes(s, line, (size_t)n);
		}
	}
	store_held_header(s);
	s->data.header_done = 1;
}

/* Unstuffed message octets: counted, the header held, the rest stored. */
static void emit(struct smtp_session *s, const char *p, size_t n)
{
	struct smtp_data *d = &s->data;
	d->size += n;
	if (d->size > s->cfg->max_size)
		d->too_big = 1;
	if (d->too_big || d->header_too_big || d->bare_eol || s->store_failed || n == 0)
		return;
	if (!d->header_done) {
		size_t h = header_end_scan(&d->header, (const unsigned char *)p, n);
		if (s->hold_len + h > SMTP_HEADER_HOLD_MAX && smtp_checked(s)) {
			d->header_too_big = 1;
			return;
		}
		if (s->hold_len + h > SMTP_HEADER_HOLD_MAX) { /* too big to hold: no Date/Message-ID check */
			write_header(s, 0);
			store_bytes(s, p, n);
			return;
		}
		memcpy(s->hold + s->hold_len, p, h);
		s->hold_len += h;
		if (!d->header.done)
			return;
		write_header(s, 1);
		p += h;
		n -= h;
	}
	if (smtp_checked(s) && s->be->check_body && n)
		s->be->check_body(s->be->ctx, p, n);
	store_bytes(s, p, n);
}

static void log_delivery(struct smtp_session *s, const char *event, const char *what)
{
	char detail[STORE_ADDRESS_MAX + 160];
	snprintf(detail, sizeof detail, "%s from=<%s> rcpts=%zu size=%llu", what, s->sender, s->n_rcpt,
	         (unsigned long long)s->data.size);
	if (s->be->logged)
		s->be->logged(s->be->ctx, event, detail);
}

static void data_end(struct smtp_session *s)
{
	struct smtp_data *d = &s->data;
	enum reply_id e = d->too_big ? R_SIZE : d->header_too_big ? R_HEADER_TOO_BIG : d->bare_eol ? R_BARE_EOL : 0;
	if (!e && !d->header_done)
		write_header(s, 1); /* the message was all header */
	if (!e && s->store_failed)
		e = s->store_result == STORE_OVER_QUOTA ? R_OVER_QUOTA : R_TEMPFAIL;
	char why[SMTP_WHY_MAX] = "";
	if (!e && smtp_checked(s) && s->be->check_message) {
		enum smtp_check c = s->be->check_message(s->be->ctx, s->helo, s->sender,
		                                         (const char (*)[STORE_ADDRESS_MAX + 1])s->rcpt, s->n_rcpt, why);
		e = c == SMTP_CHECK_REFUSE ? R_POLICY_REFUSED : c == SMTP_CHECK_SPAM ? R_SPAM
		  : c == SMTP_CHECK_PASS ? 0 : R_POLICY_DEFERRED;
	}
	if (!e && head_later(s)) {
		char trace[SMTP_TRACE_MAX];
		if (s->be->head(s->be->ctx, trace, trace_fields(s, trace, sizeof trace)) < 0)
			e = R_TEMPFAIL;
	}
	uint64_t queue_id = 0;
	if (!e) {
		enum store_result r = s->be->commit(s->be->ctx, &queue_id);
		if (r == STORE_UNKNOWN) {
			/* Stored or not, nobody can tell: neither 250 (it may be lost)
			 * nor 451 (it may be there, and a retry would double it). Like a
			 * connection lost after ".", the client will try again. */
			log_delivery(s, "rejected", "commit outcome unknown, connection closed");
			s->state = SMTP_CLOSED;
			s->ended = "commit-unknown";
			return;
		}
		e = r == STORE_OK ? 0 : r == STORE_OVER_QUOTA ? R_OVER_QUOTA : R_TEMPFAIL;
	} else {
		s->be->abort(s->be->ctx);
	}
	s->state = SMTP_READY;
	if (e) {
		s->rejected++;
		log_delivery(s, "rejected", *why ? why : e == R_SPAM ? "spam" : e == R_SIZE ? "too big" : e == R_HEADER_TOO_BIG ? "header too big"
		                            : e == R_BARE_EOL ? "bare CR or LF" : e == R_OVER_QUOTA ? "over quota" : "store failed");
		smtp_reply(s, e, why, NULL);
	} else {
		char id[24];
		snprintf(id, sizeof id, "%llX", (unsigned long long)queue_id);
		s->messages++;
		s->message_bytes += d->size;
		log_delivery(s, "delivered", id);
		smtp_reply(s, R_QUEUED, id, NULL);
	}
	smtp_reset_transaction(s);
}

size_t smtp_data_input(struct smtp_session *s, const char *p, size_t n)
{
	struct smtp_data *d = &s->data;
	size_t i = 0, run = 0; /* p[run..i) is unstuffed message not yet emitted */
	while (i < n) {
		switch (d->state) {
		case D_LINE_START:
			if (p[i] == '.') { /* never part of the message: stuffing or the end */
				emit(s, p + run, i - run);
				run = ++i;
				d->state = D_DOT;
			} else {
				d->state = D_IN_LINE;
			}
			break;
		case D_IN_LINE:
			while (i < n && p[i] != '\r' && p[i] != '\n')
				i++;
			if (i == n)
				break;
			if (p[i] == '\n')
				d->bare_eol = 1; /* a bare LF starts no line: "\n.\n" ends nothing */
			else
				d->state = D_CR;
			i++;
			break;
		case D_CR:
			if (p[i] == '\n') {
				i++;
				d->state = D_LINE_START;
			} else {
				d->bare_eol = 1;
				d->state = D_IN_LINE;
			}
			break;
		case D_DOT:
			if (p[i] == '\r') {
				run = ++i; /* held back: ".\r\n" is the end */
				d->state = D_DOT_CR;
			} else {
				d->state = D_IN_LINE;
			}
			break;
		case D_DOT_CR:
			if (p[i] == '\n') {
				emit(s, p + run, i - run);
				data_end(s);
				return i + 1;
			}
			d->bare_eol = 1;
			emit(s, "\r", 1);
			run = i;
			d->state = D_IN_LINE;
			break;
		}
	}
	emit(s, p + run, i - run);
	return n;
}
