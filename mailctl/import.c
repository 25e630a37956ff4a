/* Moving in: accounts with their existing hashes (one, or a Dovecot
 * passwd-file), and messages, streamed into the store one transaction each. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "mailctl.h"
#include "utf7.h"

#define ACCOUNT_LINE_MAX 4096 /* a passwd-file line: address, hash and Dovecot's extra fields */
#define UIDLIST_LINE_MAX 4096 /* a dovecot-uidlist line: uid, extensions, file name */

/* ---- messages in ---- */

int mailctl_import_begin(struct mailctl *m, struct import *im, const char *address, const char *uidl)
{
	im->len = 0;
	im->last_cr = 0;
	im->failed = STORE_OK;
	im->digest = NULL;
	im->d = store_import_begin(m->store, address, uidl ? uidl : "");
	if (im->d && !uidl && (!(im->digest = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(im->digest, EVP_sha256(), NULL))) {
		store_delivery_free(im->d);
		im->d = NULL;
	}
	return im->d ? 0 : -1;
}

static void import_flush(struct import *im)
{
	if (im->len && im->digest)
		EVP_DigestUpdate(im->digest, im->buf, im->len);
	if (im->len && im->failed == STORE_OK)
		im->failed = store_delivery_write(im->d, im->buf, im->len);
	im->len = 0;
}

/* "c" and 128 bits of the content's SHA-256: the same message, the same UIDL. */
static void content_uidl(struct import *im)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char uidl[34] = "c";
	if (!EVP_DigestFinal_ex(im->digest, md, NULL))
		im->failed = STORE_TEMPFAIL;
	for (int i = 0; i < 16; i++)
		snprintf(uidl + 1 + 2 * i, 3, "%02x", md[i]);
	store_import_uidl(im->d, uidl);
	EVP_MD_CTX_free(im->digest);
	im->digest = NULL;
}

/* Message octets as a file has them: a LF without its CR gets one, as POP3
 * sends the message (RFC 1939 3). */
void mailctl_import_put(struct import *im, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (im->len + 2 > sizeof im->buf)
			import_flush(im);
		if (p[i] == '\n' && !im->last_cr)
			im->buf[im->len++] = '\r';
		im->buf[im->len++] = p[i];
		im->last_cr = p[i] == '\r';
	}
}

enum store_result mailctl_import_end(struct import *im)
{
	struct store_delivery_result res;
	import_flush(im);
	if (im->digest)
		content_uidl(im);
	enum store_result r = im->failed == STORE_OK ? store_delivery_commit(im->d, &res) : im->failed;
	store_delivery_free(im->d);
	im->d = NULL;
	return r;
}

static int uidl_add(void *ctx, const struct store_entry *e)
{
	struct uidl_set *u = ctx;
	if (array_reserve(&u->uidl, &u->cap, u->n, sizeof *u->uidl) < 0)
		return -1;
	strcpy(u->uidl[u->n++], e->uidl);
	return 0;
}

static int uidl_cmp(const void *a, const void *b) { return strcmp(a, b); }

int mailctl_mailbox_open(struct mailctl *m, const char *address, struct mailbox *mb)
{
	struct store_account a;
	enum store_result r = store_lookup(m->store, address, &a);
	memset(mb, 0, sizeof *mb);
	if (r == STORE_OK)
		r = store_admin_entries(m->store, a.id, uidl_add, &mb->have); /* UIDLs are unique in the account */
	if (r != STORE_OK) {
		free(mb->have.uidl);
		return mailctl_report(m, r == STORE_PERMFAIL ? STORE_TEMPFAIL : r, address);
	}
	if (mb->have.n) /* qsort and bsearch want an array, even for none */
		qsort(mb->have.uidl, mb->have.n, sizeof *mb->have.uidl, uidl_cmp);
	mb->id = a.id;
	strcpy(mb->address, a.address);
	return 0;
}

