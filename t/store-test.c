/* libstore against a real MariaDB (run by t/store.t, which makes the database). */
#define _GNU_SOURCE
#include <mysql.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h" /* the store's own connection, to ask the server about its session */
#include "lib/tap.h"
#include "store.h"

static MYSQL *db; /* the test's own connection, for checking what was stored */

static long long sql_num(const char *fmt, ...)
{
	char q[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q, sizeof q, fmt, ap);
	va_end(ap);
	long long v = -1;
	if (mysql_query(db, q) == 0) {
		MYSQL_RES *res = mysql_store_result(db);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
		if (row && row[0])
			v = atoll(row[0]);
		if (res)
			mysql_free_result(res);
	} else {
		printf("# %s: %s\n", q, mysql_error(db));
	}
	return v;
}

/* Growing in-memory sink for what the store streams out. */
struct sink {
	char *p;
	size_t len, cap;
};

static int sink_add(void *ctx, const void *data, size_t n)
{
	struct sink *s = ctx;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->p = realloc(s->p, s->cap);
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	return 0;
}

struct entries {
	struct store_entry e[64];
	size_t n;
};

static int entries_add(void *ctx, const struct store_entry *e)
{
	struct entries *l = ctx;
	if (l->n < 64)
		l->e[l->n++] = *e;
	return 0;
}

static size_t list(struct store *s, uint64_t account, struct entries *l)
{
	l->n = 0;
	if (store_maildrop_list(s, account, entries_add, l) != STORE_OK)
		return (size_t)-1;
	return l->n;
}

/* As POP3's UPDATE state runs it: under the maildrop lock. */
static enum store_result locked_delete(struct store *s, uint64_t account, const uint64_t *ids, size_t n)
{
	if (store_maildrop_lock(s, account, 60) != STORE_OK)
		return STORE_IN_USE;
	enum store_result r = store_maildrop_delete(s, account, ids, n, 60);
	store_maildrop_unlock(s, account);
	return r;
}

static enum store_result deliver(struct store *s, const char *sender, const char *const *rcpts,
                                 const void *msg, size_t len, struct store_delivery_result *res)
{
	struct store_delivery *d = store_delivery_begin(s, sender);
	if (!d)
		return STORE_PERMFAIL;
	for (; *rcpts; rcpts++)
		store_delivery_add_recipient(d, *rcpts);
	enum store_result r = store_delivery_write(d, msg, len);
	if (r == STORE_OK)
		r = store_delivery_commit(d, res);
	store_delivery_free(d);
	return r;
}

/* The newest entry of an account, read whole into out. */
static int read_newest(struct store *s, uint64_t account, struct sink *out)
{
	struct entries l;
	out->len = 0;
	if (list(s, account, &l) == 0 || l.n == (size_t)-1)
		return -1;
	return store_maildrop_read(s, account, &(struct store_entry_ref){l.e[l.n - 1].id, 0}, 1, -1, sink_add, out) == STORE_OK ? 0 : -1;
}

static int check_bounce(const struct sink *b, const char *args)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "python3 %s/t/lib/check-bounce.py %s", getenv("TOP"), args);
	FILE *p = popen(cmd, "w");
	if (!p)
		return -1;
	fwrite(b->p, 1, b->len, p);
	return pclose(p);
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add_account(struct store *s, const char *address, const char *scheme, const char *pw)
{
	char hash[STORE_HASH_MAX + 1];
	int created;
	if (!ok(store_password_hash(scheme, pw, hash) == 0 && store_admin_add(s, address, hash, &created) == STORE_OK,
	        "add %s with %s", address, scheme))
		printf("# %s\n", store_error(s));
}

