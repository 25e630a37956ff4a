#define _GNU_SOURCE
/* What each least-privilege database user of sql/grants.sql can and cannot do.
 * grants-test SMTP_CNF POP3_CNF RELAY_CNF: the option files of those users. */
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "store_admin.h" /* it tries every user of the database: all three interfaces */
#include "store_relay.h"

static const char msg[] = "Subject: grants\r\n\r\nbody\r\n";

static int count(void *ctx, const struct store_entry *e)
{
	uint64_t *ids = ctx;
	ids[++ids[0]] = e->id;
	return 0;
}

static int folder_count(void *ctx, const struct store_folder *f)
{
	(void)f;
	++*(uint64_t *)ctx;
	return 0;
}

/* ids[0] counts, ids[1..] the entries. */
static int mail_ids(void *ctx, const struct store_mail *m)
{
	uint64_t *ids = ctx;
	if (ids[0] < 63)
		ids[++ids[0]] = m->id;
	return 0;
}

static int discard(void *ctx, const void *data, size_t n)
{
	*(size_t *)ctx += n;
	(void)data;
	return 0;
}

static enum store_result deliver(struct store *s, const char *rcpt2, size_t size, int commit)
{
	struct store_delivery *d = store_delivery_begin(s, "alice@example.com");
	struct store_delivery_result res;
	store_delivery_relay(d);
	store_delivery_add_recipient(d, "bob@example.com");
	store_delivery_add_recipient(d, rcpt2);
	char *big = calloc(1, size + sizeof msg);
	memcpy(big, msg, sizeof msg - 1);
	enum store_result r = store_delivery_write(d, big, size ? size : sizeof msg - 1);
	if (r == STORE_OK && commit)
		r = store_delivery_commit(d, &res);
	store_delivery_free(d);
	free(big);
	return r;
}

