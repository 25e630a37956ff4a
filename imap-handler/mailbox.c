/* IMAP's authenticated and selected states: folders listed and selected,
 * messages flagged, copied and expunged (FETCH and SEARCH have files of
 * their own). The selected folder is held as a list in UID order (sequence
 * number = place + 1), brought up to date with what other sessions did at
 * NOOP, SELECT and after each change. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "envelope.h"
#include "imap_impl.h"
#include "utf7.h"
#include "number.h"

#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

static const struct {
	const char *name;
	unsigned bit;
} flag_names[] = {
	{"\\Seen", STORE_FLAG_SEEN},     {"\\Answered", STORE_FLAG_ANSWERED}, {"\\Flagged", STORE_FLAG_FLAGGED},
	{"\\Deleted", STORE_FLAG_DELETED}, {"\\Draft", STORE_FLAG_DRAFT},
};


void imap_keywords_text(const struct imap_session *s, uint64_t flags, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->n_keywords; i++)
		if (flags >> (8 + i) & 1 && n + strlen(s->keywords[i]) + 2 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", s->keywords[i]);
}

void imap_flags_text(const struct imap_session *s, uint64_t flags, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof flag_names / sizeof *flag_names; i++) {
		size_t len = strlen(flag_names[i].name);
		if (!(flags & flag_names[i].bit) || n + len + 2 > cap)
			continue;
		if (n)
			out[n++] = ' ';
		memcpy(out + n, flag_names[i].name, len + 1);
		n += len;
	}
	if (n && flags >> 8)
		out[n++] = ' ';
	imap_keywords_text(s, flags, out + n, cap - n);
}

/* A keyword's bit in the session's table (RFC 9051 2.3.2: an atom, not "\"),
 * added when add and there is room; -1 when it has none. */
int imap_keyword_bit(struct imap_session *s, const char *name, int add)
{
	for (size_t i = 0; i < s->n_keywords; i++)
		if (!strcasecmp(s->keywords[i], name))
			return 8 + (int)i;
	if (!add || s->n_keywords == IMAP_KEYWORDS_MAX || !*name || strlen(name) > IMAP_KEYWORD_LEN)
		return -1;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return -1; /* an atom only, and no "\": system flags are not the client's to make */
	strcpy(s->keywords[s->n_keywords], name);
	return 8 + (int)s->n_keywords++;
}

/* The session's bits for keywords, space-separated; those past its table are
 * kept by the store but not shown. */
static uint64_t keyword_bits(struct imap_session *s, const char *keywords)
{
	char words[STORE_KEYWORDS_MAX + 1], *save = NULL;
	uint64_t bits = 0;
	if (!*keywords)
		return 0; /* most messages have none */
	snprintf(words, sizeof words, "%s", keywords);
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		int bit = imap_keyword_bit(s, w, 1);
		if (bit >= 0)
			bits |= (uint64_t)1 << bit;
	}
	return bits;
}

/* What a change made of each message: its flags and MODSEQ after it. */
struct change_result {
	uint64_t flags; /* GONE: expunged meanwhile */
	uint64_t modseq;
	int refused;    /* changed since UNCHANGEDSINCE: left alone */
};
#define GONE UINT64_MAX /* no message has every keyword bit */

struct change {
	struct imap_session *s;
	struct change_result *now;
};

static void changed(void *ctx, size_t i, unsigned flags, const char *keywords, uint64_t modseq, int refused)
{
	struct change *c = ctx;
	c->now[i] = refused < 0 ? (struct change_result){GONE, 0, 0}
	                        : (struct change_result){(flags & IMAP_SYSTEM_FLAGS) | keyword_bits(c->s, keywords), modseq,
	                                                 refused};
}

/* Flags added (op 1), taken away (-1) or set (0) on messages of the selected
 * folder, one change, made by the store to what each has now (unless changed
 * since unchanged_since, when not 0): now[i] gets message i's result. */
static enum store_result change_flags(struct imap_session *s, const uint32_t *uids, size_t n, int op, uint64_t flags,
                                      uint64_t unchanged_since, struct change_result *now)
{
	char words[FLAGS_TEXT_MAX];
	uint64_t modseq;
	imap_keywords_text(s, flags, words, sizeof words);
	struct store_flag_change change = {op, (unsigned)(flags & IMAP_SYSTEM_FLAGS), words, unchanged_since};
	struct change c = {s, now};
	for (size_t i = 0; i < n; i++)
		now[i] = (struct change_result){GONE, 0, 0};
	return s->be->change_flags(s->be->ctx, s->account.id, s->folder.id, uids, n, &change, changed, &c, &modseq);
}

/* \Seen added to a message (a FETCH of its body), its flags and MODSEQ brought up to date. */
enum store_result imap_mark_seen(struct imap_session *s, struct imap_message *m)
{
	struct change_result now;
	enum store_result r = change_flags(s, &m->uid, 1, 1, STORE_FLAG_SEEN, 0, &now);
	if (r == STORE_OK && now.flags != GONE) { /* else its EXPUNGE comes with a later command */
		m->flags = now.flags;
		m->modseq = now.modseq;
	}
	return r;
}

/* The FLAGS of the selected folder: the system flags and the keywords known. */
static void folder_flags(struct imap_session *s)
{
	char kw[FLAGS_TEXT_MAX];
	imap_keywords_text(s, ~(uint64_t)0, kw, sizeof kw);
	imap_untagged(s, "FLAGS (" SYSTEM_FLAGS "%s%s)", *kw ? " " : "", kw);
	s->keywords_told = s->n_keywords;
	if (s->read_only)
		imap_untagged(s, "OK [PERMANENTFLAGS ()] Flags permitted");
	else
		imap_untagged(s, "OK [PERMANENTFLAGS (" SYSTEM_FLAGS "%s%s \\*)] Flags permitted", *kw ? " " : "", kw);
}

