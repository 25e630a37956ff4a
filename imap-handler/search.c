/* SEARCH and UID SEARCH (RFC 9051 6.4.4): every key, NOT, OR and
 * parentheses, parsed into a tree and tried on each message of the selected
 * folder; what a key needs of the message (its header, its content,
 * streamed) is read only for the messages the cheaper keys left. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"
#include "header.h"
#include "imap_impl.h"
#include "number.h"
#include "outbuf.h"

#define SEARCH_NODES_MAX 256 /* keys in one SEARCH: clients send a handful */
#define SEARCH_DEPTH_MAX 32  /* NOT, OR and parentheses nested: deeper is no client's */
#define SEARCH_TEXT_MAX 1024 /* a string searched for: a name, a phrase */

enum op { Q_TRUE, Q_FALSE, Q_FLAGS, Q_SET, Q_NOT, Q_AND, Q_OR, Q_DATE, Q_SENT, Q_LARGER, Q_SMALLER, Q_MODSEQ,
          Q_HEADER, Q_BODY, Q_TEXT };

struct node {
	enum op op;
	int a, b;                /* Q_NOT, Q_AND, Q_OR: the keys it joins */
	uint64_t must, must_not; /* Q_FLAGS */
	struct imap_set *set;    /* Q_SET */
	int uid;
	int cmp;                 /* Q_DATE, Q_SENT: -1 before, 0 on, 1 since */
	long day;                /* days since 1970-01-01 */
	uint64_t size;           /* Q_LARGER, Q_SMALLER; Q_MODSEQ: the least MODSEQ */
	char *field, *text;      /* Q_HEADER: field's value holds text; Q_BODY, Q_TEXT: the content does */
	size_t *fail;            /* Q_BODY, Q_TEXT: prepare_text's table */
};

struct query {
	struct node nodes[SEARCH_NODES_MAX];
	size_t n;
	int modseq;          /* it has a MODSEQ key: the answer says the highest MODSEQ found (RFC 7162 3.1.5) */
	const char *error;   /* why it is BAD */
	size_t content_read; /* 1 + the message whose content this search read last, or 0 */
};

static const struct {
	const char *key;
	unsigned flag;
	int set; /* 1: must have it, 0: must not */
} flag_keys[] = {
	{"SEEN", STORE_FLAG_SEEN, 1},         {"UNSEEN", STORE_FLAG_SEEN, 0},     {"DELETED", STORE_FLAG_DELETED, 1},
	{"UNDELETED", STORE_FLAG_DELETED, 0}, {"FLAGGED", STORE_FLAG_FLAGGED, 1}, {"UNFLAGGED", STORE_FLAG_FLAGGED, 0},
	{"ANSWERED", STORE_FLAG_ANSWERED, 1}, {"UNANSWERED", STORE_FLAG_ANSWERED, 0},
	{"DRAFT", STORE_FLAG_DRAFT, 1},       {"UNDRAFT", STORE_FLAG_DRAFT, 0},
};

static const struct {
	const char *key, *field;
} header_keys[] = {{"FROM", "From"}, {"TO", "To"}, {"CC", "Cc"}, {"BCC", "Bcc"}, {"SUBJECT", "Subject"}};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

/* "7-Dec-2026" (RFC 9051 9: date-text), or RFC 5322's "Mon, 7 Dec 2026 ...": its day, or -1. */
static int parse_day(const char *p, long *day)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (strchr(p, ',') && strchr(p, ',') < p + 10) /* a day of the week */
		p = strchr(p, ',') + 1;
	char *end;
	unsigned long d = strtoul(p, &end, 10), y;
	if (end == p || d < 1 || d > 31 || (*end != '-' && *end != ' '))
		return -1;
	p = end + 1;
	while (*p == ' ')
		p++;
	size_t m = 0;
	while (m < 12 && strncasecmp(p, months[m], 3))
		m++;
	if (m == 12 || (p[3] != '-' && p[3] != ' '))
		return -1;
	p += 4;
	while (*p == ' ')
		p++;
	y = strtoul(p, &end, 10);
	if (end - p != 4 && end - p != 2)
		return -1;
	if (end - p == 2) /* RFC 5322 4.3: obsolete two-digit years */
		y += y < 50 ? 2000 : 1900;
	*day = days_from_civil((long)y, (unsigned)m + 1, (unsigned)d);
	return 0;
}

