/* mailctl: manage inetmail accounts, domains, aliases, imports and the schema. */
#include <stdio.h>
#include <string.h>

#include "mailctl.h"

static const struct {
	const char *name;
	int (*fn)(struct mailctl *, int, char **);
	const char *args;
} commands[] = {
	{"add", mailctl_add, "[--hash HASH] ADDRESS  (password on stdin, or prompted)"},
	{"passwd", mailctl_passwd, "ADDRESS         (password on stdin, or prompted)"},
	{"del", mailctl_del, "ADDRESS"},
	{"disable", mailctl_disable, "ADDRESS        (no login, no mail: as if it did not exist)"},
	{"enable", mailctl_enable, "ADDRESS"},
	{"quota", mailctl_quota, "ADDRESS BYTES|none"},
	{"list", mailctl_list, ""},
	{"gc", mailctl_gc, "[MIN_AGE_SECONDS]  (default 86400)"},
	{"queue", mailctl_queue, "[flush | del ID]  (mail waiting for the relay agent; del bounces it)"},
	{"penalty", mailctl_penalty, "list | clear [ADDRESS]  (clients slowed down after failed logins)"},
	{"dkim", mailctl_dkim, "keygen DOMAIN [SELECTOR]  (a key for the relay agent to sign with; prints its DNS record)"},
	{"migrate", mailctl_migrate, "[SQL_DIR]     (default " SQLDIR ")"},
	{"domain", mailctl_domain, "add DOMAIN [--postmaster ADDRESS] | del DOMAIN [--force] | list"},
	{"alias", mailctl_alias, "add SOURCE TARGET... | del SOURCE [TARGET...] | list [DOMAIN]"},
	{"import-accounts", mailctl_import_accounts, "FILE   (a Dovecot passwd-file)"},
	{"import-maildir", mailctl_import_maildir, "ADDRESS DIR"},
	{"import-mbox", mailctl_import_mbox, "ADDRESS FILE"},
	{"export", mailctl_export, "ADDRESS      (mboxrd on stdout)"},
};

/* On stderr with EXIT_USAGE for a wrong command line; asked for (--help), on stdout with 0. */
static int usage(FILE *to, int rc)
{
	fprintf(to, "usage: mailctl [--scheme yescrypt|bcrypt|sha512crypt] COMMAND ...\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(to, "  mailctl %s %s\n", commands[i].name, commands[i].args);
	fprintf(to, "The database: the option file INETMAIL_MYCNF names, group [inetmail] (see mailctl(8)).\n");
	return rc;
}

int main(int argc, char **argv)
{
	struct mailctl m = {.scheme = "yescrypt"};
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "--scheme")) {
		m.scheme = argv[i + 1];
		i += 2;
	}
	if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "help")))
		return usage(stdout, 0);
	if (i >= argc)
		return usage(stderr, EXIT_USAGE);
	for (size_t c = 0; c < sizeof commands / sizeof *commands; c++) {
		if (strcmp(argv[i], commands[c].name))
			continue;
		if (!(m.store = store_open())) {
			fprintf(stderr, "mailctl: out of memory\n");
			return EXIT_SOFTWARE;
		}
		int rc = commands[c].fn(&m, argc - i - 1, argv + i + 1);
		store_close(m.store);
		return rc == EXIT_USAGE ? usage(stderr, EXIT_USAGE) : rc;
	}
	return usage(stderr, EXIT_USAGE);
}
