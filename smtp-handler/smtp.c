/* SMTP commands: a table of {verb, handler, the states it is allowed in};
 * check_command and each handler's check_* come first (pure validation), then
 * the handler proceeds (side effects through the backend). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl.h"
#include "smtp_impl.h"

static void log_event(struct smtp_session *s, const char *event, const char *detail)
{
	if (s->be->logged)
		s->be->logged(s->be->ctx, event, detail);
}

/* ---- addresses and parameters ---- */

/* The end of a path that starts at p: the first of stop (">" or " ") that is
 * not inside a quoted string (RFC 5321 4.1.2: a quoted local part may hold
 * both), or NULL. */
static char *path_end(char *p, char stop)
{
	int quoted = 0;
	for (; *p; p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == stop)
			return p;
	}
	return stop == ' ' && !quoted ? p : NULL;
}

/* Parses "<path> params" after FROM:/TO:, with optional spaces after the
 * colon (the seed's client sends one) and without brackets as Postfix allows;
 * no path at all is an error (only "<>" is the null path). Returns the
 * address (source route dropped) and the parameters, or -1. */
static int check_path(char *arg, char **address, char **params)
{
	while (*arg == ' ')
		arg++;
	char *end;
	if (*arg == '<') {
		end = path_end(arg + 1, '>');
		if (!end || end - arg + 1 > SMTP_PATH_MAX)
			return -1;
		*end++ = '\0';
		arg++;
	} else {
		end = path_end(arg, ' ');
		if (!end || end == arg || end - arg + 2 > SMTP_PATH_MAX)
			return -1;
		if (*end)
			*end++ = '\0';
	}
	if (*arg == '@') { /* RFC 5321 C: a source route is accepted and ignored */
		char *colon = strchr(arg, ':');
		if (!colon)
			return -1;
		arg = colon + 1;
	}
	while (*end == ' ')
		end++;
	*address = arg;
	*params = end;
	return 0;
}

static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Qualifies a bare local part and canonicalises. 0, or the reply to give. */
static enum reply_id check_address(struct smtp_session *s, const char *in, char out[STORE_ADDRESS_MAX + 1])
{
	if (!*in || strlen(in) > STORE_ADDRESS_MAX)
		return R_BAD_ADDRESS;
	if (has_8bit(in) && !s->smtputf8)
		return R_NEED_SMTPUTF8;
	return store_address_qualify(in, s->cfg->domain, out) == 0 ? 0 : R_BAD_ADDRESS;
}

#define SIZE_DIGITS_MAX 19 /* SIZE= beyond 19 digits cannot fit a uint64_t */

/* MAIL FROM parameters (RFC 1870 SIZE, 6152 BODY, 6531 SMTPUTF8, 4954 AUTH). */
static enum reply_id check_mail_params(struct smtp_session *s, char *params, const char **bad)
{
	for (char *p = strtok(params, " "); p; p = strtok(NULL, " ")) {
		*bad = p;
		char *eq = strchr(p, '=');
		size_t klen = eq ? (size_t)(eq - p) : strlen(p);
		const char *v = eq ? eq + 1 : NULL;
		if (!s->esmtp)
			return R_PARAMETER;
		if (klen == 4 && !strncasecmp(p, "SIZE", 4) && v) {
			if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > SIZE_DIGITS_MAX)
				return R_SYNTAX;
			if (strtoull(v, NULL, 10) > s->cfg->max_size)
				return R_SIZE;
		} else if (klen == 4 && !strncasecmp(p, "BODY", 4) && v) {
			if (strcasecmp(v, "7BIT") && strcasecmp(v, "8BITMIME"))
				return R_SYNTAX;
		} else if (klen == 8 && !strncasecmp(p, "SMTPUTF8", 8) && !v) {
			s->smtputf8 = 1;
		} else if (klen == 4 && !strncasecmp(p, "AUTH", 4) && v && s->cfg->mode == SMTP_SUBMISSION) {
			/* RFC 4954 5: accepted; the authenticated user is what counts */
		} else {
			return R_PARAMETER;
		}
	}
	return 0;
}

