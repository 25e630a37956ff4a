/* Delivery: content once, an entry per existing recipient, a bounce for the rest.
 * A message that fits in one chunk is stored entirely in one retryable
 * transaction. A larger one is written ahead chunk by chunk as content no
 * mailbox refers to (refs = 0, invisible); the final transaction then makes it
 * visible everywhere at once, and can be retried because the content is safe. */
#define _GNU_SOURCE
#include <mysqld_error.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "bounce.h"
#include "internal.h"
#include "summary.h"

struct store_delivery {
	struct store *s;
	char sender[STORE_ADDRESS_MAX + 1]; /* canonical; "" for the null sender */
	char (*rcpt)[STORE_ADDRESS_MAX + 1];
	size_t n_rcpt, cap_rcpt;
	unsigned char *buf; /* content not yet written: at most STORE_CHUNK_SIZE */
	size_t buf_len;
	uint64_t message_id; /* content row written ahead, or 0 */
	uint32_t seq;        /* next chunk number */
	int head_later;      /* chunk 0 is the head, given at commit: the content starts at 1 */
	char *head;          /* that head, or NULL */
	size_t head_len;
	uint64_t size;
	enum store_result failed; /* sticky once a write failed */
	int committed;
	int import;                    /* mailctl's: charged, never refused for quota */
	int junk;                      /* into each recipient's Junk folder (a DMARC quarantine) */
	int relay;                     /* other domains' recipients are queued, not bounced */
	char uidl[STORE_UIDL_MAX + 1]; /* an import's own UIDL, else "" (a fresh one) */
	uint64_t folder_id;            /* an APPEND's folder, else 0 (INBOX) */
	unsigned flags;                /* an APPEND's flags */
	char keywords[STORE_KEYWORDS_MAX + 1]; /* and keywords */
	int64_t date;                  /* an APPEND's INTERNALDATE, 0 for now */
	uint32_t uid, uidvalidity;     /* what the APPEND got */
	uint32_t import_uid;           /* the UID an import asks for (its old server's), or 0 */
	struct summary_maker *summary; /* made as the content streams in; NULL once it failed */
	char *summary_text;            /* made at commit: NULL when it could not be (kept NULL: made when asked) */
	size_t summary_len;
	struct bounce_scan scan; /* last: its 64 KiB are written before read, never zeroed */
};

struct store_delivery *store_delivery_begin(struct store *s, const char *sender)
{
	struct store_delivery *d = malloc(sizeof *d);
	if (!d)
		return NULL;
	/* Zeroing the scan's buffers too would touch 17 pages a small message never uses. */
	memset(d, 0, offsetof(struct store_delivery, scan));
	d->s = s;
	d->buf = malloc(STORE_CHUNK_SIZE);
	if (!d->buf || (*sender && store_address_canonical(sender, d->sender) < 0)) {
		free(d->buf);
		free(d);
		return NULL;
	}
	store_bounce_scan_init(&d->scan);
	d->summary = summary_begin();
	return d;
}

void store_delivery_head_later(struct store_delivery *d)
{
	d->head_later = 1;
	d->seq = 1;
}

struct chunk_args {
	uint64_t message_id, seq;
	size_t len;
};

static enum store_result chunk_body(struct store *s, void *ctx)
{
	struct chunk_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_CHUNK, "uu", a->message_id, a->seq);
	return store_q_one(st, st ? store_q_fetch(s, st, "b", s->chunk, (size_t)STORE_CHUNK_SIZE, &a->len) : -1,
	                   STORE_TEMPFAIL);
}

enum store_result store_delivery_read(struct store_delivery *d, store_data_fn fn, void *ctx)
{
	if (d->failed != STORE_OK)
		return d->failed;
	struct chunk_args a = {.message_id = d->message_id};
	if (d->message_id && !d->s->chunk && !(d->s->chunk = malloc(STORE_CHUNK_SIZE)))
		return STORE_TEMPFAIL;
	for (a.seq = (uint64_t)d->head_later; d->message_id && a.seq < d->seq; a.seq++) { /* written ahead */
		enum store_result r = store_read(d->s, chunk_body, &a);
		if (r != STORE_OK)
			return r;
		if (fn(ctx, d->s->chunk, a.len))
			return STORE_PERMFAIL;
	}
	return !d->buf_len || !fn(ctx, d->buf, d->buf_len) ? STORE_OK : STORE_PERMFAIL;
}

