/* The checks of a message's content as it streams in: every DKIM signature
 * verified with libopendkim (body hashed as it passes, never held), DMARC
 * (libopendmarc) from SPF's and DKIM's results and the From domain, and the
 * one Authentication-Results field (RFC 8601) that says what was found. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <opendkim/dkim.h>
#include <opendmarc/dmarc.h>
#include <resolv.h>
#include <spf2/spf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks.h"
#include "env.h"
#include "envelope.h"
#include "log.h"
#include "outbuf.h"

#define PUBLIC_SUFFIXES "/usr/share/publicsuffix/public_suffix_list.dat" /* Debian's publicsuffix */
#define PSL_LABELS_MAX 8   /* the list's deepest rule has five labels */
#define PSL_RULES_MAX 256  /* three a label of each domain: ten domains of PSL_LABELS_MAX labels */

/* A property's value as Authentication-Results may carry it (RFC 8601 2.2): no
 * blank, ";", comment or quote a reader could take for more results. */
static int plain(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || *v == 0x7f || strchr(";()\"\\,", *v))
			return 0;
	return 1;
}

void smtp_verify_reset(struct smtp_checks *c)
{
	if (c->dkim)
		dkim_free(c->dkim);
	c->dkim = NULL;
	c->dkim_body = 0;
	c->from_len = 0;
	c->from_cut = 0;
	c->n_sigs = 0;
	c->dkim_none = 0;
	c->dmarc_result = NULL;
	c->dmarc_from[0] = '\0';
	c->dmarc_policy = 0;
	c->dmarc_enforce = 0;
	c->rspamd_scored = c->rspamd_spam = 0;
}

/* A field as received: to the verifier (without its CRLF), and held when it is a From. */
static void check_field(void *ctx, const char *field, size_t len)
{
	struct smtp_checks *c = ((struct smtp_store *)ctx)->checks;
	DKIM_STAT st;
	if (!c->dkim && c->dkim_lib)
		c->dkim = dkim_verify(c->dkim_lib, (const unsigned char *)log_session_id(), NULL, &st);
	size_t n = len;
	while (n && (field[n - 1] == '\n' || field[n - 1] == '\r'))
		n--;
	if (c->dkim)
		dkim_header(c->dkim, (unsigned char *)field, n);
	if (len >= 5 && !strncasecmp(field, "from", 4) && field[4] && strchr(" \t:", field[4])) {
		if (c->from_len + len > sizeof c->from)
			c->from_cut = 1;
		else
			memcpy(c->from + c->from_len, field, len);
		c->from_len += c->from_cut ? 0 : len;
	}
}

static void check_body(void *ctx, const void *data, size_t len)
{
	struct smtp_checks *c = ((struct smtp_store *)ctx)->checks;
	if (!c->dkim)
		return;
	if (!c->dkim_body) {
		c->dkim_body = 1;
		dkim_eoh(c->dkim);
	}
	dkim_body(c->dkim, (unsigned char *)data, len);
}

/* Whether the key a signature names is not in DNS at all (RFC 6376 6.1.2: a
 * permanent failure): libopendkim tells that apart from a failed query only
 * by asking with res_nsend, which Debian's build does not. */
static int key_absent(const char *selector, const char *domain)
{
	char name[2 * CHECKS_DOMAIN_MAX + 16];
	unsigned char answer[512];
	snprintf(name, sizeof name, "%s._domainkey.%s", selector, domain);
	return res_query(name, ns_c_in, ns_t_txt, answer, sizeof answer) < 0 &&
	       (h_errno == HOST_NOT_FOUND || h_errno == NO_DATA);
}

/* RFC 8601 2.7.1's result of one verified signature. */
static const char *signature_result(DKIM_SIGINFO *sig, const struct checks_dkim *d)
{
	if (DKIM_SIG_CHECK(sig))
		return "pass";
	switch (dkim_sig_geterror(sig)) {
	case DKIM_SIGERROR_KEYFAIL: /* the key's DNS query failed, or found nothing */
		return key_absent(d->selector, d->domain) ? "permerror" : "temperror";
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_OK: /* the signature checked out but the body hash did not */
		return "fail";
	default:
		return "permerror"; /* no key, a broken signature or key */
	}
}