int mailctl_mailbox_has(const struct mailbox *mb, const char *uidl)
{
	return *uidl && mb->have.n && bsearch(uidl, mb->have.uidl, mb->have.n, sizeof *mb->have.uidl, uidl_cmp);
}

void mailctl_mailbox_close(struct mailbox *mb) { free(mb->have.uidl); }

int mailctl_import_failed(struct mailctl *m, enum store_result r, const char *what, const char *why, unsigned imported)
{
	if (!why)
		why = *store_error(m->store) ? store_error(m->store) : store_result_name(r);
	fprintf(stderr, "mailctl: %s: %s; the %u messages before it are imported, each complete\n", what, why,
	        imported);
	return r == STORE_TEMPFAIL ? EXIT_TEMPFAIL : EXIT_DATAERR;
}

/* ---- accounts ---- */

/* import-accounts FILE: a Dovecot passwd-file, user:{SCHEME}hash:... a line;
 * each line is an account made whole or a line reported. */
int mailctl_import_accounts(struct mailctl *m, int argc, char **argv)
{
	if (argc != 1)
		return EXIT_USAGE;
	FILE *f = strcmp(argv[0], "-") ? fopen(argv[0], "r") : stdin;
	if (!f) {
		fprintf(stderr, "mailctl: %s: %s\n", argv[0], strerror(errno));
		return EXIT_DATAERR;
	}
	char line[ACCOUNT_LINE_MAX + 2], hash[STORE_HASH_MAX + 1];
	unsigned n = 0, added = 0, refused = 0;
	int worst = 0;
	while (fgets(line, sizeof line, f)) {
		n++;
		size_t len = strcspn(line, "\r\n");
		int whole = line[len] != '\0' || feof(f);
		line[len] = '\0';
		if (!whole) { /* the rest of an overlong line is not another line */
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
		}
		if (!line[0] || line[0] == '#')
			continue;
		char *colon = strchr(line, ':');
		const char *why = NULL;
		if (!whole)
			why = "line too long";
		else if (!colon)
			why = "no ':' after the user";
		if (colon) {
			*colon = '\0';
			char *end = strchr(colon + 1, ':');
			if (end)
				*end = '\0';
		}
		if (!why && !strchr(line, '@'))
			why = "the user is no full address (user@domain)";
		if (!why && store_password_import(colon + 1, hash, &why) == 0) {
			int rc = mailctl_valid_address(line) ? mailctl_add_account(m, line, hash) : EXIT_DATAERR;
			if (rc == 0)
				added++;
			else
				refused++, worst = rc == EXIT_TEMPFAIL || worst == EXIT_TEMPFAIL ? EXIT_TEMPFAIL : rc;
			if (rc)
				fprintf(stderr, "mailctl: %s line %u: %s not added\n", argv[0], n, line);
			continue;
		}
		fprintf(stderr, "mailctl: %s line %u: %s\n", argv[0], n, why);
		refused++;
		worst = worst ? worst : EXIT_DATAERR;
	}
	if (f != stdin)
		fclose(f);
	printf("%u accounts added, %u lines refused\n", added, refused);
	return worst;
}

/* ---- Maildir ---- */

struct maildir_msg {
	char *name;      /* cur/NAME or new/NAME */
	char *base;      /* the name without its ":2,flags" */
	unsigned long uid; /* from dovecot-uidlist; 0 if not there */
	char uidl[STORE_UIDL_MAX + 1];
};

#define MAILDIR_KEYWORDS 26 /* Maildir's keyword letters, a to z */

struct maildir {
	struct maildir_msg *msg;
	size_t n, cap;
	unsigned long uidvalidity, uidnext;
	char keyword[MAILDIR_KEYWORDS][STORE_KEYWORDS_MAX + 1]; /* from dovecot-keywords: "" when unnamed */
};

