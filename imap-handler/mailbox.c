/* IMAP's authenticated and selected states: folders listed and selected,
 * messages fetched, flagged, searched and expunged. The selected folder is
 * held as a list in UID order (sequence number = place + 1), brought up to
 * date with what other sessions did at NOOP, SELECT and after each change. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "array.h"
#include "envelope.h"
#include "mime.h"
#include "header.h"
#include "imap_impl.h"
#include "number.h"

#define STATUS_TEXT_MAX 256 /* every STATUS item with a 20-digit number */
#define FETCH_ITEMS_MAX 16 /* items in one FETCH: every one there is, once */
#define FETCH_ITEM_MAX 1024 /* an item's text: BODY[HEADER.FIELDS (...)] with the fields a client asks for */
#define SECTION_PARTS_MAX 32 /* part numbers in a section: deeper than any real message nests */
#define SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"

static const struct {
	const char *name;
	unsigned bit;
} flag_names[] = {
	{"\\Seen", STORE_FLAG_SEEN},     {"\\Answered", STORE_FLAG_ANSWERED}, {"\\Flagged", STORE_FLAG_FLAGGED},
	{"\\Deleted", STORE_FLAG_DELETED}, {"\\Draft", STORE_FLAG_DRAFT},
};

#define FLAGS_TEXT_MAX (IMAP_KEYWORDS_MAX * (IMAP_KEYWORD_LEN + 1) + 64) /* every flag and keyword named */

void imap_keywords_text(const struct imap_session *s, uint64_t flags, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->n_keywords; i++)
		if (flags >> (8 + i) & 1 && n + strlen(s->keywords[i]) + 2 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", s->keywords[i]);
}

static void flags_text(const struct imap_session *s, uint64_t flags, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof flag_names / sizeof *flag_names; i++)
		if (flags & flag_names[i].bit)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", flag_names[i].name);
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

/* A name as a quoted string (RFC 9051 9: quoted-specials escaped). */
static void quoted(const char *in, char *out, size_t cap)
{
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
	if (!silent)
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
			flags_text(s, l.msgs[j].flags, f, sizeof f);
			if (s->condstore) /* RFC 7162 3.2.4 */
				snprintf(modseq, sizeof modseq, " MODSEQ (%llu)", (unsigned long long)l.msgs[j].modseq);
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

void imap_cmd_select(struct imap_session *s, const char *tag, struct imap_cursor *c, int read_only)
{
	char name[STORE_FOLDER_MAX + 1], param[16];
	if (imap_take_mailbox(c, name, sizeof name) < 0) {
		imap_bad(s, tag, read_only ? "EXAMINE mailbox [(CONDSTORE)]" : "SELECT mailbox [(CONDSTORE)]");
		return;
	}
	if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') { /* RFC 7162 3.2.2: (CONDSTORE) */
		*++c->p = ' ';
		if (imap_take_atom(c, param, sizeof param) < 0 || strcasecmp(param, "CONDSTORE") || c->p >= c->end ||
		    *c->p++ != ')') {
			imap_bad(s, tag, "SELECT parameters: CONDSTORE");
			return;
		}
		s->condstore = 1;
	}
	if (!imap_at_end(c)) {
		imap_bad(s, tag, read_only ? "EXAMINE mailbox [(CONDSTORE)]" : "SELECT mailbox [(CONDSTORE)]");
		return;
	}
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
	imap_untagged(s, "0 RECENT");
	for (size_t i = 0; i < s->n_msgs; i++)
		if (!(s->msgs[i].flags & STORE_FLAG_SEEN)) {
			imap_untagged(s, "OK [UNSEEN %zu] First unseen", i + 1);
			break;
		}
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", s->folder.uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", s->folder.uidnext);
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest", (unsigned long long)s->highestmodseq); /* RFC 7162 3.1.2.1 */
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

