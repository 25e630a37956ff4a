/* IMAP's FETCH (RFC 9051 6.4.5): each item of each message asked for, the
 * body sections streamed from the store (BINARY's decoded on the way, RFC
 * 3516), ENVELOPE, BODYSTRUCTURE and where each part is from the summary
 * made as the message was stored (common/summary.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "envelope.h"
#include "mime.h"
#include "summary.h"
#include "decode.h"
#include "header.h"
#include "imap_impl.h"
#include "number.h"

#define FETCH_ITEMS_MAX 16 /* items in one FETCH: every one there is, once */
#define FETCH_ITEM_MAX 1024 /* an item's text: BODY[HEADER.FIELDS (...)] with the fields a client asks for */
#define SECTION_PARTS_MAX 32 /* part numbers in a section: deeper than any real message nests */
#define SUMMARY_BATCH 64 /* messages whose summaries one query brings: 35% less of MariaDB's CPU than 16 */
#define SUMMARY_BATCH_OCTETS (1024 * 1024) /* what a batch holds at most: large summaries end it early */

enum fetch_item { I_FLAGS, I_UID, I_SIZE, I_DATE, I_MODSEQ, I_ENVELOPE, I_STRUCTURE, I_BODY, I_SECTION, I_BINARY,
                  I_BINARY_SIZE };
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

/* The section of BODY[section]<partial> (RFC 9051 6.4.5), or of BINARY's
 * (RFC 3516: part numbers alone), from after "[": -1 when it is no section. */