uint64_t store_delivery_size(const struct store_delivery *d)
{
	return d->size;
}

enum store_result store_delivery_head(struct store_delivery *d, const void *data, size_t len)
{
	if (d->failed != STORE_OK)
		return d->failed;
	if (!d->head_later || d->head || len > STORE_HEAD_MAX || !(d->head = malloc(len ? len : 1))) {
		store_fail(d->s, 0, "a head the delivery has no place for, or no memory for it");
		return d->failed = STORE_TEMPFAIL;
	}
	memcpy(d->head, data, len);
	d->head_len = len;
	d->size += len;
	if (d->summary)
		summary_prefix(d->summary, len);
	return STORE_OK;
}

int store_delivery_add_recipient(struct store_delivery *d, const char *address)
{
	char canon[STORE_ADDRESS_MAX + 1];
	if (store_address_canonical(address, canon) < 0)
		return -1;
	for (size_t i = 0; i < d->n_rcpt; i++)
		if (!strcmp(d->rcpt[i], canon))
			return 0; /* one entry per mailbox, however often it was named */
	if (array_reserve(&d->rcpt, &d->cap_rcpt, d->n_rcpt, sizeof *d->rcpt) < 0)
		return -1;
	strcpy(d->rcpt[d->n_rcpt++], canon);
	return 0;
}

enum store_result store_put_chunks(struct store *s, uint64_t message_id, uint32_t *seq,
                                   const void *data, size_t len)
{
	const char *p = data;
	if (len == 0 && *seq == 0) { /* an empty message still gets its one chunk */
		if (!store_q_exec(s, Q_CHUNK_INSERT, "uub", message_id, (uint64_t)0, "", (size_t)0))
			return STORE_TEMPFAIL;
		++*seq;
		return STORE_OK;
	}
	while (len > 0) {
		size_t n = len < STORE_CHUNK_SIZE ? len : STORE_CHUNK_SIZE;
		if (!store_q_exec(s, Q_CHUNK_INSERT, "uub", message_id, (uint64_t)*seq, p, n))
			return STORE_TEMPFAIL;
		++*seq;
		p += n;
		len -= n;
	}
	return STORE_OK;
}

enum store_result store_drop_if_unreferenced(struct store *s, uint64_t message_id)
{
	uint64_t refs;
	MYSQL_STMT *st = store_q_exec(s, Q_MESSAGE_REFS, "u", message_id);
	int rc = st ? store_q_fetch(s, st, "u", &refs) : -1;
	if (rc < 0)
		return STORE_TEMPFAIL;
	store_q_end(st);
	if (rc == 0 || refs > 0)
		return STORE_OK;
	if (!store_q_exec(s, Q_CHUNK_DELETE, "u", message_id) || !store_q_exec(s, Q_MESSAGE_DELETE, "u", message_id))
		return STORE_TEMPFAIL;
	return STORE_OK;
}

static enum store_result insert_message(struct store *s, uint64_t size, uint64_t refs, const char *summary,
                                        size_t summary_len, uint64_t *id)
{
	MYSQL_STMT *st = store_q_exec(s, Q_MESSAGE_INSERT, "uub", size, refs, summary, summary_len);
	if (!st)
		return STORE_TEMPFAIL;
	*id = store_q_insert_id(st);
	return STORE_OK;
}

struct write_ahead {
	struct store_delivery *d;
	uint64_t id;
	uint32_t seq;
};

static enum store_result write_ahead_body(struct store *s, void *ctx)
{
	struct write_ahead *w = ctx;
	w->id = w->d->message_id;
	w->seq = w->d->seq;
	if (!w->id && insert_message(s, 0, 0, NULL, 0, &w->id) != STORE_OK)
		return STORE_TEMPFAIL;
	return store_put_chunks(s, w->id, &w->seq, w->d->buf, w->d->buf_len);
}

static enum store_result write_ahead(struct store_delivery *d)
{
	struct write_ahead w = {.d = d};
	enum store_result r = store_txn(d->s, write_ahead_body, &w);
	if (r == STORE_OK) {
		d->message_id = w.id;
		d->seq = w.seq;
		d->buf_len = 0;
	}
	return r;
}

