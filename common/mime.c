/* The MIME structure of a message in one pass over its lines: each part's
 * Content- fields (and a message's envelope fields) held, its body's size and
 * lines counted, boundaries of every open multipart watched (an outer one
 * ends the inner parts). Memory is bounded by the limits below, whatever
 * the message's size. Where mail is broken it is read as Dovecot reads it. */
#define _GNU_SOURCE
#include "mime.h"
#include "number.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIME_PARTS_MAX 1000         /* parts kept; in a message with more, the rest are body text */
#define MIME_DEPTH_MAX 50           /* nesting kept; deeper parts are body text of the last */
#define MIME_LINE_KEEP 8192         /* of a line, what a field or a boundary needs; the rest is only counted */
#define MIME_FIELDS_MAX (32 * 1024) /* of a part's header, the fields kept: Content- ones, envelope ones */
#define MIME_HELD_MAX (1024 * 1024) /* fields kept for all parts together */
#define MIME_BOUNDARY_MAX 200       /* RFC 2046 5.1.1 allows 70; some senders go past it */

enum part_kind { K_LEAF, K_MULTIPART, K_MESSAGE };
enum part_state { S_HEADER, S_BODY, S_ENDED /* a multipart after its end boundary */ };

struct part {
	int parent, first, last, next; /* -1: none */
	int is_message;                /* the root, or a message/rfc822 part's content: it has an envelope */
	enum part_kind kind;
	enum part_state state;
	int digest;                    /* multipart/digest: its parts are messages unless they say otherwise */
	int keeping;                   /* the field being read is kept */
	char *fields;
	size_t fields_len;
	char *boundary;
	size_t boundary_len;
	uint64_t header_start, body_start, body_end, lines_start, lines_end;
};

struct mime {
	struct part *parts;
	size_t n, cap, held;
	int cur;                  /* the innermost open part */
	size_t kept;              /* of the line being assembled */
	uint64_t line_len, pos;   /* its length so far, and its offset */
	uint64_t lf;              /* line feeds before it */
	unsigned prev_eol;        /* the length of the line end before it: 0, 1 or 2 */
	char last;                /* the octet before the next one fed */
	int failed;               /* out of memory: the rest is body text */
	char line[MIME_LINE_KEEP]; /* last: mime_new leaves it unzeroed */
};

static int add_part(struct mime *m, int parent)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct part *p = realloc(m->parts, cap * sizeof *p);
		if (!p) {
			m->failed = 1;
			return -1;
		}
		m->parts = p;
		m->cap = cap;
	}
	int i = (int)m->n++;
	m->parts[i] = (struct part){.parent = parent, .first = -1, .last = -1, .next = -1, .state = S_HEADER};
	if (parent >= 0) {
		struct part *pp = &m->parts[parent];
		if (pp->last >= 0)
			m->parts[pp->last].next = i;
		else
			pp->first = i;
		pp->last = i;
	}
	return i;
}

struct mime *mime_new(void)
{
	struct mime *m = malloc(sizeof *m);
	if (m) /* all but the line buffer, which is written before it is read: zeroing it costs a small message 5% */
		memset(m, 0, offsetof(struct mime, line));
	if (m && add_part(m, -1) < 0) {
		free(m);
		return NULL;
	}
	if (m)
		m->parts[0].is_message = 1;
	return m;
}

void mime_free(struct mime *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->parts[i].fields);
		free(m->parts[i].boundary);
	}
	free(m->parts);
	free(m);
}

static int depth(const struct mime *m, int i)
{
	int d = 0;
	for (; i >= 0; i = m->parts[i].parent)
		d++;
	return d;
}

/* ---- reading field values ---- */

static int is_token_char(unsigned char c) { return c >= 0x80 || (c > ' ' && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c)); }

/* A MIME token (RFC 2045 5.1), dots allowed, then blanks and comments. */
static int token(struct envelope_parser *ps, struct envelope_text *out)
{
	const unsigned char *start = ps->p;
	while (ps->p < ps->end && (is_token_char(*ps->p) || *ps->p == '.'))
		ps->p++;
	envelope_add(out, (const char *)start, (size_t)(ps->p - start));
	return envelope_skip_cfws(ps);
}

