/* The mailctl commands. Passwords come from stdin or a no-echo prompt, never argv. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mailctl.h"

#define PASSWORD_LINE_MAX 1024 /* longer passwords are refused by libstore too */
#define GC_DEFAULT_AGE 86400   /* far longer than any SMTP session may write ahead */

int mailctl_report(struct mailctl *m, enum store_result r, const char *what)
{
	const char *why = store_error(m->store);
	switch (r) {
	case STORE_OK:
		return 0;
	case STORE_NOT_FOUND: /* a refusal says why; a plain miss is a missing account */
		if (*why)
			fprintf(stderr, "mailctl: %s\n", why);
		else
			fprintf(stderr, "mailctl: %s: no such account\n", what);
		return EXIT_NOUSER;
	case STORE_PERMFAIL:
	case STORE_NOT_LOCAL: /* a refusal names what it refuses */
		if (*why)
			fprintf(stderr, "mailctl: %s\n", why);
		else
			fprintf(stderr, "mailctl: %s: refused\n", what);
		return EXIT_DATAERR;
	case STORE_IN_USE: /* busy for now: the refusal says with what */
		fprintf(stderr, "mailctl: %s\n", why);
		return EXIT_TEMPFAIL;
	default:
		fprintf(stderr, "mailctl: %s: database unavailable: %s\n", what, store_error(m->store));
		return EXIT_TEMPFAIL;
	}
}

static int read_line(FILE *f, char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, f))
		return -1;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == cap - 1)
		return -1; /* longer than we accept */
	buf[n] = '\0';
	return 0;
}

