/* libFuzzer harness for the IMAP state machine with a stand-in store whose
 * flags and expunges stick, so NOOP's updates are exercised too. Checked:
 * every line ends in CRLF; a line that is not literal content starts with
 * "* ", "+ " or a tag followed by OK, NO or BAD; a literal ("{n}" at a
 * line's end) is followed by exactly n octets; the session's view of the
 * folder is in strictly rising UID order and no larger than the store's. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imap.h"
#include "summary.h"

static const char *bodies[] = {"Subject: a\r\nFrom: b\r\n\r\nbody\r\n", "no header end", "\r\n"};
static struct {
	struct store_mail m[4];
	size_t n;
	uint64_t modseq;
} fake;

static enum store_result f_auth(void *c, const char *u, const char *p, struct store_account *a)
{
	(void)c;
	if (strcmp(p, "pw") || store_address_canonical(u, a->address) < 0)
		return STORE_DENIED;
	a->id = 1;
	return STORE_OK;
}
static enum store_result f_folders(void *c, uint64_t account, store_folder_fn fn, void *ctx)
{
	(void)c; (void)account;
	static const char *names[] = {"INBOX", "Sent", "a/b", "a"};
	for (size_t i = 0; i < 4; i++) {
		struct store_folder f = {.id = i + 1, .uidvalidity = 1, .uidnext = 9};
		strcpy(f.name, names[i]);
		strcpy(f.special_use, i == 1 ? "\\Sent" : "");
		if (fn(ctx, &f))
			return STORE_PERMFAIL;
	}
	return STORE_OK;
}
static enum store_result f_folder(void *c, uint64_t account, const char *name, struct store_folder *f)
{
	(void)c; (void)account;
	if (strcmp(name, "INBOX") && strcmp(name, "Sent"))
		return name[0] == 'X' ? STORE_TEMPFAIL : STORE_NOT_FOUND;
	*f = (struct store_folder){.id = name[0] == 'I' ? 1 : 2, .uidvalidity = 1, .uidnext = 9, .messages = (uint32_t)fake.n};
	strcpy(f->name, name);
	return STORE_OK;
}
static enum store_result f_mail(void *c, uint64_t account, uint64_t folder, store_mail_fn fn, void *ctx, uint64_t *modseq)
{
	(void)c; (void)account;
	*modseq = fake.modseq;
	for (size_t i = 0; folder == 1 && i < fake.n; i++)
		if (fn(ctx, &fake.m[i]))
			return STORE_PERMFAIL;
	return STORE_OK;
}
static enum store_result f_read(void *c, uint64_t account, const struct store_entry_ref *e, size_t n_e, long lines,
                                store_data_fn fn, void *ctx)
{
	(void)c; (void)account;
	check(n_e >= 1 && n_e <= STORE_READ_AHEAD_ENTRIES);
	uint64_t id = e[0].id;
	const char *b = bodies[id % 3];
	size_t n = strlen(b);
	if (lines == 0) { /* the header and its empty line, as store_maildrop_read gives it */
		const char *end = strstr(b, "\r\n\r\n");
		n = end ? (size_t)(end - b) + 4 : n;
	}
	if (id == 3)
		return STORE_TEMPFAIL;
	return fn(ctx, b, n) ? STORE_PERMFAIL : STORE_OK;
}
static enum store_result f_change_flags(void *c, uint64_t account, uint64_t folder, const uint32_t *uids, size_t n,
                                        const struct store_flag_change *change, store_flags_fn fn, void *ctx,
                                        uint64_t *modseq)
{
	(void)c; (void)account; (void)folder;
	*modseq = ++fake.modseq;
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < fake.n; i++)
			if (fake.m[i].uid == uids[k]) {
				char now[STORE_KEYWORDS_MAX + 1];
				if (store_flag_change_apply(change, &fake.m[i].flags, fake.m[i].keywords, now) < 0)
					return STORE_PERMFAIL;
				strcpy(fake.m[i].keywords, now);
				fn(ctx, k, fake.m[i].flags, now, fake.modseq, 0);
			}
	return STORE_OK;
}
static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}
static enum store_result f_expunge(void *c, uint64_t account, const uint64_t *ids, size_t n, uint64_t *gone,
                                   size_t *n_gone)
{
	(void)c; (void)account;
	fake.modseq++;
	*n_gone = 0;
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < fake.n; i++)
			if (fake.m[i].id == ids[k]) {
				memmove(fake.m + i, fake.m + i + 1, (fake.n - i - 1) * sizeof *fake.m);
				fake.n--;
				break;
			}
		gone[(*n_gone)++] = ids[k];
	}
	qsort(gone, *n_gone, sizeof *gone, id_cmp); /* as the store gives them */
	return STORE_OK;
}
static void f_delay(void *c, unsigned ms) { (void)c; (void)ms; }
/* Folder changes: a name starting with "X" fails, "Sent" exists, others do not. */
static enum store_result f_name(const char *name)
{
	return name[0] == 'X' ? STORE_TEMPFAIL : !strcmp(name, "Sent") ? STORE_PERMFAIL : STORE_OK;
}
static enum store_result f_create(void *c, uint64_t a, const char *n) { (void)c; (void)a; return f_name(n); }
static enum store_result f_remove(void *c, uint64_t a, const char *n) { (void)c; (void)a; return f_name(n); }
static enum store_result f_rename(void *c, uint64_t a, const char *f, const char *t) { (void)c; (void)a; (void)f; return f_name(t); }
static enum store_result f_subscribe(void *c, uint64_t a, const char *n, int on) { (void)c; (void)a; (void)on; return f_name(n); }