static int parse_section(const char *p, struct fetch_req *r)
{
	int binary = r->item != I_SECTION;
	static const struct {
		const char *word;
		enum section_text text;
	} texts[] = {{"HEADER.FIELDS.NOT", T_FIELDS_NOT}, {"HEADER.FIELDS", T_FIELDS}, {"HEADER", T_HEADER},
	             {"TEXT", T_TEXT}, {"MIME", T_MIME}};
	size_t n = (size_t)snprintf(r->label, sizeof r->label, "%s[",
	                            r->item == I_BINARY ? "BINARY" : r->item == I_BINARY_SIZE ? "BINARY.SIZE" : "BODY");
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
	size_t i = binary ? sizeof texts / sizeof *texts : 0;
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
			if ((unsigned char)c < ' ' || c == 0x7f || c == '{')
				return -1; /* a field name as a literal, or a line break in it: the label would carry it out */
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
	if (*p == '<' && r->item != I_BINARY_SIZE) { /* <origin.count> */
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
	static const struct {
		const char *prefix;
		enum fetch_item item;
		int peek;
	} sections[] = {{"BODY.PEEK[", I_SECTION, 1}, {"BODY[", I_SECTION, 0}, {"BINARY.PEEK[", I_BINARY, 1},
	                {"BINARY[", I_BINARY, 0}, {"BINARY.SIZE[", I_BINARY_SIZE, 1}};
	size_t k = 0;
	while (k < sizeof sections / sizeof *sections && strncasecmp(name, sections[k].prefix, strlen(sections[k].prefix)))
		k++;
	if (k == sizeof sections / sizeof *sections)
		return -1;
	r->item = sections[k].item;
	r->peek = sections[k].peek;
	if (parse_section(name + strlen(sections[k].prefix), r) < 0)
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

/* The items, and the modifiers CHANGEDSINCE (RFC 7162 3.1.4.1; *changed_since 0
 * when there is none) and VANISHED (3.2.6; *vanished). */
static int parse_items(struct imap_cursor *c, struct fetch_req *req, size_t *n, uint64_t *changed_since,
                       int *vanished)
{
	*n = 0;
	*changed_since = 0;
	*vanished = 0;
	if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') {
		*++c->p = ' '; /* each item is taken after a space */
		while (c->p < c->end && *c->p != ')')
			if (take_item(c, req, n) < 0)
				return -1;
		c->p++;
	} else if (take_item(c, req, n) < 0) {
		return -1;
	}
	if (c->p + 1 < c->end && c->p[0] == ' ' && c->p[1] == '(') {
		char word[IMAP_WORD_MAX];
		*++c->p = ' ';
		while (c->p < c->end && *c->p != ')') {
			if (imap_take_atom(c, word, sizeof word) < 0)
				return -1;
			if (!strcasecmp(word, "VANISHED"))
				*vanished = 1;
			else if (strcasecmp(word, "CHANGEDSINCE") || imap_take_atom(c, word, sizeof word) < 0 ||
			         number_parse(word, UINT64_MAX - 1, changed_since) < 0)
				return -1;
		}
		if (c->p++ >= c->end)
			return -1;
	}
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

/* The octets of a chunk inside the stream's window: *len of them from the result. */
static const char *window(struct stream *st, const char *p, size_t *len)
{
	size_t k = *len < st->skip ? *len : (size_t)st->skip;
	st->skip -= k;
	*len -= k;
	if (*len > st->left)
		*len = (size_t)st->left;
	return p + k;
}

static int stream_out(void *ctx, const void *data, size_t len)
{
	struct stream *st = ctx;
	const char *p = window(st, data, &len);
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
	const struct store_entry_ref one = {m->id, m->size};
	enum store_result r = s->be->read(s->be->ctx, s->account.id, &one, 1, 0, hold_header, st);
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

/* Summaries of a run of the selected messages, brought by one query. */
struct summaries {
	struct imap_session *s;
	size_t first, n;             /* of messages first to first + n - 1 */
	char *text[SUMMARY_BATCH];   /* NULL: it has none */
	size_t len[SUMMARY_BATCH];
	size_t next;                 /* the first message the next row can be */
	size_t held;                 /* octets of the texts */
	size_t batch;                /* messages a query asks for: fewer once large summaries ended one early */
};

static int take_summary(void *ctx, uint64_t entry_id, const char *summary, size_t len)
{
	struct summaries *b = ctx;
	for (size_t k = b->next; k < b->first + b->n; k++) {
		if (b->s->msgs[k].id != entry_id)
			continue; /* rows and messages are both in UID order: one the session does not know is skipped */
		if (k > b->first && b->held + len > SUMMARY_BATCH_OCTETS) {
			b->n = b->batch = k - b->first; /* the batch ends before it: the next begins there, as short */
			return 0;
		}
		b->next = k + 1;
		if (summary && (b->text[k - b->first] = malloc(len ? len : 1))) {
			memcpy(b->text[k - b->first], summary, len);
			b->len[k - b->first] = len;
			b->held += len;
		}
		return 0;
	}
	return 0;
}

static void summaries_free(struct summaries *b)
{
	for (size_t k = 0; k < b->n; k++)
		free(b->text[k]);
	b->n = 0;
}

static int feed_summary(void *ctx, const void *data, size_t len)
{
	summary_feed(ctx, data, len);
	return 0;
}

/* Message i's summary: from the run of selected messages it begins (one
 * query for them all), else made from its content (read with next) and kept for next time. */
static enum store_result summary_of(struct summaries *b, const struct imap_set *set, int uid, size_t i,
                                    const struct imap_reads *next, struct summary *out)
{
	struct imap_session *s = b->s;
	if (i < b->first || i >= b->first + b->n) {
		summaries_free(b);
		size_t j = i + 1;
		while (j < s->n_msgs && j - i < b->batch && imap_selects(s, set, j, uid))
			j++;
		memset(b->text, 0, sizeof b->text);
		b->held = 0;
		b->first = b->next = i;
		b->n = j - i;
		enum store_result r = s->be->summaries(s->be->ctx, s->account.id, s->folder.id, s->msgs[i].uid,
		                                       s->msgs[j - 1].uid, take_summary, b);
		if (r != STORE_OK) {
			summaries_free(b);
			return r;
		}
	}
	size_t k = i - b->first;
	struct mime_range root, inner;
	if (b->text[k] && summary_read(b->text[k], b->len[k], out) == 0 &&
	    mime_parts_find(out->item[SUMMARY_PARTS], out->len[SUMMARY_PARTS], NULL, 0, &root, &inner) != -2)
		return STORE_OK;
	free(b->text[k]); /* none, or one of another version or broken: made again and kept */
	b->text[k] = NULL;
	struct summary_maker *maker = summary_begin();
	enum store_result r = maker ? s->be->read(s->be->ctx, s->account.id, next->e, next->n, -1, feed_summary, maker)
	                            : STORE_TEMPFAIL;
	if (r != STORE_OK) {
		summary_free(maker);
		return r;
	}
	if (!(b->text[k] = summary_end(maker, &b->len[k])) || summary_read(b->text[k], b->len[k], out) < 0)
		return STORE_TEMPFAIL;
	/* failing here only means it is made again next time */
	s->be->keep_summary(s->be->ctx, s->account.id, s->msgs[i].id, b->text[k], b->len[k]);
	return STORE_OK;
}

/* ENVELOPE, BODY or BODYSTRUCTURE: an item of the summary. */
static void summary_item(struct imap_session *s, const char *name, const struct summary *sum, enum summary_item item)
{
	outbuf_printf(s->out, "%s ", name);
	outbuf_add(s->out, sum->item[item], sum->len[item]);
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
	const char *p = window(st, data, &len);
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
                                const struct summary *sum, struct stream *st, uint64_t *start, uint64_t *end,
                                int *header)
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
	struct mime_range part, inner;
	int found = mime_parts_find(sum->item[SUMMARY_PARTS], sum->len[SUMMARY_PARTS], r->path, r->n_path, &part, &inner);
	if (found == -2)
		return STORE_TEMPFAIL; /* a summary that holds no parts map is a broken store */
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
	const struct store_entry_ref one = {m->id, m->size};
	return st->held ? s->be->read(s->be->ctx, s->account.id, &one, 1, -1, hold_range, st) : STORE_TEMPFAIL;
}

/* BINARY (RFC 3516): a part's content with its Content-Transfer-Encoding
 * undone, in two passes over it, the first for the size (and whether it
 * is 7-bit: else the literal is a literal8) the literal announces. */
struct binary {
	struct imap_session *s;
	struct stream window;      /* the part's octets as stored */
	struct decoder decoder;
	char *out;                 /* DECODE_OUT_MAX(STORE_CHUNK_BYTES) */
	uint64_t size;             /* decoded octets so far */
	int eight_bit;             /* an octet that is NUL or not ASCII among them */
	int sending;               /* the second pass: decoded octets from..from+len go out */
	uint64_t from, left;
};

#define BINARY_CHUNK_MAX (256 * 1024) /* the store's chunks: what one callback gives at most */

static void binary_decoded(struct binary *b, const char *p, size_t n)
{
	if (!b->sending) {
		for (size_t i = 0; i < n && !b->eight_bit; i++)
			b->eight_bit = p[i] == '\0' || (p[i] & 0x80);
		b->size += n;
		return;
	}
	size_t skip = n < b->from ? n : (size_t)b->from;
	b->from -= skip;
	n -= skip;
	n = n < b->left ? n : (size_t)b->left;
	outbuf_add(b->s->out, p + skip, n);
	b->left -= n;
}

static int binary_chunk(void *ctx, const void *data, size_t len)
{
	struct binary *b = ctx;
	const char *p = window(&b->window, data, &len);
	b->window.left -= len;
	for (size_t done = 0; done < len;) { /* callbacks' pieces are bounded, but feed in steps all the same */
		size_t k = len - done < BINARY_CHUNK_MAX ? len - done : BINARY_CHUNK_MAX;
		binary_decoded(b, b->out, decode_feed(&b->decoder, p + done, k, b->out));
		done += k;
	}
	return b->sending ? outbuf_flush_keep_if_full(b->s->out, 0) : 0;
}

/* One pass over the part [start, end): 0, or the store's failure. */
static enum store_result binary_pass(struct binary *b, const struct imap_reads *next, uint64_t start, uint64_t end,
                                     char encoding)
{
	b->window.skip = start;
	b->window.left = end - start;
	decode_init(&b->decoder, encoding);
	enum store_result r = end > start ? b->s->be->read(b->s->be->ctx, b->s->account.id, next->e, next->n, -1,
	                                                  binary_chunk, b)
	                                  : STORE_OK;
	if (r == STORE_OK)
		binary_decoded(b, b->out, decode_end(&b->decoder, b->out));
	return r;
}

/* Where BINARY's section is, with its encoding; a part that is not there is empty (as for BODY). */
static void binary_part(const struct imap_message *m, const struct fetch_req *r, const struct summary *sum,
                        struct mime_range *part)
{
	struct mime_range inner;
	*part = (struct mime_range){0, 0, m->size, MIME_ENCODING_NONE}; /* BINARY[]: the message as it is */
	if (!r->n_path)
		return;
	int found = mime_parts_find(sum->item[SUMMARY_PARTS], sum->len[SUMMARY_PARTS], r->path, r->n_path, part, &inner);
	if (found < 0)
		*part = (struct mime_range){0, 0, 0, MIME_ENCODING_NONE};
	else if (found == 1)
		part->encoding = MIME_ENCODING_NONE; /* a message/rfc822 part: its message as it is */
}

/* BINARY[section]<partial> or BINARY.SIZE[section] of one message. 0, or -1 when nothing may follow. */
static int binary_item(struct imap_session *s, const struct imap_message *m, const struct imap_reads *next,
                       const struct fetch_req *r, const struct summary *sum, int *failed)
{
	struct mime_range part;
	binary_part(m, r, sum, &part);
	struct binary b = {.s = s, .window = {.s = s}};
	enum store_result res = (b.out = malloc(DECODE_OUT_MAX(BINARY_CHUNK_MAX))) ? STORE_OK : STORE_TEMPFAIL;
	if (res == STORE_OK)
		res = binary_pass(&b, next, part.body_start, part.body_end, part.encoding);
	if (res == STORE_OK && r->item == I_BINARY_SIZE) {
		outbuf_printf(s->out, "%s %llu", r->label, (unsigned long long)b.size);
	} else if (res == STORE_OK) {
		b.from = r->partial ? (r->origin < b.size ? r->origin : b.size) : 0;
		b.left = r->partial && b.size - b.from > r->count ? r->count : b.size - b.from;
		uint64_t len = b.left;
		/* a literal8 for what is not 7-bit text (RFC 3516 4.2 asks it for a NUL; Dovecot for any 8-bit octet) */
		outbuf_printf(s->out, "%s %s{%llu}\r\n", r->label, b.eight_bit ? "~" : "", (unsigned long long)len);
		b.sending = 1;
		res = binary_pass(&b, next, part.body_start, part.body_end, part.encoding);
		if (res == STORE_OK && b.left) /* the same octets decode the same: a shorter second pass is a broken store */
			res = STORE_TEMPFAIL;
		s->fetched_bytes += len - b.left;
	}
	free(b.out);
	*failed = res != STORE_OK;
	return res == STORE_OK ? 0 : -1;
}

/* Whether a BINARY of this message can be given: not of a part in an encoding it cannot undo (RFC 3516 4.3). */
static int binary_decodable(const struct imap_message *m, const struct fetch_req *req, size_t n,
                            const struct summary *sum)
{
	for (size_t k = 0; k < n; k++) {
		struct mime_range part;
		if (req[k].item != I_BINARY && req[k].item != I_BINARY_SIZE)
			continue;
		binary_part(m, &req[k], sum, &part);
		if (part.encoding == MIME_ENCODING_UNKNOWN)
			return 0;
	}
	return 1;
}

/* One body item of one message: "LABEL {n}" CRLF and n octets. 0, or -1 when nothing may follow. */
static int body_item(struct imap_session *s, const struct imap_message *m, const struct imap_reads *next,
                     const struct fetch_req *r, const struct summary *sum, int *failed)
{
	struct stream st = {s, 0, 0, {0}, NULL, 0, 0};
	struct envelope_text filtered = {0};
	uint64_t start, end;
	int header;
	enum store_result res = locate(s, m, r, sum, &st, &start, &end, &header);
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
			res = s->be->read(s->be->ctx, s->account.id, next->e, next->n, -1, stream_out, &st);
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
	int vanished;
	if (imap_take_set(s, c, uid, &set) < 0) {
		imap_bad(s, tag, "Invalid sequence set");
		return;
	}
	/* RFC 7162 3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, once QRESYNC is enabled */
	if (parse_items(c, req, &n, &changed_since, &vanished) < 0 || (vanished && (!uid || !changed_since || !s->qresync))) {
		imap_bad(s, tag, "FETCH items: FLAGS UID RFC822.SIZE INTERNALDATE MODSEQ ENVELOPE BODYSTRUCTURE BODY BODY[section]<n.m> BODY.PEEK[section]<n.m> BINARY[part]<n.m> BINARY.PEEK[part]<n.m> BINARY.SIZE[part] RFC822* [(CHANGEDSINCE n [VANISHED])]");
		return;
	}
	if (vanished)
		imap_tell_vanished(s, &set);
	int has_uid = 0, has_flags = 0, has_modseq = 0, marks_seen = 0, needs_summary = 0, reads = 0;
	for (size_t k = 0; k < n; k++) {
		reads |= req[k].item >= I_SECTION; /* and BINARY */
		needs_summary |= req[k].item == I_ENVELOPE || req[k].item == I_STRUCTURE || req[k].item == I_BODY ||
		                 (req[k].item >= I_SECTION && req[k].n_path);
		has_uid |= req[k].item == I_UID;
		has_flags |= req[k].item == I_FLAGS;
		has_modseq |= req[k].item == I_MODSEQ;
		marks_seen |= !req[k].peek;
	}
	if (changed_since && !has_modseq) /* RFC 7162 3.1.4.1: CHANGEDSINCE asks for MODSEQ too */
		req[n++] = (struct fetch_req){.item = I_MODSEQ, .peek = 1};
	s->condstore |= changed_since || has_modseq; /* RFC 7162 3.1: CONDSTORE enabling commands */
	struct summaries batch = {.s = s, .batch = SUMMARY_BATCH};
	for (size_t i = 0; i < s->n_msgs; i++) {
		if (!imap_selects(s, &set, i, uid) || (changed_since && s->msgs[i].modseq <= changed_since))
			continue;
		struct imap_message *m = &s->msgs[i];
		struct summary sum;
		/* those after it come with its reads (for a summary too), while they fit; CHANGEDSINCE may skip them */
		size_t ahead = (reads || needs_summary) && !changed_since ? STORE_READ_AHEAD_ENTRIES : 1;
		struct imap_reads next;
		imap_reads_ahead(s, &set, uid, i, ahead, &next);
		if (needs_summary && summary_of(&batch, &set, uid, i, &next, &sum) != STORE_OK) {
			imap_no(s, tag, IMAP_NO_UNAVAILABLE);
			goto done;
		}
		if (needs_summary && !binary_decodable(m, req, n, &sum)) {
			imap_no(s, tag, IMAP_NO_UNKNOWN_CTE);
			goto done;
		}
		int seen_now = marks_seen && !s->read_only && !(m->flags & STORE_FLAG_SEEN);
		if (seen_now && imap_mark_seen(s, m) != STORE_OK) { /* RFC 9051 6.4.5, once the FETCH can be given */
			imap_no(s, tag, IMAP_NO_UNAVAILABLE);
			goto done;
		}
		size_t mark = s->out->len;
		unsigned flushes = s->out->flushes;
		outbuf_add(s->out, "* ", 2);
		outbuf_number(s->out, i + 1);
		outbuf_add(s->out, " FETCH (", 8);
		int first = 1, failed = 0, body = 0;
		if (uid && !has_uid) {
			outbuf_add(s->out, "UID ", 4);
			outbuf_number(s->out, m->uid);
			first = 0;
		}
		for (size_t k = 0; k < n && !failed; k++) {
			char text[FLAGS_TEXT_MAX];
			if (!first)
				outbuf_add(s->out, " ", 1);
			first = 0;
			switch (req[k].item) {
			case I_FLAGS:
				imap_flags_text(s, m->flags, text, sizeof text);
				outbuf_add(s->out, "FLAGS (", 7);
				outbuf_add(s->out, text, strlen(text));
				outbuf_add(s->out, ")", 1);
				break;
			case I_UID:
				outbuf_add(s->out, "UID ", 4);
				outbuf_number(s->out, m->uid);
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
				summary_item(s, "ENVELOPE", &sum, SUMMARY_ENVELOPE);
				break;
			case I_STRUCTURE:
				summary_item(s, "BODYSTRUCTURE", &sum, SUMMARY_BODYSTRUCTURE);
				break;
			case I_BODY:
				summary_item(s, "BODY", &sum, SUMMARY_BODY);
				break;
			case I_BINARY:
			case I_BINARY_SIZE:
				body |= req[k].item == I_BINARY;
				binary_item(s, m, &next, &req[k], &sum, &failed);
				break;
			default:
				body = 1;
				body_item(s, m, &next, &req[k], &sum, &failed);
			}
		}
		if (failed && s->out->flushes == flushes) { /* nothing of it went out: say so properly */
			s->out->len = mark;
			imap_no(s, tag, IMAP_NO_UNAVAILABLE);
			goto done;
		}
		if (failed) { /* half a message went out: only closing can tell the client */
			imap_log(s, "read-failed", s->folder.name);
			s->state = IMAP_LOGOUT;
			s->ended = "read-failed";
			goto done;
		}
		if (seen_now && !has_flags) { /* the \Seen it just got goes with it (RFC 3501 6.4.5) */
			char text[FLAGS_TEXT_MAX];
			imap_flags_text(s, m->flags, text, sizeof text);
			outbuf_printf(s->out, " FLAGS (%s)", text);
		}
		if (seen_now && s->condstore && !has_modseq && !changed_since) /* and its MODSEQ (RFC 7162 3.2.4) */
			outbuf_printf(s->out, " MODSEQ (%llu)", (unsigned long long)m->modseq);
		outbuf_add(s->out, ")\r\n", 3);
		s->fetched += body;
	}
	imap_tagged(s, tag, "OK", uid ? "UID FETCH completed" : "FETCH completed");
done:
	summaries_free(&batch);
}
