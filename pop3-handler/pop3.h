/* POP3 (RFC 1939, 2449, 5034, 3206) as a pure state machine: fed input, it
 * emits replies into an outbuf and reaches the maildrop only through the
 * backend below. No I/O, no SQL: unit-tested and fuzzed alone. */
#ifndef INETMAIL_POP3_H
#define INETMAIL_POP3_H

#include <stddef.h>
#include <stdint.h>

#include "dotstuff.h"
#include "lines.h"
#include "outbuf.h"
#include "session.h"
#include "store.h"
#include "tls.h"

#define POP3_LINE_MAX 255          /* RFC 2449 4: a command line, CRLF included */
#define POP3_AUTH_LINE_MAX 12288   /* RFC 5034 4: a SASL line may be longer */
#define POP3_BAD_COMMANDS_MAX 20   /* then -ERR and close: a confused or hostile client */
#define POP3_AUTH_FAILURES_MAX 3   /* the third failed login closes the session */
#define POP3_AUTH_DELAY_MS 500     /* failed login n waits n times this before its reply */

struct pop3_config {
	int plaintext_auth;   /* USER/PASS and AUTH PLAIN allowed without TLS */
	int tls_available;    /* a certificate is configured: STLS is offered */
	int delete_immediate; /* DELE deletes at once (the seed's behaviour) */
	const char *domain;   /* a bare user name logs in at this domain (INETMAIL_DOMAIN) */
};

struct pop3_backend {
	void *ctx;
	enum store_result (*auth)(void *ctx, const char *user, const char *password,
	                          struct store_account *out);
	enum store_result (*lock)(void *ctx, uint64_t account_id);
	void (*unlock)(void *ctx, uint64_t account_id);
	enum store_result (*list)(void *ctx, uint64_t account_id, store_entry_fn, void *fn_ctx);
	/* entries[0] is the message to send; those after it, the ones likely read next */
	enum store_result (*read)(void *ctx, uint64_t account_id, const struct store_entry_ref *entries, size_t n,
	                          long body_lines, store_data_fn, void *fn_ctx);
	enum store_result (*delete)(void *ctx, uint64_t account_id, const uint64_t *entry_ids, size_t n);
	void (*delay)(void *ctx, unsigned ms);
	void (*logged)(void *ctx, const char *event, const char *detail);
	enum store_result (*keep)(void *ctx, uint64_t account_id); /* renews the lock (pop3_keep_lock) */
};

enum pop3_state {
	POP3_AUTHORIZATION, /* RFC 1939 4 */
	POP3_AUTH_PLAIN,    /* waiting for AUTH PLAIN's response */
	POP3_TRANSACTION,
	POP3_STLS,          /* +OK sent: the handler must start TLS, then pop3_tls_started */
	POP3_CLOSED,        /* the session is over: the handler exits */
};

struct pop3_message {
	uint64_t entry_id;
	uint64_t size;
	char uidl[STORE_UIDL_MAX + 1];
	int deleted;
};

struct pop3_session {
	const struct pop3_config *cfg;
	const struct pop3_backend *be;
	struct outbuf *out;
	enum pop3_state state;
	char line[POP3_AUTH_LINE_MAX + 3];
	struct lines lines;
	char user[STORE_ADDRESS_MAX + 1]; /* from USER, until PASS */
	int have_user;
	int tls;                          /* the session runs over TLS */
	struct store_account account;     /* once logged in */
	int locked;                       /* this session holds the account's maildrop lock */
	const char *ended;                /* why the session closed itself: "quit", "errors", ... */
	struct pop3_message *msgs;        /* numbered at login, 1..n */
	size_t n_msgs, cap_msgs;
	unsigned auth_failures, bad_commands;
	unsigned retrieved, deleted;      /* for the session's summary line */
	uint64_t retrieved_bytes;
	struct dotstuff stuff;            /* while a message streams out */
	int last_was_lf;                  /* it ended a line: "." follows, else CRLF "." */
};

/* The connection's timer: renews the maildrop lock while the session holds
 * it; non-zero when another session has taken it (then this one must end). */
int pop3_keep_lock(void *session);
int pop3_init(struct pop3_session *, const struct pop3_config *, const struct pop3_backend *, struct outbuf *);
void pop3_free(struct pop3_session *);
void pop3_start(struct pop3_session *);       /* the greeting */
size_t pop3_input(struct pop3_session *, const char *data, size_t len);
void pop3_timeout(struct pop3_session *);     /* -ERR, and the end: nothing deleted */
/* The client went away, or the session ended any other way than QUIT:
 * nothing deleted, and the maildrop lock released if still held. */
void pop3_eof(struct pop3_session *);
/* The session as common/session.c's loop runs it. */
struct session_machine pop3_machine(struct pop3_session *);
/* TLS is on (after STLS, or before the greeting): USER is forgotten (RFC 2595 4). */
void pop3_tls_started(struct pop3_session *);

#endif
