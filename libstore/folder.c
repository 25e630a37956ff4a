/* IMAP's folders: listing, selecting, flags and expunges. UIDs are given at
 * delivery (deliver.c); a folder's HIGHESTMODSEQ rises with every change. */
#define _GNU_SOURCE
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "internal.h"
#include "summary.h"

static int fetch_folder(struct store *s, MYSQL_STMT *st, struct store_folder *f)
{
	uint64_t subscribed, uidvalidity, uidnext;
	int rc = store_q_fetch(s, st, "ussuuuu", &f->id, f->name, sizeof f->name, f->special_use, sizeof f->special_use,
	                       &subscribed, &uidvalidity, &uidnext, &f->highestmodseq);
	f->subscribed = subscribed != 0;
	f->uidvalidity = (uint32_t)uidvalidity;
	f->uidnext = (uint32_t)uidnext;
	return rc;
}

/* The account's folder of that name: STORE_OK, _NOT_FOUND or _TEMPFAIL. */
static enum store_result find_folder(struct store *s, uint64_t account_id, const char *name, struct store_folder *f)
{
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_FIND, "us", account_id, name);
	return store_q_one(st, st ? fetch_folder(s, st, f) : -1, STORE_NOT_FOUND);
}

struct list_args {
	uint64_t account_id;
	store_folder_fn fn;
	void *ctx;
};

static enum store_result list_body(struct store *s, void *ctx)
{
	struct list_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_LIST, "u", a->account_id);
	if (!st)
		return STORE_TEMPFAIL;
	struct store_folder f = {0};
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = fetch_folder(s, st, &f)) > 0; handed++)
		if (a->fn(a->ctx, &f)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	return store_q_rows(rc, handed);
}

enum store_result store_folder_list(struct store *s, uint64_t account_id, store_folder_fn fn, void *ctx)
{
	struct list_args a = {account_id, fn, ctx};
	return store_read(s, list_body, &a);
}

struct find_args {
	uint64_t account_id;
	const char *name;
	struct store_folder *f;
	int counted;
};

static enum store_result find_body(struct store *s, void *ctx)
{
	struct find_args *a = ctx;
	enum store_result r = find_folder(s, a->account_id, a->name, a->f);
	if (r != STORE_OK || !a->counted)
		return r;
	uint64_t messages, unseen, deleted;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_COUNTS, "u", a->f->id);
	if ((r = store_q_one(st, st ? store_q_fetch(s, st, "uuuu", &messages, &unseen, &deleted, &a->f->size) : -1,
	                     STORE_TEMPFAIL)) != STORE_OK)
		return r;
	a->f->messages = (uint32_t)messages;
	a->f->unseen = (uint32_t)unseen;
	a->f->deleted = (uint32_t)deleted;
	return STORE_OK;
}

static enum store_result find(struct store *s, uint64_t account_id, const char *name, struct store_folder *f,
                              int counted)
{
	struct find_args a = {account_id, name, f, counted};
	memset(f, 0, sizeof *f);
	return store_read(s, find_body, &a);
}

enum store_result store_folder_find(struct store *s, uint64_t account_id, const char *name, struct store_folder *f)
{
	return find(s, account_id, name, f, 0);
}

enum store_result store_folder_status(struct store *s, uint64_t account_id, const char *name, struct store_folder *f)
{
	return find(s, account_id, name, f, 1);
}

struct mail_args {
	uint64_t account_id, folder_id;
	store_mail_fn fn;
	void *ctx;
	uint64_t *highestmodseq;
};

static enum store_result mail_body(struct store *s, void *ctx)
{
	struct mail_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_MODSEQ, "uu", a->folder_id, a->account_id);
	enum store_result r = store_q_one(st, st ? store_q_fetch(s, st, "u", a->highestmodseq) : -1, STORE_NOT_FOUND);
	if (r != STORE_OK)
		return r;
	if (!(st = store_q_exec(s, Q_FOLDER_MAIL, "u", a->folder_id)))
		return STORE_TEMPFAIL;
	struct store_mail m;
	uint64_t uid, flags, arrived;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "uuuuuus", &m.id, &uid, &flags, &m.size, &m.modseq, &arrived,
	                                    m.keywords, sizeof m.keywords)) > 0; handed++) {
		m.uid = (uint32_t)uid;
		m.flags = (unsigned)flags;
		m.arrived = (int64_t)arrived;
		if (a->fn(a->ctx, &m)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	}
	return store_q_rows(rc, handed);
}