static int add_files(struct maildir *md, const char *dir, const char *sub)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, sub);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (array_reserve(&md->msg, &md->cap, md->n, sizeof *md->msg) < 0) {
			closedir(d);
			return -1;
		}
		struct maildir_msg *msg = &md->msg[md->n++];
		memset(msg, 0, sizeof *msg);
		if (asprintf(&msg->name, "%s/%s", sub, e->d_name) < 0)
			msg->name = NULL;
		msg->base = strdup(e->d_name);
		if (!msg->name || !msg->base) {
			closedir(d);
			return -1;
		}
		msg->base[strcspn(msg->base, ":")] = '\0';
	}
	closedir(d);
	return 0;
}

static int base_cmp(const void *a, const void *b)
{
	return strcmp(((const struct maildir_msg *)a)->base, ((const struct maildir_msg *)b)->base);
}

/* dovecot-uidlist (version 3, Dovecot 1.1 and later): "3 V<uidvalidity> ..."
 * then "<uid> [extensions] :<base name>" a line; a "P" extension is a POP3
 * UIDL Dovecot kept. Gives each file its UID and the UIDL Dovecot's POP3
 * showed for it (pop3_uidl_format %08Xu%08Xv, its default). */
static int read_uidlist(struct maildir *md, const char *dir)
{
	char path[4096], line[UIDLIST_LINE_MAX + 2];
	snprintf(path, sizeof path, "%s/dovecot-uidlist", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (!fgets(line, sizeof line, f) || strncmp(line, "3 ", 2)) {
		fclose(f);
		errno = EINVAL;
		return -1;
	}
	for (char *t = strtok(line + 2, " \r\n"); t; t = strtok(NULL, " \r\n"))
		if (t[0] == 'V')
			md->uidvalidity = strtoul(t + 1, NULL, 10);
		else if (t[0] == 'N')
			md->uidnext = strtoul(t + 1, NULL, 10);
	if (md->n)
		qsort(md->msg, md->n, sizeof *md->msg, base_cmp);
	while (md->n && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *name = strstr(line, " :");
		char *end;
		unsigned long uid = strtoul(line, &end, 10);
		if (!name || !uid || end == line)
			continue;
		*name = '\0';
		struct maildir_msg key = {.base = name + 2};
		struct maildir_msg *msg = bsearch(&key, md->msg, md->n, sizeof *md->msg, base_cmp);
		if (!msg) /* listed but gone: Dovecot expunged it */
			continue;
		msg->uid = uid;
		/* Dovecot's %X: hexadecimal, but in lower case (seen from its POP3) */
		snprintf(msg->uidl, sizeof msg->uidl, "%08lx%08lx", uid, md->uidvalidity);
		for (char *t = strtok(end, " "); t; t = strtok(NULL, " "))
			if (t[0] == 'P' && t[1] && strlen(t + 1) <= STORE_UIDL_MAX)
				strcpy(msg->uidl, t + 1);
	}
	fclose(f);
	return 0;
}

/* dovecot-keywords: "<n> <keyword>" a line, n the letter's place (0 is "a"). */
static void read_keywords(struct maildir *md, const char *dir)
{
	char path[4096], line[STORE_KEYWORDS_MAX + 16];
	snprintf(path, sizeof path, "%s/dovecot-keywords", dir);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		char *end;
		unsigned long i = strtoul(line, &end, 10);
		line[strcspn(line, "\r\n")] = '\0';
		if (end != line && *end == ' ' && i < MAILDIR_KEYWORDS && !strchr(end + 1, ' '))
			snprintf(md->keyword[i], sizeof md->keyword[i], "%s", end + 1);
	}
	if (f)
		fclose(f);
}

