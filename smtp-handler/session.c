/* The SMTP session: input split into command lines, start, timeout, end. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_impl.h"

int smtp_init(struct smtp_session *s, const struct smtp_config *cfg, const struct smtp_backend *be,
              struct outbuf *out)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->be = be;
	s->out = out;
	s->state = SMTP_GREETED;
	s->lines = (struct lines){.buf = s->line, .cap = SMTP_AUTH_LINE_MAX + 2};
	s->rcpt = malloc(SMTP_RCPT_MAX * sizeof *s->rcpt);
	s->hold = malloc(SMTP_HEADER_HOLD_MAX);
	return s->rcpt && s->hold ? 0 : -1;
}

void smtp_free(struct smtp_session *s)
{
	if (s->state == SMTP_DATA)
		s->be->abort(s->be->ctx);
	explicit_bzero(s->line, sizeof s->line); /* it may have held a password */
	free(s->rcpt);
	free(s->hold);
}

void smtp_start(struct smtp_session *s, int client_talked_first)
{
	if (client_talked_first)
		smtp_close_session(s, R_SYNC);
	else
		smtp_reply(s, R_GREETING, s->cfg->hostname, NULL);
}

void smtp_timeout(struct smtp_session *s)
{
	if (s->state != SMTP_CLOSED)
		smtp_close_session(s, R_TIMEOUT);
}

void smtp_tls_started(struct smtp_session *s, const char *info)
{
	smtp_reset_transaction(s);
	s->esmtp = s->authenticated = 0;
	s->helo[0] = s->user[0] = '\0';
	s->tls = 1;
	snprintf(s->tls_info, sizeof s->tls_info, "%s", info);
	s->state = SMTP_GREETED;
}

void smtp_eof(struct smtp_session *s)
{
	if (s->state == SMTP_DATA)
		s->be->abort(s->be->ctx);
	s->state = SMTP_CLOSED;
}

size_t smtp_input(struct smtp_session *s, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && s->state != SMTP_CLOSED && s->state != SMTP_STARTTLS) {
		if (s->state == SMTP_DATA) {
			i += smtp_data_input(s, data + i, len - i);
			continue;
		}
		int complete, too_long;
		size_t l;
		i += lines_take(&s->lines, data + i, len - i, &complete, &l, &too_long);
		if (!complete)
			break;
		if (too_long)
			smtp_bad_command(s, R_LINE_TOO_LONG, NULL);
		else
			smtp_command_line(s, s->line, l, i < len);
		explicit_bzero(s->line, l); /* it may have held a password */
	}
	s->session_bytes += i;
	if (s->session_bytes > SMTP_SESSION_BYTES_MAX && s->state != SMTP_CLOSED) {
		if (s->state == SMTP_DATA)
			s->be->abort(s->be->ctx);
		smtp_close_session(s, R_TOO_MUCH);
	}
	return i;
}

static size_t m_input(void *m, const char *data, size_t len) { return smtp_input(m, data, len); }
static void m_timeout(void *m) { smtp_timeout(m); }
static void m_eof(void *m) { smtp_eof(m); }
static void m_tls_started(void *m, const char *info) { smtp_tls_started(m, info); }
static const char *m_ended(const void *m) { return ((const struct smtp_session *)m)->ended; }
static void m_start(void *m, int client_talked_first) { smtp_start(m, client_talked_first); }

static enum session_phase m_phase(const void *m)
{
	enum smtp_state st = ((const struct smtp_session *)m)->state;
	return st == SMTP_CLOSED ? SESSION_CLOSED : st == SMTP_STARTTLS ? SESSION_TLS : SESSION_OPEN;
}

struct session_machine smtp_machine(struct smtp_session *s)
{
	return (struct session_machine){s, m_input, m_timeout, m_eof, m_tls_started, m_phase, m_ended, m_start};
}
