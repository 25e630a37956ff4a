#define _GNU_SOURCE
#include <string.h>

#include "backend.h"
#include "log.h"
#include "session.h"

static enum store_result be_auth(void *ctx, const char *user, const char *password, struct store_account *out)
{
	struct pop3_store *b = ctx;
	enum store_result r = store_auth(b->store, user, password, out);
	if (r == STORE_OK)
		strcpy(b->user, out->address);
	return r;
}

static enum store_result be_lock(void *ctx, uint64_t account_id)
{
	struct pop3_store *b = ctx;
	return store_maildrop_lock(b->store, account_id, b->lock_ttl_s);
}

static void be_unlock(void *ctx, uint64_t account_id)
{
	struct pop3_store *b = ctx;
	store_maildrop_unlock(b->store, account_id); /* if this fails, the lock expires */
}

static enum store_result be_keep(void *ctx, uint64_t account_id)
{
	struct pop3_store *b = ctx;
	enum store_result r = store_maildrop_keep(b->store, account_id, b->lock_ttl_s);
	if (r != STORE_OK && r != STORE_IN_USE) /* a database fault: the lock may hold until the next try */
		log_session(LOG_WARNING, b->user, "store-failed", "lock renewal: %s: %s", store_result_name(r),
		            store_error(b->store));
	return r;
}

static enum store_result be_list(void *ctx, uint64_t account_id, store_entry_fn fn, void *fn_ctx)
{
	struct pop3_store *b = ctx;
	return store_maildrop_list(b->store, account_id, fn, fn_ctx);
}

static enum store_result be_read(void *ctx, uint64_t account_id, const struct store_entry_ref *entries, size_t n,
                                 long body_lines, store_data_fn fn, void *fn_ctx)
{
	struct pop3_store *b = ctx;
	return store_maildrop_read(b->store, account_id, entries, n, body_lines, fn, fn_ctx);
}

static enum store_result be_delete(void *ctx, uint64_t account_id, const uint64_t *ids, size_t n)
{
	struct pop3_store *b = ctx;
	enum store_result r = store_maildrop_delete(b->store, account_id, ids, n, b->lock_ttl_s);
	if (r != STORE_OK)
		log_session(LOG_WARNING, b->user, "store-failed", "%s: %s", store_result_name(r), store_error(b->store));
	return r;
}

void pop3_store_backend(struct pop3_store *b, struct pop3_backend *be)
{
	*be = (struct pop3_backend){
		.ctx = b,
		.auth = be_auth,
		.lock = be_lock,
		.unlock = be_unlock,
		.list = be_list,
		.read = be_read,
		.delete = be_delete,
		.delay = session_backend_pause,
		.logged = session_backend_logged,
		.keep = be_keep,
	};
}
