/* libstore internals shared by its files; outside libstore only white-box
 * tests include this (t/store-test.c, t/shacrypt-test.c, t/fuzz/fuzz-parsers.c). */
#ifndef INETMAIL_STORE_INTERNAL_H
#define INETMAIL_STORE_INTERNAL_H

#include <mysql.h>
#include <stdbool.h>

#include "ip.h"
#include "queries.h"
#include "store_admin.h"
#include "store_relay.h"

#define STORE_CHUNK_SIZE (256 * 1024) /* one message_chunk row: bounds every packet and buffer */
#define STORE_PARAMS_MAX 17 /* the most parameters or columns any query has (CHUNK_READ_AHEAD) */
/* A deadlock, or a Galera certification conflict on a busy mailbox, that
 * survives 8 backed-off tries (about 1.3 s in all) is load, not luck. */
#define STORE_TXN_ATTEMPTS 8
#define STORE_OWNER_MAX 64            /* width of maildrop_lock.owner */

/* Messages a read brought ahead of their RETR or FETCH (maildrop.c). An
 * entry's content never changes, so what is held stays true. */
struct read_ahead {
	uint64_t account_id;
	bool valid;               /* the query that filled it ended well */
	bool full;                /* a message did not fit: nothing after it is held */
	size_t n, used;           /* messages held; octets of buf in use */
	struct read_ahead_msg {
		uint64_t id;
		size_t offset, len;
	} msg[STORE_READ_AHEAD_ENTRIES];
	unsigned char *buf;       /* STORE_READ_AHEAD_OCTETS, lazily allocated */
};

#define DB_GROUP_MAX 64               /* the length of one option-file group's name */

/* A connect started ahead of need (store_connect_start), on the client
 * library's non-blocking API. */
struct connecting {
	MYSQL *db;                /* the handle while the connect goes on; then NULL */
	int wait;                 /* MYSQL_WAIT_* it waits for */
	char group[DB_GROUP_MAX + 1]; /* the one it tries, for the error message */
	bool unchecked;           /* done, not yet looked at by store_connect (node sync state) */
	bool failed;              /* done, and it failed: the first node was tried */
};

struct store {
	MYSQL *db;                /* NULL until connected, and again after a lost connection */
	struct connecting connecting;
	MYSQL_STMT *stmt[Q_COUNT];
	char fresh[Q_COUNT];      /* stmt[q] not prepared yet: its first run prepares it */
	unsigned err_no;          /* last server or client error number, 0 if none */
	char err[512];  /* the option file, the group and the client library's words */
	char owner[STORE_OWNER_MAX + 1]; /* this session's maildrop lock owner */
	unsigned next_group;      /* the INETMAIL_DB_GROUPS entry to try first (modulo their number) */
	bool causal;              /* reads on this connection wait for what other nodes committed */
	char client[IP_TEXT_MAX]; /* the client's key for the login penalty ("" when off) */
	unsigned char *chunk;     /* STORE_CHUNK_SIZE bytes, for streaming out; lazily allocated */
	struct read_ahead ahead;
	bool streaming;           /* a read's result is still coming in on db: no other query fits */
	MYSQL_STMT *bound;        /* the statement whose result store_q_fetch bound last, to bound_to */
	MYSQL_BIND bound_to[STORE_PARAMS_MAX];
	struct store *keeper;     /* a second connection that renews the maildrop lock meanwhile, or NULL */
	long lease_renewed;       /* when the relay lease was last taken or renewed (clock_ms) */
};

/* Statement helpers. A type string names each parameter or column in order:
 *   'u' uint64_t (a NULL column reads as UINT64_MAX)
 *   'n' uint64_t parameter where UINT64_MAX binds NULL
 *   's' parameter: const char *; column: char *buf, size_t cap (NUL-terminated)
 *   'b' parameter: const void *, size_t (a NULL pointer binds NULL); column: void *buf, size_t cap,
 *       size_t *len
 * store_q_exec returns the executed statement or NULL (error recorded in the store).
 * store_q_fetch returns 1 for a row, 0 at the end (result freed), -1 on error. */
MYSQL_STMT *store_q_exec(struct store *, enum query_id, const char *types, ...);
int store_q_fetch(struct store *, MYSQL_STMT *, const char *types, ...);
void store_q_end(MYSQL_STMT *);             /* discards the rest of a result */
/* After store_q_fetch of a query expected to give one row: STORE_OK (the rest of
 * the result discarded), none when it gave no row, STORE_TEMPFAIL on error. */
enum store_result store_q_one(MYSQL_STMT *, int fetched, enum store_result none);
/* How a loop that handed rows to its caller ends, rc from its last store_q_fetch:
 * STORE_UNKNOWN when it had handed some and then failed, so that store_read
 * does not run it again on another node and hand them twice. */
enum store_result store_q_rows(int rc, uint64_t handed);
uint64_t store_q_affected(MYSQL_STMT *);
uint64_t store_q_insert_id(MYSQL_STMT *);

