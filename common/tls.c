#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED /* EVP_add_digest: see tls_server_init */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>

#include "conn.h"
#include "env.h"
#include "log.h"
#include "tls.h"

#define LEAN_INIT (OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS | \
                   OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ATEXIT)

void tls_library_init(void)
{
	OPENSSL_init_ssl(LEAN_INIT | OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS, NULL);
}

/* A TLS server checks its certificate's signature against the security
 * level, which looks the digest up by name: it needs the name tables that
 * the database's lean start skips. When that start came first, the tables
 * cannot be filled the usual way any more, so the signature digests are
 * named here one by one. */
static void tls_server_init(void)
{
	OPENSSL_init_ssl(LEAN_INIT, NULL);
	if (!EVP_get_digestbyname("SHA256")) {
		const EVP_MD *digests[] = {EVP_sha1(), EVP_sha224(), EVP_sha256(), EVP_sha384(), EVP_sha512()};
		for (size_t i = 0; i < sizeof digests / sizeof *digests; i++)
			EVP_add_digest(digests[i]);
	}
}

/* A file that starts like PEM: a missing or unreadable one (or a systemd
 * credential that holds "none") means no TLS. */
static int pem_file(const char *path)
{
	char head[10];
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd >= 0 ? read(fd, head, sizeof head) : -1;
	if (fd >= 0)
		close(fd);
	return n == (ssize_t)sizeof head && !memcmp(head, "-----BEGIN", sizeof head);
}

int tls_configured(void)
{
	return pem_file(env_str("INETMAIL_TLS_CERT", NULL)) && pem_file(env_str("INETMAIL_TLS_KEY", NULL));
}

int tls_implicit(void) { return !strcasecmp(env_str("INETMAIL_TLS", ""), "implicit"); }

/* Waits until the connection can go on after WANT_READ or WANT_WRITE, at the
 * latest until deadline (conn_now_ms): 0, -2 timed out, -1 failed. */
static int wait_for(struct conn *c, int error, long deadline)
{
	if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
		return -1;
	long left = deadline - clock_ms();
	unsigned ms = left > 0 ? (unsigned)left : 0;
	int rc = error == SSL_ERROR_WANT_WRITE ? conn_wait(c, c->out, POLLOUT, ms) : conn_wait(c, c->in, POLLIN, ms);
	return rc > 0 ? 0 : rc == 0 ? -2 : -1;
}

static SSL_CTX *server_context(void)
{
	const char *cert = env_str("INETMAIL_TLS_CERT", NULL), *key = env_str("INETMAIL_TLS_KEY", NULL);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	/* TLS 1.2 and 1.3 with the ciphers Debian's openssl.cnf allows by default
	 * (DEFAULT at security level 2); no compression, no renegotiation. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_security_level(ctx, 2);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* one process per connection: nothing to reuse */
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_session(LOG_ERR, NULL, "tls-config", "cannot use INETMAIL_TLS_CERT=%s / INETMAIL_TLS_KEY (error %lu)", cert,
		            ERR_get_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static const struct conn_transport tls_transport;

int tls_start(struct conn *c, char info[TLS_INFO_MAX], unsigned timeout_ms)
{
	long deadline = clock_ms() + timeout_ms; /* for the whole handshake, however slowly it comes */
	tls_server_init();
	SSL_CTX *ctx = server_context();
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	if (!ssl || !SSL_set_rfd(ssl, c->in) || !SSL_set_wfd(ssl, c->out)) {
		SSL_free(ssl);
		return -1;
	}
	int rc, w;
	while ((rc = SSL_accept(ssl)) != 1)
		if ((w = wait_for(c, SSL_get_error(ssl, rc), deadline)) < 0) {
			if (w == -2)
				log_session(LOG_NOTICE, NULL, "tls-timeout", "no handshake within %u ms", timeout_ms);
			else
				log_session(LOG_NOTICE, NULL, "tls-failed", "handshake failed (error %lu)", ERR_get_error());
			SSL_free(ssl);
			return w;
		}
	c->tls = ssl;
	c->transport = &tls_transport;
	snprintf(info, TLS_INFO_MAX, "%s with cipher %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	return 0;
}

static long tls_read(struct conn *c, char *buf, size_t len, unsigned timeout_ms)
{
	long deadline = clock_ms() + timeout_ms; /* a record dribbled in gets no more time than a line */
	for (;;) {
		int n = SSL_read(c->tls, buf, (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(c->tls, n);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		int w = wait_for(c, e, deadline);
		if (w < 0)
			return w;
	}
}

static int tls_write(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		int n = SSL_write(c->tls, data, (int)len);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (wait_for(c, SSL_get_error(c->tls, n), clock_ms() + c->write_timeout_ms) < 0) {
			return -1;
		}
	}
	return 0;
}

static int tls_pending(struct conn *c) { return SSL_pending(c->tls) > 0; }

static void tls_close(struct conn *c)
{
	SSL_shutdown(c->tls); /* close_notify, once; the peer's answer is not awaited */
}

static const struct conn_transport tls_transport = {tls_read, tls_write, tls_pending, tls_close};