static void test_addresses(void)
{
	char out[STORE_ADDRESS_MAX + 1];
	ok(store_address_canonical("Bob@Example.COM", out) == 0 && !strcmp(out, "bob@example.com"),
	   "addresses are lowered to canonical form");
	const char *bad[] = {"", "bob", "@example.com", "bob@", "b ob@example.com", "bob@exa\tmple.com",
	                     "<bob@example.com>", "bob@example.com\r\nBcc: x@y"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(store_address_canonical(bad[i], out) < 0, "invalid address %zu refused", i);
	char local[80], domain[300], addr[400];
	memset(local, 'a', 65), local[65] = 0;
	snprintf(addr, sizeof addr, "%s@example.com", local);
	ok(store_address_canonical(addr, out) < 0, "a 65-octet local part is refused");
	local[64] = 0;
	snprintf(addr, sizeof addr, "%s@example.com", local);
	ok(store_address_canonical(addr, out) == 0, "a 64-octet local part is fine");
	memset(domain, 'd', 256), domain[256] = 0;
	snprintf(addr, sizeof addr, "a@%s", domain);
	ok(store_address_canonical(addr, out) < 0, "a 256-octet domain is refused");

	/* RFC 5321 4.1.2: dot-strings, quoted strings (a dot-string when they can
	 * be one), domains and address literals. */
	static const char *const canon[][2] = {
		{"\"John Q. Public\"@Remote.Example", "\"john q. public\"@remote.example"},
		{"\"Bob\"@Example.com", "bob@example.com"},
		{"\"a.b\"@x.example", "a.b@x.example"},
		{"\"a\\ b\"@x.example", "\"a b\"@x.example"},
		{"\"a\\\"b\"@x.example", "\"a\\\"b\"@x.example"},
		{"\"a@b\"@x.example", "\"a@b\"@x.example"},
		{"\"..\"@x.example", "\"..\"@x.example"},
		{"o'neil+tag@x-y.example", "o'neil+tag@x-y.example"},
		{"a@[192.0.2.1]", "a@[192.0.2.1]"},
		{"a@[IPv6:2001:db8::1]", "a@[ipv6:2001:db8::1]"},
		{"j\xc3\xb6" "rg@b\xc3\xbc" "cher.example", "j\xc3\xb6" "rg@b\xc3\xbc" "cher.example"},
	};
	for (size_t i = 0; i < sizeof canon / sizeof *canon; i++)
		if (!ok(store_address_canonical(canon[i][0], out) == 0 && !strcmp(out, canon[i][1]), "canonical %s", canon[i][1]))
			printf("# got %s\n", out);
	static const char *const invalid[] = {
		"a..b@x.example", ".a@x.example", "a.@x.example", "a@-x.example", "a@x-.example", "a@x..example",
		"a@x.example.", "\"unterminated@x.example", "\"a\"b@x.example", "a@[", "a@[]", "a@[1]x", "a\"b@x.example",
		"\"a\rb\"@x.example", "a@x_y.example", "a b@x.example",
	};
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
		ok(store_address_canonical(invalid[i], out) < 0, "syntax error %zu refused", i);
	ok(store_address_qualify("Postmaster", "Example.com", out) == 0 && !strcmp(out, "postmaster@example.com"),
	   "a bare local part gets the default domain");
	ok(store_address_qualify("\"a b\"", "example.com", out) == 0 && !strcmp(out, "\"a b\"@example.com"),
	   "a bare quoted one too");
	ok(store_address_qualify("bob@x.example", "example.com", out) == 0 && !strcmp(out, "bob@x.example"),
	   "a full address keeps its own");
	ok(!strcmp(store_address_domain("\"a@b\"@x.example"), "x.example"), "the domain is after the last @");
	memset(local, 'q', 63), local[63] = 0;
	snprintf(addr, sizeof addr, "\"%s \"@x.example", local);
	ok(store_address_canonical(addr, out) < 0, "a quoted local part over 64 octets with its quotes is refused");
}

static void test_auth(struct store *s)
{
	struct store_account a;
	is_int(store_auth(s, "alice@example.com", "alice pw", &a), STORE_OK, "alice (yescrypt) logs in");
	is_str(a.address, "alice@example.com", "with her canonical address");
	ok(a.id > 0, "and her account id");
	is_int(store_auth(s, "ALICE@Example.Com", "alice pw", &a), STORE_OK, "addresses are case-insensitive");
	is_int(store_auth(s, "bob@example.com", "bob pw", &a), STORE_OK, "bob (bcrypt) logs in");
	is_int(store_auth(s, "carol@example.com", "carol pw", &a), STORE_OK, "carol (sha512crypt) logs in");
	is_int(store_auth(s, "alice@example.com", "wrong", &a), STORE_DENIED, "a wrong password is denied");
	is_int(store_auth(s, "alice@example.com", "", &a), STORE_DENIED, "an empty password is denied");
	is_int(store_auth(s, "nobody@example.com", "alice pw", &a), STORE_DENIED, "an unknown user is denied");
	is_int(store_auth(s, "not an address", "x", &a), STORE_DENIED, "a non-address is denied");
	is_int(store_admin_set_active(s, "dave@example.com", 0), STORE_OK, "dave is disabled");
	is_int(store_auth(s, "dave@example.com", "dave pw", &a), STORE_DENIED, "a disabled account is denied");
	is_int(store_lookup(s, "dave@example.com", &a), STORE_NOT_FOUND, "and has no mailbox");
	is_int(store_lookup(s, "Bob@EXAMPLE.com", &a), STORE_OK, "lookup finds bob");
	is_int(store_lookup(s, "nobody@example.com", &a), STORE_NOT_FOUND, "lookup: unknown is not found");

	/* An unknown user must cost what a wrong password costs (CPU time, 3 each). */
	double t0 = cpu_seconds();
	for (int i = 0; i < 3; i++)
		store_auth(s, "alice@example.com", "wrong", &a);
	double wrong = cpu_seconds() - t0;
	t0 = cpu_seconds();
	for (int i = 0; i < 3; i++)
		store_auth(s, "nobody@example.com", "wrong", &a);
	double unknown = cpu_seconds() - t0;
	ok(unknown > wrong * 0.5 && unknown < wrong * 2, "unknown user %.1f ms ~ wrong password %.1f ms",
	   unknown * 1000 / 3, wrong * 1000 / 3);
}

static const char msg1[] = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\n"
                           "Hello Bob.\r\n.leading dot stays\r\nBye\r\n";

static void test_delivery(struct store *s, uint64_t alice, uint64_t bob, uint64_t carol)
{
	struct store_delivery_result res;
	struct entries l;
	struct sink out = {0};
	const char *to_bob[] = {"bob@example.com", NULL};
	is_int(deliver(s, "alice@example.com", to_bob, msg1, sizeof msg1 - 1, &res), STORE_OK,
	       "delivery to one recipient");
	is_int(res.delivered, 1, "one delivered");
	is_int(res.bounced, 0, "none bounced");
	is_int(list(s, bob, &l), 1, "bob has one message");
	is_int(l.e[0].size, sizeof msg1 - 1, "its size is the exact octet count");
	ok(strlen(l.e[0].uidl) >= 1 && strlen(l.e[0].uidl) <= 70 && strspn(l.e[0].uidl, "0123456789abcdef") == strlen(l.e[0].uidl),
	   "its UIDL is 1-70 printable characters");
	ok(read_newest(s, bob, &out) == 0 && out.len == sizeof msg1 - 1 && !memcmp(out.p, msg1, out.len),
	   "it reads back byte-exact");
	is_int(sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)bob),
	       sizeof msg1 - 1, "bob's used bytes grew by its size");

	long long messages = sql_num("SELECT COUNT(*) FROM message");
	const char *many[] = {"alice@example.com", "bob@example.com", "carol@example.com", "ALICE@example.com", NULL};
	is_int(deliver(s, "", many, msg1, sizeof msg1 - 1, &res), STORE_OK, "delivery to many recipients");
	is_int(res.delivered, 3, "three delivered (a repeated address counts once)");
	is_int(sql_num("SELECT COUNT(*) FROM message") - messages, 1, "the content is stored once");
	is_int(sql_num("SELECT COUNT(*) FROM message_chunk WHERE message_id = %llu", (unsigned long long)res.queue_id),
	       1, "in one chunk");
	is_int(sql_num("SELECT refs FROM message WHERE id = %llu", (unsigned long long)res.queue_id), 3,
	       "referred to by three entries");
	is_int(sql_num("SELECT COUNT(DISTINCT uidl) FROM mailbox_entry"), sql_num("SELECT COUNT(*) FROM mailbox_entry"),
	       "every UIDL is unique");
	(void)alice;
	(void)carol;
	free(out.p);
}

/* Relaying on: recipients in other domains are queued with the content shared. */
static void test_relay_queue(struct store *s, uint64_t alice, uint64_t bob)
{
	struct store_delivery_result res;
	struct entries l;
	size_t alice_before = list(s, alice, &l), bob_before = list(s, bob, &l);
	long long queued = sql_num("SELECT COUNT(*) FROM relay_queue");
	struct store_delivery *d = store_delivery_begin(s, "alice@example.com");
	store_delivery_relay(d);
	store_delivery_add_recipient(d, "bob@example.com");
	store_delivery_add_recipient(d, "Carl@Remote.Example");
	store_delivery_add_recipient(d, "dora@other.example");
	store_delivery_add_recipient(d, "nobody@example.com");
	ok(store_delivery_write(d, msg1, sizeof msg1 - 1) == STORE_OK && store_delivery_commit(d, &res) == STORE_OK,
	   "a delivery with remote recipients commits");
	store_delivery_free(d);
	ok(res.delivered == 1 && res.queued == 2 && res.bounced == 1, "one delivered, two queued, one bounced");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue") - queued, 2, "a queue row per remote recipient");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue WHERE message_id = %llu AND sender = 'alice@example.com'"
	               " AND recipient IN ('carl@remote.example', 'dora@other.example') AND attempts = 0"
	               " AND lease_owner IS NULL AND next_try_at <= NOW(6)", (unsigned long long)res.queue_id), 2,
	       "naming the content, the sender and the canonical recipient, due now");
	is_int(sql_num("SELECT refs FROM message WHERE id = %llu", (unsigned long long)res.queue_id), 3,
	       "the content is counted once per mailbox entry and queue row");
	is_int(list(s, bob, &l), bob_before + 1, "the local recipient has it");
	is_int(list(s, alice, &l), alice_before + 1, "the unknown local one bounced to the sender");

	const char *remote_only[] = {"carl@remote.example", NULL};
	ok(deliver(s, "alice@example.com", remote_only, msg1, sizeof msg1 - 1, &res) == STORE_OK && res.queued == 0 &&
	   res.bounced == 1, "relaying off (the default): a remote recipient bounces as before");
}