struct summaries_args {
	uint64_t account_id, folder_id;
	uint32_t lo, hi;
	store_summary_fn fn;
	void *ctx;
};

static enum store_result summaries_body(struct store *s, void *ctx)
{
	struct summaries_args *a = ctx;
	if (!s->chunk && !(s->chunk = malloc(STORE_CHUNK_SIZE)))
		return STORE_TEMPFAIL;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_SUMMARIES, "uuuu", a->folder_id, a->account_id, (uint64_t)a->lo,
	                              (uint64_t)a->hi);
	if (!st)
		return STORE_TEMPFAIL;
	uint64_t id, handed;
	size_t len;
	int rc;
	for (handed = 0; (rc = store_q_fetch(s, st, "ub", &id, s->chunk, (size_t)STORE_CHUNK_SIZE, &len)) > 0;
	     handed++) {
		if (a->fn(a->ctx, id, len ? (const char *)s->chunk : NULL, len)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	}
	return store_q_rows(rc, handed);
}

enum store_result store_folder_summaries(struct store *s, uint64_t account_id, uint64_t folder_id, uint32_t lo,
                                         uint32_t hi, store_summary_fn fn, void *ctx)
{
	_Static_assert(SUMMARY_MAX <= STORE_CHUNK_SIZE, "a kept summary fits the chunk buffer");
	struct summaries_args a = {account_id, folder_id, lo, hi, fn, ctx};
	return store_read(s, summaries_body, &a);
}

struct keep_args {
	uint64_t account_id, entry_id;
	const char *summary;
	size_t len;
};

static enum store_result keep_body(struct store *s, void *ctx)
{
	struct keep_args *a = ctx;
	return store_q_exec(s, Q_SUMMARY_KEEP, "buu", a->summary, a->len, a->entry_id, a->account_id) ? STORE_OK
	                                                                                              : STORE_TEMPFAIL;
}

enum store_result store_summary_keep(struct store *s, uint64_t account_id, uint64_t entry_id, const char *summary,
                                     size_t len)
{
	if (len > SUMMARY_MAX)
		return STORE_OK; /* made again when asked */
	struct keep_args a = {account_id, entry_id, summary, len};
	return store_txn(s, keep_body, &a);
}

struct modseq_args {
	uint64_t account_id, folder_id, *modseq;
};

static enum store_result modseq_body(struct store *s, void *ctx)
{
	struct modseq_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_MODSEQ, "uu", a->folder_id, a->account_id);
	return store_q_one(st, st ? store_q_fetch(s, st, "u", a->modseq) : -1, STORE_NOT_FOUND);
}

enum store_result store_folder_modseq(struct store *s, uint64_t account_id, uint64_t folder_id, uint64_t *modseq)
{
	struct modseq_args a = {account_id, folder_id, modseq};
	return store_read(s, modseq_body, &a);
}

enum store_result store_folder_mail(struct store *s, uint64_t account_id, uint64_t folder_id, store_mail_fn fn,
                                    void *ctx, uint64_t *highestmodseq)
{
	struct mail_args a = {account_id, folder_id, fn, ctx, highestmodseq};
	return store_read(s, mail_body, &a);
}

struct flags_args {
	uint64_t account_id, folder_id;
	const uint32_t *uids;
	size_t n;
	const struct store_flag_change *change;
	store_flags_fn fn;
	void *ctx;
	uint64_t *modseq;
};

/* Whether the space-separated list has the keyword (RFC 9051 2.3.2: case does not matter). */
static int has_keyword(const char *list, const char *word, size_t len)
{
	for (const char *p = list; *p; p += strcspn(p, " "), p += *p == ' ') {
		size_t n = strcspn(p, " ");
		if (n == len && !strncasecmp(p, word, len))
			return 1;
	}
	return 0;
}

/* Appends from's keywords to out (n long) but those it has and those in unless:
 * -1 when they pass STORE_KEYWORDS_MAX. */
static int add_keywords(char out[STORE_KEYWORDS_MAX + 1], size_t *n, const char *from, const char *unless)
{
	for (const char *p = from; *p; p += strcspn(p, " "), p += *p == ' ') {
		size_t len = strcspn(p, " ");
		if (!len || has_keyword(out, p, len) || (unless && has_keyword(unless, p, len)))
			continue;
		if (*n + !!*n + len > STORE_KEYWORDS_MAX)
			return -1;
		if (*n)
			out[(*n)++] = ' ';
		memcpy(out + *n, p, len);
		out[*n += len] = '\0';
	}
	return 0;
}

