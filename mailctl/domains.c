/* mailctl domain and alias. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mailctl.h"

static int print_domain(void *ctx, const struct store_domain_info *d)
{
	(void)ctx;
	printf("%-40s %8" PRIu64 " %8" PRIu64 "\n", d->name, d->accounts, d->aliases);
	return 0;
}

/* domain add DOMAIN [--postmaster ADDRESS] | del DOMAIN [--force] | list */
int mailctl_domain(struct mailctl *m, int argc, char **argv)
{
	if (argc == 1 && !strcmp(argv[0], "list")) {
		printf("%-40s %8s %8s\n", "DOMAIN", "ACCOUNTS", "ALIASES");
		return mailctl_report(m, store_admin_domain_list(m->store, print_domain, NULL), "domain list");
	}
	if (argc < 2)
		return EXIT_USAGE;
	const char *domain = argv[1];
	if (!strcmp(argv[0], "add") && (argc == 2 || (argc == 4 && !strcmp(argv[2], "--postmaster")))) {
		int created;
		char name[STORE_DOMAIN_MAX + 1];
		int rc = mailctl_report(m, store_admin_domain_add(m->store, domain, argc == 4 ? argv[3] : NULL, &created), domain);
		if (rc == 0 && store_domain_canonical(domain, name) == 0)
			printf("%s %s\n", name, created ? "is a local domain now" : "was a local domain already");
		return rc;
	}
	if (!strcmp(argv[0], "del") && (argc == 2 || (argc == 3 && !strcmp(argv[2], "--force"))))
		return mailctl_report(m, store_admin_domain_del(m->store, domain, argc == 3), domain);
	return EXIT_USAGE;
}

static int print_alias(void *ctx, const char *source, const char *target)
{
	(void)ctx;
	printf("%-40s %s\n", source, target);
	return 0;
}

/* alias add SOURCE TARGET... | del SOURCE [TARGET...] | list [DOMAIN] */
int mailctl_alias(struct mailctl *m, int argc, char **argv)
{
	if (argc >= 1 && argc <= 2 && !strcmp(argv[0], "list"))
		return mailctl_report(m, store_admin_alias_list(m->store, argc == 2 ? argv[1] : NULL, print_alias, NULL),
		              "alias list");
	if (argc >= 3 && !strcmp(argv[0], "add"))
		return mailctl_report_change(m, store_admin_alias_add(m->store, argv[1], (const char *const *)argv + 2,
		                                              (size_t)argc - 2), argv[1], "alias added");
	if (argc >= 2 && !strcmp(argv[0], "del"))
		return mailctl_report_change(m, store_admin_alias_del(m->store, argv[1], (const char *const *)argv + 2,
		                                              (size_t)argc - 2), argv[1], "alias removed");
	return EXIT_USAGE;
}
