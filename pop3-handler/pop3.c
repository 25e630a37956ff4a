/* POP3 commands: a table of {verb, states, handler}; arguments are checked
 * strictly before anything reaches the backend. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "dotstuff.h"
#include "number.h"
#include "pop3.h"
#include "sasl.h"

/* Every error reply, with its RFC 3206 response code where one applies. */
enum err_id {
	E_UNKNOWN, E_STATE, E_SYNTAX, E_NO_MESSAGE, E_DELETED, E_NEED_USER, E_AUTH_FAILED,
	E_PLAINTEXT, E_IN_USE, E_TEMP, E_CANCELLED, E_BAD_BASE64, E_MECHANISM, E_TOO_MANY_ERRORS,
	E_TIMEOUT, E_LINE_TOO_LONG, E_NO_TLS, E_TLS_ACTIVE,
};
static const char *const errors[] = {
	[E_UNKNOWN] = "-ERR Unknown command",
	[E_STATE] = "-ERR Command not valid in this state",
	[E_SYNTAX] = "-ERR Invalid arguments",
	[E_NO_MESSAGE] = "-ERR No such message",
	[E_DELETED] = "-ERR Message already deleted",
	[E_NEED_USER] = "-ERR USER first",
	[E_AUTH_FAILED] = "-ERR [AUTH] Authentication failed",
	[E_PLAINTEXT] = "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections",
	[E_IN_USE] = "-ERR [IN-USE] Mailbox is locked by another POP3 session",
	[E_TEMP] = "-ERR [SYS/TEMP] Temporary failure, please try again later",
	[E_CANCELLED] = "-ERR Authentication cancelled",
	[E_BAD_BASE64] = "-ERR Invalid base64 data",
	[E_MECHANISM] = "-ERR Unsupported authentication mechanism",
	[E_TOO_MANY_ERRORS] = "-ERR Too many errors, closing",
	[E_TIMEOUT] = "-ERR Disconnected for inactivity",
	[E_LINE_TOO_LONG] = "-ERR Line too long",
	[E_NO_TLS] = "-ERR TLS not available",
	[E_TLS_ACTIVE] = "-ERR TLS already active",
};

static void line_out(struct pop3_session *s, const char *text)
{
	outbuf_add(s->out, text, strlen(text));
	outbuf_add(s->out, "\r\n", 2);
}

static void err(struct pop3_session *s, enum err_id e) { line_out(s, errors[e]); }

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

static void close_with(struct pop3_session *s, enum err_id e, const char *ended)
{
	err(s, e);
	s->state = POP3_CLOSED;
	s->ended = ended;
}

/* The maildrop lock goes with the session, however it ends. */
static void release(struct pop3_session *s)
{
	if (s->locked)
		s->be->unlock(s->be->ctx, s->account.id);
	s->locked = 0;
}

int pop3_keep_lock(void *session)
{
	struct pop3_session *s = session;
	return s->locked && s->be->keep(s->be->ctx, s->account.id) == STORE_IN_USE;
}

static void bad_command(struct pop3_session *s, enum err_id e)
{
	err(s, e);
	if (++s->bad_commands >= POP3_BAD_COMMANDS_MAX)
		close_with(s, E_TOO_MANY_ERRORS, "errors");
}

static void log_event(struct pop3_session *s, const char *event, const char *detail)
{
	if (s->be->logged)
		s->be->logged(s->be->ctx, event, detail);
}

/* ---- arguments ---- */

/* Splits arguments separated by single spaces; empty ones are invalid.
 * Returns the count, or -1. */
