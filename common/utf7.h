/* IMAP's modified UTF-7 for mailbox names (RFC 3501 5.1.3), which Dovecot's
 * Maildir++ folder names and IMAP4rev1 clients use. Pure. */
#ifndef INETMAIL_UTF7_H
#define INETMAIL_UTF7_H

#include <stddef.h>

/* in (modified UTF-7) as UTF-8 into out (cap octets, NUL-terminated): 0, or -1
 * when in is not valid or out too small. */
int utf7_decode(const char *in, char *out, size_t cap);
/* in (UTF-8) as modified UTF-7 into out: 0, or -1 when in is not UTF-8 or out too small. */
int utf7_encode(const char *in, char *out, size_t cap);

#endif
