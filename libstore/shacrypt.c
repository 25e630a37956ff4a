/* SHA-crypt ($5$ sha256crypt, $6$ sha512crypt: Ulrich Drepper's
 * specification, as glibc and libxcrypt compute it) on OpenSSL's SHA-2, whose
 * assembly is several times faster than libxcrypt's portable C. The same
 * algorithm, rounds and result; anything but the plain canonical forms is
 * left to crypt(3), and t/shacrypt-test.c checks both agree. */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA*_Init and friends: no per-round provider look-up */
#include <crypt.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SALT_MAX 16              /* the specification cuts a salt here */
#define ROUNDS_DEFAULT 5000      /* without "rounds=" */
#define ROUNDS_MIN 1000          /* the specification's bounds; out of them, crypt(3) decides */
#define ROUNDS_MAX 999999999
#define DIGEST_MAX 64

static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* One hash function behind one interface: SHA-256 or SHA-512. */
struct sha {
	size_t size; /* digest octets */
	union {
		SHA256_CTX s256;
		SHA512_CTX s512;
	} c;
};

static void sha_init(struct sha *h)
{
	if (h->size == 32)
		SHA256_Init(&h->c.s256);
	else
		SHA512_Init(&h->c.s512);
}

static void sha_add(struct sha *h, const void *p, size_t n)
{
	if (h->size == 32)
		SHA256_Update(&h->c.s256, p, n);
	else
		SHA512_Update(&h->c.s512, p, n);
}

static void sha_end(struct sha *h, unsigned char *out)
{
	if (h->size == 32)
		SHA256_Final(out, &h->c.s256);
	else
		SHA512_Final(out, &h->c.s512);
}

/* The digest bytes in the order the output's base64 groups take them. */
static const unsigned char order512[64] = {
	0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7,
	50, 8, 29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57,
	37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41, 63,
};
static const unsigned char order256[32] = {
	0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17,
	18, 28, 8, 9, 19, 29, 31, 30,
};

/* Base64 of the digest: groups of three bytes, 4 characters each, low bits first. */
static size_t encode(const unsigned char *d, size_t size, char *out)
{
	const unsigned char *order = size == 32 ? order256 : order512;
	size_t o = 0, i = 0;
	for (; i + 3 <= size; i += 3) {
		unsigned w = (unsigned)d[order[i]] << 16 | (unsigned)d[order[i + 1]] << 8 | d[order[i + 2]];
		for (int k = 0; k < 4; k++, w >>= 6)
			out[o++] = b64[w & 63];
	}
	/* the rest: one byte (SHA-512) as 2 characters, two (SHA-256) as 3 */
	unsigned w = size - i == 1 ? d[order[i]] : (unsigned)d[order[i]] << 8 | d[order[i + 1]];
	for (size_t k = 0; k < (size - i == 1 ? 2 : 3); k++, w >>= 6)
		out[o++] = b64[w & 63];
	out[o] = '\0';
	return o;
}

/* Parses "$5$" or "$6$", an optional canonical "rounds=N$", a salt of crypt's
 * alphabet up to "$" or the end. 0, or -1 for anything else. */
static int parse(const char *setting, size_t *size, unsigned long *rounds, const char **salt, size_t *salt_len,
                 size_t *prefix_len)
{
	if (strncmp(setting, "$5$", 3) && strncmp(setting, "$6$", 3))
		return -1;
	*size = setting[1] == '5' ? 32 : 64;
	const char *p = setting + 3;
	*rounds = ROUNDS_DEFAULT;
	if (!strncmp(p, "rounds=", 7)) {
		const char *digits = p + 7;
		size_t n = strspn(digits, "0123456789");
		if (!n || n > 9 || digits[0] == '0' || digits[n] != '$')
			return -1;
		*rounds = strtoul(digits, NULL, 10);
		if (*rounds < ROUNDS_MIN || *rounds > ROUNDS_MAX)
			return -1;
		p = digits + n + 1;
	}
	size_t n = strcspn(p, "$");
	if (n > SALT_MAX || strspn(p, b64) < n)
		return -1;
	/* After the salt, nothing, or a hash of crypt's alphabet: crypt(3) refuses other octets there. */
	const char *rest = p[n] == '$' ? p + n + 1 : p + n;
	if (strspn(rest, b64) != strlen(rest) || strlen(rest) > 86)
		return -1;
	*salt = p;
	*salt_len = n;
	*prefix_len = (size_t)(p - setting) + n;
	return 0;
}

int store_shacrypt(const char *key, const char *setting, char *out, size_t cap)
{
	size_t size, salt_len, prefix_len, klen = strlen(key);
	unsigned long rounds;
	const char *salt;
	if (parse(setting, &size, &rounds, &salt, &salt_len, &prefix_len) < 0 ||
	    cap < prefix_len + 2 + 86 + 1 || klen >= CRYPT_MAX_PASSPHRASE_SIZE) /* crypt(3) refuses those */
		return -1;
	struct sha h = {.size = size};
	unsigned char a[DIGEST_MAX], b[DIGEST_MAX], dp[DIGEST_MAX], ds[DIGEST_MAX];
	unsigned char *p = malloc(klen + 1), *s = malloc(salt_len + 1);
	if (!p || !s) {
		free(p);
		free(s);
		return -1;
	}
	/* B = H(key salt key) */
	sha_init(&h);
	sha_add(&h, key, klen);
	sha_add(&h, salt, salt_len);
	sha_add(&h, key, klen);
	sha_end(&h, b);
	/* A = H(key salt B-for-len(key) bits-of-len(key)) */
	sha_init(&h);
	sha_add(&h, key, klen);
	sha_add(&h, salt, salt_len);
	size_t n;
	for (n = klen; n > size; n -= size)
		sha_add(&h, b, size);
	sha_add(&h, b, n);
	for (n = klen; n > 0; n >>= 1)
		sha_add(&h, n & 1 ? (const void *)b : (const void *)key, n & 1 ? size : klen);
	sha_end(&h, a);
	/* P: H(key repeated len(key) times), stretched to len(key) */
	sha_init(&h);
	for (n = 0; n < klen; n++)
		sha_add(&h, key, klen);
	sha_end(&h, dp);
	for (n = 0; n < klen; n++)
		p[n] = dp[n % size];
	/* S: H(salt repeated 16 + A[0] times), cut to len(salt) */
	sha_init(&h);
	for (n = 0; n < 16u + a[0]; n++)
		sha_add(&h, salt, salt_len);
	sha_end(&h, ds);
	for (n = 0; n < salt_len; n++)
		s[n] = ds[n];
	for (unsigned long r = 0; r < rounds; r++) {
		sha_init(&h);
		if (r & 1)
			sha_add(&h, p, klen);
		else
			sha_add(&h, a, size);
		if (r % 3)
			sha_add(&h, s, salt_len);
		if (r % 7)
			sha_add(&h, p, klen);
		if (r & 1)
			sha_add(&h, a, size);
		else
			sha_add(&h, p, klen);
		sha_end(&h, a);
	}
	memcpy(out, setting, prefix_len); /* "$6$", "rounds=N$" if it was given, the salt */
	out[prefix_len] = '$';
	encode(a, size, out + prefix_len + 1);
	explicit_bzero(p, klen);
	explicit_bzero(s, salt_len);
	explicit_bzero(a, sizeof a);
	explicit_bzero(b, sizeof b);
	explicit_bzero(dp, sizeof dp);
	explicit_bzero(ds, sizeof ds);
	free(p);
	free(s);
	return 0;
}
