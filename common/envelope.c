/* ENVELOPE from a message's header (RFC 9051 7.5.2): the address lists parsed
 * as RFC 5322 says, leniently where mail is broken, and every string written
 * the way Dovecot writes it, so that a client moving over sees the same
 * (t/imap-dovecot.t compares the two on a corpus). */
#define _GNU_SOURCE
#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUOTED_ESCAPES_MAX 4 /* past this many quote or backslash escapes a literal is shorter */

void envelope_add(struct envelope_text *t, const char *data, size_t len)
{
	if (t->failed)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (cap < t->len + len + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->failed = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, data, len);
	t->len += len;
	t->p[t->len] = '\0';
}

static void add_str(struct envelope_text *t, const char *s) { envelope_add(t, s, strlen(s)); }

static void add_char(struct envelope_text *t, char c) { envelope_add(t, &c, 1); }

static void add_literal_head(struct envelope_text *t, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof head, "{%zu}\r\n", len);
	envelope_add(t, head, (size_t)n);
}

void envelope_nstring(struct envelope_text *t, const char *s, size_t len)
{
	if (!s) {
		add_str(t, "NIL");
		return;
	}
	unsigned escapes = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!c || c == '\r' || c == '\n' || c >= 0x80 ||
		    ((c == '"' || c == '\\') && ++escapes > QUOTED_ESCAPES_MAX)) {
			add_literal_head(t, len);
			for (size_t k = 0; k < len; k++) /* a NUL is in no IMAP string: 0x80 for it, as in human_string */
				add_char(t, s[k] ? s[k] : (char)0x80);
			return;
		}
	}
	add_char(t, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			add_char(t, '\\');
		add_char(t, s[i]);
	}
	add_char(t, '"');
}

/* Text meant for people (a subject, a name): runs of blanks made one space,
 * line breaks and the blanks at either end dropped; quoted when nothing had
 * to change, else a literal (which also carries quotes and 8-bit octets). */
static void human_string(struct envelope_text *t, const char *s, size_t len)
{
	struct envelope_text clean = {0};
	int changed = 0, blank = 1; /* blank: the last octet kept was a space, or none was */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n') {
			changed = 1;
		} else if (c == ' ' || c == '\t') {
			changed |= c == '\t' || blank;
			if (!blank)
				add_char(&clean, ' ');
			blank = 1;
		} else {
			changed |= c == 0 || c == '"' || c == '\\' || c >= 0x80;
			add_char(&clean, c ? (char)c : (char)0x80);
			blank = 0;
		}
	}
	if (blank && clean.len) { /* a space at the end */
		clean.len--;
		changed = 1;
	}
	if (clean.failed) {
		t->failed = 1;
	} else if (!changed) {
		add_char(t, '"');
		envelope_add(t, s, len);
		add_char(t, '"');
	} else if (!clean.len) {
		add_str(t, "\"\"");
	} else {
		add_literal_head(t, clean.len);
		envelope_add(t, clean.p, clean.len);
	}
	free(clean.p);
}

const char *envelope_next_field(const char **pos, const char *end, const char *name, size_t *value_len)
{
	size_t n = strlen(name);
	while (*pos < end) {
		const char *line = *pos, *eol = memchr(line, '\n', (size_t)(end - line));
		const char *next = eol ? eol + 1 : end;
		while (next < end && (*next == ' ' || *next == '\t')) { /* a folded field goes on */
			eol = memchr(next, '\n', (size_t)(end - next));
			next = eol ? eol + 1 : end;
		}
		*pos = next;
		if ((size_t)(next - line) <= n || strncasecmp(line, name, n))
			continue;
		const char *v = line + n;
		while (v < next && (*v == ' ' || *v == '\t'))
			v++;
		if (v == next || *v != ':')
			continue;
		for (v++; v < next && (*v == ' ' || *v == '\t'); v++)
			;
		const char *v_end = next;
		if (v_end > v && v_end[-1] == '\n')
			v_end--;
		if (v_end > v && v_end[-1] == '\r')
			v_end--;
		*value_len = (size_t)(v_end - v);
		return v;
	}
	return NULL;
}