/* Two agents on one queue: leases, take-over of a lapsed one, outcomes. */
static void test_relay_lease(struct store *s, uint64_t alice)
{
	struct store *other = store_open();
	struct store_relay_claim a = {0}, b = {0}, c = {0};
	is_int(store_relay_claim(s, 60, &a), STORE_OK, "an agent claims due rows");
	is_int(store_relay_claim(other, 60, &b), STORE_OK, "a second agent claims other rows");
	ok(a.n == 1 && b.n == 1 && strcmp(a.domain, b.domain) && a.message_id == b.message_id &&
	   !strcmp(a.rows[0].sender, "alice@example.com"),
	   "one claim per domain of the message, never the same rows (%s, %s)", a.domain, b.domain);
	is_int(store_relay_claim(other, 60, &c), STORE_NOT_FOUND, "nothing else is due");
	long long refs = sql_num("SELECT refs FROM message WHERE id = %llu", (unsigned long long)a.message_id);

	is_int(store_relay_retry(s, &a.rows[0], 300, "451 4.7.1 greylisted\r\nand \x01 more"), STORE_OK,
	       "a temporary failure is recorded");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue WHERE id = %llu AND attempts = 1 AND lease_owner IS NULL"
	               " AND next_try_at > NOW(6) + INTERVAL 290 SECOND"
	               " AND last_answer = '451 4.7.1 greylisted??and ? more'", (unsigned long long)a.rows[0].id), 1,
	       "one attempt more, the lease given back, the next try later, the answer kept printable");
	is_int(store_relay_claim(s, 60, &c), STORE_NOT_FOUND, "it is not due before then");

	mysql_query(db, "UPDATE relay_queue SET lease_expires_at = NOW(6) - INTERVAL 1 SECOND WHERE lease_owner IS NOT NULL");
	is_int(store_relay_claim(s, 60, &c), STORE_OK, "a lapsed lease (a killed agent) is taken over");
	ok(c.n == 1 && c.rows[0].id == b.rows[0].id, "the same row");
	is_int(store_relay_renew(other, 60), STORE_NOT_FOUND, "its old owner cannot renew it");
	is_int(store_relay_delivered(other, &b, 0), STORE_NOT_FOUND, "nor record an outcome");
	is_int(store_relay_renew(s, 60), STORE_OK, "the new owner renews");
	is_int(store_relay_keep(s, 60), STORE_OK, "keeping a lease just renewed:");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue WHERE id = %llu AND lease_expires_at > NOW(6) + INTERVAL 50 SECOND",
	               (unsigned long long)c.rows[0].id), 1, "leaves it as it is");
	usleep(600000);
	is_int(store_relay_keep(s, 2), STORE_OK, "past a quarter of it,");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue WHERE id = %llu AND lease_expires_at < NOW(6) + INTERVAL 3 SECOND",
	               (unsigned long long)c.rows[0].id), 1, "it is renewed");
	is_int(store_relay_renew(s, 60), STORE_OK, "(and again for the rest of the test)");
	is_int(store_relay_delivered(s, &c, 0), STORE_OK, "and records the delivery");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue WHERE id = %llu", (unsigned long long)c.rows[0].id), 0,
	       "the row is gone");
	is_int(sql_num("SELECT refs FROM message WHERE id = %llu", (unsigned long long)a.message_id), refs - 1,
	       "and its reference to the content");

	mysql_query(db, "UPDATE relay_queue SET next_try_at = NOW(6)");
	store_relay_claim_free(&c);
	ok(store_relay_claim(other, 60, &c) == STORE_OK && c.n == 1 && c.rows[0].attempts == 1 &&
	   store_relay_delivered(other, &c, 0) == STORE_OK, "the retried row, due again, is delivered by the other agent");
	is_int(sql_num("SELECT refs FROM message WHERE id = %llu", (unsigned long long)a.message_id), refs - 2,
	       "the content stays while a mailbox holds it");
	store_relay_claim_free(&c);

	/* Refused for good: a bounce to the sender naming the remote server, the content gone. */
	struct store_delivery_result res;
	struct entries l;
	struct sink out = {0};
	size_t alice_before = list(s, alice, &l);
	struct store_delivery *d = store_delivery_begin(s, "alice@example.com");
	store_delivery_relay(d);
	store_delivery_add_recipient(d, "carl@remote.example");
	ok(store_delivery_write(d, msg1, sizeof msg1 - 1) == STORE_OK && store_delivery_commit(d, &res) == STORE_OK &&
	   res.queued == 1, "a message only for a remote recipient is queued");
	store_delivery_free(d);
	ok(store_relay_claim(s, 60, &c) == STORE_OK && c.n == 1 && c.message_id == res.queue_id, "and claimed");
	is_int(store_relay_failed(s, &c, 0, "mx.remote.example", "5.1.1", "550 5.1.1 <carl@remote.example>: no such user"),
	       STORE_OK, "a permanent refusal is recorded");
	is_int(list(s, alice, &l), alice_before + 1, "the sender has a bounce");
	ok(read_newest(s, alice, &out) == 0 &&
	   memmem(out.p, out.len, "\r\nSubject: ERROR - Your email was not sent\r\n", 43) &&
	   memmem(out.p, out.len, "\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.remote.example\r\n"
	                          "Diagnostic-Code: smtp; 550 5.1.1 <carl@remote.example>: no such user\r\n", 114),
	   "with the seed's subject, the remote server and its answer");
	is_int(check_bounce(&out, "--refused carl@remote.example --subject hi"), 0, "a well-formed multipart/report");
	is_int(sql_num("SELECT COUNT(*) FROM message WHERE id = %llu", (unsigned long long)res.queue_id), 0,
	       "the content, referenced by nothing now, is gone");
	store_relay_claim_free(&c);

	d = store_delivery_begin(s, "");
	store_delivery_relay(d);
	store_delivery_add_recipient(d, "carl@remote.example");
	ok(store_delivery_write(d, msg1, sizeof msg1 - 1) == STORE_OK && store_delivery_commit(d, &res) == STORE_OK &&
	   res.queued == 1, "a null-sender message is queued too");
	store_delivery_free(d);
	alice_before = list(s, alice, &l);
	long long entries = sql_num("SELECT COUNT(*) FROM mailbox_entry");
	ok(store_relay_claim(s, 60, &c) == STORE_OK &&
	   store_relay_failed(s, &c, 0, NULL, "4.4.7", "gave up after 5 days") == STORE_OK &&
	   sql_num("SELECT COUNT(*) FROM mailbox_entry") == entries && sql_num("SELECT COUNT(*) FROM relay_queue") == 0,
	   "given up: no bounce to <>, the queue empty");
	store_relay_claim_free(&a);
	store_relay_claim_free(&b);
	store_relay_claim_free(&c);
	free(out.p);
	store_close(other);
}

