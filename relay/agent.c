/* The agent's loop: claim what is due, deliver it, sleep when nothing is. */
#define _GNU_SOURCE
#include <signal.h>
#include <time.h>

#include "log.h"
#include "relay.h"

/* SIGTERM and SIGINT stay blocked: a delivery under way is never cut short,
 * and they are looked at only between deliveries and while sleeping. */
static int asked_to_stop(const sigset_t *stop, unsigned sleep_seconds)
{
	struct timespec t = {.tv_sec = sleep_seconds};
	if (sleep_seconds)
		return sigtimedwait(stop, NULL, &t) > 0;
	sigset_t pending;
	sigpending(&pending);
	return sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT);
}

void relay_hold_stop_signals(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	sigprocmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int relay_run(struct store *s, const struct relay_config *cfg, const sigset_t *stop, unsigned poll_seconds, int once)
{
	struct store_relay_claim c = {0};
	int failed = 0;
	while (!asked_to_stop(stop, 0)) {
		enum store_result r = store_relay_claim(s, cfg->lease, &c);
		if (r == STORE_OK) {
			relay_deliver(s, cfg, &c);
			continue;
		}
		if (r != STORE_NOT_FOUND) {
			log_send(LOG_ERR, NULL, "claiming from the queue: %s: %s", store_result_name(r), store_error(s));
			failed = 1;
		}
		if (once || asked_to_stop(stop, poll_seconds))
			break;
	}
	store_relay_claim_free(&c);
	return once && failed; /* running on, a database that went away is no failure to stop with */
}
