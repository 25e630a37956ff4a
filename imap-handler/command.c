/* IMAP commands: input assembled into whole commands (literals included),
 * a table of {name, states allowed, handler}, and the commands of the
 * not-authenticated state. Each handler checks its arguments first, then
 * proceeds through the backend. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "imap_impl.h"
#include "utf7.h"
#include "number.h"
#include "sasl.h"

#define AUTH_LINE_MAX 12288 /* a SASL response line, as SMTP's (RFC 4954 4) */

/* ---- responses ---- */

void imap_tagged(struct imap_session *s, const char *tag, const char *status, const char *text)
{
	outbuf_printf(s->out, "%s %s %s\r\n", tag, status, text);
}

void imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	outbuf_add(s->out, "* ", 2);
	outbuf_vprintf(s->out, fmt, ap);
	outbuf_add(s->out, "\r\n", 2);
	va_end(ap);
}

static void bye(struct imap_session *s, const char *text, const char *ended)
{
	imap_untagged(s, "BYE %s", text);
	imap_deselect(s);
	s->state = IMAP_LOGOUT;
	s->ended = ended;
}

static const char *const no_texts[] = {
	[IMAP_NO_UNAVAILABLE] = "[UNAVAILABLE] Temporary failure, try again",
	[IMAP_NO_NONEXISTENT] = "[NONEXISTENT] No such mailbox",
	[IMAP_NO_TRYCREATE] = "[TRYCREATE] No such mailbox",
	[IMAP_NO_READ_ONLY] = "[READ-ONLY] Mailbox is read-only",
	[IMAP_NO_EXISTS] = "[ALREADYEXISTS] A mailbox of that name exists",
	[IMAP_NO_INBOX_EXISTS] = "[ALREADYEXISTS] INBOX exists",
	[IMAP_NO_INBOX_STAYS] = "[CANNOT] INBOX cannot be deleted",
	[IMAP_NO_OVERQUOTA] = "[OVERQUOTA] The mailbox is full",
	[IMAP_NO_COPY_OVERQUOTA] = "[OVERQUOTA] The copies would pass the mailbox's quota",
	[IMAP_NO_KEYWORDS] = "[LIMIT] Too many keywords on a message",
	[IMAP_NO_TOOBIG] = "[TOOBIG] The message is larger than this server takes",
	[IMAP_NO_PRIVACY] = "[PRIVACYREQUIRED] Use STARTTLS first",
	[IMAP_NO_AUTH_FAILED] = "[AUTHENTICATIONFAILED] Authentication failed",
	[IMAP_NO_ONLY_PLAIN] = "[CANNOT] Only PLAIN and LOGIN are offered",
	[IMAP_NO_BADCHARSET] = "[BADCHARSET (UTF-8 US-ASCII)] That charset is not known here",
	[IMAP_NO_NOPERM] = "[NOPERM] Quotas are set by the administrator (mailctl quota)",
	[IMAP_NO_NO_QUOTA] = "[NONEXISTENT] No such quota root",
	[IMAP_NO_UNKNOWN_CTE] = "[UNKNOWN-CTE] That part's Content-Transfer-Encoding is not known here",
};

const char *imap_no_text(enum imap_no why) { return no_texts[why]; }

void imap_no(struct imap_session *s, const char *tag, enum imap_no why) { imap_tagged(s, tag, "NO", no_texts[why]); }

void imap_bad(struct imap_session *s, const char *tag, const char *text)
{
	imap_tagged(s, tag, "BAD", text);
	if (++s->bad_commands >= IMAP_BAD_COMMANDS_MAX)
		bye(s, "Too many invalid commands", "errors");
}

void imap_log(struct imap_session *s, const char *event, const char *detail)
{
	if (s->be->logged)
		s->be->logged(s->be->ctx, event, detail);
}

#define CAPABILITY_TEXT_MAX 512 /* every capability named: about 230 octets today */

