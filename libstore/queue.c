/* The relay queue: mail for other domains, a row per remote recipient. */
#include "internal.h"

struct queue_list_args {
	store_queue_fn fn;
	void *ctx;
};

static enum store_result queue_list_body(struct store *s, void *ctx)
{
	struct queue_list_args *a = ctx;
	struct store_queue_info i;
	MYSQL_STMT *st = q_exec(s, Q_QUEUE_LIST, "");
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	while ((rc = q_fetch(s, st, "ussuuus", &i.id, i.sender, sizeof i.sender, i.recipient, sizeof i.recipient,
	                     &i.age_seconds, &i.attempts, &i.next_try_seconds, i.last_answer, sizeof i.last_answer)) > 0)
		if (a->fn(a->ctx, &i)) {
			q_end(st);
			return STORE_PERMFAIL;
		}
	return rc < 0 ? STORE_TEMPFAIL : STORE_OK;
}

enum store_result store_admin_queue_list(struct store *s, store_queue_fn fn, void *ctx)
{
	struct queue_list_args a = {fn, ctx};
	return store_read(s, queue_list_body, &a);
}
