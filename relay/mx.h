/* Where mail for a domain goes (RFC 5321 5.1): its MX hosts in order of
 * preference, else the domain itself (its A/AAAA); a null MX (RFC 7505) says
 * it takes no mail. */
#ifndef INETMAIL_RELAY_MX_H
#define INETMAIL_RELAY_MX_H

#define MX_HOSTS_MAX 16 /* more are never tried in one attempt */
#define MX_NAME_MAX 255

enum mx_result {
	MX_OK,
	MX_TEMPFAIL, /* the DNS did not answer: try again later */
	MX_NO_DOMAIN, /* NXDOMAIN: permanent */
	MX_NULL,      /* the domain says it takes no mail: permanent */
};

struct mx_list {
	int n;
	char host[MX_HOSTS_MAX][MX_NAME_MAX + 1];
};

enum mx_result relay_mx_lookup(const char *domain, struct mx_list *, char *err, size_t errlen);

#endif
