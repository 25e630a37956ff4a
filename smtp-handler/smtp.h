/* The SMTP protocol (RFC 5321 and extensions) as a pure state machine: fed
 * input, it emits replies into an outbuf and reaches the mail store only
 * through the backend below. No I/O, no SQL: unit-tested and fuzzed alone. */
#ifndef INETMAIL_SMTP_H
#define INETMAIL_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "header.h"
#include "lines.h"
#include "outbuf.h"
#include "session.h"
#include "store.h"
#include "tls.h"

#define SMTP_LINE_MAX 512          /* RFC 5321 4.5.3.1.4: command line, CRLF included */
#define SMTP_RCPT_MAX 1000         /* RFC 5321 4.5.3.1.8 asks at least 100; Postfix allows 1000 */
#define SMTP_PATH_MAX 256          /* RFC 5321 4.5.3.1.3: a path, angle brackets included */
#define SMTP_HELO_MAX 255          /* a domain name or address literal */
#define SMTP_BAD_COMMANDS_MAX 20   /* then 421 and close, as Postfix's smtpd_hard_error_limit */
#define SMTP_AUTH_FAILURES_MAX 3   /* the third failed AUTH closes the session */
#define SMTP_AUTH_DELAY_MS 500     /* failed AUTH n waits n times this before its reply */
#define SMTP_AUTH_LINE_MAX 12288   /* RFC 4954 4: a SASL line may exceed the command limit */
#define SMTP_SESSION_BYTES_MAX ((uint64_t)1 << 30) /* several big messages, not an endless stream */
/* The header held: to see if Date:/Message-ID: are missing, to check its fields (an MX refuses a longer one,
 * as Exim does; Postfix keeps 100 KiB) */
#define SMTP_HEADER_HOLD_MAX (256 * 1024)
#define SMTP_TRACE_MAX 8192 /* Return-Path, Authentication-Results and Received */

enum smtp_mode {
	SMTP_SUBMISSION, /* AUTH required; unknown recipients bounce to the sender */
	SMTP_MX,         /* no AUTH; unknown recipients are refused; no bounces */
};

struct smtp_config {
	const char *hostname;
	const char *domain;        /* qualifies a bare local part */
	enum smtp_mode mode;
	int plaintext_auth;        /* AUTH allowed without TLS */
	int tls_available;         /* a certificate is configured: STARTTLS is offered */
	int reject_unknown;        /* submission: refuse unknown recipients at RCPT */
	int network_peer;          /* stdin is a socket: pipelining checks apply */
	uint64_t max_size;         /* SIZE limit, octets */
	const char *peer;          /* client address for Received: */
};

/* What an MX check found: the message may go on, is refused (5xx; as spam:
 * 554), is to be tried again later (greylisting, 451), or the check could
 * not be made (4xx). */
enum smtp_check { SMTP_CHECK_PASS, SMTP_CHECK_REFUSE, SMTP_CHECK_SPAM, SMTP_CHECK_DEFER, SMTP_CHECK_TEMPFAIL };
#define SMTP_WHY_MAX 300 /* what a refusal names: a DNS blocklist's zone, "DMARC policy of" a domain */

/* The store as the machine sees it; main.c backs it with libstore, tests and
 * fuzzers with stand-ins. */
struct smtp_backend {
	void *ctx;
	enum store_result (*auth)(void *ctx, const char *user, const char *password,
	                          char address[STORE_ADDRESS_MAX + 1]);
	enum store_result (*recipient)(void *ctx, const char *address); /* store_recipient: a mailbox here, or not */
	/* A delivery: begin, recipients, message octets, then commit or abort. */
	int (*begin)(void *ctx, const char *bounce_to, const char *const *rcpts, size_t n);
	enum store_result (*write)(void *ctx, const void *data, size_t len);
	enum store_result (*commit)(void *ctx, uint64_t *queue_id);
	void (*abort)(void *ctx);
	void (*delay)(void *ctx, unsigned ms);  /* pause before a failed AUTH's reply */
	int (*input_pending)(void *ctx);        /* more input is readable right now */
	void (*logged)(void *ctx, const char *event, const char *detail); /* one log line */
	/* The MX checks (never for an authenticated client), each NULL when off. */
	enum smtp_check (*check_client)(void *ctx, char why[SMTP_WHY_MAX]); /* DNS blocklists, at each RCPT */
	enum smtp_check (*check_sender)(void *ctx, const char *helo, const char *sender); /* SPF, at MAIL */
	enum smtp_check (*check_recipient)(void *ctx, const char *sender, const char *recipient); /* greylisting */
	/* The message as the client sent it: each header field (CRLF included), then the body in pieces. */
	void (*check_field)(void *ctx, const char *field, size_t len);
	void (*check_body)(void *ctx, const void *data, size_t len);
	/* At the end of DATA, before the message is kept: the verdict on it (DMARC, rspamd). */
	enum smtp_check (*check_message)(void *ctx, const char *helo, const char *sender,
	                                 const char (*rcpt)[STORE_ADDRESS_MAX + 1], size_t n_rcpt, char why[SMTP_WHY_MAX]);
	/* The fields the checks add at the top (Authentication-Results, X-Spam), CRLF ended; 0 octets for none. */
	size_t (*results)(void *ctx, char *buf, size_t size);
	/* Fields put before the content at commit (the trace, with the results known only then): 0, or -1. */
	int (*head)(void *ctx, const char *data, size_t len);
};

