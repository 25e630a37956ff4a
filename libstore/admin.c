/* Administration for mailctl: accounts, quotas, garbage collection, migrations
 * (domains and aliases: domains.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SQL_FILE_MAX (1024 * 1024) /* a schema or migration script; far above any real one */
#define GC_BATCH 1000              /* the LIMIT of Q_MESSAGE_ORPHANS */

struct account_args {
	char address[STORE_ADDRESS_MAX + 1];
	const char *hash;
	uint64_t value; /* the quota, or the active flag */
	int domain_created;
};

/* The id of an account, active or not. */
static enum store_result account_id(struct store *s, const char *address, uint64_t *id)
{
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_ID_ANY, "s", address);
	int rc = st ? store_q_fetch(s, st, "u", id) : -1;
	if (rc <= 0)
		return rc < 0 ? STORE_TEMPFAIL : STORE_NOT_FOUND;
	store_q_end(st);
	return STORE_OK;
}

/* An account in a domain that is not local yet makes it local. */
static enum store_result add_body(struct store *s, void *ctx)
{
	struct account_args *a = ctx;
	const char *domain = store_address_domain(a->address);
	enum store_result r = store_add_domain(s, domain, &a->domain_created);
	if (r != STORE_OK)
		return r;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_INSERT, "ss", a->address, a->hash);
	if (!st) {
		if (s->err_no != ER_DUP_ENTRY)
			return STORE_TEMPFAIL;
		store_refuse(s, "%s: the account exists already", a->address);
		return STORE_PERMFAIL;
	}
	if (store_folder_defaults(s, store_q_insert_id(st)) != STORE_OK)
		return STORE_TEMPFAIL;
	return store_postmaster_fix(s, domain);
}

static enum store_result set_hash_body(struct store *s, void *ctx)
{
	struct account_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_SET_HASH, "ss", a->hash, a->address);
	return !st ? STORE_TEMPFAIL : store_q_affected(st) ? STORE_OK : STORE_NOT_FOUND;
}

static enum store_result set_active_body(struct store *s, void *ctx)
{
	struct account_args *a = ctx;
	uint64_t id;
	enum store_result r = account_id(s, a->address, &id);
	if (r != STORE_OK)
		return r;
	return store_q_exec(s, Q_ACCOUNT_SET_ACTIVE, "us", a->value, a->address) ? STORE_OK : STORE_TEMPFAIL;
}

static enum store_result set_quota_body(struct store *s, void *ctx)
{
	struct account_args *a = ctx;
	uint64_t id;
	enum store_result r = account_id(s, a->address, &id);
	if (r != STORE_OK)
		return r;
	return store_q_exec(s, Q_ACCOUNT_SET_QUOTA, "ns", a->value, a->address) ? STORE_OK : STORE_TEMPFAIL;
}

static enum store_result run_account(struct store *s, store_txn_body body, const char *address,
                                     const char *hash, uint64_t value)
{
	struct account_args a = {.hash = hash, .value = value};
	if (store_address_canonical(address, a.address) < 0)
		return STORE_PERMFAIL;
	return store_txn(s, body, &a);
}

enum store_result store_admin_add(struct store *s, const char *address, const char *hash, int *domain_created)
{
	struct account_args a = {.hash = hash};
	*domain_created = 0;
	if (store_address_canonical(address, a.address) < 0)
		return STORE_PERMFAIL;
	enum store_result r = store_txn(s, add_body, &a);
	*domain_created = r == STORE_OK && a.domain_created;
	return r;
}

enum store_result store_admin_set_password(struct store *s, const char *address, const char *hash)
{
	return run_account(s, set_hash_body, address, hash, 0);
}

enum store_result store_admin_set_active(struct store *s, const char *address, int active)
{
	return run_account(s, set_active_body, address, NULL, active != 0);
}

enum store_result store_admin_set_quota(struct store *s, const char *address, uint64_t quota_bytes)
{
	return run_account(s, set_quota_body, address, NULL, quota_bytes);
}

static enum store_result delete_account_body(struct store *s, void *ctx)
{
	struct account_args *a = ctx;
	uint64_t id;
	enum store_result r = account_id(s, a->address, &id);
	return r == STORE_OK ? store_delete_account(s, id, a->address) : r;
}

enum store_result store_admin_delete(struct store *s, const char *address)
{
	return run_account(s, delete_account_body, address, NULL, 0);
}

struct list_args {
	store_account_fn fn;
	void *ctx;
};

static enum store_result list_body(struct store *s, void *ctx)
{
	struct list_args *a = ctx;
	struct store_account_info i;
	uint64_t active;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_LIST, "");
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "suuuu", i.address, sizeof i.address, &active, &i.quota_bytes,
	                                    &i.used_bytes, &i.messages)) > 0; handed++) {
		i.active = active == 1;
		if (a->fn(a->ctx, &i)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	}
	return store_q_rows(rc, handed);
}

enum store_result store_admin_list(struct store *s, store_account_fn fn, void *ctx)
{
	struct list_args a = {fn, ctx};
	return store_read(s, list_body, &a);
}