/* The first field of that name among a part's, unfolded into v: NULL when it has none. */
static const char *first_field(const struct part *p, const char *name, struct envelope_text *v)
{
	const char *pos = p->fields, *raw;
	size_t n;
	if (!p->fields || !(raw = envelope_next_field(&pos, p->fields + p->fields_len, name, &n)))
		return NULL;
	v->len = 0;
	envelope_unfold(v, raw, n);
	return v->p ? v->p : "";
}

/* A part's Content-Transfer-Encoding, its token: 0 when it has none (7bit). */
static int part_encoding(const struct part *p, struct envelope_text *enc)
{
	struct envelope_text v = {0};
	const char *value = first_field(p, "Content-Transfer-Encoding", &v);
	struct envelope_parser ps = {(const unsigned char *)(value ? value : ""),
	                             (const unsigned char *)(value ? value : "") + v.len, {0}};
	int found = value && envelope_skip_cfws(&ps) >= 0 && token(&ps, enc) >= 0;
	free(v.p);
	free(ps.comment.p);
	return found;
}

/* A parameter of a Content-Type or Content-Disposition. */
struct param {
	struct envelope_text key, value;
	int extended;
};

struct params {
	struct param *p;
	size_t n;
};

static void params_free(struct params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->p[i].key.p);
		free(ps->p[i].value.p);
	}
	free(ps->p);
	*ps = (struct params){0};
}

static struct param *add_param(struct params *ps, const char *key, size_t key_len, const char *value, size_t value_len)
{
	struct param *p = realloc(ps->p, (ps->n + 1) * sizeof *p);
	if (!p)
		return NULL;
	ps->p = p;
	p = &ps->p[ps->n++];
	*p = (struct param){{0}, {0}, 0};
	envelope_add(&p->key, key, key_len);
	envelope_add(&p->value, value, value_len);
	envelope_add(&p->value, "", 0);
	return p;
}

/* An RFC 2231 key ("name*", "name*0", "name*1*"): its name's length, and its section (-1: none). */
static size_t section_of(const struct param *p, long *section)
{
	const char *star = memchr(p->key.p, '*', p->key.len);
	*section = star && star[1] >= '0' && star[1] <= '9' ? strtol(star + 1, NULL, 10) : -1;
	return star ? (size_t)(star - p->key.p) : p->key.len;
}

static int rfc2231_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	long sx, sy;
	size_t nx = section_of(x, &sx), ny = section_of(y, &sy);
	int c = strncasecmp(x->key.p, y->key.p, nx < ny ? nx : ny);
	return c ? c : nx != ny ? (nx < ny ? -1 : 1) : (sx > sy) - (sx < sy);
}

/* The parameters as Dovecot gives them: plain ones in order, then the RFC
 * 2231 ones by name, the sections of each joined (its key "name*" when any
 * section is extended). */
static void params_join(struct params *ps)
{
	size_t plain = 0, starred = 0;
	struct param *sorted = ps->n ? malloc(ps->n * sizeof *sorted) : NULL;
	if (!sorted)
		return; /* none, or no memory: left as they came */
	for (size_t i = 0; i < ps->n; i++) /* the plain ones first, in order; one pass (a field may hold thousands) */
		plain += !memchr(ps->p[i].key.p, '*', ps->p[i].key.len);
	for (size_t i = 0, k = 0; i < ps->n; i++)
		sorted[memchr(ps->p[i].key.p, '*', ps->p[i].key.len) ? plain + starred++ : k++] = ps->p[i];
	memcpy(ps->p, sorted, ps->n * sizeof *sorted);
	free(sorted);
	if (ps->n - plain > 1)
		qsort(ps->p + plain, ps->n - plain, sizeof *ps->p, rfc2231_cmp);
	size_t out = plain;
	for (size_t i = plain; i < ps->n; i++) {
		struct param *p = &ps->p[i];
		long section;
		size_t name = section_of(p, &section);
		int extended = p->key.p[p->key.len - 1] == '*';
		long prev_section;
		if (out > plain && section_of(&ps->p[out - 1], &prev_section) == name &&
		    !strncasecmp(ps->p[out - 1].key.p, p->key.p, name) && section > 0) {
			struct param *joined = &ps->p[out - 1];
			envelope_add(&joined->value, p->value.p, p->value.len);
			joined->extended |= extended;
			free(p->key.p);
			free(p->value.p);
			continue;
		}
		p->extended = extended;
		ps->p[out++] = *p;
	}
	ps->n = out;
	for (size_t i = plain; i < ps->n; i++) { /* the key: the name, and "*" when extended */
		long section;
		size_t name = section_of(&ps->p[i], &section);
		ps->p[i].key.len = name;
		envelope_add(&ps->p[i].key, "*", ps->p[i].extended);
		envelope_add(&ps->p[i].key, "", 0);
	}
}

