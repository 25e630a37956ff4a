/* mbox in and out: import-mbox reads mboxrd and mboxo, export writes mboxrd
 * (each message after a "From " line, CRLF as LF, a line that starts with
 * ">"* and "From " one ">" more, a blank line after it), which import-mbox
 * reads back byte for byte. */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "mailctl.h"

#define MBOX_PEEK 1024 /* of a line's start: enough to tell a From_ line or a quoted one */

static int is_from(const char *p, size_t n) { return n >= 5 && !memcmp(p, "From ", 5); }

/* The rest of a line whose start did not fit the peek buffer. */
static void copy_rest_of_line(FILE *f, struct import *im)
{
	int c;
	size_t n = 0;
	while ((c = getc(f)) != EOF) {
		im->in[n++] = (char)c;
		if (c == '\n' || n == sizeof im->in) {
			mailctl_import_put(im, im->in, n);
			n = 0;
			if (c == '\n')
				return;
		}
	}
	mailctl_import_put(im, im->in, n);
}

static void skip_rest_of_line(FILE *f)
{
	int c;
	while ((c = getc(f)) != EOF && c != '\n')
		;
}

/* import-mbox ADDRESS FILE: a message starts at a "From " line at the start
 * of the file or after a blank line (which belongs to no message); ">From ",
 * ">>From " and so on lose one ">". */
int mailctl_import_mbox(struct mailctl *m, int argc, char **argv)
{
	if (argc != 2)
		return EXIT_USAGE;
	struct mailbox mb;
	int rc = mailctl_mailbox_open(m, argv[0], &mb);
	if (rc)
		return rc;
	FILE *f = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	struct import *im = malloc(sizeof *im);
	if (!f || !im) {
		fprintf(stderr, "mailctl: %s: %s\n", argv[1], strerror(errno));
		free(im);
		mailctl_mailbox_close(&mb);
		return EXIT_DATAERR;
	}
	char peek[MBOX_PEEK];
	unsigned imported = 0, there = 0;
	int open = 0, start = 1, blank = 0;
	enum store_result r = STORE_OK;
	const char *why = NULL;
	for (;;) {
		size_t n = 0;
		int c = 0;
		while (n < sizeof peek && (c = getc(f)) != EOF) {
			peek[n++] = (char)c;
			if (c == '\n')
				break;
		}
		if (n == 0)
			break;
		if (is_from(peek, n) && (start || blank)) { /* the From_ line itself is no part of it */
			if (open && (r = mailctl_import_end(im)) == STORE_PERMFAIL) { /* imported before */
				there++;
				r = STORE_OK;
				open = 0;
			}
			if (r != STORE_OK)
				break;
			imported += open;
			open = blank = start = 0;
			if (peek[n - 1] != '\n')
				skip_rest_of_line(f);
			if (mailctl_import_begin(m, im, mb.address, NULL) < 0) {
				r = STORE_TEMPFAIL;
				break;
			}
			open = 1;
			continue;
		}
		if (!open) {
			why = "not an mbox: no \"From \" line before the first message";
			r = STORE_PERMFAIL;
			break;
		}
		if (blank)
			mailctl_import_put(im, "\n", 1);
		blank = (n == 1 && peek[0] == '\n') || (n == 2 && peek[0] == '\r' && peek[1] == '\n');
		if (blank)
			continue;
		size_t quotes = 0;
		while (quotes < n && peek[quotes] == '>')
			quotes++;
		int unquote = quotes && is_from(peek + quotes, n - quotes);
		mailctl_import_put(im, peek + unquote, n - unquote);
		if (peek[n - 1] != '\n')
			copy_rest_of_line(f, im);
	}
	if (r == STORE_OK && ferror(f)) {
		why = "read error";
		r = STORE_TEMPFAIL;
	}
	if (open && r == STORE_OK) {
		if ((r = mailctl_import_end(im)) == STORE_OK)
			imported++;
		else if (r == STORE_PERMFAIL) {
			there++;
			r = STORE_OK;
		}
	} else if (open) {
		store_delivery_free(im->d);
		EVP_MD_CTX_free(im->digest);
	}
	if (f != stdin)
		fclose(f);
	free(im);
	rc = r == STORE_OK ? 0 : mailctl_import_failed(m, r, argv[1], why, imported);
	if (!rc)
		printf("%u message%s imported into %s, %u there already\n", imported, imported == 1 ? "" : "s", mb.address,
		       there);
	mailctl_mailbox_close(&mb);
	return rc;
}