static int add_node(struct query *q, struct node n)
{
	if (q->n == SEARCH_NODES_MAX) {
		q->error = "SEARCH has too many keys";
		return -1;
	}
	q->nodes[q->n] = n;
	return (int)q->n++;
}

static int take_text(struct imap_cursor *c, char **out)
{
	char text[SEARCH_TEXT_MAX + 1];
	if (imap_take_astring(c, text, sizeof text) < 0)
		return -1;
	return (*out = strdup(text)) ? 0 : -1;
}

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

/* For a string looked for in any case: its octets in lower case, and for each
 * length of it matched, how much is still matched after a mismatch (Knuth,
 * Morris and Pratt), so the content is read once, in time linear in it. */
static int prepare_text(struct node *n)
{
	size_t len = strlen(n->text);
	if (!(n->fail = malloc((len + 1) * sizeof *n->fail)))
		return -1;
	for (size_t i = 0; i < len; i++)
		n->text[i] = (char)lower((unsigned char)n->text[i]);
	n->fail[0] = 0;
	for (size_t i = 1, k = 0; i < len; i++) {
		while (k && n->text[i] != n->text[k])
			k = n->fail[k - 1];
		k += n->text[i] == n->text[k];
		n->fail[i] = k;
	}
	return 0;
}

static int keys(struct imap_session *s, struct query *q, struct imap_cursor *c, int depth, int until_paren);

