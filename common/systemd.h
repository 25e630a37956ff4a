/* What a handler needs of systemd, without libsystemd (see systemd.c). */
#ifndef INETMAIL_SYSTEMD_H
#define INETMAIL_SYSTEMD_H

#include <sys/uio.h>

/* sd_listen_fds(3) with unset_environment: the number of sockets systemd
 * passed to this process (0 when none). */
int systemd_listen_fds(void);
/* sd_journal_sendv(3): FIELD=value items as one journal entry; -1 when the
 * journal cannot take it (the caller falls back to syslog). */
int systemd_journal_sendv(const struct iovec *iov, int n);

#endif