struct list_args {
	struct imap_session *s;
	const char *pattern;
	int lsub;
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

void imap_cmd_list(struct imap_session *s, const char *tag, struct imap_cursor *c, int lsub)
{
	char reference[STORE_FOLDER_MAX + 1], pattern[STORE_FOLDER_MAX + 1], full[2 * STORE_FOLDER_MAX + 2];
	if (imap_take_astring(c, reference, sizeof reference) < 0 || imap_take_list_pattern(c, pattern, sizeof pattern) < 0 ||
	    !imap_at_end(c)) {
		imap_bad(s, tag, lsub ? "LSUB reference pattern" : "LIST reference pattern");
		return;
	}
	if (!*pattern && !lsub) { /* RFC 9051 6.3.9: the delimiter and the root */
		imap_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
		imap_tagged(s, tag, "OK", "LIST completed");
		return;
	}
	snprintf(full, sizeof full, "%s%s", reference, pattern);
	if (!strncasecmp(full, "INBOX", 5) && (!full[5] || full[5] == '/'))
		memcpy(full, "INBOX", 5);
	struct list_args a = {s, full, lsub, NULL, 0, 0};
	enum store_result r = s->be->folders(s->be->ctx, s->account.id, list_add, &a);
	if (r != STORE_OK) {
		free(a.all);
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	for (size_t i = 0; i < a.n; i++) {
		const struct store_folder *f = &a.all[i];
		if (!pattern_match(full, f->name) || (lsub && !f->subscribed))
			continue;
		size_t len = strlen(f->name);
		int children = 0;
		for (size_t k = 0; k < a.n && !children; k++)
			children = !strncmp(a.all[k].name, f->name, len) && a.all[k].name[len] == '/';
		char name[2 * STORE_FOLDER_MAX + 3];
		quoted(f->name, name, sizeof name);
		imap_untagged(s, "%s (%s%s%s) \"/\" %s", lsub ? "LSUB" : "LIST", children ? "\\HasChildren" : "\\HasNoChildren",
		              *f->special_use ? " " : "", f->special_use, name);
	}
	free(a.all);
	imap_tagged(s, tag, "OK", lsub ? "LSUB completed" : "LIST completed");
}

void imap_cmd_status(struct imap_session *s, const char *tag, struct imap_cursor *c)
{
	char name[STORE_FOLDER_MAX + 1], item[32], out[STATUS_TEXT_MAX] = "";
	if (imap_take_mailbox(c, name, sizeof name) < 0 || c->p + 2 > c->end || c->p[0] != ' ' || c->p[1] != '(') {
		imap_bad(s, tag, "STATUS mailbox (items)");
		return;
	}
	c->p += 2;
	struct store_folder f;
	enum store_result r = s->be->folder(s->be->ctx, s->account.id, name, &f);
	if (r == STORE_NOT_FOUND) {
		imap_no(s, tag, IMAP_NO_NONEXISTENT);
		return;
	}
	if (r != STORE_OK) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	size_t n = 0;
	*--c->p = ' '; /* each item is taken after a space */
	while (c->p < c->end && *c->p != ')') {
		if (imap_take_atom(c, item, sizeof item) < 0) {
			imap_bad(s, tag, "STATUS mailbox (items)");
			return;
		}
		unsigned long long v;
		if (!strcasecmp(item, "MESSAGES"))
			v = f.messages;
		else if (!strcasecmp(item, "UNSEEN"))
			v = f.unseen;
		else if (!strcasecmp(item, "UIDNEXT"))
			v = f.uidnext;
		else if (!strcasecmp(item, "UIDVALIDITY"))
			v = f.uidvalidity;
		else if (!strcasecmp(item, "RECENT"))
			v = 0;
		else if (!strcasecmp(item, "HIGHESTMODSEQ")) /* RFC 7162 3.1.3 */
			v = f.highestmodseq;
		else {
			imap_bad(s, tag, "Unknown STATUS item");
			return;
		}
		for (char *p = item; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s %llu", n ? " " : "", item, v);
		if (n >= sizeof out) {
			imap_bad(s, tag, "Too many STATUS items");
			return;
		}
	}
	if (c->p + 1 != c->end) {
		imap_bad(s, tag, "STATUS mailbox (items)");
		return;
	}
	char q[2 * STORE_FOLDER_MAX + 3];
	quoted(f.name, q, sizeof q);
	imap_untagged(s, "STATUS %s (%s)", q, out);
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
	if (imap_take_mailbox(c, name, sizeof name) < 0 || (what == 'R' && imap_take_mailbox(c, to, sizeof to) < 0) ||
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
	char word[24], digits[24];
	if (c->p + 1 >= c->end || c->p[0] != ' ' || c->p[1] != '(')
		return 0;
	*++c->p = ' ';
	if (imap_take_atom(c, word, sizeof word) < 0 || strcasecmp(word, name) || imap_take_atom(c, digits, sizeof digits) < 0 ||
	    number_parse(digits, UINT64_MAX - 1, n) < 0 || c->p >= c->end || *c->p++ != ')')
		return -1;
	return 1;
}

/* ---- FETCH ---- */

enum fetch_item { I_FLAGS, I_UID, I_SIZE, I_DATE, I_MODSEQ, I_ENVELOPE, I_STRUCTURE, I_BODY, I_SECTION };
enum section_text { T_ALL, T_HEADER, T_FIELDS, T_FIELDS_NOT, T_TEXT, T_MIME };

struct fetch_req {
	enum fetch_item item;
	int peek;
	char label[FETCH_ITEM_MAX + 32]; /* how the response names it */
	enum section_text text;         /* I_SECTION: BODY[...] */
	unsigned path[SECTION_PARTS_MAX];
	size_t n_path;
	char fields[FETCH_ITEM_MAX + 1]; /* HEADER.FIELDS: the names, upper case, one space between */
	char fields_label[FETCH_ITEM_MAX + 1]; /* and as the response names them: quoted ones quoted */
	int partial;
	uint64_t origin, count;
};

static const struct {
	const char *name;
	enum fetch_item item;
	int peek;
	enum section_text text;
} fetch_names[] = {
	{"FLAGS", I_FLAGS, 1, T_ALL},
	{"UID", I_UID, 1, T_ALL},
	{"RFC822.SIZE", I_SIZE, 1, T_ALL},
	{"INTERNALDATE", I_DATE, 1, T_ALL},
	{"MODSEQ", I_MODSEQ, 1, T_ALL}, /* RFC 7162 3.1.4 */
	{"ENVELOPE", I_ENVELOPE, 1, T_ALL},
	{"BODYSTRUCTURE", I_STRUCTURE, 1, T_ALL},
	{"BODY", I_BODY, 1, T_ALL},
	{"RFC822", I_SECTION, 0, T_ALL}, /* RFC 9051 6.4.5: BODY[], BODY.PEEK[HEADER] and BODY[TEXT] by other names */
	{"RFC822.HEADER", I_SECTION, 1, T_HEADER},
	{"RFC822.TEXT", I_SECTION, 0, T_TEXT},
};

/* The section of BODY[section]<partial> (RFC 9051 6.4.5), from after "[": -1 when it is no section. */
static int parse_section(const char *p, struct fetch_req *r)
{
	static const struct {
		const char *word;
		enum section_text text;
	} texts[] = {{"HEADER.FIELDS.NOT", T_FIELDS_NOT}, {"HEADER.FIELDS", T_FIELDS}, {"HEADER", T_HEADER},
	             {"TEXT", T_TEXT}, {"MIME", T_MIME}};
	size_t n = (size_t)snprintf(r->label, sizeof r->label, "BODY[");
	while (*p >= '1' && *p <= '9') { /* part numbers */
		char *end;
		unsigned long k = strtoul(p, &end, 10);
		if (r->n_path == SECTION_PARTS_MAX || k > UINT32_MAX || end - p > 10)
			return -1;
		r->path[r->n_path++] = (unsigned)k;
		n += (size_t)snprintf(r->label + n, sizeof r->label - n, "%s%lu", r->n_path > 1 ? "." : "", k);
		p = end;
		if (*p != '.')
			break;
		if (*++p == ']')
			return -1; /* "1.]" */
	}
	size_t i = 0;
	while (i < sizeof texts / sizeof *texts && strncasecmp(p, texts[i].word, strlen(texts[i].word)))
		i++;
	if (i < sizeof texts / sizeof *texts) {
		r->text = texts[i].text;
		if (r->text == T_MIME && !r->n_path)
			return -1; /* MIME is a part's */
		n += (size_t)snprintf(r->label + n, sizeof r->label - n, "%s%s", r->n_path ? "." : "", texts[i].word);
		p += strlen(texts[i].word);
	}
	if (r->text == T_FIELDS || r->text == T_FIELDS_NOT) { /* " (" names ")" */
		if (p[0] != ' ' || p[1] != '(')
			return -1;
		size_t f = 0, l = 0;
		for (p += 2; *p && *p != ')'; p++) {
			if (f >= sizeof r->fields - 1 || l >= sizeof r->fields_label - 1)
				return -1;
			char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
			if (c == ' ' && (!l || r->fields_label[l - 1] == ' '))
				continue;
			r->fields_label[l++] = c;
			if (c != '"') /* quoted names are matched without their quotes */
				r->fields[f++] = c;
		}
		while (l && r->fields_label[l - 1] == ' ')
			l--;
		r->fields_label[l] = '\0';
		while (f && r->fields[f - 1] == ' ')
			f--;
		r->fields[f] = '\0';
		if (*p++ != ')' || !f)
			return -1;
		n += (size_t)snprintf(r->label + n, sizeof r->label - n, " (%s)", r->fields_label);
	}
	if (*p++ != ']')
		return -1;
	n += (size_t)snprintf(r->label + n, sizeof r->label - n, "]");
	if (*p == '<') { /* <origin.count> */
		char *end;
		if (p[1] < '0' || p[1] > '9') /* (strtoull would take a sign) */
			return -1;
		r->origin = strtoull(p + 1, &end, 10);
		if (*end != '.' || end[1] < '0' || end[1] > '9')
			return -1;
		p = end + 1;
		r->count = strtoull(p, &end, 10);
		if (*end != '>' || !r->count)
			return -1;
		p = end + 1;
		r->partial = 1;
		snprintf(r->label + n, sizeof r->label - n, "<%llu>", (unsigned long long)r->origin);
	}
	return *p ? -1 : 0;
}

static int add_item(struct fetch_req *req, size_t *n, const char *name)
{
	static const char *const macro[] = {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"};
	size_t items = !strcasecmp(name, "FAST") ? 3 : !strcasecmp(name, "ALL") ? 4 : !strcasecmp(name, "FULL") ? 5 : 0;
	for (size_t i = 0; i < items; i++) /* RFC 9051 6.4.5 */
		if (add_item(req, n, macro[i]) < 0)
			return -1;
	if (items)
		return 0;
	if (*n == FETCH_ITEMS_MAX)
		return -1;
	struct fetch_req *r = &req[*n];
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < sizeof fetch_names / sizeof *fetch_names; i++)
		if (!strcasecmp(name, fetch_names[i].name)) {
			r->item = fetch_names[i].item;
			r->peek = fetch_names[i].peek;
			r->text = fetch_names[i].text;
			snprintf(r->label, sizeof r->label, "%s", fetch_names[i].name);
			(*n)++;
			return 0;
		}
	r->peek = !strncasecmp(name, "BODY.PEEK[", 10);
	if (!r->peek && strncasecmp(name, "BODY[", 5))
		return -1;
	r->item = I_SECTION;
	if (parse_section(name + (r->peek ? 10 : 5), r) < 0)
		return -1;
	(*n)++;
	return 0;
}

/* One item after a space: up to the next space or ")", what is in brackets kept whole. */
static int take_item(struct imap_cursor *c, struct fetch_req *req, size_t *n)
{
	char name[FETCH_ITEM_MAX + 1];
	size_t k = 0;
	int in_brackets = 0;
	if (c->p >= c->end || *c->p++ != ' ')
		return -1;
	while (c->p < c->end && (in_brackets || (*c->p != ' ' && *c->p != ')')) && k + 1 < sizeof name) {
		in_brackets = *c->p == '[' ? 1 : *c->p == ']' ? 0 : in_brackets;
		name[k++] = *c->p++;
	}
	name[k] = '\0';
	return k ? add_item(req, n, name) : -1;
}

/* The items, and the CHANGEDSINCE modifier (RFC 7162 3.1.4.1; *changed_since 0 when there is none). */
static int parse_items(struct imap_cursor *c, struct fetch_req *req, size_t *n, uint64_t *changed_since)
{
	*n = 0;
	*changed_since = 0;
	if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') {
		*++c->p = ' '; /* each item is taken after a space */
		while (c->p < c->end && *c->p != ')')
			if (take_item(c, req, n) < 0)
				return -1;
		c->p++;
	} else if (take_item(c, req, n) < 0) {
		return -1;
	}
	if (take_modifier(c, "CHANGEDSINCE", changed_since) < 0)
		return -1;
	return imap_at_end(c) ? 0 : -1;
}

struct stream {
	struct imap_session *s;
	uint64_t skip, left; /* octets to drop (a header before TEXT), then to send */
	struct header_end header;
	char *held;          /* a header alone, held to know its size first */
	size_t held_len;
	int cut;             /* the header was longer than IMAP_HEADER_MAX: held is its start */
};

static int stream_out(void *ctx, const void *data, size_t len)
{
	struct stream *st = ctx;
	const char *p = data;
	size_t k = len < st->skip ? len : (size_t)st->skip;
	st->skip -= k;
	p += k;
	len -= k;
	if (len > st->left)
		len = (size_t)st->left;
	outbuf_add(st->s->out, p, len);
	st->left -= len;
	return outbuf_flush_keep_if_full(st->s->out, 0);
}

static int hold_header(void *ctx, const void *data, size_t len)
{
	struct stream *st = ctx;
	size_t h = header_end_scan(&st->header, data, len);
	st->cut = st->held_len + h > IMAP_HEADER_MAX;
	if (st->cut)
		h = IMAP_HEADER_MAX - st->held_len;
	memcpy(st->held + st->held_len, data, h);
	st->held_len += h;
	return st->cut; /* cut: no need to read on */
}

/* The message's header, held (st->held, st->held_len); one longer than
 * IMAP_HEADER_MAX is cut there where may_cut (ENVELOPE, SEARCH: as Dovecot),
 * else refused (a section must be whole). */
static enum store_result read_header(struct imap_session *s, const struct imap_message *m, struct stream *st,
                                     int may_cut)
{
	st->held = malloc(IMAP_HEADER_MAX);
	st->held_len = 0;
	st->cut = 0;
	st->header = (struct header_end){0};
	if (!st->held)
		return STORE_TEMPFAIL;
	enum store_result r = s->be->read(s->be->ctx, s->account.id, m->id, m->size, 0, hold_header, st);
	return st->cut ? (may_cut ? STORE_OK : STORE_PERMFAIL) : r;
}

enum store_result imap_message_header(struct imap_session *s, const struct imap_message *m, char **out, size_t *len)
{
	struct stream st = {s, 0, m->size, {0}, NULL, 0, 0};
	enum store_result r = read_header(s, m, &st, 1);
	*out = st.held;
	*len = st.held_len;
	return r;
}

/* ENVELOPE, from the message's header. 0, or -1 (*failed set) when it cannot be read. */
static int envelope_item(struct imap_session *s, const struct imap_message *m, int *failed)
{
	struct stream st = {s, 0, m->size, {0}, NULL, 0, 0};
	struct envelope_text text = {0};
	enum store_result res = read_header(s, m, &st, 1);
	if (res == STORE_OK)
		envelope_write(&text, st.held, st.held_len);
	if (res == STORE_OK && text.failed)
		res = STORE_TEMPFAIL;
	if (res == STORE_OK) {
		outbuf_add(s->out, "ENVELOPE ", 9);
		outbuf_add(s->out, text.p, text.len);
	}
	free(text.p);
	free(st.held);
	*failed = res != STORE_OK;
	return res == STORE_OK ? 0 : -1;
}

static int feed_mime(void *ctx, const void *data, size_t len)
{
	mime_feed(ctx, data, len);
	return 0;
}

/* BODYSTRUCTURE, or BODY (without the extension data), from one pass over the message. */
static int structure_item(struct imap_session *s, const struct imap_message *m, int extended, int *failed)
{
	struct mime *mime = mime_new();
	struct envelope_text text = {0};
	enum store_result res = mime ? s->be->read(s->be->ctx, s->account.id, m->id, m->size, -1, feed_mime, mime)
	                             : STORE_TEMPFAIL;
	if (res == STORE_OK) {
		mime_end(mime);
		mime_bodystructure(mime, &text, extended);
		res = text.failed ? STORE_TEMPFAIL : STORE_OK;
	}
	if (res == STORE_OK) {
		outbuf_add(s->out, extended ? "BODYSTRUCTURE " : "BODY ", extended ? 14 : 5);
		outbuf_add(s->out, text.p, text.len);
	}
	free(text.p);
	mime_free(mime);
	*failed = res != STORE_OK;
	return res == STORE_OK ? 0 : -1;
}

/* The fields of a header that are (or, not: are not) among names, then an
 * empty line; a line with no colon is a field too. Where the header has no
 * empty line and its last line is kept, nothing is added (as for Dovecot). */
static void filter_fields(const char *h, size_t len, const char *names, int not, struct envelope_text *out)
{
	const char *end = h + len;
	int last_kept = 0;
	for (const char *line = h; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line)), *next = eol ? eol + 1 : end;
		if (next - line <= 2 && (*line == '\r' || *line == '\n')) {
			last_kept = 0; /* the empty line */
			break;
		}
		while (next < end && (*next == ' ' || *next == '\t')) { /* a folded field goes on */
			eol = memchr(next, '\n', (size_t)(end - next));
			next = eol ? eol + 1 : end;
		}
		size_t name = 0, n;
		while (line + name < next && line[name] != ':' && line[name] != '\r' && line[name] != '\n')
			name++; /* (held octets have no NUL after them) */
		n = name;
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		int listed = 0;
		for (const char *w = names; n && *w && !listed; w += strcspn(w, " "), w += *w == ' ')
			listed = strcspn(w, " ") == n && !strncasecmp(w, line, n);
		last_kept = listed != not;
		if (last_kept)
			envelope_add(out, line, (size_t)(next - line));
		line = next;
	}
	if (!last_kept)
		envelope_add(out, "\r\n", 2);
}

static int hold_range(void *ctx, const void *data, size_t len)
{
	struct stream *st = ctx;
	const char *p = data;
	size_t k = len < st->skip ? len : (size_t)st->skip;
	st->skip -= k;
	p += k;
	len -= k;
	if (len > st->left)
		len = (size_t)st->left;
	if (st->held_len + len > IMAP_HEADER_MAX)
		return -1;
	memcpy(st->held + st->held_len, p, len);
	st->held_len += len;
	st->left -= len;
	return 0;
}

/* Where a section is in the message: [*start, *end), or *header (a header to
 * filter or send) from held octets; an absent part is empty. */
static enum store_result locate(struct imap_session *s, const struct imap_message *m, const struct fetch_req *r,
                                struct stream *st, uint64_t *start, uint64_t *end, int *header)
{
	*start = 0;
	*end = m->size;
	*header = r->text == T_HEADER || r->text == T_FIELDS || r->text == T_FIELDS_NOT;
	if (!r->n_path) { /* the message's own header, body or whole */
		if (r->text == T_ALL)
			return STORE_OK;
		enum store_result res = read_header(s, m, st, 0);
		*start = r->text == T_TEXT ? st->held_len : 0;
		return res;
	}
	struct mime *mime = mime_new();
	enum store_result res = mime ? s->be->read(s->be->ctx, s->account.id, m->id, m->size, -1, feed_mime, mime)
	                             : STORE_TEMPFAIL;
	struct mime_range part, inner;
	int found = -1;
	if (res == STORE_OK) {
		mime_end(mime);
		found = mime_find(mime, r->path, r->n_path, &part, &inner);
	}
	mime_free(mime);
	if (res != STORE_OK)
		return res;
	int message = found == 1, wants_message = r->text != T_ALL && r->text != T_MIME;
	if (found < 0 || (wants_message && !message)) {
		*start = *end = 0; /* RFC 9051 6.4.5: no such part, an empty string */
		*header = 0;
		return STORE_OK;
	}
	*start = r->text == T_MIME ? part.header_start : !wants_message ? part.body_start
	       : r->text == T_TEXT ? inner.body_start : inner.header_start;
	*end = r->text == T_MIME ? part.body_start : !wants_message ? part.body_end
	     : r->text == T_TEXT ? inner.body_end : inner.body_start;
	if (*end < *start)
		*end = *start; /* a part cut short before its header ended */
	if (!*header)
		return STORE_OK;
	st->held = malloc(IMAP_HEADER_MAX);
	st->held_len = 0;
	st->skip = *start;
	st->left = *end - *start;
	return st->held ? s->be->read(s->be->ctx, s->account.id, m->id, m->size, -1, hold_range, st) : STORE_TEMPFAIL;
}

/* One body item of one message: "LABEL {n}" CRLF and n octets. 0, or -1 when nothing may follow. */
static int body_item(struct imap_session *s, const struct imap_message *m, const struct fetch_req *r, int *failed)
{
	struct stream st = {s, 0, 0, {0}, NULL, 0, 0};
	struct envelope_text filtered = {0};
	uint64_t start, end;
	int header;
	enum store_result res = locate(s, m, r, &st, &start, &end, &header);
	const char *text = st.held;
	size_t text_len = st.held_len;
	if (res == STORE_OK && header && r->text != T_HEADER) {
		filter_fields(st.held, st.held_len, r->fields, r->text == T_FIELDS_NOT, &filtered);
		text = filtered.p;
		text_len = filtered.len;
		res = filtered.failed ? STORE_TEMPFAIL : STORE_OK;
	}
	uint64_t len = header ? text_len : end - start, from = 0;
	if (r->partial) { /* <origin.count> of it */
		from = r->origin < len ? r->origin : len;
		len = len - from < r->count ? len - from : r->count;
	}
	if (res == STORE_OK) {
		outbuf_printf(s->out, "%s {%llu}\r\n", r->label, (unsigned long long)len);
		if (header) {
			outbuf_add(s->out, text + from, (size_t)len);
		} else if (len) {
			st.skip = start + from;
			st.left = len;
			res = s->be->read(s->be->ctx, s->account.id, m->id, m->size, -1, stream_out, &st);
			if (res == STORE_OK && st.left) /* the stored size is exact: a shorter message is a broken store */
				res = STORE_TEMPFAIL;
			s->fetched_bytes += len - st.left;
		}
	}
	free(st.held);
	free(filtered.p);
	*failed = res != STORE_OK;
	return res == STORE_OK ? 0 : -1;
}

static void date_text(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "\"%d-%b-%Y %H:%M:%S +0000\"", &tm);
}

