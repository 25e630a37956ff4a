/* mailctl dkim keygen DOMAIN [SELECTOR]: a DKIM key (RFC 6376) for the relay agent, and its DNS record. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "dkimkey.h"
#include "mailctl.h"

#define DKIM_RSA_BITS 2048  /* RFC 8301: at least 1024, 2048 recommended; still fits DNS TXT */
#define TXT_STRING_MAX 255  /* RFC 1035 3.3: a character-string's length is one octet */
#define DKIM_RECORD_MAX 1024 /* the TXT record of a 2048-bit key is about 410 octets */

/* The public key as the record's p= (RFC 6376 3.6.1: base64 of SubjectPublicKeyInfo). */
static char *public_key_base64(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	if (n <= 0)
		return NULL;
	char *b64 = malloc(4 * ((size_t)n + 2) / 3 + 1);
	if (b64)
		base64_encode(der, (size_t)n, b64);
	OPENSSL_free(der);
	return b64;
}

static int write_key(EVP_PKEY *key, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "mailctl: %s: %s%s\n", path, strerror(errno),
		        errno == EEXIST ? " (choose another selector, or remove the old key once its record is gone)" : "");
		return EXIT_CANTCREAT;
	}
	FILE *f = fdopen(fd, "w");
	int ok = f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (!f || fclose(f) != 0 || !ok) {
		fprintf(stderr, "mailctl: %s: could not write the key\n", path);
		unlink(path);
		return EXIT_CANTCREAT;
	}
	return 0;
}

static int keygen(const char *domain_arg, const char *selector_arg)
{
	char domain[STORE_DOMAIN_MAX + 1], selector[DKIM_SELECTOR_MAX + 1], path[DKIM_PATH_MAX];
	if (store_domain_canonical(domain_arg, domain) < 0) {
		fprintf(stderr, "mailctl: %s: not a domain name\n", domain_arg);
		return EXIT_DATAERR;
	}
	if (selector_arg) {
		snprintf(selector, sizeof selector, "%s", selector_arg);
	} else { /* sYYYYMM: a new one each month a key is rotated */
		time_t now = time(NULL);
		strftime(selector, sizeof selector, "s%Y%m", gmtime(&now));
	}
	if (dkimkey_selector_valid(selector) < 0 || (selector_arg && strlen(selector_arg) > DKIM_SELECTOR_MAX)) {
		fprintf(stderr, "mailctl: %s: a selector is one DNS label of letters, digits and hyphens\n", selector_arg);
		return EXIT_DATAERR;
	}
	const char *dir = dkimkey_dir();
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "mailctl: %s: %s\n", dir, strerror(errno));
		return EXIT_CANTCREAT;
	}
	if (dkimkey_path(dir, selector, domain, path) < 0) {
		fprintf(stderr, "mailctl: %s: path too long\n", dir);
		return EXIT_DATAERR;
	}
	EVP_PKEY *key = EVP_RSA_gen(DKIM_RSA_BITS);
	char *p = key ? public_key_base64(key) : NULL;
	int rc = !p ? EXIT_SOFTWARE : write_key(key, path);
	if (rc == 0) {
		fprintf(stderr, "mailctl: wrote %s (mode 0600); publish this record, then mail from %s is signed:\n", path,
		        domain);
		char record[DKIM_RECORD_MAX];
		snprintf(record, sizeof record, "v=DKIM1; k=rsa; p=%s", p);
		printf("%s._domainkey.%s. IN TXT (", selector, domain);
		for (size_t i = 0, n = strlen(record); i < n; i += TXT_STRING_MAX)
			printf(" \"%.*s\"", TXT_STRING_MAX, record + i);
		printf(" )\n");
	} else if (!p) {
		fprintf(stderr, "mailctl: could not generate an RSA key\n");
	}
	free(p);
	EVP_PKEY_free(key);
	return rc;
}

int mailctl_dkim(struct mailctl *m, int argc, char **argv)
{
	(void)m;
	if ((argc == 2 || argc == 3) && !strcmp(argv[0], "keygen"))
		return keygen(argv[1], argc == 3 ? argv[2] : NULL);
	return EXIT_USAGE;
}
