/* Base64 (RFC 4648) for SASL: strict decoding, no line breaks. */
#ifndef INETMAIL_BASE64_H
#define INETMAIL_BASE64_H

#include <stddef.h>

/* Decodes n characters into out (room for n * 3 / 4 octets); returns the
 * decoded length, or -1 when the input is not canonical base64. */
long base64_decode(const char *in, size_t n, unsigned char *out);
/* Encodes n octets into out (room for 4 * ((n + 2) / 3) + 1), NUL-terminated. */
void base64_encode(const unsigned char *in, size_t n, char *out);

#endif
