#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "checks.h"
#include "log.h"
#include "session.h"

static enum store_result be_auth(void *ctx, const char *user, const char *password,
                                 char address[STORE_ADDRESS_MAX + 1])
{
	struct smtp_store *b = ctx;
	struct store_account a;
	enum store_result r = store_auth(b->store, user, password, &a);
	if (r == STORE_OK) {
		strcpy(address, a.address);
		strcpy(b->user, a.address);
	}
	return r;
}

static enum store_result be_recipient(void *ctx, const char *address)
{
	struct smtp_store *b = ctx;
	return store_recipient(b->store, address);
}

static int be_begin(void *ctx, const char *bounce_to, const char *const *rcpts, size_t n)
{
	struct smtp_store *b = ctx;
	b->delivery = store_delivery_begin(b->store, bounce_to);
	if (b->delivery && b->relay)
		store_delivery_relay(b->delivery);
	if (b->delivery && b->head_later)
		store_delivery_head_later(b->delivery);
	if (b->checks)
		smtp_verify_reset(b->checks); /* a new message: nothing of the last one's carries over */
	for (size_t i = 0; b->delivery && i < n; i++)
		if (store_delivery_add_recipient(b->delivery, rcpts[i]) < 0) {
			store_delivery_free(b->delivery);
			b->delivery = NULL;
		}
	return b->delivery ? 0 : -1;
}

static enum store_result be_write(void *ctx, const void *data, size_t len)
{
	struct smtp_store *b = ctx;
	return store_delivery_write(b->delivery, data, len);
}

static enum store_result be_commit(void *ctx, uint64_t *queue_id)
{
	struct smtp_store *b = ctx;
	struct store_delivery_result res;
	enum store_result r = store_delivery_commit(b->delivery, &res);
	store_delivery_free(b->delivery);
	b->delivery = NULL;
	if (r == STORE_OK)
		*queue_id = res.queue_id;
	else
		log_session(LOG_WARNING, b->user[0] ? b->user : NULL, "store-failed", "%s: %s", store_result_name(r), store_error(b->store));
	return r;
}

static void be_abort(void *ctx)
{
	struct smtp_store *b = ctx;
	store_delivery_free(b->delivery);
	b->delivery = NULL;
}

static int be_input_pending(void *ctx)
{
	struct smtp_store *b = ctx;
	return conn_input_pending(b->conn);
}

void smtp_store_backend(struct smtp_store *b, struct smtp_backend *be)
{
	*be = (struct smtp_backend){
		.ctx = b,
		.auth = be_auth,
		.recipient = be_recipient,
		.begin = be_begin,
		.write = be_write,
		.commit = be_commit,
		.abort = be_abort,
		.delay = session_backend_pause,
		.input_pending = be_input_pending,
		.logged = session_backend_logged,
	};
}