/* Export: CRLF to LF, then From-quoting at each line's start. */
struct export {
	int cr;             /* a CR held back: it may be half a CRLF */
	int line_start;     /* what is held is the start of a line */
	unsigned long quotes; /* ">" held at the start of a line */
	int from;           /* how much of "From " follows them */
	int last;           /* the last octet written */
};

static void out(struct export *x, int c)
{
	putchar_unlocked(c);
	x->last = c;
}

static void release(struct export *x)
{
	for (; x->quotes; x->quotes--)
		out(x, '>');
	for (int i = 0; i < x->from; i++)
		out(x, "From "[i]);
	x->from = 0;
	x->line_start = 0;
}

static void quote_put(struct export *x, int c)
{
	if (x->line_start) {
		if (!x->from && c == '>') {
			x->quotes++;
			return;
		}
		if (c == "From "[x->from]) {
			if (++x->from < 5)
				return;
			out(x, '>');
			release(x);
			return;
		}
		release(x);
	}
	out(x, c);
	if (c == '\n')
		x->line_start = 1;
}

static void lf_put(struct export *x, int c)
{
	if (x->cr) {
		x->cr = 0;
		if (c == '\n') {
			quote_put(x, '\n');
			return;
		}
		quote_put(x, '\r');
	}
	if (c == '\r')
		x->cr = 1;
	else
		quote_put(x, c);
}

static int export_data(void *ctx, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		lf_put(ctx, p[i]);
	return ferror(stdout) ? -1 : 0;
}

struct entry_refs {
	struct store_entry_ref *e;
	size_t n, cap;
};

static int collect_entry(void *ctx, const struct store_entry *e)
{
	struct entry_refs *l = ctx;
	if (array_reserve(&l->e, &l->cap, l->n, sizeof *l->e) < 0)
		return -1;
	l->e[l->n++] = (struct store_entry_ref){e->id, e->size};
	return 0;
}

/* export ADDRESS: the mailbox as mboxrd on stdout, oldest first. */
int mailctl_export(struct mailctl *m, int argc, char **argv)
{
	if (argc != 1)
		return EXIT_USAGE;
	struct store_account a;
	struct entry_refs l = {0};
	enum store_result r = store_lookup(m->store, argv[0], &a);
	if (r == STORE_OK)
		r = store_maildrop_list(m->store, a.id, collect_entry, &l);
	char date[64];
	time_t now = time(NULL);
	strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", gmtime(&now));
	unsigned exported = 0;
	for (size_t i = 0; r == STORE_OK && i < l.n; i++) {
		struct export x = {.line_start = 1, .last = '\n'};
		printf("From MAILER-DAEMON %s\n", date);
		r = store_maildrop_read(m->store, a.id, &l.e[i], l.n - i, -1, export_data, &x);
		if (r == STORE_NOT_FOUND) { /* deleted since the listing */
			r = STORE_OK;
			continue;
		}
		if (x.cr)
			quote_put(&x, '\r');
		if (x.line_start && (x.quotes || x.from))
			release(&x);
		if (x.last != '\n')
			out(&x, '\n');
		out(&x, '\n');
		exported++;
	}
	free(l.e);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "mailctl: export: cannot write: %s\n", strerror(errno));
		return EXIT_TEMPFAIL;
	}
	int rc = mailctl_report(m, r, argv[0]);
	if (!rc)
		fprintf(stderr, "%u messages exported from %s\n", exported, a.address);
	return rc;
}
