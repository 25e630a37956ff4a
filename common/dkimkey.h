/* Where DKIM private keys live: one PEM file per domain and selector, named
 * as its DNS record, SELECTOR._domainkey.DOMAIN.key, in INETMAIL_DKIM_DIR.
 * mailctl writes them; the relay agent signs with them. */
#ifndef INETMAIL_DKIMKEY_H
#define INETMAIL_DKIMKEY_H

#include <stddef.h>

#define DKIM_SELECTOR_MAX 63 /* one DNS label */
#define DKIM_PATH_MAX 4096

const char *dkimkey_dir(void); /* INETMAIL_DKIM_DIR, default SYSCONFDIR/inetmail/dkim */
/* A selector is one DNS label of letters, digits and hyphens: 0, or -1. */
int dkimkey_selector_valid(const char *selector);
int dkimkey_path(const char *dir, const char *selector, const char *domain, char path[DKIM_PATH_MAX]);
/* The newest key of domain in dir: 1 with its selector and path, 0 when it
 * has none. A systemd credential directory prefixes names with "ID_": the
 * selector is what follows the last "/" or "_". */
int dkimkey_find(const char *dir, const char *domain, char selector[DKIM_SELECTOR_MAX + 1], char path[DKIM_PATH_MAX]);

#endif
