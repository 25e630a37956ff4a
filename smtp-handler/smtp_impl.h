/* Inside the SMTP state machine: shared by smtp.c (commands), data.c (DATA),
 * reply.c (the replies) and session.c (input, start and end). */
#ifndef INETMAIL_SMTP_IMPL_H
#define INETMAIL_SMTP_IMPL_H

#include "smtp.h"

enum reply_id {
	R_GREETING, R_STARTTLS, R_HELP, R_BYE, R_AUTH_OK, R_HELO, R_OK, R_MAIL_OK, R_RCPT_OK, R_QUEUED, R_VRFY,
	R_AUTH_CHALLENGE, R_DATA, R_TIMEOUT, R_TOO_MANY_ERRORS, R_TOO_MUCH, R_TEMPFAIL, R_OVER_QUOTA,
	R_TOO_MANY_RCPTS, R_AUTH_TEMPFAIL, R_NO_TLS, R_LINE_TOO_LONG, R_UNKNOWN, R_SYNTAX, R_AUTH_CANCELLED,
	R_BAD_BASE64, R_NOT_IMPLEMENTED, R_SEQUENCE, R_AUTH_MECHANISM, R_AUTH_REQUIRED, R_AUTH_FAILED,
	R_SEED_AUTH_FAILED, R_ENCRYPTION_REQUIRED, R_NO_MAILBOX, R_NOT_OWNER, R_BARE_EOL, R_SIZE,
	R_BAD_ADDRESS, R_NEED_SMTPUTF8, R_SYNC, R_RELAY_DENIED, R_NO_RCPTS, R_PARAMETER, R_GREYLISTED, R_SPF_FAIL,
	R_DNSBL, R_POLICY_REFUSED, R_POLICY_DEFERRED, R_HEADER_TOO_BIG, R_SPAM,
};

/* Appends one reply line; arg and arg2 fill its %s places. */
void smtp_reply(struct smtp_session *, enum reply_id, const char *arg, const char *arg2);
void smtp_bad_command(struct smtp_session *, enum reply_id, const char *arg); /* counts toward the limit */
void smtp_close_session(struct smtp_session *, enum reply_id); /* reply (with the hostname) and end */
void smtp_reset_transaction(struct smtp_session *);
void smtp_command_line(struct smtp_session *, char *line, size_t len, int more_input);
void smtp_data_begin(struct smtp_session *);
int smtp_checked(const struct smtp_session *); /* the MX checks apply to this session */
size_t smtp_data_input(struct smtp_session *, const char *p, size_t n); /* octets consumed */

#endif
