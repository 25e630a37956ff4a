/* The POP3 state machine alone, with a stand-in maildrop: no I/O, no database. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "pop3.h"

static const char *bodies[] = {"Subject: a\r\n\r\n.dot\r\nline\r\n", "no newline at the end"};
static char big[200000];
static struct {
	enum store_result auth, lock, list, read, delete, keep;
	int fail_after; /* read: fail after this many chunks */
	int locked, unlocked, deletes, kept;
	size_t deleted_n;
	char read_refs[64]; /* the last read's entries, "id/size ..." */
} fake;

static enum store_result f_auth(void *c, const char *u, const char *p, struct store_account *a)
{
	(void)c;
	if (fake.auth != STORE_OK)
		return fake.auth;
	if (strcmp(p, "pw"))
		return STORE_DENIED;
	a->id = 7;
	snprintf(a->address, sizeof a->address, "%s", u);
	return STORE_OK;
}
static enum store_result f_lock(void *c, uint64_t id) { (void)c; (void)id; fake.locked++; return fake.lock; }
static void f_unlock(void *c, uint64_t id) { (void)c; (void)id; fake.unlocked++; }
static enum store_result f_list(void *c, uint64_t id, store_entry_fn fn, void *ctx)
{
	(void)c; (void)id;
	for (uint64_t i = 0; i < 3; i++) {
		struct store_entry e = {i + 100, i < 2 ? strlen(bodies[i]) : sizeof big, ""};
		snprintf(e.uidl, sizeof e.uidl, "u%llu", (unsigned long long)i);
		fn(ctx, &e);
	}
	return fake.list;
}
static enum store_result f_read(void *c, uint64_t a, const struct store_entry_ref *entries, size_t n_entries,
                                long lines, store_data_fn fn, void *ctx)
{
	(void)c; (void)a; (void)lines;
	uint64_t e = entries[0].id;
	fake.read_refs[0] = '\0';
	for (size_t i = 0; i < n_entries; i++)
		snprintf(fake.read_refs + strlen(fake.read_refs), sizeof fake.read_refs - strlen(fake.read_refs),
		         "%s%llu/%llu", i ? " " : "", (unsigned long long)entries[i].id,
		         (unsigned long long)entries[i].size);
	const char *p = e == 102 ? big : bodies[e - 100];
	size_t n = e == 102 ? sizeof big : strlen(p);
	for (size_t off = 0, k = 0; off < n; off += 1000, k++) {
		if (fake.read != STORE_OK && (int)k >= fake.fail_after)
			return fake.read;
		fn(ctx, p + off, n - off < 1000 ? n - off : 1000);
	}
	return STORE_OK;
}
static enum store_result f_delete(void *c, uint64_t a, const uint64_t *ids, size_t n)
{
	(void)c; (void)a; (void)ids;
	fake.deletes++;
	fake.deleted_n = n;
	return fake.delete;
}
static void f_delay(void *c, unsigned ms) { (void)c; (void)ms; }
static enum store_result f_keep(void *c, uint64_t id) { (void)c; fake.kept += id == 7; return fake.keep; }
static const struct pop3_backend be = {NULL, f_auth, f_lock, f_unlock, f_list, f_read, f_delete, f_delay, NULL, f_keep};

static char written[1 << 20];
static size_t written_len;
static unsigned writes;
static char last_write[1 << 17];
static size_t last_write_len;
static int sink(void *c, const char *d, size_t n)
{
	(void)c;
	memcpy(written + written_len, d, n);
	written_len += n;
	written[written_len] = 0;
	memcpy(last_write, d, n < sizeof last_write ? n : sizeof last_write);
	last_write_len = n;
	writes++;
	return 0;
}

static struct pop3_config cfg = {.plaintext_auth = 1, .domain = "example.com"};
static struct pop3_session s;
static struct outbuf out;

static void start(void)
{
	memset(&fake, 0, sizeof fake);
	written_len = writes = 0;
	outbuf_init(&out, sink, NULL);
	pop3_init(&s, &cfg, &be, &out);
	pop3_start(&s);
}
static void feed(const char *t)
{
	pop3_input(&s, t, strlen(t));
	outbuf_flush(&out);
}
static void stop(void)
{
	pop3_free(&s);
	outbuf_free(&out);
}

