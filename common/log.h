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

#endif
