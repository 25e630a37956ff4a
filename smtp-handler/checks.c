/* The MX checks: each fills in the session's log notes (log_session_note), so
 * the administrator and fail2ban see why mail was refused. A DNS failure never
 * refuses: it is noted and the check passes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <opendkim/dkim.h>
#include <spf2/spf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks.h"
#include "env.h"
#include "log.h"

#define CHECKS_EXEMPT_DEFAULT "127.0.0.0/8 ::1" /* the host itself: its own programs, tests, a local relay */
#define DNSBL_ANSWER_MAX 512   /* one A record's answer: a classic UDP reply is enough */
#define GREYLIST_V4_BITS 24    /* RFC 6647 4.1: a sending farm retries from another address of its /24 */
#define GREYLIST_V6_BITS 64
#define RSPAMD_TIMEOUT_S 20    /* rspamd scans in well under a second; one stuck this long is down */
#define RSPAMD_TIMEOUT_MAX_S 300 /* RFC 5321 4.5.3.2.6: the client waits 10 minutes after the final dot */

/* libspf2's internal errors (out of memory) end the session as any other;
 * its warnings are about other people's records: not ours to log. */
__attribute__((noreturn)) static void spf_error(const char *file, int line, const char *msg)
{
	log_send(LOG_ERR, NULL, "libspf2: %s (%s:%d)", msg, file ? file : "?", line);
	_exit(75);
}

static void spf_quiet(const char *file, int line, const char *msg)
{
	(void)file, (void)line, (void)msg;
}

/* The name to ask a blocklist about: the address's octets (IPv6: nibbles) reversed, then the zone (RFC 5782 2.1). */
static int dnsbl_name(const struct ip *ip, const char *zone, size_t zone_len, char *out, size_t size)
{
	size_t n = 0;
	if (ip->family == AF_INET) {
		n = (size_t)snprintf(out, size, "%u.%u.%u.%u.", ip->addr[3], ip->addr[2], ip->addr[1], ip->addr[0]);
	} else {
		for (int i = 15; i >= 0 && n + 4 < size; i--)
			n += (size_t)snprintf(out + n, size - n, "%x.%x.", ip->addr[i] & 15, ip->addr[i] >> 4);
	}
	if (n + zone_len + 1 > size)
		return -1;
	memcpy(out + n, zone, zone_len);
	out[n + zone_len] = '\0';
	return 0;
}

/* 1 when the zone lists the address (an A record in 127.0.0.0/8 other than
 * the 127.255.255.0/24 a list answers refused queries with), 0 when not, -1 when DNS failed. */
static int dnsbl_listed(const char *name)
{
	unsigned char answer[DNSBL_ANSWER_MAX];
	int len = res_query(name, ns_c_in, ns_t_a, answer, sizeof answer);
	if (len < 0)
		return h_errno == HOST_NOT_FOUND || h_errno == NO_DATA ? 0 : -1;
	if (len > (int)sizeof answer) /* the whole answer's length, when it was longer than the buffer */
		len = (int)sizeof answer;
	ns_msg msg;
	if (ns_initparse(answer, len, &msg) < 0)
		return -1;
	int listed = 0;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		ns_rr rr;
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return -1;
		const unsigned char *a = ns_rr_rdata(rr);
		if (ns_rr_type(rr) != ns_t_a || ns_rr_rdlen(rr) != 4 || a[0] != 127)
			continue;
		if (a[1] == 255 && a[2] == 255)
			return -1; /* "your resolver may not ask" (Spamhaus, Barracuda): no answer, not a listing */
		listed = 1;
	}
	return listed;
}

static enum smtp_check check_client(void *ctx, char why[SMTP_WHY_MAX])
{
	struct smtp_checks *c = ((struct smtp_store *)ctx)->checks;
	if (!c->dnsbl_done) {
		c->dnsbl_done = 1;
		char name[NS_MAXDNAME];
		int failed = 0;
		for (const char *z = c->dnsbl; *z && !c->dnsbl_listed[0];) {
			size_t len = strcspn(z, " \t,");
			int r = len && len < SMTP_WHY_MAX && dnsbl_name(&c->client, z, len, name, sizeof name) == 0
			            ? dnsbl_listed(name) : 0;
			if (r > 0)
				memcpy(c->dnsbl_listed, z, len);
			failed |= r < 0;
			z += len;
			z += strspn(z, " \t,");
		}
		log_session_note("dnsbl", c->dnsbl_listed[0] ? c->dnsbl_listed : failed ? "temperror" : "pass");
	}
	if (!c->dnsbl_listed[0])
		return SMTP_CHECK_PASS;
	strcpy(why, c->dnsbl_listed);
	return SMTP_CHECK_REFUSE;
}

