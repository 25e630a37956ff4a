/* The POP3 maildrop: lock, list, stream out, delete. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "internal.h"

struct lock_args {
	uint64_t account_id;
	unsigned ttl;
};

static enum store_result lock_body(struct store *s, void *ctx)
{
	struct lock_args *a = ctx;
	/* On a Galera node, this session sees what other nodes committed before
	 * it reads: the lock, then the listing (mail acknowledged through another
	 * node a moment ago). A server without that variable ignores it. */
	if (!s->causal) {
		if (!store_q_exec(s, Q_CAUSAL_READS, "") && !s->db)
			return STORE_TEMPFAIL;
		s->causal = true;
	}
	MYSQL_STMT *st = store_q_exec(s, Q_LOCK_RENEW, "suus", s->owner, (uint64_t)a->ttl, a->account_id, s->owner);
	if (!st)
		return STORE_TEMPFAIL;
	if (store_q_affected(st) == 1)
		return STORE_OK;
	st = store_q_exec(s, Q_LOCK_TAKE, "usu", a->account_id, s->owner, (uint64_t)a->ttl);
	if (!st)
		return STORE_TEMPFAIL;
	return store_q_affected(st) == 1 ? STORE_OK : STORE_IN_USE;
}

enum store_result store_maildrop_lock(struct store *s, uint64_t account_id, unsigned ttl_seconds)
{
	struct lock_args a = {account_id, ttl_seconds};
	return store_txn(s, lock_body, &a);
}

enum store_result store_maildrop_keep(struct store *s, uint64_t account_id, unsigned ttl_seconds)
{
	if (!s->streaming)
		return store_maildrop_lock(s, account_id, ttl_seconds);
	if (!s->keeper && !(s->keeper = store_open()))
		return STORE_TEMPFAIL;
	memcpy(s->keeper->owner, s->owner, sizeof s->owner); /* the same lock, renewed */
	s->keeper->next_group = s->next_group;
	return store_maildrop_lock(s->keeper, account_id, ttl_seconds);
}

static enum store_result unlock_body(struct store *s, void *ctx)
{
	return store_q_exec(s, Q_LOCK_RELEASE, "us", *(uint64_t *)ctx, s->owner) ? STORE_OK : STORE_TEMPFAIL;
}

enum store_result store_maildrop_unlock(struct store *s, uint64_t account_id)
{
	return store_txn(s, unlock_body, &account_id);
}

struct list_args {
	uint64_t account_id;
	store_entry_fn fn;
	void *ctx;
	int all; /* every folder's entries, not INBOX's */
};

enum store_result store_each_entry(struct store *s, enum query_id list, uint64_t account_id, store_entry_fn fn,
                                   void *ctx)
{
	struct store_entry e;
	MYSQL_STMT *st = store_q_exec(s, list, "u", account_id);
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "uus", &e.id, &e.size, e.uidl, sizeof e.uidl)) > 0; handed++)
		if (fn(ctx, &e)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	return store_q_rows(rc, handed);
}

static enum store_result list_body(struct store *s, void *ctx)
{
	struct list_args *a = ctx;
	return store_each_entry(s, a->all ? Q_ENTRY_LIST_ALL : Q_ENTRY_LIST, a->account_id, a->fn, a->ctx);
}

enum store_result store_maildrop_list(struct store *s, uint64_t account_id, store_entry_fn fn, void *ctx)
{
	struct list_args a = {account_id, fn, ctx, 0};
	return store_read(s, list_body, &a);
}

enum store_result store_admin_entries(struct store *s, uint64_t account_id, store_entry_fn fn, void *ctx)
{
	struct list_args a = {account_id, fn, ctx, 1};
	return store_read(s, list_body, &a);
}

/* TOP: how much of a chunk belongs to the header and the first N body lines. */
struct top_cut {
	long lines_left; /* body lines still to send; < 0: everything */
	struct header_end header;
};

/* Returns the octets of p[0..n) to send; sets *done when the cut is reached. */
static size_t top_cut(struct top_cut *t, const unsigned char *p, size_t n, int *done)
{
	if (t->lines_left < 0)
		return n;
	size_t i = t->header.done ? 0 : header_end_scan(&t->header, p, n);
	if (!t->header.done)
		return n;
	if (t->lines_left == 0) {
		*done = 1;
		return i;
	}
	for (; i < n; i++)
		if (p[i] == '\n' && --t->lines_left == 0) {
			*done = 1;
			return i + 1;
		}
	return n;
}

struct read_args {
	uint64_t account_id;
	const struct store_entry_ref *entries;
	size_t n;
	long body_lines;
	store_data_fn fn;
	void *ctx;
	bool sent; /* fn has had octets: a retry would send them twice */
};