/* FLAGS again when the session has met a keyword since (RFC 9051 7.3.5). */
static void tell_new_keywords(struct imap_session *s)
{
	if (s->state == IMAP_SELECTED && s->n_keywords != s->keywords_told)
		folder_flags(s);
}

/* A name as a quoted string (RFC 9051 9: quoted-specials escaped), in
 * modified UTF-7 unless the client enabled UTF8=ACCEPT (RFC 6855 3). */
void imap_quote_mailbox(const struct imap_session *s, const char *in, char *out, size_t cap)
{
	char utf7[IMAP_MAILBOX_QUOTED_MAX];
	if (!s->utf8_accept && utf7_encode(in, utf7, sizeof utf7) == 0)
		in = utf7;
	size_t n = 0;
	out[n++] = '"';
	for (; *in && n + 3 < cap; in++) {
		if (*in == '"' || *in == '\\')
			out[n++] = '\\';
		out[n++] = *in;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* ---- the selected folder ---- */

void imap_deselect(struct imap_session *s)
{
	s->n_msgs = 0;
	if (s->state == IMAP_SELECTED)
		s->state = IMAP_AUTHENTICATED;
}

struct load {
	struct imap_session *s; /* whose keyword table the keywords go into */
	struct imap_message *msgs;
	size_t n, cap;
};

static int load_add(void *ctx, const struct store_mail *m)
{
	struct load *l = ctx;
	if (array_reserve(&l->msgs, &l->cap, l->n, sizeof *l->msgs) < 0)
		return -1;
	uint64_t flags = (m->flags & IMAP_SYSTEM_FLAGS) | keyword_bits(l->s, m->keywords);
	l->msgs[l->n++] = (struct imap_message){m->id, m->uid, flags, m->size, m->modseq, m->arrived};
	return 0;
}

static enum store_result load(struct imap_session *s, struct load *l, uint64_t *highestmodseq)
{
	*l = (struct load){s, NULL, 0, 0};
	enum store_result r = s->be->mail(s->be->ctx, s->account.id, s->folder.id, load_add, l, highestmodseq);
	if (r != STORE_OK)
		free(l->msgs);
	else
		tell_new_keywords(s); /* another session used a keyword this one had not met */
	return r;
}

/* Message i is gone: said (unless silent), and the ones after it move up a number. */
static void forget(struct imap_session *s, size_t i, int silent)
{
	if (!silent && s->qresync) /* RFC 7162 3.2.10 */
		imap_untagged(s, "VANISHED %u", s->msgs[i].uid);
	else if (!silent)
		imap_untagged(s, "%zu EXPUNGE", i + 1);
	memmove(s->msgs + i, s->msgs + i + 1, (s->n_msgs - i - 1) * sizeof *s->msgs);
	s->n_msgs--;
}

/* What other sessions did since: expunges, new messages, flags (RFC 9051 7.4, 7.5). */
enum store_result imap_update(struct imap_session *s)
{
	struct load l;
	uint64_t modseq;
	enum store_result r = load(s, &l, &modseq);
	if (r != STORE_OK)
		return r;
	size_t i = 0, j = 0;
	while (i < s->n_msgs) {
		while (j < l.n && l.msgs[j].uid < s->msgs[i].uid)
			j++;
		if (j == l.n || l.msgs[j].uid != s->msgs[i].uid) { /* gone */
			forget(s, i, 0);
			continue;
		}
		if (l.msgs[j].flags != s->msgs[i].flags) {
			char f[FLAGS_TEXT_MAX], modseq[40] = "";
			imap_flags_text(s, l.msgs[j].flags, f, sizeof f);
			if (s->condstore) /* RFC 7162 3.2.4 */
				snprintf(modseq, sizeof modseq, " MODSEQ (%llu)", (unsigned long long)l.msgs[j].modseq);
			if (s->qresync) /* RFC 7162 3.2.4: and its UID */
				imap_untagged(s, "%zu FETCH (UID %u FLAGS (%s)%s)", i + 1, l.msgs[j].uid, f, modseq);
			else
				imap_untagged(s, "%zu FETCH (FLAGS (%s)%s)", i + 1, f, modseq);
		}
		i++;
	}
	uint32_t last = s->n_msgs ? s->msgs[s->n_msgs - 1].uid : 0;
	size_t before = s->n_msgs;
	free(s->msgs);
	s->msgs = l.msgs;
	s->n_msgs = l.n;
	s->cap_msgs = l.cap;
	size_t added = 0;
	for (size_t k = 0; k < l.n; k++)
		added += l.msgs[k].uid > last;
	if (added || before != s->n_msgs)
		imap_untagged(s, "%zu EXISTS", s->n_msgs);
	s->highestmodseq = modseq;
	return STORE_OK;
}

/* What changed, if anything did: one short read when nothing has. */
static enum store_result check_changes(struct imap_session *s)
{
	uint64_t modseq;
	enum store_result r = s->be->modseq(s->be->ctx, s->account.id, s->folder.id, &modseq);
	return r != STORE_OK || modseq == s->highestmodseq ? r : imap_update(s);
}

void imap_cmd_noop(struct imap_session *s, const char *tag)
{
	if (s->state == IMAP_SELECTED && check_changes(s) != STORE_OK) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	imap_tagged(s, tag, "OK", "NOOP completed");
}

void imap_cmd_idle(struct imap_session *s, const char *tag)
{
	snprintf(s->tag, sizeof s->tag, "%s", tag);
	s->idle_from = s->state;
	s->state = IMAP_IDLE;
	s->be->rest(s->be->ctx); /* phones idle for hours: no read buffers held meanwhile */
	outbuf_add(s->out, "+ idling\r\n", 10);
}

void imap_idle_poll(struct imap_session *s)
{
	if (s->state == IMAP_IDLE && s->idle_from == IMAP_SELECTED)
		check_changes(s); /* a fault: the next poll tries again */
}

void imap_idle_done(struct imap_session *s, const char *line)
{
	s->state = s->idle_from;
	if (strcasecmp(line, "DONE"))
		imap_bad(s, s->tag, "IDLE ends with DONE");
	else
		imap_tagged(s, s->tag, "OK", "IDLE terminated");
}

void imap_tell_vanished(struct imap_session *s, const struct imap_set *within)
{
	uint32_t below = s->folder.uidnext, prev = 0;
	if (s->n_msgs && s->msgs[s->n_msgs - 1].uid >= below)
		below = s->msgs[s->n_msgs - 1].uid + 1; /* delivered since SELECT, and seen */
	int first = 1;
	for (size_t i = 0; i <= s->n_msgs; i++) {
		uint32_t next = i < s->n_msgs ? s->msgs[i].uid : below; /* the UIDs between prev and next are gone */
		for (size_t k = 0; k < (within ? within->n : 1) && next > prev + 1; k++) {
			uint32_t lo = prev + 1, hi = next - 1;
			if (within) {
				lo = within->lo[k] > lo ? within->lo[k] : lo;
				hi = within->hi[k] < hi ? within->hi[k] : hi;
			}
			if (lo > hi)
				continue;
			outbuf_printf(s->out, first ? "* VANISHED (EARLIER) %u" : ",%u", lo);
			if (hi > lo)
				outbuf_printf(s->out, ":%u", hi);
			first = 0;
		}
		prev = next;
	}
	if (!first)
		outbuf_add(s->out, "\r\n", 2);
}

/* SELECT's parameters (RFC 7162 3.1.8, 3.2.5): (CONDSTORE), or (QRESYNC
 * (uidvalidity modseq [known-uids [(seqs uids)]])), the last part unused:
 * 0, or -1 when they are wrong. */
struct select_params {
	int condstore, qresync;
	uint32_t uidvalidity;
	uint64_t modseq;
	int has_known;
	struct imap_set known;
};

static int take_select_params(struct imap_session *s, struct imap_cursor *c, struct select_params *p)
{
	char word[IMAP_WORD_MAX], set[SEQ_SET_TEXT_MAX + 1];
	uint64_t uv;
	if (c->p + 1 >= c->end || c->p[0] != ' ' || c->p[1] != '(')
		return 0;
	*++c->p = ' ';
	if (imap_take_atom(c, word, sizeof word) < 0)
		return -1;
	if (!strcasecmp(word, "CONDSTORE")) {
		p->condstore = 1;
	} else if (strcasecmp(word, "QRESYNC") || !s->qresync || c->p + 1 >= c->end || c->p[0] != ' ' || c->p[1] != '(') {
		return -1; /* QRESYNC only once enabled (RFC 7162 3.2.5) */
	} else {
		*++c->p = ' ';
		if (imap_take_atom(c, word, sizeof word) < 0 || number_parse(word, UINT32_MAX, &uv) < 0 || !uv ||
		    imap_take_atom(c, word, sizeof word) < 0 || number_parse(word, UINT64_MAX - 1, &p->modseq) < 0 ||
		    !p->modseq)
			return -1;
		p->qresync = 1;
		p->uidvalidity = (uint32_t)uv;
		if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] != '(') {
			if (imap_take_token(c, set, sizeof set, "*") < 0 || imap_set_parse(set, UINT32_MAX, &p->known) < 0)
				return -1;
			p->has_known = 1;
		}
		if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') { /* seq-match-data: known UIDs suffice */
			char *close = memchr(c->p, ')', (size_t)(c->end - c->p));
			if (!close)
				return -1;
			c->p = close + 1;
		}
		if (c->p >= c->end || *c->p++ != ')')
			return -1;
	}
	return c->p < c->end && *c->p++ == ')' ? 0 : -1;
}