/* An attempt given up on (the database failed mid-send) leaves its rows under
 * the agent's lease: the agent's next claim, of another message, must neither
 * take them along (it sent them that message's content) nor keep them leased. */
static void test_relay_abandoned(struct store *s)
{
	struct store_delivery_result first, second;
	struct store_relay_claim c = {0};
	const char *const messages[] = {"Subject: first\r\n\r\nx\r\n", "Subject: second\r\n\r\ny\r\n"};
	struct store_delivery_result *res[] = {&first, &second};
	for (int i = 0; i < 2; i++) {
		struct store_delivery *d = store_delivery_begin(s, "alice@example.com");
		store_delivery_relay(d);
		store_delivery_add_recipient(d, "carl@remote.example");
		store_delivery_write(d, messages[i], strlen(messages[i]));
		store_delivery_commit(d, res[i]);
		store_delivery_free(d);
	}
	ok(store_relay_claim(s, 60, &c) == STORE_OK && c.message_id == first.queue_id, "the first message is claimed");
	store_relay_claim_free(&c);
	/* Given up while its lease runs: the second message is due first. */
	mysql_query(db, "UPDATE relay_queue SET next_try_at = NOW(6) + INTERVAL 1 HOUR WHERE lease_owner IS NOT NULL");
	ok(store_relay_claim(s, 60, &c) == STORE_OK && c.message_id == second.queue_id, "then the second");
	is_int(c.n, 1, "with its own row only, not the abandoned one of the first");
	is_int(store_relay_renew(s, 3600), STORE_OK, "renewing the second's lease");
	is_int(sql_num("SELECT COUNT(*) FROM relay_queue WHERE message_id = %llu AND lease_expires_at < NOW(6) + INTERVAL 2 MINUTE",
	               (unsigned long long)first.queue_id), 1, "leaves the first's to lapse");
	ok(store_relay_delivered(s, &c, 0) == STORE_OK &&
	   sql_num("SELECT COUNT(*) FROM relay_queue WHERE message_id = %llu", (unsigned long long)first.queue_id) == 1,
	   "recording its delivery leaves the first message's row queued");
	store_relay_claim_free(&c);
	mysql_query(db, "UPDATE relay_queue SET next_try_at = NOW(6), lease_expires_at = NOW(6) - INTERVAL 1 SECOND");
	ok(store_relay_claim(s, 60, &c) == STORE_OK && c.message_id == first.queue_id && c.n == 1 &&
	   store_relay_delivered(s, &c, 0) == STORE_OK, "the first, due again, is claimed and sent on its own");
	store_relay_claim_free(&c);
}

static void test_bounces(struct store *s, uint64_t alice, uint64_t bob)
{
	struct store_delivery_result res;
	struct entries l;
	struct sink out = {0};
	size_t alice_before = list(s, alice, &l), bob_before = list(s, bob, &l);
	long long messages = sql_num("SELECT COUNT(*) FROM message");
	const char *mixed[] = {"bob@example.com", "nobody@example.com", NULL};
	static const char m[] = "Subject: =?utf-8?B?R3LDvMOfZQ==?= from me\r\nFrom: alice@example.com\r\n\r\nThe body text.\r\n";
	is_int(deliver(s, "alice@example.com", mixed, m, sizeof m - 1, &res), STORE_OK,
	       "a delivery with an unknown recipient succeeds");
	is_int(res.delivered, 1, "the known recipient gets it");
	is_int(res.bounced, 1, "the unknown one bounces");
	is_int(list(s, bob, &l), bob_before + 1, "bob has the message");
	is_int(list(s, alice, &l), alice_before + 1, "the bounce is in the sender's mailbox");
	ok(read_newest(s, alice, &out) == 0, "the bounce reads back");
	is_int(l.e[l.n - 1].size, out.len, "its listed size is exact");
	ok(memmem(out.p, out.len, "\r\nSubject: ERROR - Your email was not sent\r\n", 43) != NULL,
	   "with the seed's subject");
	is_int(check_bounce(&out, "--rcpt nobody@example.com --subject 'Grüße from me' --body 'The body text.'"
	                          " --header 'From: alice@example.com'"), 0,
	       "a well-formed multipart/report with the seed's wording");
	is_int(sql_num("SELECT COUNT(*) FROM message") - messages, 2, "message and bounce stored once each");

	const char *unknown_only[] = {"nobody@example.com", "ghost@example.com", NULL};
	messages = sql_num("SELECT COUNT(*) FROM message");
	is_int(deliver(s, "alice@example.com", unknown_only, msg1, sizeof msg1 - 1, &res), STORE_OK,
	       "all recipients unknown");
	ok(res.delivered == 0 && res.bounced == 2, "nothing delivered, both bounced");
	is_int(sql_num("SELECT COUNT(*) FROM message") - messages, 1, "only the bounce is stored");
	ok(read_newest(s, alice, &out) == 0 &&
	   check_bounce(&out, "--rcpt nobody@example.com --rcpt ghost@example.com --subject hi") == 0,
	   "one bounce names both recipients");

	long long entries = sql_num("SELECT COUNT(*) FROM mailbox_entry");
	is_int(deliver(s, "", unknown_only, msg1, sizeof msg1 - 1, &res), STORE_OK, "null sender, unknown recipients");
	ok(res.bounced == 0 && sql_num("SELECT COUNT(*) FROM mailbox_entry") == entries, "no bounce for <>");
	is_int(deliver(s, "someone@elsewhere.example", unknown_only, msg1, sizeof msg1 - 1, &res), STORE_OK,
	       "foreign sender, unknown recipients");
	ok(res.bounced == 0 && sql_num("SELECT COUNT(*) FROM mailbox_entry") == entries,
	   "no bounce for a sender that is not local");
	is_int(sql_num("SELECT COUNT(*) FROM message WHERE refs = 0"), 0, "no unreferenced content is left");
	free(out.p);
}

static void test_bad_input(struct store *s, uint64_t alice, uint64_t bob)
{
	static const char nul[] = "Subject: nul\0inside\r\n\r\nbody\0with\0NULs\r\n";
	static const char nosep[] = "Subject: no separator\r\nX-Only: headers\r\n";
	static const char latin1[] = "Subject: caf\xe9 cr\xe8me\r\n\r\nna\xefve body\r\n";
	size_t longlen = 10 * 1024 * 1024;
	char *longline = malloc(longlen + 64);
	size_t n = (size_t)sprintf(longline, "X-Long: ");
	memset(longline + n, 'x', longlen);
	n += longlen;
	n += (size_t)sprintf(longline + n, "\r\nSubject: after long\r\n\r\nbody\r\n");
	struct { const char *name, *data; size_t len; const char *check; } cases[] = {
		{"NUL bytes", nul, sizeof nul - 1, "--subject 'nul inside'"},
		{"no header/body separator", nosep, sizeof nosep - 1, "--subject 'no separator' --header 'X-Only: headers'"},
		{"a non-UTF-8 subject", latin1, sizeof latin1 - 1, "--subject 'caf\xef\xbf\xbd cr\xef\xbf\xbdme'"},
		{"a 10 MB header line", longline, n, "--subject '(no subject)'"},
	};
	const char *rcpts[] = {"bob@example.com", "lost@example.com", NULL};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct store_delivery_result res;
		struct sink out = {0};
		char args[256];
		is_int(deliver(s, "alice@example.com", rcpts, cases[i].data, cases[i].len, &res), STORE_OK,
		       "%s: stored", cases[i].name);
		ok(read_newest(s, bob, &out) == 0 && out.len == cases[i].len && !memcmp(out.p, cases[i].data, out.len),
		   "%s: read back byte-exact", cases[i].name);
		snprintf(args, sizeof args, "--rcpt lost@example.com %s", cases[i].check);
		ok(read_newest(s, alice, &out) == 0 && check_bounce(&out, args) == 0, "%s: the bounce is well-formed",
		   cases[i].name);
		free(out.p);
	}
	free(longline);
}