enum store_result store_delivery_write(struct store_delivery *d, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (d->failed != STORE_OK)
		return d->failed;
	store_bounce_scan_feed(&d->scan, p, len);
	if (d->summary)
		summary_feed(d->summary, p, len);
	d->size += len;
	while (len > 0) {
		size_t n = STORE_CHUNK_SIZE - d->buf_len;
		if (n > len)
			n = len;
		memcpy(d->buf + d->buf_len, p, n);
		d->buf_len += n;
		p += n;
		len -= n;
		if (d->buf_len == STORE_CHUNK_SIZE && (d->failed = write_ahead(d)) != STORE_OK)
			return d->failed;
	}
	return STORE_OK;
}

/* One account to charge: recipients pay the message, the sender a bounce. */
struct charge {
	uint64_t account_id;
	uint64_t bytes;
	uint64_t ignore_quota; /* bounces are small and must not be lost to a full mailbox */
};

static int charge_cmp(const void *a, const void *b)
{
	const struct charge *x = a, *y = b;
	return x->account_id < y->account_id ? -1 : x->account_id > y->account_id;
}

struct finish {
	struct store_delivery *d;
	struct store_account_set accounts; /* the distinct accounts the recipients reach */
	struct bounce_failure *unknown;    /* recipients that reach none */
	const char **remote;               /* recipients queued for the relay agent */
	size_t n_remote;
	struct charge *charges;            /* accounts.n + 1 for a bounce */
	size_t cap_charges;
	char *bounce;
	size_t bounce_len;
	uint64_t id;
	unsigned delivered, queued, bounced;
};

/* The account id of an address, 0 when it has no mailbox. */
static enum store_result resolve(struct store *s, const char *address, uint64_t *id)
{
	char hash[STORE_HASH_MAX + 1];
	enum store_result r = store_find_account(s, address, id, hash);
	if (r == STORE_NOT_FOUND)
		*id = 0;
	return r == STORE_TEMPFAIL ? r : STORE_OK;
}

/* Every recipient to the accounts it reaches (one entry each, however often
 * reached); the others are unknown. */
static enum store_result resolve_recipients(struct store *s, struct finish *f, size_t *n_unknown)
{
	struct store_delivery *d = f->d;
	f->accounts.n = 0;
	f->n_remote = 0;
	*n_unknown = 0;
	for (size_t i = 0; i < d->n_rcpt; i++) {
		enum store_result r = store_resolve(s, d->rcpt[i], &f->accounts);
		if (r == STORE_TEMPFAIL)
			return r;
		if (r == STORE_NOT_LOCAL && d->relay)
			f->remote[f->n_remote++] = d->rcpt[i];
		else if (r != STORE_OK)
			f->unknown[(*n_unknown)++] = (struct bounce_failure){.recipient = d->rcpt[i]};
	}
	if (array_reserve(&f->charges, &f->cap_charges, f->accounts.n, sizeof *f->charges) < 0) {
		store_fail(s, 0, "out of memory resolving recipients");
		return STORE_TEMPFAIL;
	}
	return STORE_OK;
}

/* An account's folders, INBOX and the special-use ones, where it has none yet. */
enum store_result store_folder_defaults(struct store *s, uint64_t account)
{
	return store_q_exec(s, Q_FOLDER_DEFAULTS, "uuuuuu", account, account, account, account, account, account)
	           ? STORE_OK : STORE_TEMPFAIL;
}

/* An entry that could not be inserted: an import's UIDL there already is
 * the administrator's to hear of (STORE_PERMFAIL), anything else temporary. */
static enum store_result entry_refused(struct store *s, const char *uidl)
{
	if (s->err_no != ER_DUP_ENTRY)
		return STORE_TEMPFAIL;
	store_refuse(s, "UIDL %s is in that mailbox already", uidl);
	return STORE_PERMFAIL;
}

/* An APPEND's entry: in its folder, with its flags and date; its UID noted.
 * An import's: under its UIDL, and the UID it asks for when that is still
 * ahead of the folder's UIDNEXT (never below a UID in use or once used). */
