/* Local domains and aliases, for mailctl. Every local domain with accounts has
 * postmaster@ (RFC 5321 4.5.1): an account of that name, or an alias that the
 * administrator may point elsewhere but not remove while accounts remain. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void postmaster_of(const char *domain, char out[STORE_ADDRESS_MAX + 1])
{
	snprintf(out, STORE_ADDRESS_MAX + 1, "postmaster@%s", domain);
}

/* 1 when an account (active or not) has this address, 0 when none, -1 on error. */
static int is_account(struct store *s, const char *address)
{
	uint64_t id;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_ID_ANY, "s", address);
	int rc = st ? store_q_fetch(s, st, "u", &id) : -1;
	if (rc > 0)
		store_q_end(st);
	return rc;
}

/* The first account of a domain, or "" when it has none. */
static enum store_result first_account(struct store *s, const char *domain, char out[STORE_ADDRESS_MAX + 1])
{
	uint64_t id;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_IN_DOMAIN, "s", domain);
	int rc = st ? store_q_fetch(s, st, "us", &id, out, (size_t)STORE_ADDRESS_MAX + 1) : -1;
	if (rc < 0)
		return STORE_TEMPFAIL;
	if (rc > 0)
		store_q_end(st);
	else
		out[0] = '\0';
	return STORE_OK;
}

enum store_result store_postmaster_fix(struct store *s, const char *domain)
{
	char postmaster[STORE_ADDRESS_MAX + 1], first[STORE_ADDRESS_MAX + 1];
	struct store_address_list t = {0};
	postmaster_of(domain, postmaster);
	enum store_result r = store_alias_targets(s, postmaster, &t);
	size_t targets = t.n;
	free(t.addr);
	if (r != STORE_OK || targets)
		return r;
	int own = is_account(s, postmaster);
	if (own < 0 || (r = first_account(s, domain, first)) != STORE_OK)
		return STORE_TEMPFAIL;
	if (own || !first[0])
		return STORE_OK;
	return store_q_exec(s, Q_ALIAS_INSERT, "ss", postmaster, first) ? STORE_OK : STORE_TEMPFAIL;
}

static int id_list_add(void *ctx, const struct store_entry *e) { return store_id_list_add(ctx, e->id); }

/* An account and all it has; its domain keeps a postmaster (store_postmaster_fix). */
enum store_result store_delete_account(struct store *s, uint64_t id, const char *address)
{
	struct store_id_list l = {0};
	enum store_result r = STORE_TEMPFAIL;
	if (store_each_entry(s, Q_ENTRY_LIST_ALL, id, id_list_add, &l) == STORE_OK &&
	    store_delete_entries(s, id, l.ids, l.n, 0, NULL, NULL) == STORE_OK && store_q_exec(s, Q_FOLDER_DELETE_ACCOUNT, "u", id) &&
	    store_q_exec(s, Q_LOCK_DROP, "u", id) && store_q_exec(s, Q_ACCOUNT_DELETE, "u", id) &&
	    store_q_exec(s, Q_ALIAS_DELETE_TARGET, "s", address))
		r = store_postmaster_fix(s, store_address_domain(address));
	free(l.ids);
	return r;
}

enum store_result store_add_domain(struct store *s, const char *domain, int *created)
{
	MYSQL_STMT *st = store_q_exec(s, Q_DOMAIN_INSERT, "s", domain);
	if (!st)
		return STORE_TEMPFAIL;
	*created = store_q_affected(st) == 1;
	return STORE_OK;
}

struct domain_args {
	char name[STORE_DOMAIN_MAX + 1];
	char postmaster[STORE_ADDRESS_MAX + 1]; /* "" to leave it */
	int force, created;
};