/* The last field of that name (the one Dovecot uses): NULL when there is none. */
static const char *field(const char *header, size_t len, const char *name, size_t *value_len)
{
	const char *pos = header, *found = NULL, *v;
	size_t n;
	while ((v = envelope_next_field(&pos, header + len, name, &n))) {
		found = v;
		*value_len = n;
	}
	return found;
}

void envelope_unfold(struct envelope_text *t, const char *v, size_t len)
{
	t->len = 0;
	for (size_t i = 0; i < len; i++)
		if (v[i] != '\r' && v[i] != '\n')
			add_char(t, v[i]);
	add_str(t, "");
}

/* ---- addresses (RFC 5322 3.4), parsed as Dovecot does where mail is broken ---- */


struct address {
	struct envelope_text name, route, mailbox, domain;
	int has_name, has_route, has_mailbox, has_domain;
};

static int is_atext(unsigned char c)
{
	return c >= 0x80 || (c > ' ' && c < 0x7f && !strchr("()<>[]:;@\\,.\"", c));
}

static int at_end(const struct envelope_parser *ps) { return ps->p == ps->end; }

static int skip_comment(struct envelope_parser *ps)
{
	unsigned depth = 1;
	ps->comment.len = 0;
	add_str(&ps->comment, "");
	for (ps->p++; ps->p < ps->end; ps->p++) {
		if (*ps->p == '\\') {
			if (++ps->p == ps->end)
				return -1;
		} else if (*ps->p == '(') {
			depth++;
		} else if (*ps->p == ')' && --depth == 0) {
			ps->p++;
			return !at_end(ps);
		}
		add_char(&ps->comment, (char)*ps->p);
	}
	return -1; /* no ")" */
}