static void capability_list(struct imap_session *s, char *out, size_t cap)
{
	snprintf(out, cap, "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE NAMESPACE UNSELECT SPECIAL-USE LIST-EXTENDED LIST-STATUS MOVE IDLE UIDPLUS CONDSTORE QRESYNC ESEARCH BINARY QUOTA QUOTA=RES-STORAGE UTF8=ACCEPT APPENDLIMIT=%d%s%s",
	         IMAP_APPEND_MAX,
	         s->cfg->tls_available && !s->tls && s->state == IMAP_NOT_AUTHENTICATED ? " STARTTLS" : "",
	         s->state != IMAP_NOT_AUTHENTICATED ? "" : !s->tls && !s->cfg->plaintext_auth ? " LOGINDISABLED" : " AUTH=PLAIN AUTH=LOGIN");
}

/* ---- arguments (RFC 9051 9) ---- */

static int is_atom_char(unsigned char c, const char *also)
{
	return c > ' ' && c < 0x7f && !strchr("(){%*\"\\]", c) ? 1 : c && strchr(also, c) != NULL;
}

int imap_at_end(const struct imap_cursor *c) { return c->p >= c->end; }

static int take_space(struct imap_cursor *c)
{
	if (c->p >= c->end || *c->p != ' ')
		return -1;
	c->p++;
	return 0;
}

static int take_chars(struct imap_cursor *c, char *out, size_t cap, const char *also)
{
	size_t n = 0;
	while (c->p < c->end && is_atom_char((unsigned char)*c->p, also)) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

int imap_take_token(struct imap_cursor *c, char *out, size_t cap, const char *also)
{
	return take_space(c) < 0 ? -1 : take_chars(c, out, cap, also);
}

int imap_take_atom(struct imap_cursor *c, char *out, size_t cap) { return imap_take_token(c, out, cap, ""); }

int imap_take_tag(struct imap_cursor *c, char *out, size_t cap)
{
	return take_chars(c, out, cap, "]") < 0 || strchr(out, '+') ? -1 : 0;
}

/* A quoted string or a literal ("{n}" or "{n+}", CRLF, n octets); -2 when it is neither. */
static int take_string(struct imap_cursor *c, char *out, size_t cap)
{
	size_t n = 0;
	if (*c->p == '"') {
		for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			if (*c->p == '\r' || *c->p == '\n' || n + 1 >= cap)
				return -1;
			out[n++] = *c->p;
		}
		if (c->p >= c->end)
			return -1;
		c->p++;
		out[n] = '\0';
		return 0;
	}
	if (*c->p != '{')
		return -2;
	char *close = memchr(c->p, '}', (size_t)(c->end - c->p));
	uint64_t len;
	if (!close || close + 3 > c->end || memcmp(close + 1, "\r\n", 2))
		return -1;
	char digits[IMAP_WORD_MAX];
	size_t k = (size_t)(close - c->p - 1) - (close[-1] == '+');
	if (k == 0 || k >= sizeof digits)
		return -1;
	memcpy(digits, c->p + 1, k);
	digits[k] = '\0';
	if (number_parse(digits, UINT32_MAX, &len) < 0 || len >= cap || (uint64_t)(c->end - close - 3) < len)
		return -1;
	memcpy(out, close + 3, len);
	out[len] = '\0';
	if (memchr(out, '\0', len)) /* no NUL in a name or a password */
		return -1;
	c->p = close + 3 + len;
	return 0;
}

int imap_take_astring(struct imap_cursor *c, char *out, size_t cap)
{
	if (take_space(c) < 0 || c->p >= c->end)
		return -1;
	int r = take_string(c, out, cap);
	return r == -2 ? take_chars(c, out, cap, "]") : r;
}

/* A name as the client wrote it, in UTF-8: one in modified UTF-7 decoded
 * unless UTF8=ACCEPT is on (RFC 6855 3); 8-bit octets are taken as UTF-8. */
