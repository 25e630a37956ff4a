/* libstore: the only code in inetmail that speaks SQL.
 * Connection settings come from the MySQL option file named by INETMAIL_MYCNF
 * (group [inetmail]); the connection is made on first use, or started
 * ahead of it with store_connect_start. */
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
	STORE_UNKNOWN,    /* the database went away during COMMIT (done or not, nobody can tell),
	                   * or during an answer part of which was already handed on (temporary) */
	STORE_NOT_LOCAL,  /* an address in a domain that is not one of ours */
};

#define STORE_ADDRESS_MAX 320 /* RFC 5321 4.5.3.1: 64 local + @ + 255 domain */
#define STORE_LOCAL_MAX 64
#define STORE_DOMAIN_MAX 255
#define STORE_UIDL_MAX 70     /* RFC 1939 7: 1 to 70 printable characters */
#define STORE_HASH_MAX 255    /* width of account.password_hash */

struct store;

struct store *store_open(void); /* no I/O: the database is reached on first use */
void store_close(struct store *);
/* Frees the buffers reads use (512 KiB), and what was read ahead: a session about to wait long (IDLE). */
void store_rest(struct store *);
/* Starts connecting without waiting (the client library's non-blocking API),
 * so the connect overlaps the client's first round trips; the first use
 * finishes it. Nothing happens if the start fails: first use connects then.
 * void *, as the two below: a session's hooks (session_serve). */
void store_connect_start(void *store);
/* While a started connect goes on: its descriptor, the poll(2) events it
 * waits for and how long it may wait (ms, -1 for ever); -1 when none is
 * going on. void * so a connection's poll loop can call them as hooks. */
int store_pending_fd(void *store, short *events, int *timeout_ms);
/* Takes it on a step: revents as poll(2) gave them, 0 when the wait timed out. */
void store_pending_step(void *store, short revents);
const char *store_error(const struct store *); /* last database error, for logs */
const char *store_result_name(enum store_result);
/* The name this host gives itself: INETMAIL_HOSTNAME, else gethostname(). */
const char *store_hostname(void);

/* Canonical form of an address (RFC 5321 Mailbox; UTF-8 allowed as RFC 6531
 * does): ASCII letters lowered, a quoted local part unquoted when it can be a
 * dot-string, checked for syntax and length. Returns 0, or -1 when it is no
 * valid address. */
int store_address_canonical(const char *in, char out[STORE_ADDRESS_MAX + 1]);
/* The same, where a bare local part (no "@domain") gets default_domain. */
int store_address_qualify(const char *in, const char *default_domain, char out[STORE_ADDRESS_MAX + 1]);
/* The account a login names: user as given, or a bare user name (no "@")
 * with "@" default_domain, as SMTP AUTH and POP3 both take it. */
const char *store_login_name(const char *user, const char *default_domain, char buf[STORE_ADDRESS_MAX + 2]);
/* A domain name (no address literal), lowered; 0 or -1. */
int store_domain_canonical(const char *in, char out[STORE_DOMAIN_MAX + 1]);
/* The domain of a canonical address (after its last "@"). */
const char *store_address_domain(const char *canonical);

struct store_account {
	uint64_t id;
	char address[STORE_ADDRESS_MAX + 1];
};

/* The client of this session (its address as text, IPv4 or IPv6), for the
 * failed-login penalty: after n failures from that address (IPv6: its /64)
 * in the last 15 minutes, on any handler and host, store_auth waits
 * min(2^(n-1), 15) seconds before it checks the password. Off with
 * INETMAIL_AUTH_PENALTY=0, or for addresses in INETMAIL_AUTH_PENALTY_EXEMPT
 * ("address[/bits]" separated by spaces); off too until this is called. */
void store_auth_client(struct store *, const char *peer);
/* An unknown or inactive account costs the same time as a wrong password. */
enum store_result store_auth(struct store *, const char *address, const char *password,
                             struct store_account *out);
