/* smtp-handler: one SMTP session on stdin/stdout (or systemd's fd 3). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "env.h"
#include "log.h"
#include "tls.h"

#define DEFAULT_MAX_SIZE (64UL << 20) /* the size the store is built and tested for */
#define DEFAULT_TIMEOUT_S 300         /* RFC 5321 4.5.3.2.7: 5 minutes for a command */
#define SESSION_MAX_S 3600            /* no session needs an hour; a stuck one must end */

int main(void)
{
	static struct conn conn;
	struct outbuf out;
	struct smtp_session s;
	struct smtp_backend be;
	static struct smtp_checks checks;
	struct smtp_store b = {.conn = &conn, .checks = &checks};
	long start = clock_ms();

	unsigned long timeout_ms = env_ulong("INETMAIL_SMTP_TIMEOUT", DEFAULT_TIMEOUT_S) * 1000;
	conn_open(&conn, (unsigned)timeout_ms);
	log_open("smtp-handler");
	const char *mode = env_str("INETMAIL_SMTP_MODE", "submission");
	struct smtp_config cfg = {
		.hostname = store_hostname(),
		.mode = !strcmp(mode, "mx") ? SMTP_MX : SMTP_SUBMISSION,
		.plaintext_auth = env_flag("INETMAIL_PLAINTEXT_AUTH"),
		.reject_unknown = env_flag("INETMAIL_SMTP_REJECT_UNKNOWN"),
		.network_peer = conn.is_socket,
		.max_size = env_ulong("INETMAIL_SMTP_MAX_SIZE", DEFAULT_MAX_SIZE),
		.tls_available = tls_configured(),
		.peer = conn.peer,
	};
	cfg.domain = env_str("INETMAIL_DOMAIN", cfg.hostname);
	if (strcmp(mode, "mx") && strcmp(mode, "submission"))
		log_send(LOG_ERR, NULL, "INETMAIL_SMTP_MODE=%s is neither submission nor mx: using submission", mode);
	unsigned long pause_ms = env_ulong("INETMAIL_SMTP_GREET_PAUSE", 0);
	const char *relay = env_str("INETMAIL_RELAY", "off");
	b.relay = cfg.mode == SMTP_SUBMISSION && (!strcmp(relay, "smarthost") || !strcmp(relay, "mx"));
	if (strcmp(relay, "off") && strcmp(relay, "smarthost") && strcmp(relay, "mx"))
		log_send(LOG_ERR, NULL, "INETMAIL_RELAY=%s is none of off, smarthost, mx: relaying off", relay);

	log_session_start(conn.peer);
	b.store = store_open();
	if (b.store)
		store_auth_client(b.store, conn.peer);
	outbuf_init(&out, conn_write, &conn);
	smtp_store_backend(&b, &be);
	if (b.store && cfg.mode == SMTP_MX)
		smtp_checks_init(&checks, b.store, conn.peer, &be);
	if (!b.store || smtp_init(&s, &cfg, &be, &out) < 0)
		return 1;

	struct session ss = {.conn = &conn, .out = &out, .sm = smtp_machine(&s), .idle_ms = (unsigned)timeout_ms,
	                     .early_talkers = 1, .greet_pause_ms = (unsigned)pause_ms, .start_ms = start,
	                     .max_ms = SESSION_MAX_S * 1000L};
	session_serve(&ss, cfg.tls_available, (struct conn_side){store_pending_fd, store_pending_step, b.store},
	              store_connect_start);
	outbuf_flush(&out);
	conn_close(&conn);
	log_session(LOG_INFO, s.user[0] ? s.user : NULL, ss.result, "messages=%u rejected=%u bytes=%llu after %ld ms",
	            s.messages, s.rejected, (unsigned long long)s.message_bytes, session_elapsed_ms(&ss));
	smtp_free(&s);
	smtp_checks_free(&checks);
	outbuf_free(&out);
	store_close(b.store);
	return 0;
}