static enum store_result add_appended(struct store *s, struct store_delivery *d, uint64_t account, uint64_t message)
{
	char uidl[STORE_UIDL_MAX + 1];
	uint64_t uidnext = 0, modseq, validity = 0;
	if (d->uidl[0])
		strcpy(uidl, d->uidl);
	else
		store_random_hex(uidl, 16);
	MYSQL_STMT *st = NULL;
	if (d->import_uid) {
		st = store_q_exec(s, Q_FOLDER_TAKE_UID, "uuuu", (uint64_t)d->import_uid, d->folder_id, account,
		                  (uint64_t)d->import_uid);
		if (!st)
			return STORE_TEMPFAIL;
		if (store_q_affected(st)) {
			st = store_q_exec(s, Q_ENTRY_INSERT_UID, "usuuusuuu", message, uidl, d->size, (uint64_t)d->import_uid,
			                  (uint64_t)d->flags, d->keywords, (uint64_t)d->date, (uint64_t)d->date, d->folder_id);
			return st ? STORE_OK : entry_refused(s, uidl);
		}
		/* behind UIDNEXT (mail came here meanwhile, or it was taken once): the next UID */
	}
	st = store_q_exec(s, Q_FOLDER_NEXT_UID_IN, "uu", d->folder_id, account);
	if (!st || !store_q_affected(st)) /* a folder deleted meanwhile */
		return st ? STORE_NOT_FOUND : STORE_TEMPFAIL;
	if (!(st = store_q_exec(s, Q_ENTRY_INSERT_IN, "usuusuuu", message, uidl, d->size, (uint64_t)d->flags, d->keywords,
	                        (uint64_t)d->date, (uint64_t)d->date, d->folder_id)))
		return entry_refused(s, uidl);
	st = store_q_exec(s, Q_FOLDER_NEXT, "u", d->folder_id);
	enum store_result r = store_q_one(st, st ? store_q_fetch(s, st, "uuu", &uidnext, &modseq, &validity) : -1,
	                                  STORE_TEMPFAIL);
	if (r == STORE_OK) {
		d->uid = (uint32_t)(uidnext - 1);
		d->uidvalidity = (uint32_t)validity;
	}
	return r;
}

/* A mailbox entry in INBOX (or Junk, when junk and the account has one)
 * under the next UID and a fresh UIDL, or under the given one (an import). */
static enum store_result add_entry(struct store *s, uint64_t account, uint64_t message, uint64_t size,
                                   const char *given_uidl, int junk)
{
	char uidl[STORE_UIDL_MAX + 1];
	if (given_uidl && *given_uidl)
		strcpy(uidl, given_uidl);
	else
		store_random_hex(uidl, 16);
	MYSQL_STMT *st = junk ? store_q_exec(s, Q_FOLDER_NEXT_UID_JUNK, "u", account) : NULL;
	if (junk && !st)
		return STORE_TEMPFAIL;
	if (st && store_q_affected(st)) {
		if ((st = store_q_exec(s, Q_ENTRY_INSERT_JUNK, "usuu", message, uidl, size, account)))
			return store_q_affected(st) ? STORE_OK : STORE_TEMPFAIL;
		return entry_refused(s, uidl);
	}
	st = store_q_exec(s, Q_FOLDER_NEXT_UID, "u", account); /* no Junk folder: INBOX */
	if (st && !store_q_affected(st)) /* an account older than its folders */
		st = store_folder_defaults(s, account) == STORE_OK ? store_q_exec(s, Q_FOLDER_NEXT_UID, "u", account) : NULL;
	if (!st)
		return STORE_TEMPFAIL;
	if ((st = store_q_exec(s, Q_ENTRY_INSERT, "usuu", message, uidl, size, account)))
		return store_q_affected(st) ? STORE_OK : STORE_TEMPFAIL;
	return entry_refused(s, uidl);
}

enum store_result store_bounce_put(struct store *s, uint64_t account_id, const char *bounce, size_t len,
                                   uint64_t *message_id)
{
	uint32_t seq = 0;
	size_t summary_len = 0;
	struct summary_maker *m = summary_begin();
	if (m)
		summary_feed(m, bounce, len);
	char *summary = m ? summary_end(m, &summary_len) : NULL;
	enum store_result r = insert_message(s, len, 1, summary_len <= SUMMARY_MAX ? summary : NULL, summary_len,
	                                     message_id);
	free(summary);
	if (r != STORE_OK ||
	    store_put_chunks(s, *message_id, &seq, bounce, len) != STORE_OK ||
	    add_entry(s, account_id, *message_id, len, NULL, 0) != STORE_OK)
		return STORE_TEMPFAIL;
	return STORE_OK;
}