void imap_cmd_select(struct imap_session *s, const char *tag, struct imap_cursor *c, int read_only)
{
	char name[STORE_FOLDER_MAX + 1];
	struct select_params params = {0};
	if (imap_take_mailbox(s, c, name, sizeof name) < 0 || take_select_params(s, c, &params) < 0 || !imap_at_end(c)) {
		imap_bad(s, tag, read_only ? "EXAMINE mailbox [(CONDSTORE) | (QRESYNC (uidvalidity modseq [uids]))]"
		                           : "SELECT mailbox [(CONDSTORE) | (QRESYNC (uidvalidity modseq [uids]))]");
		return;
	}
	s->condstore |= params.condstore; /* RFC 7162 3.2.2 */
	if (s->state == IMAP_SELECTED) /* RFC 7162 3.2.11 */
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	imap_deselect(s); /* RFC 9051 6.3.2: even when the new one fails */
	s->n_keywords = 0; /* each folder's own, as its messages have them */
	enum store_result r = s->be->folder(s->be->ctx, s->account.id, name, &s->folder);
	struct load l;
	uint64_t modseq;
	if (r == STORE_OK)
		r = load(s, &l, &modseq);
	if (r == STORE_NOT_FOUND) {
		imap_no(s, tag, IMAP_NO_NONEXISTENT);
		return;
	}
	if (r != STORE_OK) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	free(s->msgs);
	s->msgs = l.msgs;
	s->n_msgs = l.n;
	s->cap_msgs = l.cap;
	s->highestmodseq = modseq;
	s->read_only = read_only;
	s->state = IMAP_SELECTED;
	folder_flags(s);
	imap_untagged(s, "%zu EXISTS", s->n_msgs);
	if (s->rev2) { /* RFC 9051 6.3.2: the name as the server has it; no RECENT, no UNSEEN */
		char q[IMAP_MAILBOX_QUOTED_MAX];
		imap_quote_mailbox(s, s->folder.name, q, sizeof q);
		imap_untagged(s, "LIST () \"/\" %s", q);
	} else {
		imap_untagged(s, "0 RECENT");
		for (size_t i = 0; i < s->n_msgs; i++)
			if (!(s->msgs[i].flags & STORE_FLAG_SEEN)) {
				imap_untagged(s, "OK [UNSEEN %zu] First unseen", i + 1);
				break;
			}
	}
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", s->folder.uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", s->folder.uidnext);
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest", (unsigned long long)s->highestmodseq); /* RFC 7162 3.1.2.1 */
	if (params.qresync && params.uidvalidity == s->folder.uidvalidity) { /* RFC 7162 3.2.5.2 */
		/* Every UID below UIDNEXT that is not here was expunged: told whether or not before modseq, as RFC 7162 allows. */
		imap_tell_vanished(s, params.has_known ? &params.known : NULL);
		for (size_t i = 0; i < s->n_msgs; i++) {
			if (s->msgs[i].modseq <= params.modseq)
				continue;
			char f[FLAGS_TEXT_MAX];
			imap_flags_text(s, s->msgs[i].flags, f, sizeof f);
			imap_untagged(s, "%zu FETCH (UID %u FLAGS (%s) MODSEQ (%llu))", i + 1, s->msgs[i].uid, f,
			              (unsigned long long)s->msgs[i].modseq);
		}
	}
	imap_tagged(s, tag, "OK", read_only ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

/* ---- LIST, LSUB, STATUS ---- */

/* RFC 9051 6.3.9: "*" matches anything, "%" anything but the delimiter. */
static int pattern_match(const char *p, const char *name)
{
	/* One row of a table at a time (at[j]: the pattern so far matches the
	 * name's first j octets), so time is pattern x name, whatever the
	 * wildcards: backtracking would be exponential in them. */
	size_t n = strlen(name);
	unsigned char *at = malloc(n + 1), *next = malloc(n + 1);
	int hit = 0;
	if (at && next) {
		memset(at, 0, n + 1);
		at[0] = 1;
		for (; *p; p++) {
			int run = 0; /* a wildcard: some earlier j matched, with no "/" since for "%" */
			for (size_t j = 0; j <= n; j++) {
				if (*p == '*' || *p == '%') {
					if (*p == '%' && j && name[j - 1] == '/')
						run = 0;
					run |= at[j];
					next[j] = (unsigned char)run;
				} else {
					next[j] = j && at[j - 1] && name[j - 1] == *p;
				}
			}
			unsigned char *t = at;
			at = next;
			next = t;
		}
		hit = at[n];
	}
	free(at);
	free(next);
	return hit;
}

/* STATUS items (RFC 9051 6.3.11, RFC 7162 3.1.3), in the order asked for. */
enum status_item { S_MESSAGES, S_UNSEEN, S_UIDNEXT, S_UIDVALIDITY, S_RECENT, S_HIGHESTMODSEQ, S_DELETED, S_SIZE };
static const char *const status_names[] = {"MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY", "RECENT", "HIGHESTMODSEQ",
                                           "DELETED", "SIZE"}; /* the last two: RFC 9051 6.3.11 */
#define STATUS_ITEMS_MAX 16 /* items in one STATUS: each there is, some twice */
#define STATUS_TEXT_MAX (STATUS_ITEMS_MAX * 36) /* each item: its name, a space and a 20-digit number */

struct status_items {
	enum status_item item[STATUS_ITEMS_MAX];
	size_t n;
};

/* " (item ...)" after a space: 0, or -1 when it is none. */
static int take_status_items(struct imap_cursor *c, struct status_items *items)
{
	char word[IMAP_WORD_MAX];
	if (c->p + 2 > c->end || c->p[0] != ' ' || c->p[1] != '(')
		return -1;
	*++c->p = ' '; /* each item is taken after a space */
	items->n = 0;
	while (c->p < c->end && *c->p != ')') {
		size_t k = 0;
		if (imap_take_atom(c, word, sizeof word) < 0 || items->n == STATUS_ITEMS_MAX)
			return -1;
		while (k < sizeof status_names / sizeof *status_names && strcasecmp(word, status_names[k]))
			k++;
		if (k == sizeof status_names / sizeof *status_names)
			return -1;
		items->item[items->n++] = (enum status_item)k;
	}
	if (c->p >= c->end || !items->n)
		return -1;
	c->p++;
	return 0;
}

/* "* STATUS name (...)" for a folder found with its counts. */
static void tell_status(struct imap_session *s, const struct store_folder *f, const struct status_items *items)
{
	char out[STATUS_TEXT_MAX] = "", q[IMAP_MAILBOX_QUOTED_MAX];
	size_t n = 0;
	for (size_t i = 0; i < items->n && n < sizeof out; i++) {
		uint64_t v[] = {f->messages, f->unseen, f->uidnext, f->uidvalidity, 0, f->highestmodseq, f->deleted, f->size};
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s %llu", n ? " " : "", status_names[items->item[i]],
		                      (unsigned long long)v[items->item[i]]);
	}
	imap_quote_mailbox(s, f->name, q, sizeof q);
	imap_untagged(s, "STATUS %s (%s)", q, out);
}

