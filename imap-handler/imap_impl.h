/* Inside the IMAP machine: shared by command.c (input, parsing, the session
 * and its commands before a folder is selected), mailbox.c (the rest),
 * fetch.c, search.c, seqset.c and append.c. */
#ifndef INETMAIL_IMAP_IMPL_H
#define INETMAIL_IMAP_IMPL_H

#include "imap.h"

/* Where a command's arguments are read from: p up to end (literals inside). */
struct imap_cursor {
	char *p, *end;
};

#define IMAP_WORD_MAX 32 /* an atom where a name or number is due: "UNCHANGEDSINCE", 20 digits fit */
/* Each takes one space, then its token; -1 (cursor anywhere) when there is none. */
int imap_take_atom(struct imap_cursor *, char *out, size_t cap);
int imap_take_token(struct imap_cursor *, char *out, size_t cap, const char *also); /* an atom that may hold also's */
int imap_take_astring(struct imap_cursor *, char *out, size_t cap);
/* A mailbox name (or LIST pattern: also % and *), in UTF-8 as the store keeps it; INBOX in any case is INBOX. */
int imap_take_mailbox(struct imap_session *, struct imap_cursor *, char *out, size_t cap);
int imap_take_list_pattern(struct imap_session *, struct imap_cursor *, char *out, size_t cap);
int imap_at_end(const struct imap_cursor *);
int imap_take_tag(struct imap_cursor *, char *out, size_t cap); /* at the line's start: no space before it */
/* Flags after a space: "(" flag* ")", or (STORE's other form) flags to the end;
 * keywords become bits of the session's table (new ones added). */
int imap_take_flags(struct imap_session *, struct imap_cursor *, uint64_t *flags);
#define IMAP_SYSTEM_FLAGS 0xffu /* the bits of STORE_FLAG_*: the rest are keywords */
/* A message's keywords as the store keeps them: space-separated. */
void imap_keywords_text(const struct imap_session *, uint64_t flags, char *out, size_t cap);
#define FLAGS_TEXT_MAX (IMAP_KEYWORDS_MAX * (IMAP_KEYWORD_LEN + 1) + 64) /* every flag and keyword named */
/* A message's flags as FETCH FLAGS shows them: system flags, then keywords. */
void imap_flags_text(const struct imap_session *, uint64_t flags, char *out, size_t cap);

