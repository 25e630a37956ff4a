#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "clock.h"
#include "net.h"

static int connect_one(const struct addrinfo *ai, unsigned timeout_s)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		goto fail;
	struct pollfd p = {fd, POLLOUT, 0};
	int rc;
	while ((rc = poll(&p, 1, (int)timeout_s * 1000)) < 0 && errno == EINTR)
		;
	if (rc <= 0) {
		errno = rc == 0 ? ETIMEDOUT : errno;
		goto fail;
	}
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		errno = err ? err : errno;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* A request written in pieces (rspamd's headers, then the message) leaves at once, not after the ACK of the last. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int net_connect(struct net *n, const char *host, unsigned port, unsigned timeout_s, char *err, size_t errlen)
{
	char service[8];
	snprintf(service, sizeof service, "%u", port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	memset(n, 0, sizeof *n);
	n->fd = -1;
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "%s: no address", host);
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char ip[INET6_ADDRSTRLEN] = "?";
		void *a = ai->ai_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
		                                    : (void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		inet_ntop(ai->ai_family, a, ip, sizeof ip);
		if ((n->fd = connect_one(ai, timeout_s)) >= 0) {
			snprintf(n->addr, sizeof n->addr, "%s", ip);
			break;
		}
		snprintf(err, errlen, "%s[%s]:%u: %s", host, ip, port, strerror(errno));
	}
	freeaddrinfo(res);
	return n->fd >= 0 ? 0 : -1;
}

void net_timeout(struct net *n, unsigned seconds)
{
	n->timeout_s = seconds;
	struct timeval tv = {.tv_sec = seconds < NET_SLICE_S ? seconds : NET_SLICE_S};
	setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(n->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void net_set_tick(struct net *n, int (*tick)(void *ctx), void *ctx)
{
	n->tick = tick;
	n->tick_ctx = ctx;
}

/* After an operation that did not go through (rc: its return, ssl_rc the
 * SSL one's): whether to try again, the tick run first. Only a slice that
 * ran out, or a signal, before the deadline. */
static int again(struct net *n, int ssl_rc, long deadline)
{
	int retry = n->ssl ? (SSL_get_error(n->ssl, ssl_rc) == SSL_ERROR_WANT_READ ||
	                      SSL_get_error(n->ssl, ssl_rc) == SSL_ERROR_WANT_WRITE)
	                   : (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
	return retry && clock_ms() < deadline && !(n->tick && n->tick(n->tick_ctx));
}

int net_tls(struct net *n, const char *host, int verify, const char *ca_file, char *err, size_t errlen)
{
	static SSL_CTX *ctx;
	if (!ctx) {
		if (!(ctx = SSL_CTX_new(TLS_client_method()))) {
			snprintf(err, errlen, "TLS: no context");
			return -1;
		}
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	}
	SSL *ssl = SSL_new(ctx);
	if (!ssl) {
		snprintf(err, errlen, "TLS: no connection");
		return -1;
	}
	n->ssl = ssl;
	SSL_set_fd(ssl, n->fd);
	unsigned char ip[16];
	int literal = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	if (!literal) /* RFC 6066 3: SNI names hosts, never addresses */
		SSL_set_tlsext_host_name(ssl, host);
	if (verify) {
		X509_STORE *store = X509_STORE_new();
		if (!store || (ca_file ? X509_STORE_load_file(store, ca_file) : X509_STORE_set_default_paths(store)) != 1) {
			X509_STORE_free(store);
			snprintf(err, errlen, "TLS: cannot load the trusted certificates%s%s", ca_file ? " of " : "",
			         ca_file ? ca_file : "");
			return -1;
		}
		SSL_set0_verify_cert_store(ssl, store);
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 : SSL_set1_host(ssl, host) != 1) {
			snprintf(err, errlen, "TLS: %s cannot be checked against a certificate", host);
			return -1;
		}
	}
	long deadline = clock_ms() + n->timeout_s * 1000L;
	int rc;
	while ((rc = SSL_connect(ssl)) != 1 && again(n, rc, deadline))
		;
	if (rc != 1) {
		long v = SSL_get_verify_result(ssl);
		if (verify && v != X509_V_OK)
			snprintf(err, errlen, "TLS: certificate of %s not verified: %s", host, X509_verify_cert_error_string(v));
		else
			snprintf(err, errlen, "TLS: handshake with %s failed", host);
		return -1;
	}
	snprintf(n->tls, sizeof n->tls, "%s %s%s", SSL_get_version(ssl), SSL_get_cipher_name(ssl),
	         verify ? " verified" : "");
	return 0;
}

int net_write(struct net *n, const char *data, size_t len)
{
	long deadline = clock_ms() + n->timeout_s * 1000L;
	while (len) {
		ssize_t w;
		int rc = 0;
		if (n->ssl) {
			size_t done = 0;
			w = (rc = SSL_write_ex(n->ssl, data, len, &done)) == 1 ? (ssize_t)done : -1;
		} else {
			w = send(n->fd, data, len, MSG_NOSIGNAL);
		}
		if (w > 0) {
			data += w;
			len -= (size_t)w;
			deadline = clock_ms() + n->timeout_s * 1000L; /* progress: the remote reads, however slowly */
			if (n->tick && n->tick(n->tick_ctx))
				return -1;
		} else if (!again(n, rc, deadline)) {
			return -1;
		}
	}
	return 0;
}

/* More input: 0, 1 at its end, -1 on error or timeout. */
static int fill(struct net *n)
{
	if (n->off) {
		memmove(n->buf, n->buf + n->off, n->len - n->off);
		n->len -= n->off;
		n->off = 0;
	}
	long deadline = clock_ms() + n->timeout_s * 1000L;
	for (;;) {
		ssize_t r;
		int rc = 0;
		if (n->ssl) {
			size_t got = 0;
			r = (rc = SSL_read_ex(n->ssl, n->buf + n->len, sizeof n->buf - n->len, &got)) == 1 ? (ssize_t)got : -1;
		} else {
			r = recv(n->fd, n->buf + n->len, sizeof n->buf - n->len, 0);
		}
		if (r > 0) {
			n->len += (size_t)r;
			return 0;
		}
		if (r == 0 || (n->ssl && SSL_get_error(n->ssl, rc) == SSL_ERROR_ZERO_RETURN))
			return 1;
		if (!again(n, rc, deadline))
			return -1;
	}
}

long net_line(struct net *n, char line[NET_LINE_MAX + 1])
{
	for (;;) {
		char *nl = memchr(n->buf + n->off, '\n', n->len - n->off);
		if (nl) {
			size_t len = (size_t)(nl - (n->buf + n->off));
			if (len && nl[-1] == '\r')
				len--;
			if (len > NET_LINE_MAX)
				return -1;
			memcpy(line, n->buf + n->off, len);
			line[len] = 0;
			n->off = (size_t)(nl - n->buf) + 1;
			return (long)len;
		}
		if (n->len - n->off > NET_LINE_MAX || fill(n) != 0)
			return -1;
	}
}

long net_read(struct net *n, char *buf, size_t max)
{
	if (n->off == n->len) {
		n->off = n->len = 0;
		int rc = fill(n);
		if (rc)
			return rc > 0 ? 0 : -1;
	}
	size_t k = n->len - n->off < max ? n->len - n->off : max;
	memcpy(buf, n->buf + n->off, k);
	n->off += k;
	return (long)k;
}

void net_close(struct net *n)
{
	if (n->ssl) {
		SSL_shutdown(n->ssl);
		SSL_free(n->ssl);
		n->ssl = NULL;
	}
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
