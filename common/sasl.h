/* SASL pieces shared by SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034). */
#ifndef INETMAIL_SASL_H
#define INETMAIL_SASL_H

#include <stddef.h>

/* Decodes a client response line: "=" is the empty response. Returns the
 * length (out NUL-terminated; out needs strlen(line) * 3 / 4 + 1 octets),
 * or -1 when it is not base64. "*" (cancel) is the caller's to check first. */
long sasl_decode(const char *line, unsigned char *out);
/* Splits a PLAIN response (RFC 4616: authzid NUL authcid NUL passwd).
 * Returns 0, or -1 when malformed. Acting as another user is not allowed:
 * a differing authzid yields an empty user, which cannot log in. */
int sasl_plain(unsigned char *buf, size_t n, const char **user, const char **password);

#endif