/* One search key after a space: its node, or -1 (q->error says why). */
static int key(struct imap_session *s, struct query *q, struct imap_cursor *c, int depth)
{
	if (depth > SEARCH_DEPTH_MAX) {
		q->error = "SEARCH is nested too deep";
		return -1;
	}
	if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') { /* ( keys ) */
		*++c->p = ' '; /* its first key is taken after a space */
		return keys(s, q, c, depth + 1, 1);
	}
	char word[SEQ_SET_TEXT_MAX + 1];
	if (imap_take_token(c, word, sizeof word, "*") < 0) {
		q->error = "SEARCH key expected";
		return -1;
	}
	struct node n = {.op = Q_TRUE};
	for (size_t i = 0; i < sizeof flag_keys / sizeof *flag_keys; i++)
		if (!strcasecmp(word, flag_keys[i].key)) {
			n.op = Q_FLAGS;
			*(flag_keys[i].set ? &n.must : &n.must_not) = flag_keys[i].flag;
			return add_node(q, n);
		}
	for (size_t i = 0; i < sizeof header_keys / sizeof *header_keys; i++)
		if (!strcasecmp(word, header_keys[i].key)) {
			n.op = Q_HEADER;
			if (!(n.field = strdup(header_keys[i].field)) || take_text(c, &n.text) < 0)
				break;
			return add_node(q, n);
		}
	if (n.op == Q_HEADER) {
		free(n.field);
		q->error = "SEARCH FROM, TO, CC, BCC and SUBJECT take a string";
		return -1;
	}
	if (!strcasecmp(word, "ALL") || !strcasecmp(word, "OLD")) { /* no message is \Recent: all are old */
		return add_node(q, n);
	} else if (!strcasecmp(word, "NEW") || !strcasecmp(word, "RECENT")) {
		n.op = Q_FALSE;
	} else if (!strcasecmp(word, "KEYWORD") || !strcasecmp(word, "UNKEYWORD")) {
		char kw[IMAP_KEYWORD_LEN + 1];
		if (imap_take_atom(c, kw, sizeof kw) < 0) {
			q->error = "SEARCH KEYWORD takes a keyword";
			return -1;
		}
		int bit = imap_keyword_bit(s, kw, 0), un = word[0] == 'U' || word[0] == 'u';
		n.op = bit >= 0 ? Q_FLAGS : un ? Q_TRUE : Q_FALSE; /* a keyword no message here has */
		if (bit >= 0)
			*(un ? &n.must_not : &n.must) = (uint64_t)1 << bit;
	} else if (!strcasecmp(word, "NOT")) {
		n.op = Q_NOT;
		if ((n.a = key(s, q, c, depth + 1)) < 0)
			return -1;
	} else if (!strcasecmp(word, "OR")) {
		n.op = Q_OR;
		if ((n.a = key(s, q, c, depth + 1)) < 0 || (n.b = key(s, q, c, depth + 1)) < 0)
			return -1;
	} else if (!strcasecmp(word, "BEFORE") || !strcasecmp(word, "ON") || !strcasecmp(word, "SINCE") ||
	           !strcasecmp(word, "SENTBEFORE") || !strcasecmp(word, "SENTON") || !strcasecmp(word, "SENTSINCE")) {
		char date[IMAP_WORD_MAX];
		int sent = !strncasecmp(word, "SENT", 4);
		const char *what = word + (sent ? 4 : 0);
		n.op = sent ? Q_SENT : Q_DATE;
		n.cmp = !strcasecmp(what, "BEFORE") ? -1 : !strcasecmp(what, "ON") ? 0 : 1;
		if (imap_take_astring(c, date, sizeof date) < 0 || parse_day(date, &n.day) < 0 || strchr(date, ' ')) {
			q->error = "SEARCH dates are like 7-Dec-2026";
			return -1;
		}
	} else if (!strcasecmp(word, "LARGER") || !strcasecmp(word, "SMALLER")) {
		char digits[IMAP_WORD_MAX];
		n.op = word[0] == 'L' || word[0] == 'l' ? Q_LARGER : Q_SMALLER;
		if (imap_take_atom(c, digits, sizeof digits) < 0 || number_parse(digits, UINT64_MAX, &n.size) < 0) {
			q->error = "SEARCH LARGER and SMALLER take a number";
			return -1;
		}
	} else if (!strcasecmp(word, "MODSEQ")) { /* [entry-name entry-type] n: the entry is not told apart */
		char arg[SEARCH_TEXT_MAX + 1];
		n.op = Q_MODSEQ;
		q->modseq = 1;
		if (imap_take_astring(c, arg, sizeof arg) < 0 ||
		    (arg[0] == '/' && (imap_take_atom(c, arg, sizeof arg) < 0 || imap_take_atom(c, arg, sizeof arg) < 0)))
			arg[0] = '\0'; /* (what failed may have left it unterminated) */
		if (number_parse(arg, UINT64_MAX - 1, &n.size) < 0) {
			q->error = "SEARCH MODSEQ [entry-name entry-type] mod-sequence";
			return -1;
		}
	} else if (!strcasecmp(word, "HEADER")) {
		n.op = Q_HEADER;
		if (take_text(c, &n.field) < 0 || take_text(c, &n.text) < 0) {
			free(n.field);
			free(n.text);
			q->error = "SEARCH HEADER field-name string";
			return -1;
		}
	} else if (!strcasecmp(word, "BODY") || !strcasecmp(word, "TEXT")) {
		n.op = word[0] == 'B' || word[0] == 'b' ? Q_BODY : Q_TEXT;
		if (take_text(c, &n.text) < 0 || prepare_text(&n) < 0) {
			free(n.text);
			q->error = "SEARCH BODY and TEXT take a string";
			return -1;
		}
	} else {
		int uid = !strcasecmp(word, "UID");
		if (!(n.set = malloc(sizeof *n.set)) ||
		    (uid ? imap_take_set(s, c, 1, n.set) : strspn(word, "0123456789:,*") == strlen(word)
		                                                  ? imap_set_parse(word, s->n_msgs ? (uint32_t)s->n_msgs : 1, n.set)
		                                                  : -1) < 0) {
			free(n.set);
			q->error = "SEARCH: no such key";
			return -1;
		}
		n.op = Q_SET;
		n.uid = uid;
	}
	int i = add_node(q, n);
	if (i < 0) {
		free(n.set);
		free(n.field);
		free(n.text);
		free(n.fail);
	}
	return i;
}

