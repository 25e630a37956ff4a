/* The POP3 machine's backend on libstore. */
#ifndef INETMAIL_POP3_BACKEND_H
#define INETMAIL_POP3_BACKEND_H

#include "pop3.h"

#define POP3_LOCK_TTL_S 180 /* by default, a dead handler's lock lasts at most this long */

struct pop3_store {
	char user[STORE_ADDRESS_MAX + 1]; /* the logged-in address, for the logs: first (session_backend_logged) */
	struct store *store;
	unsigned lock_ttl_s; /* the maildrop lock's expiry; a live session renews it at a third */
};

void pop3_store_backend(struct pop3_store *, struct pop3_backend *);

#endif
