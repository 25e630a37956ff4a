#define _GNU_SOURCE
/* The relay queue: mail for other domains, a row per remote recipient. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "bounce.h"
#include "clock.h"
#include "internal.h"

struct queue_list_args {
	store_queue_fn fn;
	void *ctx;
};

static enum store_result queue_list_body(struct store *s, void *ctx)
{
	struct queue_list_args *a = ctx;
	struct store_queue_info i;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_LIST, "");
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "ussuuussu", &i.id, i.sender, sizeof i.sender, i.recipient,
	                                    sizeof i.recipient, &i.age_seconds, &i.attempts, &i.next_try_seconds,
	                                    i.last_answer, sizeof i.last_answer, i.lease_owner, sizeof i.lease_owner,
	                                    &i.lease_seconds)) > 0; handed++)
		if (a->fn(a->ctx, &i)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	return store_q_rows(rc, handed);
}

enum store_result store_admin_queue_list(struct store *s, store_queue_fn fn, void *ctx)
{
	struct queue_list_args a = {fn, ctx};
	return store_read(s, queue_list_body, &a);
}

struct claim_args {
	unsigned lease;
	struct store_relay_claim *c;
};

static enum store_result claim_body(struct store *s, void *ctx)
{
	struct claim_args *a = ctx;
	struct store_relay_claim *c = a->c;
	c->n = 0;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_DUE, "");
	enum store_result due = store_q_one(st, st ? store_q_fetch(s, st, "us", &c->message_id, c->domain, sizeof c->domain) : -1,
	                              STORE_NOT_FOUND);
	if (due != STORE_OK)
		return due;
	if (!store_q_exec(s, Q_QUEUE_CLAIM, "suus", s->owner, (uint64_t)a->lease, c->message_id, c->domain) ||
	    !(st = store_q_exec(s, Q_QUEUE_CLAIMED, "sus", s->owner, c->message_id, c->domain)))
		return STORE_TEMPFAIL;
	struct store_relay_row r;
	int rc;
	while ((rc = store_q_fetch(s, st, "ussuu", &r.id, r.sender, sizeof r.sender, r.recipient, sizeof r.recipient,
	                     &r.attempts, &r.age_seconds)) > 0) {
		if (array_reserve(&c->rows, &c->cap, c->n, sizeof *c->rows) < 0) {
			store_q_end(st);
			store_fail(s, 0, "out of memory claiming queue rows");
			return STORE_TEMPFAIL;
		}
		c->rows[c->n++] = r;
	}
	if (rc < 0)
		return STORE_TEMPFAIL;
	if (!c->n)
		return STORE_NOT_FOUND; /* another agent was first: the caller asks again */
	st = store_q_exec(s, Q_QUEUE_SIZE, "u", c->message_id);
	if (store_q_one(st, st ? store_q_fetch(s, st, "u", &c->size) : -1, STORE_TEMPFAIL) != STORE_OK)
		return STORE_TEMPFAIL;
	s->lease_renewed = clock_ms();
	return STORE_OK;
}

enum store_result store_relay_claim(struct store *s, unsigned lease_seconds, struct store_relay_claim *c)
{
	struct claim_args a = {lease_seconds, c};
	/* A name per claim: rows of an attempt given up on are not renewed with the next one's. */
	store_new_owner(s);
	return store_txn(s, claim_body, &a);
}

static enum store_result renew_body(struct store *s, void *ctx)
{
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_RENEW, "us", (uint64_t)*(unsigned *)ctx, s->owner);
	if (!st)
		return STORE_TEMPFAIL;
	return store_q_affected(st) ? STORE_OK : STORE_NOT_FOUND;
}

enum store_result store_relay_renew(struct store *s, unsigned lease_seconds)
{
	enum store_result r = store_txn(s, renew_body, &lease_seconds);
	if (r == STORE_OK)
		s->lease_renewed = clock_ms();
	return r;
}

