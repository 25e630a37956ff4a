/* The one session loop of every protocol handler: reads bounded in time (a
 * command's timeout, the session's whole allowance), the protocol's machine
 * fed, replies flushed a group at a time, TLS started when the machine asks,
 * and how the session ended, for its summary line. */
#ifndef INETMAIL_SESSION_H
#define INETMAIL_SESSION_H

#include "conn.h"
#include "outbuf.h"
#include "tls.h"

enum session_phase {
	SESSION_OPEN,   /* reading commands */
	SESSION_TLS,    /* the machine said go ahead (STARTTLS, STLS): the handshake comes next */
	SESSION_CLOSED, /* over: the handler exits */
};

/* A protocol's machine (smtp.h, pop3.h), seen by the loop. */
struct session_machine {
	void *m;
	size_t (*input)(void *m, const char *data, size_t len);
	void (*timeout)(void *m);  /* no command in time: the machine says so and closes */
	void (*eof)(void *m);      /* the client is gone: the machine closes without a word */
	void (*tls_started)(void *m, const char *info);
	enum session_phase (*phase)(const void *m);
	const char *(*ended)(const void *m); /* why the machine closed itself ("quit", "errors"), or NULL */
	void (*start)(void *m, int client_talked_first); /* the greeting */
};

struct session {
	struct conn *conn;
	struct outbuf *out;
	struct session_machine sm;
	unsigned idle_ms;      /* the protocol's timeout for a command */
	int early_talkers;       /* the greeting waits greet_pause_ms for a client that talks first (SMTP) */
	unsigned greet_pause_ms; /* 0: only what came before the greeting counts */
	long start_ms, max_ms; /* conn_now_ms at the start; the session's whole allowance */
	const char *result;    /* how it ended: quit, eof, timeout, session-limit, errors, tls-timeout, ... */
	char tls_info[TLS_INFO_MAX];
};

/* The TLS handshake, all of it within the command timeout, TLS_HANDSHAKE_TIMEOUT_MS
 * and what is left of the session: 0, or -1 with result set (the caller closes). */
int session_tls(struct session *);
/* RFC 8314 implicit TLS, before the greeting, when INETMAIL_TLS=implicit: 0 to
 * go on (TLS on, or not asked for), -1 when the session must close (result set). */
int session_implicit_tls(struct session *, int tls_available);
/* Runs the machine until it closes; result says how. */
void session_run(struct session *);
/* A handler's whole session once its machine is made: implicit TLS when asked
 * for, the greeting (after greet_pause_ms), then the database's connect begun
 * (begin(side.ctx)) to overlap the client's first commands, and the loop. */
void session_serve(struct session *, int tls_available, struct conn_side side, void (*begin)(void *ctx));
long session_elapsed_ms(const struct session *);

/* The backend hooks every handler shares. ctx is the handler's backend
 * context, whose first member is the logged-in address ("" before a login). */
void session_backend_pause(void *ctx, unsigned ms);                             /* before a failed login's reply */
void session_backend_logged(void *ctx, const char *event, const char *detail); /* one log line */

#endif