/* ---- AUTH (RFC 4954) ---- */

/* RFC 4954 4 and RFC 8314: passwords travel over TLS unless the
 * administrator allowed plaintext. */
static int auth_offered(const struct smtp_session *s)
{
	return s->cfg->mode == SMTP_SUBMISSION && (s->tls || s->cfg->plaintext_auth);
}

/* Whether AUTH exists here at all; asked before its sequence. */
static enum reply_id check_auth_available(const struct smtp_session *s)
{
	if (s->cfg->mode != SMTP_SUBMISSION)
		return R_NOT_IMPLEMENTED;
	return auth_offered(s) ? 0 : R_ENCRYPTION_REQUIRED;
}

#define AUTH_AGAIN "already authenticated or in a transaction"

static void proceed_auth(struct smtp_session *s, const char *user, const char *password)
{
	char address[STORE_ADDRESS_MAX + 1], qualified[STORE_ADDRESS_MAX + 2];
	s->state = SMTP_READY;
	user = store_login_name(user, s->cfg->domain, qualified);
	enum store_result r = s->be->auth(s->be->ctx, user, password, address);
	if (r == STORE_OK) {
		s->authenticated = 1;
		strcpy(s->user, address);
		smtp_reply(s, R_AUTH_OK, NULL, NULL);
		log_event(s, "auth", address);
		return;
	}
	if (r != STORE_DENIED) {
		smtp_reply(s, R_AUTH_TEMPFAIL, NULL, NULL);
		return;
	}
	s->auth_failures++;
	log_event(s, "auth-failed", user);
	s->be->delay(s->be->ctx, s->auth_failures * SMTP_AUTH_DELAY_MS);
	smtp_reply(s, s->seed_auth ? R_SEED_AUTH_FAILED : R_AUTH_FAILED, NULL, NULL);
	if (s->auth_failures >= SMTP_AUTH_FAILURES_MAX)
		smtp_close_session(s, R_TOO_MANY_ERRORS);
}

/* Decodes a SASL response line into out: "*" cancels, bad base64 is refused.
 * Returns the length, or -1 (reply given, the session back to commands). */
static long sasl_line(struct smtp_session *s, const char *line, unsigned char *out)
{
	long n = strcmp(line, "*") ? sasl_decode(line, out) : -2;
	if (n < 0) {
		s->state = SMTP_READY;
		smtp_reply(s, n == -2 ? R_AUTH_CANCELLED : R_BAD_BASE64, NULL, NULL);
	}
	return n;
}

static void auth_plain_response(struct smtp_session *s, const char *line)
{
	unsigned char buf[SMTP_AUTH_LINE_MAX];
	const char *user, *password;
	long n = sasl_line(s, line, buf);
	if (n < 0)
		return;
	if (sasl_plain(buf, (size_t)n, &user, &password) < 0) {
		s->state = SMTP_READY;
		smtp_reply(s, R_BAD_BASE64, NULL, NULL);
	} else {
		proceed_auth(s, user, password);
	}
	explicit_bzero(buf, sizeof buf);
}

static void auth_continue(struct smtp_session *s, const char *line)
{
	unsigned char buf[SMTP_AUTH_LINE_MAX];
	if (s->state == SMTP_AUTH_PLAIN) {
		auth_plain_response(s, line);
		return;
	}
	long n = sasl_line(s, line, buf);
	if (n < 0)
		return;
	if (memchr(buf, '\0', (size_t)n)) { /* no NUL in a user name or password */
		s->state = SMTP_READY;
		smtp_reply(s, R_BAD_BASE64, NULL, NULL);
		return;
	}
	if (s->state == SMTP_AUTH_USER) {
		/* a name too long for an address can only fail, as a wrong one does */
		memcpy(s->login_user, buf, n > STORE_ADDRESS_MAX ? 0 : (size_t)n + 1);
		s->login_user[n > STORE_ADDRESS_MAX ? 0 : n] = '\0';
		s->state = SMTP_AUTH_PASS;
		smtp_reply(s, R_AUTH_CHALLENGE, "UGFzc3dvcmQ6", NULL); /* "Password:" */
	} else {
		proceed_auth(s, s->login_user, (char *)buf);
	}
	explicit_bzero(buf, sizeof buf);
}