struct gc_args {
	unsigned min_age;
	uint64_t ids[GC_BATCH];
	size_t n;
};

static enum store_result find_orphans_body(struct store *s, void *ctx)
{
	struct gc_args *g = ctx;
	g->n = 0;
	MYSQL_STMT *st = store_q_exec(s, Q_MESSAGE_ORPHANS, "u", (uint64_t)g->min_age);
	if (!st)
		return STORE_TEMPFAIL;
	int rc = 0;
	while (g->n < GC_BATCH && (rc = store_q_fetch(s, st, "u", &g->ids[g->n])) > 0)
		g->n++;
	store_q_end(st);
	return rc < 0 ? STORE_TEMPFAIL : STORE_OK;
}

enum store_result store_admin_gc(struct store *s, unsigned min_age_seconds, uint64_t *removed)
{
	struct gc_args *g = malloc(sizeof *g);
	enum store_result r = STORE_TEMPFAIL;
	*removed = 0;
	if (!g)
		return r;
	g->min_age = min_age_seconds;
	while ((r = store_txn(s, find_orphans_body, g)) == STORE_OK && g->n > 0) {
		for (size_t i = 0; i < g->n && r == STORE_OK; i++)
			r = store_drop_content(s, g->ids[i]);
		if (r != STORE_OK)
			break;
		*removed += g->n;
	}
	free(g);
	return r;
}

/* Runs a whole SQL script: DDL cannot be prepared, and these files come from
 * the administrator's installation, never from a client. */
static enum store_result run_script(struct store *s, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		store_fail(s, 0, "cannot open SQL file");
		return STORE_PERMFAIL;
	}
	char *sql = malloc(SQL_FILE_MAX + 1);
	size_t n = sql ? fread(sql, 1, SQL_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!sql || n > SQL_FILE_MAX) {
		free(sql);
		store_fail(s, 0, "SQL file missing or too large");
		return STORE_PERMFAIL;
	}
	enum store_result r = STORE_OK;
	mysql_set_server_option(s->db, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	int status = mysql_real_query(s->db, sql, n);
	while (status == 0) {
		MYSQL_RES *res = mysql_store_result(s->db);
		if (res)
			mysql_free_result(res);
		status = mysql_next_result(s->db);
	}
	if (status > 0) {
		store_fail(s, mysql_errno(s->db), mysql_error(s->db));
		r = STORE_PERMFAIL;
	}
	mysql_set_server_option(s->db, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	free(sql);
	if (r == STORE_OK && mysql_commit(s->db)) {
		store_fail(s, mysql_errno(s->db), mysql_error(s->db));
		r = STORE_TEMPFAIL;
	}
	return r;
}

static enum store_result query_number(struct store *s, enum query_id q, unsigned *out)
{
	uint64_t v;
	MYSQL_STMT *st = store_q_exec(s, q, "");
	int rc = st ? store_q_fetch(s, st, "u", &v) : -1;
	if (rc <= 0)
		return STORE_TEMPFAIL;
	store_q_end(st);
	mysql_commit(s->db);
	*out = (unsigned)v;
	return STORE_OK;
}

static int migration_version(const struct dirent *e)
{
	unsigned v;
	int end = 0;
	size_t len = strlen(e->d_name);
	if (len < 9 || strcmp(e->d_name + len - 4, ".sql") || sscanf(e->d_name, "%4u_%n", &v, &end) != 1 ||
	    end != 5)
		return 0;
	return (int)v;
}

static int migration_cmp(const struct dirent **a, const struct dirent **b)
{
	return migration_version(*a) - migration_version(*b);
}

enum store_result store_admin_migrate(struct store *s, const char *sql_dir, unsigned *from, unsigned *to)
{
	char path[4096];
	unsigned has_schema;
	enum store_result r;
	if (store_connect(s) < 0)
		return STORE_TEMPFAIL;
	if ((r = query_number(s, Q_SCHEMA_TABLES, &has_schema)) != STORE_OK)
		return r;
	*from = 0;
	if (has_schema && (r = query_number(s, Q_SCHEMA_VERSION, from)) != STORE_OK)
		return r;
	if (!has_schema) {
		snprintf(path, sizeof path, "%s/schema.sql", sql_dir);
		if ((r = run_script(s, path)) != STORE_OK)
			return r;
	}
	if ((r = query_number(s, Q_SCHEMA_VERSION, to)) != STORE_OK)
		return r;
	snprintf(path, sizeof path, "%s/migrations", sql_dir);
	struct dirent **list;
	int n = scandir(path, &list, migration_version, migration_cmp);
	for (int i = 0; i < n; i++) {
		unsigned v = (unsigned)migration_version(list[i]);
		if (r == STORE_OK && v > *to) {
			snprintf(path, sizeof path, "%s/migrations/%s", sql_dir, list[i]->d_name);
			if ((r = run_script(s, path)) == STORE_OK) {
				if (store_q_exec(s, Q_SCHEMA_SET, "u", (uint64_t)v) && mysql_commit(s->db) == 0)
					*to = v;
				else
					r = STORE_TEMPFAIL;
			}
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return r;
}