int store_connect(struct store *);    /* 0, or -1 with the error recorded */
void store_fail(struct store *, unsigned err_no, const char *msg);
/* Why an administrative request is refused, for mailctl to print as it is. */
void store_refuse(struct store *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *store_query_sql(enum query_id);

/* Runs body in a transaction, committing when it returns STORE_OK and retrying
 * the whole body on deadlock or lock-wait timeout. */
typedef enum store_result (*store_txn_body)(struct store *, void *ctx);
enum store_result store_txn(struct store *, store_txn_body, void *ctx);

/* Runs a read-only body without a COMMIT round trip: plain reads in READ
 * COMMITTED take no locks and cannot deadlock. A body that fails with
 * STORE_TEMPFAIL because the node went away runs again on the next one. */
enum store_result store_read(struct store *, store_txn_body, void *ctx);

/* Writes len bytes as message_chunk rows of message_id; inside a transaction. */
enum store_result store_put_chunks(struct store *, uint64_t message_id, uint32_t *seq,
                                   const void *data, size_t len);
/* Removes a message's content once no mailbox entry refers to it. */
enum store_result store_drop_if_unreferenced(struct store *, uint64_t message_id);
/* The same in a transaction of its own. */
enum store_result store_drop_content(struct store *, uint64_t message_id);
/* Calls fn for each entry of an account, in arrival order; inside a transaction. */
/* list: Q_ENTRY_LIST (POP3's maildrop, INBOX) or Q_ENTRY_LIST_ALL (every folder) */
enum store_result store_each_entry(struct store *, enum query_id list, uint64_t account_id, store_entry_fn, void *ctx);
/* Locks the account's row: the first lock of every transaction that changes
 * its mail (lock order: account, entries, messages). 0, or -1 on error. */
int store_lock_account(struct store *, uint64_t account_id);
/* Deletes entries of one account: content goes with its last entry; the caller
 * holds the transaction. With need_flags, only entries that have them all now;
 * gone (room for n, or NULL) gets the ids no longer there, sorted. */
enum store_result store_delete_entries(struct store *, uint64_t account_id, const uint64_t *entry_ids, size_t n,
                                       unsigned need_flags, uint64_t *gone, size_t *n_gone);

/* Makes a domain local (created: it was not); inside a transaction. */
enum store_result store_add_domain(struct store *, const char *domain, int *created);
/* Points postmaster@domain at its first account when it leads nowhere. */
enum store_result store_postmaster_fix(struct store *, const char *domain);
/* An account with its mail, lock and the aliases that lead to it. */
enum store_result store_delete_account(struct store *, uint64_t id, const char *address);

/* The login penalty (penalty.c): the account and this client's failures in
 * the last 15 minutes, all of them and those for this address; then waiting,
 * and recording the outcome (a failure; or a success after failures, which
 * clears that address's ones only). */
enum store_result store_penalty_lookup(struct store *, const char *address, uint64_t *id,
                                       char hash[STORE_HASH_MAX + 1], uint64_t *failures, uint64_t *mine);
void store_penalty_wait(uint64_t failures);
void store_penalty_record(struct store *, const char *address, int succeeded);

/* The active account with this canonical address: STORE_OK, _NOT_FOUND or _TEMPFAIL. */
/* A bounce into an account's mailbox (its charge is the caller's). */
enum store_result store_folder_defaults(struct store *, uint64_t account_id);
/* Entry ids gathered to delete them together (store_delete_entries). */
struct store_id_list {
	uint64_t *ids;
	size_t n, cap;
};
int store_id_list_add(struct store_id_list *, uint64_t id); /* 0, or -1 out of memory */
enum store_result store_bounce_put(struct store *, uint64_t account_id, const char *bounce, size_t len,
                                   uint64_t *message_id);
enum store_result store_find_account(struct store *, const char *address, uint64_t *id,
                                     char hash[STORE_HASH_MAX + 1]);
int store_verify_password(const char *password, const char *hash);
/* SHA-crypt ($5$, $6$) of key with setting (a whole hash will do) into out,
 * as crypt(3) computes it, on OpenSSL's SHA-2: 0, or -1 for a setting it
 * leaves to crypt(3) (not canonical, or out of the specification's bounds). */
int store_shacrypt(const char *key, const char *setting, char *out, size_t cap);

/* Recipients (resolve.c). An alias may lead to another, this deep at most:
 * deeper chains and loops are refused when made, and cut short when read. */
#define STORE_ALIAS_DEPTH_MAX 8
struct store_account_set { /* distinct account ids */
	uint64_t *ids;
	size_t n, cap;
};
int store_account_set_add(struct store_account_set *, uint64_t id); /* 0, or -1: out of memory */
struct store_address_list {
	char (*addr)[STORE_ADDRESS_MAX + 1];
	size_t n, cap;
};
/* The targets of an alias source ("local@domain", or "@domain" for a catch-all). */
enum store_result store_alias_targets(struct store *, const char *source, struct store_address_list *);
/* STORE_OK when the domain is one of ours, else STORE_NOT_LOCAL (or _TEMPFAIL). */
enum store_result store_domain_is_local(struct store *, const char *domain);
/* Adds the active accounts a canonical address reaches to the set: STORE_OK
 * (some), _NOT_FOUND (a local domain, nobody), _NOT_LOCAL, or _TEMPFAIL. */
enum store_result store_resolve(struct store *, const char *address, struct store_account_set *);
void store_random_hex(char *out, size_t bytes); /* writes 2*bytes hex digits and a NUL */
/* A fresh lease owner name (host:pid:random): the session's, or one relay claim's. */
void store_new_owner(struct store *s);

#endif