static void cmd_auth(struct smtp_session *s, char *arg)
{
	if (s->authenticated) {
		smtp_reply(s, R_SEQUENCE, AUTH_AGAIN, NULL);
		return;
	}
	char *mech = strtok(arg, " "), *initial = strtok(NULL, " ");
	if (!mech || strtok(NULL, " ")) {
		smtp_reply(s, R_SYNTAX, "AUTH mechanism [initial-response]", NULL);
		return;
	}
	s->seed_auth = 0;
	if (!strcasecmp(mech, "PLAIN")) {
		s->state = SMTP_AUTH_PLAIN;
		if (initial)
			auth_continue(s, initial);
		else
			smtp_reply(s, R_AUTH_CHALLENGE, "", NULL);
	} else if (!strcasecmp(mech, "LOGIN")) {
		s->state = SMTP_AUTH_USER;
		if (initial)
			auth_continue(s, initial);
		else
			smtp_reply(s, R_AUTH_CHALLENGE, "VXNlcm5hbWU6", NULL); /* "Username:" */
	} else {
		smtp_reply(s, R_AUTH_MECHANISM, NULL, NULL);
	}
}

/* The seed client's one-line "AUTHLOGIN <user> <password>": AUTH under the
 * same rules; a failure is exactly "535", which is what that client tests. */
static void cmd_seed_authlogin(struct smtp_session *s, char *arg)
{
	if (s->authenticated) {
		smtp_reply(s, R_SEQUENCE, AUTH_AGAIN, NULL);
		return;
	}
	char *space = strchr(arg, ' ');
	if (!*arg || !space) {
		smtp_reply(s, R_SYNTAX, "AUTHLOGIN user password", NULL);
		return;
	}
	*space = '\0';
	s->seed_auth = 1;
	proceed_auth(s, arg, space + 1);
}

/* ---- the other commands ---- */

static void cmd_helo(struct smtp_session *s, char *arg, int esmtp)
{
	if (!*arg || strlen(arg) > SMTP_HELO_MAX || strchr(arg, ' ')) {
		smtp_reply(s, R_SYNTAX, esmtp ? "EHLO hostname" : "HELO hostname", NULL);
		return;
	}
	smtp_reset_transaction(s);
	s->state = SMTP_READY;
	s->esmtp = esmtp;
	snprintf(s->helo, sizeof s->helo, "%s", arg);
	if (!esmtp) {
		smtp_reply(s, R_HELO, s->cfg->hostname, NULL);
		return;
	}
	outbuf_printf(s->out, "250-%s\r\n250-PIPELINING\r\n250-SIZE %llu\r\n250-8BITMIME\r\n"
	                      "250-ENHANCEDSTATUSCODES\r\n",
	              s->cfg->hostname, (unsigned long long)s->cfg->max_size);
	if (s->cfg->tls_available && !s->tls)
		outbuf_printf(s->out, "250-STARTTLS\r\n");
	if (auth_offered(s) && !s->authenticated)
		outbuf_printf(s->out, "250-AUTH PLAIN LOGIN\r\n");
	outbuf_printf(s->out, "250 SMTPUTF8\r\n");
}

static void cmd_ehlo(struct smtp_session *s, char *arg) { cmd_helo(s, arg, 1); }
static void cmd_helo_plain(struct smtp_session *s, char *arg) { cmd_helo(s, arg, 0); }