/* The parameters after a type: ";" key "=" value, until one is broken. */
static void parse_params(struct envelope_parser *ps, struct params *out)
{
	struct envelope_text key = {0}, value = {0};
	while (ps->p < ps->end && *ps->p == ';') {
		ps->p++;
		key.len = value.len = 0;
		if (envelope_skip_cfws(ps) <= 0 || token(ps, &key) <= 0 || !key.len || *ps->p != '=')
			break;
		ps->p++;
		int r = envelope_skip_cfws(ps);
		if (r > 0 && *ps->p == '"')
			r = envelope_quoted_string(ps, &value);
		else if (r > 0)
			r = token(ps, &value);
		add_param(out, key.p, key.len, value.p ? value.p : "", value.len);
		if (r <= 0)
			break;
	}
	params_join(out);
	free(key.p);
	free(value.p);
}

struct content_type {
	struct envelope_text type, subtype;
	struct params params;
	int present, found; /* the field is there; it has a type and a subtype */
};

static void parse_content_type(const struct part *p, struct content_type *ct, struct envelope_text *v)
{
	*ct = (struct content_type){0};
	const char *value = first_field(p, "Content-Type", v);
	if (!value)
		return;
	ct->present = 1;
	struct envelope_parser ps = {(const unsigned char *)value, (const unsigned char *)value + v->len, {0}};
	if (envelope_skip_cfws(&ps) > 0 && token(&ps, &ct->type) > 0 && ct->type.len && *ps.p == '/') {
		ps.p++;
		if (envelope_skip_cfws(&ps) > 0 && token(&ps, &ct->subtype) >= 0 && ct->subtype.len) {
			ct->found = 1;
			parse_params(&ps, &ct->params);
		}
	}
	free(ps.comment.p);
}

static void content_type_free(struct content_type *ct)
{
	free(ct->type.p);
	free(ct->subtype.p);
	params_free(&ct->params);
}

static int is(const struct envelope_text *t, const char *s) { return t->len == strlen(s) && !strncasecmp(t->p, s, t->len); }

/* ---- the stream ---- */

/* What the part is, from its Content-Type (or its parent's default). */
static void classify(struct mime *m, int i)
{
	struct part *p = &m->parts[i];
	struct content_type ct;
	struct envelope_text v = {0};
	parse_content_type(p, &ct, &v);
	int in_digest = p->parent >= 0 && m->parts[p->parent].digest;
	int deep = depth(m, i) >= MIME_DEPTH_MAX || m->n >= MIME_PARTS_MAX;
	if (!ct.found) {
		p->kind = in_digest && !ct.present && !deep ? K_MESSAGE : K_LEAF;
	} else if (is(&ct.type, "multipart")) {
		p->kind = K_MULTIPART;
		p->digest = is(&ct.subtype, "digest");
		for (size_t k = 0; !deep && k < ct.params.n; k++)
			if (is(&ct.params.p[k].key, "boundary") && ct.params.p[k].value.len &&
			    ct.params.p[k].value.len <= MIME_BOUNDARY_MAX && !p->boundary) {
				p->boundary_len = ct.params.p[k].value.len; /* (it may hold a NUL) */
				if ((p->boundary = malloc(p->boundary_len)))
					memcpy(p->boundary, ct.params.p[k].value.p, p->boundary_len);
				else
					p->boundary_len = 0;
			}
	} else {
		p->kind = is(&ct.type, "message") && is(&ct.subtype, "rfc822") && !deep ? K_MESSAGE : K_LEAF;
	}
	content_type_free(&ct);
	free(v.p);
}

/* Part i's body ends at end, with lines line feeds before it. */
static void close_part(struct mime *m, int i, uint64_t end, uint64_t lines)
{
	struct part *p = &m->parts[i];
	if (p->state == S_HEADER) { /* its header never ended: no body */
		classify(m, i);
		if (p->kind == K_MESSAGE) /* and no message inside it */
			p->kind = K_LEAF;
		p->body_start = end > p->header_start ? end : p->header_start;
		p->lines_start = lines;
	}
	p->body_end = end > p->body_start ? end : p->body_start;
	p->lines_end = lines > p->lines_start ? lines : p->lines_start;
}