int store_flag_change_apply(const struct store_flag_change *c, unsigned *flags, const char *have,
                            char out[STORE_KEYWORDS_MAX + 1])
{
	size_t n = 0;
	*flags = c->op > 0 ? *flags | c->flags : c->op < 0 ? *flags & ~c->flags : c->flags;
	out[0] = '\0';
	if (!c->op)
		return add_keywords(out, &n, c->keywords, NULL);
	if (add_keywords(out, &n, have, c->op < 0 ? c->keywords : NULL) < 0)
		return -1;
	return c->op > 0 ? add_keywords(out, &n, c->keywords, NULL) : 0;
}

static enum store_result flags_body(struct store *s, void *ctx)
{
	struct flags_args *a = ctx;
	if (store_lock_account(s, a->account_id) < 0) /* lock order: the account first, as every writer */
		return STORE_TEMPFAIL;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_CHANGE, "uu", a->folder_id, a->account_id);
	if (!st)
		return STORE_TEMPFAIL;
	if (!store_q_affected(st))
		return STORE_NOT_FOUND; /* not this account's folder, or deleted meanwhile */
	st = store_q_exec(s, Q_FOLDER_MODSEQ, "uu", a->folder_id, a->account_id);
	enum store_result r = store_q_one(st, st ? store_q_fetch(s, st, "u", a->modseq) : -1, STORE_NOT_FOUND);
	for (size_t i = 0; r == STORE_OK && i < a->n; i++) {
		uint64_t flags, modseq;
		char have[STORE_KEYWORDS_MAX + 1], now[STORE_KEYWORDS_MAX + 1];
		int rc = -1;
		if ((st = store_q_exec(s, Q_ENTRY_FLAGS, "uu", a->folder_id, (uint64_t)a->uids[i])))
			rc = store_q_fetch(s, st, "usu", &flags, have, sizeof have, &modseq);
		if (rc <= 0) {
			r = rc < 0 ? STORE_TEMPFAIL : STORE_OK;
			if (!rc && a->fn) /* none: expunged meanwhile (said, as a retry may find what the first try did not) */
				a->fn(a->ctx, i, 0, "", 0, -1);
			continue;
		}
		store_q_end(st);
		if (a->change->unchanged_since && modseq > a->change->unchanged_since) {
			if (a->fn)
				a->fn(a->ctx, i, (unsigned)flags, have, modseq, 1);
			continue;
		}
		unsigned to = (unsigned)flags;
		int change = 0;
		if (store_flag_change_apply(a->change, &to, have, now) < 0)
			r = STORE_PERMFAIL;
		else if ((change = to != flags || strcmp(now, have)) &&
		         !store_q_exec(s, Q_ENTRY_SET_FLAGS, "usuuu", (uint64_t)to, now, *a->modseq, a->folder_id,
		                       (uint64_t)a->uids[i]))
			r = STORE_TEMPFAIL;
		else if (a->fn)
			a->fn(a->ctx, i, to, now, change ? *a->modseq : modseq, 0);
	}
	return r;
}

enum store_result store_folder_change_flags(struct store *s, uint64_t account_id, uint64_t folder_id,
                                            const uint32_t *uids, size_t n, const struct store_flag_change *change,
                                            store_flags_fn fn, void *ctx, uint64_t *modseq)
{
	struct flags_args a = {account_id, folder_id, uids, n, change, fn, ctx, modseq};
	return store_txn(s, flags_body, &a);
}

struct expunge_args {
	uint64_t account_id;
	const uint64_t *ids;
	size_t n;
	uint64_t *gone;
	size_t *n_gone;
};

static enum store_result expunge_body(struct store *s, void *ctx)
{
	struct expunge_args *a = ctx;
	return store_delete_entries(s, a->account_id, a->ids, a->n, STORE_FLAG_DELETED, a->gone, a->n_gone);
}

enum store_result store_folder_expunge(struct store *s, uint64_t account_id, const uint64_t *entry_ids, size_t n,
                                       uint64_t *gone, size_t *n_gone)
{
	struct expunge_args a = {account_id, entry_ids, n, gone, n_gone};
	return store_txn(s, expunge_body, &a);
}

struct change_args {
	uint64_t account_id;
	const char *name, *to;
	int subscribed;
};

static enum store_result create_body(struct store *s, void *ctx)
{
	struct change_args *a = ctx;
	if (store_q_exec(s, Q_FOLDER_CREATE, "us", a->account_id, a->name))
		return STORE_OK;
	return s->err_no == ER_DUP_ENTRY ? STORE_PERMFAIL : STORE_TEMPFAIL;
}