static int name_from_client(const struct imap_session *s, char *name, size_t cap)
{
	char utf8[STORE_FOLDER_MAX * 4 + 1], utf7[STORE_FOLDER_MAX * 6 + 1];
	for (const char *p = name; *p; p++)
		if (*p & 0x80) /* taken as UTF-8, so it must be UTF-8 (RFC 6855 3) */
			return utf7_encode(name, utf7, sizeof utf7);
	if (s->utf8_accept || !strchr(name, '&'))
		return 0;
	if (utf7_decode(name, utf8, sizeof utf8) < 0 || strlen(utf8) >= cap)
		return -1;
	strcpy(name, utf8);
	return 0;
}

int imap_take_mailbox(struct imap_session *s, struct imap_cursor *c, char *out, size_t cap)
{
	if (imap_take_astring(c, out, cap) < 0 || name_from_client(s, out, cap) < 0)
		return -1;
	if (!strncasecmp(out, "INBOX", 5) && (!out[5] || out[5] == '/'))
		memcpy(out, "INBOX", 5); /* INBOX in any case, alone or above others (RFC 9051 5.1) */
	return 0;
}

int imap_take_list_pattern(struct imap_session *s, struct imap_cursor *c, char *out, size_t cap)
{
	if (take_space(c) < 0 || c->p >= c->end)
		return -1;
	int r = take_string(c, out, cap);
	r = r == -2 ? take_chars(c, out, cap, "]%*") : r;
	return r < 0 ? r : name_from_client(s, out, cap);
}

/* ---- the not-authenticated state, and commands valid in any ---- */

static void cmd_capability(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	char caps[CAPABILITY_TEXT_MAX];
	capability_list(s, caps, sizeof caps);
	imap_untagged(s, "CAPABILITY %s", caps);
	imap_tagged(s, tag, "OK", "CAPABILITY completed");
}

static void cmd_noop(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_cmd_noop(s, tag);
}

static void cmd_logout(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	bye(s, "Logging out", "logout");
	imap_tagged(s, tag, "OK", "LOGOUT completed");
}

/* RFC 2971: what the client says is heard (and logged nowhere); we say who we are. */
static void cmd_id(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_untagged(s, "ID (\"name\" \"inetmail\")");
	imap_tagged(s, tag, "OK", "ID completed");
}

/* RFC 5161: of what is offered here, CONDSTORE, QRESYNC (RFC 7162, which
 * implies CONDSTORE), UTF8=ACCEPT (RFC 6855) and IMAP4rev2 (RFC 9051) are
 * enabled; ENABLED lists what this one turned on. */
static void cmd_enable(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char cap[64];
	int condstore = 0, qresync = 0, utf8 = 0, rev2 = 0;
	do {
		if (imap_take_atom(c, cap, sizeof cap) < 0) {
			imap_bad(s, tag, "ENABLE capability...");
			return;
		}
		condstore |= !strcasecmp(cap, "CONDSTORE");
		qresync |= !strcasecmp(cap, "QRESYNC");
		utf8 |= !strcasecmp(cap, "UTF8=ACCEPT");
		rev2 |= !strcasecmp(cap, "IMAP4rev2");
	} while (!imap_at_end(c));
	imap_untagged(s, "ENABLED%s%s%s%s", condstore && !s->condstore ? " CONDSTORE" : "",
	              qresync && !s->qresync ? " QRESYNC" : "", utf8 && !s->utf8_accept ? " UTF8=ACCEPT" : "",
	              rev2 && !s->rev2 ? " IMAP4rev2" : "");
	s->utf8_accept |= utf8 || rev2; /* RFC 9051 5.1: IMAP4rev2's names are UTF-8 */
	s->rev2 |= rev2;
	s->condstore |= condstore || qresync;
	s->qresync |= qresync;
	imap_tagged(s, tag, "OK", "ENABLE completed");
}

/* RFC 2342: one personal namespace, no prefix, "/" between levels. */
static void cmd_namespace(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(s, tag, "OK", "NAMESPACE completed");
}

static void cmd_starttls(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	if (s->tls || !s->cfg->tls_available) {
		imap_bad(s, tag, s->tls ? "TLS is active already" : "STARTTLS is not offered here");
		return;
	}
	imap_tagged(s, tag, "OK", "Begin TLS negotiation now");
	s->state = IMAP_STARTTLS; /* nothing after this line is read in plaintext */
}

