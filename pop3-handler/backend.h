/* The POP3 machine's backend on libstore. */
#ifndef INETMAIL_POP3_BACKEND_H
#define INETMAIL_POP3_BACKEND_H

#include "pop3.h"

#define POP3_LOCK_TTL_S 180 /* by default, a dead handler's lock lasts at most this long */

struct pop3_store {
	struct store *store;
	unsigned lock_ttl_s; /* the maildrop lock's expiry; a live session renews it at a third */
	uint64_t locked_account; /* the maildrop this session has locked, 0 none */
	char user[STORE_ADDRESS_MAX + 1]; /* the logged-in address, for the logs */
};

void pop3_store_backend(struct pop3_store *, struct pop3_backend *);
/* The connection's timer: renews the maildrop lock while one is held;
 * non-zero when another session has taken it (then this one must end). */
int pop3_store_keep_lock(void *ctx);

#endif
