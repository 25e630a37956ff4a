/* IMAP4rev1 (RFC 3501, with RFC 9051's clarifications) as a pure state
 * machine: fed input, it emits responses into an outbuf and reaches the mail
 * store only through the backend below. No I/O, no SQL. */
#ifndef INETMAIL_IMAP_H
#define INETMAIL_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "outbuf.h"
#include "session.h"
#include "store.h"

#define IMAP_COMMAND_MAX (64 * 1024) /* a command with its literals: APPEND aside, none needs more */
#define IMAP_TAG_MAX 64              /* tags are short; a longer one is no client's */
#define IMAP_BAD_COMMANDS_MAX 20     /* then BYE, as the other handlers do */
#define IMAP_AUTH_FAILURES_MAX 3     /* the third failed login closes the session */
#define IMAP_AUTH_DELAY_MS 500       /* failed login n waits n times this before its reply */
#define IMAP_HEADER_MAX (256 * 1024) /* a header served alone (BODY[HEADER]) is held whole: bounded */
#define IMAP_KEYWORDS_MAX 56 /* keywords one folder's session knows: bits 8 to 63 of a message's flags */
#define IMAP_KEYWORD_LEN 64  /* a keyword's length: "$Forwarded", "Junk", "$label1" are short */
#define IMAP_IDLE_POLL_MS 1000 /* IDLE looks at the folder this often: a delivery shows within 2 s */
#define IMAP_APPEND_MAX (64 * 1024 * 1024) /* an APPENDed message: what SMTP takes in at most, by default */

struct imap_config {
	const char *domain;  /* a bare user name logs in there */
	int plaintext_auth;  /* LOGIN and AUTHENTICATE allowed without TLS */
	int tls_available;   /* STARTTLS offered */
};

struct imap_backend {
	void *ctx;
	enum store_result (*auth)(void *ctx, const char *user, const char *password, struct store_account *out);
	enum store_result (*folders)(void *ctx, uint64_t account_id, store_folder_fn, void *fn_ctx);
	enum store_result (*folder)(void *ctx, uint64_t account_id, const char *name, struct store_folder *out);
	/* The same with its messages counted (STATUS) */
	enum store_result (*status)(void *ctx, uint64_t account_id, const char *name, struct store_folder *out);
	enum store_result (*mail)(void *ctx, uint64_t account_id, uint64_t folder_id, store_mail_fn, void *fn_ctx,
	                          uint64_t *highestmodseq);
	/* Streams entries[0]: whole (body_lines < 0) or its header alone (0); the rest, those likely read next. */
	enum store_result (*read)(void *ctx, uint64_t account_id, const struct store_entry_ref *entries, size_t n,
	                          long body_lines, store_data_fn, void *fn_ctx);
	enum store_result (*change_flags)(void *ctx, uint64_t account_id, uint64_t folder_id, const uint32_t *uids,
	                                  size_t n, const struct store_flag_change *, store_flags_fn, void *fn_ctx,
	                                  uint64_t *modseq);
	/* gone: room for n, gets the ids of those no longer there, sorted */
	enum store_result (*expunge)(void *ctx, uint64_t account_id, const uint64_t *entry_ids, size_t n, uint64_t *gone,
	                             size_t *n_gone);
	void (*delay)(void *ctx, unsigned ms);
	void (*logged)(void *ctx, const char *event, const char *detail);
	enum store_result (*create)(void *ctx, uint64_t account_id, const char *name);
	enum store_result (*remove)(void *ctx, uint64_t account_id, const char *name);
	enum store_result (*rename)(void *ctx, uint64_t account_id, const char *from, const char *to);
	enum store_result (*subscribe)(void *ctx, uint64_t account_id, const char *name, int subscribed);
	enum store_result (*modseq)(void *ctx, uint64_t account_id, uint64_t folder_id, uint64_t *modseq);
	enum store_result (*copy)(void *ctx, uint64_t account_id, uint64_t from, uint64_t to, struct store_copy *);
	/* APPEND: begin (0, or -1), the message's octets, then commit or abort; one at a time. */
	int (*append_begin)(void *ctx, const char *address, uint64_t folder_id, unsigned flags, const char *keywords,
	                    int64_t date);
	enum store_result (*append_write)(void *ctx, const void *data, size_t len);
	enum store_result (*append_commit)(void *ctx, uint32_t *uid, uint32_t *uidvalidity);
	void (*append_abort)(void *ctx);
	/* What FETCH serves without the content (common/summary.h), for UIDs lo to hi; and one made, kept. */
	enum store_result (*summaries)(void *ctx, uint64_t account_id, uint64_t folder_id, uint32_t lo, uint32_t hi,
	                               store_summary_fn, void *fn_ctx);
	enum store_result (*keep_summary)(void *ctx, uint64_t account_id, uint64_t entry_id, const char *summary,
	                                  size_t len);
	/* The session waits (IDLE): what memory reads held may go. */
	void (*rest)(void *ctx);
	/* The account's mail, all folders, and its quota (UINT64_MAX: none), in octets. */
	enum store_result (*usage)(void *ctx, uint64_t account_id, uint64_t *used, uint64_t *quota);
};