/* LIST's options (RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS). */
struct list_options {
	int subscribed_only, special_only, recursive; /* selection */
	int tell_subscribed, tell_children, tell_special; /* return */
	struct status_items status;                   /* return STATUS: n 0 when not asked */
};

#define LIST_PATTERNS_MAX 16 /* patterns in one LIST: a client asks for a few trees at once */

/* "(" option* ")" after a space, selection (RFC 5258 3.1) or return (3.2) options: 0, or -1. */
static int take_list_options(struct imap_cursor *c, struct list_options *o, int selection)
{
	char word[IMAP_WORD_MAX];
	if (c->p + 2 > c->end || c->p[0] != ' ' || c->p[1] != '(')
		return -1;
	*++c->p = ' ';
	while (c->p < c->end && *c->p != ')') {
		if (imap_take_atom(c, word, sizeof word) < 0)
			return -1;
		if (!strcasecmp(word, "SUBSCRIBED"))
			*(selection ? &o->subscribed_only : &o->tell_subscribed) = 1;
		else if (!strcasecmp(word, "SPECIAL-USE"))
			*(selection ? &o->special_only : &o->tell_special) = 1;
		else if (selection && !strcasecmp(word, "RECURSIVEMATCH"))
			o->recursive = 1;
		else if (selection && !strcasecmp(word, "REMOTE"))
			; /* every mailbox here is local (RFC 5258 3.1) */
		else if (!selection && !strcasecmp(word, "CHILDREN"))
			o->tell_children = 1;
		else if (!selection && !strcasecmp(word, "STATUS") && take_status_items(c, &o->status) == 0)
			;
		else
			return -1;
	}
	if (c->p >= c->end)
		return -1;
	c->p++;
	return 0;
}