enum store_result store_lookup(struct store *, const char *address, struct store_account *out);
/* What the account's mail takes, all folders together, and its quota (UINT64_MAX: none), in octets. */
enum store_result store_account_usage(struct store *, uint64_t account_id, uint64_t *used, uint64_t *quota);
/* Whether mail for address has somewhere to go: STORE_OK (an account, an alias
 * or a catch-all), _NOT_FOUND (none, in a local domain), _NOT_LOCAL (not one
 * of our domains), or _TEMPFAIL. */
enum store_result store_recipient(struct store *, const char *address);

/* Greylisting: a try of mail from client (its network, as ip_network gives
 * it) and sender to recipient. STORE_OK when it passes (a try came delay_s or
 * more after the first, now or before), STORE_NOT_FOUND when it is to be
 * tried again later, or STORE_TEMPFAIL. */
enum store_result store_greylist(struct store *, const char *client, const char *sender, const char *recipient,
                                 unsigned delay_s);

/* Delivery: the message streams in through write(); commit() makes it visible
 * to every existing recipient, and bounces it into the sender's mailbox for
 * every recipient that has none, in one transaction, and returns after COMMIT.
 * Content too large to hold in memory is written ahead, invisible until then. */
/* A data callback returning non-zero stops the stream. */
typedef int (*store_data_fn)(void *ctx, const void *data, size_t len);
struct store_delivery;
struct store_delivery_result {
	uint64_t queue_id;
	unsigned delivered;
	unsigned queued;
	unsigned bounced;
};
struct store_delivery *store_delivery_begin(struct store *, const char *sender /* "" = <> */);
int store_delivery_add_recipient(struct store_delivery *, const char *address); /* 0 or -1 */
/* Recipients in domains that are not ours are queued for the relay agent (in
 * the same transaction, sharing the content) instead of bounced. */
void store_delivery_relay(struct store_delivery *);
/* Into each recipient's Junk folder (special use \Junk), or INBOX when it has none. */
void store_delivery_junk(struct store_delivery *);
enum store_result store_delivery_write(struct store_delivery *, const void *data, size_t len);
/* Header fields that go before the content but are made only once it is in
 * (trace fields with the results of checks on it): head_later, right after
 * begin, keeps their place; head, before commit, gives them (CRLF ended, at
 * most STORE_HEAD_MAX octets). */
#define STORE_HEAD_MAX (32 * 1024)
void store_delivery_head_later(struct store_delivery *);
/* The content written so far, in order, for a scanner before commit; and its size. */
enum store_result store_delivery_read(struct store_delivery *, store_data_fn fn, void *ctx);
uint64_t store_delivery_size(const struct store_delivery *);
enum store_result store_delivery_head(struct store_delivery *, const void *data, size_t len);
enum store_result store_delivery_commit(struct store_delivery *, struct store_delivery_result *);
void store_delivery_free(struct store_delivery *); /* discards what was not committed */
/* Maildrop (POP3). */
struct store_entry {
	uint64_t id;
	uint64_t size;
	char uidl[STORE_UIDL_MAX + 1];
};
typedef int (*store_entry_fn)(void *ctx, const struct store_entry *);

/* The maildrop lock: taken (STORE_IN_USE when another session holds it) or
 * renewed, for ttl_seconds from now. */
enum store_result store_maildrop_lock(struct store *, uint64_t account_id, unsigned ttl_seconds);
/* Renews it at any moment, also while a read streams on this connection (a
 * RETR to a slow client): then through a second one, opened for the purpose. */
enum store_result store_maildrop_keep(struct store *, uint64_t account_id, unsigned ttl_seconds);
enum store_result store_maildrop_unlock(struct store *, uint64_t account_id);
enum store_result store_maildrop_list(struct store *, uint64_t account_id, store_entry_fn, void *ctx);
/* A message a client reads: its entry and the size the listing gave. */
struct store_entry_ref {
	uint64_t id;
	uint64_t size;
};
#define STORE_READ_AHEAD_ENTRIES 16          /* messages one read may bring (CHUNK_READ_AHEAD's list) */
#define STORE_READ_AHEAD_OCTETS (256 * 1024) /* what they may hold in memory: one chunk's worth */
/* Streams entries[0]: body_lines < 0 the whole message; else its header and
 * that many body lines (TOP). entries[1..n) are the ones the client will
 * likely read next, in order: while they fit in STORE_READ_AHEAD_OCTETS the
 * same query brings them, and reading them later costs no round trip. */