enum store_result store_relay_keep(struct store *s, unsigned lease_seconds)
{
	/* a quarter gone: renewed with three quarters of it left for the wait that follows */
	return clock_ms() - s->lease_renewed < lease_seconds * 250L ? STORE_OK : store_relay_renew(s, lease_seconds);
}

struct content_args {
	uint64_t message_id;
	uint64_t seq;
	size_t len;
};

static enum store_result chunk_body(struct store *s, void *ctx)
{
	struct content_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_CHUNK, "uu", a->message_id, a->seq);
	return store_q_one(st, st ? store_q_fetch(s, st, "b", s->chunk, (size_t)STORE_CHUNK_SIZE, &a->len) : -1, STORE_NOT_FOUND);
}

enum store_result store_relay_content(struct store *s, const struct store_relay_claim *c, unsigned lease_seconds,
                                      store_data_fn fn, void *ctx)
{
	if (!s->chunk && !(s->chunk = malloc(STORE_CHUNK_SIZE)))
		return STORE_TEMPFAIL;
	struct content_args a = {.message_id = c->message_id};
	enum store_result r;
	for (;; a.seq++) {
		if ((r = store_relay_keep(s, lease_seconds)) != STORE_OK)
			return r;
		if ((r = store_read(s, chunk_body, &a)) == STORE_NOT_FOUND)
			return a.seq ? STORE_OK : STORE_TEMPFAIL; /* every message has a chunk 0 */
		if (r != STORE_OK)
			return r;
		if (fn(ctx, s->chunk, a.len))
			return STORE_PERMFAIL;
	}
}

struct row_args {
	uint64_t row_id, message_id;
	unsigned retry;
	const char *answer;
};

static enum store_result delivered_body(struct store *s, void *ctx)
{
	struct row_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_DONE, "us", a->row_id, s->owner);
	if (!st)
		return STORE_TEMPFAIL;
	if (!store_q_affected(st)) /* the lease ran out and another agent has the row */
		return STORE_NOT_FOUND;
	if (!store_q_exec(s, Q_MESSAGE_UNREF, "u", a->message_id))
		return STORE_TEMPFAIL;
	return store_drop_if_unreferenced(s, a->message_id);
}

enum store_result store_relay_delivered(struct store *s, const struct store_relay_claim *c, size_t row)
{
	struct row_args a = {.row_id = c->rows[row].id, .message_id = c->message_id};
	return store_txn(s, delivered_body, &a);
}

static enum store_result retry_body(struct store *s, void *ctx)
{
	struct row_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_RETRY, "usus", (uint64_t)a->retry, a->answer, a->row_id, s->owner);
	if (!st)
		return STORE_TEMPFAIL;
	return store_q_affected(st) ? STORE_OK : STORE_NOT_FOUND;
}

enum store_result store_relay_retry(struct store *s, const struct store_relay_row *row, unsigned retry_seconds,
                                    const char *answer)
{
	char cut[1001]; /* the width of relay_queue.last_answer; a remote's octets kept as printable ASCII */
	snprintf(cut, sizeof cut, "%s", answer);
	for (char *p = cut; *p; p++)
		if (*p < ' ' || *p > '~')
			*p = '?';
	struct row_args a = {.row_id = row->id, .retry = retry_seconds, .answer = cut};
	return store_txn(s, retry_body, &a);
}

struct failed_args {
	const struct store_relay_claim *c;
	const struct store_relay_row *row;
	const struct bounce_failure *failure;
};

/* The bounce of one recipient, built from the head of the message. */
static char *relay_bounce(struct store *s, const struct failed_args *a, size_t *len)
{
	size_t n;
	struct bounce_scan *sc = malloc(sizeof *sc);
	MYSQL_STMT *st = NULL;
	int rc = -1;
	if (sc && (s->chunk || (s->chunk = malloc(STORE_CHUNK_SIZE))) &&
	    (st = store_q_exec(s, Q_QUEUE_CHUNK, "uu", a->c->message_id, (uint64_t)0)))
		rc = store_q_fetch(s, st, "b", s->chunk, (size_t)STORE_CHUNK_SIZE, &n);
	char *b = NULL;
	if (rc > 0) {
		store_q_end(st);
		store_bounce_scan_init(sc);
		store_bounce_scan_feed(sc, s->chunk, n);
		b = store_bounce_build(sc, store_hostname(), a->row->sender, a->failure, 1, len);
	}
	free(sc);
	return b;
}