static void test_quota(struct store *s, uint64_t bob, uint64_t carol)
{
	struct store_delivery_result res;
	struct entries l;
	long long used = sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)bob);
	is_int(store_admin_set_quota(s, "bob@example.com", (uint64_t)used + 10), STORE_OK, "bob's quota is nearly full");
	size_t carol_before = list(s, carol, &l);
	long long messages = sql_num("SELECT COUNT(*) FROM message");
	const char *rcpts[] = {"carol@example.com", "bob@example.com", NULL};
	is_int(deliver(s, "", rcpts, msg1, sizeof msg1 - 1, &res), STORE_OVER_QUOTA, "over quota is its own error");
	is_int(list(s, carol, &l), carol_before, "nothing stored for the other recipient");
	is_int(sql_num("SELECT COUNT(*) FROM message"), messages, "no content stored");
	is_int(sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)bob), used, "usage unchanged");
	const char *small[] = {"bob@example.com", NULL};
	is_int(deliver(s, "", small, "Subject: x\r\n\r\n", 10, &res), STORE_OK, "what fits is delivered");
	is_int(sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)bob), used + 10, "usage at the quota");
	is_int(store_admin_set_quota(s, "bob@example.com", UINT64_MAX), STORE_OK, "quota removed");
	is_int(deliver(s, "", rcpts, msg1, sizeof msg1 - 1, &res), STORE_OK, "and mail flows again");
	is_int(store_admin_set_quota(s, "nobody@example.com", 5), STORE_NOT_FOUND, "quota for an unknown account");
}

/* Aliases: content once, one entry per distinct account, each one charged. */
static void test_aliases(struct store *s, uint64_t alice, uint64_t bob, uint64_t carol)
{
	struct store_delivery_result res;
	struct entries l;
	const char *both[] = {"alice@example.com", "bob@example.com"};
	is_int(store_admin_alias_add(s, "team@example.com", both, 2), STORE_OK, "an alias to alice and bob");
	is_int(store_recipient(s, "Team@Example.com"), STORE_OK, "the alias is a recipient");
	is_int(store_recipient(s, "nobody@example.com"), STORE_NOT_FOUND, "an unknown one in a local domain is not");
	is_int(store_recipient(s, "bob@elsewhere.example"), STORE_NOT_LOCAL, "nor one in another domain");
	size_t a0 = list(s, alice, &l), b0 = list(s, bob, &l), c0 = list(s, carol, &l);
	long long used_a = sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)alice);
	long long used_b = sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)bob);
	long long messages = sql_num("SELECT COUNT(*) FROM message");
	const char *rcpts[] = {"team@example.com", "bob@example.com", "carol@example.com", NULL};
	is_int(deliver(s, "", rcpts, msg1, sizeof msg1 - 1, &res), STORE_OK, "deliver to the alias and to bob");
	is_int(res.delivered, 3, "three mailboxes");
	ok(list(s, alice, &l) == a0 + 1 && list(s, bob, &l) == b0 + 1 && list(s, carol, &l) == c0 + 1,
	   "one entry each, bob too though named twice");
	is_int(sql_num("SELECT COUNT(*) FROM message"), messages + 1, "the content is stored once");
	ok(sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)alice) == used_a + (long long)sizeof msg1 - 1 &&
	   sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)bob) == used_b + (long long)sizeof msg1 - 1,
	   "each account reached is charged once");
	is_int(store_admin_set_quota(s, "alice@example.com", (uint64_t)used_a), STORE_OK, "alice is full");
	const char *alias_only[] = {"team@example.com", NULL};
	is_int(deliver(s, "", alias_only, msg1, sizeof msg1 - 1, &res), STORE_OVER_QUOTA,
	       "over quota through an alias is over quota");
	is_int(store_admin_set_quota(s, "alice@example.com", UINT64_MAX), STORE_OK, "quota removed");
	const char *catch_all[] = {"carol@example.com"};
	is_int(store_admin_alias_add(s, "@example.com", catch_all, 1), STORE_OK, "a catch-all");
	is_int(store_recipient(s, "anyone@example.com"), STORE_OK, "takes unknown addresses");
	store_admin_set_active(s, "dave@example.com", 0);
	is_int(store_recipient(s, "dave@example.com"), STORE_OK, "a disabled account is as unknown: the catch-all has it");
	store_admin_set_active(s, "dave@example.com", 1);
	is_int(store_admin_alias_del(s, "@example.com", NULL, 0), STORE_OK, "catch-all removed");
	is_int(store_admin_alias_del(s, "team@example.com", NULL, 0), STORE_OK, "alias removed");
}

static void test_lock(struct store *a, struct store *b, uint64_t alice)
{
	struct store *c = store_open();
	is_int(store_maildrop_lock(a, alice, 60), STORE_OK, "session A locks the maildrop");
	is_int(store_maildrop_lock(b, alice, 60), STORE_IN_USE, "session B finds it in use");
	is_int(store_maildrop_lock(a, alice, 60), STORE_OK, "A renews its own lock");
	is_int(store_maildrop_unlock(b, alice), STORE_OK, "B's unlock is harmless");
	is_int(store_maildrop_lock(c, alice, 60), STORE_IN_USE, "and does not release A's lock");
	is_int(store_maildrop_unlock(a, alice), STORE_OK, "A unlocks");
	is_int(store_maildrop_lock(b, alice, 0), STORE_OK, "B locks, with an expiry of 0 s");
	is_int(store_maildrop_lock(a, alice, 60), STORE_OK, "A takes over the expired lock");
	is_int(store_maildrop_lock(b, alice, 60), STORE_IN_USE, "B has lost it");
	uint64_t none = 0;
	is_int(store_maildrop_delete(b, alice, &none, 1, 60), STORE_IN_USE, "and B's UPDATE state deletes nothing");
	is_int(store_maildrop_delete(a, alice, &none, 1, 60), STORE_OK, "while A's may");
	is_int(store_maildrop_keep(a, alice, 60), STORE_OK, "A keeps its lock (no read streaming: on its own connection)");
	is_int(store_maildrop_unlock(a, alice), STORE_OK, "A unlocks again");
	is_int(sql_num("SELECT COUNT(*) FROM maildrop_lock"), 0, "no lock row is left");
	store_close(c);
}