/* Keys, all to be met: up to the command's end, or (until_paren) a ")". */
static int keys(struct imap_session *s, struct query *q, struct imap_cursor *c, int depth, int until_paren)
{
	int all = -1;
	for (;;) {
		if (until_paren && c->p < c->end && *c->p == ')') {
			c->p++;
			break;
		}
		if (!until_paren && imap_at_end(c))
			break;
		int k = key(s, q, c, depth);
		if (k < 0)
			return -1;
		if (all >= 0 && (k = add_node(q, (struct node){.op = Q_AND, .a = all, .b = k})) < 0)
			return -1;
		all = k;
	}
	if (all < 0)
		q->error = "SEARCH needs a key";
	return all;
}

/* A string looked for in a message's content as its octets go by. */
struct finder {
	const struct node *n;
	size_t len, matched;
	int body_only, found;
	struct header_end header;
};

static int find_in(void *ctx, const void *data, size_t len)
{
	struct finder *f = ctx;
	const unsigned char *p = data;
	const char *text = f->n->text;
	if (f->body_only && !f->header.done) { /* BODY: what follows the header */
		size_t h = header_end_scan(&f->header, data, len);
		p += h;
		len -= h;
	}
	for (size_t i = 0; i < len && !f->found; i++) {
		unsigned char c = lower(p[i]);
		while (f->matched && c != (unsigned char)text[f->matched])
			f->matched = f->n->fail[f->matched - 1];
		f->matched += c == (unsigned char)text[f->matched];
		f->found = f->matched == f->len;
	}
	return f->found; /* found: no need to read on */
}

/* Whether a field of that name holds text (an empty text: whether there is such a field). */
static int header_has(const char *h, size_t len, const char *field, const char *text)
{
	const char *pos = h, *v;
	size_t n;
	struct envelope_text value = {0};
	int hit = 0;
	while (!hit && (v = envelope_next_field(&pos, h + len, field, &n))) {
		value.len = 0;
		envelope_unfold(&value, v, n);
		hit = !*text || (value.p && strcasestr(value.p, text));
	}
	free(value.p);
	return hit;
}

struct message_view {
	struct imap_session *s;
	const struct imap_message *m;
	char *header; /* read when a key needs it */
	size_t header_len;
	enum store_result r;
};

static int test(struct query *q, int i, struct message_view *v, size_t seq);

static int compare_day(long day, const struct node *n)
{
	return n->cmp < 0 ? day < n->day : n->cmp == 0 ? day == n->day : day >= n->day;
}

/* Whether message seq (its index) meets node i; v->r says whether it could be read. */
static int test(struct query *q, int i, struct message_view *v, size_t seq)
{
	const struct node *n = &q->nodes[i];
	const struct imap_message *m = v->m;
	switch (n->op) {
	case Q_TRUE:
		return 1;
	case Q_FALSE:
		return 0;
	case Q_FLAGS:
		return (m->flags & n->must) == n->must && !(m->flags & n->must_not);
	case Q_SET:
		return imap_selects(v->s, n->set, seq, n->uid);
	case Q_NOT:
		return !test(q, n->a, v, seq);
	case Q_AND:
		return test(q, n->a, v, seq) && test(q, n->b, v, seq);
	case Q_OR:
		return test(q, n->a, v, seq) || test(q, n->b, v, seq);
	case Q_DATE: /* INTERNALDATE's day, in UTC as it is kept */
		return compare_day((long)(m->arrived >= 0 ? m->arrived / 86400 : (m->arrived - 86399) / 86400), n);
	case Q_LARGER:
		return m->size > n->size;
	case Q_SMALLER:
		return m->size < n->size;
	case Q_MODSEQ:
		return m->modseq >= n->size;
	default:
		break;
	}
	if (n->op == Q_BODY || n->op == Q_TEXT) {
		struct finder f = {n, strlen(n->text), 0, n->op == Q_BODY, !*n->text, {0}};
		if (f.found || v->r != STORE_OK)
			return f.found;
		size_t i = (size_t)(m - v->s->msgs);
		/* the one before it was read too: those after it likely will be */
		size_t ahead = i && q->content_read == i ? STORE_READ_AHEAD_ENTRIES : 1;
		struct imap_reads next;
		imap_reads_ahead(v->s, NULL, 0, i, ahead, &next);
		q->content_read = i + 1;
		enum store_result r = v->s->be->read(v->s->be->ctx, v->s->account.id, next.e, next.n, -1, find_in, &f);
		if (r != STORE_OK && !f.found) /* found: the read stopped there on purpose */
			v->r = r;
		return f.found;
	}
	if (!v->header && v->r == STORE_OK)
		v->r = imap_message_header(v->s, m, &v->header, &v->header_len);
	if (v->r != STORE_OK)
		return 0;
	if (n->op == Q_HEADER)
		return header_has(v->header, v->header_len, n->field, n->text);
	size_t len; /* Q_SENT: the Date field's day, as written there; none readable: 1-Jan-1970, as for Dovecot */
	const char *pos = v->header, *date = NULL, *d;
	while ((d = envelope_next_field(&pos, v->header + v->header_len, "Date", &len)))
		date = d;
	char text[128];
	long day = 0;
	snprintf(text, sizeof text, "%.*s", date ? (int)(len < sizeof text - 1 ? len : sizeof text - 1) : 0, date ? date : "");
	if (parse_day(text, &day) < 0)
		day = 0;
	return compare_day(day, n);
}