enum store_result store_maildrop_read(struct store *, uint64_t account_id, const struct store_entry_ref *entries,
                                      size_t n, long body_lines, store_data_fn, void *ctx);
/* Deletes the entries in one transaction that also confirms (and renews)
 * this session's maildrop lock: STORE_IN_USE, nothing deleted, when it ran
 * out or another session has it. */
enum store_result store_maildrop_delete(struct store *, uint64_t account_id, const uint64_t *entry_ids, size_t n,
                                        unsigned lock_ttl_seconds);

/* IMAP's mailboxes, folders here: INBOX and the special-use ones for every
 * account, and those its user makes. */
#define STORE_FOLDER_MAX 1020 /* folder.name: 255 characters of up to 4 octets */
#define STORE_FLAG_SEEN 1
#define STORE_FLAG_ANSWERED 2
#define STORE_FLAG_FLAGGED 4
#define STORE_FLAG_DELETED 8
#define STORE_FLAG_DRAFT 16
#define STORE_KEYWORDS_MAX 1000 /* mailbox_entry.keywords: a message's keywords, space-separated */
struct store_folder {
	uint64_t id;
	char name[STORE_FOLDER_MAX + 1]; /* UTF-8, "/" between levels */
	char special_use[16];            /* "\\Sent", ...; "" for none */
	int subscribed;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
	uint32_t messages, unseen, deleted; /* store_folder_status only: messages, those not \Seen, those \Deleted */
	uint64_t size;                      /* and their octets */
};
typedef int (*store_folder_fn)(void *ctx, const struct store_folder *);
enum store_result store_folder_list(struct store *, uint64_t account_id, store_folder_fn, void *ctx);
/* One folder by name: STORE_NOT_FOUND when the account has none of that name. */
enum store_result store_folder_find(struct store *, uint64_t account_id, const char *name, struct store_folder *);
/* And with its counts (a read of every entry it holds: STATUS, not SELECT). */
enum store_result store_folder_status(struct store *, uint64_t account_id, const char *name, struct store_folder *);
/* A message in a folder, as IMAP sees it; id is its entry, for store_maildrop_read. */
struct store_mail {
	uint64_t id;
	uint32_t uid;
	unsigned flags;   /* STORE_FLAG_* */
	uint64_t size, modseq;
	int64_t arrived;  /* INTERNALDATE, seconds since the epoch */
	char keywords[STORE_KEYWORDS_MAX + 1];
};
typedef int (*store_mail_fn)(void *ctx, const struct store_mail *);
/* The folder's messages in UID order; *highestmodseq what it was as they were read. */
enum store_result store_folder_mail(struct store *, uint64_t account_id, uint64_t folder_id, store_mail_fn, void *ctx,
                                    uint64_t *highestmodseq);
/* What IMAP serves of a message without its content (common/summary.h), for
 * the folder's messages with UIDs lo to hi, in UID order: fn gets each entry's
 * id and its summary (NULL when it has none yet); non-zero from fn stops it. */
typedef int (*store_summary_fn)(void *ctx, uint64_t entry_id, const char *summary, size_t len);
enum store_result store_folder_summaries(struct store *, uint64_t account_id, uint64_t folder_id, uint32_t lo,
                                         uint32_t hi, store_summary_fn, void *ctx);
/* A summary made for a message that had none, kept with its content. */
enum store_result store_summary_keep(struct store *, uint64_t account_id, uint64_t entry_id, const char *summary,
                                     size_t len);
/* Its HIGHESTMODSEQ: every change to the folder (a message in, out, or flagged) raises it. */
enum store_result store_folder_modseq(struct store *, uint64_t account_id, uint64_t folder_id, uint64_t *modseq);
/* IMAP's STORE: flags and keywords (space-separated) added (op 1), taken away
 * (-1), or put in place of a message's own (0). */
