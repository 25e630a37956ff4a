/* The POP3 machine's backend on libstore. */
#ifndef INETMAIL_POP3_BACKEND_H
#define INETMAIL_POP3_BACKEND_H

#include "pop3.h"

#define POP3_LOCK_TTL_S 180      /* a dead handler's lock lasts at most this long */
#define POP3_LOCK_REFRESH_S 60   /* a live session renews its lock this often */

struct pop3_store {
	struct store *store;
	char user[STORE_ADDRESS_MAX + 1]; /* the logged-in address, for the logs */
};

void pop3_store_backend(struct pop3_store *, struct pop3_backend *);

#endif
