#define _GNU_SOURCE
#include <opendkim/dkim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dkimkey.h"

size_t relay_content_start(const char *p, size_t len)
{
	/* whole in the first chunk (STORE_CHUNK_SIZE octets): the store writes it first */
	if (len > 12 && !memcmp(p, "Return-Path:", 12)) {
		const char *nl = memchr(p, '\n', len);
		if (nl)
			return (size_t)(nl + 1 - p);
	}
	return 0;
}

/* RFC 6376 5.4.1's list, with the fields that identify the message and its MIME
 * structure; never trace fields (Received:), which relays add to. */
static const u_char *signed_fields[] = {
	(const u_char *)"from", (const u_char *)"sender", (const u_char *)"reply-to", (const u_char *)"subject",
	(const u_char *)"date", (const u_char *)"message-id", (const u_char *)"to", (const u_char *)"cc",
	(const u_char *)"mime-version", (const u_char *)"content-type", (const u_char *)"content-transfer-encoding",
	(const u_char *)"content-id", (const u_char *)"content-description", (const u_char *)"resent-date",
	(const u_char *)"resent-from", (const u_char *)"resent-sender", (const u_char *)"resent-to",
	(const u_char *)"resent-cc", (const u_char *)"resent-message-id", (const u_char *)"in-reply-to",
	(const u_char *)"references", (const u_char *)"list-id", (const u_char *)"list-help",
	(const u_char *)"list-unsubscribe", (const u_char *)"list-subscribe", (const u_char *)"list-post",
	(const u_char *)"list-owner", (const u_char *)"list-archive", NULL,
};

struct feed {
	DKIM *dkim;
	int first, failed;
};

static int feed_chunk(void *ctx, const void *data, size_t len)
{
	struct feed *f = ctx;
	size_t skip = f->first ? relay_content_start(data, len) : 0;
	f->first = 0;
	if (dkim_chunk(f->dkim, (u_char *)data + skip, len - skip) != DKIM_STAT_OK)
		f->failed = 1;
	return f->failed;
}

static char *read_key(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char *key = malloc(DKIM_KEY_FILE_MAX + 1);
	size_t n = fp && key ? fread(key, 1, DKIM_KEY_FILE_MAX + 1, fp) : 0;
	if (fp)
		fclose(fp);
	if (!n || n > DKIM_KEY_FILE_MAX) {
		snprintf(err, errlen, "DKIM key %s cannot be read", path);
		free(key);
		return NULL;
	}
	key[n] = 0;
	return key;
}

/* The library's header, folded with bare LF: made CRLF for the wire, with its name. */
static char *header_field(const unsigned char *value, size_t vlen, size_t *len)
{
	static const char name[] = "DKIM-Signature: ";
	char *out = malloc(sizeof name + 2 * vlen + 2);
	if (!out)
		return NULL;
	size_t n = sizeof name - 1;
	memcpy(out, name, n);
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			out[n++] = '\r';
		out[n++] = (char)value[i];
	}
	memcpy(out + n, "\r\n", 2);
	*len = n + 2;
	return out;
}

int relay_dkim_sign(struct store *s, const struct store_relay_claim *c, unsigned lease_seconds, char **sig, size_t *len,
                    char *err, size_t errlen)
{
	static DKIM_LIB *lib;
	char selector[DKIM_SELECTOR_MAX + 1], path[DKIM_PATH_MAX];
	const char *at = strrchr(c->rows[0].sender, '@');
	*sig = NULL;
	if (!at || !dkimkey_find(dkimkey_dir(), at + 1, selector, path))
		return 0; /* <> and domains without a key go unsigned */
	char *key = read_key(path, err, errlen);
	if (!key)
		return -1;
	if (!lib) {
		if (!(lib = dkim_init(NULL, NULL)) ||
		    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, signed_fields, sizeof(u_char **)) !=
		        DKIM_STAT_OK) {
			snprintf(err, errlen, "DKIM library did not start");
			free(key);
			if (lib)
				dkim_close(lib);
			lib = NULL;
			return -1;
		}
	}
	DKIM_STAT st;
	struct feed f = {.first = 1};
	f.dkim = dkim_sign(lib, (const unsigned char *)"inetmail-relay", NULL, (dkim_sigkey_t)key,
	                   (const unsigned char *)selector, (const unsigned char *)(at + 1), DKIM_CANON_RELAXED,
	                   DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
	int rc = -1;
	if (!f.dkim) {
		snprintf(err, errlen, "DKIM key %s refused: %s", path, dkim_getresultstr(st));
		goto out;
	}
	enum store_result r = store_relay_content(s, c, lease_seconds, feed_chunk, &f);
	unsigned char *value;
	size_t vlen;
	if (r != STORE_OK || f.failed) {
		snprintf(err, errlen, "DKIM signing stopped: %s", f.failed ? "the library refused the message" : "the store failed");
	} else if (dkim_chunk(f.dkim, NULL, 0) != DKIM_STAT_OK || dkim_eom(f.dkim, NULL) != DKIM_STAT_OK ||
	           dkim_getsighdr_d(f.dkim, strlen("DKIM-Signature: "), &value, &vlen) != DKIM_STAT_OK) {
		snprintf(err, errlen, "DKIM signing with %s failed: %s", path, dkim_geterror(f.dkim) ? dkim_geterror(f.dkim) : "?");
	} else if ((*sig = header_field(value, vlen, len))) {
		rc = 1;
	}
	dkim_free(f.dkim);
out:
	explicit_bzero(key, strlen(key));
	free(key);
	return rc;
}
