/* The SMTP machine's backend on libstore and the real connection. */
#ifndef INETMAIL_SMTP_BACKEND_H
#define INETMAIL_SMTP_BACKEND_H

#include "conn.h"
#include "smtp.h"

struct smtp_store {
	struct store *store;
	struct store_delivery *delivery;
	struct conn *conn;
	char session_id[17];  /* ties a session's log lines together */
	const char *user;     /* the authenticated address once known, for the logs */
};

void smtp_store_backend(struct smtp_store *, struct smtp_backend *);

#endif