enum store_result store_folder_create(struct store *s, uint64_t account_id, const char *name)
{
	struct change_args a = {account_id, name, NULL, 0};
	return store_txn(s, create_body, &a);
}

struct adopt_args {
	uint64_t account_id, folder_id;
	enum query_id q; /* FOLDER_ADOPT or FOLDER_UIDNEXT_AT_LEAST */
	uint32_t value;  /* the UIDVALIDITY, or the UIDNEXT */
};

static enum store_result adopt_body(struct store *s, void *ctx)
{
	struct adopt_args *a = ctx;
	return store_q_exec(s, a->q, "uuu", (uint64_t)a->value, a->folder_id, a->account_id) ? STORE_OK : STORE_TEMPFAIL;
}

enum store_result store_admin_folder_adopt(struct store *s, uint64_t account_id, const char *name,
                                           uint32_t uidvalidity, struct store_folder *f)
{
	enum store_result r = store_folder_find(s, account_id, name, f);
	if (r == STORE_NOT_FOUND && (r = store_folder_create(s, account_id, name)) == STORE_OK)
		r = store_folder_find(s, account_id, name, f);
	if (r != STORE_OK || !uidvalidity)
		return r;
	struct adopt_args a = {account_id, f->id, Q_FOLDER_ADOPT, uidvalidity};
	if ((r = store_txn(s, adopt_body, &a)) == STORE_OK)
		r = store_folder_find(s, account_id, name, f);
	return r;
}

enum store_result store_admin_folder_uidnext(struct store *s, uint64_t account_id, uint64_t folder_id, uint32_t uidnext)
{
	struct adopt_args a = {account_id, folder_id, Q_FOLDER_UIDNEXT_AT_LEAST, uidnext};
	return store_txn(s, adopt_body, &a);
}

int store_id_list_add(struct store_id_list *l, uint64_t id)
{
	if (array_reserve(&l->ids, &l->cap, l->n, sizeof *l->ids) < 0)
		return -1;
	l->ids[l->n++] = id;
	return 0;
}

static enum store_result delete_body(struct store *s, void *ctx)
{
	struct change_args *a = ctx;
	struct store_folder f;
	if (store_lock_account(s, a->account_id) < 0) /* no delivery into it until it is gone */
		return STORE_TEMPFAIL;
	enum store_result r = find_folder(s, a->account_id, a->name, &f);
	if (r != STORE_OK)
		return r;
	struct store_id_list l = {0};
	uint64_t id;
	int rc = -1;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_ENTRIES, "u", f.id);
	if (st)
		while ((rc = store_q_fetch(s, st, "u", &id)) > 0 && store_id_list_add(&l, id) == 0)
			;
	if (rc > 0)
		store_q_end(st);
	r = rc == 0 && store_delete_entries(s, a->account_id, l.ids, l.n, 0, NULL, NULL) == STORE_OK &&
	            store_q_exec(s, Q_FOLDER_DELETE, "u", f.id) ? STORE_OK : STORE_TEMPFAIL;
	free(l.ids);
	return r;
}

enum store_result store_folder_delete(struct store *s, uint64_t account_id, const char *name)
{
	struct change_args a = {account_id, name, NULL, 0};
	return store_txn(s, delete_body, &a);
}

static enum store_result rename_body(struct store *s, void *ctx)
{
	struct change_args *a = ctx;
	struct store_folder f;
	enum store_result r = find_folder(s, a->account_id, a->to, &f);
	if (r != STORE_NOT_FOUND)
		return r == STORE_OK ? STORE_PERMFAIL : r; /* the new name is taken */
	if ((r = find_folder(s, a->account_id, a->name, &f)) != STORE_OK)
		return r;
	if (!strcmp(a->name, "INBOX")) {
		MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_CREATE_FROM, "su", a->to, f.id);
		if (!st)
			return s->err_no == ER_DUP_ENTRY ? STORE_PERMFAIL : STORE_TEMPFAIL;
		return store_q_exec(s, Q_ENTRY_MOVE_ALL, "uu", store_q_insert_id(st), f.id) &&
		               store_q_exec(s, Q_FOLDER_EXPUNGED, "u", f.id) ? STORE_OK : STORE_TEMPFAIL;
	}
	char below[STORE_FOLDER_MAX + 2];
	snprintf(below, sizeof below, "%s/", a->name);
	uint64_t len = 0; /* in characters, as SUBSTRING and LEFT count them */
	for (const unsigned char *p = (const unsigned char *)a->name; *p; p++)
		len += (*p & 0xc0) != 0x80; /* UTF-8: each character has one octet that is not 10xxxxxx */
	if (store_q_exec(s, Q_FOLDER_RENAME, "suusus", a->to, len + 1, a->account_id, a->name, len + 1, below))
		return STORE_OK;
	return s->err_no == ER_DUP_ENTRY ? STORE_PERMFAIL : STORE_TEMPFAIL;
}