static void cmd_mail(struct smtp_session *s, char *arg)
{
	char *address, *params;
	const char *bad = "";
	char canon[STORE_ADDRESS_MAX + 1] = "";
	if (s->cfg->mode == SMTP_SUBMISSION && !s->authenticated) {
		smtp_reply(s, R_AUTH_REQUIRED, NULL, NULL);
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) || check_path(arg + 5, &address, &params) < 0) {
		smtp_bad_command(s, R_SYNTAX, "MAIL FROM:<address>");
		return;
	}
	s->smtputf8 = 0;
	enum reply_id e = check_mail_params(s, params, &bad);
	if (!e && *address)
		e = check_address(s, address, canon);
	if (!e && s->cfg->mode == SMTP_SUBMISSION && strcmp(canon, s->user))
		e = R_NOT_OWNER;
	if (e) {
		s->smtputf8 = 0;
		smtp_reply(s, e, e == R_NOT_OWNER ? canon : e == R_BAD_ADDRESS ? "Sender address syntax" : bad, s->user);
		return;
	}
	if (smtp_checked(s) && s->be->check_sender &&
	    s->be->check_sender(s->be->ctx, s->helo, canon) == SMTP_CHECK_REFUSE) {
		s->rejected++;
		log_event(s, "rejected", "SPF fail");
		smtp_reply(s, R_SPF_FAIL, *canon ? canon : s->helo, NULL);
		return;
	}
	s->state = SMTP_MAIL;
	strcpy(s->sender, canon);
	smtp_reply(s, R_MAIL_OK, NULL, NULL);
}

static int is_postmaster(const char *canon)
{
	return !strncmp(canon, "postmaster@", 11);
}

/* Where the recipient stands: a lookup where the mode refuses unknown ones
 * (a submission otherwise bounces them after DATA, at no cost here). RFC 5321
 * 4.5.1: postmaster of a local domain is always accepted; when that domain
 * has none yet, mail for it goes to the postmaster of our own domain. */
static enum store_result check_recipient(struct smtp_session *s, char canon[STORE_ADDRESS_MAX + 1])
{
	int postmaster = is_postmaster(canon);
	if (s->cfg->mode != SMTP_MX && !s->cfg->reject_unknown && !postmaster)
		return STORE_OK;
	enum store_result r = s->be->recipient(s->be->ctx, canon);
	if (r == STORE_NOT_FOUND && postmaster &&
	    store_address_qualify("postmaster", s->cfg->domain, canon) == 0) {
		r = s->be->recipient(s->be->ctx, canon);
		if (r == STORE_NOT_LOCAL)
			r = STORE_NOT_FOUND;
	}
	return r;
}

static void cmd_rcpt(struct smtp_session *s, char *arg)
{
	char *address, *params;
	char canon[STORE_ADDRESS_MAX + 1];
	if (strncasecmp(arg, "TO:", 3) || check_path(arg + 3, &address, &params) < 0) {
		smtp_bad_command(s, R_SYNTAX, "RCPT TO:<address>");
		return;
	}
	if (*params) {
		smtp_reply(s, R_PARAMETER, params, NULL);
		return;
	}
	enum reply_id e = check_address(s, address, canon);
	if (e) {
		smtp_reply(s, e, "Recipient address syntax", NULL);
		return;
	}
	if (s->n_rcpt >= SMTP_RCPT_MAX) {
		smtp_reply(s, R_TOO_MANY_RCPTS, NULL, NULL);
		return;
	}
	char why[SMTP_WHY_MAX] = "";
	if (smtp_checked(s) && s->be->check_client && s->be->check_client(s->be->ctx, why) == SMTP_CHECK_REFUSE) {
		char detail[SMTP_WHY_MAX + 16];
		snprintf(detail, sizeof detail, "listed in %s", why);
		s->rejected++;
		log_event(s, "rejected", detail);
		smtp_reply(s, R_DNSBL, s->cfg->peer, why);
		return;
	}
	enum reply_id refusal = 0;
	enum store_result r = check_recipient(s, canon);
	if (r == STORE_TEMPFAIL) {
		smtp_reply(s, R_TEMPFAIL, NULL, NULL);
		return;
	}
	if (r == STORE_NOT_LOCAL && (s->cfg->mode == SMTP_MX || s->cfg->reject_unknown))
		refusal = R_RELAY_DENIED;
	else if (r == STORE_NOT_FOUND && (s->cfg->mode == SMTP_MX || s->cfg->reject_unknown))
		refusal = R_NO_MAILBOX;
	enum smtp_check grey = !refusal && smtp_checked(s) && s->be->check_recipient
	                           ? s->be->check_recipient(s->be->ctx, s->sender, canon) : SMTP_CHECK_PASS;
	if (grey == SMTP_CHECK_TEMPFAIL) {
		smtp_reply(s, R_TEMPFAIL, NULL, NULL);
		return;
	}
	if (grey == SMTP_CHECK_DEFER)
		refusal = R_GREYLISTED;
	if (refusal) {
		s->rejected++;
		log_event(s, "rejected", canon);
		smtp_reply(s, refusal, canon, NULL);
		return;
	}
	strcpy(s->rcpt[s->n_rcpt++], canon);
	s->state = SMTP_RCPT;
	smtp_reply(s, R_RCPT_OK, NULL, NULL);
}