int main(void)
{
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = i % 100 == 99 ? '\n' : i % 100 == 98 ? '\r' : i % 100 == 0 ? '.' : 'x';

	start();
	feed("USER a@example.com\r\nPASS pw\r\nRETR 2\r\n");
	ok(strstr(written, "+OK 21 octets\r\nno newline at the end\r\n.\r\n") != NULL,
	   "a message without a final newline gets one before the terminator");
	written_len = 0;
	writes = 0;
	feed("RETR 3\r\n");
	ok(writes > 1, "a 200 KB message goes out in pieces (%u writes)", writes);
	ok(last_write_len >= 5 && !memcmp(last_write + last_write_len - 5, "\r\n.\r\n", 5),
	   "and its last write carries the whole \\r\\n.\\r\\n");
	ok(strstr(written, "\r\n..x") != NULL && !strstr(written, "\r\n.x"), "lines starting with a dot are stuffed");
	feed("DELE 2\r\nRETR 1\r\n");
	is_str(fake.read_refs, "100/26 102/200000", "a read names the message, then the undeleted ones after it with their sizes");
	feed("DELE 1\r\nQUIT\r\n");
	ok(fake.deletes == 1 && fake.deleted_n == 2 && fake.unlocked == 1, "QUIT deletes the marked messages and unlocks");
	stop();

	start();
	fake.read = STORE_TEMPFAIL;
	feed("USER a@example.com\r\nPASS pw\r\nRETR 1\r\n");
	ok(strstr(written, "-ERR [SYS/TEMP]") != NULL && s.state == POP3_TRANSACTION,
	   "a read failing before anything went out: -ERR [SYS/TEMP], and the session goes on");
	fake.fail_after = 150;
	feed("RETR 3\r\n");
	is_int(s.state, POP3_CLOSED, "failing halfway through a message: the connection is closed");
	stop();

	start();
	fake.delete = STORE_TEMPFAIL;
	feed("USER a@example.com\r\nPASS pw\r\nDELE 1\r\nQUIT\r\n");
	ok(strstr(written, "-ERR [SYS/TEMP]") != NULL && fake.unlocked == 1, "QUIT whose deletion fails: -ERR [SYS/TEMP]");
	stop();

	cfg.delete_immediate = 1;
	start();
	feed("USER a@example.com\r\nPASS pw\r\nDELE 1\r\nRSET\r\nLIST 1\r\n");
	ok(fake.deletes == 1 && strstr(written, "-ERR Message already deleted") != NULL,
	   "immediate mode: DELE deletes at once, and RSET cannot bring it back");
	pop3_eof(&s);
	is_int(fake.deletes, 1, "and a dropped connection deletes nothing more");
	stop();
	cfg.delete_immediate = 0;

	start();
	feed("USER a\r\nPASS pw\r\n");
	is_str(s.account.address, "a@example.com", "a bare user name logs in at INETMAIL_DOMAIN, as SMTP AUTH does");
	stop();

	start();
	fake.lock = STORE_IN_USE;
	feed("USER a@example.com\r\nPASS pw\r\n");
	ok(strstr(written, "-ERR [IN-USE]") != NULL && s.state == POP3_AUTHORIZATION, "a locked maildrop: -ERR [IN-USE]");
	stop();

	start();
	fake.auth = STORE_TEMPFAIL;
	feed("USER a@example.com\r\nPASS pw\r\n");
	ok(strstr(written, "-ERR [SYS/TEMP]") != NULL, "database trouble at login: -ERR [SYS/TEMP]");
	stop();

	start();
	feed("USER a@example.com\r\n");
	is_int(pop3_keep_lock(&s), 0, "before a login, the timer has no lock to keep");
	feed("PASS pw\r\n");
	ok(pop3_keep_lock(&s) == 0 && fake.kept == 1, "logged in, it renews the account's lock");
	fake.keep = STORE_TEMPFAIL;
	is_int(pop3_keep_lock(&s), 0, "a database fault does not end the session (the lock may hold till the next try)");
	fake.keep = STORE_IN_USE;
	is_int(pop3_keep_lock(&s), 1, "a lock another session took ends it");
	feed("QUIT\r\n");
	fake.kept = 0;
	ok(pop3_keep_lock(&s) == 0 && fake.kept == 0, "after QUIT released it, nothing is renewed");
	stop();

	start();
	feed("USER a@example.com\r\nPASS pw\r\nDELE 1\r\n");
	pop3_timeout(&s);
	outbuf_flush(&out);
	ok(fake.deletes == 0 && fake.unlocked == 1 && strstr(written, "-ERR Disconnected for inactivity"),
	   "a timeout unlocks and deletes nothing");
	stop();
	return done_testing();
}