/* A file's flags (":2,<letters>", Maildir's info) as the store keeps them. */
static unsigned maildir_flags(const struct maildir *md, const char *name, char keywords[STORE_KEYWORDS_MAX + 1])
{
	static const struct {
		char letter;
		unsigned flag;
	} letters[] = {{'S', STORE_FLAG_SEEN}, {'R', STORE_FLAG_ANSWERED}, {'F', STORE_FLAG_FLAGGED},
	               {'T', STORE_FLAG_DELETED}, {'D', STORE_FLAG_DRAFT}};
	const char *info = strstr(name, ":2,");
	unsigned flags = 0;
	size_t n = 0;
	keywords[0] = '\0';
	for (const char *p = info ? info + 3 : ""; *p; p++) {
		for (size_t i = 0; i < sizeof letters / sizeof *letters; i++)
			flags |= *p == letters[i].letter ? letters[i].flag : 0;
		const char *k = *p >= 'a' && *p <= 'z' ? md->keyword[*p - 'a'] : "";
		if (*k && n + strlen(k) + 1 < STORE_KEYWORDS_MAX)
			n += (size_t)snprintf(keywords + n, STORE_KEYWORDS_MAX + 1 - n, "%s%s", n ? " " : "", k);
	}
	return flags;
}

/* Dovecot's order: by UID; files it never listed after them, by name. */
static int maildir_order(const void *a, const void *b)
{
	const struct maildir_msg *x = a, *y = b;
	if (x->uid != y->uid)
		return !x->uid ? 1 : !y->uid ? -1 : x->uid < y->uid ? -1 : 1;
	return strcmp(x->base, y->base);
}

