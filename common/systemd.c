/* systemd's socket-passing and journal protocols, spoken directly: loading
 * libsystemd (and its libgcrypt, liblzma, libzstd, liblz4, libcap) to log one
 * line cost every session 1.9 ms of CPU, more than the rest of its start-up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "systemd.h"

#define LISTEN_FDS_START 3               /* sd_listen_fds(3): passed sockets start here */
#define LISTEN_FDS_MAX 1024              /* a sanity bound: a socket unit passes a handful */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define JOURNAL_DATAGRAM_MAX (16 * 1024) /* far above any entry we write (about 3 KiB) */

int systemd_listen_fds(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	char *end = NULL;
	long n = fds ? strtol(fds, &end, 10) : 0;
	/* Meant for this process only: a child must not take the sockets for its own. */
	int ours = fds && *fds && !*end && n > 0 && n <= LISTEN_FDS_MAX && (!pid || strtol(pid, NULL, 10) == (long)getpid());
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (!ours)
		return 0;
	for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + n; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return (int)n;
}

/* One field in the native format: NAME=value\n, or, when the value holds a
 * newline, NAME\n, its length as 64-bit little endian, the value and \n. */
static size_t put_field(char *out, size_t room, const char *field, size_t len)
{
	const char *eq = memchr(field, '=', len);
	if (!eq)
		return 0;
	if (!memchr(eq + 1, '\n', len - (size_t)(eq + 1 - field))) {
		if (len + 1 > room)
			return 0;
		memcpy(out, field, len);
		out[len] = '\n';
		return len + 1;
	}
	size_t name = (size_t)(eq - field), value = len - name - 1;
	if (name + 1 + 8 + value + 1 > room)
		return 0;
	memcpy(out, field, name);
	out[name] = '\n';
	for (int i = 0; i < 8; i++)
		out[name + 1 + i] = (char)((uint64_t)value >> (8 * i));
	memcpy(out + name + 9, eq + 1, value);
	out[name + 9 + value] = '\n';
	return name + 9 + value + 1;
}

int systemd_journal_sendv(const struct iovec *iov, int n)
{
	static int fd = -1;
	char datagram[JOURNAL_DATAGRAM_MAX];
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		size_t put = put_field(datagram + len, sizeof datagram - len, iov[i].iov_base, iov[i].iov_len);
		if (!put)
			return -1;
		len += put;
	}
	if (fd < 0 && (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	struct sockaddr_un to = {.sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET};
	ssize_t sent;
	do
		sent = sendto(fd, datagram, len, MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof to);
	while (sent < 0 && errno == EINTR);
	return sent == (ssize_t)len ? 0 : -1;
}
