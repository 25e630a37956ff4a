/* SHA-crypt on OpenSSL (libstore/shacrypt.c) against libxcrypt's crypt_rn:
 * the same string for random passwords, salts and rounds, both $5$ and $6$,
 * the specification's edge lengths included; and what it leaves to crypt(3).
 * usage: shacrypt-test [CASES] */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"
#include "lib/tap.h"

static const char alphabet[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static unsigned rnd(unsigned n)
{
	unsigned r;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		abort();
	return n ? r % n : r;
}

/* Both ways; 1 when they agree (or ours declines and the setting is odd). */
static int same(const char *key, const char *setting, int must_handle)
{
	static struct crypt_data cd;
	char ours[CRYPT_OUTPUT_SIZE];
	const char *theirs = crypt_rn(key, setting, &cd, sizeof cd);
	int rc = store_shacrypt(key, setting, ours, sizeof ours);
	if (rc < 0)
		return !must_handle;
	if (!theirs || strcmp(ours, theirs)) {
		printf("# key length %zu, setting %s:\n#   ours   %s\n#   crypt  %s\n", strlen(key), setting, ours,
		       theirs ? theirs : "(null)");
		return 0;
	}
	/* and, now and then, verifying with the whole hash as the setting gives it back */
	return rnd(8) || (store_shacrypt(key, ours, ours, sizeof ours) == 0 && !strcmp(ours, theirs));
}

int main(int argc, char **argv)
{
	long cases = argc > 1 && atol(argv[1]) > 0 ? atol(argv[1]) : 100000;
	static const size_t edge_keys[] = {0, 1, 2, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 255, 256};
	static const size_t edge_salts[] = {0, 1, 2, 8, 15, 16};
	char key[300], setting[64];
	long bad = 0;
	/* The edges: every key length above with every salt length, both hashes, default rounds. */
	for (size_t k = 0; k < sizeof edge_keys / sizeof *edge_keys; k++)
		for (size_t s = 0; s < sizeof edge_salts / sizeof *edge_salts; s++)
			for (int sha = 5; sha <= 6; sha += 1) {
				for (size_t i = 0; i < edge_keys[k]; i++)
					key[i] = (char)(1 + rnd(255));
				key[edge_keys[k]] = '\0';
				int n = snprintf(setting, sizeof setting, "$%d$", sha);
				for (size_t i = 0; i < edge_salts[s]; i++)
					setting[n++] = alphabet[rnd(64)];
				setting[n] = '\0';
				bad += !same(key, setting, 1);
			}
	ok(bad == 0, "edge lengths of key (0..256) and salt (0..16), $5$ and $6$, default rounds: %ld differ", bad);
	/* Random cases: keys of any octets, salts, rounds near the minimum (cheap) and explicit defaults. */
	bad = 0;
	for (long c = 0; c < cases; c++) {
		size_t klen = rnd(8) ? rnd(40) : rnd(260);
		for (size_t i = 0; i < klen; i++)
			key[i] = (char)(1 + rnd(255));
		key[klen] = '\0';
		int sha = rnd(2) ? 6 : 5, n;
		unsigned choice = rnd(50); /* mostly near the minimum rounds: 100,000 cases in about a minute */
		if (choice == 0)
			n = snprintf(setting, sizeof setting, "$%d$", sha);
		else if (choice == 1)
			n = snprintf(setting, sizeof setting, "$%d$rounds=5000$", sha);
		else
			n = snprintf(setting, sizeof setting, "$%d$rounds=%u$", sha, 1000 + rnd(200));
		size_t slen = rnd(17);
		for (size_t i = 0; i < slen; i++)
			setting[n++] = alphabet[rnd(64)];
		setting[n] = '\0';
		bad += !same(key, setting, 1);
	}
	ok(bad == 0, "%ld random passwords, salts and rounds: %ld differ", cases, bad);
	/* What it leaves to crypt(3): never a wrong answer, only none. */
	static const char *const odd[] = {
		"$6$rounds=999$salt", "$6$rounds=01000$salt", "$6$rounds=1000000000$salt", "$6$rounds=$salt",
		"$6$salt-with-17-chars$", "$6$bad*chars$", "$5$rounds=x$salt", "$y$j9T$salt", "$2b$05$xxxxxxxxxxxxxxxxxxxxxx",
		"$1$salt$", "nothing", "$6$roundsOBo00$sdl\x8c\x8c\xbe\x99t", "$6$salt$not:the*hash",
	};
	char out[CRYPT_OUTPUT_SIZE];
	int declined = 0;
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
		declined += store_shacrypt("pw", odd[i], out, sizeof out) < 0;
	is_int(declined, (int)(sizeof odd / sizeof *odd), "settings off the canonical forms are left to crypt(3)");
	char longest[CRYPT_MAX_PASSPHRASE_SIZE + 1];
	memset(longest, 'k', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	ok(store_shacrypt(longest, "$6$salt", out, sizeof out) < 0 && same(longest + 1, "$6$salt", 1),
	   "a key of %d octets or more is left to crypt(3) (which refuses it); one less is computed", CRYPT_MAX_PASSPHRASE_SIZE);
	/* And through store_verify_password, as logins use it. */
	static struct crypt_data cd;
	const char *h6 = crypt_rn("secret pw", "$6$abcdefgh", &cd, sizeof cd);
	char copy6[CRYPT_OUTPUT_SIZE];
	snprintf(copy6, sizeof copy6, "%s", h6);
	ok(store_verify_password("secret pw", copy6) && !store_verify_password("secret pW", copy6) &&
	   !store_verify_password("", copy6), "verify: the right password only ($6$)");
	const char *h5 = crypt_rn("secret pw", "$5$rounds=1234$abc", &cd, sizeof cd);
	ok(store_verify_password("secret pw", h5) && !store_verify_password("secret", h5),
	   "verify: the right password only ($5$, rounds=1234)");
	return done_testing();
}