/* Chunk 0, the head: empty when none was given (every message has a chunk 0). */
static enum store_result put_head(struct store *s, const struct store_delivery *d, uint64_t message_id)
{
	return store_q_exec(s, Q_CHUNK_INSERT, "uub", message_id, (uint64_t)0, d->head ? d->head : "", d->head_len)
	           ? STORE_OK : STORE_TEMPFAIL;
}

static enum store_result finish_body(struct store *s, void *ctx)
{
	struct finish *f = ctx;
	struct store_delivery *d = f->d;
	size_t n_unknown, n_charges = 0;
	uint64_t sender_id = 0;
	free(f->bounce);
	f->bounce = NULL;
	f->delivered = f->queued = f->bounced = 0;
	f->id = d->message_id; /* content written ahead, or 0 */

	if (resolve_recipients(s, f, &n_unknown) != STORE_OK)
		return STORE_TEMPFAIL;
	unsigned found = (unsigned)f->accounts.n, refs = found + (unsigned)f->n_remote;
	for (size_t i = 0; i < f->accounts.n; i++) /* an import is the administrator's: no quota */
		f->charges[n_charges++] = (struct charge){f->accounts.ids[i], d->size, (uint64_t)d->import};
	if (n_unknown && d->sender[0] && resolve(s, d->sender, &sender_id) != STORE_OK)
		return STORE_TEMPFAIL;
	if (sender_id) {
		f->bounce = store_bounce_build(&d->scan, store_hostname(), d->sender, f->unknown, n_unknown,
		                         &f->bounce_len);
		if (!f->bounce) {
			store_fail(s, 0, "out of memory building a bounce");
			return STORE_PERMFAIL;
		}
		f->charges[n_charges++] = (struct charge){sender_id, f->bounce_len, 1};
	}

	/* Accounts in ascending id order, so concurrent deliveries cannot deadlock. */
	qsort(f->charges, n_charges, sizeof *f->charges, charge_cmp);
	for (size_t i = 0; i < n_charges; i++) {
		struct charge *c = &f->charges[i];
		MYSQL_STMT *st = store_q_exec(s, Q_ACCOUNT_CHARGE, "uuuu", c->bytes, c->account_id,
		                        c->ignore_quota, c->bytes);
		if (!st)
			return STORE_TEMPFAIL;
		if (c->bytes && store_q_affected(st) == 0)
			return STORE_OVER_QUOTA;
	}

	/* The content: a small message is stored here, complete; one written
	 * ahead is made visible, or dropped when nobody gets it. */
	if (!f->id && refs) {
		uint32_t seq = (uint32_t)d->head_later;
		if (insert_message(s, d->size, refs, d->summary_text, d->summary_len, &f->id) != STORE_OK ||
		    (d->head_later && put_head(s, d, f->id) != STORE_OK) ||
		    store_put_chunks(s, f->id, &seq, d->buf, d->buf_len) != STORE_OK)
			return STORE_TEMPFAIL;
	} else if (f->id && refs) {
		if (d->head_later && put_head(s, d, f->id) != STORE_OK)
			return STORE_TEMPFAIL;
		MYSQL_STMT *st = store_q_exec(s, Q_MESSAGE_PUBLISH, "uubu", d->size, (uint64_t)refs, d->summary_text,
		                               d->summary_len, f->id);
		if (!st)
			return STORE_TEMPFAIL;
		if (store_q_affected(st) != 1) { /* content collected by `mailctl gc` under our feet */
			store_fail(s, 0, "written-ahead content vanished");
			return STORE_TEMPFAIL;
		}
	} else if (f->id && store_drop_if_unreferenced(s, f->id) != STORE_OK) {
		return STORE_TEMPFAIL;
	}
	for (size_t i = 0; i < f->accounts.n; i++) {
		enum store_result r = d->folder_id ? add_appended(s, d, f->accounts.ids[i], f->id)
		                                   : add_entry(s, f->accounts.ids[i], f->id, d->size, d->uidl, d->junk);
		if (r != STORE_OK)
			return r;
	}
	f->delivered = found;
	for (size_t i = 0; i < f->n_remote; i++)
		if (!store_q_exec(s, Q_QUEUE_INSERT, "uss", f->id, d->sender, f->remote[i]))
			return STORE_TEMPFAIL;
	f->queued = (unsigned)f->n_remote;

