/* Passwords, authentication and recipient lookup. */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PASSWORD_MAX 1024 /* sha512crypt costs grow with length: cap what we hash */

/* Verified for unknown and inactive accounts so they cost what a wrong password
 * costs; yescrypt with libxcrypt's default cost, like the accounts mailctl makes. */
static const char dummy_hash[] = "$y$j9T$JxALDamuipk25M1OU0p05/$kRHMHDV2dV2uGoop.4./fWObojOBkhn.EaSvKpFFLF2";

int store_verify_password(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (!cd)
		return 0;
	/* SHA-crypt on OpenSSL's SHA-2 where it can, crypt(3) for the rest. */
	const char *out = store_shacrypt(password, hash, cd->output, sizeof cd->output) == 0
	                      ? cd->output
	                      : crypt_rn(password, hash, cd, sizeof *cd);
	/* crypt_rn fails with NULL or a "*" string; a valid hash never starts with '*'. */
	int ok = out && out[0] != '*' && strlen(out) == strlen(hash);
	if (ok) {
		unsigned char diff = 0;
		for (size_t i = 0; hash[i]; i++)
			diff |= (unsigned char)(out[i] ^ hash[i]);
		ok = diff == 0;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return ok;
}

int store_password_hash(const char *scheme, const char *password, char out[STORE_HASH_MAX + 1])
{
	static const struct { const char *name, *prefix; } schemes[] = {
		{"yescrypt", "$y$"}, {"bcrypt", "$2b$"}, {"sha512crypt", "$6$"},
	};
	const char *prefix = NULL;
	for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
		if (!strcmp(scheme, schemes[i].name))
			prefix = schemes[i].prefix;
	if (!prefix || strlen(password) > PASSWORD_MAX)
		return -1;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	if (!crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof setting))
		return -1;
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (!cd)
		return -1;
	const char *h = crypt_rn(password, setting, cd, sizeof *cd);
	int rc = -1;
	if (h && h[0] != '*' && strlen(h) <= STORE_HASH_MAX) {
		strcpy(out, h);
		rc = 0;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return rc;
}

int store_password_import(const char *in, char out[STORE_HASH_MAX + 1], const char **why)
{
	/* Dovecot's scheme names and the crypt(3) prefixes each may stand for. */
	static const struct { const char *scheme, *prefixes; } dovecot[] = {
		{"{SHA512-CRYPT}", "$6$"}, {"{SHA256-CRYPT}", "$5$"}, {"{BLF-CRYPT}", "$2b$ $2y$"},
		{"{CRYPT}", "$y$ $2b$ $2y$ $6$ $5$"}, {"", "$y$ $2b$ $2y$ $6$ $5$"},
	};
	const char *hash = in, *allowed = NULL;
	for (size_t i = 0; i < sizeof dovecot / sizeof *dovecot && !allowed; i++)
		if (!strncmp(in, dovecot[i].scheme, strlen(dovecot[i].scheme))) {
			hash = in + strlen(dovecot[i].scheme);
			allowed = dovecot[i].prefixes;
		}
	if (in[0] == '{' && hash == in) {
		*why = "an unsalted, plaintext or unknown scheme: only yescrypt, bcrypt, sha512crypt and sha256crypt";
		return -1;
	}
	const char *end = hash[0] == '$' ? strchr(hash + 1, '$') : NULL;
	size_t plen = end ? (size_t)(end - hash) + 1 : 0;
	const char *p = allowed;
	while (plen && p && strncmp(p, hash, plen))
		p = (p = strchr(p, ' ')) ? p + 1 : NULL;
	if (!plen || !p || plen > 4 || (p[plen] != ' ' && p[plen] != '\0')) {
		*why = "not a yescrypt, bcrypt, sha512crypt or sha256crypt string (for its scheme)";
		return -1;
	}
	if (strlen(hash) > STORE_HASH_MAX) {
		*why = "too long";
		return -1;
	}
	/* Well-formed: hashing anything with it as the setting gives a string of
	 * the same length and the same setting. */
	struct crypt_data *cd = calloc(1, sizeof *cd);
	const char *h = cd ? crypt_rn("", hash, cd, sizeof *cd) : NULL;
	size_t setting = h ? strlen(hash) - strlen(strrchr(hash, '$')) : 0;
	int ok = h && h[0] != '*' && strlen(h) == strlen(hash) && !strncmp(h, hash, setting);
	free(cd);
	if (!ok) {
		*why = "a malformed crypt(3) string";
		return -1;
	}
	strcpy(out, hash);
	return 0;
}

enum store_result store_find_account(struct store *s, const char *address, uint64_t *id,
                                     char hash[STORE_HASH_MAX + 1])
{
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_BY_ADDRESS, "s", address);
	return store_q_one(st, st ? store_q_fetch(s, st, "us", id, hash, (size_t)STORE_HASH_MAX + 1) : -1, STORE_NOT_FOUND);
}

struct find_account {
	const char *address;
	uint64_t id;
	char hash[STORE_HASH_MAX + 1];
};

static enum store_result find_account(struct store *s, void *ctx)
{
	struct find_account *f = ctx;
	return store_find_account(s, f->address, &f->id, f->hash);
}

static enum store_result lookup(struct store *s, const char *address, struct find_account *f,
                                struct store_account *out)
{
	if (store_address_canonical(address, out->address) < 0)
		return STORE_NOT_FOUND;
	f->address = out->address;
	enum store_result r = store_read(s, find_account, f);
	out->id = r == STORE_OK ? f->id : 0;
	return r;
}

enum store_result store_lookup(struct store *s, const char *address, struct store_account *out)
{
	struct find_account f;
	return lookup(s, address, &f, out);
}

enum store_result store_auth(struct store *s, const char *address, const char *password,
                             struct store_account *out)
{
	struct find_account f;
	uint64_t failures = 0, mine = 0;
	enum store_result r;
	if (!s->client[0]) {
		r = lookup(s, address, &f, out);
	} else if (store_address_canonical(address, out->address) < 0) {
		r = STORE_NOT_FOUND; /* no address at all: a failure all the same */
		snprintf(out->address, sizeof out->address, "%.*s", STORE_ADDRESS_MAX, address);
	} else { /* the same one round trip brings this client's recent failures */
		r = store_penalty_lookup(s, out->address, &f.id, f.hash, &failures, &mine);
		out->id = r == STORE_OK ? f.id : 0;
	}
	if (r == STORE_TEMPFAIL)
		return r;
	store_penalty_wait(failures); /* before the password is even looked at */
	int ok = store_verify_password(strlen(password) > PASSWORD_MAX ? "" : password,
	                               r == STORE_OK ? f.hash : dummy_hash);
	explicit_bzero(f.hash, sizeof f.hash);
	if (s->client[0] && (!ok || r != STORE_OK || mine))
		store_penalty_record(s, out->address, r == STORE_OK && ok);
	if (r == STORE_OK && ok)
		return STORE_OK;
	out->id = 0;
	return STORE_DENIED;
}

struct usage_args {
	uint64_t account_id, *used, *quota;
};

static enum store_result usage_body(struct store *s, void *ctx)
{
	struct usage_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_USAGE, "u", a->account_id);
	return store_q_one(st, st ? store_q_fetch(s, st, "uu", a->used, a->quota) : -1, STORE_NOT_FOUND);
}

enum store_result store_account_usage(struct store *s, uint64_t account_id, uint64_t *used, uint64_t *quota)
{
	struct usage_args a = {account_id, used, quota};
	return store_read(s, usage_body, &a);
}