static enum store_result f_modseq(void *c, uint64_t a, uint64_t f, uint64_t *modseq)
{
	(void)c; (void)a; (void)f;
	*modseq = fake.modseq;
	return STORE_OK;
}
static enum store_result f_copy(void *c, uint64_t a, uint64_t from, uint64_t to, struct store_copy *copy)
{
	(void)from;
	copy->first_uid = 9;
	copy->uidvalidity = 1;
	if (to == 1 && copy->n > 3)
		return STORE_OVER_QUOTA;
	for (size_t i = 0; i < copy->n; i++)
		copy->done[i] = copy->move || i % 3 != 2; /* now and then a copy's source expunged meanwhile */
	if (copy->move) { /* moved out of INBOX into Sent: INBOX loses them */
		uint64_t *gone = malloc(copy->n * sizeof *gone);
		size_t n_gone;
		fake.modseq++;
		enum store_result r = gone ? f_expunge(c, a, copy->entry_ids, copy->n, gone, &n_gone) : STORE_TEMPFAIL;
		free(gone);
		return r;
	}
	return STORE_OK;
}

static int appending;
static int f_append_begin(void *c, const char *a, uint64_t f, unsigned flags, const char *keywords, int64_t date)
{
	(void)c; (void)a; (void)flags; (void)date;
	check(strlen(keywords) <= STORE_KEYWORDS_MAX);
	check(!appending); /* one at a time, each ended */
	appending = f == 1;
	return f == 1 ? 0 : -1;
}
static enum store_result f_append_write(void *c, const void *d, size_t n) { (void)c; (void)d; check(appending); return n > 100 ? STORE_TEMPFAIL : STORE_OK; }
static enum store_result f_append_commit(void *c, uint32_t *uid, uint32_t *validity)
{
	(void)c;
	check(appending);
	appending = 0;
	*uid = 9;
	*validity = 1;
	return STORE_OK;
}
static void f_append_abort(void *c) { (void)c; check(appending); appending = 0; }

/* Every kind of summary a message can have: none (made from the message), a broken one, a true one. */
static enum store_result f_summaries(void *c, uint64_t account, uint64_t folder, uint32_t lo, uint32_t hi,
                                     store_summary_fn fn, void *ctx)
{
	(void)c; (void)account;
	for (size_t i = 0; folder == 1 && i < fake.n; i++) {
		const struct store_mail *m = &fake.m[i];
		if (m->uid < lo || m->uid > hi)
			continue;
		size_t len = 0;
		char *made = NULL;
		struct summary_maker *maker = m->id % 3 == 2 ? summary_begin() : NULL;
		if (maker) {
			summary_feed(maker, bodies[m->id % 3], strlen(bodies[m->id % 3]));
			made = summary_end(maker, &len);
		}
		int stop = m->id % 3 == 1 ? fn(ctx, m->id, "S1 9 9 9 9\nbroken", 17) : fn(ctx, m->id, made, len);
		free(made);
		if (stop)
			return STORE_PERMFAIL;
	}
	return STORE_OK;
}
static enum store_result f_keep_summary(void *c, uint64_t a, uint64_t id, const char *summary, size_t len)
{
	(void)c; (void)a; (void)id;
	struct summary view;
	check(summary_read(summary, len, &view) == 0);
	return STORE_OK;
}