static enum store_result domain_add_body(struct store *s, void *ctx)
{
	struct domain_args *a = ctx;
	char source[STORE_ADDRESS_MAX + 1];
	enum store_result r = store_add_domain(s, a->name, &a->created);
	if (r != STORE_OK || !a->postmaster[0])
		return r;
	int rc = is_account(s, a->postmaster);
	if (rc <= 0) {
		if (rc == 0)
			store_refuse(s, "%s: no such account", a->postmaster);
		return rc < 0 ? STORE_TEMPFAIL : STORE_NOT_FOUND;
	}
	postmaster_of(a->name, source);
	if (!strcmp(source, a->postmaster)) /* the account itself: no alias needed */
		return store_q_exec(s, Q_ALIAS_DELETE_SOURCE, "s", source) ? STORE_OK : STORE_TEMPFAIL;
	return store_q_exec(s, Q_ALIAS_DELETE_SOURCE, "s", source) && store_q_exec(s, Q_ALIAS_INSERT, "ss", source, a->postmaster)
	               ? STORE_OK
	               : STORE_TEMPFAIL;
}

enum store_result store_admin_domain_add(struct store *s, const char *domain, const char *postmaster, int *created)
{
	struct domain_args a = {0};
	if (store_domain_canonical(domain, a.name) < 0) {
		store_refuse(s, "%s: not a valid domain name", domain);
		return STORE_PERMFAIL;
	}
	if (postmaster && store_address_canonical(postmaster, a.postmaster) < 0) {
		store_refuse(s, "%s: not a valid address", postmaster);
		return STORE_PERMFAIL;
	}
	enum store_result r = store_txn(s, domain_add_body, &a);
	*created = a.created;
	return r;
}

/* What a domain still has: accounts, and aliases besides its postmaster (which goes with it). */
static int count_domain(struct store *s, const char *domain, uint64_t *accounts, uint64_t *aliases)
{
	uint64_t id;
	char a[STORE_ADDRESS_MAX + 1], b[STORE_ADDRESS_MAX + 1];
	int rc = -1;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_IN_DOMAIN, "s", domain);
	for (*accounts = 0; st && (rc = store_q_fetch(s, st, "us", &id, a, sizeof a)) > 0;)
		++*accounts;
	if (rc < 0 || !(st = store_q_exec(s, Q_ALIAS_LIST_DOMAIN, "s", domain)))
		return -1;
	for (*aliases = 0; (rc = store_q_fetch(s, st, "ss", a, sizeof a, b, sizeof b)) > 0;)
		*aliases += strncmp(a, "postmaster@", 11) != 0;
	return rc;
}

static enum store_result domain_del_body(struct store *s, void *ctx)
{
	struct domain_args *a = ctx;
	enum store_result r = store_domain_is_local(s, a->name);
	if (r == STORE_NOT_LOCAL) {
		store_refuse(s, "%s: not a local domain", a->name);
		return STORE_NOT_FOUND;
	}
	if (r != STORE_OK)
		return r;
	uint64_t accounts, aliases;
	if (count_domain(s, a->name, &accounts, &aliases) < 0)
		return STORE_TEMPFAIL;
	if ((accounts || aliases) && !a->force) {
		store_refuse(s, "%s still has %llu accounts and %llu aliases (--force deletes them, with their mail)",
		             a->name, (unsigned long long)accounts, (unsigned long long)aliases);
		return STORE_PERMFAIL;
	}
	for (uint64_t i = 0; i < accounts; i++) { /* the first one each time, until none is left */
		char address[STORE_ADDRESS_MAX + 1];
		uint64_t id;
		MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_IN_DOMAIN, "s", a->name);
		int rc = st ? store_q_fetch(s, st, "us", &id, address, sizeof address) : -1;
		if (rc <= 0)
			return STORE_TEMPFAIL;
		store_q_end(st);
		if (store_delete_account(s, id, address) != STORE_OK)
			return STORE_TEMPFAIL;
	}
	return store_q_exec(s, Q_ALIAS_DELETE_DOMAIN, "s", a->name) && store_q_exec(s, Q_DOMAIN_DELETE, "s", a->name)
	               ? STORE_OK
	               : STORE_TEMPFAIL;
}