/* Blanks, line breaks and comments. */
int envelope_skip_cfws(struct envelope_parser *ps)
{
	while (!at_end(ps)) {
		if (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n')
			ps->p++;
		else if (*ps->p != '(')
			break;
		else if (skip_comment(ps) < 0)
			return -1;
	}
	return !at_end(ps);
}

/* dot-atom, with blanks and comments around its dots as RFC 822 allowed. */
static int dot_atom(struct envelope_parser *ps, struct envelope_text *out)
{
	if (at_end(ps) || !is_atext(*ps->p))
		return -1;
	for (;;) {
		const unsigned char *start = ps->p;
		while (!at_end(ps) && is_atext(*ps->p))
			ps->p++;
		envelope_add(out, (const char *)start, (size_t)(ps->p - start));
		int r = envelope_skip_cfws(ps);
		if (r <= 0 || *ps->p != '.')
			return r;
		ps->p++;
		add_char(out, '.');
		if ((r = envelope_skip_cfws(ps)) <= 0)
			return r;
	}
}

/* A quoted string's content: its escapes resolved, line breaks taken out. */
int envelope_quoted_string(struct envelope_parser *ps, struct envelope_text *out)
{
	for (ps->p++; ps->p < ps->end; ps->p++) {
		if (*ps->p == '"') {
			ps->p++;
			return envelope_skip_cfws(ps);
		}
		if (*ps->p == '\\' && ++ps->p == ps->end)
			return -1;
		if (*ps->p != '\r' && *ps->p != '\n')
			add_char(out, (char)*ps->p);
	}
	return -1; /* no closing quote */
}

/* A phrase (a display name or a group's): its words, one space between. */
static int phrase(struct envelope_parser *ps, struct envelope_text *out)
{
	if (at_end(ps))
		return 0;
	if (*ps->p == '.')
		return -1;
	for (;;) {
		int r;
		if (*ps->p == '"') {
			r = envelope_quoted_string(ps, out);
		} else {
			const unsigned char *start = ps->p;
			while (!at_end(ps) && (is_atext(*ps->p) || *ps->p == '.'))
				ps->p++;
			envelope_add(out, (const char *)start, (size_t)(ps->p - start));
			r = envelope_skip_cfws(ps);
		}
		if (r <= 0)
			return r;
		if (!is_atext(*ps->p) && *ps->p != '"' && *ps->p != '.')
			return envelope_skip_cfws(ps);
		add_char(out, ' ');
	}
}

static int domain(struct envelope_parser *ps, struct envelope_text *out)
{
	ps->p++; /* the "@" */
	if (envelope_skip_cfws(ps) <= 0)
		return -1;
	if (*ps->p != '[')
		return dot_atom(ps, out);
	const unsigned char *start = ps->p; /* a domain literal, brackets and all */
	for (; ps->p < ps->end; ps->p++) {
		if (*ps->p == '\\' && ++ps->p == ps->end)
			break;
		if (*ps->p == ']') {
			ps->p++;
			envelope_add(out, (const char *)start, (size_t)(ps->p - start));
			return envelope_skip_cfws(ps);
		}
	}
	return -1;
}

static int local_part(struct envelope_parser *ps, struct address *a)
{
	a->mailbox.len = 0;
	add_str(&a->mailbox, "");
	int r = *ps->p == '"' ? envelope_quoted_string(ps, &a->mailbox) : dot_atom(ps, &a->mailbox);
	a->has_mailbox = r >= 0;
	return r;
}

static int take_domain(struct envelope_parser *ps, struct address *a)
{
	a->domain.len = 0;
	add_str(&a->domain, "");
	int r = domain(ps, &a->domain);
	a->has_domain = r >= 0;
	return r;
}

/* "<" ["@" domain *("," "@" domain) ":"] local-part "@" domain ">" */
static int angle_addr(struct envelope_parser *ps, struct address *a)
{
	int r;
	ps->p++;
	if ((r = envelope_skip_cfws(ps)) <= 0)
		return r;
	if (*ps->p == '@') {
		a->route.len = 0;
		for (;;) {
			if (at_end(ps) || *ps->p != '@')
				break;
			if (a->route.len)
				add_char(&a->route, ',');
			add_char(&a->route, '@');
			if ((r = domain(ps, &a->route)) <= 0)
				break;
			while (envelope_skip_cfws(ps) > 0 && *ps->p == ',')
				ps->p++;
		}
		a->has_route = 1;
		if (at_end(ps) || *ps->p != ':') {
			a->route.len = 0;
			add_str(&a->route, "INVALID_ROUTE");
			return -1;
		}
		ps->p++;
		if ((r = envelope_skip_cfws(ps)) <= 0)
			return r;
	}
	if (*ps->p == '>') { /* "<>": no mailbox, no domain, and no error either */
		ps->p++;
		return envelope_skip_cfws(ps);
	}
	if ((r = local_part(ps, a)) <= 0)
		return r;
	if (*ps->p == '@' && (r = take_domain(ps, a)) <= 0)
		return r;
	if (*ps->p != '>')
		return -1;
	ps->p++;
	return envelope_skip_cfws(ps);
}

static int name_addr(struct envelope_parser *ps, struct address *a)
{
	a->name.len = 0;
	add_str(&a->name, "");
	if (phrase(ps, &a->name) <= 0 || *ps->p != '<')
		return -1;
	a->has_name = a->name.len > 0; /* "<address>" has none */
	if (angle_addr(ps, a) < 0) {
		a->domain.len = 0;
		add_str(&a->domain, "SYNTAX_ERROR");
		a->has_domain = 1;
	}
	return !at_end(ps);
}

static int addr_spec(struct envelope_parser *ps, struct address *a)
{
	ps->comment.len = 0;
	int r = local_part(ps, a);
	if (r != 0 && !at_end(ps) && *ps->p == '@') {
		int d = take_domain(ps, a);
		if (d <= 0)
			r = d;
	}
	if (ps->comment.len) { /* "user@host (Name)" */
		a->name.len = 0;
		envelope_add(&a->name, ps->comment.p, ps->comment.len);
		a->has_name = 1;
	}
	return r;
}

struct list_out {
	struct envelope_text *t;
	unsigned count;
};

static void write_address(struct list_out *o, const struct address *a)
{
	struct envelope_text *t = o->t;
	add_str(t, o->count++ ? "(" : "((");
	if (a->has_name)
		human_string(t, a->name.p, a->name.len);
	else
		add_str(t, "NIL");
	add_char(t, ' ');
	envelope_nstring(t, a->has_route ? a->route.p : NULL, a->route.len);
	add_char(t, ' ');
	envelope_nstring(t, a->has_mailbox ? a->mailbox.p : NULL, a->mailbox.len);
	add_char(t, ' ');
	envelope_nstring(t, a->has_domain ? a->domain.p : NULL, a->domain.len);
	add_char(t, ')');
}

static void reset(struct address *a)
{
	a->has_name = a->has_route = a->has_mailbox = a->has_domain = 0;
	a->name.len = a->route.len = a->mailbox.len = a->domain.len = 0;
}

/* A mailbox, written with what it lacks named so: a client always gets four fields. */
static int mailbox(struct envelope_parser *ps, struct address *a, struct list_out *o)
{
	const unsigned char *start = ps->p;
	reset(a);
	int r = name_addr(ps, a);
	if (r < 0) {
		ps->p = start;
		reset(a);
		r = addr_spec(ps, a);
	}
	if (!a->has_mailbox) {
		a->mailbox.len = 0;
		add_str(&a->mailbox, "MISSING_MAILBOX");
		a->has_mailbox = 1;
	}
	if (!a->has_domain) {
		a->domain.len = 0;
		add_str(&a->domain, "MISSING_DOMAIN");
		a->has_domain = 1;
	}
	write_address(o, a);
	return r;
}

/* A group: its name as (NIL NIL name NIL), its members, then (NIL NIL NIL NIL).
 * -1 when this is no group (nothing written). */
static int group(struct envelope_parser *ps, struct address *a, struct list_out *o)
{
	reset(a);
	if (phrase(ps, &a->mailbox) <= 0 || *ps->p != ':')
		return -1;
	ps->p++;
	a->has_mailbox = 1;
	write_address(o, a);
	int r = envelope_skip_cfws(ps);
	if (r > 0 && *ps->p != ';')
		for (;;) {
			if (mailbox(ps, a, o) <= 0) {
				r = -1;
				break;
			}
			if (*ps->p != ',')
				break;
			ps->p++;
			if (envelope_skip_cfws(ps) <= 0) {
				r = -1;
				break;
			}
		}
	if (r >= 0) {
		if (at_end(ps) || *ps->p != ';') {
			r = -1;
		} else {
			ps->p++;
			r = envelope_skip_cfws(ps);
		}
	}
	reset(a);
	write_address(o, a);
	return r == 0 ? 0 : 1;
}

/* The addresses of one field's value, after those of the fields before it. */
static void address_list(struct list_out *o, const char *v, size_t len)
{
	struct envelope_parser ps = {(const unsigned char *)v, (const unsigned char *)v + len, {0}};
	struct address a = {0};
	if (envelope_skip_cfws(&ps) > 0)
		for (;;) {
			const unsigned char *start = ps.p;
			int r = group(&ps, &a, o);
			if (r < 0) {
				ps.p = start;
				r = mailbox(&ps, &a, o);
			}
			if (r == 0)
				break;
			if (*ps.p != ',')
				break;
			ps.p++;
			if ((r = envelope_skip_cfws(&ps)) <= 0) {
				if (r < 0) { /* garbage at the end */
					reset(&a);
					a.has_mailbox = a.has_domain = 1;
					add_str(&a.mailbox, "MISSING_MAILBOX");
					add_str(&a.domain, "MISSING_DOMAIN");
					write_address(o, &a);
				}
				break;
			}
		}
	if (a.name.failed || a.route.failed || a.mailbox.failed || a.domain.failed || ps.comment.failed)
		o->t->failed = 1;
	free(a.name.p);
	free(a.route.p);
	free(a.mailbox.p);
	free(a.domain.p);
	free(ps.comment.p);
}

/* The addresses of every field of that name, one list: NIL when there are none. */
static void field_addresses(struct envelope_text *t, const char *header, size_t len, const char *name,
                            struct envelope_text *v)
{
	struct list_out o = {t, 0};
	const char *pos = header, *raw;
	size_t n;
	while ((raw = envelope_next_field(&pos, header + len, name, &n))) {
		envelope_unfold(v, raw, n);
		address_list(&o, v->p, v->len);
	}
	add_str(t, o.count ? ")" : "NIL");
}

void envelope_write(struct envelope_text *t, const char *header, size_t len)
{
	static const char *const fields[] = {"Date", "Subject", "From", "Sender", "Reply-To",
	                                     "To", "Cc", "Bcc", "In-Reply-To", "Message-ID"};
	struct envelope_text v = {0}, from = {0}, list = {0};
	field_addresses(&from, header, len, "From", &v);
	add_char(t, '(');
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		size_t n;
		const char *raw = field(header, len, fields[i], &n);
		if (i)
			add_char(t, ' ');
		if (i >= 2 && i <= 7) {
			list.len = 0;
			field_addresses(&list, header, len, fields[i], &v);
			int from_instead = (i == 3 || i == 4) && !strcmp(list.p ? list.p : "", "NIL");
			envelope_add(t, from_instead ? from.p : list.p, from_instead ? from.len : list.len);
			t->failed |= list.failed || from.failed;
		} else if (!raw) {
			add_str(t, "NIL");
		} else if (i == 1) { /* the subject: human_string takes its line breaks out */
			human_string(t, raw, n);
		} else {
			envelope_unfold(&v, raw, n);
			envelope_nstring(t, v.p, v.len);
		}
	}
	add_char(t, ')');
	t->failed |= v.failed;
	free(v.p);
	free(from.p);
	free(list.p);
}

