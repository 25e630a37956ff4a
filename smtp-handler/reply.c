/* The SMTP session's replies, from their one table, and what sending one
 * does to the session: the end (with its result), the error count, a reset. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "smtp_impl.h"

/* Every reply the handler sends: code, enhanced status code, text. */
static const struct {
	const char *text;
} replies[] = {
	[R_GREETING] = {"220 %s ESMTP inetmail"},
	[R_HELP] = {"214 2.0.0 Commands: HELO EHLO%s%s MAIL RCPT DATA RSET NOOP VRFY HELP QUIT"},
	[R_BYE] = {"221 2.0.0 Bye"},
	[R_STARTTLS] = {"220 2.0.0 Ready to start TLS"},
	[R_AUTH_OK] = {"235 2.7.0 Authentication successful"},
	[R_HELO] = {"250 %s"},
	[R_OK] = {"250 2.0.0 Ok"},
	[R_MAIL_OK] = {"250 2.1.0 Ok"},
	[R_RCPT_OK] = {"250 2.1.5 Ok"},
	[R_QUEUED] = {"250 2.0.0 Ok: queued as %s"},
	[R_VRFY] = {"252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"},
	[R_AUTH_CHALLENGE] = {"334 %s"},
	[R_DATA] = {"354 End data with <CR><LF>.<CR><LF>"},
	[R_TIMEOUT] = {"421 4.4.2 %s Error: timeout exceeded"},
	[R_TOO_MANY_ERRORS] = {"421 4.7.0 %s Error: too many errors"},
	[R_TOO_MUCH] = {"421 4.7.0 %s Error: session too long"},
	[R_TEMPFAIL] = {"451 4.3.0 Temporary failure, please try again later"},
	[R_OVER_QUOTA] = {"452 4.2.2 Mailbox full"},
	[R_GREYLISTED] = {"451 4.7.1 <%s>: Recipient address rejected: greylisted, please try again later"},
	[R_POLICY_DEFERRED] = {"451 4.7.1 Message deferred: %s"},
	[R_TOO_MANY_RCPTS] = {"452 4.5.3 Error: too many recipients"},
	[R_AUTH_TEMPFAIL] = {"454 4.7.0 Temporary authentication failure"},
	[R_NO_TLS] = {"454 4.7.0 TLS not available"},
	[R_LINE_TOO_LONG] = {"500 5.5.2 Error: line too long"},
	[R_UNKNOWN] = {"500 5.5.2 Error: command not recognized"},
	[R_SYNTAX] = {"501 5.5.4 Syntax: %s"},
	[R_AUTH_CANCELLED] = {"501 5.0.0 Authentication cancelled"},
	[R_BAD_BASE64] = {"501 5.5.2 Cannot decode response"},
	[R_NOT_IMPLEMENTED] = {"502 5.5.1 Error: command not implemented"},
	[R_SEQUENCE] = {"503 5.5.1 Error: %s"},
	[R_AUTH_MECHANISM] = {"504 5.5.4 Unrecognized authentication type"},
	[R_AUTH_REQUIRED] = {"530 5.7.0 Authentication required"},
	[R_AUTH_FAILED] = {"535 5.7.8 Authentication credentials invalid"},
	[R_SEED_AUTH_FAILED] = {"535"},
	[R_ENCRYPTION_REQUIRED] = {"538 5.7.11 Encryption required for requested authentication mechanism"},
	[R_NO_MAILBOX] = {"550 5.1.1 <%s>: Recipient address rejected: no such mailbox"},
	[R_NOT_OWNER] = {"550 5.7.1 <%s>: Sender address rejected: not owned by user %s"},
	[R_SPF_FAIL] = {"550 5.7.23 <%s>: Sender address rejected: SPF validation failed"},
	[R_POLICY_REFUSED] = {"550 5.7.1 Message rejected: %s"},
	[R_BARE_EOL] = {"550 5.5.2 Error: message contains a bare CR or LF (RFC 5321 2.3.8)"},
	[R_SIZE] = {"552 5.3.4 Message size exceeds fixed limit"},
	[R_HEADER_TOO_BIG] = {"552 5.3.4 Message header exceeds fixed limit"},
	[R_BAD_ADDRESS] = {"553 5.1.3 %s"},
	[R_NEED_SMTPUTF8] = {"553 5.6.7 Non-ASCII address requires SMTPUTF8"},
	[R_SYNC] = {"554 5.5.0 Error: SMTP protocol synchronization"},
	[R_RELAY_DENIED] = {"554 5.7.1 <%s>: Relay access denied"},
	[R_DNSBL] = {"554 5.7.1 Service unavailable; client [%s] blocked using %s"},
	[R_SPAM] = {"554 5.7.1 Message rejected as spam"},
	[R_NO_RCPTS] = {"554 5.5.1 Error: no valid recipients"},
	[R_PARAMETER] = {"555 5.5.4 Unsupported option: %s"},
};

/* The replies that end a session, and the session's result in the logs. */
static const char *const ends[] = {
	[R_TIMEOUT] = "timeout", [R_TOO_MANY_ERRORS] = "errors", [R_TOO_MUCH] = "too-much", [R_SYNC] = "sync",
};

void smtp_reply(struct smtp_session *s, enum reply_id id, const char *arg, const char *arg2)
{
	char line[SMTP_LINE_MAX];
	/* Arguments come from the client: keep them short and printable. */
	char a[STORE_ADDRESS_MAX + 1] = "", b[STORE_ADDRESS_MAX + 1] = "";
	for (size_t i = 0; arg && arg[i] && i < sizeof a - 1; i++)
		a[i] = (unsigned char)arg[i] < ' ' || arg[i] == 0x7f ? '?' : arg[i];
	for (size_t i = 0; arg2 && arg2[i] && i < sizeof b - 1; i++)
		b[i] = (unsigned char)arg2[i] < ' ' || arg2[i] == 0x7f ? '?' : arg2[i];
	int n = snprintf(line, sizeof line - 2, replies[id].text, a, b);
	if (n < 0 || (size_t)n > sizeof line - 3)
		n = (int)sizeof line - 3;
	memcpy(line + n, "\r\n", 2);
	outbuf_add(s->out, line, (size_t)n + 2);
}

void smtp_close_session(struct smtp_session *s, enum reply_id id)
{
	smtp_reply(s, id, s->cfg->hostname, NULL);
	s->state = SMTP_CLOSED;
	s->ended = (size_t)id < sizeof ends / sizeof *ends ? ends[id] : NULL;
}

void smtp_reset_transaction(struct smtp_session *s)
{
	s->smtputf8 = 0;
	s->sender[0] = '\0';
	s->n_rcpt = 0;
	if (s->state == SMTP_MAIL || s->state == SMTP_RCPT || s->state == SMTP_DATA)
		s->state = SMTP_READY;
}

/* A bad command: after too many, the session ends. */
void smtp_bad_command(struct smtp_session *s, enum reply_id id, const char *arg)
{
	smtp_reply(s, id, arg, NULL);
	if (++s->bad_commands >= SMTP_BAD_COMMANDS_MAX)
		smtp_close_session(s, R_TOO_MANY_ERRORS);
}
