/* DKIM signatures (RFC 6376) for relayed mail, made by Debian's libopendkim:
 * rsa-sha256, relaxed/relaxed, with the newest key of the sender's domain in
 * INETMAIL_DKIM_DIR (written by mailctl dkim keygen). */
#ifndef INETMAIL_RELAY_DKIM_H
#define INETMAIL_RELAY_DKIM_H

#include <stddef.h>

#include "store_relay.h"

#define DKIM_KEY_FILE_MAX 16384 /* a PEM RSA key of 8192 bits is under 7 KiB */

/* The header field "DKIM-Signature: ...\r\n" for the claimed message, read
 * once through the store (its lease renewed as it goes): 1 with *sig (to be
 * freed), 0 when the domain has no key, -1 when it has one and signing failed
 * (why in err: then the mail waits rather than go out unsigned). */
int relay_dkim_sign(struct store *, const struct store_relay_claim *, unsigned lease_seconds, char **sig, size_t *len,
                    char *err, size_t errlen);

/* Where the stored content starts for the wire: after the Return-Path: line
 * of final delivery (RFC 5321 4.4), which a relayed copy does not carry. */
size_t relay_content_start(const char *first_chunk, size_t len);

#endif