/* Closes the open parts inside part `to` (not it), their bodies ending before the current line. */
static void close_to(struct mime *m, int to)
{
	uint64_t end = m->pos - m->prev_eol, lines = m->lf - (m->prev_eol ? 1 : 0);
	for (int i = m->cur; i != to; i = m->parts[i].parent)
		close_part(m, i, end, lines);
	m->cur = to;
}

/* Whether the line (content, its end taken off) is a boundary of part i: 1, 2 for its last, 0 if not. */
static int boundary_of(const struct part *p, const char *s, size_t len)
{
	if (p->kind != K_MULTIPART || p->state != S_BODY || !p->boundary || len < 2 + p->boundary_len ||
	    memcmp(s + 2, p->boundary, p->boundary_len))
		return 0;
	size_t k = 2 + p->boundary_len;
	int last = len - k >= 2 && s[k] == '-' && s[k + 1] == '-';
	for (k += last ? 2 : 0; k < len; k++)
		if (s[k] != ' ' && s[k] != '\t')
			return 0; /* transport padding only (RFC 2046 5.1.1) */
	return 1 + last;
}

static void keep_field(struct mime *m, struct part *p, const char *s, size_t len)
{
	if (p->fields_len + len > MIME_FIELDS_MAX || m->held + len > MIME_HELD_MAX)
		return;
	char *f = realloc(p->fields, p->fields_len + len + 1);
	if (!f)
		return;
	p->fields = f;
	memcpy(f + p->fields_len, s, len);
	p->fields_len += len;
	m->held += len;
}

/* The fields a part's structure needs: Content- ones; a message's envelope ones. */
static int wanted(const struct part *p, const char *s, size_t len)
{
	static const char *const envelope[] = {"Date:", "Subject:", "From:", "Sender:", "Reply-To:", "To:",
	                                       "Cc:", "Bcc:", "In-Reply-To:", "Message-ID:"};
	if (len >= 8 && !strncasecmp(s, "Content-", 8))
		return 1;
	for (size_t i = 0; p->is_message && i < sizeof envelope / sizeof *envelope; i++) {
		size_t n = strlen(envelope[i]) - 1, k = n;
		while (k < len && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (len > n && !strncasecmp(s, envelope[i], n) && k < len && s[k] == ':')
			return 1;
	}
	return 0;
}

/* One whole line: kept (its first octets), len long in all, eol the length of its end. */
static void line(struct mime *m, const char *s, size_t kept, uint64_t len, unsigned eol)
{
	size_t content = len - eol < kept ? (size_t)(len - eol) : kept;
	int whole = len <= kept;
	for (int i = m->cur; whole && content >= 2 && s[0] == '-' && s[1] == '-' && i >= 0; i = m->parts[i].parent) {
		int b = boundary_of(&m->parts[i], s, content);
		if (!b)
			continue;
		close_to(m, i);
		if (b == 2)
			m->parts[i].state = S_ENDED;
		else if (!m->failed && m->n < MIME_PARTS_MAX && (m->cur = add_part(m, i)) < 0)
			m->cur = i;
		else if (b == 1 && m->cur != i) /* its header starts on the next line */
			m->parts[m->cur].header_start = m->pos + len;
		return;
	}
	struct part *p = &m->parts[m->cur];
	if (p->state != S_HEADER)
		return;
	if (content == 0) { /* the header ends */
		p->body_start = m->pos + len;
		p->lines_start = m->lf + (eol > 0);
		p->state = S_BODY;
		classify(m, m->cur);
		if (m->parts[m->cur].kind == K_MESSAGE && !m->failed) { /* its content, a message, starts on the next line */
			int child = add_part(m, m->cur); /* (parts may move) */
			if (child >= 0) {
				m->parts[child].is_message = 1;
				m->parts[child].header_start = m->parts[m->cur].body_start;
				m->cur = child;
			}
		}
		return;
	}
	if (s[0] != ' ' && s[0] != '\t')
		p->keeping = wanted(p, s, content);
	if (p->keeping) {
		keep_field(m, p, s, whole ? (size_t)len : kept);
		if (!whole) /* the rest of a field too long to keep: its line still ends */
			keep_field(m, p, "\n", 1);
	}
}

void mime_feed(struct mime *m, const char *data, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *lf = memchr(data + i, '\n', len - i);
		size_t n = lf ? (size_t)(lf - (data + i)) + 1 : len - i;
		size_t room = sizeof m->line - m->kept, k = n < room ? n : room;
		memcpy(m->line + m->kept, data + i, k);
		m->kept += k;
		m->line_len += n;
		char before_lf = n >= 2 ? data[i + n - 2] : m->last;
		m->last = data[i + n - 1];
		i += n;
		if (!lf)
			break;
		unsigned eol = m->line_len >= 2 && before_lf == '\r' ? 2 : 1;
		line(m, m->line, m->kept, m->line_len, eol);
		m->pos += m->line_len;
		m->lf++;
		m->prev_eol = eol;
		m->kept = 0;
		m->line_len = 0;
	}
}