static void f_rest(void *c) { (void)c; }

static enum store_result f_usage(void *c, uint64_t a, uint64_t *used, uint64_t *quota)
{
	(void)c; (void)a;
	*used = fake.modseq * 1000;
	*quota = fake.modseq % 3 ? fake.modseq * 4096 : UINT64_MAX;
	return fake.modseq % 5 ? STORE_OK : STORE_TEMPFAIL;
}

static const struct imap_backend be = {
	.auth = f_auth, .folders = f_folders, .folder = f_folder, .status = f_folder, .mail = f_mail, .read = f_read,
	.change_flags = f_change_flags, .expunge = f_expunge, .delay = f_delay, .create = f_create, .remove = f_remove,
	.rename = f_rename, .subscribe = f_subscribe, .modseq = f_modseq, .copy = f_copy,
	.append_begin = f_append_begin, .append_write = f_append_write, .append_commit = f_append_commit,
	.append_abort = f_append_abort, .summaries = f_summaries, .keep_summary = f_keep_summary, .usage = f_usage,
	.rest = f_rest};

static int is_response(const char *l, size_t len)
{
	if (len >= 2 && (!strncmp(l, "* ", 2) || !strncmp(l, "+ ", 2)))
		return 1;
	const char *sp = memchr(l, ' ', len);
	return sp && (size_t)(sp - l) + 4 <= len &&
	       (!strncmp(sp, " OK ", 4) || !strncmp(sp, " NO ", 4) || !strncmp(sp, " BAD ", 5));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct imap_config cfg = {.domain = "example.com", .plaintext_auth = !(data[0] & 1), .tls_available = !!(data[0] & 2)};
	size_t step = (data[0] >> 4) + 1;
	data++;
	size--;
	fake.n = 4;
	fake.modseq = 1;
	for (size_t i = 0; i < 4; i++)
		fake.m[i] = (struct store_mail){.id = i + 1, .uid = (uint32_t)(2 * i + 1), .flags = (unsigned)i, .size = 0,
		                                .modseq = 1, .arrived = 86400 * (int64_t)i};
	for (size_t i = 0; i < 4; i++) { /* sizes as the store keeps them: exact */
		const char *b = bodies[fake.m[i].id % 3];
		fake.m[i].size = strlen(b);
	}
	struct outbuf ob;
	struct imap_session s;
	out_len = 0;
	outbuf_init(&ob, sink, NULL);
	imap_init(&s, &cfg, &be, &ob);
	imap_start(&s);
	for (size_t i = 0; i < size && s.state != IMAP_LOGOUT; i += step) {
		imap_input(&s, (const char *)data + i, size - i < step ? size - i : step);
		if (s.state == IMAP_STARTTLS)
			imap_tls_started(&s);
		imap_idle_poll(&s); /* as the timer would, between any two pieces */
		for (size_t k = 1; k < s.n_msgs; k++)
			check(s.msgs[k - 1].uid < s.msgs[k].uid);
		check(s.n_msgs <= 4);
	}
	imap_eof(&s);
	check(!appending); /* however the session ended, the APPEND under way was dropped */
	outbuf_flush(&ob);
	check(out_len == 0 || out[out_len - 1] == '\n');
	for (size_t i = 0; i < out_len;) {
		const char *lf = memchr(out + i, '\n', out_len - i);
		check(lf != NULL);
		size_t len = (size_t)(lf - (out + i)) + 1;
		check(len >= 2 && lf[-1] == '\r');
		const char *l = out + i;
		if (!is_response(l, len))
			fprintf(stderr, "not a response: %.*s\n", (int)len, l);
		check(is_response(l, len));
		i += len;
		while (len > 3 && lf[-2] == '}') { /* a literal follows: its octets, then the line goes on, maybe to another */
			const char *open = memrchr(l, '{', len);
			check(open != NULL);
			size_t n = strtoul(open + 1, NULL, 10);
			check(i + n <= out_len);
			i += n;
			l = out + i;
			lf = memchr(l, '\n', out_len - i);
			check(lf != NULL);
			len = (size_t)(lf - l) + 1;
			i += len;
		}
	}
	imap_free(&s);
	outbuf_free(&ob);
	return 0;
}