int main(int argc, char **argv)
{
	struct store_account a;
	int created;
	if (argc != 5)
		return 2;
	setenv("INETMAIL_MYCNF", argv[1], 1);
	struct store *s = store_open();
	{
		is_int(store_auth(s, "alice@example.com", "alice pw", &a), STORE_OK, "smtp: auth");
		is_int(store_lookup(s, "bob@example.com", &a), STORE_OK, "smtp: lookup");
		is_int(store_recipient(s, "postmaster@example.com"), STORE_OK, "smtp: a recipient through an alias");
		is_int(store_recipient(s, "x@elsewhere.example"), STORE_NOT_LOCAL, "smtp: a domain that is not local");
		is_int(deliver(s, "ghost@example.com", 0, 1), STORE_OK, "smtp: deliver with a bounce");
		is_int(deliver(s, "carol@example.com", 1 << 20, 1), STORE_OK, "smtp: deliver a written-ahead message");
		is_int(deliver(s, "carol@example.com", 1 << 20, 0), STORE_OK, "smtp: abandon one");
		is_int(deliver(s, "x@elsewhere.example", 0, 1), STORE_OK, "smtp: queue one for the relay agent");
		is_int(store_maildrop_lock(s, a.id, 60), STORE_TEMPFAIL, "smtp: cannot lock maildrops");
		uint64_t ids[64] = {0};
		is_int(store_maildrop_list(s, a.id, count, ids), STORE_TEMPFAIL, "smtp: cannot list them");
		is_int(store_admin_add(s, "x@example.com", "*", &created), STORE_TEMPFAIL, "smtp: cannot add accounts");
		ok(strstr(store_error(s), "denied") != NULL, "smtp: access denied (%s)", store_error(s));
	}
	store_close(s);
	setenv("INETMAIL_MYCNF", argv[2], 1);
	s = store_open();
	{
		uint64_t ids[64] = {0};
		size_t bytes = 0;
		is_int(store_auth(s, "bob@example.com", "bob pw", &a), STORE_OK, "pop3: auth");
		is_int(store_maildrop_lock(s, a.id, 60), STORE_OK, "pop3: lock");
		is_int(store_maildrop_list(s, a.id, count, ids), STORE_OK, "pop3: list");
		is_int(ids[0], 3, "pop3: the three messages are there");
		is_int(store_maildrop_read(s, a.id, &(struct store_entry_ref){ids[1], 0}, 1, -1, discard, &bytes), STORE_OK, "pop3: read");
		is_int(store_maildrop_delete(s, a.id, ids + 1, ids[0], 60), STORE_OK, "pop3: delete");
		is_int(store_maildrop_unlock(s, a.id), STORE_OK, "pop3: unlock");
		is_int(deliver(s, "carol@example.com", 0, 1), STORE_TEMPFAIL, "pop3: cannot deliver");
		is_int(store_admin_set_quota(s, "bob@example.com", 5), STORE_TEMPFAIL, "pop3: cannot set quotas");
	}
	store_close(s);
	setenv("INETMAIL_MYCNF", argv[3], 1);
	s = store_open();
	{
		struct store_relay_claim c = {0};
		size_t bytes = 0;
		is_int(store_relay_claim(s, 60, &c), STORE_OK, "relay: claim");
		is_int(store_relay_content(s, &c, 60, discard, &bytes), STORE_OK, "relay: read the content");
		is_int(store_relay_retry(s, &c.rows[0], 0, "451 later"), STORE_OK, "relay: defer");
		is_int(store_relay_claim(s, 60, &c), STORE_OK, "relay: claim again");
		is_int(store_relay_failed(s, &c, 0, "mx.elsewhere.example", "5.1.1", "550 5.1.1 no"), STORE_OK,
		       "relay: bounce to the sender");
		uint64_t ids[64] = {0};
		is_int(store_maildrop_list(s, 1, count, ids), STORE_TEMPFAIL, "relay: cannot list maildrops");
		is_int(store_admin_add(s, "x@example.com", "*", &created), STORE_TEMPFAIL, "relay: cannot add accounts");
		store_relay_claim_free(&c);
	}
	store_close(s);
	setenv("INETMAIL_MYCNF", argv[4], 1);
	s = store_open();
	{
		struct store_folder f;
		uint64_t modseq, hms, ids[64] = {0};
		size_t bytes = 0;
		is_int(store_auth(s, "carol@example.com", "carol pw", &a), STORE_OK, "imap: auth");
		uint64_t folders = 0;
		ok(store_folder_list(s, a.id, folder_count, &folders) == STORE_OK && folders == 6, "imap: list folders");
		is_int(store_folder_find(s, a.id, "INBOX", &f), STORE_OK, "imap: select INBOX");
		is_int(store_folder_mail(s, a.id, f.id, mail_ids, ids, &hms), STORE_OK, "imap: its messages");
		is_int(ids[0], 1, "imap: the delivery is there");
		is_int(store_maildrop_read(s, a.id, &(struct store_entry_ref){ids[1], 0}, 1, -1, discard, &bytes), STORE_OK,
		       "imap: read one");
		uint32_t uid = 1;
		struct store_flag_change add = {1, STORE_FLAG_SEEN, "$Forwarded", 0};
		is_int(store_folder_change_flags(s, a.id, f.id, &uid, 1, &add, NULL, NULL, &modseq), STORE_OK, "imap: set flags");
		is_int(store_folder_create(s, a.id, "Work"), STORE_OK, "imap: create a folder");
		struct store_folder work;
		uint64_t size = 1 << 20;
		is_int(store_folder_find(s, a.id, "Work", &work), STORE_OK, "imap: find it");
		unsigned char done;
		is_int(store_folder_copy(s, a.id, f.id, work.id, &(struct store_copy){ids + 1, &size, 1, 0, &done, 0, 0}), STORE_OK,
		       "imap: copy into it");
		is_int(store_folder_copy(s, a.id, f.id, work.id, &(struct store_copy){ids + 1, &size, 1, 1, &done, 0, 0}), STORE_OK,
		       "imap: move into it");
		is_int(store_folder_rename(s, a.id, "Work", "Office"), STORE_OK, "imap: rename it");
		is_int(store_folder_subscribe(s, a.id, "Office", 0), STORE_OK, "imap: unsubscribe it");
		is_int(store_folder_rename(s, a.id, "INBOX", "Old"), STORE_OK, "imap: rename INBOX (its mail moves)");
		is_int(store_folder_delete(s, a.id, "Old"), STORE_OK, "imap: delete a folder with mail");
		uint64_t gone;
		size_t n_gone;
		is_int(store_folder_expunge(s, a.id, ids + 1, 1, &gone, &n_gone), STORE_OK, "imap: expunge (gone already: nothing to do)");
		is_int(deliver(s, "carol@example.com", 0, 1), STORE_TEMPFAIL, "imap: cannot deliver");
		is_int(store_admin_set_quota(s, "bob@example.com", 5), STORE_TEMPFAIL, "imap: cannot set quotas");
	}
	store_close(s);
	return done_testing();
}
