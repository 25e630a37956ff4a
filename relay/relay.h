/* inetmail-relay: delivers the relay queue to a smarthost or to each domain's
 * MX, with the database as its only state. */
#ifndef INETMAIL_RELAY_H
#define INETMAIL_RELAY_H

#include <signal.h>

#include "store_relay.h"

/* A claim's lease, renewed every quarter of it through every wait: a killed
 * agent's message is free again within a minute, however slow its remote. */
#define RELAY_LEASE_S 60
#define RELAY_RETRY_FIRST_S 300    /* "a few minutes" after the first failure, */
#define RELAY_RETRY_MAX_S 3600     /* doubling up to an hour */
#define RELAY_MAX_AGE_S (5 * 86400) /* then, after five days, a bounce */
#define RELAY_POLL_S 5             /* how long an idle agent sleeps before it looks again */
#define RELAY_CONNECT_TIMEOUT_S 30  /* a host that does not answer a SYN in 30 s is down for this try */
#define RELAY_COMMAND_TIMEOUT_S 300 /* RFC 5321 4.5.3.2: 5 minutes for a reply */
#define RELAY_DOT_TIMEOUT_S 600     /* and 10 for the one after the final dot */
#define RELAY_CREDENTIAL_MAX 255  /* RFC 4616: authcid and passwd up to 255 octets each */

enum relay_mode { RELAY_SMARTHOST, RELAY_MX };
/* INETMAIL_RELAY_TLS, with Postfix's names for the levels. */
enum relay_tls { RELAY_TLS_NONE, RELAY_TLS_MAY, RELAY_TLS_ENCRYPT, RELAY_TLS_VERIFY };

struct relay_config {
	enum relay_mode mode;
	char host[STORE_DOMAIN_MAX + 1]; /* smarthost */
	unsigned port;    /* 25 for mx */
	int implicit_tls; /* port 465 (RFC 8314) */
	enum relay_tls tls;
	const char *ca_file; /* NULL: the system's trusted certificates */
	int auth;
	char user[RELAY_CREDENTIAL_MAX + 1], password[RELAY_CREDENTIAL_MAX + 1];
	const char *helo;
	unsigned retry_first, lease;
	unsigned long max_age;
};

/* From the environment (and the credentials file): 0, or -1 with why in err. */
int relay_config_load(struct relay_config *, char *err, size_t errlen);
/* Blocks SIGTERM and SIGINT into STOP, first thing: a stop asked for while the
 * agent starts waits for relay_run like any other. */
void relay_hold_stop_signals(sigset_t *stop);
/* Claims and delivers until SIGTERM or SIGINT (once: until nothing is due);
 * non-zero when, once, the database could not be used. */
int relay_run(struct store *, const struct relay_config *, const sigset_t *stop, unsigned poll_seconds, int once);
/* Delivers the claimed rows and records each one's outcome. */
void relay_deliver(struct store *, const struct relay_config *, const struct store_relay_claim *);

#endif
