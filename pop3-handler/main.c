/* pop3-handler: one POP3 session on stdin/stdout (or systemd's fd 3). */
#define _GNU_SOURCE
#include <string.h>

#include "backend.h"
#include "conn.h"
#include "env.h"
#include "log.h"
#include "session.h"
#include "tls.h"

#define DEFAULT_TIMEOUT_S 600 /* RFC 1939 3: an autologout timer of at least 10 minutes */
#define SESSION_MAX_S 7200    /* a big maildrop on a slow link, and then the end */

int main(void)
{
	static struct conn conn;
	struct outbuf out;
	struct pop3_session s;
	struct pop3_backend be;
	struct pop3_store b = {0};
	long start = clock_ms();

	long timeout_ms = (long)env_ulong("INETMAIL_POP3_TIMEOUT", DEFAULT_TIMEOUT_S) * 1000;
	conn_open(&conn, (unsigned)timeout_ms);
	log_open("pop3-handler");
	log_session_start(conn.peer);
	const char *mode = env_str("INETMAIL_POP3_DELETE", "quit");
	struct pop3_config cfg = {
		.plaintext_auth = env_flag("INETMAIL_PLAINTEXT_AUTH"),
		.delete_immediate = !strcmp(mode, "immediate"),
		.tls_available = tls_configured(),
		.domain = env_str("INETMAIL_DOMAIN", store_hostname()),
	};
	if (strcmp(mode, "immediate") && strcmp(mode, "quit"))
		log_send(LOG_ERR, NULL, "INETMAIL_POP3_DELETE=%s is neither quit nor immediate: using quit", mode);

	b.lock_ttl_s = (unsigned)env_ulong("INETMAIL_POP3_LOCK_TTL", POP3_LOCK_TTL_S);
	if (b.lock_ttl_s < 3)
		b.lock_ttl_s = 3;
	b.store = store_open();
	if (b.store)
		store_auth_client(b.store, conn.peer);
	outbuf_init(&out, conn_write, &conn);
	pop3_store_backend(&b, &be);
	if (!b.store || pop3_init(&s, &cfg, &be, &out) < 0)
		return 1;
	/* The lock renewed at a third of its life, whether the client thinks or a RETR streams. */
	conn_set_timer(&conn, b.lock_ttl_s * 1000 / 3, pop3_keep_lock, &s, "lock-lost");

	struct session ss = {.conn = &conn, .out = &out, .sm = pop3_machine(&s), .idle_ms = (unsigned)timeout_ms,
	                     .start_ms = start, .max_ms = SESSION_MAX_S * 1000L};
	session_serve(&ss, cfg.tls_available, (struct conn_side){store_pending_fd, store_pending_step, b.store},
	              store_connect_start);
	pop3_eof(&s); /* however it ended, a lock still held goes now */
	outbuf_flush(&out);
	conn_close(&conn);
	log_session(LOG_INFO, s.account.id ? s.account.address : NULL, ss.result,
	            "retrieved=%u deleted=%u bytes=%llu after %ld ms", s.retrieved, s.deleted,
	            (unsigned long long)s.retrieved_bytes, session_elapsed_ms(&ss));
	pop3_free(&s);
	outbuf_free(&out);
	store_close(b.store);
	return 0;
}
