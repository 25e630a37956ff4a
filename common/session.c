#define _GNU_SOURCE
#include <poll.h>

#include "log.h"
#include "session.h"

long session_elapsed_ms(const struct session *ss) { return clock_ms() - ss->start_ms; }

/* What a wait may take now: the command timeout, or less when the session's allowance runs out first. */
static unsigned wait_ms(const struct session *ss, unsigned most)
{
	long left = ss->max_ms - session_elapsed_ms(ss);
	return left <= 0 ? 0 : left < (long)most ? (unsigned)left : most;
}

int session_tls(struct session *ss)
{
	unsigned most = ss->idle_ms < TLS_HANDSHAKE_TIMEOUT_MS ? ss->idle_ms : TLS_HANDSHAKE_TIMEOUT_MS;
	int rc = tls_start(ss->conn, ss->tls_info, wait_ms(ss, most));
	if (rc == 0) {
		ss->sm.tls_started(ss->sm.m, ss->tls_info);
		return 0;
	}
	ss->result = ss->conn->broken ? ss->conn->broken : rc == -2 ? "tls-timeout" : "tls-failed";
	return -1;
}

int session_implicit_tls(struct session *ss, int tls_available)
{
	if (!tls_implicit())
		return 0;
	if (tls_available)
		return session_tls(ss);
	ss->result = "tls-failed"; /* implicit TLS without a certificate */
	return -1;
}

/* Whether the client sent something within pause_ms, before any greeting:
 * an early talker (checked on network sockets, before TLS, only). */
static int talked_first(const struct session *ss, unsigned pause_ms)
{
	if (!ss->early_talkers || !ss->conn->is_socket || ss->conn->tls)
		return 0;
	struct pollfd p = {.fd = ss->conn->in, .events = POLLIN};
	return poll(&p, 1, (int)pause_ms) > 0;
}

void session_run(struct session *ss)
{
	const struct session_machine *m = &ss->sm;
	struct conn *c = ss->conn;
	while (m->phase(m->m) != SESSION_CLOSED) {
		unsigned wait = wait_ms(ss, ss->idle_ms);
		long n = conn_read(c, wait);
		if (n > 0) {
			m->input(m->m, c->buf, c->len);
			c->len = 0; /* after STARTTLS or STLS: what came with it in plaintext is dropped */
		} else if (n == -2) {
			m->timeout(m->m);
			ss->result = wait < ss->idle_ms ? "session-limit" : "timeout";
		} else {
			m->eof(m->m);
			ss->result = c->broken ? c->broken : n == 0 ? "eof" : "read-error";
		}
		if (m->phase(m->m) == SESSION_TLS) {
			if (outbuf_flush(ss->out) < 0)
				ss->result = c->broken ? c->broken : "write-error";
			if (ss->result || session_tls(ss) < 0)
				m->eof(m->m);
		}
		/* One write per reply group: when the client has sent all it had. */
		int closed = m->phase(m->m) == SESSION_CLOSED;
		if ((closed || !conn_input_pending(c) || ss->out->len >= OUTBUF_HIGH_WATER) && outbuf_flush(ss->out) < 0) {
			m->eof(m->m);
			if (!ss->result && !closed)
				ss->result = c->broken ? c->broken : "write-error";
		}
	}
	if (!ss->result)
		ss->result = m->ended(m->m) ? m->ended(m->m) : "closed";
}

void session_serve(struct session *ss, int tls_available, struct conn_side side, void (*begin)(void *ctx))
{
	if (session_implicit_tls(ss, tls_available) < 0)
		return;
	ss->sm.start(ss->sm.m, talked_first(ss, ss->greet_pause_ms));
	outbuf_flush(ss->out);
	if (ss->sm.phase(ss->sm.m) != SESSION_CLOSED) {
		begin(side.ctx);
		ss->conn->side = side;
	}
	session_run(ss);
}

void session_backend_pause(void *ctx, unsigned ms)
{
	(void)ctx;
	conn_pause(ms);
}

void session_backend_logged(void *ctx, const char *event, const char *detail)
{
	const char *user = ctx;
	log_machine_event(*user ? user : NULL, event, detail);
}