static void test_top(struct store *s, uint64_t carol)
{
	static const char m[] = "Subject: top\r\nX: y\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";
	const char *rcpts[] = {"carol@example.com", NULL};
	struct store_delivery_result res;
	struct entries l;
	struct sink out = {0};
	deliver(s, "", rcpts, m, sizeof m - 1, &res);
	list(s, carol, &l);
	uint64_t id = l.e[l.n - 1].id;
	struct { long lines; const char *want; } cases[] = {
		{0, "Subject: top\r\nX: y\r\n\r\n"},
		{2, "Subject: top\r\nX: y\r\n\r\nline 1\r\nline 2\r\n"},
		{9, m},
	};
	for (size_t i = 0; i < 3; i++) {
		out.len = 0;
		ok(store_maildrop_read(s, carol, &(struct store_entry_ref){id, 0}, 1, cases[i].lines, sink_add, &out) == STORE_OK &&
		   out.len == strlen(cases[i].want) && !memcmp(out.p, cases[i].want, out.len),
		   "TOP with %ld lines gives the header and those lines", cases[i].lines);
	}
	out.len = 0;
	is_int(store_maildrop_read(s, carol + 1000, &(struct store_entry_ref){id, 0}, 1, -1, sink_add, &out), STORE_NOT_FOUND,
	       "another account cannot read the entry");
	deliver(s, "", rcpts, "", 0, &res);
	list(s, carol, &l);
	out.len = 1;
	ok(l.e[l.n - 1].size == 0 && store_maildrop_read(s, carol, &(struct store_entry_ref){l.e[l.n - 1].id, 0}, 1, -1, sink_add, &out) == STORE_OK &&
	   out.len == 1, "an empty message is stored and reads back empty");
	free(out.p);
}

/* Message i of the read-ahead test: small, except the fifth (larger than
 * STORE_READ_AHEAD_OCTETS, which the reads before it must not bring). */
static size_t ahead_message(size_t i, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "Subject: m%zu\r\n\r\nbody %zu\r\n", i, i);
	if (i == 4) {
		memset(buf + n, 'x', 300000);
		n += 300000;
		n += snprintf(buf + n, cap - (size_t)n, "\r\n");
	}
	return (size_t)n;
}

/* Statements the server executed for the store's own session (tests run in
 * parallel on one server, so a global count would take in theirs too). */
static long long statements(struct store *s)
{
	long long v = -1;
	if (s->db && mysql_query(s->db, "SHOW SESSION STATUS LIKE 'Com_stmt_execute'") == 0) {
		MYSQL_RES *res = mysql_store_result(s->db);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
		if (row && row[1])
			v = atoll(row[1]);
		if (res)
			mysql_free_result(res);
	}
	return v;
}

/* Reads entry i of l (with those after it as the ones read next): 1 when it
 * gives message i exactly and took the given number of statements. */
static int ahead_read(struct store *s, uint64_t account, const struct store_entry_ref *refs, size_t n, size_t i,
                      long lines, long long want_statements)
{
	static char want[310000];
	struct sink out = {0};
	size_t len = ahead_message(i, want, sizeof want);
	if (lines == 0)
		len = strstr(want, "\r\n\r\n") + 4 - want;
	long long before = statements(s);
	enum store_result r = store_maildrop_read(s, account, refs + i, n - i, lines, sink_add, &out);
	long long took = statements(s) - before;
	int good = r == STORE_OK && out.len == len && !memcmp(out.p, want, len) && took == want_statements;
	if (!good)
		printf("# entry %zu: result %s, %zu octets (want %zu), %lld statements (want %lld)\n", i,
		       store_result_name(r), out.len, len, took, want_statements);
	free(out.p);
	return good;
}

static void test_read_ahead(struct store *s, uint64_t erin, uint64_t carol)
{
	static char m[310000];
	const char *rcpts[] = {"erin@example.com", NULL};
	struct store_delivery_result res;
	struct entries l;
	struct store_entry_ref refs[20];
	for (size_t i = 0; i < 20; i++)
		deliver(s, "", rcpts, m, ahead_message(i, m, sizeof m), &res);
	if (list(s, erin, &l) != 20) {
		ok(0, "twenty messages for erin");
		return;
	}
	for (size_t i = 0; i < 20; i++)
		refs[i] = (struct store_entry_ref){l.e[i].id, l.e[i].size};
	ok(ahead_read(s, erin, refs, 20, 0, -1, 1), "the first RETR takes one statement");
	ok(ahead_read(s, erin, refs, 20, 1, 0, 0) && ahead_read(s, erin, refs, 20, 2, -1, 0) &&
	   ahead_read(s, erin, refs, 20, 3, -1, 0),
	   "the three after it (TOP 0 of one) come from what it brought: no statement");
	ok(ahead_read(s, erin, refs, 20, 4, -1, 1), "the large one is read by a statement of its own");
	ok(ahead_read(s, erin, refs, 20, 5, -1, 1), "the next small one brings the rest");
	int all = 1;
	for (size_t i = 6; i < 20; i++)
		all &= ahead_read(s, erin, refs, 20, i, -1, 0);
	ok(all, "and the fourteen after it take no statement");
	struct sink out = {0};
	is_int(store_maildrop_read(s, carol, &refs[7], 1, -1, sink_add, &out), STORE_NOT_FOUND,
	       "what was brought for erin is not given to another account");
	free(out.p);
	/* A listing that understates a size (it cannot, but the read must not trust it). */
	struct store_entry_ref wrong[20];
	memcpy(wrong, refs, sizeof wrong);
	wrong[4].size = 10;
	ok(ahead_read(s, erin, wrong, 20, 3, -1, 1) && ahead_read(s, erin, refs, 20, 4, -1, 1),
	   "a read that brings an understated large message along does not hold it: it is read again, exact");
	ok(ahead_read(s, erin, wrong, 20, 3, -1, 1) && ahead_read(s, erin, refs, 20, 5, -1, 1),
	   "nor what came after it");
	uint64_t ids[20];
	for (size_t i = 0; i < 20; i++)
		ids[i] = refs[i].id;
	is_int(locked_delete(s, erin, ids, 20), STORE_OK, "erin's mailbox emptied");
}