static enum smtp_check check_sender(void *ctx, const char *helo, const char *sender)
{
	struct smtp_checks *c = ((struct smtp_store *)ctx)->checks;
	SPF_request_t *req = SPF_request_new(c->spf);
	SPF_response_t *res = NULL;
	c->spf_result = SPF_RESULT_TEMPERROR;
	c->spf_helo = !*sender;
	snprintf(c->spf_identity, sizeof c->spf_identity, "%s", *sender ? sender : helo);
	/* With the HELO name set first, libspf2 checks it for an empty MAIL FROM (RFC 7208 2.3). */
	if (req && (c->client.family == AF_INET ? SPF_request_set_ipv4_str(req, c->client_text)
	                                        : SPF_request_set_ipv6_str(req, c->client_text)) == SPF_E_SUCCESS &&
	    SPF_request_set_helo_dom(req, helo) == SPF_E_SUCCESS && SPF_request_set_env_from(req, sender) == 0) {
		SPF_request_query_mailfrom(req, &res);
		if (res)
			c->spf_result = SPF_response_result(res);
	}
	if (res) /* libspf2 frees neither NULL */
		SPF_response_free(res);
	if (req)
		SPF_request_free(req);
	log_session_note("spf", SPF_strresult(c->spf_result));
	return c->spf_reject && c->spf_result == SPF_RESULT_FAIL ? SMTP_CHECK_REFUSE : SMTP_CHECK_PASS;
}

static enum smtp_check check_recipient(void *ctx, const char *sender, const char *recipient)
{
	struct smtp_checks *c = ((struct smtp_store *)ctx)->checks;
	enum store_result r = store_greylist(c->store, c->greylist_net, sender, recipient, c->greylist_s);
	log_session_note("greylist", r == STORE_OK ? "pass" : r == STORE_NOT_FOUND ? "deferred" : "temperror");
	return r == STORE_OK ? SMTP_CHECK_PASS : r == STORE_NOT_FOUND ? SMTP_CHECK_DEFER : SMTP_CHECK_TEMPFAIL;
}

/* INETMAIL_RSPAMD=http://HOST:PORT (a name, an address or [an IPv6 address]). */
static void rspamd_config(struct smtp_checks *c)
{
	const char *url = env_str("INETMAIL_RSPAMD", "");
	if (!*url)
		return;
	const char *h = !strncmp(url, "http://", 7) ? url + 7 : NULL;
	const char *end = h && *h == '[' ? strchr(h, ']') : h ? strrchr(h, ':') : NULL;
	const char *port = end && *h == '[' ? (end[1] == ':' ? end + 2 : NULL) : end ? end + 1 : NULL;
	size_t len = h && end ? (size_t)(end - h) - (*h == '[') : 0;
	unsigned long p = port ? strtoul(port, NULL, 10) : 0;
	if (!len || len > CHECKS_DOMAIN_MAX || !p || p > 65535) {
		log_send(LOG_ERR, NULL, "INETMAIL_RSPAMD=%s is not http://HOST:PORT: no spam check", url);
		return;
	}
	memcpy(c->rspamd_host, h + (*h == '['), len);
	c->rspamd_host[len] = '\0';
	c->rspamd_port = (unsigned)p;
	unsigned long timeout = env_ulong("INETMAIL_RSPAMD_TIMEOUT", RSPAMD_TIMEOUT_S);
	c->rspamd_timeout_s = timeout < 1 ? 1 : timeout > RSPAMD_TIMEOUT_MAX_S ? RSPAMD_TIMEOUT_MAX_S : (unsigned)timeout;
	c->rspamd_fail_accept = !strcmp(env_str("INETMAIL_RSPAMD_FAIL", "tempfail"), "accept");
}

void smtp_checks_init(struct smtp_checks *c, struct store *store, const char *peer, struct smtp_backend *be)
{
	memset(c, 0, sizeof *c);
	c->store = store;
	c->authserv_id = store_hostname();
	c->on = ip_parse(peer, &c->client) == 0 && !ip_in_list(&c->client, env_str("INETMAIL_CHECKS_EXEMPT",
	                                                                          CHECKS_EXEMPT_DEFAULT));
	if (!c->on)
		return;
	inet_ntop(c->client.family, c->client.addr, c->client_text, sizeof c->client_text);
	const char *dnsbl = env_str("INETMAIL_DNSBL", "");
	if (*dnsbl) {
		c->dnsbl = dnsbl;
		be->check_client = check_client;
	}
	c->greylist_s = (unsigned)env_ulong("INETMAIL_GREYLIST", 0);
	if (c->greylist_s) {
		ip_network(&c->client, GREYLIST_V4_BITS, GREYLIST_V6_BITS, c->greylist_net);
		be->check_recipient = check_recipient;
	}
	const char *reject = env_str("INETMAIL_SPF_REJECT", "");
	c->spf_reject = !strcmp(reject, "fail");
	if (*reject && !c->spf_reject)
		log_send(LOG_ERR, NULL, "INETMAIL_SPF_REJECT=%s is not fail: SPF results are only recorded", reject);
	SPF_error_handler = spf_error;
	SPF_warning_handler = spf_quiet;
	SPF_info_handler = spf_quiet;
	SPF_debug_handler = spf_quiet;
	if (strcmp(env_str("INETMAIL_SPF", "on"), "off") && (c->spf = SPF_server_new(SPF_DNS_CACHE, 0)))
		be->check_sender = check_sender;
	rspamd_config(c);
	smtp_verify_init(c, be);
}

void smtp_checks_free(struct smtp_checks *c)
{
	smtp_verify_reset(c);
	if (c->dkim_lib)
		dkim_close(c->dkim_lib);
	c->dkim_lib = NULL;
	if (c->spf)
		SPF_server_free(c->spf);
	c->spf = NULL;
}