static void cmd_data(struct smtp_session *s, char *arg)
{
	(void)arg;
	const char **rcpts = malloc(s->n_rcpt * sizeof *rcpts);
	int rc = -1;
	if (rcpts) {
		for (size_t i = 0; i < s->n_rcpt; i++)
			rcpts[i] = s->rcpt[i];
		/* Bounces go to a submitting sender only; MX mode never bounces. */
		rc = s->be->begin(s->be->ctx, s->cfg->mode == SMTP_SUBMISSION ? s->sender : "", rcpts, s->n_rcpt);
		free(rcpts);
	}
	if (rc < 0) {
		smtp_reply(s, R_TEMPFAIL, NULL, NULL);
		return;
	}
	smtp_data_begin(s);
	smtp_reply(s, R_DATA, NULL, NULL);
}

static void cmd_rset(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reset_transaction(s);
	smtp_reply(s, R_OK, NULL, NULL);
}

static void cmd_noop(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reply(s, R_OK, NULL, NULL);
}

static void cmd_vrfy(struct smtp_session *s, char *arg)
{
	if (!*arg)
		smtp_reply(s, R_SYNTAX, "VRFY address", NULL);
	else
		smtp_reply(s, R_VRFY, NULL, NULL);
}

static void cmd_help(struct smtp_session *s, char *arg)
{
	(void)arg;
	/* What this session offers now, as EHLO says it */
	smtp_reply(s, R_HELP, s->cfg->tls_available && !s->tls ? " STARTTLS" : "",
	      auth_offered(s) && !s->authenticated ? " AUTH" : "");
}

static void cmd_quit(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_reply(s, R_BYE, NULL, NULL);
	s->state = SMTP_CLOSED;
	s->ended = "quit";
}

static void cmd_starttls(struct smtp_session *s, char *arg)
{
	(void)arg;
	if (s->tls) {
		smtp_reply(s, R_SEQUENCE, "TLS already active", NULL);
	} else if (!s->cfg->tls_available) {
		smtp_reply(s, R_NO_TLS, NULL, NULL);
	} else {
		smtp_reply(s, R_STARTTLS, NULL, NULL);
		s->state = SMTP_STARTTLS; /* nothing after this line is read in plaintext */
	}
}

/* The states a command is allowed in. */
#define IN_GREETED (1u << SMTP_GREETED)
#define IN_READY (1u << SMTP_READY)
#define IN_MAIL (1u << SMTP_MAIL)
#define IN_RCPT (1u << SMTP_RCPT)
#define ANYWHERE (IN_GREETED | IN_READY | IN_MAIL | IN_RCPT)

#define LAST_IN_GROUP 1 /* RFC 2920 3.1: the client must wait for this reply */
#define NO_ARGUMENT 2   /* an argument is a syntax error, before anything else is looked at */

