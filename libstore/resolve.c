/* Recipients: the accounts an address reaches, directly, through aliases, or
 * through its domain's catch-all; and whether its domain is ours at all. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "internal.h"

int store_account_set_add(struct store_account_set *set, uint64_t id)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->ids[i] == id)
			return 0;
	if (array_reserve(&set->ids, &set->cap, set->n, sizeof *set->ids) < 0)
		return -1;
	set->ids[set->n++] = id;
	return 0;
}

/* The targets of an alias source, read whole before any of them is followed:
 * following one runs the same statement again. */
enum store_result store_alias_targets(struct store *s, const char *source, struct store_address_list *t)
{
	char target[STORE_ADDRESS_MAX + 1];
	MYSQL_STMT *st = store_q_exec(s, Q_ALIAS_TARGETS, "s", source);
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	t->n = 0;
	while ((rc = store_q_fetch(s, st, "s", target, sizeof target)) > 0) {
		if (array_reserve(&t->addr, &t->cap, t->n, sizeof *t->addr) < 0) {
			store_q_end(st);
			store_fail(s, 0, "out of memory reading aliases");
			return STORE_TEMPFAIL;
		}
		strcpy(t->addr[t->n++], target);
	}
	return rc < 0 ? STORE_TEMPFAIL : STORE_OK;
}

static enum store_result reach(struct store *, const char *address, unsigned depth,
                               struct store_account_set *, unsigned *reached);

/* Follows every target of an alias source. */
static enum store_result reach_targets(struct store *s, const char *source, unsigned depth,
                                       struct store_account_set *set, unsigned *reached)
{
	struct store_address_list t = {0};
	enum store_result r = store_alias_targets(s, source, &t);
	for (size_t i = 0; r == STORE_OK && i < t.n; i++)
		r = reach(s, t.addr[i], depth + 1, set, reached);
	free(t.addr);
	return r;
}

/* An active account of that address, else the aliases of that address. */
static enum store_result reach(struct store *s, const char *address, unsigned depth,
                               struct store_account_set *set, unsigned *reached)
{
	uint64_t id;
	char hash[STORE_HASH_MAX + 1];
	enum store_result r = store_find_account(s, address, &id, hash);
	if (r == STORE_OK) {
		++*reached;
		return store_account_set_add(set, id) < 0 ? STORE_TEMPFAIL : STORE_OK;
	}
	if (r != STORE_NOT_FOUND || depth >= STORE_ALIAS_DEPTH_MAX)
		return r == STORE_NOT_FOUND ? STORE_OK : r;
	return reach_targets(s, address, depth, set, reached);
}

enum store_result store_domain_is_local(struct store *s, const char *domain)
{
	uint64_t one;
	MYSQL_STMT *st = store_q_exec(s, Q_DOMAIN_EXISTS, "s", domain);
	return store_q_one(st, st ? store_q_fetch(s, st, "u", &one) : -1, STORE_NOT_LOCAL);
}

enum store_result store_resolve(struct store *s, const char *address, struct store_account_set *set)
{
	unsigned reached = 0;
	enum store_result r = reach(s, address, 0, set, &reached);
	if (r != STORE_OK || reached)
		return r;
	const char *domain = store_address_domain(address);
	if ((r = store_domain_is_local(s, domain)) != STORE_OK)
		return r;
	char catch_all[STORE_DOMAIN_MAX + 2];
	snprintf(catch_all, sizeof catch_all, "@%s", domain);
	r = reach_targets(s, catch_all, 0, set, &reached);
	return r != STORE_OK ? r : reached ? STORE_OK : STORE_NOT_FOUND;
}

static enum store_result recipient_body(struct store *s, void *ctx)
{
	struct store_account_set set = {0};
	enum store_result r = store_resolve(s, ctx, &set);
	free(set.ids);
	return r;
}

enum store_result store_recipient(struct store *s, const char *address)
{
	char canon[STORE_ADDRESS_MAX + 1];
	if (store_address_canonical(address, canon) < 0)
		return STORE_NOT_FOUND;
	return store_read(s, recipient_body, canon);
}