static enum store_result failed_body(struct store *s, void *ctx)
{
	struct failed_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_DONE, "us", a->row->id, s->owner);
	if (!st)
		return STORE_TEMPFAIL;
	if (!store_q_affected(st))
		return STORE_NOT_FOUND;
	uint64_t sender_id = 0, bounce_id;
	char hash[STORE_HASH_MAX + 1];
	enum store_result r = a->row->sender[0] ? store_find_account(s, a->row->sender, &sender_id, hash) : STORE_NOT_FOUND;
	if (r == STORE_TEMPFAIL)
		return r;
	if (r == STORE_OK) { /* never a bounce to <>, nor to a sender without a mailbox here */
		size_t len;
		char *b = relay_bounce(s, a, &len);
		if (!b)
			return STORE_TEMPFAIL;
		r = store_q_exec(s, Q_ACCOUNT_CHARGE, "uuuu", (uint64_t)len, sender_id, (uint64_t)1, (uint64_t)len)
		        ? store_bounce_put(s, sender_id, b, len, &bounce_id)
		        : STORE_TEMPFAIL;
		free(b);
		if (r != STORE_OK)
			return r;
	}
	if (!store_q_exec(s, Q_MESSAGE_UNREF, "u", a->c->message_id))
		return STORE_TEMPFAIL;
	return store_drop_if_unreferenced(s, a->c->message_id);
}

enum store_result store_relay_failed(struct store *s, const struct store_relay_claim *c, size_t row,
                                     const char *remote_mta, const char *status, const char *answer)
{
	struct bounce_failure f = {c->rows[row].recipient, remote_mta, status, answer};
	struct failed_args a = {c, &c->rows[row], &f};
	return store_txn(s, failed_body, &a);
}

static enum store_result flush_body(struct store *s, void *ctx)
{
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_FLUSH, "");
	if (!st)
		return STORE_TEMPFAIL;
	*(uint64_t *)ctx = store_q_affected(st);
	return STORE_OK;
}

enum store_result store_admin_queue_flush(struct store *s, uint64_t *n)
{
	return store_txn(s, flush_body, n);
}

static enum store_result del_body(struct store *s, void *ctx)
{
	uint64_t id = *(uint64_t *)ctx;
	struct store_relay_claim c = {0};
	struct store_relay_row row = {.id = id};
	MYSQL_STMT *st = store_q_exec(s, Q_QUEUE_ROW, "u", id);
	int rc = st ? store_q_fetch(s, st, "uss", &c.message_id, row.sender, sizeof row.sender, row.recipient,
	                      sizeof row.recipient) : -1;
	if (rc < 0)
		return STORE_TEMPFAIL;
	if (rc == 0) {
		store_refuse(s, "queue id %llu: no such queued recipient", (unsigned long long)id);
		return STORE_NOT_FOUND;
	}
	store_q_end(st);
	if (!(st = store_q_exec(s, Q_QUEUE_TAKE, "su", s->owner, id)))
		return STORE_TEMPFAIL;
	if (!store_q_affected(st)) {
		store_refuse(s, "queue id %llu: a relay agent is delivering it now; try again", (unsigned long long)id);
		return STORE_IN_USE;
	}
	struct bounce_failure f = {row.recipient, NULL, "5.0.0", "removed from the queue by the administrator"};
	struct failed_args a = {&c, &row, &f};
	return failed_body(s, &a);
}

enum store_result store_admin_queue_del(struct store *s, uint64_t id)
{
	return store_txn(s, del_body, &id);
}

void store_relay_claim_free(struct store_relay_claim *c)
{
	free(c->rows);
	c->rows = NULL;
	c->n = c->cap = 0;
}
