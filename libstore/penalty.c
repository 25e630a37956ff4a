/* Password guessing slowed across connections, handlers and hosts: failed
 * logins per client address live in auth_failure, and a client with recent
 * failures waits before its next password is even checked. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define PENALTY_WINDOW_S 900 /* failures older than 15 minutes are forgiven */
#define PENALTY_MAX_S 15     /* the longest wait: costly for a guesser, bearable for a typo */

/* An address and its family; IPv4-mapped IPv6 counts as the IPv4 it maps. */
static int parse_ip(const char *text, unsigned char out[16], int *family)
{
	if (inet_pton(AF_INET, text, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out) != 1)
		return -1;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(out, mapped, sizeof mapped)) {
		memmove(out, out + 12, 4);
		*family = AF_INET;
	} else {
		*family = AF_INET6;
	}
	return 0;
}

/* Whether addr is in one of the space-separated "address[/bits]" of list. */
static int exempt(const unsigned char addr[16], int family, const char *list)
{
	char item[64];
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, " \t,");
		if (len && len < sizeof item) {
			memcpy(item, p, len);
			item[len] = '\0';
			char *slash = strchr(item, '/');
			unsigned char net[16];
			int net_family;
			if (slash)
				*slash = '\0';
			if (parse_ip(item, net, &net_family) == 0 && net_family == family) {
				int max = family == AF_INET ? 32 : 128, bits = slash ? atoi(slash + 1) : max;
				if (bits >= 0 && bits <= max && !memcmp(addr, net, (size_t)bits / 8) &&
				    (bits % 8 == 0 || !((addr[bits / 8] ^ net[bits / 8]) & (0xff << (8 - bits % 8)))))
					return 1;
			}
		}
		p += len;
		p += strspn(p, " \t,");
	}
	return 0;
}

/* The key of a client's failures: the IPv4 address, or the IPv6 /64. 0, or -1 for no address. */
static int client_key(const char *peer, char out[64], unsigned char addr[16], int *family)
{
	if (!peer || parse_ip(peer, addr, family) < 0)
		return -1;
	if (*family == AF_INET) {
		inet_ntop(AF_INET, addr, out, 64);
		return 0;
	}
	unsigned char net[16];
	memcpy(net, addr, 8);
	memset(net + 8, 0, 8); /* IPv6 by /64: one site's addresses, one account of failures */
	inet_ntop(AF_INET6, net, out, 64 - 3);
	strcat(out, "/64");
	return 0;
}

void store_auth_client(struct store *s, const char *peer)
{
	unsigned char addr[16];
	int family;
	const char *on = getenv("INETMAIL_AUTH_PENALTY");
	if ((on && !strcmp(on, "0")) || client_key(peer, s->client, addr, &family) < 0 ||
	    exempt(addr, family, getenv("INETMAIL_AUTH_PENALTY_EXEMPT")))
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
	char key[64];
	unsigned char addr[16];
	int family;
	if (address && client_key(address, key, addr, &family) < 0) {
		store_refuse(s, "%s: not an IP address", address);
		return STORE_PERMFAIL;
	}
	struct penalty_clear_args a = {address ? key : NULL, 0};
	enum store_result r = store_txn(s, penalty_clear_body, &a);
	*n = a.n;
	return r;
}