static int split_args(char *arg, char **argv, int max)
{
	int n = 0;
	if (!*arg)
		return 0;
	for (char *p = arg;; p++) {
		if (n == max || *p == ' ')
			return -1;
		argv[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			return n;
		*p = '\0';
	}
}

/* A message number or a line count: no more than fits in 32 bits. */
static int parse_number(const char *a, uint64_t *out) { return number_parse(a, UINT32_MAX, out); }

/* The message a number names: 1..n, and not deleted. */
static struct pop3_message *check_message(struct pop3_session *s, const char *a)
{
	uint64_t n;
	if (parse_number(a, &n) < 0 || n == 0) {
		bad_command(s, E_SYNTAX);
		return NULL;
	}
	if (n > s->n_msgs) {
		err(s, E_NO_MESSAGE);
		return NULL;
	}
	if (s->msgs[n - 1].deleted) {
		err(s, E_DELETED);
		return NULL;
	}
	return &s->msgs[n - 1];
}

/* ---- logging in ---- */

static int add_message(void *ctx, const struct store_entry *e)
{
	struct pop3_session *s = ctx;
	if (array_reserve(&s->msgs, &s->cap_msgs, s->n_msgs, sizeof *s->msgs) < 0)
		return -1;
	struct pop3_message *m = &s->msgs[s->n_msgs++];
	m->entry_id = e->id;
	m->size = e->size;
	memcpy(m->uidl, e->uidl, sizeof m->uidl);
	m->deleted = 0;
	return 0;
}

static void proceed_login(struct pop3_session *s, const char *user, const char *password)
{
	struct store_account a;
	char qualified[STORE_ADDRESS_MAX + 2];
	s->state = POP3_AUTHORIZATION;
	s->have_user = 0;
	user = store_login_name(user, s->cfg->domain, qualified);
	enum store_result r = s->be->auth(s->be->ctx, user, password, &a);
	if (r == STORE_DENIED) {
		s->auth_failures++;
		log_event(s, "auth-failed", user);
		s->be->delay(s->be->ctx, s->auth_failures * POP3_AUTH_DELAY_MS);
		if (s->auth_failures >= POP3_AUTH_FAILURES_MAX)
			close_with(s, E_AUTH_FAILED, "auth-failures");
		else
			err(s, E_AUTH_FAILED);
		return;
	}
	if (r == STORE_OK)
		r = s->be->lock(s->be->ctx, a.id);
	if (r == STORE_IN_USE) {
		log_event(s, "in-use", a.address);
		err(s, E_IN_USE);
		return;
	}
	s->n_msgs = 0;
	s->account = a;
	s->locked = r == STORE_OK;
	if (r == STORE_OK && (r = s->be->list(s->be->ctx, a.id, add_message, s)) != STORE_OK)
		release(s);
	if (r != STORE_OK) {
		s->account = (struct store_account){0};
		err(s, E_TEMP);
		return;
	}
	s->state = POP3_TRANSACTION;
	log_event(s, "login", a.address);
	outbuf_printf(s->out, "+OK Logged in, %zu message%s\r\n", s->n_msgs, plural(s->n_msgs));
}

/* Passwords travel over TLS unless the administrator allowed plaintext. */
static int password_ok_here(const struct pop3_session *s) { return s->tls || s->cfg->plaintext_auth; }

static int plaintext_allowed(struct pop3_session *s)
{
	if (password_ok_here(s))
		return 1;
	err(s, E_PLAINTEXT);
	return 0;
}

static void cmd_user(struct pop3_session *s, char *arg)
{
	if (!plaintext_allowed(s))
		return;
	if (!*arg || strlen(arg) > STORE_ADDRESS_MAX) {
		bad_command(s, E_SYNTAX);
		return;
	}
	strcpy(s->user, arg);
	s->have_user = 1;
	line_out(s, "+OK");
}

static void cmd_pass(struct pop3_session *s, char *arg)
{
	if (!plaintext_allowed(s))
		return;
	if (!s->have_user) {
		bad_command(s, E_NEED_USER);
		return;
	}
	proceed_login(s, s->user, arg); /* the whole rest of the line: spaces are allowed */
}

static void auth_plain_response(struct pop3_session *s, const char *line)
{
	unsigned char buf[POP3_AUTH_LINE_MAX];
	const char *user, *password;
	s->state = POP3_AUTHORIZATION;
	if (!strcmp(line, "*")) {
		err(s, E_CANCELLED);
		return;
	}
	long n = sasl_decode(line, buf);
	if (n < 0 || sasl_plain(buf, (size_t)n, &user, &password) < 0)
		bad_command(s, E_BAD_BASE64);
	else
		proceed_login(s, user, password);
	explicit_bzero(buf, sizeof buf);
}

static void cmd_auth(struct pop3_session *s, char *arg)
{
	char *argv[2];
	int argc = split_args(arg, argv, 2);
	if (argc == 0) { /* the mechanism list, as clients of RFC 1734 ask for it */
		line_out(s, password_ok_here(s) ? "+OK Mechanisms follow\r\nPLAIN\r\n." : "+OK Mechanisms follow\r\n.");
		return;
	}
	if (argc < 0) {
		bad_command(s, E_SYNTAX);
		return;
	}
	if (strcasecmp(argv[0], "PLAIN")) {
		err(s, E_MECHANISM);
		return;
	}
	if (!plaintext_allowed(s))
		return;
	s->state = POP3_AUTH_PLAIN;
	if (argc == 2)
		auth_plain_response(s, argv[1]);
	else
		line_out(s, "+ ");
}

/* ---- the maildrop ---- */

static void maildrop_totals(struct pop3_session *s, size_t *count, uint64_t *octets)
{
	*count = 0;
	*octets = 0;
	for (size_t i = 0; i < s->n_msgs; i++)
		if (!s->msgs[i].deleted) {
			++*count;
			*octets += s->msgs[i].size;
		}
}

static void cmd_stat(struct pop3_session *s, char *arg)
{
	size_t count;
	uint64_t octets;
	if (*arg) {
		bad_command(s, E_SYNTAX);
		return;
	}
	maildrop_totals(s, &count, &octets);
	outbuf_printf(s->out, "+OK %zu %llu\r\n", count, (unsigned long long)octets);
}

/* LIST and UIDL: one message, or all that are not deleted. */
static void list_or_uidl(struct pop3_session *s, char *arg, int uidl)
{
	char *argv[1];
	int argc = split_args(arg, argv, 1);
	if (argc < 0) {
		bad_command(s, E_SYNTAX);
		return;
	}
	if (argc == 1) {
		struct pop3_message *m = check_message(s, argv[0]);
		if (!m)
			return;
		if (uidl)
			outbuf_printf(s->out, "+OK %zu %s\r\n", (size_t)(m - s->msgs) + 1, m->uidl);
		else
			outbuf_printf(s->out, "+OK %zu %llu\r\n", (size_t)(m - s->msgs) + 1, (unsigned long long)m->size);
		return;
	}
	size_t count;
	uint64_t octets;
	maildrop_totals(s, &count, &octets);
	if (uidl)
		line_out(s, "+OK Unique-ID listing follows");
	else
		outbuf_printf(s->out, "+OK %zu message%s (%llu octets)\r\n", count, plural(count), (unsigned long long)octets);
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].deleted)
			continue;
		if (uidl)
			outbuf_printf(s->out, "%zu %s\r\n", i + 1, s->msgs[i].uidl);
		else
			outbuf_printf(s->out, "%zu %llu\r\n", i + 1, (unsigned long long)s->msgs[i].size);
	}
	line_out(s, ".");
}