enum store_result store_admin_domain_del(struct store *s, const char *domain, int force)
{
	struct domain_args a = {.force = force};
	if (store_domain_canonical(domain, a.name) < 0) {
		store_refuse(s, "%s: not a valid domain name", domain);
		return STORE_PERMFAIL;
	}
	return store_txn(s, domain_del_body, &a);
}

struct domain_list_args {
	store_domain_fn fn;
	void *ctx;
};

static enum store_result domain_list_body(struct store *s, void *ctx)
{
	struct domain_list_args *a = ctx;
	struct store_domain_info i;
	MYSQL_STMT *st = store_q_exec(s, Q_DOMAIN_LIST, "");
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "suu", i.name, sizeof i.name, &i.accounts, &i.aliases)) > 0; handed++)
		if (a->fn(a->ctx, &i)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	return store_q_rows(rc, handed);
}

enum store_result store_admin_domain_list(struct store *s, store_domain_fn fn, void *ctx)
{
	struct domain_list_args a = {fn, ctx};
	return store_read(s, domain_list_body, &a);
}

struct alias_args {
	char source[STORE_ADDRESS_MAX + 1];
	char (*targets)[STORE_ADDRESS_MAX + 1];
	size_t n;
};

/* Refuses a loop back to source, or a chain of aliases longer than
 * resolution follows, anywhere below address. */
static enum store_result check_chain(struct store *s, const char *source, const char *address, unsigned depth)
{
	struct store_address_list t = {0};
	enum store_result r = store_alias_targets(s, address, &t);
	for (size_t i = 0; r == STORE_OK && i < t.n; i++) {
		int account = is_account(s, t.addr[i]);
		if (account < 0)
			r = STORE_TEMPFAIL;
		else if (!strcmp(t.addr[i], source) && !account)
			store_refuse(s, "%s: would make a loop through %s", source, address), r = STORE_PERMFAIL;
		else if (!account && depth + 1 >= STORE_ALIAS_DEPTH_MAX)
			store_refuse(s, "%s: aliases more than %d deep", source, STORE_ALIAS_DEPTH_MAX), r = STORE_PERMFAIL;
		else if (!account)
			r = check_chain(s, source, t.addr[i], depth + 1);
	}
	free(t.addr);
	return r;
}

/* The source's domain must be local; NOT_LOCAL (message set) otherwise. */
static enum store_result source_domain_local(struct store *s, const char *source)
{
	enum store_result r = store_domain_is_local(s, store_address_domain(source));
	if (r == STORE_NOT_LOCAL)
		store_refuse(s, "%s: %s is not a local domain (mailctl domain add)", source, store_address_domain(source));
	return r;
}

static enum store_result alias_add_body(struct store *s, void *ctx)
{
	struct alias_args *a = ctx;
	enum store_result r = source_domain_local(s, a->source);
	if (r != STORE_OK)
		return r;
	for (size_t i = 0; i < a->n; i++) {
		struct store_address_list t = {0};
		int account = is_account(s, a->targets[i]);
		if (account < 0 || (!account && store_alias_targets(s, a->targets[i], &t) != STORE_OK)) {
			free(t.addr);
			return STORE_TEMPFAIL;
		}
		free(t.addr);
		if (!account && !t.n) {
			store_refuse(s, "%s: neither an account nor an alias", a->targets[i]);
			return STORE_NOT_FOUND;
		}
		if (!store_q_exec(s, Q_ALIAS_INSERT, "ss", a->source, a->targets[i]))
			return STORE_TEMPFAIL;
	}
	return check_chain(s, a->source, a->source, 0);
}

/* "@domain" is a catch-all source; anything else an address. */
static int alias_source(const char *in, char out[STORE_ADDRESS_MAX + 1])
{
	if (in[0] == '@') {
		out[0] = '@';
		return store_domain_canonical(in + 1, out + 1);
	}
	return store_address_canonical(in, out);
}