static int prompt(FILE *tty, const char *text, char *buf, size_t cap)
{
	struct termios old, quiet;
	fputs(text, tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	int rc = read_line(tty, buf, cap);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	return rc;
}

/* The new password's hash, from a prompt on a terminal or one line of stdin. */
static int new_hash(struct mailctl *m, char hash[STORE_HASH_MAX + 1])
{
	char pw[PASSWORD_LINE_MAX + 2], again[PASSWORD_LINE_MAX + 2];
	int rc = -1;
	FILE *tty = isatty(STDIN_FILENO) ? fopen("/dev/tty", "r+") : NULL;
	if (tty) {
		if (prompt(tty, "New password: ", pw, sizeof pw) == 0 &&
		    prompt(tty, "Again: ", again, sizeof again) == 0) {
			if (strcmp(pw, again))
				fprintf(stderr, "mailctl: the passwords differ\n");
			else
				rc = 0;
		}
		fclose(tty);
	} else {
		rc = read_line(stdin, pw, sizeof pw);
	}
	if (rc == 0 && !pw[0]) {
		fprintf(stderr, "mailctl: empty password\n");
		rc = -1;
	} else if (rc == 0 && store_password_hash(m->scheme, pw, hash) < 0) {
		fprintf(stderr, "mailctl: cannot hash with scheme %s\n", m->scheme);
		rc = -1;
	} else if (rc < 0 && !tty) {
		fprintf(stderr, "mailctl: no password on stdin (one line, at most %d octets)\n",
		        PASSWORD_LINE_MAX);
	}
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(again, sizeof again);
	return rc;
}

int mailctl_report_change(struct mailctl *m, enum store_result r, const char *what, const char *done)
{
	int rc = mailctl_report(m, r, what);
	if (rc == 0)
		printf("%s: %s\n", what, done);
	return rc;
}

int mailctl_valid_address(const char *address)
{
	char canon[STORE_ADDRESS_MAX + 1];
	if (store_address_canonical(address, canon) == 0)
		return 1;
	fprintf(stderr, "mailctl: %s: not a valid address\n", address);
	return 0;
}

int mailctl_add_account(struct mailctl *m, const char *address, const char *hash)
{
	int domain_created;
	char canon[STORE_ADDRESS_MAX + 1];
	enum store_result r = store_admin_add(m->store, address, hash, &domain_created);
	if (r == STORE_PERMFAIL) {
		fprintf(stderr, "mailctl: %s: the account exists already\n", address);
		return EXIT_DATAERR;
	}
	if (r == STORE_OK && domain_created && store_address_canonical(address, canon) == 0)
		printf("%s is a local domain now\n", store_address_domain(canon));
	return mailctl_report_change(m, r, address, "account added");
}

/* add [--hash HASH] ADDRESS: a new password, or an existing crypt(3) hash. */
int mailctl_add(struct mailctl *m, int argc, char **argv)
{
	char hash[STORE_HASH_MAX + 1];
	const char *why, *given = NULL;
	if (argc == 3 && !strcmp(argv[0], "--hash")) {
		given = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc != 1)
		return EXIT_USAGE;
	if (!mailctl_valid_address(argv[0]))
		return EXIT_DATAERR;
	if (given && store_password_import(given, hash, &why) < 0) {
		fprintf(stderr, "mailctl: %s: the hash is refused: %s\n", argv[0], why);
		return EXIT_DATAERR;
	}
	if (!given && new_hash(m, hash) < 0)
		return EXIT_DATAERR;
	return mailctl_add_account(m, argv[0], hash);
}

int mailctl_passwd(struct mailctl *m, int argc, char **argv)
{
	char hash[STORE_HASH_MAX + 1];
	if (argc != 1)
		return EXIT_USAGE;
	if (!mailctl_valid_address(argv[0]) || new_hash(m, hash) < 0)
		return EXIT_DATAERR;
	return mailctl_report_change(m, store_admin_set_password(m->store, argv[0], hash), argv[0], "password changed");
}

int mailctl_del(struct mailctl *m, int argc, char **argv)
{
	if (argc != 1)
		return EXIT_USAGE;
	if (!mailctl_valid_address(argv[0]))
		return EXIT_DATAERR;
	return mailctl_report_change(m, store_admin_delete(m->store, argv[0]), argv[0], "account deleted, with its mail");
}

static int set_active(struct mailctl *m, int argc, char **argv, int active)
{
	if (argc != 1)
		return EXIT_USAGE;
	if (!mailctl_valid_address(argv[0]))
		return EXIT_DATAERR;
	return mailctl_report_change(m, store_admin_set_active(m->store, argv[0], active), argv[0],
	                     active ? "enabled" : "disabled: no login, no mail accepted");
}

int mailctl_enable(struct mailctl *m, int argc, char **argv) { return set_active(m, argc, argv, 1); }
int mailctl_disable(struct mailctl *m, int argc, char **argv) { return set_active(m, argc, argv, 0); }


int mailctl_quota(struct mailctl *m, int argc, char **argv)
{
	uint64_t bytes = UINT64_MAX;
	if (argc != 2)
		return EXIT_USAGE;
	if (!mailctl_valid_address(argv[0]))
		return EXIT_DATAERR;
	if (strcmp(argv[1], "none") && number_parse(argv[1], UINT64_MAX - 1, &bytes) < 0) {
		fprintf(stderr, "mailctl: %s: not a number of bytes or 'none'\n", argv[1]);
		return EXIT_DATAERR;
	}
	return mailctl_report_change(m, store_admin_set_quota(m->store, argv[0], bytes), argv[0],
	                     bytes == UINT64_MAX ? "no quota" : "quota set");
}

static int print_account(void *ctx, const struct store_account_info *i)
{
	char quota[24] = "none";
	(void)ctx;
	if (i->quota_bytes != UINT64_MAX)
		snprintf(quota, sizeof quota, "%" PRIu64, i->quota_bytes);
	printf("%-40s %8" PRIu64 " %12" PRIu64 " %12s %s\n", i->address, i->messages, i->used_bytes,
	       quota, i->active ? "active" : "inactive");
	return 0;
}

int mailctl_list(struct mailctl *m, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return EXIT_USAGE;
	printf("%-40s %8s %12s %12s %s\n", "ADDRESS", "MESSAGES", "BYTES", "QUOTA", "STATE");
	return mailctl_report(m, store_admin_list(m->store, print_account, NULL), "list");
}

int mailctl_gc(struct mailctl *m, int argc, char **argv)
{
	uint64_t age = GC_DEFAULT_AGE, removed;
	if (argc > 1 || (argc == 1 && number_parse(argv[0], UINT32_MAX, &age) < 0))
		return EXIT_USAGE;
	int rc = mailctl_report(m, store_admin_gc(m->store, (unsigned)age, &removed), "gc");
	if (rc == 0)
		printf("removed %" PRIu64 " unreferenced messages\n", removed);
	return rc;
}

int mailctl_migrate(struct mailctl *m, int argc, char **argv)
{
	unsigned from, to;
	if (argc > 1)
		return EXIT_USAGE;
	enum store_result r = store_admin_migrate(m->store, argc ? argv[0] : SQLDIR, &from, &to);
	if (r == STORE_PERMFAIL) {
		fprintf(stderr, "mailctl: migrate: %s\n", store_error(m->store));
		return EXIT_SOFTWARE;
	}
	int rc = mailctl_report(m, r, "migrate");
	if (rc == 0)
		printf("schema version %u -> %u\n", from, to);
	return rc;
}