void imap_tagged(struct imap_session *, const char *tag, const char *status, const char *text);
void imap_untagged(struct imap_session *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void imap_bad(struct imap_session *, const char *tag, const char *text); /* counts toward the limit */
/* Why a command is refused: each a tagged NO with its response code (RFC 5530), from one table. */
enum imap_no {
	IMAP_NO_UNAVAILABLE, IMAP_NO_NONEXISTENT, IMAP_NO_TRYCREATE, IMAP_NO_READ_ONLY, IMAP_NO_EXISTS,
	IMAP_NO_INBOX_EXISTS, IMAP_NO_INBOX_STAYS, IMAP_NO_OVERQUOTA, IMAP_NO_COPY_OVERQUOTA, IMAP_NO_KEYWORDS,
	IMAP_NO_TOOBIG, IMAP_NO_PRIVACY, IMAP_NO_AUTH_FAILED, IMAP_NO_ONLY_PLAIN, IMAP_NO_BADCHARSET, IMAP_NO_NOPERM, IMAP_NO_NO_QUOTA, IMAP_NO_UNKNOWN_CTE,
};
void imap_no(struct imap_session *, const char *tag, enum imap_no);
const char *imap_no_text(enum imap_no);
void imap_log(struct imap_session *, const char *event, const char *detail);

/* seqset.c: sequence sets, merged ranges of numbers or UIDs. */
#define SEQ_RANGES_MAX 1024 /* ranges in one sequence set: a client's UIDs of scattered messages */
#define SEQ_SET_TEXT_MAX (SEQ_RANGES_MAX * 22) /* each range two 10-digit numbers, ":" and "," */
struct imap_set {
	uint32_t lo[SEQ_RANGES_MAX], hi[SEQ_RANGES_MAX];
	size_t n;
};
/* star: what "*" stands for (the highest number or UID there is). 0, or -1 when it is no set. */
int imap_set_parse(const char *text, uint32_t star, struct imap_set *);
int imap_set_has(const struct imap_set *, uint32_t);

/* mailbox.c: the commands of the authenticated and selected states. */
/* A set after a space, of sequence numbers or (uid) UIDs of the selected folder: 0, or -1. */
int imap_take_set(struct imap_session *, struct imap_cursor *, int uid, struct imap_set *);
/* Whether the set names message i (its sequence number i + 1, or its UID). */
int imap_selects(const struct imap_session *, const struct imap_set *, size_t i, int uid);
/* Message i and the run of messages after it the set names (NULL: all), as one read may bring them:
 * at most max (1: message i alone) and STORE_READ_AHEAD_ENTRIES. */
struct imap_reads {
	struct store_entry_ref e[STORE_READ_AHEAD_ENTRIES];
	size_t n;
};
void imap_reads_ahead(const struct imap_session *, const struct imap_set *, int uid, size_t i, size_t max,
                      struct imap_reads *);
/* RFC 7162 3.2.5.2, 3.2.6: "* VANISHED (EARLIER) uids" for the UIDs below UIDNEXT (within
 * the set, when not NULL) that no message of the folder has: nothing when there is none. */
void imap_tell_vanished(struct imap_session *, const struct imap_set *within);
/* A keyword's bit in the session's table (added when add and there is room): -1 when it has none. */
int imap_keyword_bit(struct imap_session *, const char *name, int add);
/* \Seen added to a message, its flags and MODSEQ brought up to date. */
enum store_result imap_mark_seen(struct imap_session *, struct imap_message *);
/* A mailbox name as responses give it: a quoted string, in modified UTF-7 unless UTF8=ACCEPT. */
#define IMAP_MAILBOX_QUOTED_MAX (6 * STORE_FOLDER_MAX + 3) /* each octet of a name 2.5 in UTF-7, then escaped */
void imap_quote_mailbox(const struct imap_session *, const char *name, char *out, size_t cap);
void imap_cmd_list(struct imap_session *, const char *tag, struct imap_cursor *, int lsub);
void imap_cmd_status(struct imap_session *, const char *tag, struct imap_cursor *);
/* CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE, named by what: C, D, R, S, U. */
void imap_cmd_folder(struct imap_session *, const char *tag, struct imap_cursor *, char what);
void imap_cmd_select(struct imap_session *, const char *tag, struct imap_cursor *, int read_only);
void imap_cmd_close(struct imap_session *, const char *tag, int expunge);
void imap_cmd_expunge(struct imap_session *, const char *tag, struct imap_cursor *, int uid);
void imap_cmd_store(struct imap_session *, const char *tag, struct imap_cursor *, int uid);
void imap_cmd_search(struct imap_session *, const char *tag, struct imap_cursor *, int uid);
void imap_cmd_copy(struct imap_session *, const char *tag, struct imap_cursor *, int uid, int move);
void imap_cmd_noop(struct imap_session *, const char *tag); /* also reports what other sessions changed */
void imap_cmd_idle(struct imap_session *, const char *tag);
void imap_idle_done(struct imap_session *, const char *line); /* the line that ends IDLE */
void imap_deselect(struct imap_session *);
enum store_result imap_update(struct imap_session *); /* what other sessions did since, as untagged responses */

/* fetch.c: FETCH, and a message's header for SEARCH. */
void imap_cmd_fetch(struct imap_session *, const char *tag, struct imap_cursor *, int uid);
/* A message's header (up to IMAP_HEADER_MAX), malloc'd into *out. */
enum store_result imap_message_header(struct imap_session *, const struct imap_message *, char **out, size_t *len);

/* quota.c: RFC 9208's QUOTA, the account's quota as one root "" for every folder. */
void imap_cmd_getquotaroot(struct imap_session *, const char *tag, struct imap_cursor *);
void imap_cmd_getquota(struct imap_session *, const char *tag, struct imap_cursor *);
void imap_cmd_setquota(struct imap_session *, const char *tag, struct imap_cursor *);

/* append.c: APPEND, whose literal streams to the store instead of into the command. */
/* A command line ended with a literal of n octets (sync: "+" awaited): 1 when
 * it is an APPEND, which then takes the literal (or, refused, discards it). */
int imap_append_begin(struct imap_session *, uint64_t n, int sync);
void imap_append_data(struct imap_session *, const char *data, size_t len);
void imap_append_end(struct imap_session *, const char *rest_of_line); /* the line after the literal */
void imap_append_abort(struct imap_session *);

#endif
