/* The IMAP machine's backend on libstore. */
#ifndef INETMAIL_IMAP_BACKEND_H
#define INETMAIL_IMAP_BACKEND_H

#include "imap.h"

struct imap_store {
	char user[STORE_ADDRESS_MAX + 1]; /* the logged-in address, for the logs: first (session_backend_logged) */
	struct store *store;
	struct store_delivery *append; /* the APPEND under way */
};

void imap_store_backend(struct imap_store *, struct imap_backend *);

#endif