static int plaintext_refused(struct imap_session *s, const char *tag)
{
	if (s->tls || s->cfg->plaintext_auth)
		return 0;
	imap_no(s, tag, IMAP_NO_PRIVACY);
	return 1;
}

static void proceed_login(struct imap_session *s, const char *tag, const char *user, const char *password)
{
	char qualified[STORE_ADDRESS_MAX + 2];
	struct store_account a;
	s->state = IMAP_NOT_AUTHENTICATED;
	user = store_login_name(user, s->cfg->domain, qualified);
	enum store_result r = s->be->auth(s->be->ctx, user, password, &a);
	if (r == STORE_OK) {
		s->account = a;
		s->state = IMAP_AUTHENTICATED;
		imap_log(s, "login", a.address);
		char caps[CAPABILITY_TEXT_MAX];
		capability_list(s, caps, sizeof caps);
		char text[CAPABILITY_TEXT_MAX + 32];
		snprintf(text, sizeof text, "[CAPABILITY %s] Logged in", caps);
		imap_tagged(s, tag, "OK", text);
		return;
	}
	if (r != STORE_DENIED) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	s->auth_failures++;
	imap_log(s, "auth-failed", user);
	s->be->delay(s->be->ctx, s->auth_failures * IMAP_AUTH_DELAY_MS);
	imap_no(s, tag, IMAP_NO_AUTH_FAILED);
	if (s->auth_failures >= IMAP_AUTH_FAILURES_MAX)
		bye(s, "Too many failed logins", "auth-failures");
}

static void cmd_login(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char user[STORE_ADDRESS_MAX + 1], password[1024];
	if (imap_take_astring(c, user, sizeof user) < 0 || imap_take_astring(c, password, sizeof password) < 0 ||
	    !imap_at_end(c)) {
		imap_bad(s, tag, "LOGIN user password");
	} else if (!plaintext_refused(s, tag)) {
		proceed_login(s, tag, user, password);
	}
	explicit_bzero(password, sizeof password);
}

/* The PLAIN response, base64 (RFC 4616); "*" cancels (RFC 9051 6.2.2). */
static void auth_plain_response(struct imap_session *s, const char *tag, const char *line)
{
	unsigned char buf[AUTH_LINE_MAX];
	const char *user, *password;
	/* a command may be longer than a SASL line: one that is cannot fit buf, and is refused */
	long n = !strcmp(line, "*") ? -2 : strlen(line) >= AUTH_LINE_MAX ? -1 : sasl_decode(line, buf);
	s->state = IMAP_NOT_AUTHENTICATED;
	if (n == -2)
		imap_tagged(s, tag, "BAD", "AUTHENTICATE cancelled");
	else if (n < 0 || sasl_plain(buf, (size_t)n, &user, &password) < 0)
		imap_bad(s, tag, "Invalid base64 or PLAIN response");
	else
		proceed_login(s, tag, user, password);
	explicit_bzero(buf, sizeof buf);
}

/* A LOGIN response (the user name, then the password, each base64): the
 * next challenge, or the login; "*" cancels. */
static void auth_login_response(struct imap_session *s, const char *tag, const char *line)
{
	unsigned char buf[AUTH_LINE_MAX];
	long n = !strcmp(line, "*") ? -2 : strlen(line) >= AUTH_LINE_MAX ? -1 : sasl_decode(line, buf);
	int step = s->auth_login;
	s->state = IMAP_NOT_AUTHENTICATED;
	s->auth_login = 0;
	if (n == -2) {
		imap_tagged(s, tag, "BAD", "AUTHENTICATE cancelled");
	} else if (n < 0 || memchr(buf, '\0', (size_t)n) || (step == 1 && (size_t)n > STORE_ADDRESS_MAX)) {
		imap_bad(s, tag, "Invalid base64 or LOGIN response");
	} else if (step == 1) {
		memcpy(s->auth_user, buf, (size_t)n);
		s->auth_user[n] = '\0';
		if (tag != s->tag) /* given with the command (SASL-IR), not by the line before */
			snprintf(s->tag, sizeof s->tag, "%s", tag);
		s->state = IMAP_AUTHENTICATING;
		s->auth_login = 2;
		outbuf_add(s->out, "+ UGFzc3dvcmQ6\r\n", 16); /* "Password:" */
	} else {
		buf[n] = '\0';
		proceed_login(s, tag, s->auth_user, (const char *)buf);
	}
	explicit_bzero(buf, sizeof buf);
}