struct list_args {
	struct store_folder *all;
	size_t n, cap;
};

static int list_add(void *ctx, const struct store_folder *f)
{
	struct list_args *a = ctx;
	if (array_reserve(&a->all, &a->cap, a->n, sizeof *a->all) < 0)
		return -1;
	a->all[a->n++] = *f;
	return 0;
}

static int matches(char patterns[][2 * STORE_FOLDER_MAX + 2], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (pattern_match(patterns[i], name))
			return 1;
	return 0;
}

/* Whether folder i has folders below it (that are subscribed). */
static int has_children(const struct list_args *a, size_t i, int subscribed)
{
	size_t len = strlen(a->all[i].name);
	for (size_t k = 0; k < a->n; k++)
		if (!strncmp(a->all[k].name, a->all[i].name, len) && a->all[k].name[len] == '/' &&
		    (!subscribed || a->all[k].subscribed))
			return 1;
	return 0;
}

void imap_cmd_list(struct imap_session *s, const char *tag, struct imap_cursor *c, int lsub)
{
	char reference[STORE_FOLDER_MAX + 1], pattern[STORE_FOLDER_MAX + 1];
	char patterns[LIST_PATTERNS_MAX][2 * STORE_FOLDER_MAX + 2];
	struct list_options o = {0};
	size_t n_patterns = 0;
	int bad = !lsub && c->p + 1 < c->end && c->p[1] == '(' && take_list_options(c, &o, 1) < 0;
	bad = bad || imap_take_list_pattern(s, c, reference, sizeof reference) < 0; /* a name: modified UTF-7 too */
	if (!bad && !lsub && c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') { /* RFC 5258: several patterns */
		*++c->p = ' ';
		while (!bad && c->p < c->end && *c->p != ')') {
			bad = n_patterns == LIST_PATTERNS_MAX || imap_take_list_pattern(s, c, pattern, sizeof pattern) < 0;
			if (!bad)
				snprintf(patterns[n_patterns++], sizeof *patterns, "%s%s", reference, pattern);
		}
		bad = bad || c->p++ >= c->end || !n_patterns;
	} else if (!bad) {
		bad = imap_take_list_pattern(s, c, pattern, sizeof pattern) < 0;
		if (!bad)
			snprintf(patterns[n_patterns++], sizeof *patterns, "%s%s", reference, pattern);
	}
	if (!bad && !lsub && c->p + 7 <= c->end && !strncasecmp(c->p, " RETURN", 7)) {
		c->p += 7;
		bad = take_list_options(c, &o, 0) < 0;
	}
	if (bad || !imap_at_end(c) || (o.recursive && !o.subscribed_only && !o.special_only)) { /* RFC 5258 3.1 */
		imap_bad(s, tag, lsub ? "LSUB reference pattern"
		                      : "LIST [(options)] reference pattern|(patterns) [RETURN (options)]");
		return;
	}
	if (n_patterns == 1 && !*pattern && !lsub) { /* RFC 9051 6.3.9: the delimiter and the root */
		imap_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
		imap_tagged(s, tag, "OK", "LIST completed");
		return;
	}
	for (size_t i = 0; i < n_patterns; i++)
		if (!strncasecmp(patterns[i], "INBOX", 5) && (!patterns[i][5] || patterns[i][5] == '/'))
			memcpy(patterns[i], "INBOX", 5);
	if (lsub)
		o.subscribed_only = 1;
	struct list_args a = {NULL, 0, 0};
	enum store_result r = s->be->folders(s->be->ctx, s->account.id, list_add, &a);
	for (size_t i = 0; i < a.n && r == STORE_OK; i++) {
		const struct store_folder *f = &a.all[i];
		if (!matches(patterns, n_patterns, f->name) || (o.special_only && !*f->special_use))
			continue;
		/* RFC 5258 3.5: one not subscribed is listed under RECURSIVEMATCH for its subscribed children */
		int child_info = o.recursive && o.subscribed_only && !f->subscribed && has_children(&a, i, 1);
		if (o.subscribed_only && !f->subscribed && !child_info)
			continue;
		char name[IMAP_MAILBOX_QUOTED_MAX], attrs[96];
		imap_quote_mailbox(s, f->name, name, sizeof name);
		snprintf(attrs, sizeof attrs, "%s%s%s%s", has_children(&a, i, 0) ? "\\HasChildren" : "\\HasNoChildren",
		         (o.tell_subscribed || (o.subscribed_only && !lsub)) && f->subscribed ? " \\Subscribed" : "",
		         *f->special_use ? " " : "", f->special_use);
		imap_untagged(s, "%s (%s) \"/\" %s%s", lsub ? "LSUB" : "LIST", attrs, name, child_info ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))" : "");
		struct store_folder counted;
		if (o.status.n && (r = s->be->status(s->be->ctx, s->account.id, f->name, &counted)) == STORE_OK)
			tell_status(s, &counted, &o.status); /* RFC 5819: right after its LIST */
		else if (r == STORE_NOT_FOUND)
			r = STORE_OK; /* deleted meanwhile: no STATUS */
	}
	free(a.all);
	if (r != STORE_OK)
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
	else
		imap_tagged(s, tag, "OK", lsub ? "LSUB completed" : "LIST completed");
}