void imap_cmd_fetch(struct imap_session *s, const char *tag, struct imap_cursor *c, int uid)
{
	struct imap_set set;
	struct fetch_req req[FETCH_ITEMS_MAX + 2];
	size_t n;
	uint64_t changed_since;
	if (imap_take_set(s, c, uid, &set) < 0) {
		imap_bad(s, tag, "Invalid sequence set");
		return;
	}
	if (parse_items(c, req, &n, &changed_since) < 0) { /* BINARY: not yet */
		imap_bad(s, tag, "FETCH items: FLAGS UID RFC822.SIZE INTERNALDATE MODSEQ ENVELOPE BODYSTRUCTURE BODY BODY[section]<n.m> BODY.PEEK[section]<n.m> RFC822* [(CHANGEDSINCE n)]");
		return;
	}
	int has_uid = 0, has_flags = 0, has_modseq = 0, marks_seen = 0;
	for (size_t k = 0; k < n; k++) {
		has_uid |= req[k].item == I_UID;
		has_flags |= req[k].item == I_FLAGS;
		has_modseq |= req[k].item == I_MODSEQ;
		marks_seen |= !req[k].peek;
	}
	if (changed_since && !has_modseq) /* RFC 7162 3.1.4.1: CHANGEDSINCE asks for MODSEQ too */
		req[n++] = (struct fetch_req){.item = I_MODSEQ, .peek = 1};
	s->condstore |= changed_since || has_modseq; /* RFC 7162 3.1: CONDSTORE enabling commands */
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (!imap_selects(s, &set, i, uid) || (changed_since && s->msgs[i].modseq <= changed_since))
			continue;
		struct imap_message *m = &s->msgs[i];
		int seen_now = marks_seen && !s->read_only && !(m->flags & STORE_FLAG_SEEN);
		if (seen_now) { /* RFC 9051 6.4.5 */
			struct change_result now;
			if (change_flags(s, &m->uid, 1, 1, STORE_FLAG_SEEN, 0, &now) != STORE_OK) {
				imap_no(s, tag, IMAP_NO_UNAVAILABLE);
				return;
			}
			if (now.flags != GONE) { /* else its EXPUNGE comes with a later command */
				m->flags = now.flags;
				m->modseq = now.modseq;
			}
		}
		size_t mark = s->out->len;
		unsigned flushes = s->out->flushes;
		outbuf_printf(s->out, "* %zu FETCH (", i + 1);
		int first = 1, failed = 0, body = 0;
		if (uid && !has_uid) {
			outbuf_printf(s->out, "UID %u", m->uid);
			first = 0;
		}
		for (size_t k = 0; k < n && !failed; k++) {
			char text[FLAGS_TEXT_MAX];
			if (!first)
				outbuf_add(s->out, " ", 1);
			first = 0;
			switch (req[k].item) {
			case I_FLAGS:
				flags_text(s, m->flags, text, sizeof text);
				outbuf_printf(s->out, "FLAGS (%s)", text);
				break;
			case I_UID:
				outbuf_printf(s->out, "UID %u", m->uid);
				break;
			case I_SIZE:
				outbuf_printf(s->out, "RFC822.SIZE %llu", (unsigned long long)m->size);
				break;
			case I_DATE:
				date_text(m->arrived, text, sizeof text);
				outbuf_printf(s->out, "INTERNALDATE %s", text);
				break;
			case I_MODSEQ:
				outbuf_printf(s->out, "MODSEQ (%llu)", (unsigned long long)m->modseq);
				break;
			case I_ENVELOPE:
				envelope_item(s, m, &failed);
				break;
			case I_STRUCTURE:
			case I_BODY:
				structure_item(s, m, req[k].item == I_STRUCTURE, &failed);
				break;
			default:
				body = 1;
				body_item(s, m, &req[k], &failed);
			}
		}
		if (failed && s->out->flushes == flushes) { /* nothing of it went out: say so properly */
			s->out->len = mark;
			imap_no(s, tag, IMAP_NO_UNAVAILABLE);
			return;
		}
		if (failed) { /* half a message went out: only closing can tell the client */
			imap_log(s, "read-failed", s->folder.name);
			s->state = IMAP_LOGOUT;
			s->ended = "read-failed";
			return;
		}
		if (seen_now && !has_flags) { /* the \Seen it just got goes with it (RFC 3501 6.4.5) */
			char text[FLAGS_TEXT_MAX];
			flags_text(s, m->flags, text, sizeof text);
			outbuf_printf(s->out, " FLAGS (%s)", text);
		}
		if (seen_now && s->condstore && !has_modseq && !changed_since) /* and its MODSEQ (RFC 7162 3.2.4) */
			outbuf_printf(s->out, " MODSEQ (%llu)", (unsigned long long)m->modseq);
		outbuf_add(s->out, ")\r\n", 3);
		s->fetched += body;
	}
	imap_tagged(s, tag, "OK", uid ? "UID FETCH completed" : "FETCH completed");
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
	char what[24];
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
			char number[16];
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
		flags_text(s, m->flags, text, sizeof text);
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
	if (imap_take_set(s, c, uid, &set) < 0 || imap_take_mailbox(c, name, sizeof name) < 0 || !imap_at_end(c)) {
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
