/* pop3-handler: one POP3 session on stdin/stdout (or systemd's fd 3). */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

#include "backend.h"
#include "conn.h"
#include "env.h"
#include "log.h"
#include "tls.h"

#define DEFAULT_TIMEOUT_S 600 /* RFC 1939 3: an autologout timer of at least 10 minutes */
#define SESSION_MAX_S 7200    /* a big maildrop on a slow link, and then the end */

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(void)
{
	static struct conn conn;
	struct outbuf out;
	struct pop3_session s;
	struct pop3_backend be;
	struct pop3_store b = {0};
	long start = now_ms(), last_input = start, last_lock = start;

	long timeout_ms = (long)env_ulong("INETMAIL_POP3_TIMEOUT", DEFAULT_TIMEOUT_S) * 1000;
	conn_open(&conn, (unsigned)timeout_ms);
	log_open("pop3-handler");
	log_session_start(conn.peer);
	const char *mode = env_str("INETMAIL_POP3_DELETE", "quit");
	struct pop3_config cfg = {
		.plaintext_auth = env_flag("INETMAIL_PLAINTEXT_AUTH"),
		.delete_immediate = !strcmp(mode, "immediate"),
		.tls_available = tls_configured(),
	};
	if (strcmp(mode, "immediate") && strcmp(mode, "quit"))
		log_send(LOG_ERR, NULL, "INETMAIL_POP3_DELETE=%s is neither quit nor immediate: using quit", mode);

	b.lock_ttl_s = (unsigned)env_ulong("INETMAIL_POP3_LOCK_TTL", POP3_LOCK_TTL_S);
	if (b.lock_ttl_s < 3)
		b.lock_ttl_s = 3;
	long refresh_ms = b.lock_ttl_s * 1000L / 3;
	b.store = store_open();
	if (b.store)
		store_auth_client(b.store, conn.peer);
	outbuf_init(&out, conn_write, &conn);
	pop3_store_backend(&b, &be);
	if (!b.store || pop3_init(&s, &cfg, &be, &out) < 0)
		return 1;
	char tls_info[TLS_INFO_MAX];
	const char *end = "quit";
	if (tls_implicit()) { /* RFC 8314: TLS first, then the greeting */
		if (cfg.tls_available && tls_start(&conn, tls_info) == 0) {
			pop3_tls_started(&s);
		} else {
			s.state = POP3_CLOSED;
			end = "tls failed";
		}
	}
	if (s.state != POP3_CLOSED) {
		pop3_start(&s);
		outbuf_flush(&out);
		/* The greeting first; the database connect then overlaps the client's first commands. */
		store_connect_start(b.store);
		conn.side = (struct conn_side){store_pending_fd, store_pending_step, b.store};
	}

	while (s.state != POP3_CLOSED) {
		long now = now_ms();
		long wait = last_input + timeout_ms - now;
		if (start + SESSION_MAX_S * 1000L - now < wait)
			wait = start + SESSION_MAX_S * 1000L - now;
		/* Wake up to renew the maildrop lock while the client thinks. */
		if (s.state == POP3_TRANSACTION && wait > refresh_ms)
			wait = refresh_ms;
		long n = conn_read(&conn, wait > 0 ? (unsigned)wait : 0);
		now = now_ms();
		if (n > 0) {
			pop3_input(&s, conn.buf, conn.len);
			conn.len = 0; /* after STLS: what came with it in plaintext is dropped */
			last_input = now;
			if (s.state == POP3_STLS) {
				if (outbuf_flush(&out) == 0 && tls_start(&conn, tls_info) == 0) {
					pop3_tls_started(&s);
				} else {
					s.state = POP3_CLOSED;
					end = "tls failed";
				}
			}
		} else if (n == -2 && now - last_input < timeout_ms && now - start < SESSION_MAX_S * 1000L) {
			/* only woken up to renew the lock */
		} else if (n == -2) {
			pop3_timeout(&s);
			end = "timeout";
		} else {
			pop3_eof(&s);
			end = n == 0 ? "eof" : "read error";
		}
		if (s.state == POP3_TRANSACTION && now - last_lock >= refresh_ms) {
			if (store_maildrop_lock(b.store, s.account.id, b.lock_ttl_s) == STORE_IN_USE) {
				pop3_eof(&s); /* our lock expired and was taken: leave without deleting */
				end = "lock lost";
			}
			last_lock = now;
		}
		if ((s.state == POP3_CLOSED || !conn_input_pending(&conn) || out.len >= OUTBUF_HIGH_WATER) &&
		    outbuf_flush(&out) < 0) {
			pop3_eof(&s);
			end = "write error";
		}
	}
	outbuf_flush(&out);
	conn_close(&conn);
	log_session(LOG_INFO, s.account.id ? s.account.address : NULL, end,
	            "retrieved=%u deleted=%u bytes=%llu after %ld ms", s.retrieved, s.deleted,
	            (unsigned long long)s.retrieved_bytes, now_ms() - start);
	pop3_free(&s);
	outbuf_free(&out);
	store_close(b.store);
	return 0;
}
