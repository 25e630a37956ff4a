/* The MX checks behind the SMTP machine's check_* hooks: of the client and
 * envelope (checks.c: DNS blocklists and SPF through the system's resolver,
 * greylisting in the store) and of the message (verify.c: DKIM, DMARC, the
 * Authentication-Results they make). */
#ifndef INETMAIL_SMTP_CHECKS_H
#define INETMAIL_SMTP_CHECKS_H

#include "backend.h"
#include "ip.h"

#define CHECKS_DKIM_MAX 8      /* signatures a message's results name; more are verified, not listed */
#define CHECKS_DOMAIN_MAX 255  /* RFC 1035 2.3.4 */
#define CHECKS_FROM_MAX 4096   /* the From fields held for DMARC: one address, however commented */

struct SPF_server_struct;
struct dkim_lib;
struct dkim;

struct checks_dkim {
	char domain[CHECKS_DOMAIN_MAX + 1], selector[CHECKS_DOMAIN_MAX + 1];
	const char *result; /* RFC 8601's: pass, fail, temperror, permerror */
};

struct smtp_checks {
	struct store *store;
	struct SPF_server_struct *spf; /* libspf2's, with its DNS cache; NULL when SPF is off */
	struct dkim_lib *dkim_lib;     /* libopendkim's, NULL when it could not be made */
	const char *authserv_id;       /* INETMAIL_HOSTNAME: the Authentication-Results' */
	struct ip client;
	char client_text[IP_TEXT_MAX];
	int on;                    /* a client address, not one in INETMAIL_CHECKS_EXEMPT */
	const char *dnsbl;         /* INETMAIL_DNSBL: zones, space separated; NULL when none */
	int spf_reject;            /* INETMAIL_SPF_REJECT=fail */
	int dmarc_reject;          /* INETMAIL_DMARC_REJECT is not no */
	unsigned greylist_s;       /* INETMAIL_GREYLIST: the delay, 0 when off */
	char greylist_net[IP_TEXT_MAX]; /* the client's /24 or /64 */
	char rspamd_host[CHECKS_DOMAIN_MAX + 1]; /* INETMAIL_RSPAMD=http://HOST:PORT, "" when none */
	unsigned rspamd_port;
	unsigned rspamd_timeout_s; /* INETMAIL_RSPAMD_TIMEOUT: each connect, write and read */
	int rspamd_fail_accept;    /* INETMAIL_RSPAMD_FAIL=accept: unreachable rspamd lets mail through */
	/* what was found of the client, then of the transaction */
	int dnsbl_done;
	char dnsbl_listed[SMTP_WHY_MAX]; /* the zone that lists the client, "" when none */
	int spf_result;                  /* an SPF_result_t, 0 before MAIL */
	char spf_identity[STORE_ADDRESS_MAX + 1]; /* what SPF checked: MAIL FROM, or the HELO name */
	int spf_helo;                    /* it was the HELO name (MAIL FROM:<>) */
	/* and of the message */
	struct dkim *dkim;               /* its verification, from its first field; NULL when none */
	int dkim_body;                   /* its header was handed on (dkim_eoh) */
	char from[CHECKS_FROM_MAX];      /* its From fields, for DMARC */
	size_t from_len;
	int from_cut;                    /* they did not fit: no one domain */
	struct checks_dkim sigs[CHECKS_DKIM_MAX];
	size_t n_sigs;
	int dkim_none;                   /* it had no signature (dkim=none) */
	const char *dmarc_result;        /* NULL when it was not evaluated */
	char dmarc_from[CHECKS_DOMAIN_MAX + 1];
	char dmarc_policy;               /* the record's p=: 'r', 'q', 'n' or 0 (for the results' comment) */
	int dmarc_enforce;               /* what applies to the From domain (sp= for a subdomain): DMARC_POLICY_* */
	int rspamd_scored;               /* rspamd gave it a score */
	double rspamd_score;
	int rspamd_spam;                 /* its action was add header or rewrite subject: X-Spam: Yes */
};

/* From the environment, for a client at peer: the hooks of those that are on,
 * in be (whose ctx is the struct smtp_store holding these). */
void smtp_checks_init(struct smtp_checks *, struct store *, const char *peer, struct smtp_backend *be);
void smtp_checks_free(struct smtp_checks *);
/* verify.c: the message's hooks, and its state dropped at each new message. */
void smtp_verify_init(struct smtp_checks *, struct smtp_backend *be);
void smtp_verify_reset(struct smtp_checks *);
/* rspamd.c: the message's scan; the refusal's or deferral's why filled in. */
enum smtp_check smtp_rspamd_scan(struct smtp_checks *, struct store_delivery *, const char *helo, const char *sender,
                                 const char (*rcpt)[STORE_ADDRESS_MAX + 1], size_t n_rcpt, char why[SMTP_WHY_MAX]);

#endif