enum smtp_state {
	SMTP_GREETED,     /* reading commands: no HELO or EHLO yet */
	SMTP_READY,       /* after HELO or EHLO, no transaction */
	SMTP_MAIL,        /* MAIL accepted, no recipient yet */
	SMTP_RCPT,        /* recipients accepted: DATA may follow */
	SMTP_AUTH_PLAIN,  /* waiting for the PLAIN response */
	SMTP_AUTH_USER,   /* AUTH LOGIN: waiting for the user name */
	SMTP_AUTH_PASS,   /* AUTH LOGIN: waiting for the password */
	SMTP_DATA,        /* reading the message */
	SMTP_STARTTLS,    /* 220 sent: the handler must start TLS, then smtp_tls_started */
	SMTP_CLOSED,      /* the session is over: the handler exits */
};

/* DATA: unstuffing, end detection, bare CR/LF detection (RFC 5321 4.5.2, 2.3.8). */
struct smtp_data {
	int state;       /* where in a line the reader is */
	int bare_eol;    /* a CR or LF not in a CRLF pair was seen */
	int too_big;
	int header_too_big; /* an MX's: a header longer than the hold is not checked, so not taken */
	uint64_t size;   /* octets of the message after unstuffing */
	struct header_end header; /* where the message header ends */
	int header_done;          /* the held header was handed on */
};

struct smtp_session {
	const struct smtp_config *cfg;
	const struct smtp_backend *be;
	struct outbuf *out;
	enum smtp_state state;
	char line[SMTP_AUTH_LINE_MAX + 3];
	struct lines lines;
	int esmtp, authenticated;
	int tls;                                /* the session runs over TLS */
	char tls_info[TLS_INFO_MAX];            /* protocol and cipher, for Received: */
	char helo[SMTP_HELO_MAX + 1];
	char user[STORE_ADDRESS_MAX + 1];       /* the authenticated address */
	char login_user[STORE_ADDRESS_MAX + 1]; /* AUTH LOGIN's first answer */
	int seed_auth;                          /* the seed's one-line AUTHLOGIN */
	unsigned auth_failures, bad_commands;
	int smtputf8;
	char sender[STORE_ADDRESS_MAX + 1];
	char (*rcpt)[STORE_ADDRESS_MAX + 1];
	size_t n_rcpt;
	struct smtp_data data;
	char *hold;        /* the message header held back, SMTP_HEADER_HOLD_MAX */
	size_t hold_len;
	int store_failed;  /* the backend refused a write: the end of DATA says so */
	enum store_result store_result;
	uint64_t session_bytes;
	unsigned messages, rejected; /* for the session's summary line */
	uint64_t message_bytes;
	const char *ended;           /* why the session closed itself: "quit", "errors", ... */
};

int smtp_init(struct smtp_session *, const struct smtp_config *, const struct smtp_backend *, struct outbuf *);
void smtp_free(struct smtp_session *);
/* The greeting; or, when the client talked first, 554 and the end. */
void smtp_start(struct smtp_session *, int client_talked_first);
/* Feeds input; returns how much was consumed (all of it unless the session closed). */
size_t smtp_input(struct smtp_session *, const char *data, size_t len);
void smtp_timeout(struct smtp_session *); /* 421 4.4.2 and the end */
/* TLS is on (after STARTTLS, or before the greeting for implicit TLS): the
 * session forgets all it knew from the client (RFC 3207 4.2). */
void smtp_tls_started(struct smtp_session *, const char *info);
void smtp_eof(struct smtp_session *);     /* the client went away */
/* The session as common/session.c's loop runs it. */
struct session_machine smtp_machine(struct smtp_session *);

#endif