static enum store_result run_alias(struct store *s, store_txn_body body, const char *source,
                                   const char *const *targets, size_t n)
{
	struct alias_args a = {.n = n};
	enum store_result r = STORE_PERMFAIL;
	if (alias_source(source, a.source) < 0) {
		store_refuse(s, "%s: not an address or @domain", source);
		return r;
	}
	if (n && !(a.targets = calloc(n, sizeof *a.targets)))
		return STORE_TEMPFAIL;
	for (size_t i = 0; i < n; i++)
		if (store_address_canonical(targets[i], a.targets[i]) < 0) {
			store_refuse(s, "%s: not a valid address", targets[i]);
			free(a.targets);
			return r;
		}
	r = store_txn(s, body, &a);
	free(a.targets);
	return r;
}

enum store_result store_admin_alias_add(struct store *s, const char *source, const char *const *targets, size_t n)
{
	return run_alias(s, alias_add_body, source, targets, n);
}

static enum store_result alias_del_body(struct store *s, void *ctx)
{
	struct alias_args *a = ctx;
	uint64_t removed = 0;
	MYSQL_STMT *st;
	if (!a->n) {
		if (!(st = store_q_exec(s, Q_ALIAS_DELETE_SOURCE, "s", a->source)))
			return STORE_TEMPFAIL;
		removed = store_q_affected(st);
	}
	for (size_t i = 0; i < a->n; i++) {
		if (!(st = store_q_exec(s, Q_ALIAS_DELETE, "ss", a->source, a->targets[i])))
			return STORE_TEMPFAIL;
		removed += store_q_affected(st);
	}
	if (!removed) {
		store_refuse(s, "%s: no such alias", a->source);
		return STORE_NOT_FOUND;
	}
	char postmaster[STORE_ADDRESS_MAX + 1], first[STORE_ADDRESS_MAX + 1];
	postmaster_of(store_address_domain(a->source), postmaster);
	if (strcmp(postmaster, a->source))
		return STORE_OK;
	struct store_address_list t = {0};
	enum store_result r = store_alias_targets(s, postmaster, &t);
	size_t left = t.n;
	free(t.addr);
	if (r == STORE_OK && !left && (r = first_account(s, store_address_domain(a->source), first)) == STORE_OK &&
	    first[0] && is_account(s, postmaster) == 0) {
		store_refuse(s, "%s stays while its domain has accounts: point it elsewhere first (alias add)", postmaster);
		r = STORE_PERMFAIL;
	}
	return r;
}

enum store_result store_admin_alias_del(struct store *s, const char *source, const char *const *targets, size_t n)
{
	return run_alias(s, alias_del_body, source, targets, n);
}

struct alias_list_args {
	const char *domain;
	store_alias_fn fn;
	void *ctx;
};

static enum store_result alias_list_body(struct store *s, void *ctx)
{
	struct alias_list_args *a = ctx;
	char source[STORE_ADDRESS_MAX + 1], target[STORE_ADDRESS_MAX + 1];
	MYSQL_STMT *st = a->domain ? store_q_exec(s, Q_ALIAS_LIST_DOMAIN, "s", a->domain) : store_q_exec(s, Q_ALIAS_LIST, "");
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "ss", source, sizeof source, target, sizeof target)) > 0; handed++)
		if (a->fn(a->ctx, source, target)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	return store_q_rows(rc, handed);
}

enum store_result store_admin_alias_list(struct store *s, const char *domain, store_alias_fn fn, void *ctx)
{
	char name[STORE_DOMAIN_MAX + 1];
	struct alias_list_args a = {NULL, fn, ctx};
	if (domain) {
		if (store_domain_canonical(domain, name) < 0) {
			store_refuse(s, "%s: not a valid domain name", domain);
			return STORE_PERMFAIL;
		}
		a.domain = name;
	}
	return store_read(s, alias_list_body, &a);
}