static void query_free(struct query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->nodes[i].set);
		free(q->nodes[i].field);
		free(q->nodes[i].text);
		free(q->nodes[i].fail);
	}
	free(q);
}

enum { R_MIN = 1, R_MAX = 2, R_ALL = 4, R_COUNT = 8 };

/* RETURN (options) of RFC 4731 after a space: the options (none given: ALL), -1 when wrong. */
static int take_return(struct imap_cursor *c)
{
	static const struct {
		const char *name;
		int bit;
	} options[] = {{"MIN", R_MIN}, {"MAX", R_MAX}, {"ALL", R_ALL}, {"COUNT", R_COUNT}};
	char word[IMAP_WORD_MAX];
	int got = 0;
	if (c->p + 1 >= c->end || c->p[0] != ' ' || c->p[1] != '(')
		return -1;
	*++c->p = ' ';
	if (c->p + 1 < c->end && c->p[1] == ')') { /* "()": ALL */
		c->p += 2;
		return R_ALL;
	}
	while (c->p < c->end && *c->p != ')') {
		size_t i = 0;
		if (imap_take_atom(c, word, sizeof word) < 0)
			return -1;
		while (i < sizeof options / sizeof *options && strcasecmp(word, options[i].name))
			i++;
		if (i == sizeof options / sizeof *options)
			return -1; /* SAVE (RFC 5182) is not offered */
		got |= options[i].bit;
	}
	if (c->p++ >= c->end)
		return -1;
	return got ? got : R_ALL;
}

/* The ESEARCH response (RFC 4731) for hits, n of them, ascending; with a
 * MODSEQ key, the highest MODSEQ of what it reports (RFC 7162 3.1.5: of the
 * MIN and MAX messages alone when it reports neither ALL nor COUNT). */
static void esearch(struct imap_session *s, const char *tag, int uid, int ret, const uint32_t *hits,
                    const uint64_t *modseqs, size_t n, int modseq, uint64_t highest)
{
	if (n && !(ret & (R_ALL | R_COUNT))) {
		highest = 0;
		if (ret & R_MIN)
			highest = modseqs[0];
		if ((ret & R_MAX) && modseqs[n - 1] > highest)
			highest = modseqs[n - 1];
	}
	outbuf_printf(s->out, "* ESEARCH (TAG \"%s\")%s", tag, uid ? " UID" : "");
	if (n && (ret & R_MIN))
		outbuf_printf(s->out, " MIN %u", hits[0]);
	if (n && (ret & R_MAX))
		outbuf_printf(s->out, " MAX %u", hits[n - 1]);
	if (n && (ret & R_ALL)) {
		outbuf_add(s->out, " ALL ", 5);
		for (size_t i = 0; i < n;) {
			size_t j = i;
			while (j + 1 < n && hits[j + 1] == hits[j] + 1)
				j++;
			outbuf_printf(s->out, j > i ? "%s%u:%u" : "%s%u", i ? "," : "", hits[i], hits[j]);
			i = j + 1;
		}
	}
	if (ret & R_COUNT) /* after ALL, as Dovecot orders them */
		outbuf_printf(s->out, " COUNT %zu", n);
	if (modseq && n)
		outbuf_printf(s->out, " MODSEQ %llu", (unsigned long long)highest);
	outbuf_add(s->out, "\r\n", 2);
}