static void cmd_list(struct pop3_session *s, char *arg) { list_or_uidl(s, arg, 0); }
static void cmd_uidl(struct pop3_session *s, char *arg) { list_or_uidl(s, arg, 1); }

static int add_out(void *out, const char *p, size_t n)
{
	outbuf_add(out, p, n);
	return 0;
}

/* Streams message octets out, dot-stuffed (RFC 1939 3), in pieces. */
static int stream_out(void *ctx, const void *data, size_t len)
{
	struct pop3_session *s = ctx;
	dotstuff_put(&s->stuff, data, len, add_out, s->out);
	s->last_was_lf = len ? ((const char *)data)[len - 1] == '\n' : s->last_was_lf;
	s->retrieved_bytes += len;
	/* Keep the last octets back so ".\r\n" always goes out with the CRLF before
	 * it: the seed's client looks for "\r\n.\r\n" within one read. */
	return outbuf_flush_keep_if_full(s->out, 2);
}

static void retrieve(struct pop3_session *s, struct pop3_message *m, long body_lines)
{
	size_t mark = s->out->len;
	unsigned flushes = s->out->flushes;
	outbuf_printf(s->out, "+OK %llu octets\r\n", (unsigned long long)m->size);
	s->stuff = (struct dotstuff){1};
	s->last_was_lf = 1;
	/* This message, then those a client reading in order asks for next. */
	struct store_entry_ref next[STORE_READ_AHEAD_ENTRIES];
	size_t n = 0;
	for (struct pop3_message *p = m; p < s->msgs + s->n_msgs && n < STORE_READ_AHEAD_ENTRIES; p++)
		if (p == m || !p->deleted)
			next[n++] = (struct store_entry_ref){p->entry_id, p->size};
	enum store_result r = s->be->read(s->be->ctx, s->account.id, next, n, body_lines, stream_out, s);
	if (r == STORE_OK) {
		line_out(s, s->last_was_lf ? "." : "\r\n.");
		s->retrieved++;
		return;
	}
	if (s->out->flushes == flushes) { /* nothing went out yet: say so properly */
		s->out->len = mark;
		err(s, E_TEMP);
	} else { /* half a message went out: only closing can tell the client */
		log_event(s, "read-failed", m->uidl);
		s->state = POP3_CLOSED;
		s->ended = "read-failed";
	}
}