void imap_cmd_status(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char name[STORE_FOLDER_MAX + 1];
	struct status_items items;
	if (imap_take_mailbox(s, c, name, sizeof name) < 0 || take_status_items(c, &items) < 0 || !imap_at_end(c)) {
		imap_bad(s, tag, "STATUS mailbox (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT HIGHESTMODSEQ DELETED SIZE)");
		return;
	}
	struct store_folder f;
	enum store_result r = s->be->status(s->be->ctx, s->account.id, name, &f);
	if (r != STORE_OK) {
		imap_no(s, tag, r == STORE_NOT_FOUND ? IMAP_NO_NONEXISTENT : IMAP_NO_UNAVAILABLE);
		return;
	}
	tell_status(s, &f, &items);
	imap_tagged(s, tag, "OK", "STATUS completed");
}

/* ---- CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE ---- */

/* A name a folder may have: levels of printable characters between single
 * "/"s (a trailing one, CREATE's hint that more will go below, dropped). */
static int check_folder_name(char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '/')
		name[--n] = '\0';
	if (!n || name[0] == '/' || strstr(name, "//") || n > STORE_FOLDER_MAX)
		return -1;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < ' ' || *p == 0x7f || *p == '*' || *p == '%')
			return -1;
	return 0;
}

void imap_cmd_folder(struct imap_session *s, const char *tag, struct imap_cursor *c, char what)
{
	char name[STORE_FOLDER_MAX + 1], to[STORE_FOLDER_MAX + 1];
	if (imap_take_mailbox(s, c, name, sizeof name) < 0 || (what == 'R' && imap_take_mailbox(s, c, to, sizeof to) < 0) ||
	    !imap_at_end(c) || check_folder_name(name) < 0 || (what == 'R' && check_folder_name(to) < 0)) {
		imap_bad(s, tag, what == 'R' ? "RENAME mailbox new-name" : "mailbox name expected");
		return;
	}
	enum store_result r;
	if ((what == 'C' || what == 'D') && !strcmp(name, "INBOX")) {
		imap_no(s, tag, what == 'C' ? IMAP_NO_INBOX_EXISTS : IMAP_NO_INBOX_STAYS);
		return;
	}
	if (what == 'R' && !strcmp(to, "INBOX")) {
		imap_no(s, tag, IMAP_NO_INBOX_EXISTS);
		return;
	}
	if (what == 'D' && s->state == IMAP_SELECTED && !strcmp(name, s->folder.name))
		imap_deselect(s); /* the folder goes: its messages with it */
	r = what == 'C' ? s->be->create(s->be->ctx, s->account.id, name)
	  : what == 'D' ? s->be->remove(s->be->ctx, s->account.id, name)
	  : what == 'R' ? s->be->rename(s->be->ctx, s->account.id, name, to)
	                : s->be->subscribe(s->be->ctx, s->account.id, name, what == 'S');
	if (r == STORE_OK)
		imap_tagged(s, tag, "OK", what == 'C' ? "CREATE completed" : what == 'D' ? "DELETE completed"
		                        : what == 'R' ? "RENAME completed" : what == 'S' ? "SUBSCRIBE completed"
		                                                                         : "UNSUBSCRIBE completed");
	else if (r == STORE_PERMFAIL)
		imap_no(s, tag, IMAP_NO_EXISTS);
	else if (r == STORE_NOT_FOUND)
		imap_no(s, tag, IMAP_NO_NONEXISTENT);
	else
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
}

/* ---- sequence sets (RFC 9051 9: sequence-set) ---- */

int imap_selects(const struct imap_session *s, const struct imap_set *set, size_t i, int uid)
{
	return imap_set_has(set, uid ? s->msgs[i].uid : (uint32_t)(i + 1));
}

void imap_reads_ahead(const struct imap_session *s, const struct imap_set *set, int uid, size_t i, size_t max,
                      struct imap_reads *out)
{
	out->n = 0;
	for (size_t j = i; j < s->n_msgs && out->n < max && out->n < STORE_READ_AHEAD_ENTRIES; j++) {
		if (j > i && set && !imap_selects(s, set, j, uid))
			break; /* the run ends */
		out->e[out->n++] = (struct store_entry_ref){s->msgs[j].id, s->msgs[j].size};
	}
}

int imap_take_set(struct imap_session *s, struct imap_cursor *c, int uid, struct imap_set *set)
{
	char text[SEQ_SET_TEXT_MAX + 1];
	uint32_t star = uid ? (s->n_msgs ? s->msgs[s->n_msgs - 1].uid : 0) : (uint32_t)s->n_msgs;
	if (imap_take_token(c, text, sizeof text, "*") < 0 || strspn(text, "0123456789:,*") != strlen(text))
		return -1;
	if (imap_set_parse(text, star ? star : 1, set) < 0) /* "n:*" past the end still names the last (RFC 9051 9) */
		return -1;
	for (size_t i = 0; !uid && s->n_msgs && i < set->n; i++)
		if (set->hi[i] > s->n_msgs)
			return -1; /* RFC 9051 9: a sequence number past the last message is an error */
	return 0;
}

/* ---- EXPUNGE, CLOSE ---- */

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The \Deleted messages (with uids, only those it names) gone for good; each
 * reported unless silent (CLOSE). The store deletes only those still \Deleted
 * there, and says which are gone. */
static enum store_result expunge_deleted(struct imap_session *s, int silent, const struct imap_set *uids)
{
	enum store_result r = silent ? STORE_OK : check_changes(s); /* \Deleted set or taken away elsewhere */
	uint64_t *ids = malloc((s->n_msgs + 1) * sizeof *ids), *gone = malloc((s->n_msgs + 1) * sizeof *gone);
	size_t n = 0, n_gone = 0;
	if (!ids || !gone)
		r = STORE_TEMPFAIL;
	for (size_t i = 0; r == STORE_OK && i < s->n_msgs; i++)
		if ((s->msgs[i].flags & STORE_FLAG_DELETED) && (!uids || imap_selects(s, uids, i, 1)))
			ids[n++] = s->msgs[i].id;
	if (r == STORE_OK && n)
		r = s->be->expunge(s->be->ctx, s->account.id, ids, n, gone, &n_gone);
	for (size_t i = s->n_msgs; r == STORE_OK && i-- > 0;) /* from the end: the numbers before stay right */
		if (bsearch(&s->msgs[i].id, gone, n_gone, sizeof *gone, id_cmp))
			forget(s, i, silent);
	if (r == STORE_OK)
		s->expunged += (unsigned)n_gone;
	free(ids);
	free(gone);
	return r;
}

