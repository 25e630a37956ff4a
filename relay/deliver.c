/* One attempt at a claimed message to one domain: the destination's hosts in
 * turn until one has answered for every recipient, then each outcome recorded. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "dkim.h"
#include "dotstuff.h"
#include "log.h"
#include "mx.h"
#include "net.h"
#include "relay.h"
#include "reply.h"

enum outcome { PENDING, SENT, TEMP, PERM };

struct rcpt {
	enum outcome outcome;
	char status[16];
	char answer[REPLY_TEXT_MAX + 1];
	const char *remote; /* the host that answered, NULL when we gave up ourselves */
};

struct attempt {
	const struct relay_config *cfg;
	const struct store_relay_claim *c;
	struct store *store;
	struct rcpt *r;
	char host[MX_NAME_MAX + 1]; /* being tried */
	char remote[MX_NAME_MAX + 80]; /* "host[address]" for the logs and the bounces */
	char answer[REPLY_TEXT_MAX + 1]; /* why the last host did not take the mail */
	int host_perm;      /* that answer was a permanent refusal */
	struct net net;
	struct ehlo_offer offer;
	struct dotstuff stuff; /* the content's, across chunks */
	int write_failed;
	int first_chunk;
	int lease_lost; /* then nothing more is sent, nor recorded */
	char *sig; /* the DKIM-Signature: field that goes first, or NULL */
	size_t sig_len;
};

static void set_one(struct attempt *a, size_t i, enum outcome o, const char *status, const char *answer,
                    const char *remote)
{
	a->r[i].outcome = o;
	snprintf(a->r[i].status, sizeof a->r[i].status, "%s", status);
	snprintf(a->r[i].answer, sizeof a->r[i].answer, "%s", answer);
	a->r[i].remote = remote;
}

static void set_all(struct attempt *a, enum outcome o, const char *status, const char *answer, const char *remote)
{
	for (size_t i = 0; i < a->c->n; i++)
		if (a->r[i].outcome == PENDING)
			set_one(a, i, o, status, answer, remote);
}

static void set_reply(struct attempt *a, size_t i, const struct relay_reply *rep)
{
	enum relay_reply_class k = relay_reply_class(rep->code);
	a->r[i].outcome = k == REPLY_OK ? SENT : k == REPLY_PERM ? PERM : TEMP;
	relay_reply_status(rep, a->r[i].status);
	snprintf(a->r[i].answer, sizeof a->r[i].answer, "%s", rep->text);
	a->r[i].remote = a->remote;
}

/* The claim's lease outlives the wait to come, or the attempt stops (-1):
 * another agent may have the rows. */
static int keep_lease(struct attempt *a)
{
	if (store_relay_keep(a->store, a->cfg->lease) == STORE_OK)
		return 0;
	a->lease_lost = 1;
	snprintf(a->answer, sizeof a->answer, "the lease could not be renewed");
	return -1;
}

/* The connection's tick: the lease renewed while a wait goes on. */
static int lease_tick(void *ctx) { return keep_lease(ctx) < 0; }

/* A whole reply; code 0 when the connection failed (or the lease is lost). */
static void read_reply(struct attempt *a, struct relay_reply *rep)
{
	char line[NET_LINE_MAX + 1];
	memset(rep, 0, sizeof *rep);
	if (keep_lease(a) < 0) {
		snprintf(rep->text, sizeof rep->text, "the lease could not be renewed");
		return;
	}
	int rc = 0;
	while (rc == 0) {
		if (net_line(&a->net, line) < 0) {
			snprintf(rep->text, sizeof rep->text, "connection lost or timed out");
			rep->code = 0;
			return;
		}
		rc = relay_reply_line(rep, line);
	}
	if (rc < 0) {
		snprintf(rep->text, sizeof rep->text, "no SMTP reply: %.80s", line);
		rep->code = 0;
	}
}