/* The signatures' results, after the whole message went through. */
static void dkim_finish(struct smtp_checks *c)
{
	if (!c->dkim) {
		c->dkim_none = c->dkim_lib != NULL; /* without the library nothing is said of signatures */
		return;
	}
	if (!c->dkim_body) {
		c->dkim_body = 1;
		dkim_eoh(c->dkim);
	}
	DKIM_STAT st = dkim_eom(c->dkim, NULL);
	DKIM_SIGINFO **sigs = NULL;
	int n = 0;
	if (st == DKIM_STAT_NOSIG || dkim_getsiglist(c->dkim, &sigs, &n) != DKIM_STAT_OK || n == 0) {
		c->dkim_none = 1;
		log_session_note("dkim", "none");
		return;
	}
	for (int i = 0; i < n && c->n_sigs < CHECKS_DKIM_MAX; i++) {
		if (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE)
			continue;
		struct checks_dkim *d = &c->sigs[c->n_sigs++];
		const unsigned char *domain = dkim_sig_getdomain(sigs[i]), *selector = dkim_sig_getselector(sigs[i]);
		snprintf(d->domain, sizeof d->domain, "%s", domain ? (const char *)domain : "");
		snprintf(d->selector, sizeof d->selector, "%s", selector ? (const char *)selector : "");
		d->result = signature_result(sigs[i], d);
	}
	char note[SMTP_WHY_MAX];
	snprintf(note, sizeof note, "%s%s", c->sigs[0].result, n > 1 ? "+" : "");
	log_session_note("dkim", note);
}

/* The rules of the public suffix list that could apply to a domain: each of its suffixes ("co.uk"), as an
 * exception ("!www.ck") and, for the suffix's parent, as a wildcard ("*.ck"). */
struct rule {
	const char *name; /* after the "!" or "*" */
	size_t len;       /* of the whole rule */
	char mark;        /* '!', '*' or 0 */
};

static int fd_write(void *ctx, const char *data, size_t len)
{
	for (ssize_t w; len; data += w, len -= (size_t)w)
		if ((w = write(*(int *)ctx, data, len)) <= 0)
			return -1;
	return 0;
}

static size_t rules_of(const char *domain, struct rule *r, size_t max)
{
	size_t n = 0, labels = 1;
	for (const char *d = domain; (d = strchr(d, '.')); d++)
		labels++;
	const char *s = domain;
	for (; labels > PSL_LABELS_MAX; labels--) /* no rule is that deep: its suffixes are what may match */
		s = strchr(s, '.') + 1;
	for (; *s && n + 3 <= max; s = strchr(s, '.') ? strchr(s, '.') + 1 : "") {
		size_t k = strlen(s);
		r[n++] = (struct rule){s, k, 0};
		r[n++] = (struct rule){s, k + 1, '!'};
		if (strchr(s, '.'))
			r[n++] = (struct rule){strchr(s, '.'), strlen(strchr(s, '.')) + 1, '*'};
	}
	return n;
}

/* The public suffix list's rules for this message's domains (From, SPF's, the signatures'), in a file of their
 * own for libopendmarc: it reads a whole list at each set-up, 9,700 rules and 23 M instructions a session. Its
 * descriptor, or -1 (then no list). Comment lines naming an xn-- suffix are rules to it too: all of them kept. */