static void cmd_retr(struct pop3_session *s, char *arg)
{
	char *argv[1];
	struct pop3_message *m;
	if (split_args(arg, argv, 1) != 1) {
		bad_command(s, E_SYNTAX);
		return;
	}
	if ((m = check_message(s, argv[0])))
		retrieve(s, m, -1);
}

static void cmd_top(struct pop3_session *s, char *arg)
{
	char *argv[2];
	uint64_t lines;
	struct pop3_message *m;
	if (split_args(arg, argv, 2) != 2 || parse_number(argv[1], &lines) < 0) {
		bad_command(s, E_SYNTAX);
		return;
	}
	if ((m = check_message(s, argv[0])))
		retrieve(s, m, (long)lines);
}

static void cmd_dele(struct pop3_session *s, char *arg)
{
	char *argv[1];
	struct pop3_message *m;
	if (split_args(arg, argv, 1) != 1) {
		bad_command(s, E_SYNTAX);
		return;
	}
	if (!(m = check_message(s, argv[0])))
		return;
	if (s->cfg->delete_immediate) {
		if (s->be->delete(s->be->ctx, s->account.id, &m->entry_id, 1) != STORE_OK) {
			err(s, E_TEMP);
			return;
		}
		s->deleted++;
	}
	m->deleted = s->cfg->delete_immediate ? 2 : 1; /* 2: gone for good, RSET cannot undo */
	outbuf_printf(s->out, "+OK Message %zu deleted\r\n", (size_t)(m - s->msgs) + 1);
}

static void cmd_rset(struct pop3_session *s, char *arg)
{
	size_t count;
	uint64_t octets;
	if (*arg) {
		bad_command(s, E_SYNTAX);
		return;
	}
	for (size_t i = 0; i < s->n_msgs; i++)
		if (s->msgs[i].deleted == 1)
			s->msgs[i].deleted = 0;
	maildrop_totals(s, &count, &octets);
	outbuf_printf(s->out, "+OK maildrop has %zu message%s (%llu octets)\r\n", count, plural(count),
	              (unsigned long long)octets);
}

static void cmd_noop(struct pop3_session *s, char *arg)
{
	if (*arg)
		bad_command(s, E_SYNTAX);
	else
		line_out(s, "+OK");
}

/* The UPDATE state (RFC 1939 6): deletions happen here, in one transaction,
 * and +OK only after it committed. */
static void cmd_quit(struct pop3_session *s, char *arg)
{
	(void)arg;
	s->state = POP3_CLOSED;
	s->ended = "quit";
	if (!s->account.id) {
		line_out(s, "+OK Bye");
		return;
	}
	size_t n = 0;
	uint64_t *ids = malloc((s->n_msgs + 1) * sizeof *ids);
	for (size_t i = 0; ids && i < s->n_msgs; i++)
		if (s->msgs[i].deleted == 1)
			ids[n++] = s->msgs[i].entry_id;
	enum store_result r = !ids ? STORE_TEMPFAIL : n ? s->be->delete(s->be->ctx, s->account.id, ids, n) : STORE_OK;
	free(ids);
	release(s);
	if (r != STORE_OK) { /* the database failed, or the lock was not ours any more: nothing deleted */
		err(s, E_TEMP);
		return;
	}
	s->deleted += (unsigned)n;
	outbuf_printf(s->out, "+OK Bye, %zu message%s deleted\r\n", n, plural(n));
}

static void cmd_capa(struct pop3_session *s, char *arg)
{
	(void)arg;
	line_out(s, "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING");
	if (s->cfg->tls_available && !s->tls && s->state == POP3_AUTHORIZATION)
		line_out(s, "STLS");
	if (password_ok_here(s) && s->state == POP3_AUTHORIZATION)
		line_out(s, "USER\r\nSASL PLAIN");
	line_out(s, "EXPIRE NEVER\r\nIMPLEMENTATION inetmail\r\n.");
}

static void cmd_stls(struct pop3_session *s, char *arg)
{
	if (*arg) {
		bad_command(s, E_SYNTAX);
	} else if (s->tls) {
		err(s, E_TLS_ACTIVE);
	} else if (!s->cfg->tls_available) {
		err(s, E_NO_TLS);
	} else {
		line_out(s, "+OK Begin TLS negotiation");
		s->state = POP3_STLS; /* nothing after this line is read in plaintext */
	}
}

#define IN_AUTH 1  /* valid in the AUTHORIZATION state */
#define IN_TRANS 2 /* valid in the TRANSACTION state */