static void test_delete(struct store *s, uint64_t alice, uint64_t bob, uint64_t carol)
{
	uint64_t none = 0;
	is_int(store_maildrop_delete(s, alice, &none, 1, 60), STORE_IN_USE, "no deleting without the maildrop lock");
	struct store_delivery_result res;
	const char *rcpts[] = {"alice@example.com", "bob@example.com", "carol@example.com", NULL};
	deliver(s, "", rcpts, msg1, sizeof msg1 - 1, &res);
	unsigned long long mid = (unsigned long long)res.queue_id;
	uint64_t e[3];
	const uint64_t who[3] = {alice, bob, carol};
	for (int i = 0; i < 3; i++)
		e[i] = (uint64_t)sql_num("SELECT id FROM mailbox_entry WHERE message_id = %llu AND account_id = %llu", mid,
		                         (unsigned long long)who[i]);
	long long used = sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)alice);
	is_int(locked_delete(s, bob, &e[0], 1), STORE_OK, "deleting another account's entry");
	is_int(sql_num("SELECT COUNT(*) FROM mailbox_entry WHERE id = %llu", (unsigned long long)e[0]), 1, "does nothing");
	is_int(locked_delete(s, alice, &e[0], 1), STORE_OK, "alice deletes her copy");
	is_int(sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)alice),
	       used - (long long)(sizeof msg1 - 1), "her used bytes shrink by its size");
	is_int(sql_num("SELECT refs FROM message WHERE id = %llu", mid), 2, "the content stays for the others");
	is_int(locked_delete(s, alice, &e[0], 1), STORE_OK, "deleting it again is harmless");
	is_int(locked_delete(s, bob, &e[1], 1), STORE_OK, "bob deletes his");
	is_int(sql_num("SELECT COUNT(*) FROM message_chunk WHERE message_id = %llu", mid), 1, "content still there");
	is_int(locked_delete(s, carol, &e[2], 1), STORE_OK, "carol deletes the last copy");
	is_int(sql_num("SELECT COUNT(*) FROM message WHERE id = %llu", mid), 0, "the content is gone");
	is_int(sql_num("SELECT COUNT(*) FROM message_chunk WHERE message_id = %llu", mid), 0, "with its chunks");

	struct entries l;
	size_t n = list(s, carol, &l);
	uint64_t ids[64];
	for (size_t i = 0; i < n; i++)
		ids[i] = l.e[i].id;
	is_int(locked_delete(s, carol, ids, n), STORE_OK, "deleting a whole maildrop in one go");
	is_int(list(s, carol, &l), 0, "empties it");
	is_int(sql_num("SELECT used_bytes FROM account WHERE id = %llu", (unsigned long long)carol), 0,
	       "and its usage");
}

/* A reproducible 64 MiB text message: header, then numbered lines. */
static size_t big_fill(char *buf, size_t cap, size_t *line)
{
	size_t n = 0;
	while (n + 80 < cap)
		n += (size_t)sprintf(buf + n, "%09zu the quick brown fox jumps over the lazy dog %08zx\r\n", *line, *line * 2654435761u), ++*line;
	return n;
}

struct compare {
	size_t line, pos, len, bad, total;
	char buf[128 * 1024];
};

static int compare_big(void *ctx, const void *data, size_t n)
{
	struct compare *c = ctx;
	const char *p = data;
	c->total += n;
	while (n > 0) {
		if (c->pos == c->len) {
			c->len = big_fill(c->buf, sizeof c->buf, &c->line);
			c->pos = 0;
		}
		size_t k = c->len - c->pos < n ? c->len - c->pos : n;
		if (memcmp(c->buf + c->pos, p, k))
			c->bad++;
		c->pos += k;
		p += k;
		n -= k;
	}
	return 0;
}

static void test_big(struct store *s, uint64_t carol)
{
	const size_t target = 64u << 20;
	static char buf[128 * 1024];
	size_t line = 0, total = 0;
	struct store_delivery *d = store_delivery_begin(s, "alice@example.com");
	store_delivery_add_recipient(d, "carol@example.com");
	enum store_result r = STORE_OK;
	while (total < target && r == STORE_OK) {
		size_t n = big_fill(buf, sizeof buf, &line);
		r = store_delivery_write(d, buf, n);
		total += n;
	}
	struct store_delivery_result res;
	is_int(r == STORE_OK ? store_delivery_commit(d, &res) : r, STORE_OK, "a 64 MiB message is stored");
	store_delivery_free(d);
	is_int(sql_num("SELECT COUNT(*) FROM message_chunk WHERE message_id = %llu", (unsigned long long)res.queue_id),
	       (long long)((total + 262143) / 262144), "in 256 KiB chunks");
	is_int(sql_num("SELECT MAX(LENGTH(data)) FROM message_chunk WHERE message_id = %llu", (unsigned long long)res.queue_id),
	       262144, "no chunk is larger");
	struct entries l;
	list(s, carol, &l);
	is_int(l.e[l.n - 1].size, total, "its size is exact");
	struct compare *c = calloc(1, sizeof *c);
	ok(store_maildrop_read(s, carol, &(struct store_entry_ref){l.e[l.n - 1].id, 0}, 1, -1, compare_big, c) == STORE_OK && c->bad == 0 &&
	   c->total == total, "it streams out byte-exact (%zu octets)", total);
	free(c);

	/* Content written ahead and then abandoned is taken back. */
	long long messages = sql_num("SELECT COUNT(*) FROM message");
	d = store_delivery_begin(s, "");
	store_delivery_add_recipient(d, "carol@example.com");
	for (int i = 0; i < 8; i++)
		store_delivery_write(d, buf, sizeof buf);
	is_int(sql_num("SELECT COUNT(*) FROM message WHERE refs = 0"), 1, "a large message is written ahead, invisible");
	store_delivery_free(d);
	is_int(sql_num("SELECT COUNT(*) FROM message"), messages, "abandoning it removes it");
}

static void test_gc_and_delete_account(struct store *s)
{
	uint64_t removed;
	sql_num("INSERT INTO message (size, refs, created_at) VALUES (5, 0, NOW() - INTERVAL 2 DAY)");
	long long orphan = (long long)mysql_insert_id(db);
	mysql_commit(db);
	sql_num("INSERT INTO message_chunk VALUES (%lld, 0, 'hello')", orphan);
	mysql_commit(db);
	sql_num("INSERT INTO message (size, refs) VALUES (5, 0)");
	mysql_commit(db);
	is_int(store_admin_gc(s, 86400, &removed), STORE_OK, "gc runs");
	is_int(removed, 1, "it removes the day-old orphan only");
	is_int(sql_num("SELECT COUNT(*) FROM message_chunk WHERE message_id = %lld", orphan), 0, "with its chunks");
	is_int(store_admin_gc(s, 0, &removed), STORE_OK, "gc with no minimum age");
	is_int(removed, 1, "takes the fresh one too");

	long long entries = sql_num("SELECT COUNT(*) FROM mailbox_entry e JOIN account a ON a.id = e.account_id"
	                            " WHERE a.address = 'bob@example.com'");
	ok(entries > 0, "bob has messages");
	is_int(store_admin_delete(s, "Bob@example.com"), STORE_OK, "deleting bob's account");
	is_int(sql_num("SELECT COUNT(*) FROM account WHERE address = 'bob@example.com'"), 0, "removes it");
	is_int(sql_num("SELECT COUNT(*) FROM mailbox_entry e LEFT JOIN account a ON a.id = e.account_id"
	               " WHERE a.id IS NULL"), 0, "and its entries");
	is_int(sql_num("SELECT COUNT(*) FROM message m WHERE refs <> (SELECT COUNT(*) FROM mailbox_entry e"
	               " WHERE e.message_id = m.id) + (SELECT COUNT(*) FROM relay_queue q WHERE q.message_id = m.id)"), 0,
	       "every refs count matches its entries and queue rows");
	is_int(sql_num("SELECT COUNT(*) FROM message_chunk c LEFT JOIN message m ON m.id = c.message_id"
	               " WHERE m.id IS NULL"), 0, "no chunk without its message");
	is_int(store_admin_delete(s, "bob@example.com"), STORE_NOT_FOUND, "deleting it again: not found");
}