static int suffix_rules(const struct smtp_checks *c)
{
	struct rule rules[PSL_RULES_MAX];
	size_t n = rules_of(c->dmarc_from, rules, PSL_RULES_MAX);
	const char *at = strrchr(c->spf_identity, '@');
	if (c->spf_result)
		n += rules_of(at ? at + 1 : c->spf_identity, rules + n, PSL_RULES_MAX - n);
	for (size_t i = 0; i < c->n_sigs; i++)
		n += rules_of(c->sigs[i].domain, rules + n, PSL_RULES_MAX - n);
	unsigned char last[256] = {0}; /* the last letters of the rules: most of the list's lines end otherwise */
	for (size_t i = 0; i < n; i++)
		last[(unsigned char)tolower((unsigned char)rules[i].name[strlen(rules[i].name) - 1])] = 1;
	int in = open(PUBLIC_SUFFIXES, O_RDONLY | O_CLOEXEC), fd = -1;
	struct stat st;
	const char *list = in >= 0 && fstat(in, &st) == 0 && st.st_size > 0
	                       ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in, 0) : MAP_FAILED;
	if (list != MAP_FAILED && (fd = memfd_create("suffixes", MFD_CLOEXEC)) >= 0) {
		struct outbuf kept;
		outbuf_init(&kept, fd_write, &fd);
		for (const char *p = list, *end = list + st.st_size, *eol; p < end; p = eol + 1) {
			if (!(eol = memchr(p, '\n', (size_t)(end - p))))
				eol = end;
			size_t len = 0; /* the rule: up to a blank, within the line (the map has no NUL at its end) */
			while (p + len < eol && p[len] != ' ' && p[len] != '\t' && p[len] != '\r')
				len++;
			int keep = len >= 2 && p[0] == '/' && p[1] == '/' && memmem(p, (size_t)(eol - p), "xn-", 3);
			for (size_t i = 0; !keep && len && last[(unsigned char)tolower((unsigned char)p[len - 1])] && i < n; i++)
				keep = len == rules[i].len && (!rules[i].mark || *p == rules[i].mark) &&
				       !strncasecmp(p + !!rules[i].mark, rules[i].name, len - !!rules[i].mark);
			if (keep) {
				outbuf_add(&kept, p, (size_t)(eol - p));
				outbuf_add(&kept, "\n", 1);
			}
		}
		if (outbuf_flush(&kept) < 0) {
			close(fd);
			fd = -1;
		}
		outbuf_free(&kept);
	}
	if (list != MAP_FAILED)
		munmap((void *)list, (size_t)st.st_size);
	if (in >= 0)
		close(in);
	return fd;
}