static const struct command {
	const char *verb;
	void (*fn)(struct pop3_session *, char *arg);
	int states;
} commands[] = {
	{"STLS", cmd_stls, IN_AUTH},
	{"USER", cmd_user, IN_AUTH},    {"PASS", cmd_pass, IN_AUTH},  {"AUTH", cmd_auth, IN_AUTH},
	{"CAPA", cmd_capa, IN_AUTH | IN_TRANS}, {"QUIT", cmd_quit, IN_AUTH | IN_TRANS},
	{"STAT", cmd_stat, IN_TRANS},   {"LIST", cmd_list, IN_TRANS}, {"UIDL", cmd_uidl, IN_TRANS},
	{"RETR", cmd_retr, IN_TRANS},   {"TOP", cmd_top, IN_TRANS},   {"DELE", cmd_dele, IN_TRANS},
	{"RSET", cmd_rset, IN_TRANS},   {"NOOP", cmd_noop, IN_TRANS},
};

static void command_line(struct pop3_session *s, char *line, size_t len)
{
	if (s->state == POP3_AUTH_PLAIN) {
		auth_plain_response(s, line);
		return;
	}
	size_t vlen;
	const struct command *c = lines_verb(commands, sizeof commands / sizeof *commands, sizeof *commands, line, &vlen);
	if (len > POP3_LINE_MAX - 2 && !(c && c->fn == cmd_auth)) {
		bad_command(s, E_LINE_TOO_LONG);
		return;
	}
	if (!c) {
		bad_command(s, E_UNKNOWN);
		return;
	}
	if (!(c->states & (s->state == POP3_TRANSACTION ? IN_TRANS : IN_AUTH))) {
		bad_command(s, E_STATE);
		return;
	}
	c->fn(s, line[vlen] == ' ' ? line + vlen + 1 : line + vlen);
}

int pop3_init(struct pop3_session *s, const struct pop3_config *cfg, const struct pop3_backend *be,
              struct outbuf *out)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->be = be;
	s->out = out;
	s->state = POP3_AUTHORIZATION;
	s->lines = (struct lines){.buf = s->line, .cap = POP3_AUTH_LINE_MAX + 2};
	return 0;
}

void pop3_free(struct pop3_session *s)
{
	explicit_bzero(s->line, sizeof s->line);
	free(s->msgs);
}

void pop3_start(struct pop3_session *s) { line_out(s, "+OK inetmail POP3 server ready"); }

size_t pop3_input(struct pop3_session *s, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && s->state != POP3_CLOSED && s->state != POP3_STLS) {
		int complete, too_long;
		size_t l;
		i += lines_take(&s->lines, data + i, len - i, &complete, &l, &too_long);
		if (!complete)
			break;
		if (too_long)
			bad_command(s, E_LINE_TOO_LONG);
		else
			command_line(s, s->line, l);
		explicit_bzero(s->line, l); /* it may have held a password */
	}
	return i;
}

void pop3_tls_started(struct pop3_session *s)
{
	s->have_user = 0;
	s->user[0] = '\0';
	s->tls = 1;
	s->state = POP3_AUTHORIZATION;
}

static void end_without_update(struct pop3_session *s)
{
	release(s); /* nothing is deleted */
	s->state = POP3_CLOSED;
}

void pop3_timeout(struct pop3_session *s)
{
	if (s->state == POP3_CLOSED)
		return;
	end_without_update(s);
	err(s, E_TIMEOUT);
}

void pop3_eof(struct pop3_session *s) { end_without_update(s); }

static size_t m_input(void *m, const char *data, size_t len) { return pop3_input(m, data, len); }
static void m_timeout(void *m) { pop3_timeout(m); }
static void m_eof(void *m) { pop3_eof(m); }
static const char *m_ended(const void *m) { return ((const struct pop3_session *)m)->ended; }
static void m_start(void *m, int client_talked_first)
{
	(void)client_talked_first; /* checked for SMTP only */
	pop3_start(m);
}

static void m_tls_started(void *m, const char *info)
{
	(void)info;
	pop3_tls_started(m);
}

static enum session_phase m_phase(const void *m)
{
	enum pop3_state st = ((const struct pop3_session *)m)->state;
	return st == POP3_CLOSED ? SESSION_CLOSED : st == POP3_STLS ? SESSION_TLS : SESSION_OPEN;
}

struct session_machine pop3_machine(struct pop3_session *s)
{
	return (struct session_machine){s, m_input, m_timeout, m_eof, m_tls_started, m_phase, m_ended, m_start};
}