	if (f->bounce) {
		uint64_t bounce_id;
		if (store_bounce_put(s, sender_id, f->bounce, f->bounce_len, &bounce_id) != STORE_OK)
			return STORE_TEMPFAIL;
		f->bounced = (unsigned)n_unknown;
		if (!refs)
			f->id = bounce_id; /* the queue id names what was stored */
	}
	return STORE_OK;
}

static enum store_result drop_body(struct store *s, void *ctx)
{
	return store_drop_if_unreferenced(s, *(uint64_t *)ctx);
}

enum store_result store_drop_content(struct store *s, uint64_t message_id)
{
	return store_txn(s, drop_body, &message_id);
}

enum store_result store_delivery_commit(struct store_delivery *d, struct store_delivery_result *res)
{
	if (d->failed != STORE_OK)
		return d->failed;
	if (d->message_id && d->buf_len && (d->failed = write_ahead(d)) != STORE_OK)
		return d->failed;
	if (d->summary) { /* made once, outside the transaction that may be retried */
		d->summary_text = summary_end(d->summary, &d->summary_len);
		d->summary = NULL;
		if (d->summary_len > SUMMARY_MAX) {
			free(d->summary_text);
			d->summary_text = NULL;
		}
	}
	struct finish f = {.d = d};
	f.unknown = calloc(d->n_rcpt + 1, sizeof *f.unknown);
	f.remote = calloc(d->n_rcpt + 1, sizeof *f.remote);
	enum store_result r = STORE_PERMFAIL;
	if (f.unknown && f.remote)
		r = store_txn(d->s, finish_body, &f);
	if (r == STORE_OK) {
		d->committed = 1;
		res->queue_id = f.id;
		res->delivered = f.delivered;
		res->queued = f.queued;
		res->bounced = f.bounced;
	}
	d->failed = r == STORE_OK ? STORE_PERMFAIL : r; /* a delivery commits once */
	free(f.accounts.ids);
	free(f.unknown);
	free(f.remote);
	free(f.charges);
	free(f.bounce);
	return r;
}

void store_delivery_relay(struct store_delivery *d)
{
	d->relay = 1;
}

void store_delivery_junk(struct store_delivery *d)
{
	d->junk = 1;
}

struct store_delivery *store_import_begin(struct store *s, const char *address, const char *uidl)
{
	struct store_delivery *d = store_delivery_begin(s, "");
	if (!d)
		return NULL;
	if (store_delivery_add_recipient(d, address) < 0 || strlen(uidl) > STORE_UIDL_MAX) {
		store_delivery_free(d);
		return NULL;
	}
	strcpy(d->uidl, uidl);
	d->import = 1;
	return d;
}

struct store_delivery *store_append_begin(struct store *s, const char *address, uint64_t folder_id, unsigned flags,
                                          const char *keywords, int64_t date)
{
	struct store_delivery *d = store_delivery_begin(s, "");
	if (!d)
		return NULL;
	if (store_delivery_add_recipient(d, address) < 0 || strlen(keywords) > STORE_KEYWORDS_MAX) {
		store_delivery_free(d);
		return NULL;
	}
	d->folder_id = folder_id;
	d->flags = flags;
	strcpy(d->keywords, keywords);
	d->date = date;
	return d;
}

void store_append_uid(const struct store_delivery *d, uint32_t *uid, uint32_t *uidvalidity)
{
	*uid = d->uid;
	*uidvalidity = d->uidvalidity;
}

void store_import_into(struct store_delivery *d, uint64_t folder_id, uint32_t uid, unsigned flags,
                       const char *keywords, int64_t date)
{
	d->folder_id = folder_id;
	d->import_uid = uid;
	d->flags = flags;
	snprintf(d->keywords, sizeof d->keywords, "%s", keywords);
	d->date = date;
}

int store_import_uidl(struct store_delivery *d, const char *uidl)
{
	if (strlen(uidl) > STORE_UIDL_MAX)
		return -1;
	strcpy(d->uidl, uidl);
	return 0;
}

void store_delivery_free(struct store_delivery *d)
{
	if (!d)
		return;
	/* Content written ahead and never made visible: take it back now (what a
	 * crash leaves behind, `mailctl gc` removes). */
	if (d->message_id && !d->committed)
		store_drop_content(d->s, d->message_id);
	summary_free(d->summary);
	free(d->summary_text);
	free(d->head);
	free(d->rcpt);
	free(d->buf);
	free(d);
}