/* EXPUNGE, or UID EXPUNGE with its set (RFC 4315 2.1). */
void imap_cmd_expunge(struct imap_session *s, const char *tag, struct imap_cursor *c, int uid)
{
	struct imap_set *set = uid ? malloc(sizeof *set) : NULL;
	if (uid && (!set || imap_take_set(s, c, 1, set) < 0 || !imap_at_end(c)))
		imap_bad(s, tag, "UID EXPUNGE sequence-set");
	else if (s->read_only)
		imap_no(s, tag, IMAP_NO_READ_ONLY);
	else if (expunge_deleted(s, 0, set) != STORE_OK)
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
	else
		imap_tagged(s, tag, "OK", uid ? "UID EXPUNGE completed" : "EXPUNGE completed");
	free(set);
}

void imap_cmd_close(struct imap_session *s, const char *tag, int expunge)
{
	if (expunge && !s->read_only && expunge_deleted(s, 1, NULL) != STORE_OK) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	imap_deselect(s);
	imap_tagged(s, tag, "OK", expunge ? "CLOSE completed" : "UNSELECT completed");
}

/* A modifier list after a space: "(NAME n)" (RFC 7162's CHANGEDSINCE and
 * UNCHANGEDSINCE): 1 with *n, 0 when there is none, -1 when it is wrong. */
static int take_modifier(struct imap_cursor *c, const char *name, uint64_t *n)
{
	char word[IMAP_WORD_MAX], digits[IMAP_WORD_MAX];
	if (c->p + 1 >= c->end || c->p[0] != ' ' || c->p[1] != '(')
		return 0;
	*++c->p = ' ';
	if (imap_take_atom(c, word, sizeof word) < 0 || strcasecmp(word, name) || imap_take_atom(c, digits, sizeof digits) < 0 ||
	    number_parse(digits, UINT64_MAX - 1, n) < 0 || c->p >= c->end || *c->p++ != ')')
		return -1;
	return 1;
}

/* ---- STORE ---- */

int imap_take_flags(struct imap_session *s, struct imap_cursor *c, uint64_t *flags)
{
	char name[IMAP_KEYWORD_LEN + 2];
	int list = c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(';
	*flags = 0;
	if (list) {
		*++c->p = ' '; /* each flag is taken after a space */
		if (c->p + 1 < c->end && c->p[1] == ')') { /* () : no flags */
			c->p += 2;
			return 0;
		}
	}
	for (;;) {
		if (c->p >= c->end || *c->p != ' ')
			return -1;
		c->p++;
		size_t k = 0;
		while (c->p < c->end && *c->p != ' ' && *c->p != ')' && k + 1 < sizeof name)
			name[k++] = *c->p++;
		name[k] = '\0';
		size_t i = 0;
		while (i < sizeof flag_names / sizeof *flag_names && strcasecmp(name, flag_names[i].name))
			i++;
		if (i < sizeof flag_names / sizeof *flag_names) {
			*flags |= flag_names[i].bit;
		} else if (!strcasecmp(name, "\\Recent")) { /* the server's to set: ignored */
		} else {
			int bit = imap_keyword_bit(s, name, 1);
			if (bit < 0)
				return -1;
			*flags |= (uint64_t)1 << bit;
		}
		if (list && c->p < c->end && *c->p == ')') {
			c->p++;
			return 0;
		}
		if (!list && imap_at_end(c))
			return 0;
	}
}

void imap_cmd_store(struct imap_session *s, const char *tag, struct imap_cursor *c, int uid)
{
	struct imap_set set;
	char what[IMAP_WORD_MAX];
	uint64_t flags, unchanged_since = 0;
	int conditional = 0;
	if (imap_take_set(s, c, uid, &set) < 0 || (conditional = take_modifier(c, "UNCHANGEDSINCE", &unchanged_since)) < 0 ||
	    imap_take_atom(c, what, sizeof what) < 0 || imap_take_flags(s, c, &flags) < 0 || !imap_at_end(c)) {
		imap_bad(s, tag, "STORE sequence-set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] (flags)");
		return;
	}
	int op = what[0] == '+' ? 1 : what[0] == '-' ? -1 : 0;
	const char *rest = what + (op != 0);
	int silent = !strcasecmp(rest, "FLAGS.SILENT");
	if (!silent && strcasecmp(rest, "FLAGS")) {
		imap_bad(s, tag, "STORE sequence-set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] (flags)");
		return;
	}
	if (s->read_only) {
		imap_no(s, tag, IMAP_NO_READ_ONLY);
		return;
	}
	s->condstore |= conditional; /* RFC 7162 3.1: a CONDSTORE enabling command */
	uint32_t *uids = malloc((s->n_msgs + 1) * sizeof *uids);
	struct change_result *now = malloc((s->n_msgs + 1) * sizeof *now);
	size_t *which = malloc((s->n_msgs + 1) * sizeof *which), n = 0;
	enum store_result r = uids && now && which ? STORE_OK : STORE_TEMPFAIL;
	for (size_t i = 0; r == STORE_OK && i < s->n_msgs; i++)
		if (imap_selects(s, &set, i, uid)) {
			which[n] = i;
			uids[n++] = s->msgs[i].uid;
		}
	int none = conditional && !unchanged_since; /* UNCHANGEDSINCE 0: every message has changed since */
	if (r == STORE_OK && n && !none)
		r = change_flags(s, uids, n, op, flags, unchanged_since, now);
	for (size_t k = 0; r == STORE_OK && none && k < n; k++)
		now[k] = (struct change_result){s->msgs[which[k]].flags, s->msgs[which[k]].modseq, 1};
	if (r == STORE_OK)
		tell_new_keywords(s);
	struct envelope_text modified = {0}; /* RFC 7162 3.1.3: the messages left alone */
	for (size_t k = 0; r == STORE_OK && k < n; k++) {
		struct imap_message *m = &s->msgs[which[k]];
		if (now[k].flags == GONE)
			continue; /* its EXPUNGE comes with a later command */
		if (now[k].refused) {
			char number[IMAP_WORD_MAX]; /* "[MODIFIED " and 10 digits */
			snprintf(number, sizeof number, "%s%llu", modified.len ? "," : "[MODIFIED ",
			         uid ? (unsigned long long)m->uid : (unsigned long long)which[k] + 1);
			envelope_add(&modified, number, strlen(number));
			continue;
		}
		m->flags = now[k].flags;
		m->modseq = now[k].modseq;
		if (silent && !s->condstore)
			continue;
		char text[FLAGS_TEXT_MAX], modseq[40] = "";
		imap_flags_text(s, m->flags, text, sizeof text);
		if (s->condstore)
			snprintf(modseq, sizeof modseq, " MODSEQ (%llu)", (unsigned long long)m->modseq);
		if (uid)
			imap_untagged(s, "%zu FETCH (UID %u%s%s%s%s)", which[k] + 1, m->uid, silent ? "" : " FLAGS (",
			              silent ? "" : text, silent ? "" : ")", modseq);
		else
			imap_untagged(s, "%zu FETCH (%s%s%s%s)", which[k] + 1, silent ? "" : "FLAGS (", silent ? "" : text,
			              silent ? "" : ")", silent ? modseq + 1 : modseq);
	}
	free(uids);
	free(now);
	free(which);
	if (r == STORE_PERMFAIL) {
		imap_no(s, tag, IMAP_NO_KEYWORDS);
	} else if (r != STORE_OK) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
	} else if (modified.len) {
		const char *end = "] Conditional STORE failed for some";
		envelope_add(&modified, end, strlen(end));
		imap_tagged(s, tag, "OK", modified.failed ? "Conditional STORE failed for some" : modified.p);
	} else {
		imap_tagged(s, tag, "OK", uid ? "UID STORE completed" : "STORE completed");
	}
	free(modified.p);
}

