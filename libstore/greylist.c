/* Greylisting (RFC 6647): mail from an unknown (client network, sender,
 * recipient) is deferred until it is tried again after a delay, which real
 * MTAs do and most spam software does not. One row per triplet in greylist,
 * shared by every handler and host; a Galera conflict is retried as any. */
#define _GNU_SOURCE
#include <stdint.h>

#include "internal.h"

#define GREYLIST_KEEP_S (35 * 86400) /* a triplet unused this long is forgotten (RFC 6647 4.6: a month or more) */

struct greylist_args {
	const char *client, *sender, *recipient;
	unsigned delay_s;
	uint64_t passed;
};

static enum store_result try_body(struct store *s, void *ctx)
{
	struct greylist_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_GREYLIST_TRY, "ssssssu", a->client, a->sender, a->recipient, a->client,
	                              a->sender, a->recipient, (uint64_t)a->delay_s);
	if (!st)
		return STORE_TEMPFAIL;
	/* A new triplet clears a few forgotten ones, so the table stays the size of a month's mail. */
	if (store_q_affected(st) == 1 && !store_q_exec(s, Q_GREYLIST_EXPIRE, "u", (uint64_t)GREYLIST_KEEP_S))
		return STORE_TEMPFAIL;
	st = store_q_exec(s, Q_GREYLIST_PASSED, "sss", a->client, a->sender, a->recipient);
	return store_q_one(st, st ? store_q_fetch(s, st, "u", &a->passed) : -1, STORE_TEMPFAIL);
}

enum store_result store_greylist(struct store *s, const char *client, const char *sender, const char *recipient,
                                 unsigned delay_s)
{
	struct greylist_args a = {client, sender, recipient, delay_s, 0};
	enum store_result r = store_txn(s, try_body, &a);
	return r != STORE_OK ? r : a.passed ? STORE_OK : STORE_NOT_FOUND;
}