enum imap_state {
	IMAP_NOT_AUTHENTICATED, /* RFC 9051 3.1 */
	IMAP_AUTHENTICATED,
	IMAP_SELECTED,
	IMAP_AUTHENTICATING,    /* AUTHENTICATE: waiting for the client's response line */
	IMAP_IDLE,              /* RFC 2177: changes reported as they come, until DONE */
	IMAP_STARTTLS,          /* OK sent: the handler must start TLS, then imap_tls_started */
	IMAP_LOGOUT,            /* the session is over: the handler exits */
};

struct imap_message { /* the selected folder as this session knows it: sequence number = index + 1 */
	uint64_t id;
	uint32_t uid;
	uint64_t flags; /* STORE_FLAG_*, and bit 8 + i for the session's keyword i */
	uint64_t size, modseq;
	int64_t arrived;
};

struct imap_session {
	const struct imap_config *cfg;
	const struct imap_backend *be;
	struct outbuf *out;
	enum imap_state state;
	int tls;
	char *cmd;              /* the command being assembled, literals included: IMAP_COMMAND_MAX + 1 */
	size_t cmd_len;
	int cmd_too_long;       /* it outgrew cmd: its end is awaited, then refused */
	uint64_t literal_left;  /* octets of a literal still to come */
	uint64_t append_left;   /* octets of an APPEND's message still to come, streamed to the store */
	int appending;          /* an APPEND is under way: its tag in tag */
	int append_utf8;        /* its message came as UTF8 (~{n}...): a ")" after it (RFC 6855 4) */
	enum store_result append_result; /* sticky: the first write the store refused */
	const char *append_refused; /* the APPEND is refused (its literal discarded): the tagged reply to give */
	const char *append_refused_status; /* and its status, "BAD" or "NO" */
	uint64_t append_folder; /* where it goes */
	char tag[IMAP_TAG_MAX + 1]; /* of the AUTHENTICATE, APPEND or IDLE under way */
	enum imap_state idle_from;  /* the state IDLE returns to */
	struct store_account account;
	struct store_folder folder;
	int read_only;          /* EXAMINE */
	char keywords[IMAP_KEYWORDS_MAX][IMAP_KEYWORD_LEN + 1]; /* the selected folder's, as met */
	size_t n_keywords;
	size_t keywords_told;   /* how many of them the last FLAGS named */
	struct imap_message *msgs;
	size_t n_msgs, cap_msgs;
	uint64_t highestmodseq;
	int condstore;          /* RFC 7162: enabled, so MODSEQ goes with the FETCH responses of changes */
	int qresync;            /* RFC 7162 3.2: enabled, so expunges are told as VANISHED, with UIDs */
	int utf8_accept;        /* RFC 6855: enabled, so mailbox names are UTF-8, not modified UTF-7 */
	int rev2;               /* IMAP4rev2 enabled (RFC 9051): ESEARCH for SEARCH, no RECENT, UTF-8 names */
	int auth_login;         /* AUTHENTICATE LOGIN: 1 waiting for the user name, 2 for the password; 0 PLAIN */
	char auth_user[STORE_ADDRESS_MAX + 1]; /* the user name LOGIN was given */
	unsigned auth_failures, bad_commands;
	unsigned fetched;       /* messages whose content went out, for the summary line */
	uint64_t fetched_bytes;
	unsigned expunged;
	const char *ended;      /* why the machine closed itself: "logout", "errors", ... */
};

int imap_init(struct imap_session *, const struct imap_config *, const struct imap_backend *, struct outbuf *);
void imap_free(struct imap_session *);
void imap_start(struct imap_session *); /* the greeting */
size_t imap_input(struct imap_session *, const char *data, size_t len); /* octets consumed */
void imap_timeout(struct imap_session *);
void imap_tls_started(struct imap_session *);
void imap_eof(struct imap_session *);
/* The connection's timer, every IMAP_IDLE_POLL_MS: while IDLE, what changed in the folder. */
void imap_idle_poll(struct imap_session *);
struct session_machine imap_machine(struct imap_session *);

#endif
