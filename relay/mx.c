#define _GNU_SOURCE
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx.h"

#define MX_ANSWER_MAX 65536 /* the largest DNS message (over TCP) */

struct mx_record {
	unsigned pref;
	char host[MX_NAME_MAX + 1];
};

static int by_preference(const void *a, const void *b)
{
	const struct mx_record *x = a, *y = b;
	return (x->pref > y->pref) - (x->pref < y->pref);
}

enum mx_result relay_mx_lookup(const char *domain, struct mx_list *out, char *err, size_t errlen)
{
	static unsigned char answer[MX_ANSWER_MAX];
	out->n = 0;
	int len = res_query(domain, ns_c_in, ns_t_mx, answer, sizeof answer);
	if (len < 0) {
		if (h_errno == HOST_NOT_FOUND) {
			snprintf(err, errlen, "domain %s does not exist", domain);
			return MX_NO_DOMAIN;
		}
		if (h_errno != NO_DATA) {
			snprintf(err, errlen, "MX lookup for %s failed: %s", domain, hstrerror(h_errno));
			return MX_TEMPFAIL;
		}
		len = 0; /* the name exists without MX records: its own address */
	}
	ns_msg msg;
	struct mx_record rec[MX_HOSTS_MAX];
	int n = 0, null_mx = 0;
	if (len > 0 && ns_initparse(answer, len, &msg) == 0) {
		for (int i = 0; i < ns_msg_count(msg, ns_s_an) && n < MX_HOSTS_MAX; i++) {
			ns_rr rr;
			if (ns_parserr(&msg, ns_s_an, i, &rr) || ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
				continue;
			rec[n].pref = ns_get16(ns_rr_rdata(rr));
			if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr) + 2, rec[n].host,
			              sizeof rec[n].host) < 0)
				continue;
			if (!rec[n].host[0] || !strcmp(rec[n].host, "."))
				null_mx = 1;
			else
				n++;
		}
	}
	if (null_mx && n == 0) {
		snprintf(err, errlen, "domain %s accepts no mail (null MX)", domain);
		return MX_NULL;
	}
	qsort(rec, n, sizeof *rec, by_preference);
	for (int i = 0; i < n; i++)
		snprintf(out->host[out->n++], MX_NAME_MAX + 1, "%s", rec[i].host);
	if (n == 0)
		snprintf(out->host[out->n++], MX_NAME_MAX + 1, "%s", domain);
	return MX_OK;
}
