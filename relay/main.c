/* inetmail-relay: delivers the relay queue until SIGTERM (or, with --once, what is due now). */
#define _GNU_SOURCE
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "env.h"
#include "log.h"
#include "relay.h"

#define EX_USAGE 64
#define EX_CONFIG 78

int main(int argc, char **argv)
{
	int once = argc == 2 && !strcmp(argv[1], "--once");
	if (argc > 2 || (argc == 2 && !once)) {
		fprintf(stderr, "usage: inetmail-relay [--once]\n");
		return EX_USAGE;
	}
	sigset_t stop;
	relay_hold_stop_signals(&stop);
	/* the full OpenSSL start, name tables and all, before the store's lean one */
	OPENSSL_init_ssl(0, NULL);
	log_open("inetmail-relay");
	struct relay_config cfg;
	char err[512];
	if (relay_config_load(&cfg, err, sizeof err) < 0) {
		log_send(LOG_ERR, NULL, "%s", err);
		fprintf(stderr, "inetmail-relay: %s\n", err);
		return EX_CONFIG;
	}
	struct store *s = store_open();
	if (!s)
		return 75;
	int rc = relay_run(s, &cfg, &stop, (unsigned)env_ulong("INETMAIL_RELAY_POLL", RELAY_POLL_S), once);
	store_close(s);
	return rc ? 75 : 0;
}
