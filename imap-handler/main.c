/* imap-handler: one IMAP session on stdin/stdout (or systemd's fd 3). */
#define _GNU_SOURCE
#include <string.h>

#include "backend.h"
#include "conn.h"
#include "env.h"
#include "log.h"
#include "session.h"
#include "tls.h"

#define DEFAULT_TIMEOUT_S 1800 /* RFC 9051 5.4: an autologout timer of at least 30 minutes */
#define SESSION_MAX_S 86400    /* a client left open all day, and then a new connection */

/* The timer: what IDLE reports goes out as it comes, not when the client next speaks. */
struct idle {
	struct imap_session *s;
	struct outbuf *out;
};

static int idle_tick(void *ctx)
{
	struct idle *i = ctx;
	if (i->out->in_sink) /* run from inside a write (a slow reader): output now would move what is being written */
		return 0;
	imap_idle_poll(i->s);
	return i->out->len && outbuf_flush(i->out) < 0;
}

int main(void)
{
	static struct conn conn;
	struct outbuf out;
	struct imap_session s;
	struct imap_backend be;
	struct imap_store b = {0};
	long start = clock_ms();

	long timeout_ms = (long)env_ulong("INETMAIL_IMAP_TIMEOUT", DEFAULT_TIMEOUT_S) * 1000;
	conn_open(&conn, (unsigned)timeout_ms);
	log_open("imap-handler");
	log_session_start(conn.peer);
	struct imap_config cfg = {
		.plaintext_auth = env_flag("INETMAIL_PLAINTEXT_AUTH"),
		.tls_available = tls_configured(),
		.domain = env_str("INETMAIL_DOMAIN", store_hostname()),
	};
	b.store = store_open();
	if (b.store)
		store_auth_client(b.store, conn.peer);
	outbuf_init(&out, conn_write, &conn);
	imap_store_backend(&b, &be);
	if (!b.store || imap_init(&s, &cfg, &be, &out) < 0)
		return 1;

	struct idle idle = {&s, &out};
	conn_set_timer(&conn, IMAP_IDLE_POLL_MS, idle_tick, &idle, "write-error");
	struct session ss = {.conn = &conn, .out = &out, .sm = imap_machine(&s), .idle_ms = (unsigned)timeout_ms,
	                     .start_ms = start, .max_ms = SESSION_MAX_S * 1000L};
	session_serve(&ss, cfg.tls_available, (struct conn_side){store_pending_fd, store_pending_step, b.store},
	              store_connect_start);
	imap_eof(&s);
	outbuf_flush(&out);
	conn_close(&conn);
	log_session(LOG_INFO, s.account.id ? s.account.address : NULL, ss.result,
	            "fetched=%u expunged=%u bytes=%llu after %ld ms", s.fetched, s.expunged,
	            (unsigned long long)s.fetched_bytes, session_elapsed_ms(&ss));
	imap_free(&s);
	outbuf_free(&out);
	store_close(b.store);
	return 0;
}
