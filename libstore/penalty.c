/* Password guessing slowed across connections, handlers and hosts: failed
 * logins per client address live in auth_failure, and a client with recent
 * failures waits before its next password is even checked. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "ip.h"

#define PENALTY_WINDOW_S 900 /* failures older than 15 minutes are forgiven */
#define PENALTY_MAX_S 15     /* the longest wait: costly for a guesser, bearable for a typo */

/* The key of a client's failures: the IPv4 address, or the IPv6 /64 (one
 * site's addresses, one account of failures). 0, or -1 for no address. */
static int client_key(const char *peer, char out[IP_TEXT_MAX], struct ip *ip)
{
	if (ip_parse(peer, ip) < 0)
		return -1;
	ip_network(ip, 32, 64, out);
	return 0;
}

void store_auth_client(struct store *s, const char *peer)
{
	struct ip ip;
	const char *on = getenv("INETMAIL_AUTH_PENALTY");
	if ((on && !strcmp(on, "0")) || client_key(peer, s->client, &ip) < 0 ||
	    ip_in_list(&ip, getenv("INETMAIL_AUTH_PENALTY_EXEMPT")))
		s->client[0] = '\0';
}

/* min(2^(n-1), 15) seconds after n failures; none after none. */
static unsigned penalty_seconds(uint64_t failures)
{
	if (!failures)
		return 0;
	return failures > 4 ? PENALTY_MAX_S : 1u << (failures - 1); /* 1, 2, 4, 8, then 15 */
}

struct penalty_args {
	const char *client, *address;
	uint64_t id;
	char *hash;
	uint64_t failures, mine;
};

static enum store_result lookup_body(struct store *s, void *ctx)
{
	struct penalty_args *a = ctx;
	MYSQL_STMT *st = store_q_exec(s, Q_AUTH_LOOKUP, "sssussu", a->address, a->address, a->client,
	                        (uint64_t)PENALTY_WINDOW_S, a->client, a->address, (uint64_t)PENALTY_WINDOW_S);
	int rc = st ? store_q_fetch(s, st, "usuu", &a->id, a->hash, (size_t)STORE_HASH_MAX + 1, &a->failures, &a->mine) : -1;
	if (rc <= 0)
		return STORE_TEMPFAIL;
	store_q_end(st);
	return a->id == UINT64_MAX ? STORE_NOT_FOUND : STORE_OK;
}

enum store_result store_penalty_lookup(struct store *s, const char *address, uint64_t *id,
                                       char hash[STORE_HASH_MAX + 1], uint64_t *failures, uint64_t *mine)
{
	struct penalty_args a = {.client = s->client, .address = address, .hash = hash};
	enum store_result r = store_read(s, lookup_body, &a);
	*id = a.id;
	*failures = a.failures;
	*mine = a.mine;
	return r;
}

static enum store_result failed_body(struct store *s, void *ctx)
{
	struct penalty_args *a = ctx;
	return store_q_exec(s, Q_AUTH_FAILURE_INSERT, "ss", a->client, a->address) &&
	               store_q_exec(s, Q_AUTH_FAILURE_EXPIRE, "u", (uint64_t)PENALTY_WINDOW_S)
	           ? STORE_OK
	           : STORE_TEMPFAIL;
}

static enum store_result cleared_body(struct store *s, void *ctx)
{
	struct penalty_args *a = ctx;
	return store_q_exec(s, Q_AUTH_FAILURE_CLEAR, "ss", a->client, a->address) ? STORE_OK : STORE_TEMPFAIL;
}

void store_penalty_record(struct store *s, const char *address, int succeeded)
{
	struct penalty_args a = {.client = s->client, .address = address};
	/* Best effort: a database that cannot take it must not turn a login into an error. */
	store_txn(s, succeeded ? cleared_body : failed_body, &a);
}

void store_penalty_wait(uint64_t failures)
{
	struct timespec ts = {penalty_seconds(failures), 0};
	while (ts.tv_sec && nanosleep(&ts, &ts) < 0)
		;
}

struct penalty_list_args {
	store_penalty_fn fn;
	void *ctx;
};

static enum store_result penalty_list_body(struct store *s, void *ctx)
{
	struct penalty_list_args *a = ctx;
	struct store_penalty_info i;
	MYSQL_STMT *st = store_q_exec(s, Q_PENALTY_LIST, "u", (uint64_t)PENALTY_WINDOW_S);
	if (!st)
		return STORE_TEMPFAIL;
	int rc;
	uint64_t handed;
	for (handed = 0; (rc = store_q_fetch(s, st, "suuu", i.client, sizeof i.client, &i.failures, &i.last_seconds,
	                                    &i.accounts)) > 0; handed++) {
		i.wait_seconds = penalty_seconds(i.failures);
		if (a->fn(a->ctx, &i)) {
			store_q_end(st);
			return STORE_PERMFAIL;
		}
	}
	return store_q_rows(rc, handed);
}

enum store_result store_admin_penalty_list(struct store *s, store_penalty_fn fn, void *ctx)
{
	struct penalty_list_args a = {fn, ctx};
	return store_read(s, penalty_list_body, &a);
}

struct penalty_clear_args {
	const char *client; /* NULL: all */
	uint64_t n;
};

static enum store_result penalty_clear_body(struct store *s, void *ctx)
{
	struct penalty_clear_args *a = ctx;
	MYSQL_STMT *st = a->client ? store_q_exec(s, Q_PENALTY_CLEAR, "s", a->client) : store_q_exec(s, Q_PENALTY_CLEAR_ALL, "");
	if (!st)
		return STORE_TEMPFAIL;
	a->n = store_q_affected(st);
	return STORE_OK;
}

enum store_result store_admin_penalty_clear(struct store *s, const char *address, uint64_t *n)
{
	char key[IP_TEXT_MAX];
	struct ip ip;
	if (address && client_key(address, key, &ip) < 0) {
		store_refuse(s, "%s: not an IP address", address);
		return STORE_PERMFAIL;
	}
	struct penalty_clear_args a = {address ? key : NULL, 0};
	enum store_result r = store_txn(s, penalty_clear_body, &a);
	*n = a.n;
	return r;
}