void mime_end(struct mime *m)
{
	if (m->line_len) { /* the last line, with no end */
		line(m, m->line, m->kept, m->line_len, 0);
		m->pos += m->line_len;
		m->prev_eol = 0;
		m->line_len = m->kept = 0;
	}
	for (int i = m->cur; i >= 0; i = m->parts[i].parent)
		close_part(m, i, m->pos, m->lf);
	m->cur = 0;
}

/* ---- BODYSTRUCTURE ---- */

static void add(struct envelope_text *t, const char *s) { envelope_add(t, s, strlen(s)); }

static void add_number(struct envelope_text *t, uint64_t n)
{
	char text[24];
	snprintf(text, sizeof text, " %llu", (unsigned long long)n);
	add(t, text);
}

/* (key value ...), or NIL; with_charset adds the default charset when none is given. */
static void write_params(struct envelope_text *t, const struct params *ps, int with_charset)
{
	int charset = 0;
	for (size_t i = 0; i < ps->n; i++)
		charset |= is(&ps->p[i].key, "charset");
	if (!ps->n && !with_charset) {
		add(t, "NIL");
		return;
	}
	add(t, "(");
	for (size_t i = 0; i < ps->n; i++) {
		if (i)
			add(t, " ");
		envelope_nstring(t, ps->p[i].key.p, ps->p[i].key.len);
		add(t, " ");
		envelope_nstring(t, ps->p[i].value.p ? ps->p[i].value.p : "", ps->p[i].value.len);
	}
	if (with_charset && !charset)
		add(t, ps->n ? " \"charset\" \"us-ascii\"" : "\"charset\" \"us-ascii\"");
	add(t, ")");
}

/* A field's value as a string, NIL when the part has no such field. */
static void write_field(struct envelope_text *t, const struct part *p, const char *name)
{
	struct envelope_text v = {0};
	const char *value = first_field(p, name, &v);
	envelope_nstring(t, value, v.len);
	free(v.p);
}

/* The extension data: disposition, language, location (md5 before them for a single part). */
static void write_extension(struct envelope_text *t, const struct part *p, int single)
{
	struct envelope_text v = {0}, word = {0};
	if (single) {
		add(t, " ");
		write_field(t, p, "Content-MD5");
	}
	add(t, " ");
	const char *value = first_field(p, "Content-Disposition", &v);
	struct envelope_parser ps = {(const unsigned char *)(value ? value : ""), (const unsigned char *)(value ? value : "") + v.len, {0}};
	if (value && envelope_skip_cfws(&ps) >= 0 && token(&ps, &word) >= 0 && word.len) {
		struct params params = {0};
		parse_params(&ps, &params);
		add(t, "(");
		envelope_nstring(t, word.p, word.len);
		add(t, " ");
		write_params(t, &params, 0);
		add(t, ")");
		params_free(&params);
	} else {
		add(t, "NIL");
	}
	add(t, " ");
	value = first_field(p, "Content-Language", &v);
	ps = (struct envelope_parser){(const unsigned char *)(value ? value : ""), (const unsigned char *)(value ? value : "") + v.len, ps.comment};
	int languages = 0;
	if (value && envelope_skip_cfws(&ps) > 0) /* 1#Language-tag, each an atom */
		for (;;) {
			word.len = 0;
			const unsigned char *start = ps.p;
			while (ps.p < ps.end && (is_token_char(*ps.p) || *ps.p == '/' || *ps.p == '?' || *ps.p == '='))
				ps.p++;
			if (ps.p == start)
				break;
			add(t, languages++ ? " " : "(");
			envelope_nstring(t, (const char *)start, (size_t)(ps.p - start));
			if (envelope_skip_cfws(&ps) <= 0 || *ps.p != ',')
				break;
			ps.p++;
			if (envelope_skip_cfws(&ps) <= 0)
				break;
		}
	add(t, languages ? ")" : "NIL");
	add(t, " ");
	write_field(t, p, "Content-Location");
	free(v.p);
	free(word.p);
	free(ps.comment.p);
}

