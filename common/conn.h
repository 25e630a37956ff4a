/* The client connection of a per-connection handler: stdin/stdout from inetd,
 * xinetd or systemd's StandardInput=socket, or fd 3 passed by systemd
 * (LISTEN_FDS=1). Every read is bounded in time. */
#ifndef INETMAIL_CONN_H
#define INETMAIL_CONN_H

#include <stddef.h>

#include "clock.h"

#define CONN_READ_MAX 65536 /* one read: large enough for a DATA stream, small enough to bound memory */
#define CONN_LINGER_MS 1000   /* at close, how long to wait for the client's last octets */
#define CONN_LINGER_READS 16  /* and how many reads of them to discard */
#define CONN_MEMORY_MAX (256UL << 20) /* address space: many times what a session needs, never more */

/* Work the process does while it waits for the client (a database connect
 * going on): fd returns the descriptor, events and timeout (ms, -1 none) to
 * poll, or -1 when there is nothing; step takes the revents (0: timed out). */
struct conn_side {
	int (*fd)(void *ctx, short *events, int *timeout_ms);
	void (*step)(void *ctx, short revents);
	void *ctx;
};

/* Work due at intervals whatever the session is doing (the POP3 maildrop
 * lock's renewal, while a command waits or a RETR streams): fn runs from
 * every wait and write once due; non-zero ends the connection, why says how. */
struct conn_timer {
	unsigned every_ms; /* 0: no timer */
	long due_ms;
	int (*fn)(void *ctx);
	void *ctx;
	const char *why;
};

struct conn;

/* How the octets travel once TLS is on (tls.c sets it): reads and writes with
 * the results of conn_read and conn_write, as the connection's own would. */
struct conn_transport {
	long (*read)(struct conn *, char *buf, size_t len, unsigned timeout_ms);
	int (*write)(struct conn *, const char *data, size_t len);
	int (*pending)(struct conn *); /* octets decrypted and waiting */
	void (*close)(struct conn *);
};

struct conn {
	int in, out;
	int is_socket;      /* a network peer: checks for early talkers and pipelining apply */
	unsigned write_timeout_ms; /* a client that stops reading this long is gone */
	char peer[64];      /* the client's address, for Received: and the logs */
	void *tls;          /* the OpenSSL connection once TLS is on (tls.c) */
	const struct conn_transport *transport; /* with it, or NULL: the descriptors themselves */
	struct conn_side side; /* polled with every wait for the client; none if fd is NULL */
	struct conn_timer timer;
	const char *broken;    /* the timer ended the connection: its why; every read and write fails */
	char buf[CONN_READ_MAX];
	size_t len;         /* octets waiting in buf */
};

/* The connection, and the process's limits: no core file (it would hold
 * passwords and mail), a bounded address space. */
void conn_open(struct conn *, unsigned write_timeout_ms);
/* Reads more input into buf: >0 octets read, 0 EOF, -1 error, -2 timeout. */
long conn_read(struct conn *, unsigned timeout_ms);
int conn_input_pending(struct conn *); /* input is readable right now */
/* Waits until fd (the client's in or out) has events, doing the side work
 * meanwhile: 1 ready, 0 timed out, -1 error. */
int conn_wait(struct conn *, int fd, short events, unsigned timeout_ms);
int conn_write(void *conn, const char *data, size_t len); /* an outbuf_sink */
/* Ends the connection so the last reply arrives: a socket closed with unread
 * input would send a reset that can destroy it. */
void conn_close(struct conn *);
void conn_pause(unsigned ms); /* the delay after a failed login */
void conn_set_timer(struct conn *, unsigned every_ms, int (*fn)(void *ctx), void *ctx, const char *why);
int conn_tick(struct conn *); /* runs the timer if due: 0, or -1 once the connection is broken */

#endif