/* A file Dovecot never listed gets a UIDL of its name, the same every time. */
static void name_uidl(const char *base, char out[STORE_UIDL_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_Digest(base, strlen(base), digest, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 16 && i < len; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[32] = '\0';
}

/* Where an imported file goes: its folder, UID there (0: the next), flags, keywords. */
struct placement {
	uint64_t folder_id;
	uint32_t uid;
	unsigned flags;
	const char *keywords;
};

static enum store_result import_file(struct mailctl *m, const struct mailbox *mb, const char *path,
                                     const char *uidl, const struct placement *to, const char **why)
{
	struct import *im = malloc(sizeof *im);
	FILE *f = fopen(path, "r");
	struct stat st;
	enum store_result r = STORE_TEMPFAIL;
	if (!f) {
		*why = strerror(errno);
		r = STORE_PERMFAIL;
	}
	if (im && f && mailctl_import_begin(m, im, mb->address, uidl) == 0) {
		/* INTERNALDATE: the file's time, as Dovecot's */
		store_import_into(im->d, to->folder_id, to->uid, to->flags, to->keywords,
		                  fstat(fileno(f), &st) == 0 ? (int64_t)st.st_mtime : 0);
		size_t n;
		while ((n = fread(im->in, 1, sizeof im->in, f)) > 0)
			mailctl_import_put(im, im->in, n);
		if (ferror(f)) {
			store_delivery_free(im->d);
			*why = "read error";
		} else {
			r = mailctl_import_end(im);
		}
	}
	if (f)
		fclose(f);
	free(im);
	return r;
}

struct import_count {
	unsigned imported, skipped, folders;
};

/* One folder of a Maildir++ (the top: INBOX), into the account's folder of
 * that name: its files with their flags and keywords, under Dovecot's UIDs
 * and UIDVALIDITY when the folder here is new or empty. 0, or the exit status. */
static int import_folder(struct mailctl *m, struct mailbox *mb, const char *dir, const char *name,
                         struct import_count *count)
{
	struct maildir md = {0};
	struct store_folder folder;
	int rc = 0;
	if (add_files(&md, dir, "cur") < 0 || add_files(&md, dir, "new") < 0 || read_uidlist(&md, dir) < 0) {
		fprintf(stderr, "mailctl: %s: not a readable Maildir (cur/, new/, dovecot-uidlist): %s\n", dir,
		        strerror(errno));
		rc = EXIT_DATAERR;
	}
	read_keywords(&md, dir);
	enum store_result r = rc ? STORE_OK : store_admin_folder_adopt(m->store, mb->id, name, (uint32_t)md.uidvalidity,
	                                                              &folder);
	if (r != STORE_OK)
		rc = mailctl_import_failed(m, r, name, NULL, count->imported);
	int same_uids = !rc && md.uidvalidity && folder.uidvalidity == md.uidvalidity;
	if (md.n)
		qsort(md.msg, md.n, sizeof *md.msg, maildir_order);
	count->folders += !rc;
	for (size_t i = 0; !rc && i < md.n; i++) {
		char path[8192], keywords[STORE_KEYWORDS_MAX + 1];
		struct maildir_msg *msg = &md.msg[i];
		if (strcmp(name, "INBOX")) { /* only INBOX's UIDLs are POP3's; elsewhere the name's, unique in the account */
			snprintf(path, sizeof path, "%s/%s", name, msg->base);
			name_uidl(path, msg->uidl);
		} else if (!msg->uidl[0]) {
			name_uidl(msg->base, msg->uidl);
		}
		if (mailctl_mailbox_has(mb, msg->uidl)) {
			count->skipped++;
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, msg->name);
		struct placement to = {folder.id, same_uids ? (uint32_t)msg->uid : 0, maildir_flags(&md, msg->name, keywords),
		                       keywords};
		const char *why = NULL;
		r = import_file(m, mb, path, msg->uidl, &to, &why);
		if (r != STORE_OK)
			rc = mailctl_import_failed(m, r, path, why, count->imported);
		else
			count->imported++;
	}
	/* Dovecot's UIDNEXT, past the UIDs of mail it expunged last */
	if (!rc && same_uids && md.uidnext && (r = store_admin_folder_uidnext(m->store, mb->id, folder.id,
	                                                                      (uint32_t)md.uidnext)) != STORE_OK)
		rc = mailctl_import_failed(m, r, name, NULL, count->imported);
	for (size_t i = 0; i < md.n; i++) {
		free(md.msg[i].name);
		free(md.msg[i].base);
	}
	free(md.msg);
	return rc;
}

/* import-maildir ADDRESS DIR: INBOX, then each ".Folder" (".A.B" is A/B, names in modified UTF-7). */
int mailctl_import_maildir(struct mailctl *m, int argc, char **argv)
{
	if (argc != 2)
		return EXIT_USAGE;
	struct mailbox mb;
	struct import_count count = {0};
	int rc = mailctl_mailbox_open(m, argv[0], &mb);
	if (rc)
		return rc;
	rc = import_folder(m, &mb, argv[1], "INBOX", &count);
	DIR *d = rc ? NULL : opendir(argv[1]);
	struct dirent *e;
	while (d && !rc && (e = readdir(d))) {
		char sub[4096], name[STORE_FOLDER_MAX + 1], test[4200];
		struct stat st;
		snprintf(sub, sizeof sub, "%s/%s", argv[1], e->d_name);
		snprintf(test, sizeof test, "%s/cur", sub);
		if (e->d_name[0] != '.' || !e->d_name[1] || !strcmp(e->d_name, "..") || stat(test, &st) < 0)
			continue; /* a Maildir++ folder is a dot directory with cur/ */
		if (utf7_decode(e->d_name + 1, name, sizeof name) < 0 || strchr(name, '/')) {
			fprintf(stderr, "mailctl: %s: not a folder name this can take (left out)\n", sub);
			continue;
		}
		for (char *p = name; *p; p++)
			*p = *p == '.' ? '/' : *p; /* Maildir++'s hierarchy separator */
		rc = import_folder(m, &mb, sub, name, &count);
	}
	if (d)
		closedir(d);
	mailctl_mailbox_close(&mb);
	if (!rc)
		printf("%u message%s imported into %s (%u folder%s), %u there already\n", count.imported,
		       count.imported == 1 ? "" : "s", mb.address, count.folders, count.folders == 1 ? "" : "s",
		       count.skipped);
	return rc;
}