/* The messages after entries[0] that one query brings: those that fit. */
static size_t ahead_count(const struct read_args *a)
{
	size_t n = 1;
	uint64_t octets = a->entries[0].size; /* kept too: read again soon (BINARY's second pass, RETR after TOP) */
	if (octets > STORE_READ_AHEAD_OCTETS)
		return 1; /* a large message streams alone, as it always did */
	while (n < a->n && n < STORE_READ_AHEAD_ENTRIES && octets + a->entries[n].size <= STORE_READ_AHEAD_OCTETS)
		octets += a->entries[n++].size;
	return n;
}

/* Holds one row of a message read ahead; rows come in entry order. */
static void ahead_keep(struct read_ahead *ra, uint64_t id, const unsigned char *data, size_t len)
{
	if (ra->full)
		return;
	if (!ra->n || ra->msg[ra->n - 1].id != id)
		ra->msg[ra->n++] = (struct read_ahead_msg){.id = id, .offset = ra->used};
	if (ra->used + len > STORE_READ_AHEAD_OCTETS) { /* larger than listed: read it when asked */
		ra->used = ra->msg[--ra->n].offset;
		ra->full = true;
		return;
	}
	memcpy(ra->buf + ra->used, data, len);
	ra->used += len;
	ra->msg[ra->n - 1].len += len;
}

/* Streams entries[0] from what an earlier read brought, if it did: 1 when served. */
static int ahead_serve(struct store *s, struct read_args *a, enum store_result *r)
{
	struct read_ahead *ra = &s->ahead;
	if (!ra->valid || ra->account_id != a->account_id)
		return 0;
	for (size_t i = 0; i < ra->n; i++)
		if (ra->msg[i].id == a->entries[0].id) {
			struct top_cut cut = {.lines_left = a->body_lines};
			int done = 0;
			const unsigned char *p = ra->buf + ra->msg[i].offset;
			size_t n = top_cut(&cut, p, ra->msg[i].len, &done);
			*r = a->fn(a->ctx, p, n) ? STORE_PERMFAIL : STORE_OK;
			return 1;
		}
	return 0;
}

static enum store_result read_body(struct store *s, void *ctx)
{
	struct read_args *a = ctx;
	struct read_ahead *ra = &s->ahead;
	MYSQL_STMT *st;
	int rc = 0;
	size_t n = ahead_count(a);
	if (!s->chunk && !(s->chunk = malloc(STORE_CHUNK_SIZE)))
		n = 0;
	if (n > 1 && !ra->buf && !(ra->buf = malloc(STORE_READ_AHEAD_OCTETS)))
		n = 0;
	if (!n) {
		store_fail(s, 0, "out of memory");
		return STORE_TEMPFAIL;
	}
	uint64_t want = a->entries[0].id, ids[STORE_READ_AHEAD_ENTRIES];
	for (size_t i = 0; i < STORE_READ_AHEAD_ENTRIES; i++)
		ids[i] = a->entries[i < n ? i : 0].id; /* the unused places repeat the first */
	*ra = (struct read_ahead){.account_id = a->account_id, .buf = ra->buf};
	if (n == 1)
		st = store_q_exec(s, Q_CHUNK_READ, "uu", want, a->account_id);
	else
		st = store_q_exec(s, Q_CHUNK_READ_AHEAD, "u" "uuuuuuuu" "uuuuuuuu", a->account_id, ids[0], ids[1], ids[2],
		            ids[3], ids[4], ids[5], ids[6], ids[7], ids[8], ids[9], ids[10], ids[11], ids[12], ids[13],
		            ids[14], ids[15]);
	if (!st)
		return STORE_TEMPFAIL;
	struct top_cut cut = {.lines_left = a->body_lines};
	uint64_t id = want;
	size_t len;
	int done = 0, rows = 0, stopped = 0;
	s->streaming = true;
	while (!(done && n == 1) &&
	       (rc = n == 1 ? store_q_fetch(s, st, "b", s->chunk, (size_t)STORE_CHUNK_SIZE, &len)
	                    : store_q_fetch(s, st, "ub", &id, s->chunk, (size_t)STORE_CHUNK_SIZE, &len)) > 0) {
		if (n > 1) /* every message of the result held, this one too */
			ahead_keep(ra, id, s->chunk, len);
		if (id != want)
			continue;
		rows++;
		if (done || stopped)
			continue; /* TOP has what it needs, or fn had enough; the rest of the result is for the others */
		size_t cut_len = top_cut(&cut, s->chunk, len, &done);
		a->sent = a->sent || cut_len;
		if (a->fn(a->ctx, s->chunk, cut_len)) {
			if (n > 1) {
				stopped = 1; /* the others' rows are still kept, for the reads to come */
				continue;
			}
			store_q_end(st);
			s->streaming = false;
			ra->n = 0;
			return STORE_PERMFAIL;
		}
	}
	if (done && n == 1)
		store_q_end(st);
	s->streaming = false;
	ra->valid = rc == 0;
	if (rc < 0)
		return a->sent ? STORE_UNKNOWN : STORE_TEMPFAIL; /* part of it went out: no retry */
	if (stopped)
		return STORE_PERMFAIL;
	/* Every message has a chunk, if only an empty one: no row, no entry. */
	return rows ? STORE_OK : STORE_NOT_FOUND;
}