static void cmd_authenticate(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char mech[IMAP_WORD_MAX], initial[AUTH_LINE_MAX];
	if (imap_take_atom(c, mech, sizeof mech) < 0) {
		imap_bad(s, tag, "AUTHENTICATE mechanism [initial-response]");
		return;
	}
	int has_initial = !imap_at_end(c);
	if (has_initial && (imap_take_atom(c, initial, sizeof initial) < 0 || !imap_at_end(c))) {
		imap_bad(s, tag, "AUTHENTICATE mechanism [initial-response]");
		return;
	}
	int login = !strcasecmp(mech, "LOGIN");
	if (!login && strcasecmp(mech, "PLAIN")) {
		imap_no(s, tag, IMAP_NO_ONLY_PLAIN);
	} else if (!plaintext_refused(s, tag)) {
		s->auth_login = login;
		if (has_initial) { /* RFC 4959 SASL-IR; "=" is an empty one */
			(login ? auth_login_response : auth_plain_response)(s, tag, strcmp(initial, "=") ? initial : "");
		} else {
			snprintf(s->tag, sizeof s->tag, "%s", tag);
			s->state = IMAP_AUTHENTICATING;
			outbuf_add(s->out, login ? "+ VXNlcm5hbWU6\r\n" : "+ \r\n", login ? 16 : 4); /* "Username:" */
		}
	}
	explicit_bzero(initial, sizeof initial);
}

/* ---- dispatch ---- */

static void cmd_select(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_select(s, tag, c, 0); }
static void cmd_examine(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_select(s, tag, c, 1); }
static void cmd_list(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_list(s, tag, c, 0); }
static void cmd_lsub(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_list(s, tag, c, 1); }
static void cmd_status(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_status(s, tag, c); }
static void cmd_getquotaroot(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_getquotaroot(s, tag, c); }
static void cmd_getquota(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_getquota(s, tag, c); }
static void cmd_setquota(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_setquota(s, tag, c); }
static void cmd_fetch(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_fetch(s, tag, c, 0); }
static void cmd_store(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_store(s, tag, c, 0); }
static void cmd_search(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_search(s, tag, c, 0); }
static void cmd_copy(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_copy(s, tag, c, 0, 0); }
static void cmd_move(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_copy(s, tag, c, 0, 1); }

static void cmd_create(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_folder(s, tag, c, 'C'); }
static void cmd_delete(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_folder(s, tag, c, 'D'); }
static void cmd_rename(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_folder(s, tag, c, 'R'); }
static void cmd_subscribe(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_folder(s, tag, c, 'S'); }
static void cmd_unsubscribe(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_folder(s, tag, c, 'U'); }

static void cmd_idle(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_cmd_idle(s, tag);
}

static void cmd_check(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_tagged(s, tag, "OK", "CHECK completed"); /* every change is committed when it is answered */
}

static void cmd_close(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_cmd_close(s, tag, 1);
}

static void cmd_unselect(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	(void)c;
	imap_cmd_close(s, tag, 0);
}

static void cmd_expunge(struct imap_session *s, const char *tag, struct imap_cursor *c) { imap_cmd_expunge(s, tag, c, 0); }

