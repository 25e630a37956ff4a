/* mailctl penalty: the clients that failed logins lately, and forgiving them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mailctl.h"

static int print_client(void *ctx, const struct store_penalty_info *p)
{
	(void)ctx;
	printf("%-40s %8" PRIu64 " %8" PRIu64 " %9" PRIu64 "s %9" PRIu64 "s\n", p->client, p->failures, p->accounts,
	       p->last_seconds, p->wait_seconds);
	return 0;
}

/* penalty list | penalty clear [ADDRESS] */
int mailctl_penalty(struct mailctl *m, int argc, char **argv)
{
	if (argc == 1 && !strcmp(argv[0], "list")) {
		printf("%-40s %8s %8s %10s %10s\n", "CLIENT", "FAILURES", "ADDRS", "LAST", "NEXT WAIT");
		return mailctl_report(m, store_admin_penalty_list(m->store, print_client, NULL), "penalty list");
	}
	if ((argc == 1 || argc == 2) && !strcmp(argv[0], "clear")) {
		uint64_t n = 0;
		int rc = mailctl_report(m, store_admin_penalty_clear(m->store, argc == 2 ? argv[1] : NULL, &n), "penalty clear");
		if (rc == 0)
			printf("%" PRIu64 " failed login%s forgotten%s%s\n", n, n == 1 ? "" : "s", argc == 2 ? " for " : "",
			       argc == 2 ? argv[1] : "");
		return rc;
	}
	return EXIT_USAGE;
}