struct store_flag_change {
	int op;
	unsigned flags;
	const char *keywords;
	uint64_t unchanged_since; /* RFC 7162 UNCHANGEDSINCE: a message changed after it is left alone; 0: none */
};
/* A message's flags and keywords after a change: -1 when its keywords would
 * pass STORE_KEYWORDS_MAX. */
int store_flag_change_apply(const struct store_flag_change *, unsigned *flags, const char *keywords,
                            char out[STORE_KEYWORDS_MAX + 1]);
/* What message i of a change has now, and its MODSEQ; refused 1: left alone,
 * changed since unchanged_since; -1: expunged meanwhile. Told again, every
 * message, if the transaction is retried. */
typedef void (*store_flags_fn)(void *ctx, size_t i, unsigned flags, const char *keywords, uint64_t modseq, int refused);
/* A change to messages of a folder, applied to what each has in the database
 * (not what a session last saw), in one transaction; messages gone meanwhile
 * are left out, and fn (or NULL) hears each one's result. The changed ones
 * get *modseq. STORE_PERMFAIL: a message's keywords would pass STORE_KEYWORDS_MAX. */
enum store_result store_folder_change_flags(struct store *, uint64_t account_id, uint64_t folder_id,
                                            const uint32_t *uids, size_t n, const struct store_flag_change *,
                                            store_flags_fn, void *ctx, uint64_t *modseq);
/* Folders made, removed (with their mail), renamed (with those below them;
 * INBOX's messages move to the new name and INBOX stays, empty), subscribed:
 * STORE_PERMFAIL when the name exists already, STORE_NOT_FOUND when it does not. */
enum store_result store_folder_create(struct store *, uint64_t account_id, const char *name);
enum store_result store_folder_delete(struct store *, uint64_t account_id, const char *name);
enum store_result store_folder_rename(struct store *, uint64_t account_id, const char *from, const char *to);
enum store_result store_folder_subscribe(struct store *, uint64_t account_id, const char *name, int subscribed);
/* A COPY or MOVE: entries of the account, sizes[i] octets each. */
struct store_copy {
	const uint64_t *entry_ids, *sizes;
	size_t n;
	int move;
	unsigned char *done;             /* n of them: 1 for each copied, 0 for one expunged meanwhile */
	uint32_t first_uid, uidvalidity; /* the copies' UIDs in folder `to`, consecutive from first_uid */
};
/* Copies (move: moves) them into folder `to`, in one transaction; a copy is
 * charged to the quota (STORE_OVER_QUOTA: nothing done). */
enum store_result store_folder_copy(struct store *, uint64_t account_id, uint64_t from, uint64_t to, struct store_copy *);
/* IMAP's APPEND: a delivery (write, commit, free as above) into one folder
 * of the account of address, with flags and INTERNALDATE (0: now), charged to
 * its quota; after the commit, the UID it got there and the UIDVALIDITY. */
struct store_delivery *store_append_begin(struct store *, const char *address, uint64_t folder_id, unsigned flags,
                                          const char *keywords, int64_t date);
void store_append_uid(const struct store_delivery *, uint32_t *uid, uint32_t *uidvalidity);
/* Removes entries of the account for good (IMAP's EXPUNGE), in one transaction:
 * those still \Deleted (another session may have taken it away). gone, room
 * for n, gets the ids of all that are gone now, sorted. */
enum store_result store_folder_expunge(struct store *, uint64_t account_id, const uint64_t *entry_ids, size_t n,
                                       uint64_t *gone, size_t *n_gone);

/* Passwords: crypt(3) strings. scheme is "yescrypt", "bcrypt" or "sha512crypt". */
int store_password_hash(const char *scheme, const char *password, char out[STORE_HASH_MAX + 1]);
/* An existing hash to take over: a crypt(3) string of yescrypt ($y$), bcrypt
 * ($2b$, $2y$), sha512crypt ($6$) or sha256crypt ($5$), bare or behind a
 * Dovecot scheme prefix ({SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT},
 * {CRYPT}). 0 with the crypt string in out, or -1 with why it is refused. */
int store_password_import(const char *in, char out[STORE_HASH_MAX + 1], const char **why);

#endif