/* ---- COPY and MOVE (RFC 9051 6.4.7, RFC 6851) ---- */

void imap_cmd_copy(struct imap_session *s, const char *tag, struct imap_cursor *c, int uid, int move)
{
	struct imap_set set;
	char name[STORE_FOLDER_MAX + 1];
	if (imap_take_set(s, c, uid, &set) < 0 || imap_take_mailbox(s, c, name, sizeof name) < 0 || !imap_at_end(c)) {
		imap_bad(s, tag, move ? "MOVE sequence-set mailbox" : "COPY sequence-set mailbox");
		return;
	}
	if (move && s->read_only) {
		imap_no(s, tag, IMAP_NO_READ_ONLY);
		return;
	}
	struct store_folder to;
	enum store_result r = s->be->folder(s->be->ctx, s->account.id, name, &to);
	if (r == STORE_NOT_FOUND) {
		imap_no(s, tag, IMAP_NO_TRYCREATE);
		return;
	}
	uint64_t *ids = malloc((s->n_msgs + 1) * sizeof *ids), *sizes = malloc((s->n_msgs + 1) * sizeof *sizes);
	size_t *which = malloc((s->n_msgs + 1) * sizeof *which), n = 0;
	unsigned char *done = malloc(s->n_msgs + 1);
	if (r == STORE_OK && (!ids || !sizes || !which || !done))
		r = STORE_TEMPFAIL;
	for (size_t i = 0; r == STORE_OK && i < s->n_msgs; i++)
		if (imap_selects(s, &set, i, uid)) {
			which[n] = i;
			ids[n] = s->msgs[i].id;
			sizes[n++] = s->msgs[i].size;
		}
	struct store_copy copy = {ids, sizes, n, move, done, 0, 0};
	if (r == STORE_OK && n)
		r = s->be->copy(s->be->ctx, s->account.id, s->folder.id, to.id, &copy);
	size_t copied = 0;
	for (size_t k = 0; r == STORE_OK && k < n; k++)
		copied += done[k];
	if (r == STORE_OVER_QUOTA)
		imap_no(s, tag, IMAP_NO_COPY_OVERQUOTA);
	else if (r != STORE_OK)
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
	else if (!copied)
		imap_tagged(s, tag, "OK", "Nothing to do");
	else { /* RFC 4315 COPYUID: the source UIDs copied, in order, and the new ones, one range */
		outbuf_printf(s->out, "%s OK [COPYUID %u ", move ? "*" : tag, copy.uidvalidity);
		for (size_t k = 0, said = 0; k < n; k++)
			if (done[k])
				outbuf_printf(s->out, "%s%u", said++ ? "," : "", s->msgs[which[k]].uid);
		if (copied > 1)
			outbuf_printf(s->out, " %u:%u]", copy.first_uid, copy.first_uid + (uint32_t)copied - 1);
		else
			outbuf_printf(s->out, " %u]", copy.first_uid);
		outbuf_printf(s->out, " %s\r\n", move ? "Moved" : uid ? "UID COPY completed" : "COPY completed");
	}
	for (size_t k = n; move && copied && k-- > 0;) /* from the end: the numbers before stay right */
		if (done[k])
			forget(s, which[k], 0);
	free(ids);
	free(sizes);
	free(which);
	free(done);
	if (move && copied)
		imap_tagged(s, tag, "OK", uid ? "UID MOVE completed" : "MOVE completed");
}
