/* libstore: the only code in inetmail that speaks SQL.
 * Connection settings come from the MySQL option file named by INETMAIL_MYCNF
 * (group [inetmail]); the connection is made lazily, on first use. */
#ifndef INETMAIL_STORE_H
#define INETMAIL_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_result {
	STORE_OK,         /* done; for a write, committed */
	STORE_TEMPFAIL,   /* database unreachable, or still deadlocked after retries */
	STORE_PERMFAIL,   /* the request can never succeed as it is */
	STORE_NOT_FOUND,  /* no such active account, entry or message */
	STORE_DENIED,     /* wrong credentials */
	STORE_IN_USE,     /* the maildrop is locked by another live session */
	STORE_OVER_QUOTA, /* a recipient's quota would be exceeded (temporary) */
	STORE_UNKNOWN,    /* the database went away during COMMIT: done or not, nobody can tell */
};

#define STORE_ADDRESS_MAX 320 /* RFC 5321 4.5.3.1: 64 local + @ + 255 domain */
#define STORE_LOCAL_MAX 64
#define STORE_DOMAIN_MAX 255
#define STORE_UIDL_MAX 70     /* RFC 1939 7: 1 to 70 printable characters */
#define STORE_HASH_MAX 255    /* width of account.password_hash */

struct store;

struct store *store_open(void); /* no I/O: the database is reached on first use */
void store_close(struct store *);
const char *store_error(const struct store *); /* last database error, for logs */
const char *store_result_name(enum store_result);
/* The name this host gives itself: INETMAIL_HOSTNAME, else gethostname(). */
const char *store_hostname(void);

/* Canonical form of an address: ASCII letters lowered, checked for shape and
 * length. Returns 0, or -1 when it is no valid address. */
int store_address_canonical(const char *in, char out[STORE_ADDRESS_MAX + 1]);

struct store_account {
	uint64_t id;
	char address[STORE_ADDRESS_MAX + 1];
};

/* An unknown or inactive account costs the same time as a wrong password. */
enum store_result store_auth(struct store *, const char *address, const char *password,
                             struct store_account *out);
enum store_result store_lookup(struct store *, const char *address, struct store_account *out);

/* Delivery: the message streams in through write(); commit() makes it visible
 * to every existing recipient, and bounces it into the sender's mailbox for
 * every recipient that has none, in one transaction, and returns after COMMIT.
 * Content too large to hold in memory is written ahead, invisible until then. */
struct store_delivery;
struct store_delivery_result {
	uint64_t queue_id;
	unsigned delivered;
	unsigned bounced;
};
struct store_delivery *store_delivery_begin(struct store *, const char *sender /* "" = <> */);
int store_delivery_add_recipient(struct store_delivery *, const char *address); /* 0 or -1 */
enum store_result store_delivery_write(struct store_delivery *, const void *data, size_t len);
enum store_result store_delivery_commit(struct store_delivery *, struct store_delivery_result *);
void store_delivery_free(struct store_delivery *); /* discards what was not committed */

/* Maildrop (POP3). A data callback returning non-zero stops the stream. */
struct store_entry {
	uint64_t id;
	uint64_t size;
	char uidl[STORE_UIDL_MAX + 1];
};
typedef int (*store_entry_fn)(void *ctx, const struct store_entry *);
typedef int (*store_data_fn)(void *ctx, const void *data, size_t len);

enum store_result store_maildrop_lock(struct store *, uint64_t account_id, unsigned ttl_seconds);
enum store_result store_maildrop_unlock(struct store *, uint64_t account_id);
enum store_result store_maildrop_list(struct store *, uint64_t account_id, store_entry_fn, void *ctx);
/* body_lines < 0: the whole message; else its header and that many body lines (TOP). */
enum store_result store_maildrop_read(struct store *, uint64_t account_id, uint64_t entry_id,
                                      long body_lines, store_data_fn, void *ctx);
enum store_result store_maildrop_delete(struct store *, uint64_t account_id,
                                        const uint64_t *entry_ids, size_t n);

/* Passwords: crypt(3) strings. scheme is "yescrypt", "bcrypt" or "sha512crypt". */
int store_password_hash(const char *scheme, const char *password, char out[STORE_HASH_MAX + 1]);

/* Administration (mailctl). */
struct store_account_info {
	char address[STORE_ADDRESS_MAX + 1];
	int active;
	uint64_t quota_bytes; /* UINT64_MAX: no quota */
	uint64_t used_bytes;
	uint64_t messages;
};
typedef int (*store_account_fn)(void *ctx, const struct store_account_info *);

enum store_result store_admin_add(struct store *, const char *address, const char *hash);
enum store_result store_admin_set_password(struct store *, const char *address, const char *hash);
enum store_result store_admin_set_quota(struct store *, const char *address, uint64_t quota_bytes);
enum store_result store_admin_set_active(struct store *, const char *address, int active);
enum store_result store_admin_delete(struct store *, const char *address);
enum store_result store_admin_list(struct store *, store_account_fn, void *ctx);
/* Removes content left invisible (refs = 0) for longer than min_age_seconds. */
enum store_result store_admin_gc(struct store *, unsigned min_age_seconds, uint64_t *removed);
/* Brings the schema to the newest version found in sql_dir (schema.sql into
 * an empty database, then migrations/NNNN_*.sql above the current version). */
enum store_result store_admin_migrate(struct store *, const char *sql_dir, unsigned *from, unsigned *to);

#endif
