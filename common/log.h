/* Logging: the journal (structured fields) under systemd, syslog LOG_MAIL
 * otherwise; never the connection's stdout or stderr. Callers never pass a
 * password or an AUTH payload. */
#ifndef INETMAIL_LOG_H
#define INETMAIL_LOG_H

#include <syslog.h>

void log_open(const char *ident);
/* fields: "NAME=value" strings (journal fields, INETMAIL_*), NULL-terminated;
 * the message is printf-formatted. */
void log_send(int priority, const char *const *fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A session's log lines share a random id and the client's address. */
void log_session_start(const char *peer);
const char *log_session_id(void);
/* One line about the session: "session ID: event detail", with the fields
 * INETMAIL_SESSION, INETMAIL_PEER, INETMAIL_USER (when user is not NULL)
 * and INETMAIL_RESULT=event. */
void log_session(int priority, const char *user, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A check's result ("spf", "pass"): every later line of the session ends in
 * "name=value" and carries the journal field INETMAIL_NAME=value; a name
 * noted again takes its new value. */
void log_session_note(const char *name, const char *value);

/* An event a protocol machine reports (its backend's logged hook); user is
 * the logged-in address or NULL. */
void log_machine_event(const char *user, const char *event, const char *detail);
/* A failed login, in the one fixed form fail2ban's filter reads (units/fail2ban):
 * "session ID: auth-failed client=ADDRESS user=<NAME>". */
void log_auth_failed(const char *user);

#endif