/* UID FETCH, STORE, SEARCH, COPY, MOVE (RFC 9051 6.4.9) and EXPUNGE (RFC 4315). */
static void cmd_uid(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char what[IMAP_WORD_MAX];
	if (imap_take_atom(c, what, sizeof what) < 0)
		imap_bad(s, tag, "UID FETCH, STORE, SEARCH, COPY, MOVE or EXPUNGE");
	else if (!strcasecmp(what, "EXPUNGE"))
		imap_cmd_expunge(s, tag, c, 1);
	else if (!strcasecmp(what, "COPY") || !strcasecmp(what, "MOVE"))
		imap_cmd_copy(s, tag, c, 1, !strcasecmp(what, "MOVE"));
	else if (!strcasecmp(what, "FETCH"))
		imap_cmd_fetch(s, tag, c, 1);
	else if (!strcasecmp(what, "STORE"))
		imap_cmd_store(s, tag, c, 1);
	else if (!strcasecmp(what, "SEARCH"))
		imap_cmd_search(s, tag, c, 1);
	else
		imap_bad(s, tag, "UID FETCH, STORE, SEARCH, COPY, MOVE or EXPUNGE");
}

#define NOT_AUTH (1u << IMAP_NOT_AUTHENTICATED)
#define AUTH (1u << IMAP_AUTHENTICATED)
#define SELECTED (1u << IMAP_SELECTED)
#define ANY (NOT_AUTH | AUTH | SELECTED)

static const struct command {
	const char *name;
	void (*proceed)(struct imap_session *, const char *tag, struct imap_cursor *);
	unsigned states;
	int no_arguments;
} commands[] = {
	{"CAPABILITY", cmd_capability, ANY, 1}, {"NOOP", cmd_noop, ANY, 1},       {"LOGOUT", cmd_logout, ANY, 1},
	{"ID", cmd_id, ANY, 0},                 {"STARTTLS", cmd_starttls, NOT_AUTH, 1},
	{"LOGIN", cmd_login, NOT_AUTH, 0},      {"AUTHENTICATE", cmd_authenticate, NOT_AUTH, 0},
	{"ENABLE", cmd_enable, AUTH, 0},        {"NAMESPACE", cmd_namespace, AUTH | SELECTED, 1},
	{"SELECT", cmd_select, AUTH | SELECTED, 0}, {"EXAMINE", cmd_examine, AUTH | SELECTED, 0},
	{"LIST", cmd_list, AUTH | SELECTED, 0}, {"LSUB", cmd_lsub, AUTH | SELECTED, 0},
	{"STATUS", cmd_status, AUTH | SELECTED, 0},
	{"CREATE", cmd_create, AUTH | SELECTED, 0}, {"DELETE", cmd_delete, AUTH | SELECTED, 0},
	{"RENAME", cmd_rename, AUTH | SELECTED, 0}, {"SUBSCRIBE", cmd_subscribe, AUTH | SELECTED, 0},
	{"UNSUBSCRIBE", cmd_unsubscribe, AUTH | SELECTED, 0},
	{"CHECK", cmd_check, SELECTED, 1},      {"CLOSE", cmd_close, SELECTED, 1}, {"UNSELECT", cmd_unselect, SELECTED, 1},
	{"EXPUNGE", cmd_expunge, SELECTED, 1},  {"FETCH", cmd_fetch, SELECTED, 0}, {"STORE", cmd_store, SELECTED, 0},
	{"SEARCH", cmd_search, SELECTED, 0},    {"UID", cmd_uid, SELECTED, 0},
	{"COPY", cmd_copy, SELECTED, 0},        {"MOVE", cmd_move, SELECTED, 0},
	{"IDLE", cmd_idle, AUTH | SELECTED, 1},
	{"GETQUOTAROOT", cmd_getquotaroot, AUTH | SELECTED, 0}, {"GETQUOTA", cmd_getquota, AUTH | SELECTED, 0},
	{"SETQUOTA", cmd_setquota, AUTH | SELECTED, 0},
};

/* Why a command may not run now (pure): NULL, or the text of its BAD. */
static const char *check_command(const struct imap_session *s, const struct command *c, const struct imap_cursor *args)
{
	if (!(c->states & (1u << s->state)))
		return s->state == IMAP_NOT_AUTHENTICATED ? "Log in first" : s->state == IMAP_AUTHENTICATED
		                                                                     ? "Select a mailbox first"
		                                                                     : "Not valid in this state";
	return c->no_arguments && !imap_at_end(args) ? "This command takes no arguments" : NULL;
}

