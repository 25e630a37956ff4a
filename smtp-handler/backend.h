/* The SMTP machine's backend on libstore and the real connection. */
#ifndef INETMAIL_SMTP_BACKEND_H
#define INETMAIL_SMTP_BACKEND_H

#include "conn.h"
#include "smtp.h"

struct smtp_store {
	char user[STORE_ADDRESS_MAX + 1]; /* the authenticated address, for the logs: first (session_backend_logged) */
	struct store *store;
	struct store_delivery *delivery;
	struct conn *conn;
	int relay; /* submissions queue other domains' recipients for the relay agent */
	struct smtp_checks *checks; /* MX mode's, the ctx of its hooks */
	int head_later;             /* the checks add trace fields at commit (store_delivery_head_later) */
};

void smtp_store_backend(struct smtp_store *, struct smtp_backend *);

#endif
