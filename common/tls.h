/* TLS on a handler's connection, done by the handler itself over its stdin /
 * stdout (or fd 3): STARTTLS (RFC 3207), STLS (RFC 2595) and implicit TLS
 * (RFC 8314). OpenSSL's TLS side is set up only when a session asks for it. */
#ifndef INETMAIL_TLS_H
#define INETMAIL_TLS_H

#include <stddef.h>

struct conn;

#define TLS_HANDSHAKE_TIMEOUT_MS 30000 /* a peer that cannot finish a handshake in 30 s is gone */
#define TLS_INFO_MAX 128

/* OpenSSL initialised lean: no openssl.cnf, no error strings, no legacy name
 * tables, no clean-up at exit. Shared by TLS and the database client. */
void tls_library_init(void);
/* INETMAIL_TLS_CERT and INETMAIL_TLS_KEY name PEM files. */
int tls_configured(void);
/* INETMAIL_TLS=implicit: the handshake comes before the greeting. */
int tls_implicit(void);
/* The server handshake on the connection, all of it within timeout_ms;
 * afterwards every read and write of conn goes through TLS. 0, -2 (timed out)
 * or -1 (failed); then the session must end. info gets "TLSv1.3 with cipher
 * NAME" for Received: and the logs. */
int tls_start(struct conn *, char info[TLS_INFO_MAX], unsigned timeout_ms);

#endif