static const struct command {
	const char *verb;
	void (*proceed)(struct smtp_session *, char *arg);
	unsigned states;
	int flags;
	enum reply_id (*check_available)(const struct smtp_session *); /* before the state: is it offered at all */
	const char *in_transaction; /* why not, refused during a transaction */
} commands[] = {
	{"EHLO", cmd_ehlo, ANYWHERE, LAST_IN_GROUP, NULL, NULL},
	{"HELO", cmd_helo_plain, ANYWHERE, LAST_IN_GROUP, NULL, NULL},
	{"AUTH", cmd_auth, IN_READY, 0, check_auth_available, AUTH_AGAIN},
	{"AUTHLOGIN", cmd_seed_authlogin, IN_READY, 0, check_auth_available, AUTH_AGAIN},
	{"MAIL", cmd_mail, IN_READY, 0, NULL, "nested MAIL command"},
	{"RCPT", cmd_rcpt, IN_MAIL | IN_RCPT, 0, NULL, NULL},
	{"DATA", cmd_data, IN_RCPT, LAST_IN_GROUP | NO_ARGUMENT, NULL, NULL},
	{"RSET", cmd_rset, ANYWHERE, NO_ARGUMENT, NULL, NULL},
	{"NOOP", cmd_noop, ANYWHERE, 0, NULL, NULL},
	{"VRFY", cmd_vrfy, ANYWHERE, 0, NULL, NULL},
	{"HELP", cmd_help, ANYWHERE, 0, NULL, NULL},
	{"QUIT", cmd_quit, ANYWHERE, LAST_IN_GROUP, NULL, NULL},
	{"STARTTLS", cmd_starttls, ANYWHERE, LAST_IN_GROUP | NO_ARGUMENT, NULL, NULL},
};

/* Whether c may run now (pure): 0, or the reply refusing it and its text. */
static enum reply_id check_command(const struct smtp_session *s, const struct command *c, const char *arg,
                                   const char **why)
{
	*why = NULL;
	if ((c->flags & NO_ARGUMENT) && *arg) {
		*why = c->verb;
		return R_SYNTAX;
	}
	enum reply_id e = c->check_available ? c->check_available(s) : 0;
	if (e || (c->states & (1u << s->state)))
		return e;
	if (!(c->states & (IN_GREETED | IN_READY))) { /* a transaction's command */
		if (s->state == SMTP_MAIL)
			return R_NO_RCPTS;
		*why = "need MAIL command";
		return R_SEQUENCE;
	}
	*why = s->state == SMTP_GREETED ? "send HELO or EHLO first" : c->in_transaction;
	return R_SEQUENCE;
}

/* One complete command line (CRLF stripped). more_input: octets follow it. */
void smtp_command_line(struct smtp_session *s, char *line, size_t len, int more_input)
{
	if (s->state == SMTP_AUTH_PLAIN || s->state == SMTP_AUTH_USER || s->state == SMTP_AUTH_PASS) {
		auth_continue(s, line);
		return;
	}
	size_t vlen;
	const struct command *c = lines_verb(commands, sizeof commands / sizeof *commands, sizeof *commands, line, &vlen);
	if (len > SMTP_LINE_MAX - 2 && !(c && c->proceed == cmd_auth)) {
		smtp_bad_command(s, R_LINE_TOO_LONG, NULL);
		return;
	}
	if (!c) {
		smtp_bad_command(s, R_UNKNOWN, NULL);
		return;
	}
	/* Postfix's smtpd_forbid_unauth_pipelining: an unauthenticated network
	 * client that does not wait for this reply is not a real client. */
	if ((c->flags & LAST_IN_GROUP) && s->cfg->network_peer && !s->authenticated &&
	    (more_input || s->be->input_pending(s->be->ctx))) {
		log_event(s, "rejected", "pipelining before authentication");
		smtp_close_session(s, R_SYNC);
		return;
	}
	char *arg = line + vlen;
	if (*arg == ' ')
		arg++;
	const char *why;
	enum reply_id e = check_command(s, c, arg, &why);
	if (e)
		smtp_reply(s, e, why, NULL);
	else
		c->proceed(s, arg);
}
