#define _GNU_SOURCE
#include <string.h>

#include "backend.h"
#include "log.h"
#include "session.h"

static enum store_result be_auth(void *ctx, const char *user, const char *password, struct store_account *out)
{
	struct imap_store *b = ctx;
	enum store_result r = store_auth(b->store, user, password, out);
	if (r == STORE_OK)
		strcpy(b->user, out->address);
	return r;
}

/* A database fault, in the session's log (the client hears [UNAVAILABLE]). */
static enum store_result logged(struct imap_store *b, const char *what, enum store_result r)
{
	if (r == STORE_TEMPFAIL || r == STORE_UNKNOWN)
		log_session(LOG_WARNING, b->user, "store-failed", "%s: %s: %s", what, store_result_name(r),
		            store_error(b->store));
	return r;
}

static enum store_result be_folders(void *ctx, uint64_t account_id, store_folder_fn fn, void *fn_ctx)
{
	struct imap_store *b = ctx;
	return logged(b, "folders", store_folder_list(b->store, account_id, fn, fn_ctx));
}

static enum store_result be_folder(void *ctx, uint64_t account_id, const char *name, struct store_folder *out)
{
	struct imap_store *b = ctx;
	return logged(b, "folder", store_folder_find(b->store, account_id, name, out));
}

static enum store_result be_status(void *ctx, uint64_t account_id, const char *name, struct store_folder *out)
{
	struct imap_store *b = ctx;
	return logged(b, "status", store_folder_status(b->store, account_id, name, out));
}

static enum store_result be_mail(void *ctx, uint64_t account_id, uint64_t folder_id, store_mail_fn fn, void *fn_ctx,
                                 uint64_t *highestmodseq)
{
	struct imap_store *b = ctx;
	return logged(b, "mail", store_folder_mail(b->store, account_id, folder_id, fn, fn_ctx, highestmodseq));
}

static enum store_result be_read(void *ctx, uint64_t account_id, const struct store_entry_ref *entries, size_t n,
                                 long body_lines, store_data_fn fn, void *fn_ctx)
{
	struct imap_store *b = ctx;
	return logged(b, "read", store_maildrop_read(b->store, account_id, entries, n, body_lines, fn, fn_ctx));
}

static enum store_result be_change_flags(void *ctx, uint64_t account_id, uint64_t folder_id, const uint32_t *uids,
                                         size_t n, const struct store_flag_change *change, store_flags_fn fn,
                                         void *fn_ctx, uint64_t *modseq)
{
	struct imap_store *b = ctx;
	return logged(b, "flags", store_folder_change_flags(b->store, account_id, folder_id, uids, n, change, fn, fn_ctx,
	                                                     modseq));
}

static enum store_result be_expunge(void *ctx, uint64_t account_id, const uint64_t *ids, size_t n, uint64_t *gone,
                                    size_t *n_gone)
{
	struct imap_store *b = ctx;
	return logged(b, "expunge", store_folder_expunge(b->store, account_id, ids, n, gone, n_gone));
}

static enum store_result be_create(void *ctx, uint64_t account_id, const char *name)
{
	struct imap_store *b = ctx;
	return logged(b, "create", store_folder_create(b->store, account_id, name));
}

static enum store_result be_remove(void *ctx, uint64_t account_id, const char *name)
{
	struct imap_store *b = ctx;
	return logged(b, "delete", store_folder_delete(b->store, account_id, name));
}

static enum store_result be_rename(void *ctx, uint64_t account_id, const char *from, const char *to)
{
	struct imap_store *b = ctx;
	return logged(b, "rename", store_folder_rename(b->store, account_id, from, to));
}

static enum store_result be_subscribe(void *ctx, uint64_t account_id, const char *name, int subscribed)
{
	struct imap_store *b = ctx;
	return logged(b, "subscribe", store_folder_subscribe(b->store, account_id, name, subscribed));
}

static enum store_result be_modseq(void *ctx, uint64_t account_id, uint64_t folder_id, uint64_t *modseq)
{
	struct imap_store *b = ctx;
	return logged(b, "modseq", store_folder_modseq(b->store, account_id, folder_id, modseq));
}

static enum store_result be_copy(void *ctx, uint64_t account_id, uint64_t from, uint64_t to, struct store_copy *c)
{
	struct imap_store *b = ctx;
	return logged(b, c->move ? "move" : "copy", store_folder_copy(b->store, account_id, from, to, c));
}

static int be_append_begin(void *ctx, const char *address, uint64_t folder_id, unsigned flags, const char *keywords,
                           int64_t date)
{
	struct imap_store *b = ctx;
	b->append = store_append_begin(b->store, address, folder_id, flags, keywords, date);
	return b->append ? 0 : -1;
}

static enum store_result be_append_write(void *ctx, const void *data, size_t len)
{
	struct imap_store *b = ctx;
	return store_delivery_write(b->append, data, len);
}

static enum store_result be_append_commit(void *ctx, uint32_t *uid, uint32_t *uidvalidity)
{
	struct imap_store *b = ctx;
	struct store_delivery_result res;
	enum store_result r = logged(b, "append", store_delivery_commit(b->append, &res));
	if (r == STORE_OK && res.delivered != 1) /* the account went away meanwhile: nothing was stored */
		r = STORE_NOT_FOUND;
	if (r == STORE_OK)
		store_append_uid(b->append, uid, uidvalidity);
	store_delivery_free(b->append);
	b->append = NULL;
	return r;
}

static void be_append_abort(void *ctx)
{
	struct imap_store *b = ctx;
	store_delivery_free(b->append);
	b->append = NULL;
}

static enum store_result be_summaries(void *ctx, uint64_t account_id, uint64_t folder_id, uint32_t lo, uint32_t hi,
                                      store_summary_fn fn, void *fn_ctx)
{
	struct imap_store *b = ctx;
	return logged(b, "summaries", store_folder_summaries(b->store, account_id, folder_id, lo, hi, fn, fn_ctx));
}

static enum store_result be_keep_summary(void *ctx, uint64_t account_id, uint64_t entry_id, const char *summary,
                                         size_t len)
{
	struct imap_store *b = ctx;
	return logged(b, "keep-summary", store_summary_keep(b->store, account_id, entry_id, summary, len));
}

static enum store_result be_usage(void *ctx, uint64_t account_id, uint64_t *used, uint64_t *quota)
{
	struct imap_store *b = ctx;
	return logged(b, "usage", store_account_usage(b->store, account_id, used, quota));
}

static void be_rest(void *ctx)
{
	struct imap_store *b = ctx;
	store_rest(b->store);
}

void imap_store_backend(struct imap_store *b, struct imap_backend *be)
{
	*be = (struct imap_backend){
		.ctx = b,
		.auth = be_auth,
		.folders = be_folders,
		.folder = be_folder,
		.status = be_status,
		.rest = be_rest,
		.mail = be_mail,
		.read = be_read,
		.change_flags = be_change_flags,
		.expunge = be_expunge,
		.delay = session_backend_pause,
		.logged = session_backend_logged,
		.create = be_create,
		.remove = be_remove,
		.rename = be_rename,
		.subscribe = be_subscribe,
		.modseq = be_modseq,
		.copy = be_copy,
		.append_begin = be_append_begin,
		.append_write = be_append_write,
		.append_commit = be_append_commit,
		.append_abort = be_append_abort,
		.summaries = be_summaries,
		.keep_summary = be_keep_summary,
		.usage = be_usage,
	};
}
