/* The MX checks behind the SMTP machine's check_* hooks: DNS blocklists and
 * SPF (libspf2) through the system's resolver, greylisting in the store. */
#ifndef INETMAIL_SMTP_CHECKS_H
#define INETMAIL_SMTP_CHECKS_H

#include "ip.h"
#include "backend.h"

struct SPF_server_struct;

struct smtp_checks {
	struct store *store;
	struct SPF_server_struct *spf; /* libspf2's, with its DNS cache; NULL when it could not be made */
	const char *authserv_id;   /* INETMAIL_HOSTNAME: the Authentication-Results' */
	struct ip client;
	char client_text[IP_TEXT_MAX];
	int on;                    /* a client address, not one in INETMAIL_CHECKS_EXEMPT */
	const char *dnsbl;         /* INETMAIL_DNSBL: zones, space separated; NULL when none */
	int spf_reject;            /* INETMAIL_SPF_REJECT=fail */
	unsigned greylist_s;       /* INETMAIL_GREYLIST: the delay, 0 when off */
	char greylist_net[IP_TEXT_MAX]; /* the client's /24 or /64 */
	/* what was found */
	int dnsbl_done;
	char dnsbl_listed[SMTP_WHY_MAX]; /* the zone that lists the client, "" when none */
	int spf_result;                  /* an SPF_result_t, 0 before MAIL */
	char spf_identity[STORE_ADDRESS_MAX + 1]; /* what SPF checked: MAIL FROM, or the HELO name */
	int spf_helo;                    /* it was the HELO name (MAIL FROM:<>) */
};

/* From the environment, for a client at peer: the hooks of those that are on,
 * in be (whose ctx is the struct smtp_store holding these). */
void smtp_checks_init(struct smtp_checks *, struct store *, const char *peer, struct smtp_backend *be);
void smtp_checks_free(struct smtp_checks *);

#endif