enum store_result store_folder_rename(struct store *s, uint64_t account_id, const char *from, const char *to)
{
	struct change_args a = {account_id, from, to, 0};
	return store_txn(s, rename_body, &a);
}

static enum store_result subscribe_body(struct store *s, void *ctx)
{
	struct change_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_FOLDER_SUBSCRIBE, "uus", (uint64_t)a->subscribed, a->account_id, a->name);
	if (!st)
		return STORE_TEMPFAIL;
	if (store_q_affected(st))
		return STORE_OK;
	struct store_folder f; /* no row changed: none of that name, or it was so already */
	return find_folder(s, a->account_id, a->name, &f);
}

enum store_result store_folder_subscribe(struct store *s, uint64_t account_id, const char *name, int subscribed)
{
	struct change_args a = {account_id, name, NULL, subscribed};
	return store_txn(s, subscribe_body, &a);
}

struct copy_args {
	uint64_t account_id, from, to;
	struct store_copy *c;
};

static enum store_result copy_body(struct store *s, void *ctx)
{
	struct copy_args *a = ctx;
	struct store_copy *c = a->c;
	uint64_t uidnext, modseq, validity, bytes = 0, copied = 0;
	MYSQL_STMT *st;
	if (store_lock_account(s, a->account_id) < 0)
		return STORE_TEMPFAIL;
	if (!(st = store_q_exec(s, Q_FOLDER_TAKE_UIDS, "uuu", (uint64_t)c->n, a->to, a->account_id)))
		return STORE_TEMPFAIL;
	if (!store_q_affected(st))
		return STORE_NOT_FOUND;
	st = store_q_exec(s, Q_FOLDER_NEXT, "u", a->to);
	enum store_result r = store_q_one(st, st ? store_q_fetch(s, st, "uuu", &uidnext, &modseq, &validity) : -1,
	                                  STORE_NOT_FOUND);
	if (r != STORE_OK)
		return r;
	c->first_uid = (uint32_t)(uidnext - c->n);
	c->uidvalidity = (uint32_t)validity;
	if (c->move && !store_q_exec(s, Q_FOLDER_EXPUNGED, "u", a->from)) /* the source loses them: a change too */
		return STORE_TEMPFAIL;
	for (size_t i = 0; i < c->n; i++) {
		uint64_t uid = c->first_uid + copied;
		char uidl[STORE_UIDL_MAX + 1];
		if (c->move) {
			st = store_q_exec(s, Q_ENTRY_MOVE, "uuuuu", a->to, uid, modseq, c->entry_ids[i], a->account_id);
		} else {
			store_random_hex(uidl, 16);
			st = store_q_exec(s, Q_ENTRY_COPY, "suuuuu", uidl, a->to, uid, modseq, c->entry_ids[i], a->account_id);
		}
		if (!st)
			return STORE_TEMPFAIL;
		c->done[i] = store_q_affected(st) != 0; /* 0: expunged meanwhile */
		copied += c->done[i];
		if (c->done[i] && !c->move) {
			if (!store_q_exec(s, Q_MESSAGE_REF_ENTRY, "u", c->entry_ids[i]))
				return STORE_TEMPFAIL;
			bytes += c->sizes[i];
		}
	}
	if (copied < c->n && !store_q_exec(s, Q_FOLDER_RETURN_UIDS, "uu", (uint64_t)c->n - copied, a->to))
		return STORE_TEMPFAIL; /* none of them was seen outside this transaction */
	if (!bytes)
		return STORE_OK;
	if (!(st = store_q_exec(s, Q_ACCOUNT_CHARGE, "uuuu", bytes, a->account_id, (uint64_t)0, bytes)))
		return STORE_TEMPFAIL;
	return store_q_affected(st) ? STORE_OK : STORE_OVER_QUOTA;
}

enum store_result store_folder_copy(struct store *s, uint64_t account_id, uint64_t from, uint64_t to,
                                    struct store_copy *c)
{
	struct copy_args a = {account_id, from, to, c};
	return store_txn(s, copy_body, &a);
}