static void write_part(const struct mime *m, int i, struct envelope_text *t, int extended);

static void write_multipart(const struct mime *m, int i, struct envelope_text *t, int extended)
{
	const struct part *p = &m->parts[i];
	if (p->first < 0) /* a multipart with no parts: one empty text part, as Dovecot writes it */
		add(t, extended ? "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)"
		                : "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
	for (int c = p->first; c >= 0; c = m->parts[c].next) {
		add(t, "(");
		write_part(m, c, t, extended);
		add(t, ")");
	}
	struct content_type ct;
	struct envelope_text v = {0};
	parse_content_type(p, &ct, &v);
	add(t, " ");
	envelope_nstring(t, ct.subtype.p, ct.subtype.len);
	if (extended) {
		add(t, " ");
		write_params(t, &ct.params, 0);
		write_extension(t, p, 0);
	}
	content_type_free(&ct);
	free(v.p);
}

static void write_part(const struct mime *m, int i, struct envelope_text *t, int extended)
{
	const struct part *p = &m->parts[i];
	if (p->kind == K_MULTIPART) {
		write_multipart(m, i, t, extended);
		return;
	}
	struct content_type ct;
	struct envelope_text v = {0};
	parse_content_type(p, &ct, &v);
	int text = p->kind == K_LEAF && (!ct.present || (ct.found && is(&ct.type, "text")));
	if (p->kind == K_MESSAGE) {
		add(t, "\"message\" \"rfc822\"");
	} else if (!ct.present) {
		add(t, "\"text\" \"plain\"");
	} else if (!ct.found) { /* a Content-Type without type and subtype */
		add(t, "\"\" \"\"");
	} else {
		envelope_nstring(t, ct.type.p, ct.type.len);
		add(t, " ");
		envelope_nstring(t, ct.subtype.p, ct.subtype.len);
	}
	add(t, " ");
	write_params(t, &ct.params, text);
	add(t, " ");
	write_field(t, p, "Content-ID");
	add(t, " ");
	write_field(t, p, "Content-Description");
	add(t, " ");
	struct envelope_text encoding = {0};
	if (part_encoding(p, &encoding))
		envelope_nstring(t, encoding.p ? encoding.p : "", encoding.len);
	else
		add(t, "\"7bit\"");
	add_number(t, p->body_end - p->body_start);
	if (text) {
		add_number(t, p->lines_end - p->lines_start);
	} else if (p->kind == K_MESSAGE && p->first >= 0) {
		const struct part *child = &m->parts[p->first];
		add(t, " ");
		envelope_write(t, child->fields ? child->fields : "", child->fields_len);
		add(t, " (");
		write_part(m, p->first, t, extended);
		add(t, ")");
		add_number(t, p->lines_end - p->lines_start);
	}
	if (extended)
		write_extension(t, p, 1);
	content_type_free(&ct);
	free(v.p);
	free(encoding.p);
}

/* A parts map line: a kind, two indexes, three offsets of 20 digits at most and an encoding */
#define PARTS_LINE_MAX 96

void mime_shift(struct mime *m, uint64_t by)
{
	for (size_t i = 0; i < m->n; i++) {
		struct part *p = &m->parts[i];
		p->header_start += i ? by : 0;
		p->body_start += by;
		p->body_end += by;
	}
}

void mime_parts_write(const struct mime *m, struct envelope_text *t)
{
	static const char kinds[] = {[K_LEAF] = 'L', [K_MULTIPART] = 'M', [K_MESSAGE] = 'R'};
	for (size_t i = 0; i < m->n; i++) {
		const struct part *p = &m->parts[i];
		struct envelope_text enc = {0};
		char line[PARTS_LINE_MAX], e = MIME_ENCODING_NONE;
		if (part_encoding(p, &enc))
			e = is(&enc, "base64") ? MIME_ENCODING_BASE64 : is(&enc, "quoted-printable") ? MIME_ENCODING_QP
			  : is(&enc, "7bit") || is(&enc, "8bit") || is(&enc, "binary") ? MIME_ENCODING_NONE
			  : MIME_ENCODING_UNKNOWN;
		free(enc.p);
		int n = snprintf(line, sizeof line, "%c %d %d %llu %llu %llu %c\n", kinds[p->kind], p->first, p->next,
		                 (unsigned long long)p->header_start, (unsigned long long)p->body_start,
		                 (unsigned long long)p->body_end, e);
		envelope_add(t, line, (size_t)n);
	}
}

struct node {
	char kind, encoding;
	int first, next;
	struct mime_range r;
};

/* One line of a parts map, [p, eol), as mime_parts_write wrote it: 0, or -1. */
static int read_node(const char *p, const char *eol, struct node *d)
{
	uint64_t v[5]; /* first, next (-1: none), header_start, body_start, body_end */
	if (eol - p < 2 || p[1] != ' ')
		return -1;
	d->kind = p[0];
	p += 2;
	for (int i = 0; i < 5; i++) {
		if (i < 2 && eol - p >= 2 && p[0] == '-' && p[1] == '1') {
			v[i] = UINT64_MAX;
			p += 2;
		} else if (number_take(&p, eol, i < 2 ? MIME_PARTS_MAX - 1 : UINT64_MAX, &v[i]) < 0) {
			return -1;
		}
		if (p == eol || *p++ != ' ')
			return -1;
	}
	if (eol - p != 1)
		return -1;
	d->encoding = *p;
	d->first = v[0] == UINT64_MAX ? -1 : (int)v[0];
	d->next = v[1] == UINT64_MAX ? -1 : (int)v[1];
	d->r = (struct mime_range){v[2], v[3], v[4], d->encoding};
	return 0;
}

/* The parts map's lines, read back; NULL when it is not one mime_parts_write made. */
static struct node *read_nodes(const char *map, size_t len, size_t *n)
{
	const char *p = map, *end = map + len;
	size_t lines = 0;
	for (const char *q = map; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	struct node *nodes = lines && lines <= MIME_PARTS_MAX ? malloc(lines * sizeof *nodes) : NULL;
	*n = 0;
	while (nodes && p < end && *n < lines) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || read_node(p, eol, &nodes[*n]) < 0)
			break;
		++*n;
		p = eol + 1;
	}
	if (nodes && p == end && *n)
		return nodes;
	free(nodes);
	return NULL;
}