enum store_result store_maildrop_read(struct store *s, uint64_t account_id, const struct store_entry_ref *entries,
                                      size_t n, long body_lines, store_data_fn fn, void *ctx)
{
	struct read_args a = {account_id, entries, n, body_lines, fn, ctx, false};
	enum store_result r;
	if (n == 0)
		return STORE_NOT_FOUND; /* no message named: a caller's mistake, not the database's */
	if (ahead_serve(s, &a, &r))
		return r;
	return store_read(s, read_body, &a);
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int store_lock_account(struct store *s, uint64_t account_id)
{
	uint64_t locked;
	MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_LOCK, "u", account_id);
	int rc = st ? store_q_fetch(s, st, "u", &locked) : -1;
	if (rc > 0)
		store_q_end(st);
	return rc < 0 ? -1 : 0;
}

/* Lock order everywhere: account, then its entries, then messages by id. */
enum store_result store_delete_entries(struct store *s, uint64_t account_id, const uint64_t *entry_ids, size_t n,
                                       unsigned need_flags, uint64_t *gone, size_t *n_gone)
{
	uint64_t *ids = malloc((n + 1) * sizeof *ids), *msgs = malloc((n + 1) * sizeof *msgs);
	uint64_t *folders = malloc((n + 1) * sizeof *folders);
	enum store_result r = STORE_TEMPFAIL;
	size_t n_msgs = 0;
	uint64_t total = 0;
	MYSQL_STMT *st;
	if (!ids || !msgs || !folders)
		goto out;
	if (n)
		memcpy(ids, entry_ids, n * sizeof *ids);
	qsort(ids, n, sizeof *ids, id_cmp);
	if (store_lock_account(s, account_id) < 0)
		goto out;
	if (n_gone)
		*n_gone = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t size, flags;
		int rc;
		if (!(st = store_q_exec(s, Q_ENTRY_TAKE, "uu", ids[i], account_id)) ||
		    (rc = store_q_fetch(s, st, "uuuu", &msgs[n_msgs], &size, &folders[n_msgs], &flags)) < 0)
			goto out;
		if (rc > 0)
			store_q_end(st);
		if (rc > 0 && (flags & need_flags) != need_flags)
			continue; /* another session took a flag away meanwhile: it stays */
		if (gone)
			gone[(*n_gone)++] = ids[i];
		if (rc == 0)
			continue; /* already gone: deleting is idempotent */
		if (!store_q_exec(s, Q_ENTRY_DELETE, "u", ids[i]))
			goto out;
		total += size;
		n_msgs++;
	}
	qsort(msgs, n_msgs, sizeof *msgs, id_cmp);
	for (size_t i = 0; i < n_msgs; i++)
		if (!store_q_exec(s, Q_MESSAGE_UNREF, "u", msgs[i]) || store_drop_if_unreferenced(s, msgs[i]) != STORE_OK)
			goto out;
	if (total && !store_q_exec(s, Q_ACCOUNT_CREDIT, "uuu", total, total, account_id))
		goto out;
	qsort(folders, n_msgs, sizeof *folders, id_cmp);
	for (size_t i = 0; i < n_msgs; i++) /* each folder that lost mail has changed (RFC 7162 3.1.2) */
		if ((!i || folders[i] != folders[i - 1]) && !store_q_exec(s, Q_FOLDER_EXPUNGED, "u", folders[i]))
			goto out;
	r = STORE_OK;
out:
	free(ids);
	free(msgs);
	free(folders);
	return r;
}

struct delete_args {
	uint64_t account_id;
	const uint64_t *ids;
	size_t n;
	unsigned ttl;
};

static enum store_result delete_body(struct store *s, void *ctx)
{
	struct delete_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_LOCK_CONFIRM, "uus", (uint64_t)a->ttl, a->account_id, s->owner);
	if (!st)
		return STORE_TEMPFAIL;
	if (store_q_affected(st) != 1)
		return STORE_IN_USE; /* the lock ran out, or another session has it: what it lists stays */
	return store_delete_entries(s, a->account_id, a->ids, a->n, 0, NULL, NULL);
}

enum store_result store_maildrop_delete(struct store *s, uint64_t account_id, const uint64_t *entry_ids, size_t n,
                                        unsigned lock_ttl_seconds)
{
	struct delete_args a = {account_id, entry_ids, n, lock_ttl_seconds};
	return store_txn(s, delete_body, &a);
}