/* IMAP's folders: made with the account, UIDs in INBOX in delivery order, POP3 sees INBOX only. */
static void test_folders(struct store *s)
{
	add_account(s, "frank@example.com", "sha512crypt", "frank pw");
	struct store_account f;
	store_lookup(s, "frank@example.com", &f);
	is_int(sql_num("SELECT COUNT(*) FROM folder WHERE account_id = %llu AND (name, COALESCE(special_use, ''))"
	               " IN (('INBOX', ''), ('Sent', '\\\\Sent'), ('Drafts', '\\\\Drafts'), ('Trash', '\\\\Trash'),"
	               " ('Junk', '\\\\Junk'), ('Archive', '\\\\Archive'))", (unsigned long long)f.id),
	       6, "a new account has INBOX and the five special-use folders");
	const char *const to[] = {"frank@example.com", NULL};
	struct store_delivery_result res;
	long long modseq = sql_num("SELECT highestmodseq FROM folder WHERE account_id = %llu AND name = 'INBOX'",
	                           (unsigned long long)f.id);
	for (int i = 0; i < 3; i++)
		deliver(s, "", to, msg1, sizeof msg1 - 1, &res);
	is_int(sql_num("SELECT GROUP_CONCAT(e.uid ORDER BY e.id) = '1,2,3' AND MAX(f.uidnext) = 4 AND MAX(f.highestmodseq) = %lld"
	               " AND MAX(e.modseq) = %lld FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id"
	               " WHERE f.account_id = %llu AND f.name = 'INBOX'", modseq + 3, modseq + 3, (unsigned long long)f.id),
	       1, "three deliveries: UIDs 1, 2, 3 in INBOX, UIDNEXT 4, each a change (MODSEQ)");
	sql_num("UPDATE mailbox_entry SET folder_id = (SELECT id FROM folder WHERE account_id = %llu AND name = 'Sent'),"
	        " uid = 1 WHERE account_id = %llu AND uid = 2", (unsigned long long)f.id, (unsigned long long)f.id);
	struct entries l;
	is_int((long long)list(s, f.id, &l), 2, "POP3's maildrop is INBOX: a message in Sent is not in it");
	is_int(locked_delete(s, f.id, &l.e[0].id, 1), STORE_OK, "a POP3 deletion");
	is_int(sql_num("SELECT highestmodseq FROM folder WHERE account_id = %llu AND name = 'INBOX'", (unsigned long long)f.id),
	       modseq + 4, "is a change of INBOX too (RFC 7162: an expunge raises HIGHESTMODSEQ)");
	sql_num("DELETE FROM folder WHERE account_id = %llu", (unsigned long long)f.id);
	deliver(s, "", to, msg1, sizeof msg1 - 1, &res);
	is_int(sql_num("SELECT COUNT(*) FROM folder WHERE account_id = %llu", (unsigned long long)f.id), 6,
	       "an account without folders (made by hand, or before them) gets them at its next delivery");
	is_int(store_admin_delete(s, "frank@example.com"), STORE_OK, "the account deleted");
	is_int(sql_num("SELECT (SELECT COUNT(*) FROM folder WHERE account_id = %llu) +"
	               " (SELECT COUNT(*) FROM mailbox_entry WHERE account_id = %llu)", (unsigned long long)f.id,
	               (unsigned long long)f.id), 0, "with its folders and the mail in all of them");
}

static void test_unreachable(void)
{
	const char *saved = getenv("INETMAIL_MYCNF");
	char *keep = strdup(saved);
	FILE *f = fopen("/tmp/inetmail-unreachable.cnf", "w");
	fprintf(f, "[inetmail]\nsocket=/nonexistent/sock\nuser=x\n");
	fclose(f);
	setenv("INETMAIL_MYCNF", "/tmp/inetmail-unreachable.cnf", 1);
	struct store *s = store_open();
	struct store_account a;
	const char *rcpts[] = {"bob@example.com", NULL};
	struct store_delivery_result res;
	is_int(store_auth(s, "alice@example.com", "alice pw", &a), STORE_TEMPFAIL, "database down: auth is temporary");
	is_int(deliver(s, "", rcpts, msg1, sizeof msg1 - 1, &res), STORE_TEMPFAIL, "and so is delivery");
	is_int(store_maildrop_lock(s, 1, 60), STORE_TEMPFAIL, "and locking");
	ok(strlen(store_error(s)) > 0, "with an error for the log: %s", store_error(s));
	store_close(s);
	unlink("/tmp/inetmail-unreachable.cnf");
	setenv("INETMAIL_MYCNF", keep, 1);
	free(keep);
}

int main(void)
{
	db = mysql_init(NULL);
	mysql_options(db, MYSQL_READ_DEFAULT_FILE, getenv("INETMAIL_MYCNF"));
	mysql_options(db, MYSQL_READ_DEFAULT_GROUP, "inetmail");
	if (!mysql_real_connect(db, NULL, NULL, NULL, NULL, 0, NULL, 0)) {
		printf("Bail out! %s\n", mysql_error(db));
		return 1;
	}
	mysql_autocommit(db, 1);
	struct store *s = store_open(), *s2 = store_open();
	struct store_account alice, bob, carol, erin;
	int created;

	test_addresses();
	add_account(s, "alice@example.com", "yescrypt", "alice pw");
	add_account(s, "Bob@Example.com", "bcrypt", "bob pw");
	add_account(s, "carol@example.com", "sha512crypt", "carol pw");
	add_account(s, "dave@example.com", "sha512crypt", "dave pw");
	is_int(store_admin_add(s, "BOB@example.com", "x", &created), STORE_PERMFAIL, "an address exists once, in any case");
	test_auth(s);
	store_lookup(s, "alice@example.com", &alice);
	store_lookup(s, "bob@example.com", &bob);
	store_lookup(s, "carol@example.com", &carol);
	add_account(s, "erin@example.com", "yescrypt", "erin pw");
	store_lookup(s, "erin@example.com", &erin);
	test_delivery(s, alice.id, bob.id, carol.id);
	test_bounces(s, alice.id, bob.id);
	test_relay_queue(s, alice.id, bob.id);
	test_relay_lease(s, alice.id);
	test_relay_abandoned(s);
	test_bad_input(s, alice.id, bob.id);
	test_quota(s, bob.id, carol.id);
	test_aliases(s, alice.id, bob.id, carol.id);
	test_lock(s, s2, alice.id);
	test_top(s, carol.id);
	test_read_ahead(s, erin.id, carol.id);
	test_delete(s, alice.id, bob.id, carol.id);
	test_big(s, carol.id);
	test_gc_and_delete_account(s);
	test_folders(s);
	test_unreachable();
	store_close(s);
	store_close(s2);
	mysql_close(db);
	return done_testing();
}
