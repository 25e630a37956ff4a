/* libstore for administration (mailctl): accounts, domains and aliases, the
 * queue as an administrator sees it, the login penalty, imports, clean-up and
 * the schema. The handlers and the relay agent do not include this. */
#ifndef INETMAIL_STORE_ADMIN_H
#define INETMAIL_STORE_ADMIN_H

#include "store.h"

/* mailctl penalty: the clients with failed logins in the window, and how
 * long their next login waits; clear forgets a client's (an address, as
 * the handlers key it: IPv6 by its /64) or, with NULL, everyone's. */
struct store_penalty_info {
	char client[64];
	uint64_t failures, accounts; /* failed logins in the window, and for how many addresses */
	uint64_t last_seconds;       /* since the last one */
	uint64_t wait_seconds;       /* what its next login waits */
};
typedef int (*store_penalty_fn)(void *ctx, const struct store_penalty_info *);
enum store_result store_admin_penalty_list(struct store *, store_penalty_fn, void *ctx);
enum store_result store_admin_penalty_clear(struct store *, const char *address, uint64_t *n);

/* An imported message (mailctl): to the account at address, under uidl (the
 * old server's, so POP3 clients see nothing new; "" for a fresh one), charged
 * to it but never refused for quota. Its commit says STORE_PERMFAIL when that
 * mailbox has the UIDL already. */
struct store_delivery *store_import_begin(struct store *, const char *address, const char *uidl);
/* An import's UIDL, given once its content is known (before the commit): 0, or -1 when too long. */
int store_import_uidl(struct store_delivery *, const char *uidl);
/* Every entry of the account, in every folder (store_maildrop_list has INBOX's). */
enum store_result store_admin_entries(struct store *, uint64_t account_id, store_entry_fn, void *ctx);
/* An import into a folder (by id), under the UID it had (0: the next; one
 * behind the folder's UIDNEXT gets the next too), with its flags, keywords
 * (space-separated) and INTERNALDATE (0: now). */
void store_import_into(struct store_delivery *, uint64_t folder_id, uint32_t uid, unsigned flags, const char *keywords,
                       int64_t date);
/* The account's folder of that name, made if it has none; an empty one takes
 * uidvalidity (the old server's; 0: it keeps its own), so that IMAP clients
 * see the same UIDs after a move. *f: the folder as it is then. */
enum store_result store_admin_folder_adopt(struct store *, uint64_t account_id, const char *name,
                                           uint32_t uidvalidity, struct store_folder *f);
/* Its UIDNEXT raised to uidnext (the old server's, once its mail is in), never lowered. */
enum store_result store_admin_folder_uidnext(struct store *, uint64_t account_id, uint64_t folder_id,
                                             uint32_t uidnext);

/* Administration (mailctl). */
struct store_account_info {
	char address[STORE_ADDRESS_MAX + 1];
	int active;
	uint64_t quota_bytes; /* UINT64_MAX: no quota */
	uint64_t used_bytes;
	uint64_t messages;
};
typedef int (*store_account_fn)(void *ctx, const struct store_account_info *);

/* Adds an account; in a domain that was not local, makes it local (and says so). */
enum store_result store_admin_add(struct store *, const char *address, const char *hash, int *domain_created);
enum store_result store_admin_set_password(struct store *, const char *address, const char *hash);
enum store_result store_admin_set_quota(struct store *, const char *address, uint64_t quota_bytes);
enum store_result store_admin_set_active(struct store *, const char *address, int active);
enum store_result store_admin_delete(struct store *, const char *address);
enum store_result store_admin_list(struct store *, store_account_fn, void *ctx);
/* Domains and aliases. Refusals (STORE_PERMFAIL, _NOT_FOUND, _NOT_LOCAL)
 * leave their reason in store_error(). */
struct store_domain_info {
	char name[STORE_DOMAIN_MAX + 1];
	uint64_t accounts, aliases;
};
typedef int (*store_domain_fn)(void *ctx, const struct store_domain_info *);
typedef int (*store_alias_fn)(void *ctx, const char *source, const char *target);
/* postmaster: an existing account that postmaster@domain leads to, or NULL. */
enum store_result store_admin_domain_add(struct store *, const char *domain, const char *postmaster, int *created);
/* Refused while accounts or aliases remain, unless force (which deletes them). */
enum store_result store_admin_domain_del(struct store *, const char *domain, int force);
enum store_result store_admin_domain_list(struct store *, store_domain_fn, void *ctx);
/* source: an address in a local domain, or "@domain" (the catch-all); each
 * target an account or an alias. Loops and chains deeper than resolution
 * follows are refused. */
enum store_result store_admin_alias_add(struct store *, const char *source, const char *const *targets, size_t n);
/* n == 0: every target of source. */
enum store_result store_admin_alias_del(struct store *, const char *source, const char *const *targets, size_t n);
enum store_result store_admin_alias_list(struct store *, const char *domain /* NULL: all */, store_alias_fn, void *ctx);
/* The relay queue: a row per remote recipient still to be delivered. */
struct store_queue_info {
	uint64_t id;
	char sender[STORE_ADDRESS_MAX + 1]; /* "" for <> */
	char recipient[STORE_ADDRESS_MAX + 1];
	uint64_t age_seconds;
	uint64_t attempts;
	uint64_t next_try_seconds; /* 0: due now */
	char last_answer[1001];    /* the last attempt's outcome, "" before the first */
	char lease_owner[65];      /* the agent delivering it now (host:pid:token), "" none */
	uint64_t lease_seconds;    /* how long its lease still runs */
};
typedef int (*store_queue_fn)(void *ctx, const struct store_queue_info *);
enum store_result store_admin_queue_list(struct store *, store_queue_fn, void *ctx);
/* Every waiting row due now; *n how many were waiting for a later try. */
enum store_result store_admin_queue_flush(struct store *, uint64_t *n);
/* Removes a row, with a bounce to its sender as a refusal would: STORE_NOT_FOUND
 * when there is no such row, STORE_IN_USE while an agent is delivering it. */
enum store_result store_admin_queue_del(struct store *, uint64_t id);
/* Removes content left invisible (refs = 0) for longer than min_age_seconds. */
enum store_result store_admin_gc(struct store *, unsigned min_age_seconds, uint64_t *removed);
/* Brings the schema to the newest version found in sql_dir (schema.sql into
 * an empty database, then migrations/NNNN_*.sql above the current version). */
enum store_result store_admin_migrate(struct store *, const char *sql_dir, unsigned *from, unsigned *to);

#endif