/* DMARC (RFC 7489) of the From domain, from SPF's and the signatures' results. */
static void dmarc_check(struct smtp_checks *c)
{
	if (c->from_cut || envelope_from_domain(c->from, c->from_len, c->dmarc_from, sizeof c->dmarc_from) < 0) {
		c->dmarc_from[0] = '\0';
		return; /* no one From domain: nothing to align with (the message is judged by the rest) */
	}
	OPENDMARC_LIB_T lib = {.tld_type = OPENDMARC_TLD_TYPE_NONE};
	/* Without the list each domain is its own organizational domain: a subdomain with no record of its own goes
	 * unchecked, a sibling's signature does not align (Debian's package depends on publicsuffix). */
	int rules = suffix_rules(c);
	if (rules >= 0) {
		lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
		snprintf((char *)lib.tld_source_file, sizeof lib.tld_source_file, "/proc/self/fd/%d", rules);
	}
	int ready = opendmarc_policy_library_init(&lib) == DMARC_PARSE_OKAY;
	if (rules >= 0) {
		close(rules);
		if (!ready) { /* no /proc to read it by: organizational domains as without the list */
			opendmarc_policy_library_shutdown(&lib);
			lib = (OPENDMARC_LIB_T){.tld_type = OPENDMARC_TLD_TYPE_NONE};
			ready = opendmarc_policy_library_init(&lib) == DMARC_PARSE_OKAY;
		}
	}
	if (!ready) {
		opendmarc_policy_library_shutdown(&lib);
		return;
	}
	DMARC_POLICY_T *p = opendmarc_policy_connect_init((unsigned char *)c->client_text, c->client.family == AF_INET6);
	if (!p) {
		opendmarc_policy_library_shutdown(&lib);
		return;
	}
	opendmarc_policy_store_from_domain(p, (unsigned char *)c->dmarc_from);
	if (c->spf_result) {
		const char *at = strrchr(c->spf_identity, '@');
		int r = c->spf_result == SPF_RESULT_PASS ? DMARC_POLICY_SPF_OUTCOME_PASS
		      : c->spf_result == SPF_RESULT_TEMPERROR ? DMARC_POLICY_SPF_OUTCOME_TMPFAIL
		      : c->spf_result == SPF_RESULT_NONE ? DMARC_POLICY_SPF_OUTCOME_NONE : DMARC_POLICY_SPF_OUTCOME_FAIL;
		opendmarc_policy_store_spf(p, (unsigned char *)(at ? at + 1 : c->spf_identity), r,
		                           c->spf_helo ? DMARC_POLICY_SPF_ORIGIN_HELO : DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
	}
	for (size_t i = 0; i < c->n_sigs; i++) {
		const char *r = c->sigs[i].result;
		opendmarc_policy_store_dkim(p, (unsigned char *)c->sigs[i].domain, (unsigned char *)c->sigs[i].selector,
		                            !strcmp(r, "pass") ? DMARC_POLICY_DKIM_OUTCOME_PASS
		                            : !strcmp(r, "temperror") ? DMARC_POLICY_DKIM_OUTCOME_TMPFAIL
		                            : DMARC_POLICY_DKIM_OUTCOME_FAIL, NULL);
	}
	int q = opendmarc_policy_query_dmarc(p, NULL), policy = opendmarc_get_policy_to_enforce(p), rp = 0;
	opendmarc_policy_fetch_p(p, &rp);
	opendmarc_policy_connect_shutdown(p);
	opendmarc_policy_library_shutdown(&lib);
	c->dmarc_policy = (char)rp;
	c->dmarc_enforce = q == DMARC_PARSE_OKAY ? policy : 0;
	c->dmarc_result = q == DMARC_DNS_ERROR_TMPERR ? "temperror"
	                : q == DMARC_DNS_ERROR_NO_RECORD || q == DMARC_DNS_ERROR_NXDOMAIN ? "none"
	                : q != DMARC_PARSE_OKAY ? "permerror"
	                : policy == DMARC_POLICY_PASS ? "pass"
	                : policy == DMARC_POLICY_ABSENT ? "none" : "fail";
	log_session_note("dmarc", c->dmarc_result);
}

static enum smtp_check check_message(void *ctx, const char *helo, const char *sender,
                                     const char (*rcpt)[STORE_ADDRESS_MAX + 1], size_t n_rcpt, char why[SMTP_WHY_MAX])
{
	struct smtp_store *b = ctx;
	struct smtp_checks *c = b->checks;
	dkim_finish(c);
	dmarc_check(c);
	/* the policy that applies (sp= for a subdomain), as libopendmarc works it out; pct= is not applied */
	if (c->dmarc_enforce == DMARC_POLICY_REJECT && c->dmarc_reject) {
		snprintf(why, SMTP_WHY_MAX, "DMARC policy of %s", c->dmarc_from);
		return SMTP_CHECK_REFUSE;
	}
	if (c->dmarc_enforce == DMARC_POLICY_QUARANTINE)
		store_delivery_junk(b->delivery);
	return c->rspamd_host[0] ? smtp_rspamd_scan(c, b->delivery, helo, sender, rcpt, n_rcpt, why) : SMTP_CHECK_PASS;
}

/* "Authentication-Results: authserv-id; method=result property=value; ..."
 * (RFC 8601 2.2), a method a line, a value that is not plain left out; then
 * rspamd's verdict, as Postfix sites' milter writes it. */
static size_t results(void *ctx, char *buf, size_t size)
{
	struct smtp_checks *c = ((struct smtp_store *)ctx)->checks;
	size_t n = (size_t)snprintf(buf, size, "Authentication-Results: %s", c->authserv_id);
	if (c->spf_result && n < size) {
		const char *at = strrchr(c->spf_identity, '@'), *v = c->spf_identity;
		if (!plain(v) && at && plain(at + 1))
			v = at + 1; /* RFC 8601 2.7.2: the domain alone is a valid smtp.mailfrom */
		n += (size_t)snprintf(buf + n, size - n, ";\r\n\tspf=%s", SPF_strresult(c->spf_result));
		if (plain(v) && n < size)
			n += (size_t)snprintf(buf + n, size - n, " smtp.%s=%s", c->spf_helo ? "helo" : "mailfrom", v);
	}
	if (c->dkim_none && n < size)
		n += (size_t)snprintf(buf + n, size - n, ";\r\n\tdkim=none");
	for (size_t i = 0; i < c->n_sigs && n < size; i++) {
		const struct checks_dkim *d = &c->sigs[i];
		n += (size_t)snprintf(buf + n, size - n, ";\r\n\tdkim=%s", d->result);
		if (plain(d->domain) && n < size)
			n += (size_t)snprintf(buf + n, size - n, " header.d=%s", d->domain);
		if (plain(d->selector) && n < size)
			n += (size_t)snprintf(buf + n, size - n, " header.s=%s", d->selector);
	}
	if (c->dmarc_result && n < size) {
		n += (size_t)snprintf(buf + n, size - n, ";\r\n\tdmarc=%s", c->dmarc_result);
		/* the policy that applied, sp= for a subdomain; for a pass, the record's p= */
		const char *p = c->dmarc_enforce == DMARC_POLICY_REJECT ? "reject"
		              : c->dmarc_enforce == DMARC_POLICY_QUARANTINE ? "quarantine"
		              : c->dmarc_enforce == DMARC_POLICY_NONE ? "none"
		              : c->dmarc_policy == DMARC_RECORD_P_REJECT ? "reject"
		              : c->dmarc_policy == DMARC_RECORD_P_QUARANTINE ? "quarantine"
		              : c->dmarc_policy == DMARC_RECORD_P_NONE ? "none" : NULL;
		if (p && n < size)
			n += (size_t)snprintf(buf + n, size - n, " (p=%s)", p);
		if (plain(c->dmarc_from) && n < size)
			n += (size_t)snprintf(buf + n, size - n, " header.from=%s", c->dmarc_from);
	}
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "\r\n");
	if (c->rspamd_spam && n < size)
		n += (size_t)snprintf(buf + n, size - n, "X-Spam: Yes\r\n");
	if (c->rspamd_scored && n < size)
		n += (size_t)snprintf(buf + n, size - n, "X-Spam-Score: %.2f\r\n", c->rspamd_score);
	return n < size ? n : 0; /* cut short it would be wrong: none rather */
}

static int head(void *ctx, const char *data, size_t len)
{
	struct smtp_store *b = ctx;
	return store_delivery_head(b->delivery, data, len) == STORE_OK ? 0 : -1;
}

/* Signatures past CHECKS_DKIM_MAX are not verified: each costs a DNS query, and
 * what is verified is what is reported and what DMARC weighs (opendkim's
 * MaximumSignaturesToVerify). */
static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int n)
{
	(void)dkim;
	for (int i = CHECKS_DKIM_MAX; i < n; i++)
		dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

void smtp_verify_init(struct smtp_checks *c, struct smtp_backend *be)
{
	((struct smtp_store *)be->ctx)->head_later = 1; /* the trace fields wait for the results */
	c->dmarc_reject = strcmp(env_str("INETMAIL_DMARC_REJECT", "yes"), "no") != 0;
	if ((c->dkim_lib = dkim_init(NULL, NULL)))
		dkim_set_prescreen(c->dkim_lib, prescreen);
	be->check_field = check_field;
	be->check_body = check_body;
	be->check_message = check_message;
	be->results = results;
	be->head = head;
}