static void command(struct imap_session *s, char *p, char *end)
{
	struct imap_cursor c = {p, end};
	char tag[IMAP_TAG_MAX + 1], name[IMAP_WORD_MAX];
	if (imap_take_tag(&c, tag, sizeof tag) < 0) {
		imap_untagged(s, "BAD Invalid tag");
		if (++s->bad_commands >= IMAP_BAD_COMMANDS_MAX)
			bye(s, "Too many invalid commands", "errors");
		return;
	}
	if (imap_take_atom(&c, name, sizeof name) < 0) {
		imap_bad(s, tag, "Command expected");
		return;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof commands / sizeof *commands && !cmd; i++)
		if (!strcasecmp(commands[i].name, name))
			cmd = &commands[i];
	const char *why = cmd ? check_command(s, cmd, &c) : "Unknown command";
	if (why)
		imap_bad(s, tag, why);
	else
		cmd->proceed(s, tag, &c);
}

/* ---- input: lines and literals into whole commands ---- */

/* The literal a line ends with ("{n}" or "{n+}" before CRLF): its size, or -1. */
static long long trailing_literal(const char *line, size_t len, int *sync)
{
	if (len < 3 || line[len - 1] != '}')
		return -1;
	size_t end = len - 1;
	*sync = line[end - 1] != '+';
	if (!*sync)
		end--;
	size_t start = end;
	while (start > 0 && line[start - 1] >= '0' && line[start - 1] <= '9')
		start--;
	if (start == end || start == 0 || line[start - 1] != '{' || end - start > 10)
		return -1;
	char digits[12];
	memcpy(digits, line + start, end - start);
	digits[end - start] = '\0';
	uint64_t n;
	return number_parse(digits, UINT32_MAX, &n) < 0 ? -1 : (long long)n;
}

static void append(struct imap_session *s, const char *data, size_t n)
{
	if (s->cmd_len + n > IMAP_COMMAND_MAX)
		s->cmd_too_long = 1;
	if (s->cmd_too_long)
		return;
	memcpy(s->cmd + s->cmd_len, data, n);
	s->cmd_len += n;
}

/* A line of the command is complete (cmd ends with its LF): a literal follows, or the command is whole. */
static void line_done(struct imap_session *s)
{
	size_t len = s->cmd_len ? s->cmd_len - 1 : 0; /* 0: a line too long was all dropped */
	if (len && s->cmd[len - 1] == '\r')
		len--;
	if (s->appending) { /* what follows an APPEND's message: the end of its line */
		s->cmd[len] = '\0';
		imap_append_end(s, s->cmd_too_long ? "too long" : s->cmd);
		s->cmd_len = 0;
		s->cmd_too_long = 0;
		return;
	}
	int sync;
	long long literal = s->cmd_too_long ? -1 : trailing_literal(s->cmd, len, &sync);
	if (s->state == IMAP_IDLE)
		literal = -1; /* a line ends IDLE, whatever it holds */
	if (literal >= 0 && s->state != IMAP_AUTHENTICATING && imap_append_begin(s, (uint64_t)literal, sync)) {
		s->cmd_len = 0; /* the APPEND has its arguments: its message streams to the store */
		return;
	}
	if (literal >= 0 && s->state != IMAP_AUTHENTICATING) {
		if (s->cmd_len + (uint64_t)literal > IMAP_COMMAND_MAX) {
			s->cmd_too_long = 1;
			if (sync) { /* the client waits for "+": it sends nothing more of this command */
				literal = 0;
			}
		} else if (sync) {
			outbuf_add(s->out, "+ Ready for literal data\r\n", 26);
		}
		s->literal_left = (uint64_t)literal;
		if (literal || !s->cmd_too_long)
			return;
	}
	char tag[IMAP_TAG_MAX + 1] = "*";
	if (s->cmd_too_long && s->state == IMAP_AUTHENTICATING) {
		s->state = IMAP_NOT_AUTHENTICATED;
		imap_bad(s, s->tag, "Response too long");
	} else if (s->cmd_too_long) {
		struct imap_cursor c = {s->cmd, s->cmd + s->cmd_len};
		if (take_chars(&c, tag, sizeof tag, "]") < 0)
			strcpy(tag, "*");
		imap_bad(s, tag, "Command too long");
	} else if (s->state == IMAP_AUTHENTICATING) {
		s->cmd[len] = '\0';
		(s->auth_login ? auth_login_response : auth_plain_response)(s, s->tag, s->cmd);
	} else if (s->state == IMAP_IDLE) {
		s->cmd[len] = '\0';
		imap_idle_done(s, s->cmd);
	} else {
		s->cmd[len] = '\0';
		command(s, s->cmd, s->cmd + len);
	}
	explicit_bzero(s->cmd, s->cmd_len); /* it may have held a password */
	s->cmd_len = 0;
	s->cmd_too_long = 0;
}

