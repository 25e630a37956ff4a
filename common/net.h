/* A connection to a server (the relay agent's to a remote SMTP server,
 * smtp-handler's to rspamd): TCP with every connect, read and write bounded
 * in time, and TLS on it (STARTTLS or implicit) as a client, verifying the
 * server's name when asked to. */
#ifndef INETMAIL_NET_H
#define INETMAIL_NET_H

#include <stddef.h>

#define NET_LINE_MAX 1000        /* RFC 5321 4.5.3.1.5: a reply line with its CRLF */
#define NET_TLS_INFO_MAX 128
#define NET_READ_MAX 4096        /* what comes back is replies, a few lines at a time */
#define NET_SLICE_S 5            /* a wait is cut into slices this long, the tick run between them */

struct net {
	int fd;
	unsigned timeout_s; /* a read or write that makes no progress this long fails */
	/* Run between slices of every wait (the relay lease's renewal): non-zero ends the connection. */
	int (*tick)(void *ctx);
	void *tick_ctx;
	void *ssl;      /* the OpenSSL connection once TLS is on */
	char tls[NET_TLS_INFO_MAX]; /* "TLSv1.3 TLS_AES_256_GCM_SHA384 verified", "" without TLS */
	char buf[NET_READ_MAX];
	size_t len, off;
	char addr[64];  /* the address connected to, for the logs */
};

/* Connects to host (a name or an address) on port, trying each of its
 * addresses in turn, each for timeout_s: 0, or -1 with why in err. */
int net_connect(struct net *, const char *host, unsigned port, unsigned timeout_s, char *err, size_t errlen);
void net_timeout(struct net *, unsigned seconds); /* for the reads and writes from now on */
void net_set_tick(struct net *, int (*tick)(void *ctx), void *ctx);
/* TLS as a client; verify: the certificate must chain to ca_file (NULL: the
 * system's store) and name host. 0, or -1 with why in err. */
int net_tls(struct net *, const char *host, int verify, const char *ca_file, char *err, size_t errlen);
int net_write(struct net *, const char *data, size_t len);
/* One line without its CRLF: its length, or -1 (error, timeout, EOF, too long). */
long net_line(struct net *, char line[NET_LINE_MAX + 1]);
/* What comes next, up to max octets: how many, 0 at the end, -1 on error or timeout. */
long net_read(struct net *, char *buf, size_t max);
void net_close(struct net *);

#endif
