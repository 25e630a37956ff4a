/* libsystemd, loaded on first use (dlopen): most sessions never need it, and
 * linking it would cost every per-connection start-up the relocations of it
 * and its dependencies (libgcrypt, liblzma, libzstd, liblz4, libcap). */
#ifndef INETMAIL_SYSTEMD_H
#define INETMAIL_SYSTEMD_H

#include <sys/uio.h>

/* sd_listen_fds(3): the number of sockets systemd passed (0 when none). */
int systemd_listen_fds(void);
/* sd_journal_sendv(3); -1 when libsystemd cannot be loaded. */
int systemd_journal_sendv(const struct iovec *iov, int n);

#endif