void imap_cmd_search(struct imap_session *s, const char *tag, struct imap_cursor *c, int uid)
{
	struct query *q = calloc(1, sizeof *q);
	if (!q) {
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
		return;
	}
	char charset[IMAP_WORD_MAX];
	int ret = 0; /* RETURN options: an ESEARCH answer (IMAP4rev2's only one, RFC 9051 6.4.4) */
	struct imap_cursor at = *c;
	if (imap_take_atom(&at, charset, sizeof charset) == 0 && !strcasecmp(charset, "RETURN")) {
		if ((ret = take_return(&at)) < 0) {
			imap_bad(s, tag, "SEARCH RETURN (MIN MAX ALL COUNT)");
			query_free(q);
			return;
		}
		*c = at;
	}
	if (!ret && s->rev2)
		ret = R_ALL;
	at = *c;
	if (imap_take_atom(&at, charset, sizeof charset) == 0 && !strcasecmp(charset, "CHARSET")) {
		if (imap_take_astring(&at, charset, sizeof charset) < 0 ||
		    (strcasecmp(charset, "UTF-8") && strcasecmp(charset, "US-ASCII"))) {
			imap_no(s, tag, IMAP_NO_BADCHARSET);
			query_free(q);
			return;
		}
		*c = at;
	}
	int root = keys(s, q, c, 0, 0);
	if (root < 0) {
		imap_bad(s, tag, q->error ? q->error : "SEARCH keys");
		query_free(q);
		return;
	}
	enum store_result r = STORE_OK;
	size_t mark = s->out->len, n = 0;
	unsigned flushes = s->out->flushes;
	uint64_t highest = 0;
	uint32_t *hits = ret ? malloc((s->n_msgs + 1) * sizeof *hits) : NULL;
	uint64_t *modseqs = ret ? malloc((s->n_msgs + 1) * sizeof *modseqs) : NULL;
	if (ret && (!hits || !modseqs))
		r = STORE_TEMPFAIL;
	if (!ret)
		outbuf_add(s->out, "* SEARCH", 8);
	for (size_t i = 0; i < s->n_msgs && r == STORE_OK; i++) {
		struct message_view v = {s, &s->msgs[i], NULL, 0, STORE_OK};
		if (test(q, root, &v, i)) {
			uint32_t number = uid ? s->msgs[i].uid : (uint32_t)(i + 1);
			if (ret) {
				modseqs[n] = s->msgs[i].modseq;
				hits[n++] = number;
			}
			else
				outbuf_printf(s->out, " %u", number);
			highest = s->msgs[i].modseq > highest ? s->msgs[i].modseq : highest;
		}
		r = v.r;
		free(v.header);
	}
	if (!ret && q->modseq && highest)
		outbuf_printf(s->out, " (MODSEQ %llu)", (unsigned long long)highest);
	s->condstore |= q->modseq; /* RFC 7162 3.1: a CONDSTORE enabling command */
	if (ret && r == STORE_OK)
		esearch(s, tag, uid, ret, hits, modseqs, n, q->modseq, highest);
	free(hits);
	free(modseqs);
	query_free(q);
	if (r != STORE_OK && s->out->flushes == flushes)
		s->out->len = mark; /* the list could not be made: none of it */
	else if (!ret)
		outbuf_add(s->out, "\r\n", 2);
	if (r != STORE_OK)
		imap_no(s, tag, IMAP_NO_UNAVAILABLE);
	else
		imap_tagged(s, tag, "OK", uid ? "UID SEARCH completed" : "SEARCH completed");
}
