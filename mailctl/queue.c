/* mailctl queue: what waits for the relay agent. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mailctl.h"

static int print_row(void *ctx, const struct store_queue_info *q)
{
	(void)ctx;
	char next[24];
	if (q->next_try_seconds)
		snprintf(next, sizeof next, "%" PRIu64 "s", q->next_try_seconds);
	else
		snprintf(next, sizeof next, "now");
	printf("%-10" PRIu64 " %9" PRIu64 "s %8" PRIu64 " %9s <%s> -> <%s>\n", q->id, q->age_seconds, q->attempts, next,
	       q->sender, q->recipient);
	if (q->last_answer[0])
		printf("%10s last answer: %s\n", "", q->last_answer);
	if (q->lease_owner[0])
		printf("%10s being delivered by %s, its lease for %" PRIu64 "s more\n", "", q->lease_owner,
		       q->lease_seconds);
	return 0;
}

/* queue | queue flush | queue del ID */
int mailctl_queue(struct mailctl *m, int argc, char **argv)
{
	if (argc == 0) {
		printf("%-10s %10s %8s %9s %s\n", "ID", "AGE", "ATTEMPTS", "NEXT TRY", "SENDER -> RECIPIENT");
		return mailctl_report(m, store_admin_queue_list(m->store, print_row, NULL), "queue");
	}
	if (argc == 1 && !strcmp(argv[0], "flush")) {
		uint64_t n;
		int rc = mailctl_report(m, store_admin_queue_flush(m->store, &n), "queue flush");
		if (rc == 0)
			printf("%" PRIu64 " waiting recipients are due now\n", n);
		return rc;
	}
	uint64_t id;
	if (argc == 2 && !strcmp(argv[0], "del") && number_parse(argv[1], UINT64_MAX - 1, &id) == 0)
		return mailctl_report_change(m, store_admin_queue_del(m->store, id), argv[1], "removed from the queue, bounced");
	return EXIT_USAGE;
}