size_t imap_input(struct imap_session *s, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && s->state != IMAP_LOGOUT && s->state != IMAP_STARTTLS) {
		if (s->append_left) {
			size_t k = len - i < s->append_left ? len - i : (size_t)s->append_left;
			imap_append_data(s, data + i, k);
			i += k;
			continue;
		}
		if (s->literal_left) {
			size_t k = len - i < s->literal_left ? len - i : (size_t)s->literal_left;
			append(s, data + i, k);
			s->literal_left -= k;
			i += k;
			continue;
		}
		const char *lf = memchr(data + i, '\n', len - i);
		size_t k = lf ? (size_t)(lf - (data + i)) + 1 : len - i;
		append(s, data + i, k);
		i += k;
		if (lf)
			line_done(s);
	}
	return i;
}

/* ---- the session ---- */

int imap_init(struct imap_session *s, const struct imap_config *cfg, const struct imap_backend *be, struct outbuf *out)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->be = be;
	s->out = out;
	s->state = IMAP_NOT_AUTHENTICATED;
	s->cmd = malloc(IMAP_COMMAND_MAX + 1);
	return s->cmd ? 0 : -1;
}

void imap_free(struct imap_session *s)
{
	imap_append_abort(s);
	if (s->cmd)
		explicit_bzero(s->cmd, IMAP_COMMAND_MAX + 1);
	free(s->cmd);
	free(s->msgs);
}

void imap_start(struct imap_session *s)
{
	char caps[CAPABILITY_TEXT_MAX];
	capability_list(s, caps, sizeof caps);
	imap_untagged(s, "OK [CAPABILITY %s] inetmail IMAP ready", caps);
}

void imap_timeout(struct imap_session *s)
{
	imap_append_abort(s);
	if (s->state != IMAP_LOGOUT)
		bye(s, "Autologout; idle for too long", "timeout");
}

void imap_tls_started(struct imap_session *s)
{
	s->tls = 1;
	s->state = IMAP_NOT_AUTHENTICATED;
}

void imap_eof(struct imap_session *s)
{
	imap_append_abort(s); /* nothing is stored of a message cut short */
	imap_deselect(s);
	s->state = IMAP_LOGOUT;
}

static size_t m_input(void *m, const char *data, size_t len) { return imap_input(m, data, len); }
static void m_timeout(void *m) { imap_timeout(m); }
static void m_eof(void *m) { imap_eof(m); }
static const char *m_ended(const void *m) { return ((const struct imap_session *)m)->ended; }
static void m_start(void *m, int client_talked_first)
{
	(void)client_talked_first; /* checked for SMTP only */
	imap_start(m);
}

static void m_tls_started(void *m, const char *info)
{
	(void)info;
	imap_tls_started(m);
}

static enum session_phase m_phase(const void *m)
{
	enum imap_state st = ((const struct imap_session *)m)->state;
	return st == IMAP_LOGOUT ? SESSION_CLOSED : st == IMAP_STARTTLS ? SESSION_TLS : SESSION_OPEN;
}

struct session_machine imap_machine(struct imap_session *s)
{
	return (struct session_machine){s, m_input, m_timeout, m_eof, m_tls_started, m_phase, m_ended, m_start};
}