int mime_parts_find(const char *map, size_t len, const unsigned *path, size_t n, struct mime_range *part,
                    struct mime_range *inner)
{
	size_t n_nodes;
	struct node *nodes = read_nodes(map, len, &n_nodes);
	if (!nodes)
		return -2;
	int i = 0, found = 0;
	for (size_t k = 0; k < n && found == 0; k++) {
		if (nodes[i].kind == 'M') {
			int c = nodes[i].first;
			for (unsigned j = 1; c >= 0 && (size_t)c < n_nodes && j < path[k]; j++)
				c = nodes[c].next;
			if (c < 0 || (size_t)c >= n_nodes)
				found = -1;
			else
				i = c;
		} else if (path[k] != 1 || (k + 1 < n && nodes[i].kind != 'R')) {
			found = -1; /* a part that is no multipart is its own 1, with more only inside a message */
		}
		if (found == 0 && k + 1 < n && nodes[i].kind == 'R') {
			if (nodes[i].first < 0 || (size_t)nodes[i].first >= n_nodes)
				found = -1;
			else
				i = nodes[i].first; /* more numbers: into the message it holds */
		}
	}
	if (found == 0) {
		*part = nodes[i].r;
		int c = nodes[i].first;
		if (nodes[i].kind == 'R' && c >= 0 && (size_t)c < n_nodes) {
			*inner = nodes[c].r;
			found = 1;
		}
	}
	free(nodes);
	return found;
}

void mime_bodystructure(const struct mime *m, struct envelope_text *t, int extended)
{
	add(t, "(");
	write_part(m, 0, t, extended);
	add(t, ")");
}