static int send_line(struct attempt *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int send_line(struct attempt *a, const char *fmt, ...)
{
	char line[NET_LINE_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 2)
		return -1;
	memcpy(line + n, "\r\n", 2);
	return net_write(&a->net, line, (size_t)n + 2);
}

/* The host did not take the mail: why, for the next host or the retry. */
static int host_failed(struct attempt *a, const char *what, const struct relay_reply *rep)
{
	snprintf(a->answer, sizeof a->answer, "%.300s%s%.500s", rep ? a->remote : a->host, what, rep ? rep->text : "");
	a->host_perm = rep && relay_reply_class(rep->code) == REPLY_PERM;
	return -1;
}

static int command(struct attempt *a, struct relay_reply *rep, const char *verb, const char *arg)
{
	if (send_line(a, "%s%s", verb, arg) < 0)
		return host_failed(a, ": connection lost", NULL);
	read_reply(a, rep);
	return rep->code ? 0 : -1;
}

static int ehlo(struct attempt *a)
{
	struct relay_reply rep;
	char line[NET_LINE_MAX + 1];
	memset(&a->offer, 0, sizeof a->offer);
	if (send_line(a, "EHLO %s", a->cfg->helo) < 0)
		return host_failed(a, ": connection lost", NULL);
	memset(&rep, 0, sizeof rep);
	int rc = 0;
	while (rc == 0 && net_line(&a->net, line) >= 0)
		if ((rc = relay_reply_line(&rep, line)) >= 0 && rep.lines > 1)
			relay_ehlo_offer_line(&a->offer, line + 4);
	if (rc <= 0)
		return host_failed(a, ": no reply to EHLO", NULL);
	if (rep.code == 250)
		return 0;
	/* RFC 5321 3.2: a server that knows no EHLO is greeted with HELO */
	if (command(a, &rep, "HELO ", a->cfg->helo) < 0 || rep.code != 250)
		return host_failed(a, " refused HELO: ", &rep);
	return 0;
}

static int start_tls(struct attempt *a)
{
	const struct relay_config *cfg = a->cfg;
	char err[256];
	if (net_tls(&a->net, a->host, cfg->tls == RELAY_TLS_VERIFY, cfg->ca_file, err, sizeof err) < 0) {
		snprintf(a->answer, sizeof a->answer, "%s", err);
		a->host_perm = 0;
		return -1;
	}
	return 0;
}

static int non_ascii(const char *s)
{
	for (; *s; s++)
		if (*s & 0x80)
			return 1;
	return 0;
}

static int needs_utf8(const struct store_relay_claim *c)
{
	int any = non_ascii(c->rows[0].sender);
	for (size_t i = 0; i < c->n && !any; i++)
		any = non_ascii(c->rows[i].recipient);
	return any;
}

static int authenticate(struct attempt *a)
{
	const struct relay_config *cfg = a->cfg;
	struct relay_reply rep;
	if (!a->net.ssl) /* credentials never cross the network in clear */
		return host_failed(a, ": not authenticating without TLS", NULL);
	if (!a->offer.auth_plain && !a->offer.auth_login)
		return host_failed(a, ": offers neither AUTH PLAIN nor AUTH LOGIN", NULL);
	size_t ul = strlen(cfg->user), pl = strlen(cfg->password);
	unsigned char raw[2 * RELAY_CREDENTIAL_MAX + 2];
	char b64[4 * ((sizeof raw + 2) / 3) + 1];
	int rc;
	if (a->offer.auth_plain) {
		raw[0] = 0;
		memcpy(raw + 1, cfg->user, ul);
		raw[1 + ul] = 0;
		memcpy(raw + 2 + ul, cfg->password, pl);
		base64_encode(raw, ul + pl + 2, b64);
		rc = command(a, &rep, "AUTH PLAIN ", b64);
	} else {
		base64_encode((const unsigned char *)cfg->user, ul, b64);
		rc = command(a, &rep, "AUTH LOGIN ", b64);
		if (rc == 0 && rep.code == 334) {
			base64_encode((const unsigned char *)cfg->password, pl, b64);
			rc = command(a, &rep, "", b64);
		}
	}
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(b64, sizeof b64);
	if (rc < 0 || rep.code != 235) {
		host_failed(a, " refused our credentials: ", &rep);
		a->host_perm = 0; /* the administrator's to fix: the mail waits, it does not bounce */
		return -1;
	}
	return 0;
}

static int send_out(void *net, const char *p, size_t n) { return net_write(net, p, n); }

/* The content, dot-stuffed (RFC 5321 4.5.2), as the store streams it. */
static int write_content(void *ctx, const void *data, size_t len)
{
	struct attempt *a = ctx;
	size_t skip = a->first_chunk ? relay_content_start(data, len) : 0;
	a->first_chunk = 0;
	if (dotstuff_put(&a->stuff, (const char *)data + skip, len - skip, send_out, &a->net) == 0)
		return 0;
	a->write_failed = 1;
	return -1;
}

/* MAIL, RCPT for every pending recipient, DATA and the content. 0 when the
 * host answered for each (outcomes set), -1 when the next host should be tried. */
static int transaction(struct attempt *a)
{
	const struct store_relay_claim *c = a->c;
	char mail[NET_LINE_MAX + 1];
	int utf8 = needs_utf8(c);
	uint64_t size = c->size + a->sig_len;
	if (a->offer.size && size > a->offer.size) {
		char why[REPLY_TEXT_MAX + 1];
		snprintf(why, sizeof why, "message of %llu octets is larger than %s accepts (SIZE %llu)",
		         (unsigned long long)size, a->remote, (unsigned long long)a->offer.size);
		set_all(a, PERM, "5.3.4", why, a->remote);
		return 0;
	}
	if (utf8 && !a->offer.smtputf8) {
		set_all(a, PERM, "5.6.7", "an address needs SMTPUTF8, which the server does not offer", a->remote);
		return 0;
	}
	snprintf(mail, sizeof mail, "MAIL FROM:<%s>%s%s", c->rows[0].sender, a->offer.eightbitmime ? " BODY=8BITMIME" : "",
	         utf8 ? " SMTPUTF8" : "");
	if (a->offer.size) {
		size_t n = strlen(mail);
		snprintf(mail + n, sizeof mail - n, " SIZE=%llu", (unsigned long long)size);
	}
	size_t idx[c->n], n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (a->r[i].outcome == PENDING)
			idx[n++] = i;
	struct relay_reply rep;
	int pipelined = a->offer.pipelining;
	if (send_line(a, "%s", mail) < 0)
		return host_failed(a, ": connection lost", NULL);
	if (pipelined) { /* RFC 2920: MAIL, every RCPT and DATA in one go, the replies in order */
		for (size_t k = 0; k < n; k++)
			if (send_line(a, "RCPT TO:<%s>", c->rows[idx[k]].recipient) < 0)
				return host_failed(a, ": connection lost", NULL);
		if (send_line(a, "DATA") < 0)
			return host_failed(a, ": connection lost", NULL);
	}
	read_reply(a, &rep);
	if (!rep.code)
		return host_failed(a, ": ", &rep);
	if (relay_reply_class(rep.code) != REPLY_OK) {
		if (relay_reply_class(rep.code) == REPLY_PERM) {
			for (size_t k = 0; k < n; k++)
				set_reply(a, idx[k], &rep);
			return 0;
		}
		return host_failed(a, " deferred MAIL FROM: ", &rep);
	}
	size_t accepted = 0;
	for (size_t k = 0; k < n; k++) {
		if (!pipelined && send_line(a, "RCPT TO:<%s>", c->rows[idx[k]].recipient) < 0)
			return host_failed(a, ": connection lost", NULL);
		read_reply(a, &rep);
		if (!rep.code)
			return host_failed(a, ": ", &rep);
		set_reply(a, idx[k], &rep);
		if (a->r[idx[k]].outcome == SENT) {
			a->r[idx[k]].outcome = PENDING; /* accepted: sent only once the content is */
			idx[accepted++] = idx[k];
		}
	}
	if (!pipelined && accepted && send_line(a, "DATA") < 0)
		return host_failed(a, ": connection lost", NULL);
	if (pipelined || accepted)
		read_reply(a, &rep);
	if (!accepted)
		return 0;
	if (rep.code != 354) {
		for (size_t k = 0; k < accepted; k++)
			set_reply(a, idx[k], &rep);
		if (!rep.code)
			return host_failed(a, ": ", &rep);
		return 0;
	}
	a->stuff = (struct dotstuff){1};
	a->first_chunk = 1;
	a->write_failed = a->sig && net_write(&a->net, a->sig, a->sig_len) < 0;
	enum store_result r =
	        a->write_failed ? STORE_PERMFAIL : store_relay_content(a->store, c, a->cfg->lease, write_content, a);
	if (r != STORE_OK) {
		/* the mail stops short of its final dot: the server keeps nothing */
		snprintf(a->answer, sizeof a->answer, "%s", a->write_failed ? "connection lost while sending the message"
		                                                                : "the database failed while sending");
		for (size_t k = 0; k < accepted; k++)
			set_one(a, idx[k], TEMP, "4.0.0", a->answer, a->remote);
		return r == STORE_NOT_FOUND || !a->write_failed ? -2 : 0;
	}
	if (keep_lease(a) < 0)
		return -2; /* no final dot: the server keeps nothing */
	/* stored lines end in CRLF (bare LF is refused on the way in): a last line without one gets it */
	int crlf = a->stuff.at_line_start;
	if (net_write(&a->net, crlf ? ".\r\n" : "\r\n.\r\n", crlf ? 3 : 5) < 0)
		rep.code = 0;
	else {
		net_timeout(&a->net, RELAY_DOT_TIMEOUT_S);
		read_reply(a, &rep);
	}
	if (!rep.code)
		snprintf(rep.text, sizeof rep.text, "connection lost after the message was sent");
	for (size_t k = 0; k < accepted; k++)
		set_reply(a, idx[k], &rep);
	return 0;
}

/* One host: 0 when it answered for every pending recipient, -1 to try the next. */
static int try_host(struct attempt *a, unsigned port)
{
	const struct relay_config *cfg = a->cfg;
	char err[REPLY_TEXT_MAX + 1];
	struct relay_reply rep;
	if (keep_lease(a) < 0) /* the connect's wait, like any other */
		return -2;
	if (net_connect(&a->net, a->host, port, RELAY_CONNECT_TIMEOUT_S, err, sizeof err) < 0) {
		snprintf(a->answer, sizeof a->answer, "%s", err);
		a->host_perm = 0;
		return -1;
	}
	snprintf(a->remote, sizeof a->remote, "%s[%s]", a->host, a->net.addr);
	net_timeout(&a->net, RELAY_COMMAND_TIMEOUT_S);
	net_set_tick(&a->net, lease_tick, a);
	int rc = -1;
	if (cfg->implicit_tls && start_tls(a) < 0)
		goto out;
	read_reply(a, &rep);
	if (rep.code != 220) {
		host_failed(a, " greeted us with: ", &rep);
		goto out;
	}
	if (ehlo(a) < 0)
		goto out;
	if (!a->net.ssl && cfg->tls != RELAY_TLS_NONE && a->offer.starttls) {
		if (command(a, &rep, "STARTTLS", "") < 0 || rep.code != 220) {
			if (cfg->tls >= RELAY_TLS_ENCRYPT) {
				host_failed(a, " refused STARTTLS: ", &rep);
				goto out;
			}
		} else if (start_tls(a) < 0 || ehlo(a) < 0) {
			goto out;
		}
	}
	if (!a->net.ssl && cfg->tls >= RELAY_TLS_ENCRYPT) {
		host_failed(a, ": TLS is required and the server does not offer STARTTLS", NULL);
		goto out;
	}
	if (cfg->auth && authenticate(a) < 0)
		goto out;
	rc = transaction(a);
	if (a->lease_lost)
		rc = -2;
	if (rc == 0)
		send_line(a, "QUIT"); /* its reply is not waited for: the mail is done */
out:
	net_close(&a->net);
	return a->lease_lost ? -2 : rc;
}

static unsigned retry_delay(const struct relay_config *cfg, uint64_t attempts)
{
	unsigned long d = cfg->retry_first;
	for (uint64_t i = 0; i < attempts && d < RELAY_RETRY_MAX_S; i++)
		d *= 2;
	return d < RELAY_RETRY_MAX_S ? (unsigned)d : RELAY_RETRY_MAX_S;
}

static void record(struct attempt *a, size_t i)
{
	const struct store_relay_row *row = &a->c->rows[i];
	struct rcpt *r = &a->r[i];
	const char *what = "sent";
	char f_queue[40], f_rcpt[STORE_ADDRESS_MAX + 32], f_status[40], retry[40] = "";
	enum store_result res;
	if (r->outcome == TEMP && row->age_seconds >= a->cfg->max_age) {
		char why[REPLY_TEXT_MAX + 1];
		snprintf(why, sizeof why, "gave up after %llu days; the last try: %.800s",
		         (unsigned long long)row->age_seconds / 86400, r->answer);
		snprintf(r->answer, sizeof r->answer, "%s", why);
		snprintf(r->status, sizeof r->status, "5.4.7");
		r->outcome = PERM;
		r->remote = NULL;
	}
	unsigned delay = 0;
	switch (r->outcome) {
	case SENT:
		res = store_relay_delivered(a->store, a->c, i);
		break;
	case PERM:
		what = "bounced";
		res = store_relay_failed(a->store, a->c, i, r->remote, r->status, r->answer);
		break;
	default:
		what = "deferred";
		delay = retry_delay(a->cfg, row->attempts);
		snprintf(retry, sizeof retry, " retry_in=%us", delay);
		res = store_relay_retry(a->store, row, delay, r->answer);
		break;
	}
	snprintf(f_queue, sizeof f_queue, "INETMAIL_QUEUE_ID=%llu", (unsigned long long)row->id);
	snprintf(f_rcpt, sizeof f_rcpt, "INETMAIL_RECIPIENT=%s", row->recipient);
	snprintf(f_status, sizeof f_status, "INETMAIL_RESULT=%s", what);
	const char *fields[] = {f_queue, f_rcpt, f_status, NULL};
	log_send(res == STORE_OK ? LOG_INFO : LOG_ERR, fields,
	         "queue %llu: to=<%s> relay=%s tls=%s status=%s%s answer=%s%s%s", (unsigned long long)row->id,
	         row->recipient, r->remote ? r->remote : a->remote[0] ? a->remote : "none",
	         a->net.tls[0] ? a->net.tls : "none", what, retry, r->answer,
	         res == STORE_OK ? "" : "; not recorded: ", res == STORE_OK ? "" : store_result_name(res));
}

void relay_deliver(struct store *s, const struct relay_config *cfg, const struct store_relay_claim *c)
{
	struct rcpt r[c->n];
	memset(r, 0, sizeof r);
	struct attempt *a = calloc(1, sizeof *a);
	if (!a)
		return; /* the lease lapses and the rows are tried again */
	*a = (struct attempt){.cfg = cfg, .c = c, .store = s, .r = r};
	a->net.fd = -1;
	struct mx_list hosts = {0};
	char err[REPLY_TEXT_MAX + 1];
	unsigned port = cfg->port;
	if (cfg->mode == RELAY_SMARTHOST) {
		hosts.n = 1;
		snprintf(hosts.host[0], sizeof hosts.host[0], "%s", cfg->host);
	} else {
		switch (relay_mx_lookup(c->domain, &hosts, err, sizeof err)) {
		case MX_OK:
			break;
		case MX_TEMPFAIL:
			set_all(a, TEMP, "4.4.3", err, NULL);
			break;
		case MX_NO_DOMAIN:
			set_all(a, PERM, "5.1.2", err, NULL);
			break;
		case MX_NULL:
			set_all(a, PERM, "5.1.10", err, NULL);
			break;
		}
	}
	if (hosts.n) {
		if (relay_dkim_sign(s, c, cfg->lease, &a->sig, &a->sig_len, err, sizeof err) < 0) { /* a key that cannot sign: the mail waits for the administrator, never goes unsigned */
			set_all(a, TEMP, "4.7.0", err, NULL);
			hosts.n = 0;
		}
	}
	int tried = 0, stopped = 0, all_perm = 1;
	for (int h = 0; h < hosts.n && !stopped; h++) {
		int pending = 0;
		for (size_t i = 0; i < c->n; i++)
			pending |= r[i].outcome == PENDING;
		if (!pending)
			break;
		snprintf(a->host, sizeof a->host, "%s", hosts.host[h]);
		a->remote[0] = 0;
		tried++;
		int rc = try_host(a, port);
		stopped = rc == -2; /* the store failed or the lease is lost: nothing more is recorded */
		all_perm &= rc == 0 || a->host_perm;
	}
	if (stopped) {
		log_send(LOG_ERR, NULL, "message %llu to %s: %s; the lease will lapse and it is tried again",
		         (unsigned long long)c->message_id, c->domain, a->answer);
	} else {
		/* no host took them: permanently only when each refused for good */
		if (tried)
			set_all(a, all_perm ? PERM : TEMP, all_perm ? "5.0.0" : "4.0.0", a->answer, all_perm ? a->remote : NULL);
		for (size_t i = 0; i < c->n; i++)
			record(a, i);
	}
	free(a->sig);
	free(a);
}
