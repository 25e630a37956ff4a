#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "systemd.h"

static void peer_address(struct conn *c)
{
	/* systemd (Accept=yes), xinetd, tcpserver; then the socket itself. */
	const char *vars[] = {"REMOTE_ADDR", "REMOTE_HOST", "TCPREMOTEIP"};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v && strlen(v) < sizeof c->peer && strspn(v, "0123456789abcdefABCDEF.:") == strlen(v)) {
			strcpy(c->peer, v);
			return;
		}
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	strcpy(c->peer, "local");
	if (getpeername(c->in, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->peer, sizeof c->peer);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->peer, sizeof c->peer);
}

static void limit_process(void)
{
	/* Every session of a handler runs as the same user: not dumpable, none
	 * can read another's memory or descriptors through /proc. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none);
#if !defined(__SANITIZE_ADDRESS__) && !defined(INETMAIL_SANITIZE) /* ASan maps terabytes of shadow */
	struct rlimit as = {CONN_MEMORY_MAX, CONN_MEMORY_MAX};
	setrlimit(RLIMIT_AS, &as);
#endif
}

void conn_open(struct conn *c, unsigned write_timeout_ms)
{
	limit_process();
	c->write_timeout_ms = write_timeout_ms;
	c->len = 0;
	c->in = 0;
	c->out = 1;
	if (systemd_listen_fds() == 1)
		c->in = c->out = 3; /* SD_LISTEN_FDS_START */
	struct stat st;
	c->is_socket = fstat(c->in, &st) == 0 && S_ISSOCK(st.st_mode);
	/* Writes wait at most write_timeout_ms; only a socket is ours to change. */
	if (c->is_socket) {
		fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
		/* Replies go out whole from the output buffer: a short last segment must not wait for an ACK (Nagle). */
		setsockopt(c->out, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	}
	signal(SIGPIPE, SIG_IGN); /* a vanished client is a write error, not a signal */
	peer_address(c);
}

void conn_set_timer(struct conn *c, unsigned every_ms, int (*fn)(void *ctx), void *ctx, const char *why)
{
	c->timer = (struct conn_timer){every_ms, clock_ms() + every_ms, fn, ctx, why};
}

int conn_tick(struct conn *c)
{
	if (c->broken)
		return -1;
	long now = clock_ms();
	if (!c->timer.every_ms || now < c->timer.due_ms)
		return 0;
	c->timer.due_ms = now + c->timer.every_ms;
	if (c->timer.fn(c->timer.ctx))
		c->broken = c->timer.why;
	return c->broken ? -1 : 0;
}

int conn_wait(struct conn *c, int fd, short events, unsigned timeout_ms)
{
	long deadline = clock_ms() + timeout_ms;
	for (;;) {
		if (conn_tick(c) < 0)
			return -1;
		struct pollfd p[2] = {{.fd = fd, .events = events}};
		int side_ms = -1;
		nfds_t n = c->side.fd && (p[1].fd = c->side.fd(c->side.ctx, &p[1].events, &side_ms)) >= 0 ? 2 : 1;
		long now = clock_ms(), left = deadline - now;
		int wait = left > 0 ? (int)left : 0;
		bool side_first = n == 2 && side_ms >= 0 && side_ms < wait;
		if (side_first)
			wait = side_ms;
		bool timer_first = c->timer.every_ms && c->timer.due_ms - now < wait;
		if (timer_first)
			wait = c->timer.due_ms > now ? (int)(c->timer.due_ms - now) : 0;
		int rc = poll(p, n, wait);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc > 0 && p[0].revents)
			return 1;
		if (n == 2 && (p[1].revents || (rc == 0 && side_first && !timer_first)))
			c->side.step(c->side.ctx, p[1].revents);
		else if (rc == 0 && !timer_first && !side_first)
			return 0;
	}
}

long conn_read(struct conn *c, unsigned timeout_ms)
{
	if (c->transport) {
		if (c->len == sizeof c->buf)
			return -1;
		long n = c->transport->read(c, c->buf + c->len, sizeof c->buf - c->len, timeout_ms);
		if (n > 0)
			c->len += (size_t)n;
		return n;
	}
	int rc = conn_wait(c, c->in, POLLIN, timeout_ms);
	if (rc == 0)
		return -2;
	if (rc < 0 || c->len == sizeof c->buf)
		return -1;
	ssize_t n;
	while ((n = read(c->in, c->buf + c->len, sizeof c->buf - c->len)) < 0 && errno == EINTR)
		;
	if (n > 0)
		c->len += (size_t)n;
	return n;
}

int conn_input_pending(struct conn *c)
{
	if (c->transport && c->transport->pending(c))
		return 1;
	struct pollfd p = {.fd = c->in, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

int conn_write(void *conn, const char *data, size_t len)
{
	struct conn *c = conn;
	if (conn_tick(c) < 0)
		return -1;
	if (c->transport)
		return c->transport->write(c, data, len);
	while (len > 0) {
		ssize_t n = write(c->out, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (conn_wait(c, c->out, POLLOUT, c->write_timeout_ms) > 0)
				continue;
			return -1;
		}
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void conn_close(struct conn *c)
{
	if (!c->is_socket)
		return;
	if (c->transport)
		c->transport->close(c);
	shutdown(c->out, SHUT_WR);
	/* Read what the client still sends, briefly, until it closes too. */
	for (int i = 0; i < CONN_LINGER_READS; i++) {
		c->len = 0;
		if (conn_read(c, CONN_LINGER_MS) <= 0)
			break;
	}
}

void conn_pause(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