int envelope_from_domain(const char *header, size_t len, char *out, size_t size)
{
	const char *pos = header, *raw;
	size_t n, fields = 0;
	struct envelope_text v = {0};
	while ((raw = envelope_next_field(&pos, header + len, "From", &n)))
		if (!fields++)
			envelope_unfold(&v, raw, n);
	struct envelope_parser ps = {0};
	struct address a = {0};
	int r = -1;
	if (fields == 1 && !v.failed && v.p)
		ps = (struct envelope_parser){(const unsigned char *)v.p, (const unsigned char *)v.p + v.len, {0}};
	if (ps.p && envelope_skip_cfws(&ps) > 0) {
		r = name_addr(&ps, &a);
		if (r < 0) {
			ps.p = (const unsigned char *)v.p;
			envelope_skip_cfws(&ps);
			reset(&a);
			r = addr_spec(&ps, &a);
		}
	}
	/* 0: the value ended after one mailbox; a list of several has no one domain to align with. */
	if (r == 0 && a.has_domain && a.domain.len && a.domain.len < size && !a.domain.failed &&
	    !memchr(a.domain.p, '\0', a.domain.len)) {
		memcpy(out, a.domain.p, a.domain.len);
		out[a.domain.len] = '\0';
	} else {
		r = -1;
	}
	free(v.p);
	free(a.name.p);
	free(a.route.p);
	free(a.mailbox.p);
	free(a.domain.p);
	free(ps.comment.p);
	return r;
}
